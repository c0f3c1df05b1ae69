"""The last step of retrieval: a linear ranker over what distinguishes the unit that answers from its neighbours.

Fusion and the analysis factors (``retrieval.HybridSearch._rerank``) put the right unit among the first candidates
almost always, but often not first: a sibling article of the same chapter shares most of the question's words.
The ranker reorders the first ``RANK_DEPTH`` hits by a weighted sum of features that each say *why* a unit may be
the one that answers — its fused score and ranks, the share of the question found in its best sentence and in its
headings, the words that only it holds among the candidates, the act, regime and kind of answer asked (a duration
question wants a unit that states a duration)…

The weights depend on the embedding model (two features are dense ranks and cosines), so they live with the model
in ``embedding_profiles.toml``; ``evals/train_ranker.py`` learns them (pairwise logistic regression) on
the development sets only (never the blind set). A model without weights keeps the fused order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from assistant.analysis import concept_polarity
from assistant.french import content_terms, expand_abbreviations, tokenize
from assistant.text import MONTHS_PATTERN, fold, split_sentences
from assistant.vocabulary import vocabulary

if TYPE_CHECKING:
    from assistant.analysis import QuestionAnalysis
    from assistant.catalog import Catalog
    from assistant.models import Unit
    from assistant.retrieval import Hit

RANK_DEPTH = 12  # hits the ranker reorders (recall@10 ≈ 0.96 on evals/questions.jsonl)

FEATURES = (
    "answer_sentence",  # how well its best sentence answers (``sentence_score``), relative to the best candidate's
    "local_best",  # share of the question's words that only few candidates hold, in the unit's best sentence
    "fused",  # log of the fused score relative to the first hit
    "lexical_rr",  # reciprocal BM25 rank
    "dense_rr",  # reciprocal dense rank
    "cosine",  # cosine similarity of the unit's best chunk
    "coverage",  # idf-weighted share of the question's words in the unit's text
    "heading_coverage",  # … in its title and heading path (Titre > Chapitre > Section names the act and regime)
    "best_sentence",  # … in its best sentence
    "act",  # +1 the unit names the act asked about, -1 it does not (0: no act asked)
    "regime",  # same for the regime
    "duration",  # +1 / -1: the unit states a duration, for a question asking one
    "enumeration",  # an offence list cited by other articles, for a question not about the list
    "length",  # log length of the unit
    "circulaire_asked",  # a circulaire section, for a question that names the circulaire
    "circulaire_not_asked",  # a circulaire section, for a question that does not
    "subject",  # idf-weighted share of the question's words in the unit's subject-index entry (objet, questions, mots)
    "subject_local",  # … counting the words that few candidates' entries hold
    "follow_up",  # idf-weighted share of a follow-up's own words in the unit (text, headings, index entry); 0 otherwise
    "named",  # the question names this article without making it clearly the subject (« sonorisation (art. 706-96) »)
    "qualifier",  # the question names this article as context (« infraction visée à l'article 706-73 »)
    "cites_qualifier",  # the unit refers to an article the question names as context
)

DURATION_RE = re.compile(
    r"\b(\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|dix|douze|quinze|vingt|trente|quarante|soixante|cent)"
    r"\s+(heures?|jours?|mois|ans?|années?|semaines?)\b"
    # a time limit stated as a date (« avant le 31 janvier de l'année suivante »), not a date of a text
    rf"|\b(?:avant|au plus tard) le \d{{1,2}}(?:er)? (?:{MONTHS_PATTERN})\b",
    re.I,
)
CIRCULAIRE_ASKED = re.compile(r"\bcirculaire", re.I)  # the question names a circulaire


# -- how well one sentence answers (the answer composer's choice of the Réponse, and a feature of the ranker) -----

QUANTITY_S = re.compile(
    r"\b(heures?|jours?|mois|ans|années?|semaines?|(?<!sans )délai|durée|renouvel\w*|prolong\w*|excéder|au plus|au maximum|"
    rf"{MONTHS_PATTERN})\b",
    re.I,
)
AUTHORITY_S = re.compile(
    r"\b(procureur|juge|magistrat|président|chambre|tribunal|cour|ministre|officier|agent|greffe|greffier|service|"
    r"agence|commission|directeur|préfet|autorité|parquet|juridiction|avocat)s?\b",
    re.I,
)
CONDITION_S = re.compile(r"\b(lorsque|lorsqu|si|sauf|à condition|en cas|dès lors|sous réserve|qu'après|que si|uniquement|seulement)\b", re.I)
POSSIBILITY_S = re.compile(r"\b(peut|peuvent|ne peut|ne peuvent|est interdit|sont interdits|autorise|autoriser|possible)\b", re.I)
DEFINITION_S = re.compile(
    r"\b(est une?|sont des|constitue|constituent|désigne|on entend par|a pour objet|ont pour objet|est chargée?|consiste)\b", re.I
)
PENALTY_S = re.compile(r"\b(?:est|sont) punie?s? d|\bpunie?s? de\b|\bd'amende\b", re.I)
# A sentence that *states* a penalty (« est puni de deux ans… »), not one that names offences by theirs (« les délits
# punis de dix ans », « lorsqu'ils sont punis d'une peine… ») nor one that refers to another's (« est punie des mêmes
# peines »); accents optional (folded texts).
PENALTY_STATED = re.compile(r"(?<!lorsqu[' ]il )(?<!lorsqu[' ]ils )(?<!lorsqu[' ]elle )(?<!lorsqu[' ]elles )(?<!qui )\b(?:est|sont) punie?s? d(?!es m[eê]mes peines)|\bla peine (?:encourue )?est\b", re.I)
KIND_SENTENCE = {
    "definition": DEFINITION_S, "duration": QUANTITY_S, "authority": AUTHORITY_S, "conditions": CONDITION_S,
    "possibility": POSSIBILITY_S, "penalty": PENALTY_S,
}
KIND_BONUS = {"definition": 1.3, "duration": 1.8, "authority": 1.3, "conditions": 1.2, "possibility": 1.15, "penalty": 2.0}
SECOND_KIND_BONUS = 1.15
ACT_BONUS = 1.3
CHAPEAU_FACTOR = 0.8
POLARITY_BONUS = 1.4
LENGTH_PENALTY = 0.25


def sentence_score(
    sentence: str, q_terms: Sequence[str], a: QuestionAnalysis, idf: Callable[[str], float], terms: set[str] | None = None,
    referred: set[str] | None = None,
) -> float:
    """How well one sentence answers: the question's words it holds (by rarity), more when it states what kind of
    answer is asked (a duration, an authority…), names the act, and speaks of a concept with the question's polarity.
    ``terms``: the sentence's tokens when already known; ``referred``: those of the items it refers to by number
    (they say what the sentence is about, without making it longer)."""
    terms = set(tokenize(sentence)) if terms is None else terms
    held = terms | referred if referred else terms
    score = sum(idf(t) for t in q_terms if t in held)  # q_terms in a fixed order: the same sum in every process
    if a.kind != "conditions":  # (the conditions of a rule are one long sentence: a threshold, an authorisation, an avis)
        score /= 1 + LENGTH_PENALTY * math.log1p(max(len(terms) - 25, 0))  # a very long sentence dilutes its matches
    pattern = KIND_SENTENCE.get(a.kind)
    if pattern is not None and pattern.search(sentence):
        score *= KIND_BONUS[a.kind]
    for kind in a.also:  # … and a second thing asked, less
        if KIND_SENTENCE[kind].search(sentence):
            score *= SECOND_KIND_BONUS
    if sentence.rstrip().endswith(":"):
        score *= CHAPEAU_FACTOR  # « … peut être refusée : » announces the answer, it is not the answer
    folded = fold(sentence)
    voc = vocabulary()
    if a.acts and any(voc.acts[x].search(folded) for x in a.acts):
        score *= ACT_BONUS
    for concept, affirmed in a.polarity.items():
        state = concept_polarity(folded, concept)
        if state is not None:
            score *= POLARITY_BONUS if state == affirmed else 1 / POLARITY_BONUS
    return score


# « Le mandat d'arrêt européen est une décision judiciaire… »: a notion (a few words, no clause) and what it is.
_DEFINES_RE = re.compile(
    r"^(?:Le|La|Les|L'|L’|Une?|Des)\s+(?P<notion>[^,;:]{3,60}?)\s+(?:est|sont)\s+(?:une?|des)\s", re.I)


class UnitText:
    """Token sets of a unit (whole, headings, each sentence) and its folded text (title, headings, text), computed
    once per unit: they are on every question's path (retrieval's analysis factors and the ranker)."""

    def __init__(self, subjects: Mapping[str, set[str]]) -> None:
        self._cache: dict[str, tuple[set[str], set[str], list[tuple[str, set[str]]]]] = {}
        self._folded: dict[str, str] = {}
        self._stages: dict[str, str | None] = {}
        self._defines: dict[str, frozenset[str]] = {}
        self._subjects = subjects  # tokens of each unit's subject-index entry, as retrieval indexed them

    def subject(self, unit: Unit) -> set[str]:
        """Tokens of the unit's subject-index entry (empty without one)."""
        return self._subjects.get(unit.unit_id, set())

    def folded(self, unit: Unit) -> str:
        got = self._folded.get(unit.unit_id)
        if got is None:
            got = self._folded[unit.unit_id] = fold(" ".join((unit.title, " ".join(unit.hierarchy), unit.text)))
        return got

    def stage(self, unit: Unit) -> str | None:
        """The one procedural stage an article's first sentence sets it in (« Si les nécessités de l'enquête
        préliminaire… l'exigent » → préliminaire), or None (no stage, or several: « au cours de l'enquête ou de l'information »)."""
        if unit.unit_id not in self._stages:
            first = fold(split_sentences(unit.alineas[0])[0]) if unit.alineas and unit.kind == "code" else ""
            found = [name for name, pattern in vocabulary().stages.items() if pattern.search(first)]
            self._stages[unit.unit_id] = found[0] if len(found) == 1 else None
        return self._stages[unit.unit_id]

    def defines(self, unit: Unit) -> frozenset[str]:
        """The words of the notion an article opens by defining (« Une décision d'enquête européenne est une décision
        judiciaire… » → décision, enquête, européenne); empty when it does not open on a definition."""
        if unit.unit_id not in self._defines:
            first = split_sentences(unit.alineas[0])[0] if unit.alineas and unit.kind == "code" and not unit.abrogated else ""
            m = _DEFINES_RE.match(first)
            self._defines[unit.unit_id] = frozenset(content_terms(m.group("notion"))) if m else frozenset()
        return self._defines[unit.unit_id]

    def of(self, unit: Unit) -> tuple[set[str], set[str], list[tuple[str, set[str]]]]:
        got = self._cache.get(unit.unit_id)
        if got is None:
            body = set(tokenize(" ".join((unit.text, *unit.notes))))
            heads = set(tokenize(" ".join((unit.title, *unit.hierarchy))))
            sentences = [(s, set(tokenize(s))) for al in (*unit.alineas, *unit.notes) for s in split_sentences(al)]
            got = self._cache[unit.unit_id] = (body, heads, sentences)
        return got


