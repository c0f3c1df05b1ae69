"""Grounding: which units an answer may rest on, when to refuse, and how citations are built — for every generator.

The chain prepares a question (``Prepared``: analysis, tool result, retrieval hits); ``ground`` then decides, once,
whether the corpus supports an answer and which candidate units it may rest on. The extractive and the LLM
generators both compose from that decision, so a refusal, a citation or a cross-reference mark means the same
thing whichever writes the prose.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.analysis import QuestionAnalysis
from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.french import concept_groups, content_terms, expand_abbreviations, tokenize
from assistant.models import Citation, Unit
from assistant.ranking import DURATION_RE, PENALTY_STATED
from assistant.references import KNOWN_CODES_FOLDED, find_references
from assistant.retrieval import POLE_TABLE_ARTICLE, Hit
from assistant.text import MONTHS_PATTERN, fold, split_sentences
from assistant.tools import POLE_INSTRUCTION
from assistant.tools.poles import unknown_courts
from assistant.vocabulary import OutOfScopeTopic, vocabulary

CORPUS_NAME = "Livre IV du code de procédure pénale, articles D cités et trois circulaires"
CANDIDATES = 8  # units considered for the answer (more than are finally cited)
MIN_COVERAGE = 0.2  # idf-weighted share of the question's words found in the best candidate (calibrated on evals/questions.jsonl)
MIN_COVERAGE_WITH_SUBJECT = 0.1  # … when the candidates already cover the act and the regime of the question
MIN_COVERAGE_WITHOUT_ACT = 0.4  # … when no candidate names the act asked about
MIN_COVERAGE_WITHOUT_REGIME = 0.45  # … when no candidate names the regime asked about, but they govern the act
TOPIC_ANSWER_DEPTH = 3  # passages that may answer an out-of-scope topic (« la CIVI a le caractère d'une juridiction civile », 706-4, ranked second)…
TOPIC_ANSWERED_COVERAGE = 0.6  # … with this coverage of the question (penalties: dev sets 3/3 answered, 0 refusals lost)
TOPIC_ANSWERED_WITH_ACT = 0.3  # … or this one when that alinéa (or the one before) names the act asked about
_THIS_ARTICLE = "present article"  # (folded) a passage that refers to its own article names what the article names
# Another code asked for the answer (« que prévoit le code pénal… », « quelle peine le code pénal prévoit-il »), not
# only named as the source of an offence or a notion (« au titre de l'article 414-3 du code civil »).
_OTHER_CODE_ASKED = re.compile(
    rf"\b(?:que (?:prevoit|dit|dispose|fixe)|selon|d apres|dans) (?:le |l )?{KNOWN_CODES_FOLDED}\b|\b{KNOWN_CODES_FOLDED} (?:prevoit|dispose|punit|sanctionne|fixe|dit)\b"
)


@dataclass
class Prepared:
    """State passed between the chain's steps and handed to the generator."""

    question: str
    history: list[dict[str, str]]
    standalone: str = ""
    analysis: QuestionAnalysis | None = None
    refusal: str | None = None
    hits: list[Hit] = field(default_factory=list)
    candidates: list[Hit] = field(default_factory=list)  # what the answer may rest on, best first (set by ``ground``)
    tool: ToolUse | None = None
    tool_error: str | None = None
    tool_call_name: str | None = None
    rule: Any = None  # a délai rule the question is about, without a date to compute from
    notices: list[str] = field(default_factory=list)  # status lines shown before the answer (repealed, missing…)
    degraded: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


# -- units and citations ---------------------------------------------------------------------------


def unit_of_basis(catalog: Catalog, basis: dict[str, Any]) -> Unit | None:
    """The unit a tool's basis entry (a dict of its result) rests on: ``Catalog.unit_of_basis``."""
    return catalog.unit_of_basis(basis.get("doc_id", ""), basis.get("article"), basis.get("section"), basis.get("quote", ""))


