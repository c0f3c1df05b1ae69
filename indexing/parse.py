"""Turn the five source documents into numbered, versioned legal units (and the D15-4-4 rows).

``parse_corpus`` is the single entry point: load and check the files, split codes into bullets and number them,
split circulaires into sections, and report what was cleaned out so that nothing disappears unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.errors import CorpusError
from assistant.models import DocumentInfo, PoleRow, Unit, format_date_fr
from assistant.settings import Settings
from indexing.circulaires import parse_circulaire
from indexing.codes import parse_code_file
from indexing.corpus import SourceFile, corpus_hash, load_sources
from indexing.numbering import load_toc, number_articles
from indexing.poles import is_pole_table, parse_pole_table


@dataclass
class ParseReport:
    """What parsing did beyond splitting: low-confidence numbers, removed artefacts. Printed by ``index build``."""

    units_per_doc: dict[str, int] = field(default_factory=dict)
    low_confidence: list[tuple[str, str, float]] = field(default_factory=list)  # (doc_id, article, confidence)
    unverified: list[tuple[str, str]] = field(default_factory=list)
    dropped_lines: dict[str, list[int]] = field(default_factory=dict)  # web artefacts, URL and mailto lines


@dataclass
class ParsedCorpus:
    documents: list[DocumentInfo]
    units: list[Unit]
    poles: list[PoleRow]
    corpus_hash: str
    report: ParseReport


def parse_corpus(settings: Settings) -> ParsedCorpus:
    sources = load_sources(settings.corpus_dir)
    report = ParseReport()
    units: list[Unit] = []
    poles: list[PoleRow] = []
    for source in sources:
        if source.info.kind == "code":
            doc_units, doc_poles = _parse_code(source, settings, report)
            poles.extend(doc_poles)
        else:
            doc_units = _parse_circulaire(source, report)
        report.units_per_doc[source.info.doc_id] = len(doc_units)
        units.extend(doc_units)
    if not poles:
        raise CorpusError("Le tableau des pôles de l'instruction (article D15-4-4) est introuvable dans le corpus.")
    return ParsedCorpus([s.info for s in sources], units, poles, corpus_hash(sources), report)


def _parse_code(source: SourceFile, settings: Settings, report: ParseReport) -> tuple[list[Unit], list[PoleRow]]:
    info = source.info
    parsed = parse_code_file(source)
    if info.version_date and parsed.header_version != format_date_fr(info.version_date):
        raise CorpusError(
            f"{source.path.name} : version « {parsed.header_version} » en tête du fichier, "
            f"mais {info.version_date} dans le manifeste."
        )
    if not info.toc:
        raise CorpusError(f"Le manifeste ne donne pas de table de référence pour « {info.doc_id} ».")
    numbers = number_articles(parsed.articles, load_toc(source.path.parent / info.toc))
    report.dropped_lines[info.doc_id] = parsed.dropped_artefacts
    units: list[Unit] = []
    poles: list[PoleRow] = []
    seen_ids: set[str] = set()
    last_hierarchy: tuple[str, ...] = ()
    for art in parsed.articles:
        alineas = list(art.alineas)
        if art.abrogated_number is not None:
            article, confidence, hierarchy, unverified = art.abrogated_number, 1.0, last_hierarchy, False
            unit_id = f"{info.doc_id}:{article}:abroge"
        else:
            n = numbers[art.position]
            article, confidence, hierarchy, unverified = n.number, n.confidence, n.hierarchy, n.unverified
            unit_id = f"{info.doc_id}:{article}"
            last_hierarchy = hierarchy
            if unverified:
                report.unverified.append((info.doc_id, article))
            elif confidence < settings.numbering_min_confidence:
                report.low_confidence.append((info.doc_id, article, confidence))
            if is_pole_table(alineas[0]):
                rows, groups = parse_pole_table(list(zip(art.alinea_lines[1:], alineas[1:], strict=True)), source.path.name)
                poles.extend(rows)
                text_of = dict(zip(art.alinea_lines, alineas, strict=True))
                # One alinéa per cour d'appel keeps each pôle with its court when the unit is chunked.
                alineas = [alineas[0]] + ["\n".join(text_of[ln] for ln in g) for g in groups]
        suffix = 2
        while unit_id in seen_ids:
            unit_id = f"{unit_id.rsplit('#', 1)[0]}#{suffix}"
            suffix += 1
        seen_ids.add(unit_id)
        title = f"Article {article}" + (" (abrogé)" if art.abrogated_number else "")
        units.append(
            Unit(
                unit_id=unit_id, doc_id=info.doc_id, kind="code", position=art.position, article=article, section=None,
                title=title, hierarchy=hierarchy, alineas=tuple(alineas), notes=tuple(art.notes),
                version_date=info.version_date, abrogated=art.abrogated_number is not None, unverified=unverified,
                confidence=confidence, line_start=art.line_start, line_end=art.line_end,
            )
        )
    return units, poles


def _parse_circulaire(source: SourceFile, report: ParseReport) -> list[Unit]:
    info = source.info
    parsed = parse_circulaire(source)
    report.dropped_lines[info.doc_id] = parsed.dropped_link_lines
    units: list[Unit] = []
    titles: dict[str, str] = {}
    for position, sec in enumerate(parsed.sections):
        if sec.section:
            titles[sec.section] = f"{sec.section}. {sec.title}"
            parents = sec.section.split(".")[:-1]
            hierarchy = tuple(titles[".".join(parents[: i + 1])] for i in range(len(parents)) if ".".join(parents[: i + 1]) in titles)
            unit_id = f"{info.doc_id}:s{sec.section}"
        else:
            hierarchy = ()
            unit_id = f"{info.doc_id}:{_slug(sec.title)}"
        alineas = tuple(sec.paragraphs) if sec.paragraphs else (sec.title,)
        notes = tuple(f"{_superscript(n)} {text}" for n, text in sec.footnotes)
        units.append(
            Unit(
                unit_id=unit_id, doc_id=info.doc_id, kind="circulaire", position=position, article=None,
                section=sec.section, title=sec.title, hierarchy=hierarchy, alineas=alineas, notes=notes,
                version_date=info.version_date, line_start=min(sec.lines, default=0), line_end=max(sec.lines, default=0),
            )
        )
    return units


def _slug(title: str) -> str:
    return title.lower().replace("é", "e").replace(" ", "-")


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰"))