def features(
    hits: Sequence[Hit], question: str, a: QuestionAnalysis, catalog: Catalog, idf: Callable[[str], float], texts: UnitText
) -> list[list[float]]:
    """One feature vector (in ``FEATURES`` order) per hit."""
    q_terms = sorted(content_terms(expand_abbreviations(question)))  # sorted: float sums independent of hash order
    total = sum(idf(t) for t in q_terms) or 1.0
    top = max((h.score for h in hits), default=1.0) or 1.0
    tokens = [texts.of(h.unit) for h in hits]
    n = len(hits)
    local = {t: idf(t) * math.log(1 + n / (1 + sum(t in body or t in heads for body, heads, _ in tokens))) for t in q_terms}
    local_total = sum(local.values()) or 1.0
    subjects = [texts.subject(h.unit) for h in hits]
    own_terms = sorted(content_terms(expand_abbreviations(a.follow_up)))
    own_total = sum(idf(t) for t in own_terms) or 1.0
    subject_local = {t: idf(t) * math.log(1 + n / (1 + sum(t in s for s in subjects))) for t in q_terms}
    subject_local_total = sum(subject_local.values()) or 1.0
    voc = vocabulary()
    circulaire_asked = bool(CIRCULAIRE_ASKED.search(question))
    named, qualifiers = set(a.named), set(a.qualifiers)
    answers = [max((sentence_score(s, q_terms, a, idf, terms) for s, terms in sentences), default=0.0) for _, _, sentences in tokens]
    best_answer = max(answers, default=0.0) or 1.0
    out = []
    for h, (body, heads, sentences), answer, subject in zip(hits, tokens, answers, subjects, strict=True):
        u = h.unit
        folded = texts.folded(u)
        best = max((sum(idf(t) for t in q_terms if t in s) for _, s in sentences), default=0.0) / total
        local_best = max((sum(w for t, w in local.items() if t in s) for _, s in sentences), default=0.0) / local_total
        is_circulaire = u.kind == "circulaire"
        out.append([
            answer / best_answer,
            local_best,
            math.log(max(h.score, 1e-6) / top),
            1.0 / h.lexical_rank if h.lexical_rank else 0.0,
            1.0 / h.dense_rank if h.dense_rank else 0.0,
            h.dense_score,
            sum(idf(t) for t in q_terms if t in body) / total,
            sum(idf(t) for t in q_terms if t in heads) / total,
            best,
            _signed(bool(a.acts), any(voc.acts[x].search(folded) for x in a.acts)),
            _signed(bool(a.regimes), any(voc.regimes[x].search(catalog.scope_text(u)) for x in a.regimes)),
            _signed(a.kind == "duration", a.kind == "duration" and bool(DURATION_RE.search(u.text))),
            1.0 if catalog.is_scope_list(u) and a.kind not in ("list", "text", "status") else 0.0,
            math.log1p(len(u.text)) / 8,
            1.0 if is_circulaire and circulaire_asked else 0.0,
            1.0 if is_circulaire and not circulaire_asked else 0.0,
            sum(idf(t) for t in q_terms if t in subject) / total,
            sum(w for t, w in subject_local.items() if t in subject) / subject_local_total,
            sum(idf(t) for t in own_terms if t in body or t in heads or t in subject) / own_total,
            1.0 if u.article and u.article in named else 0.0,
            1.0 if u.article and u.article in qualifiers else 0.0,
            1.0 if qualifiers & catalog.cites(u) else 0.0,
        ])
    return out


def _signed(asked: bool, holds: bool) -> float:
    """+1 the unit holds what the question asks, -1 it does not, 0 the question does not ask it."""
    if not asked:
        return 0.0
    return 1.0 if holds else -1.0


def rerank(hits: list[Hit], vectors: list[list[float]], weights: Mapping[str, float]) -> list[Hit]:
    """The hits reordered by the ranker; their scores become ``first score × exp(margin to the best)``, so that the
    answer composer's prior (score relative to the first) follows the ranker's confidence."""
    if not hits:
        return hits
    w = [weights.get(name, 0.0) for name in FEATURES]
    margins = [sum(x * y for x, y in zip(v, w, strict=True)) for v in vectors]
    best = max(margins)
    top = max(h.score for h in hits)
    for h, m in zip(hits, margins, strict=True):
        h.score = top * math.exp(m - best)
    return sorted(hits, key=lambda h: (-h.score, h.unit.position, h.unit.unit_id))