def basis_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every basis entry of a tool result, wherever it is nested (deadlines, authorities…)."""
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "basis" and isinstance(value, list):
                    out.extend(b for b in value if isinstance(b, dict) and b.get("quote"))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(result)
    return out


def alinea_of(unit: Unit, quote: str) -> int | None:
    """1-based alinéa of a code article that holds the quote (None for circulaires or a quote across alinéas)."""
    if unit.kind != "code":
        return None
    key = re.sub(r"\s+", " ", quote).strip()
    for i, alinea in enumerate(unit.alineas, start=1):
        if key and key in re.sub(r"\s+", " ", alinea):
            return i
    return None


def unit_citation(unit: Unit, catalog: Catalog, quote: str, role: str = "source") -> Citation:
    doc = catalog.document(unit.doc_id)
    return Citation(
        doc_id=unit.doc_id, doc_title=doc.short_title if unit.kind == "circulaire" else doc.title, kind=unit.kind,
        article=unit.article, section=unit.section, version_date=unit.version_date, quote=quote, unit_id=unit.unit_id,
        hierarchy=unit.hierarchy, abrogated=unit.abrogated, unverified=unit.unverified, role=role,  # type: ignore[arg-type]
        alinea=alinea_of(unit, quote) if quote and role == "source" else None,
    )


def reference_label(unit: Unit, catalog: Catalog) -> str:
    """« CPP, art. 706-88 (version en vigueur au 15/08/2022) » / « Circulaire du 5 mars 2025…, § 1.1 »."""
    return unit_citation(unit, catalog, "").label()


def renvois(text: str, citations: list[Citation], catalog: Catalog) -> list[Citation]:
    """Citations for the article numbers a text shows without citing them: the CPP articles it refers to (in the
    corpus or not) and the articles of other codes, named with their code and never labelled CPP."""
    cited = {(c.code, c.article) for c in citations if c.article}
    out: list[Citation] = []
    outside: list[tuple[str, str | None]] = []  # numbers absent from the corpus, with the text named after them
    for ref in find_references(text):
        key = (ref.code, ref.number)
        if key in cited:
            continue
        cited.add(key)
        if ref.code is None:
            units = [u for u in catalog.units_for_article(ref.number) if not u.abrogated]
            if units:
                out.append(unit_citation(units[0], catalog, first_sentence(units[0]), role="renvoi"))
                continue
        outside.append((ref.number, ref.code))
    quotes = [c.quote for c in (*citations, *out)]
    for number, code in outside:
        # A bare number the corpus does not hold, that a quoted passage names with its text (« 122-1 du code
        # pénal »), is that text's article: never « CPP, art. 122-1 ».
        resolved = code or _text_naming(number, quotes)
        if resolved != code:
            if (resolved, number) in cited:
                continue  # already cited under its own text
            cited.add((resolved, number))
        code = resolved
        citing = next((c for c in citations if number in c.quote), None)
        title = f"{code} (hors du corpus)" if code else "Code de procédure pénale (hors du corpus)"
        out.append(
            Citation(
                doc_id=citing.doc_id if citing else "cpp-legislatif-l4", doc_title=title, kind="code", article=number,
                section=None, version_date=None, quote=citing.quote if citing else "", role="renvoi", in_corpus=False,
                code=code,
            )
        )
    return out


def _text_naming(number: str, quotes: list[str]) -> str | None:
    return next((r.code for q in quotes for r in find_references(q) if r.number == number and r.code), None)


def first_sentence(unit: Unit) -> str:
    return split_sentences(unit.alineas[0])[0] if unit.alineas else ""


# -- support ---------------------------------------------------------------------------------------


def coverage(question: str, unit: Unit, idf: Callable[[str], float]) -> float:
    """Idf-weighted share of the question's content words present in the unit (text, title, headings)."""
    groups = concept_groups(question)
    if not groups:
        return 0.0
    doc = set(tokenize(" ".join((unit.title, *unit.hierarchy, unit.text, *unit.notes))))
    weights = [max(idf(t) for t in g) for g in groups]
    total = sum(weights)
    return sum(w for g, w in zip(groups, weights, strict=True) if g & doc) / total if total else 0.0


def speaks_of(unit: Unit, catalog: Catalog, names: tuple[str, ...] | list[str], table: dict[str, re.Pattern[str]]) -> bool:
    text = catalog.scope_text(unit)
    return any(table[n].search(text) for n in names)


