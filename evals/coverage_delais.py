"""Coverage of the corpus's deadlines by the rules of the ``delai`` tool.

Lists every duration expression of the corpus (« dans un délai de dix jours », « quarante-huit heures », « un mois »,
« trois ans »…) with its article, classifies those that are not deadlines (penalties, ages, professional experience,
thresholds of a condition), and says for each remaining one whether a rule covers it: a rule covers an expression
when one of its basis quotes, in the same unit, contains it. Writes ``evals/reports/coverage_delais.md``.

Usage: ``python -m evals.coverage_delais [--min 0.8]`` (exit code 1 when Livre IV coverage is below ``--min``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from assistant.models import Unit, article_sort_key
from assistant.settings import Settings
from assistant.text import normalize_ws
from assistant.tools.rules import load_delai_rules, unit_for_basis
from indexing.parse import parse_corpus

REPORT = Path(__file__).resolve().parent / "reports" / "coverage_delais.md"

_NUM_WORDS = (
    "un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente|"
    "quarante|cinquante|soixante|cent|quatre-vingt|quatre-vingts"
)
_NUMBER = rf"(?:\d+|(?:{_NUM_WORDS})(?:[- ](?:et[- ])?(?:{_NUM_WORDS}|dix|vingts))*)"
EXPRESSION = re.compile(
    rf"\b{_NUMBER}\s+(?:jours?(?:\s+(?:ouvrables|francs))?|heures?|semaines?|mois|ans?|années?)\b", re.IGNORECASE
)

# Durations that are not deadlines: (category, regex on the text just before, regex on the text just after).
_COMPARISON = re.compile(
    r"(?:(?:égale?s?|supérieure?s?|inférieure?s?)(?: ou (?:égale?s?|supérieure?s?|inférieure?s?))? à|d'au moins|"
    r"punie?s? de|portées? à)\s*$",
    re.I,
)
_PENALTY_WORDS = re.compile(r"(?<!à )(?<!application des )\bpeines?\b|punie?s?\b|privatives? de liberté|emprisonnement|réclusion", re.I)
EXCLUSIONS: list[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None]] = [
    ("peine encourue ou prononcée", None, re.compile(r"^\s*(?:d'emprisonnement|de réclusion|de détention criminelle|de privation de liberté)", re.I)),
    ("âge", re.compile(r"(?:âgée?s? de(?: moins de)?|mineurs? de(?: moins de)?|de moins de|de treize à)\s*$", re.I), None),
    ("incapacité totale de travail", re.compile(r"incapacité totale de travail[^.;]{0,40}$", re.I), None),
    ("qualification professionnelle", re.compile(r"(?:expérience professionnelle minimale de|au moins égale à)\s*$", re.I), None),
    ("condition de résidence", re.compile(r"ininterrompue[^.;]{0,20}$", re.I), None),
    ("condition de résidence", None, re.compile(r"^\s*sur le territoire national", re.I)),
    ("condition de fond (ancienneté des faits ou de la détention)", re.compile(r"(?:identifié plus de|depuis plus de|depuis au moins)\s*$", re.I), None),
    ("contenu d'un formulaire", re.compile(r"si ce délai est inférieur à\s*$", re.I), None),
]


@dataclass
class Occurrence:
    unit: Unit
    expression: str
    start: int
    end: int
    context: str
    status: str  # "couverte", "non couverte", "exclue"
    detail: str


def _label(unit: Unit) -> str:
    if unit.article:
        return unit.article
    return f"§ {unit.section}" if unit.section else unit.title


def classify(text: str, start: int, end: int) -> str | None:
    """The reason why a duration is not a deadline (penalty threshold, age…), or None for a deadline."""
    before, after = text[max(0, start - 350) : start], text[end : end + 60]
    for category, before_re, after_re in EXCLUSIONS:
        if before_re is not None and before_re.search(before):
            return category
        if after_re is not None and after_re.search(after):
            return category
    # A threshold compared with a penalty: « peine privative de liberté d'une durée égale ou supérieure à trois ans ».
    if _COMPARISON.search(before) and _PENALTY_WORDS.search(before):
        return "peine encourue ou prononcée"
    return None


def quote_spans(units: list[Unit]) -> dict[str, list[tuple[int, int, str]]]:
    """For each unit id, the spans (in its whitespace-normalized text) of every rule quote citing it."""
    from assistant.catalog import Catalog

    catalog = Catalog([], units, [])
    spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for rule in load_delai_rules().values():
        for basis in rule.basis:
            unit = unit_for_basis(catalog, basis)
            if unit is None:
                continue
            text, quote = normalize_ws(unit.text), normalize_ws(basis.quote)
            for m in re.finditer(re.escape(quote), text):
                spans[unit.unit_id].append((m.start(), m.end(), rule.id))
    return spans


def scan(units: list[Unit]) -> list[Occurrence]:
    spans = quote_spans(units)
    out: list[Occurrence] = []
    for unit in units:
        if unit.abrogated:
            continue
        text = normalize_ws(unit.text)
        for m in EXPRESSION.finditer(text):
            context = text[max(0, m.start() - 70) : m.end() + 50]
            category = classify(text, m.start(), m.end())
            if category:
                out.append(Occurrence(unit, m.group(0), m.start(), m.end(), context, "exclue", category))
                continue
            rules = sorted({rid for s, e, rid in spans.get(unit.unit_id, ()) if s <= m.start() and m.end() <= e})
            status = "couverte" if rules else "non couverte"
            out.append(Occurrence(unit, m.group(0), m.start(), m.end(), context, status, ", ".join(rules)))
    return out


def summarize(occurrences: list[Occurrence]) -> tuple[int, int, int]:
    considered = [o for o in occurrences if o.status != "exclue"]
    covered = [o for o in considered if o.status == "couverte"]
    return len(occurrences), len(considered), len(covered)


def _pct(covered: int, considered: int) -> float:
    return covered / considered if considered else 1.0


def render(by_doc: dict[str, list[Occurrence]], titles: dict[str, str]) -> str:
    lines = [
        "# Couverture des délais du corpus par l'outil `delai`",
        "",
        "Généré par `python -m evals.coverage_delais` : ne pas modifier à la main.",
        "",
        "Une expression de durée (« dix jours », « quarante-huit heures », « un mois », « trois ans »…) est **couverte** "
        "lorsqu'une règle de `assistant/tools/rules/delais_*.toml` cite, dans le même article ou la même section, un "
        "passage qui la contient. Sont **exclues** du calcul les durées qui ne sont pas des délais : peines encourues ou "
        "prononcées, âges, incapacité totale de travail, qualifications professionnelles, conditions de résidence ou "
        "d'ancienneté (liste détaillée plus bas).",
        "",
        "| document | expressions | exclues | délais | couverts | couverture |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for doc_id, occ in by_doc.items():
        total, considered, covered = summarize(occ)
        lines.append(
            f"| {titles[doc_id]} | {total} | {total - considered} | {considered} | {covered} | {_pct(covered, considered):.1%} |"
        )
    lines.append("")
    lines.append(f"Règles de délai : {len(load_delai_rules())}.")
    for doc_id, occ in by_doc.items():
        lines += ["", f"## {titles[doc_id]}", ""]
        uncovered = [o for o in occ if o.status == "non couverte"]
        lines.append(f"### Délais non couverts ({len(uncovered)})")
        lines.append("")
        if uncovered:
            lines += ["| unité | expression | contexte |", "|---|---|---|"]
            lines += [f"| {_label(o.unit)} | {o.expression} | …{_md(o.context)}… |" for o in uncovered]
        else:
            lines.append("Aucun.")
        covered_occ = [o for o in occ if o.status == "couverte"]
        lines += ["", f"### Délais couverts ({len(covered_occ)})", "", "| unité | expression | règle(s) |", "|---|---|---|"]
        lines += [f"| {_label(o.unit)} | {o.expression} | {o.detail} |" for o in covered_occ]
        excluded = [o for o in occ if o.status == "exclue"]
        lines += ["", f"### Durées exclues (pas des délais) ({len(excluded)})", "", "| unité | expression | motif | contexte |", "|---|---|---|---|"]
        lines += [f"| {_label(o.unit)} | {o.expression} | {o.detail} | …{_md(o.context)}… |" for o in excluded]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _unit_order(u: Unit) -> tuple:
    return (article_sort_key(u.article) if u.article else ("", ()), u.position)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=0.8, help="Couverture minimale attendue pour le Livre IV.")
    parser.add_argument("--output", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    parsed = parse_corpus(Settings())  # type: ignore[call-arg]  # fields come from the environment
    titles = {d.doc_id: d.short_title if d.kind == "circulaire" else d.title for d in parsed.documents}
    occurrences = scan(parsed.units)
    by_doc: dict[str, list[Occurrence]] = {d.doc_id: [] for d in parsed.documents}
    for o in sorted(occurrences, key=lambda o: (_unit_order(o.unit), o.start)):
        by_doc[o.unit.doc_id].append(o)
    by_doc = {k: v for k, v in by_doc.items() if v}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(by_doc, titles), encoding="utf-8")

    for doc_id, occ in by_doc.items():
        total, considered, covered = summarize(occ)
        print(f"{doc_id}: {covered}/{considered} délais couverts ({_pct(covered, considered):.1%}), {total - considered} durées exclues")
    _, l4_considered, l4_covered = summarize(by_doc.get("cpp-legislatif-l4", []))
    ratio = _pct(l4_covered, l4_considered)
    print(f"Couverture Livre IV : {ratio:.1%} (rapport : {args.output})")
    return 0 if ratio >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
