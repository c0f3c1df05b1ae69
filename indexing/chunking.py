"""Cut units into chunks for embedding: whole alinéas, a small overlap, and a header that situates the chunk.

A chunk id is ``<unit_id>#<n>``: stable as long as the unit keeps its place; its content hash tells whether the
text (and so the embedding) changed.
"""

from __future__ import annotations

import hashlib
import re

from assistant.errors import CorpusError
from assistant.models import Chunk, DocumentInfo, Unit


def chunk_header(unit: Unit, doc: DocumentInfo) -> str:
    if unit.article:
        label = f"{doc.short_title}, article {unit.article}" + (" (abrogé, ancienne rédaction)" if unit.abrogated else "")
    elif unit.section:
        label = f"{doc.short_title}, § {unit.section} {unit.title}"
    else:
        label = f"{doc.short_title}, {unit.title}"
    path = " > ".join(unit.hierarchy)
    return f"[{label}]" + (f" {path}" if path else "")


def _blocks(unit: Unit, max_chars: int) -> list[str]:
    """Alinéas (an over-long one cut between sentences), plus a circulaire's footnotes (guidance too)."""
    blocks = list(unit.alineas) + (list(unit.notes) if unit.kind == "circulaire" else [])
    out: list[str] = []
    for block in blocks:
        if len(block) <= max_chars:
            out.append(block)
            continue
        piece = ""
        for sentence in re.split(r"(?<=[.;:])\s+(?=[A-ZÀ-Ü0-9«])", block):
            if piece and len(piece) + len(sentence) + 1 > max_chars:
                out.append(piece)
                piece = sentence
            else:
                piece = f"{piece} {sentence}" if piece else sentence
        out.append(piece)
    return out


def chunk_unit(unit: Unit, doc: DocumentInfo, max_chars: int, overlap: int) -> list[Chunk]:
    header = chunk_header(unit, doc)
    blocks = _blocks(unit, max_chars)
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        if current and size + len(block) > max_chars:
            groups.append(current)
            current = current[-overlap:] if overlap else []
            size = sum(len(b) for b in current)
        current.append(block)
        size += len(block)
    if current and (not groups or current != groups[-1][-len(current):]):
        groups.append(current)
    chunks = []
    for n, group in enumerate(groups):
        body = "\n\n".join(group)
        digest = hashlib.sha256(f"{header}\n{body}".encode()).hexdigest()[:16]
        chunks.append(
            Chunk(
                chunk_id=f"{unit.unit_id}#{n}", unit_id=unit.unit_id, doc_id=unit.doc_id, kind=unit.kind,
                article=unit.article, section=unit.section, hierarchy=unit.hierarchy, version_date=unit.version_date,
                abrogated=unit.abrogated, line_start=unit.line_start, line_end=unit.line_end,
                header=header, body=body, content_hash=digest,
            )
        )
    return chunks


def chunk_units(units: list[Unit], documents: list[DocumentInfo], max_chars: int, overlap: int) -> list[Chunk]:
    docs = {d.doc_id: d for d in documents}
    chunks = [c for u in units for c in chunk_unit(u, docs[u.doc_id], max_chars, overlap)]
    for c in chunks:
        _check_metadata(c)
    return chunks


def _check_metadata(chunk: Chunk) -> None:
    """Citations are data: a chunk that cannot be cited precisely is refused, not indexed."""
    missing = [name for name in ("doc_id", "kind", "unit_id") if not getattr(chunk, name)]
    if chunk.kind == "code" and not chunk.article:
        missing.append("article")
    if chunk.line_start <= 0 or chunk.line_end < chunk.line_start:
        missing.append("line span")
    if missing:
        raise CorpusError(f"Chunk {chunk.chunk_id} sans métadonnées obligatoires : {', '.join(missing)}.")