def _covered_apart(a: QuestionAnalysis, unit: Unit, catalog: Catalog, negated: list[str]) -> bool:
    """The offence the question names is within the unit's scope in a clause that does not name the negated regime:
    « trafic de stupéfiants » (706-73, 3°) covers « stups, hors terrorisme »; « escroquerie en bande organisée »
    (706-73-1) does not cover « escroquerie, hors bande organisée »."""
    voc = vocabulary()
    words = {m.group(0) for r in a.regimes for m in voc.regimes[r].finditer(a.folded)}
    return any(
        any(w in clause for w in words) and not any(voc.regimes[n].search(clause) for n in negated)
        for clause in catalog.scope_clauses(unit)
    )


def supported(
    a: QuestionAnalysis, question: str, hits: list[Hit], catalog: Catalog, idf: Callable[[str], float], min_dense: float = 0.0
) -> bool:
    """The passages cover what is asked: the act and the regime of the question, and enough of its words.

    A cosine similarity is no evidence here (the default model scores almost any French legal question ≥ 0.5);
    a dense threshold only counts when the embedding model's profile sets one.
    """
    if not hits:
        return False
    if min_dense > 0 and max(h.dense_score for h in hits[:3]) >= min_dense and not a.acts and not a.regimes:
        return True
    top = [h.unit for h in hits[:3]]
    voc = vocabulary()
    regime_covered = bool(a.regimes) and any(speaks_of(u, catalog, a.regimes, voc.regimes) for u in top)
    # A candidate that refers to the very article the question names the offence by covers its regime
    # (« poursuites sur l'art. 221-5-6 CP » → 706-139-1, whatever « stups » in the question).
    regime_covered = regime_covered or (bool(a.regimes) and any(set(a.qualifiers) & catalog.cites(u) for u in top))
    if a.regimes and not regime_covered:
        # A regime no candidate names: refused, unless the candidates govern the act for every offence and hold most
        # of the question (« pour saisir la maison d'un dealer » is the saisie pénale immobilière of 706-150).
        # (an extradition or a MAE is governed alike for every offence: the offence named is the case, not a regime)
        threshold = MIN_COVERAGE_WITH_SUBJECT if set(a.acts) & set(voc.every_offence_acts) else MIN_COVERAGE_WITHOUT_REGIME
        return (bool(a.acts) and any(speaks_of(u, catalog, a.acts, voc.acts) for u in top)
                and max(coverage(question, u, idf) for u in top) >= threshold)
    if a.acts and not regime_covered and not any(speaks_of(u, catalog, a.acts, voc.acts) for u in top):
        # An act no candidate names: refused, unless the best candidate holds most of the question otherwise (the act
        # is then context: « se transporter … pour entendre un témoin » is about the transport, D12).
        return max(coverage(question, u, idf) for u in top) >= MIN_COVERAGE_WITHOUT_ACT
    negated_regimes = [n for n in a.negated if n in voc.scoping_regimes]
    if negated_regimes and speaks_of(top[0], catalog, negated_regimes, voc.regimes) and not _covered_apart(a, top[0], catalog, negated_regimes):
        # « hors bande organisée » answered by the organised-crime article: the general rule is not here — even when
        # the offence named (« escroquerie ») is in that article's scope only as « escroquerie en bande organisée ».
        return False
    if negated_regimes and not set(a.regimes) & set(voc.scoping_regimes) and speaks_of(top[0], catalog, voc.scoping_regimes, voc.regimes):
        # « DP pour un délit puni de 5 ans, hors bande organisée » answered by the terrorism derogation (706-24-3): the
        # question leaves the special regimes and names none, the general rule is asked and is not here.
        return False
    # The act and the regime asked about are covered: a lower share of the other words is enough (« peur »,
    # « perso »… are the magistrate's words, not the code's).
    threshold = MIN_COVERAGE_WITH_SUBJECT if (a.acts or a.regimes) else MIN_COVERAGE
    return max(coverage(question, u, idf) for u in top) >= threshold


