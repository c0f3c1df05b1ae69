"""Split a circulaire into units: preamble, numbered sections (``1.``, ``1.1``, ``3.3.1``…) or paragraphs, conclusion.

Cleaning done here, in code, never in the source: Markdown emphasis and ``[text](#)`` links reduced to their text,
PDF line breaks re-flowed into paragraphs, URL-only and ``mailto:`` lines removed (counted), footnotes moved to
the unit that calls them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexing.corpus import SourceFile

SECTION_RE = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(?P<title>\S.*)$")
MD_FOOTNOTE_RE = re.compile(r"^(?P<marks>[¹²³⁴⁵⁶⁷⁸⁹⁰]+)\s*(?P<text>.+)$")
PDF_FOOTNOTE_RE = re.compile(r"^(?P<num>\d{1,2}) (?P<text>[A-ZÉÈÀÂ].+)$")
LINK_LINE_RE = re.compile(r"^(https?://|mailto:)\S*$")
SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
CONCLUSION_MARK = "*"


@dataclass
class RawSection:
    """A unit of a circulaire before it becomes an ``assistant.models.Unit``."""

    section: str | None
    title: str
    paragraphs: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    footnotes: list[tuple[int, str]] = field(default_factory=list)  # (number, text)


@dataclass
class CirculaireParse:
    sections: list[RawSection]
    metadata: dict[str, str]
    dropped_link_lines: list[int]


def clean_markdown(text: str) -> str:
    """``**gras**`` → ``gras``, ``[articles 706-73](#)`` → ``articles 706-73``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\*{1,3}([^*]+?)\*{1,3}", r"\1", text)
    return text.replace("**", "").strip()


def _paragraphs_markdown(source: SourceFile) -> tuple[list[tuple[int, str]], list[int]]:
    out, dropped = [], []
    for lineno, line in enumerate(source.lines, start=1):
        s = line.strip()
        if not s:
            continue
        if LINK_LINE_RE.match(s):
            dropped.append(lineno)
            continue
        out.append((lineno, s))
    return out, dropped


def _paragraphs_pdf(source: SourceFile) -> tuple[list[tuple[int, str]], list[int]]:
    """Re-flow a PDF extraction: visual lines are separated by empty lines, paragraphs by a line of spaces."""
    out: list[tuple[int, str]] = []
    dropped: list[int] = []
    buf: list[str] = []
    start = 0

    def flush() -> None:
        nonlocal buf
        if buf:
            text = ""
            for piece in buf:
                if text.endswith("-") and not text.endswith(" -"):
                    text += piece  # "729-" + "2 du CPP" was one word cut by the page layout
                else:
                    text = f"{text} {piece}" if text else piece
            out.append((start, re.sub(r"\s+", " ", text).strip()))
        buf = []

    for lineno, line in enumerate(source.lines, start=1):
        s = line.strip()
        if line == "":
            continue  # visual line break inside a paragraph
        if not s:
            flush()  # a line of spaces ends a paragraph
            continue
        if LINK_LINE_RE.match(s):
            dropped.append(lineno)
            flush()
            continue
        # A new numbered heading or footnote also starts a paragraph even without a separator line.
        if buf and (_looks_like_heading(s) or PDF_FOOTNOTE_RE.match(s)):
            flush()
        if not buf:
            start = lineno
        buf.append(s)
    flush()
    return out, dropped


def _looks_like_heading(s: str) -> bool:
    m = SECTION_RE.match(s)
    return m is not None and m.group("title")[0].isupper() and "." in s[: len(m.group("num")) + 1]


def parse_circulaire(source: SourceFile) -> CirculaireParse:
    pdf = source.path.suffix == ".txt"
    paragraphs, dropped = (_paragraphs_pdf if pdf else _paragraphs_markdown)(source)
    metadata: dict[str, str] = {}
    sections: list[RawSection] = [RawSection(section=None, title="Préambule")]
    numbered = any(_is_heading(text, pdf) for _, text in paragraphs)
    expected_footnote = 1
    for lineno, raw in paragraphs:
        text = raw if pdf else clean_markdown(raw)
        if not text:
            continue
        for key, pattern in (("nor", r"NOR\s*(?:n°)?\s*:?\s*(?:NOR n°)?\s*(JUS\w+)"), ("titre", r"^T(?:itre|ITRE)\s*:\s*(.+)$"), ("date", r"^Paris, le (.+)$")):
            m = re.search(pattern, text)
            if m and key not in metadata:
                metadata[key] = m.group(1).strip()
        fn = _footnote(text, pdf, expected_footnote)
        if fn:
            number, note = fn
            sections[-1].footnotes.append((number, note))
            expected_footnote = number + 1
            continue
        if _continues_body(sections[-1], text):
            # A page break (with its footnotes and link lines) cut a body paragraph: the next page goes on with it.
            sections[-1].paragraphs[-1] = f"{sections[-1].paragraphs[-1]} {text}"
            continue
        if pdf and sections[-1].footnotes and sections[-1].footnotes[-1][0] == expected_footnote - 1 and _continues_footnote(sections[-1], text):
            n, prev = sections[-1].footnotes[-1]
            sections[-1].footnotes[-1] = (n, f"{prev} {text}")
            continue
        if text == CONCLUSION_MARK:
            if sections[-1].section is not None:
                sections.append(RawSection(section=None, title="Conclusion"))
            continue
        if numbered and _is_heading(text, pdf):
            m = SECTION_RE.match(text)
            assert m
            sections.append(RawSection(section=m.group("num"), title=m.group("title").strip()))
            sections[-1].lines.append(lineno)
            continue
        if not numbered and "titre" in metadata and sections[-1].section is None and sections[-1].title == "Préambule":
            if text.startswith(("TITRE", "Titre")):
                sections[-1].paragraphs.append(text)
                sections[-1].lines.append(lineno)
                continue
        if not numbered and "titre" in metadata:
            # Unnumbered circulaire: each body paragraph is a unit of its own.
            if not _is_signature(text) and not text.startswith("- "):
                sections.append(RawSection(section=None, title=f"Paragraphe {sum(1 for s in sections if s.title.startswith('Paragraphe')) + 1}"))
        sections[-1].paragraphs.append(text)
        sections[-1].lines.append(lineno)
    _move_footnotes_to_callers(sections)
    return CirculaireParse(sections=[s for s in sections if s.paragraphs or s.section], metadata=metadata, dropped_link_lines=dropped)


def _is_heading(text: str, pdf: bool) -> bool:
    m = SECTION_RE.match(text)
    if not m or not m.group("title")[:1].isupper():
        return False
    num = m.group("num")
    # "1. La structuration…" / "1.1 La consolidation…": a section number, not "15 mars" or a list item "1° …".
    return len(m.group("title")) > 8 and int(num.split(".")[0]) < 10 and ("." in num or text[len(num)] == ".")


def _is_signature(text: str) -> bool:
    return bool(re.fullmatch(r"[A-ZÉ][a-zé]+ [A-ZÉ]{3,}", text))


def _footnote(text: str, pdf: bool, expected: int) -> tuple[int, str] | None:
    if pdf:
        m = PDF_FOOTNOTE_RE.match(text)
        if m and int(m.group("num")) == expected:
            return expected, m.group("text")
        return None
    m = MD_FOOTNOTE_RE.match(text)
    if m:
        return int(m.group("marks").translate(SUPERSCRIPT)), m.group("text")
    return None


def _continues_body(section: RawSection, text: str) -> bool:
    """A paragraph starting in lower case after a body paragraph left unfinished (no final punctuation) continues it."""
    if not section.paragraphs or not text[:1].islower():
        return False
    return not section.paragraphs[-1].rstrip().endswith((".", ":", ";", "!", "?", "»", ")"))


def _continues_footnote(section: RawSection, text: str) -> bool:
    """In the PDF, a footnote cut by a page continues on the next paragraph when it starts in lower case."""
    return text[:1].islower() or section.footnotes[-1][1].rstrip().endswith(",")


def _move_footnotes_to_callers(sections: list[RawSection]) -> None:
    """Attach each footnote to the unit whose text carries its call mark (¹, ²…); else it stays where it was printed."""
    found = [(number, note, sec) for sec in sections for number, note in sec.footnotes]
    for sec in sections:
        sec.footnotes = []
    for number, note, origin in found:
        mark = str(number).translate(str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰"))
        caller = next((s for s in sections if any(re.search(mark + r"(?![¹²³⁴⁵⁶⁷⁸⁹⁰])", p) for p in s.paragraphs)), origin)
        caller.footnotes.append((number, note))
    for sec in sections:
        sec.footnotes.sort()
