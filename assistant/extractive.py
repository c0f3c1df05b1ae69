"""The default answer generator: deterministic and extractive. It never writes a legal rule in its own words.

It picks, in the best retrieved units, the sentences that share the most (rare) words with the question — with a
preference for sentences stating durations when the question asks "how long / until when" — and quotes them
verbatim, each followed by its reference « CPP, art. 706-88 (version en vigueur au 15/08/2022) ».
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.catalog import Catalog
from assistant.french import expand_abbreviations, tokenize
from assistant.models import Citation, Unit

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ«0-9IVX])")
_ABBREV_END = re.compile(r"(?:\bart|\bal|\bn°|\bp|\bcf|\b[A-Z]|\bL|\bR|\bD)\.$")
QUANTITY_Q = re.compile(r"\b(combien|durée|duree|délai|delai|jusqu|quand|maxim|minim|au plus tard|temps|fréquence|frequence)", re.I)
QUANTITY_S = re.compile(
    r"\b(heures?|jours?|mois|ans|années?|semaines?|délai|durée|vingt|quarante|quatre-vingt|trente|soixante|huit|dix|"
    r"quinze|renouvel\w*|prolong\w*|\d+)\b",
    re.I,
)
WHOLE_ARTICLE_Q = re.compile(r"\b(que (dit|prévoit|prevoit|contient|énonce)|texte de l|contenu de l|lire l|cite[rz]? l)", re.I)
MAX_WHOLE_ARTICLE_CHARS = 1600
SHORT_UNIT_CHARS = 900  # the best unit is quoted whole when it is this short: a partial quote would hide conditions
MAX_UNITS = 3
FIRST_UNIT_SENTENCES = 4
OTHER_UNIT_SENTENCES = 2


def split_sentences(text: str) -> list[str]:
    """Sentences of an alinéa, without cutting after « art. », « n° », « L. »…"""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _ABBREV_END.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [s.strip() for s in out if s.strip()]


def _scored_sentences(unit: Unit, q_terms: set[str], wants_quantity: bool, idf: Callable[[str], float]) -> list[tuple[float, int, str]]:
    scored: list[tuple[float, int, str]] = []
    for alinea in unit.alineas:
        for sentence in split_sentences(alinea):
            terms = set(tokenize(sentence))
            score = sum(idf(t) for t in q_terms & terms)
            if wants_quantity and QUANTITY_S.search(sentence):
                score *= 1.5
            score /= 1 + math.log1p(max(len(terms) - 25, 0)) / 4  # a very long sentence dilutes its matches
            scored.append((score, len(scored), sentence))
    return scored


def _best_score(unit: Unit, q_terms: set[str], wants_quantity: bool, idf: Callable[[str], float]) -> float:
    return max((s for s, _, _ in _scored_sentences(unit, q_terms, wants_quantity, idf)), default=0.0)


@dataclass
class Passage:
    unit: Unit
    quote: str
    score: float


def unit_citation(unit: Unit, catalog: Catalog, quote: str, role: str = "source") -> Citation:
    doc = catalog.document(unit.doc_id)
    return Citation(
        doc_id=unit.doc_id, doc_title=doc.short_title if unit.kind == "circulaire" else doc.title, kind=unit.kind,
        article=unit.article, section=unit.section, version_date=unit.version_date, quote=quote, unit_id=unit.unit_id,
        hierarchy=unit.hierarchy, abrogated=unit.abrogated, unverified=unit.unverified, role=role,  # type: ignore[arg-type]
    )


def reference_label(unit: Unit, catalog: Catalog) -> str:
    """« CPP, art. 706-88 (version en vigueur au 15/08/2022) » / « Circulaire du 5 mars 2025…, § 1.1 »."""
    return unit_citation(unit, catalog, "").label()


def select_passages(question: str, units: list[Unit], idf: Callable[[str], float], whole: bool = False) -> list[Passage]:
    """The best sentences of each unit for the question (at most three for the first unit, two for the others)."""
    q_terms = set(tokenize(expand_abbreviations(question)))
    wants_quantity = bool(QUANTITY_Q.search(question))
    passages: list[Passage] = []
    for rank, unit in enumerate(units):
        # Whole quotes for code articles only: a circulaire section's paragraphs may be separated in the source by
        # footnotes, and a quote must be one contiguous passage of the source.
        short = rank == 0 and len(unit.text) <= SHORT_UNIT_CHARS
        if unit.kind == "code" and ((whole and len(unit.text) <= MAX_WHOLE_ARTICLE_CHARS) or short):
            passages.append(Passage(unit, unit.text, 1.0 if whole else _best_score(unit, q_terms, wants_quantity, idf)))
            continue
        scored = _scored_sentences(unit, q_terms, wants_quantity, idf)
        limit = FIRST_UNIT_SENTENCES if rank == 0 else OTHER_UNIT_SENTENCES
        best = sorted(scored, key=lambda t: (-t[0], t[1]))[:limit]
        best = [b for b in best if b[0] > 0] or best[:1]
        for score, _pos, sentence in sorted(best, key=lambda t: t[1]):
            passages.append(Passage(unit, sentence, score))
    return passages


def compose(passages: list[Passage], catalog: Catalog, status_lines: list[str], whole: bool = False) -> tuple[str, list[Citation]]:
    """A one-line synthesis (the best passage, introduced by its reference), then every quoted passage.

    When whole articles are quoted (« que dit l'article … »), the synthesis only names them.
    """
    citations: list[Citation] = []
    lines: list[str] = list(status_lines)
    if passages:
        if lines:
            lines.append("")
        if whole:
            names = ", ".join(dict.fromkeys(_place(p.unit, catalog, lower=True) for p in passages))
            lines.append(f"Texte de {names} :")
        else:
            first_unit = passages[0].unit  # the best-ranked unit leads, with its best passage
            lead = max((p for p in passages if p.unit is first_unit), key=lambda p: p.score)
            lines.append(f"{_place(lead.unit, catalog)} : « {lead.quote} »")
            lines.append("")
            lines.append("**Passages cités**")
        for p in passages:
            lines.append("")
            lines.append(f"> « {p.quote} »")
            lines.append(f"> — {reference_label(p.unit, catalog)}")
            citations.append(unit_citation(p.unit, catalog, p.quote))
    lines.append("")
    lines.append(
        "_Réponse extractive : les passages sont cités mot pour mot depuis le corpus ; vérifiez le texte intégral "
        "avant toute décision._"
    )
    return "\n".join(lines), citations


def _place(unit: Unit, catalog: Catalog, lower: bool = False) -> str:
    context = f" ({unit.hierarchy[-1]})" if unit.hierarchy else ""
    if lower and unit.article:
        status = " (bloc abrogé, ancienne rédaction)" if unit.abrogated else ""
        return f"l'article {unit.article} du CPP{status}{context}"
    if unit.article:
        if unit.abrogated:
            return f"Dans l'ancienne rédaction de l'article {unit.article} du CPP (bloc abrogé, plus en vigueur){context}"
        unverified = " (numéro non vérifié)" if unit.unverified else ""
        return f"Selon l'article {unit.article}{unverified} du CPP{context}"
    doc = catalog.document(unit.doc_id)
    where = f", § {unit.section} « {unit.title} »" if unit.section else ""
    return f"Selon la {doc.short_title[0].lower()}{doc.short_title[1:]}{where}"
