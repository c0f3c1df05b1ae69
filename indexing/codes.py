"""Split a CPP export into raw articles: one per ``•`` bullet, with its alinéas and entry-into-force notes.

The exports have no numbers and no headings (numbering is ``numbering.py``'s job). A line that belongs to no
bullet and is not a known header or web artefact is an error: nothing is skipped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.errors import CorpusError
from assistant.text import ARTICLE_NUMBER
from indexing.corpus import SourceFile

BULLET = "•"
ABROGATED_RE = re.compile(rf"^Article\s+(?P<num>[A-Z]?\.?\s?{ARTICLE_NUMBER})\s+\(abrogé\)$")
# Notes of Légifrance exports: entry into force, QPC decisions, transitional provisions. Once a note starts,
# the following paragraphs up to the next bullet belong to it (they continue the note: "Cette date a été reportée…").
NOTE_START_RE = re.compile(
    r"^(Conformément\b.*\b(vigueur|applicables?|s'appliqu)"
    r"|Se reporter aux conditions"
    r"|Par une décision n° ?\d"
    r"|Dans sa décision n° ?\d"
    r"|L'article unique de la loi"
    r"|Loi n° ?\d"
    r"|Aux termes (des dispositions )?(du|de l'article))"
)
HEADER_RE = re.compile(r"^(Code de procédure pénale|Version en vigueur au (?P<date>.+))$")
# Web-page artefacts of the export, dropped and counted (never silently).
ARTEFACT_LINES = frozenset({"Retourner en haut de la page"})


@dataclass
class RawArticle:
    """A bullet of the export before numbering."""

    position: int
    line_start: int
    line_end: int
    depth: int  # indentation of the bullet line, in spaces
    alineas: list[str] = field(default_factory=list)
    alinea_lines: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    abrogated_number: str | None = None  # set for "Article N (abrogé)" blocks

    @property
    def first_text(self) -> str:
        return self.alineas[0] if self.alineas else ""


@dataclass
class CodeParse:
    articles: list[RawArticle]
    header_version: str | None  # "15 août 2022" as printed in the file
    dropped_artefacts: list[int]  # line numbers of web artefacts removed


def parse_code_file(source: SourceFile) -> CodeParse:
    """Split a CPP export into bullets; raise ``CorpusError`` naming file and line for any stray line."""
    articles: list[RawArticle] = []
    header_version = None
    dropped: list[int] = []
    current: RawArticle | None = None
    in_note = False
    for lineno, raw in enumerate(source.lines, start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped in ARTEFACT_LINES:
            dropped.append(lineno)
            continue
        if stripped.startswith(BULLET):
            body = stripped[len(BULLET):].strip()
            if not body:
                raise CorpusError(f"{source.path.name}, ligne {lineno} : puce « • » sans texte.")
            current = RawArticle(
                position=len(articles), line_start=lineno, line_end=lineno, depth=len(raw) - len(raw.lstrip())
            )
            articles.append(current)
            in_note = False
            m = ABROGATED_RE.match(body)
            if m:
                current.abrogated_number = re.sub(r"[\s.]", "", m.group("num"))
                continue  # the "Article N (abrogé)" line is a label, not text
            current.alineas.append(body)
            current.alinea_lines.append(lineno)
            continue
        if current is None:
            m = HEADER_RE.match(stripped)
            if not m:
                raise CorpusError(
                    f"{source.path.name}, ligne {lineno} : ligne hors de tout article, impossible à rattacher : « {stripped[:80]} »."
                )
            header_version = m.group("date") or header_version
            continue
        current.line_end = lineno
        if in_note or NOTE_START_RE.match(stripped):
            in_note = True
            current.notes.append(stripped)
        else:
            current.alineas.append(stripped)
            current.alinea_lines.append(lineno)
    for art in articles:
        if not art.alineas:
            raise CorpusError(f"{source.path.name}, ligne {art.line_start} : article sans texte.")
    return CodeParse(articles=articles, header_version=header_version, dropped_artefacts=dropped)