_TIME_ASKED = re.compile(
    r"\bcombien de (temps|jours|heures|mois|ans|annees|semaines)\b|\b(pendant|pour|jusqu a) combien\b|\b(dans|sous) quel delai\b"
)
_COUNT_ASKED = re.compile(
    r"\bcombien (de|d) (?!temps|jours|heures|mois|ans|annees|semaines)\w+|\bquel(le)?s? (nombre|quantum|seuil)s?\b"
)
_AMOUNT_ASKED = re.compile(r"\bquel(le)?s? (?:(?:est|sont) (?:le|la|les) )?(quantite|montant|somme|taux|pourcentage)s?\b|\bseuils? chiffres?\b")  # (« quel seuil de peine » is a count)
_AMOUNT_STATED = re.compile(r"\d[\d\s.,]*\s*(?:kg|kilo\w*|grammes?|tonnes?|euros?|€|%|pour cent)", re.I)
# A list of courts asked (« la liste des tribunaux sièges d'une JIRS ») is stated only where the corpus names them: the
# D15-4-4 table, or a text naming several courts; « un décret fixe la liste » does not give it.
_PLACES_LIST_ASKED = re.compile(
    r"\bliste (?:des |de )(?:\w+ ){0,2}(?:tribunaux|juridictions|sieges|villes|cours d appel|jirs|poles)\b"
    r"|\b(?:quels|quelles) (?:sont les )?(?:sieges|villes)\b|\bdans quelles villes\b"
)
_PLACE_NAMED = re.compile(r"\b(?:tribunal judiciaire|cour d'appel) (?:de |d'|du )([A-ZÉ][\w-]+)")
_NOR_ASKED = re.compile(r"\b(numero )?nor\b")
_NOR_STATED = re.compile(r"\bNOR\b.{0,12}\b[A-Z]{4}\d{7}[A-Z]\b")
_COUNT_STATED = re.compile(  # a number that counts: not a date (« 17 décembre »), an article (« 706-73 ») or an item (« 2° »)
    rf"(?<![\d-])\b(\d{{1,3}}(?![\d°-])(?!\s*(?:er\s+)?(?:{MONTHS_PATTERN}))|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|"
    r"douze|quinze|vingt|trente|cent)\b",
    re.I,
)


def _states_the_number_asked(question: str, top: list[Hit]) -> bool:
    """A question that asks for a number (a duration, a count, an amount, a NOR) is supported only by a text that
    states one. The user's own words decide (a follow-up does not inherit the previous question's « combien de
    temps »); a question put to a circulaire is answered by the circulaire's text, not by a CPP article's."""
    folded = fold(question)
    if "circulaire" in folded:
        top = [h for h in top if h.unit.kind == "circulaire"] or top
    if _TIME_ASKED.search(folded):
        return any(DURATION_RE.search(h.unit.text) for h in top)
    if _AMOUNT_ASKED.search(folded):
        return any(_AMOUNT_STATED.search(h.unit.text) for h in top)
    if _COUNT_ASKED.search(folded):
        return any(_COUNT_STATED.search(h.unit.text) for h in top)
    if _NOR_ASKED.search(folded):
        return any(_NOR_STATED.search(h.unit.text) for h in top)
    if _PLACES_LIST_ASKED.search(folded):
        return any(h.unit.article == POLE_TABLE_ARTICLE or len(set(_PLACE_NAMED.findall(h.unit.text))) >= 3 for h in top)
    return True


# What an article leaves to a décret: « Ce décret précise notamment la durée de conservation des informations
# enregistrées » (706-54), « une commission nationale dont la composition … sont définies par décret » (706-63-1).
_DECREE_OBJECT = re.compile(
    r"\bd[ée]cret\b[^.;]*?\b(?:précise|fixe|détermine|définit)(?: notamment)? (?P<a>[^.;]+)"
    r"|\bdont (?P<b>[^.;]+?) (?:sont|est) (?:définie?s?|fixée?s?|déterminée?s?|précisée?s?) par (?:un )?d[ée]cret",
)
_DURATION_HEADS = frozenset(content_terms("durée délai"))
_GENERIC_OBJECT = frozenset(content_terms("modalités application présent article conditions dispositions mise œuvre section chapitre titre notamment"))


