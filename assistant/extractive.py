"""The default answer generator: deterministic and extractive. It never writes a legal rule in its own words.

An answer has three parts, all verbatim:

- **Réponse**: the one sentence that answers, chosen *across* the candidate units by the kind of answer asked
  (a duration question leads with the sentence stating the duration, « qui » with the one naming the authority,
  a question in the negative with the sentence in the negative…), with its pinpoint reference
  « CPP, art. 706-88, al. 6 (version en vigueur au 15/08/2022) »;
- **Fondement**: at most four passages, those of the answering article first, then of the other candidates that
  bear on the question (an enumeration item comes with its chapeau; a footnote called by a quoted sentence of a
  circulaire is shown);
- **Voir aussi**: the articles the quoted passages refer to, without quotes (another code is named as such).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from assistant.analysis import QuestionAnalysis
from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.french import concept_groups, expand_abbreviations, tokenize
from assistant.grounding import (
    Prepared,
    alinea_of,
    basis_of,
    refuse,
    renvois,
    retrieved_ids,
    unit_citation,
    unit_of_basis,
)
from assistant.models import Citation, Unit
from assistant.ranking import KIND_SENTENCE, PENALTY_STATED, sentence_score
from assistant.retrieval import Hit
from assistant.text import fold, split_sentences
from assistant.tools import JURIDICTION_SPECIALISEE
from assistant.tools.router import ToolCall, describe_result, tool_headline
from assistant.verbatim import CorpusText
from assistant.vocabulary import vocabulary

_NOT_AN_ANSWER = re.compile(r"^(TITRE|OBJET|MINIST|DESTINATAIRE|R[ÉE]F[ÉE]RENCE|ANNEXE|N°|N/REF|NOR\b)|^[A-ZÉ][\w-]+, le \d", re.I)
_NOTE_MARK = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰\d]+\s+")
ANAPHORA_RE = re.compile(r"^(Cette dernière|Ce dernier|Ces derniers|Ces dernières|Celle-ci|Celui-ci|Ceux-ci|Celles-ci|Elle|Elles)\b")
# A sentence that carries on the Réponse's duration: its renewal or its limit (« A l'issue de cette durée, la mesure
# peut être renouvelée… dans la limite de cinq ans »).
CONTINUATION_RE = re.compile(
    r"^(?:A|À) l'issue de (?:cette|ce) (?:durée|délai|période)|^(?:Cette|Ce) (?:durée|délai|période|autorisation|mesure)\b.*"
    r"\b(?:renouvel|prolong)|^(?:Elle|Il|L'autorisation|La mesure|Ce délai|Cette durée) (?:peut|peuvent) être (?:renouvelée?|prolongée?)",
    re.I,
)
ITEM_RE = re.compile(r"^(?:\d+°|[a-z]\)|[-–•]) |^[-–•](?=[^\W\d_])")  # (Légifrance prints some « -soit … » without a space)
NUMBERED_ITEM_RE = re.compile(r"^\d+° ")  # an item of a code's enumeration (« 10° Crimes en matière de fausse monnaie… »)
ITEMS_BUDGET = 600  # characters of enumeration items quoted after their chapeau
NOTE_FACTOR = 0.9  # a circulaire's footnote can answer (a platform's name, a service) but the body comes first
OWN_REGIME_BONUS = 1.3  # the article's own text names the regime (706-88-1 « terroriste »), not only a list it cites
REGIME_SENTENCE_BONUS = 1.3  # … and, within the first candidate, the sentence itself names it (D8-2-2 al. 5)
# The two files' names name a regime (« …des auteurs d'infractions terroristes ») without speaking of it.
_FILE_NAME = re.compile(r"\bfichier judiciaire national automatise des auteurs d infractions (?:terroristes|sexuelles ou violentes)\b")
PRIOR_EXPONENT = 1.0
CROSS_UNIT_MARGIN = 2.0  # another unit's sentence leads only when it answers twice as well: the learned ranker chose the
# first unit (development sets: 1.3 → 2.0 same lead, facts main +0.009; 1.0 lets sibling sentences win)
MAX_PASSAGES = 4  # Réponse included
# Kinds of answer only a sentence stating one gives: the Réponse states it when its article does (« est puni de deux
# ans… », not « un délit puni de dix ans d'emprisonnement », which only names the offences, nor « est punie des mêmes
# peines », which refers to the sentence that states them).
KIND_STATED = {"penalty": PENALTY_STATED}
# Measured on the development sets (questions / holdout / dev2): 850, 2, 0.25 → facts 0.665 / 0.727 / 0.680, median
# 1,083 / 1,141 / 1,130 characters; 750, 3, 0.15 → facts 0.684 / 0.782 / 0.680, median 1,093 / 1,184 / 1,240.
QUOTE_BUDGET = 750  # characters of Fondement quotes beyond the Réponse (median answer ≤ 1,200 characters)
SAME_UNIT_PASSAGES = 3  # other sentences of the answering unit (the facts a magistrate needs are mostly there)
SAME_UNIT_RATIO = 0.15  # … when they score at least this share of the answering sentence
MAX_WHOLE_ARTICLE_CHARS = 1600
FOLLOW_UP_WEIGHT = 2.0  # a follow-up's own words (« Et combien d'assesseurs ? ») weigh double in the choice of the Réponse
TOOL_BASIS_MARGIN = 1.5  # a competence passage leads the Fondement when it answers this much better than the first…
TOOL_BASIS_RUN = 4  # … or holds this many of the question's words in a row (and two more than the first)
TOOL_BASIS_MIN_SCORE = 5.0  # … and matches the question's own words (a vague question keeps the tool's order)
GROUP_EXPONENT = 0.3  # each word of an n-word concept weighs idf / n^0.3 (development sets without the held-out:
# 0.3 → +6 / −2 verdicts, 0.5 → +9 / −4, 1.0 → fewer facts on dev2)
NOVELTY_WEIGHT = 0.1  # idf of a question word not yet quoted, against the sentence's score relative to the Réponse's
NEXT_SENTENCE_CHARS = 300  # the sentence after the Réponse is quoted when it is this short (a complement, not a new rule)
PARALLEL_OVERLAP = 0.5  # token overlap (Jaccard) of two sentences of one article that state the same rule (``parallel``)
WHOLE_SENTENCE_CHARS = 850  # a tool's basis fragment is quoted as its whole sentence up to this length
SHORT_UNIT_CHARS = 450  # an answering article this short is quoted whole: a partial quote would hide conditions
SEQUEL_CHARS = 120  # a Fondement sentence is quoted with the next one of its alinéa up to this length…
SEQUEL_RE = re.compile(r"^(?:Elle|Il|Elles|Ils)\b|\b(?:[Cc]e|[Cc]et|[Cc]ette|[Cc]es) (?!dernier|dernière)\w+")  # … that speaks of it
PAGE_BREAK_MARK = " […] "
# A sentence that limits or hardens a rule: for a yes/no question the answer is « oui, mais… » (« Ces examens médicaux
# sont de droit », « …ne peuvent constituer une incitation… », « l'information du magistrat n'est pas nécessaire lorsque… »)
LIMIT_S = re.compile(
    r"\b(?:est|sont) de droit\b|\bà peine de nullité\b|\bn'(?:est|sont) pas (?:nécessaire|applicable|requis|obligatoire)|"
    r"\bexclusivement\b|\btoutefois\b|\bpar dérogation\b|\bne (?:peut|peuvent) constituer\b|\ben aucun cas\b",
    re.I,
)
# What happens when a délai is not kept (« Le dépassement du délai… entraîne la mise en liberté d'office »): part of the
# answer to a « dans quel délai ? » question.
SEQUEL_S = re.compile(
    r"\b(?:dépassement|inobservation|non-respect|expiration) (?:du|de ce|de ces|des) délais?\b|\bmise en liberté d'office\b|"
    r"\b(?:faute|à défaut) (?:de|d')[^.;]{0,80}\bdans (?:ce|le|les|ces) délais?\b",
    re.I,
)
NOTICE = "_Extraits cités mot pour mot ; vérifiez le texte intégral avant toute décision._"


BasisPassage = tuple[dict[str, Any], Unit, str]  # a tool's basis entry, its unit, the passage quoted


@dataclass
class Passage:
    unit: Unit
    quote: str
    score: float
    rank: int  # the unit's rank among the candidates
    order: int  # position of the sentence in its unit
    list_items: bool = False  # the items of an enumeration quoted after their chapeau (kept within the budget)


class ExtractiveGenerator:
    """Deterministic, extractive answers from the grounded candidates (see the module docstring)."""

    name = "extractive"

    def __init__(self, catalog: Catalog, idf: Callable[[str], float], corpus: CorpusText | None = None) -> None:
        self.catalog = catalog
        self.idf = idf
        self.corpus = corpus  # the raw sources: a quote that crosses a page break is cut into verbatim pieces

    def generate(self, p: Prepared) -> Answer:
        if p.refusal:
            return refuse(p, self.catalog, p.refusal)
        if p.tool is not None:
            return self.tool_answer(p, p.tool)
        assert p.analysis is not None
        whole = p.analysis.kind == "text" and any(h.pinned for h in p.candidates)
        passages = self.whole_articles(p) if whole else self.select(p.analysis, p.standalone, p.candidates)
        if not passages:
            return refuse(p, self.catalog, None)
        return self.compose(p, passages, whole)

    # -- choosing the passages -------------------------------------------------------------------

    def select(self, a: QuestionAnalysis, question: str, candidates: list[Hit]) -> list[Passage]:
        """The answering sentence across the candidates, then the passages that support it (at most four in all)."""
        q_terms = sorted(set(tokenize(expand_abbreviations(question))))
        q_set = set(q_terms)
        idf = self._question_idf(a, question)
        top = candidates[0].score if candidates else 1.0
        scored: list[Passage] = []
        body_sentences: dict[str, int] = {}  # per unit: its sentences come first in ``order``, its footnotes after
        for rank, hit in enumerate(candidates):
            prior = (max(hit.score, 1e-9) / top) ** PRIOR_EXPONENT if top > 0 else 1.0
            if hit.pinned:
                prior = max(prior, 1.0)
            own_regime = bool(a.regimes) and any(vocabulary().regimes[r].search(fold(hit.unit.text)) for r in a.regimes)
            sentences = self._sentences(hit.unit)
            body_sentences[hit.unit.unit_id] = len(sentences)
            notes = self._note_sentences(hit.unit)
            for order, sentence in enumerate(sentences + notes):
                # « L'autorisation mentionnée au 2° de l'article 706-95-12 » is about the information (that 2°)
                item_text = self.catalog.items_referred(sentence, hit.unit) if hit.unit.kind == "code" else ""
                referred = set(tokenize(item_text)) if item_text else None
                s = sentence_score(sentence, q_terms, a, idf, referred=referred) * prior * (OWN_REGIME_BONUS if own_regime else 1.0)
                if rank == 0 and a.regimes and any(vocabulary().regimes[r].search(_FILE_NAME.sub(" ", fold(sentence))) for r in a.regimes):
                    # within the first candidate, the sentence that itself names the regime asked (« …d'agressions
                    # sexuelles », D8-2-2) answers before its siblings (another unit's never leads by it)
                    s *= REGIME_SENTENCE_BONUS
                if order >= len(sentences):
                    s *= NOTE_FACTOR
                scored.append(Passage(hit.unit, sentence, s, rank, order))
        if not scored:
            return []
        lead = self._answering(a, candidates, scored)
        chosen = [lead]
        unit = lead.unit
        chapeau = lead.quote if lead.quote.rstrip().endswith(":") else (self._chapeau(unit, lead.quote) if ITEM_RE.match(lead.quote) else None)
        # An item's share of what the question asks beyond the Réponse and its chapeau (« ITT de deux mois » → « -soit
        # … incapacité totale de travail… égale ou supérieure à un mois »); the words they already hold decide nothing.
        novel = q_set - set(tokenize(lead.quote)) - (set(tokenize(chapeau)) if chapeau else set())
        weigh = lambda item: sum(idf(t) for t in set(tokenize(item)) if t in novel)  # noqa: E731
        items = self._items(unit, chapeau, weigh) if chapeau else None
        if unit.kind == "code" and len(unit.text) <= SHORT_UNIT_CHARS and not unit.abrogated:
            # the rest of the article around the Réponse (quoted once), in the text's order
            start = unit.text.find(lead.quote)
            around = [unit.text[:start].strip(), unit.text[start + len(lead.quote):].strip()] if start >= 0 else [unit.text]
            chosen = [lead, *(Passage(unit, piece, lead.score, lead.rank, -1) for piece in around if piece)]
        elif chapeau and items:
            # The chapeau and its items, in the text's order (the item that matched among them, or after them).
            chosen = [Passage(unit, chapeau, lead.score, lead.rank, -1), Passage(unit, items, lead.score, lead.rank, 0, list_items=True)]
            if lead.quote != chapeau and lead.quote not in items:
                # the item that answers right after its chapeau, then the first items (both within the items' budget)
                answering = self._announced(unit, lead.quote)
                other_items = self._items(unit, chapeau, weigh, skip=answering)
                chosen = [chosen[0], replace(lead, quote=answering, list_items=True)]
                chosen += [Passage(unit, other_items, lead.score, lead.rank, 0, list_items=True)] if other_items else []
            else:
                # The item the question names (« fausse monnaie », « vols »), when the budget left it out of the items.
                asked_items = [ps for ps in scored if ps.unit is unit and unit.kind == "code" and NUMBERED_ITEM_RE.match(ps.quote) and ps.score > 0]
                best = max(asked_items, key=lambda ps: (ps.score, -ps.order)) if asked_items else None
                if best is not None and best.quote not in items:  # the chapeau, its items, then that item
                    chosen = [chosen[0], best]
            # then what the list leaves out of the question (« …s'il accepte… dans un délai maximal de trente jours »)
            chosen += self._qualifying(a, chosen, scored)
            listed = " ".join(ps.quote for ps in chosen)
            rest = [ps for ps in scored if ps.unit is unit and ps.quote not in listed and not ITEM_RE.match(ps.quote)
                    and ps.score >= SAME_UNIT_RATIO * lead.score]
            chosen += self._covering(lead, rest, q_terms)[: max(0, MAX_PASSAGES - len(chosen))]
        else:
            # The sentence right after the Réponse completes it more often than any other (« Elle est adressée… au
            # procureur », « Si la procédure fait l'objet d'une information, … l'avis favorable du juge d'instruction »).
            # A sentence that only restates the Réponse for other cases is neither its complement nor a covering one.
            following = next((ps for ps in scored if ps.unit is unit and ps.order == lead.order + 1 and not ITEM_RE.match(ps.quote)
                              and len(ps.quote) <= NEXT_SENTENCE_CHARS and ps.order < body_sentences[unit.unit_id]
                              and not parallel(lead.quote, ps.quote)), None)
            if following is not None:
                chosen.append(following)
            chosen += self._qualifying(a, chosen, scored)
            rest = [ps for ps in scored if ps.unit is unit and all(ps is not c for c in chosen) and ps.score >= SAME_UNIT_RATIO * lead.score
                    and not parallel(lead.quote, ps.quote)]
            chosen += self._covering(lead, rest, q_terms)[: SAME_UNIT_PASSAGES - len(chosen) + 1]
        chosen += self._other_units(a, lead, chosen, scored)
        if chosen[0] is lead:
            quote = self._with_antecedent(lead.unit, lead.quote)
            if a.kind == "duration":
                quote = self._with_continuation(lead.unit, quote)
                chosen = [chosen[0], *(ps for ps in chosen[1:] if ps.quote not in quote)]
            chosen[0] = replace(lead, quote=quote)
        return self._within_budget(self._with_chapeaux(self._with_sequels(chosen[:MAX_PASSAGES]), weigh))

    @staticmethod
    def _answering(a: QuestionAnalysis, candidates: list[Hit], scored: list[Passage]) -> Passage:
        """The Réponse: the best sentence of the article the user named as subject, else of the first candidate,
        unless another candidate's answers clearly better; for a kind only a statement gives (a penalty), the
        sentence of that article that states it."""
        pinned = {h.unit.unit_id for h in candidates if h.pinned}
        against = {h.unit.unit_id for h in candidates if h.against}
        if not pinned and candidates and candidates[0].unit.article in a.named:
            pinned = {candidates[0].unit.unit_id}  # the article the user named, and the ranker put first, answers
        leads = [ps for ps in scored if ps.unit.unit_id in pinned] or scored  # a named subject article answers
        lead = max(leads, key=lambda ps: (ps.score, -ps.rank, -ps.order))
        best_first = max((ps for ps in leads if ps.rank == leads[0].rank), key=lambda ps: (ps.score, -ps.order))
        if lead.score < CROSS_UNIT_MARGIN * best_first.score or lead.unit.unit_id in against:
            # another unit leads only when its sentence answers clearly better, and never one that affirms what the
            # question negates (« un Etat hors Union européenne »: 696-27, simplified extradition between Member States)
            lead = best_first
        stating = KIND_STATED.get(a.kind)
        if stating is not None and not stating.search(lead.quote):
            # « Quelle peine… ? » is answered by the sentence of that article that states a penalty, whatever its words
            # (« Le fait… de ne pas respecter ces obligations est puni de deux ans… »); when none holds a word of the
            # question, the nearest (« La tentative… est punie des mêmes peines » refers to the one before it).
            states = [ps for ps in scored if ps.unit is lead.unit and stating.search(ps.quote)]
            nearest = min(states, key=lambda ps: (abs(ps.order - lead.order), -ps.order), default=lead)
            lead = max((ps for ps in states if ps.score > 0), key=lambda ps: (ps.score, -ps.order), default=nearest)
        return lead

    def _question_idf(self, a: QuestionAnalysis, question: str) -> Callable[[str], float]:
        """The weight of each question word in the choice of the Réponse: its idf, double for a follow-up's own words,
        shared among the words of one concept. An abbreviation's expansion is one concept, not seven words: « FIJAIT »
        must not make the sentence that spells out « fichier judiciaire national automatisé… » the answer."""
        own = set(tokenize(expand_abbreviations(a.follow_up))) if a.follow_up else set()
        sizes: dict[str, int] = {}
        for group in concept_groups(question):
            for t in group:
                sizes[t] = max(sizes.get(t, 1), len(group))
        return lambda t: self.idf(t) * (FOLLOW_UP_WEIGHT if t in own else 1.0) / sizes.get(t, 1) ** GROUP_EXPONENT

    @staticmethod
    def _other_units(a: QuestionAnalysis, lead: Passage, chosen: list[Passage], scored: list[Passage]) -> list[Passage]:
        """Passages of other candidates, up to ``MAX_PASSAGES`` in all: one per unit, close to the Réponse's score, that
        speak of the act asked about and state what is asked."""
        acts = vocabulary().acts
        kind_pattern = KIND_SENTENCE.get(a.kind)
        out: list[Passage] = []
        for ps in sorted(scored, key=lambda ps: (-ps.score, ps.rank, ps.order)):
            if len(chosen) + len(out) >= MAX_PASSAGES:
                break
            if any(c.unit is ps.unit for c in (*chosen, *out)) or ps.score < 0.5 * lead.score:
                continue
            if a.acts and not any(acts[x].search(fold(ps.quote + " " + " ".join(ps.unit.hierarchy))) for x in a.acts):
                continue  # a passage that does not speak of the act asked about does not bear on the question
            if kind_pattern is not None and not kind_pattern.search(ps.quote):
                continue  # nor one that does not state what is asked (a duration, an authority…)
            out.append(ps)
        return out

    @staticmethod
    def _qualifying(a: QuestionAnalysis, chosen: list[Passage], scored: list[Passage]) -> list[Passage]:
        """The answering unit's sentence that qualifies its rule, if not quoted yet: for a yes/no question the one that
        limits or hardens it, for a délai what follows when it is not kept. The one in the Réponse's own alinéa first
        (« Ces examens médicaux sont de droit » closes its rule), else the one that holds most of the question (« pour la
        2e prolongation, je présente quand même… ? »: « La seconde prolongation peut toutefois… sans présentation
        préalable », not the nearer « Par dérogation… » on the avocat), the nearest between equals."""
        if a.kind == "duration":
            pattern = SEQUEL_S
        elif a.closed and a.kind in ("possibility", "rule"):
            pattern = LIMIT_S
        else:
            return []
        lead, quoted = chosen[0], " ".join(ps.quote for ps in chosen)
        found = [ps for ps in scored if ps.unit is lead.unit and ps.quote not in quoted and pattern.search(ps.quote)]
        if not found:
            return []
        own = alinea_of(lead.unit, lead.quote)
        return [min(found, key=lambda ps: (own is None or alinea_of(ps.unit, ps.quote) != own, -ps.score, abs(ps.order - lead.order)))]

    def _covering(self, lead: Passage, others: list[Passage], q_terms: list[str]) -> list[Passage]:
        """Up to ``SAME_UNIT_PASSAGES`` more sentences of the answering unit, each chosen first for the question's
        words that the passages already chosen do not hold (a two-part question's second fact is in another alinéa),
        then for its own score."""
        asked = set(q_terms)
        words = {id(ps): set(tokenize(ps.quote)) & asked for ps in others}
        covered = set(tokenize(lead.quote)) & asked
        out: list[Passage] = []
        pool = list(others)
        while pool and len(out) < SAME_UNIT_PASSAGES:
            gains = [(NOVELTY_WEIGHT * sum(self.idf(t) for t in sorted(words[id(ps)] - covered)) + ps.score / (lead.score or 1.0), -ps.order)
                     for ps in pool]
            best = pool.pop(gains.index(max(gains)))
            out.append(best)
            covered |= words[id(best)]
        return out

    @staticmethod
    def _with_antecedent(unit: Unit, sentence: str) -> str:
        """A Réponse that opens on a pronoun (« Cette dernière est un intermédiaire… ») is quoted with the sentence it
        refers back to, as one verbatim passage of its alinéa (or footnote): the first line must be readable on its own."""
        if not ANAPHORA_RE.match(sentence):
            return sentence
        for alinea in (*unit.alineas, *(_NOTE_MARK.sub("", note) for note in unit.notes)):
            sentences = split_sentences(alinea)
            if sentence in sentences and sentences.index(sentence) > 0:
                previous = sentences[sentences.index(sentence) - 1]
                start, end = alinea.find(previous), alinea.find(sentence) + len(sentence)
                if 0 <= start < end:
                    return alinea[start:end]
        return sentence

    @staticmethod
    def _with_continuation(unit: Unit, quote: str) -> str:
        """A duration Réponse is quoted with the next sentence of its alinéa when that one renews or limits it
        (« …pour une période maximale d'un an. A l'issue de cette durée, la mesure peut être renouvelée… »)."""
        for alinea in unit.alineas:
            start = alinea.find(quote)
            if start < 0:
                continue
            sentences = split_sentences(alinea[start + len(quote) :])
            if sentences and CONTINUATION_RE.search(sentences[0]):
                end = alinea.find(sentences[0], start + len(quote)) + len(sentences[0])
                return alinea[start:end]
        return quote

    @staticmethod
    def _with_sequels(chosen: list[Passage]) -> list[Passage]:
        """Each Fondement sentence quoted with the next one of its alinéa when that one is short: it completes it
        (« Cette décision n'est pas susceptible de recours », « Hormis le cas d'urgence, cet avis est donné dans le délai
        d'un mois »); a sequel already chosen on its own is merged into it rather than quoted apart."""
        lead, out = chosen[0], []
        absorbed: set[tuple[str, str]] = set()  # (unit, sentence) now quoted inside another passage
        for ps in chosen[1:]:
            alinea = next((al for al in ps.unit.alineas if ps.quote in al), None)
            if alinea is None or ps.list_items or (ps.unit.unit_id, ps.quote) in absorbed:
                out.append(ps)
                continue
            start = alinea.find(ps.quote)
            end = start + len(ps.quote)
            sequel = next(iter(split_sentences(alinea[end:])), "")
            if len(sequel) <= SEQUEL_CHARS and SEQUEL_RE.search(sequel) and sequel not in lead.quote:
                absorbed.add((ps.unit.unit_id, sequel))
                ps = replace(ps, quote=alinea[start : alinea.find(sequel, end) + len(sequel)])
            out.append(ps)
        return [lead, *(ps for ps in out if (ps.unit.unit_id, ps.quote) not in absorbed)]

    @staticmethod
    def _within_budget(passages: list[Passage]) -> list[Passage]:
        """The Réponse and the passages that fit in the quote budget (a long answer is not read)."""
        out, used = passages[:1], 0
        for ps in passages[1:]:
            if used and used + len(ps.quote) > QUOTE_BUDGET and not ps.list_items:
                continue
            out.append(ps)
            used += len(ps.quote)
        return out

    def _sentences(self, unit: Unit) -> list[str]:
        """The sentences of a unit that can answer: headings and title lines of a circulaire are not answers."""
        out = []
        for alinea in unit.alineas:
            for s in split_sentences(alinea):
                if s == unit.title or _NOT_AN_ANSWER.match(s) or len(s.split()) < 4:
                    continue
                out.append(s)
        return out

    @staticmethod
    def _note_sentences(unit: Unit) -> list[str]:
        """The sentences of a circulaire's footnotes, without their call mark."""
        return [s for note in unit.notes for s in split_sentences(_NOTE_MARK.sub("", note)) if len(s.split()) >= 4]

    def _with_chapeaux(self, passages: list[Passage], weigh: Callable[[str], float] | None = None) -> list[Passage]:
        """An enumeration item (« 3° … ») is quoted after the chapeau that gives it its meaning, and a chapeau
        (« … les obligations suivantes : ») before its items: the list is the answer it announces."""
        out: list[Passage] = []
        for ps in passages:
            if ITEM_RE.match(ps.quote):
                chapeau = self._chapeau(ps.unit, ps.quote)
                if chapeau and all(o.quote != chapeau for o in out):
                    out.append(Passage(ps.unit, chapeau, ps.score, ps.rank, -1))
            out.append(ps)
            if ps.quote.rstrip().endswith(":") and not any(o.list_items and o.unit is ps.unit for o in passages):
                items = self._items(ps.unit, ps.quote, weigh)
                if items and all(o.quote != items for o in [*out, *passages]):
                    out.append(Passage(ps.unit, items, ps.score, ps.rank, ps.order + 1, list_items=True))
        return out[: MAX_PASSAGES + 1]

    @staticmethod
    def _items(unit: Unit, chapeau: str, weigh: Callable[[str], float] | None = None, skip: str = "") -> str | None:
        """The items that follow a chapeau in its unit, in order, within ``ITEMS_BUDGET`` characters. When they do
        not all fit, the items that hold the question's words (``weigh``) are kept first, each nested item with the
        item that announces it (« 2° Ces faits : » before « -soit … égale ou supérieure à un mois »)."""
        index = next((i for i, al in enumerate(unit.alineas) if al.rstrip().endswith(chapeau.rstrip())), None)
        if index is None:
            return None
        following: list[str] = []
        for al in unit.alineas[index + 1 :]:
            if not ITEM_RE.match(al):
                break
            if al not in skip:  # (the items already quoted as the answer)
                following.append(al)
        if sum(map(len, following)) <= ITEMS_BUDGET or weigh is None:
            items: list[str] = []
            for al in following:
                if items and sum(map(len, items)) + len(al) > ITEMS_BUDGET:
                    break
                items.append(al)
            return " ".join(items) or None
        announcer = {}  # a nested item → the item ending with « : » that announces it
        for i, al in enumerate(following):
            head = next((j for j in range(i - 1, -1, -1) if following[j].rstrip().endswith(":")), None)
            if head is not None and al[:1] != following[head][:1]:
                announcer[i] = head
        kept: set[int] = set()
        for i in sorted(range(len(following)), key=lambda i: (-weigh(following[i]), i)):
            group = {i, announcer[i]} if i in announcer else {i}
            if kept and sum(len(following[j]) for j in kept | group) > ITEMS_BUDGET:
                continue
            kept |= group
        return " ".join(following[i] for i in sorted(kept)) or None

    @staticmethod
    def _announced(unit: Unit, item: str) -> str:
        """A nested item with the item that announces it (« 2° Ces faits : -soit ont entraîné… »), else the item."""
        index = next((i for i, al in enumerate(unit.alineas) if al == item), None)
        if index is None:
            return item
        for al in reversed(unit.alineas[:index]):
            if not ITEM_RE.match(al):
                return item
            if al[:1] != item[:1]:
                return f"{al} {item}" if al.rstrip().endswith(":") else item
        return item

    @staticmethod
    def _chapeau(unit: Unit, item: str) -> str | None:
        index = next((i for i, al in enumerate(unit.alineas) if item in al), None)
        if index is None:
            return None
        for al in reversed(unit.alineas[:index]):
            if not ITEM_RE.match(al):  # (« 1° », « a) » or « - » items alike: the chapeau is before them all)
                return split_sentences(al)[-1]
        return None

    def whole_articles(self, p: Prepared) -> list[Passage]:
        out = []
        for rank, hit in enumerate(h for h in p.candidates if h.pinned):
            text = hit.unit.text if len(hit.unit.text) <= MAX_WHOLE_ARTICLE_CHARS else hit.unit.alineas[0]
            out.append(Passage(hit.unit, text, 1.0, rank, 0))
        return out

    # -- writing the answer ----------------------------------------------------------------------

    def _verbatim(self, unit: Unit, quote: str) -> str:
        """The quote as one verbatim passage, or as verbatim pieces joined by « […] » when the source breaks it
        (a page break of the PDF, with its footnotes, inside the sentence)."""
        if self.corpus is None or self.corpus.contains(quote, unit.doc_id):
            return quote
        pieces = self.corpus.verbatim_pieces(quote, unit.doc_id)
        return PAGE_BREAK_MARK.join(pieces) if pieces else quote

    def compose(self, p: Prepared, passages: list[Passage], whole: bool) -> Answer:
        a = p.analysis
        assert a is not None
        lines: list[str] = []
        citations: list[Citation] = []
        if a.kind == "status" and p.notices:
            lines += p.notices + [""]
        quoted = [(ps, self._verbatim(ps.unit, ps.quote)) for ps in passages]
        for ps, quote in quoted:
            if all(c.quote != quote or c.unit_id != ps.unit.unit_id for c in citations):
                citations.append(unit_citation(ps.unit, self.catalog, quote))
        first = citations[0]
        if whole:
            names = ", ".join(dict.fromkeys(_name(ps.unit, self.catalog) for ps in passages))
            summary = f"Texte de {names}."
            lines.append(f"**Réponse** : texte de {names}.")
            rest = citations
        else:
            summary = f"« {first.quote} » ({first.label()})"
            lines += [f"**Réponse** : « {first.quote} »", f"— {first.label()}"]
            rest = citations[1:]
        if a.kind != "status" and p.notices:
            lines += [""] + p.notices
        footnotes = self._footnotes(citations)
        if rest or footnotes:
            lines += ["", "**Fondement**"]
            for group in _by_unit(rest):
                c = group[0]
                same_version = c.doc_id == first.doc_id and c.version_date == first.version_date
                lines += ["", *(f"> « {g.quote} »" for g in group), f"> — {_group_label(group, with_version=not same_version)}"]
            for unit, note in footnotes:
                lines += ["", f"> {note}", f"> — {unit_citation(unit, self.catalog, '').label()}, note de bas de page"]
                citations.append(unit_citation(unit, self.catalog, note.split(" ", 1)[-1]))  # the note's text, without its call mark
        tool_calls: list[ToolUse] = []
        # The délai rule the question matched, when the Réponse rests on it (another article answering — 695-36's ten
        # days after a MAE arrest — makes the rule of the arrest itself a question nobody asked).
        if p.rule is not None and any((b.doc_id, b.article, b.section) == (first.doc_id, first.article, first.section) for b in p.rule.basis):
            tool_calls.append(ToolUse("delai", {"rule": p.rule.id}, p.rule.to_catalogue()))
            lines += ["", f"**Délai** (règle « {p.rule.label} ») : {p.rule.summary} Indiquez la date et l'heure de départ pour obtenir l'échéance datée."]
        body = "\n".join(lines)
        see_also = renvois(body, citations, self.catalog)
        if see_also:
            lines += ["", "**Voir aussi** : " + " ; ".join(_see_also_label(c) for c in see_also)]
        lines += ["", NOTICE]
        return Answer(
            "\n".join(lines), refused=False, citations=citations + see_also, tool_calls=tool_calls,
            standalone_question=p.standalone, retrieved=retrieved_ids(p, self.catalog), summary=summary,
            degraded=p.degraded,
        )

    def _footnotes(self, citations: list[Citation]) -> list[tuple[Unit, str]]:
        """Footnotes of a circulaire called by a quoted sentence (« …exécutoires³. », or « exécutoires3. » in the PDF)."""
        out: list[tuple[Unit, str]] = []
        for c in citations:
            if c.kind != "circulaire" or not c.unit_id:
                continue
            unit = self.catalog.unit(c.unit_id)
            for note in unit.notes:
                mark = note.split(" ", 1)[0]
                digits = mark.translate(str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890"))
                called = mark in c.quote or re.search(rf"[^\W\d]{re.escape(digits)}(?![\d])", c.quote) is not None
                if called and all(n != note for _, n in out):
                    out.append((unit, note))
        return out

    def tool_answer(self, p: Prepared, tool: ToolUse) -> Answer:
        """A tool answers the question it was asked: its result first, the texts it rests on once, after."""
        details = describe_result(ToolCall(tool.name, tool.arguments), tool.result).splitlines()
        headline = tool_headline(tool.name, tool.result) or re.sub(r"\*\*|__", "", details[0] if details else "")
        details = [line for line in details if line != headline]  # the result once: the Réponse line says it
        details = [line for i, line in enumerate(details) if line or not i or details[i - 1]]  # (no blank line twice)
        lines = [f"**Réponse** : {headline}", "", *details, "", "**Fondement**"]
        citations: list[Citation] = []
        seen: set[tuple[str, str]] = set()
        for b, unit, quote in self._basis_for(p, self._basis_passages(tool.result)):
            key = (b.get("article") or b.get("section") or "", b["quote"])
            if key in seen:
                continue
            seen.add(key)
            cit = unit_citation(unit, self.catalog, quote)
            citations.append(cit)
            lines += ["", f"> « {quote} »", f"> — {cit.label()}"]
        see_also = renvois("\n".join(lines), citations, self.catalog)
        if see_also:
            lines += ["", "**Voir aussi** : " + " ; ".join(_see_also_label(c) for c in see_also)]
        return Answer(
            "\n".join(lines), refused=False, citations=citations + see_also, tool_calls=[tool],
            standalone_question=p.standalone, retrieved=retrieved_ids(p, self.catalog), summary=headline, degraded=p.degraded,
        )

    def _basis_passages(self, result: dict[str, Any]) -> list[BasisPassage]:
        """Each basis entry of a tool result with its unit and the passage quoted (``_whole_sentence``)."""
        out = []
        for b in basis_of(result):
            unit = unit_of_basis(self.catalog, b)
            if unit is not None:
                out.append((b, unit, _whole_sentence(unit, b["quote"])))
        return out

    def _basis_for(self, p: Prepared, basis: list[BasisPassage]) -> list[BasisPassage]:
        """A competence's basis in its order, except that an article passage answering the question clearly better
        than the first comes first (« hors des espaces maritimes sous juridiction française » → 706-108, not 706-107)."""
        if len(basis) < 2 or p.analysis is None or p.tool is None or p.tool.name != JURIDICTION_SPECIALISEE:
            return basis  # (a délai rule's basis is in the rule's own order: its first article sets the deadline)
        q_tokens = tokenize(p.standalone)
        runs = [common_run(q_tokens, tokenize(quote)) if b.get("article") else 0 for b, _unit, quote in basis]
        best = max(range(len(basis)), key=lambda i: (runs[i], -i))
        if runs[best] >= TOOL_BASIS_RUN and runs[best] >= runs[0] + 2:
            # the question says in the text's own words the case one passage governs (« hors des espaces maritimes
            # sous juridiction française »)
            return [basis[best], *(b for i, b in enumerate(basis) if i != best)]
        q_terms = sorted(set(tokenize(expand_abbreviations(p.standalone))))
        scores = [sentence_score(quote, q_terms, p.analysis, self.idf) if b.get("article") else 0.0 for b, _unit, quote in basis]
        best = max(range(len(basis)), key=lambda i: (scores[i], -i))
        if scores[best] < max(TOOL_BASIS_MARGIN * scores[0], TOOL_BASIS_MIN_SCORE):
            return basis
        return [basis[best], *(b for i, b in enumerate(basis) if i != best)]


def common_run(first: list[str], second: list[str]) -> int:
    """The length of the longest run of tokens the two sequences share, in the same order."""
    best, previous = 0, [0] * (len(second) + 1)
    for a in first:
        current = [0] * (len(second) + 1)
        for j, b in enumerate(second, 1):
            if a == b:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def _whole_sentence(unit: Unit, quote: str) -> str:
    """A tool's basis quote as the whole sentence of its unit that holds it, when that sentence is not too long: « …le
    jugement des infractions définies ci-après » stops where 706-2 says which affairs (« …relatives à un produit de
    santé… »). A quote that is a whole sentence, or several, stays as it is."""
    for alinea in unit.alineas:
        if quote not in alinea:
            continue
        for sentence in split_sentences(alinea):
            if quote in sentence:
                return sentence if len(sentence) <= WHOLE_SENTENCE_CHARS else quote
    return quote


def parallel(first: str, second: str) -> bool:
    """706-80-1, « …de ne pas procéder au contrôle et à l'interpellation… » beside « …au contrôle et à la saisie… »:
    the same rule for other cases, not a complement of the first; it would take the place of a sentence that adds
    something (development sets: 0.5 gains one verdict, 0.4 loses one)."""
    a, b = set(tokenize(first)), set(tokenize(second))
    return bool(a and b) and len(a & b) / len(a | b) >= PARALLEL_OVERLAP


def _by_unit(citations: list[Citation]) -> list[list[Citation]]:
    """Consecutive passages of one unit, shown as one quotation under one reference (« al. 2 et 5 »)."""
    groups: list[list[Citation]] = []
    for c in citations:
        if groups and groups[-1][0].unit_id == c.unit_id:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def _group_label(group: list[Citation], with_version: bool) -> str:
    alineas = [c.alinea for c in group if c.alinea]
    if len(group) == 1 or not alineas:
        return group[0].label(with_version=with_version)
    numbers = sorted(set(alineas))
    spelled = ", ".join(map(str, numbers[:-1])) + f" et {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])
    return replace(group[0], alinea=None).label(with_version=with_version).replace(
        f"art. {group[0].article}", f"art. {group[0].article}, al. {spelled}", 1
    )


def _name(unit: Unit, catalog: Catalog) -> str:
    if unit.article:
        status = " (bloc abrogé, ancienne rédaction)" if unit.abrogated else ""
        return f"l'article {unit.article} du CPP{status}"
    doc = catalog.document(unit.doc_id)
    where = f", § {unit.section} « {unit.title} »" if unit.section else ""
    return f"la {doc.short_title[0].lower()}{doc.short_title[1:]}{where}"


def _see_also_label(c: Citation) -> str:
    if c.code:
        return f"{c.code}, art. {c.article} (hors du corpus)"
    return c.label(with_version=False)