def delegated_to_decree(question: str, unit: Unit) -> str | None:
    """A refusal when what the question asks is what the answering article leaves to a décret (the durée de
    conservation of the FNAEG, the composition of the repentis commission), and the article states no figure for it
    itself: the décret is not in the corpus. None otherwise (« modalités d'application » delegates nothing asked)."""
    if unit.kind != "code":
        return None
    asked = content_terms(expand_abbreviations(question))
    time_asked = bool(_TIME_ASKED.search(fold(question)))
    for m in _DECREE_OBJECT.finditer(unit.text):
        obj = (m.group("a") or m.group("b")).split(",")[0].strip()
        head = next((t for t in tokenize(obj) if t[0].isalpha()), "")
        # What the décret fixes must be what is asked: its head word (« la composition… », « la liste… ») is the
        # question's, or it is a duration and the question asks how long.
        if not head or head in _GENERIC_OBJECT or not (head in asked or (head in _DURATION_HEADS and time_asked)):
            continue
        shared = (content_terms(obj) - _GENERIC_OBJECT) & asked
        stated = any(set(content_terms(s)) & shared and (DURATION_RE.search(s) or _COUNT_STATED.search(s))
                     for al in unit.alineas for s in split_sentences(al) if "décret" not in s and "decret" not in s)
        if not stated:
            return (f"L'article {unit.article} du CPP laisse à un décret ce que vous demandez (« {obj} ») ; ce décret ne figure "
                    f"pas dans le corpus ({CORPUS_NAME}) : je ne peux pas répondre sans inventer.")
    return None


# -- refusals --------------------------------------------------------------------------------------


def refusal_out_of_scope(label: str) -> str:
    return (
        f"Cette question relève {label}, qui ne figure pas dans le corpus ({CORPUS_NAME}) : "
        "je ne peux pas y répondre sans inventer."
    )


FOREIGN_COURT = (
    "Le corpus ne traite que des juridictions françaises (tableau des tribunaux judiciaires de l'article D. 15-4-4) : "
    "je ne peux pas répondre pour une autre juridiction sans inventer."
)

NUMBER_NOT_STATED = (
    f"Les dispositions du corpus ({CORPUS_NAME}) les plus proches de cette question ne fixent pas le chiffre, la durée "
    "ou la liste demandés : je ne peux pas les donner sans inventer."
)

NO_SUPPORT = (
    f"Le corpus ({CORPUS_NAME}) ne contient pas de disposition qui réponde à cette question : "
    "je ne peux pas y répondre sans inventer."
)


def missing_articles_message(missing: list[str]) -> str:
    if len(missing) == 1:
        return f"L'article {missing[0]} ne figure pas dans le corpus ({CORPUS_NAME}) : je ne peux pas en citer le texte."
    names = ", ".join(missing[:-1]) + " et " + missing[-1]
    return f"Les articles {names} ne figurent pas dans le corpus ({CORPUS_NAME}) : je ne peux pas en citer le texte."


def repealed_only_message(unit: Unit) -> str:
    return (
        f"Sur ce point, le corpus ne contient que l'ancienne rédaction de l'article {unit.article} du CPP, "
        "reproduite sous la forme d'un bloc **abrogé** : ce texte n'est plus en vigueur et ne peut fonder une réponse."
    )


def refuse(p: Prepared, catalog: Catalog, reason: str | None) -> Answer:
    lines = [reason or NO_SUPPORT]
    near = [h.unit for h in p.hits[:3]]
    if near:
        lines += ["", "Dispositions les plus proches du corpus (à vérifier, elles ne répondent pas nécessairement) :"]
        lines += [f"- {short_ref(u, catalog)} : {u.title if u.kind == 'circulaire' else first_words(u)}" for u in near]
    return Answer("\n".join(lines), refused=True, standalone_question=p.standalone, retrieved=retrieved_ids(p, catalog))


def short_ref(unit: Unit, catalog: Catalog) -> str:
    if unit.article:
        return f"CPP, art. {unit.article}" + (" (bloc abrogé)" if unit.abrogated else "")
    return f"{catalog.document(unit.doc_id).short_title}, {unit.ref}"


def first_words(unit: Unit, n: int = 14) -> str:
    words = unit.alineas[0].split() if unit.alineas else []
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def retrieved_ids(p: Prepared, catalog: Catalog) -> list[dict[str, Any]]:
    """Units the answer may rest on, best first: a tool's basis, then the candidates, then the other hits."""
    units: list[Unit] = []
    if p.tool is not None:
        units += [u for u in (unit_of_basis(catalog, b) for b in basis_of(p.tool.result)) if u is not None]
    units += [h.unit for h in p.candidates] + [h.unit for h in p.hits]
    out: list[dict[str, Any]] = []
    for u in units:
        if all(o["unit_id"] != u.unit_id for o in out):
            out.append({"unit_id": u.unit_id, "doc_id": u.doc_id, "article": u.article, "section": u.section, "abrogated": u.abrogated})
    return out


# -- the decision ----------------------------------------------------------------------------------


def ground(
    p: Prepared, catalog: Catalog, idf: Callable[[str], float], search_repealed: Callable[[str], list[Hit]], min_dense: float = 0.0
) -> None:
    """Decide whether the corpus supports an answer (else set ``p.refusal``) and which units it may rest on."""
    if p.refusal or p.tool is not None:
        return
    a = p.analysis
    assert a is not None
    if p.tool_error and p.tool_call_name == POLE_INSTRUCTION:
        # An unknown tribunal: say that the table does not list it (with near spellings), never answer from elsewhere.
        detail = p.tool_error.split(" : ", 1)[-1]
        p.refusal = detail[:1].upper() + detail[1:]
        p.hits = []
        return
    unknown = unknown_courts(catalog, p.question)
    if unknown:
        # « tribunal de Genève », « TJ de Springfield »: the corpus governs French courts, those of its table.
        p.refusal = " ".join(unknown) + " " + FOREIGN_COURT
        p.hits = []
        return
    subjects = a.pointed_at
    missing = missing_articles(a, catalog)
    asked_missing = [m.number for m in a.articles if m.asked and m.code is None and not catalog.units_for_article(m.number)]
    if (subjects and len(missing) == len(subjects) and _about_named_articles(a)) or asked_missing:
        # (« L'article 706-24-3 déroge à l'article 145-1 : que prévoit l'article 145-1… ? » asks the missing one)
        p.refusal = missing_articles_message(list(dict.fromkeys([*missing, *asked_missing])))
        return
    if missing:
        p.notices.append(missing_articles_message(missing))
    if a.kind == "status":
        p.notices += status_notices([r for r in subjects if r not in missing], catalog)
    present_subjects = [r for r in subjects if r not in missing]
    # Another branch of law refuses, unless the question is about an article of the corpus — but not when it asks
    # another code for the answer (« quelle peine le code pénal prévoit-il pour … l'article 706-73 »).
    asks_other_code = bool(_OTHER_CODE_ASKED.search(a.folded))
    topic = a.out_of_scope
    if topic is not None and ((topic.scope == "other-law" and asks_other_code) or not present_subjects):
        answering = None if asks_other_code else _corpus_answers_topic(topic, p, idf)
        if answering is None:
            p.refusal = refusal_out_of_scope(topic.label)
            return
        # The passage that states what the topic asks answers (« a le caractère d'une juridiction civile », 706-4).
        answering.pinned = True
        p.hits = [answering, *(h for h in p.hits if h is not answering)]
    if a.code_asked is not None:  # whatever the CPP article it starts from, the answer is in that code
        p.refusal = refusal_out_of_scope(f"du {a.code_asked}")
        return
    pinned = [h for h in p.hits if h.pinned]
    if pinned:
        # The articles the question is about answer it; for their text, status or list, nothing else is quoted.
        others = [] if a.kind in ("text", "status", "list") else [h for h in p.hits if not h.pinned]
        p.candidates = pinned + others[: max(0, CANDIDATES - len(pinned))]
        return
    named_first = bool(p.hits) and p.hits[0].unit.article in a.named  # the article the user points at, ranked first
    if named_first or supported(a, p.standalone, p.hits, catalog, idf, min_dense):
        if not _states_the_number_asked(p.question, p.hits[:3]):
            p.refusal = NUMBER_NOT_STATED
            return
        delegated = next(filter(None, (delegated_to_decree(p.question, h.unit) for h in p.hits[:3])), None)
        if delegated is not None:
            p.refusal = delegated
            return
    else:
        repealed = [h for h in search_repealed(p.standalone)[:3] if h.unit.abrogated]
        if repealed and supported(a, p.standalone, repealed, catalog, idf):
            p.refusal = repealed_only_message(repealed[0].unit)
            p.hits = repealed + p.hits
        else:
            p.refusal = NO_SUPPORT
        return
    top = p.hits[0].score
    p.candidates = [h for h in p.hits[:CANDIDATES] if h.score >= 0.3 * top]


def _corpus_answers_topic(topic: OutOfScopeTopic, p: Prepared, idf: Callable[[str], float]) -> Hit | None:
    """An out-of-scope topic that the corpus answers for this very question: one of its first passages states what
    the topic asks (« est puni de… » for a penalty Livre IV sets itself, 706-56) and covers the question — less of
    it when that alinéa or the one before names the act asked about (« …ayant effectué l'infiltration… » / « La
    révélation de l'identité de ces officiers… est punie de cinq ans », 706-84), or when it refers to its own article
    (« au présent article ») and the article or its headings name the act (706-25-7, the FIJAIT)."""
    if topic.answered_by is None or not p.hits or p.analysis is None:
        return None
    acts = vocabulary().acts
    for h in p.hits[:TOPIC_ANSWER_DEPTH]:
        alineas = [fold(al) for al in h.unit.alineas]
        # the alinéa that states it, with the one before (« La révélation de l'identité de ces officiers… »)
        # (« Quelle peine encourt… ? » wants a sentence stating one: « les délits punis de dix ans » only names offences)
        states = (topic.answered_by, PENALTY_STATED) if p.analysis.kind == "penalty" else (topic.answered_by,)
        stating = [" ".join(alineas[max(0, i - 1) : i + 1]) for i, f in enumerate(alineas) if all(s.search(f) for s in states)]
        if not stating:
            continue
        # « …les obligations prévues au présent article… est puni de deux ans » names what the whole article names
        whole = fold(" ".join((*h.unit.hierarchy, h.unit.text))) if any(_THIS_ARTICLE in f for f in stating) else ""
        names_act = any(acts[x].search(f) for f in (*stating, whole) for x in p.analysis.acts)
        if coverage(p.standalone, h.unit, idf) >= (TOPIC_ANSWERED_WITH_ACT if names_act else TOPIC_ANSWERED_COVERAGE):
            return h
    return None


def missing_articles(a: QuestionAnalysis, catalog: Catalog) -> list[str]:
    """The CPP articles the question is about that the corpus does not hold (no tool computes around them)."""
    return [r for r in a.pointed_at if not catalog.units_for_article(r)]


def status_notices(articles: list[str], catalog: Catalog) -> list[str]:
    """What the corpus shows about an article's status when the question asks whether it is in force."""
    lines = []
    for ref in articles:
        units = catalog.units_for_article(ref)
        live = [u for u in units if not u.abrogated]
        repealed = [u for u in units if u.abrogated]
        date = catalog.document(units[0].doc_id).version_label if units else ""
        if live and repealed:
            lines.append(
                f"Le corpus (version au {date}) contient le texte **en vigueur** de l'article {ref} et, sous le même "
                "numéro, un bloc **abrogé** (ancienne rédaction) : seul le premier s'applique."
            )
        elif repealed:
            lines.append(
                f"Dans le corpus (version au {date}), l'article {ref} n'apparaît que comme bloc **abrogé** : il n'est "
                "plus en vigueur ; son ancienne rédaction est reproduite ci-dessous pour information."
            )
        elif live:
            lines.append(f"L'article {ref} figure dans le corpus comme texte **en vigueur** (version au {date}).")
    return lines


def _about_named_articles(a: QuestionAnalysis) -> bool:
    """« Que dit l'article 999 ? » is about the article; « le JI pense que l'article 122-1 s'applique… » is not only."""
    rest = re.sub(r"\b\d{1,3}(?:[ -]\d+)+\b", " ", a.folded)
    return a.kind in ("text", "status", "list") or len(content_terms(rest)) <= 3
