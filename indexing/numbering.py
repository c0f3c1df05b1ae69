"""Give each live bullet of a CPP export its article number and heading path from the reference table of contents.

The corpus and the reference are different consolidations (articles added, repealed or reworded in between), so
numbering is a monotonic alignment of two ordered sequences by text similarity (dynamic programming), not a
lookup. Each number carries the similarity it was assigned with; a bullet with no acceptable counterpart gets a
provisional number flagged ``unverified`` instead of a guess presented as fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from assistant.errors import CorpusError
from assistant.text import strip_accents
from indexing.codes import RawArticle

PREFIX_CHARS = 160  # the reference keeps the first 160 characters of each article
UNMATCHED_PENALTY = 0.45  # leaving a bullet unnumbered costs this much; a match below it is not worth it


@dataclass(frozen=True)
class TocArticle:
    number: str
    first_words: str
    hierarchy: tuple[str, ...]
    index: int


@dataclass(frozen=True)
class Numbering:
    """Result for one live bullet."""

    number: str
    confidence: float
    hierarchy: tuple[str, ...]
    unverified: bool


def load_toc(path: Path) -> list[TocArticle]:
    """Read a reference TSV (``H depth heading`` / ``A number first-words``) into articles with their heading path."""
    if not path.is_file():
        raise CorpusError(f"Table de référence introuvable : {path}")
    stack: dict[int, str] = {}
    out: list[TocArticle] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[0] not in ("H", "A"):
            raise CorpusError(f"{path.name}, ligne {lineno} : ligne de table de référence illisible.")
        kind, a, b = parts
        if kind == "H":
            depth = int(a)
            stack = {d: h for d, h in stack.items() if d < depth}
            stack[depth] = b.strip()
        else:
            hierarchy = tuple(stack[d] for d in sorted(stack))
            out.append(TocArticle(number=a.strip(), first_words=b.strip(), hierarchy=hierarchy, index=len(out)))
    return out


def _key(text: str) -> str:
    """Comparison form: lower case, no accents, straight apostrophes, single spaces, first 160 characters."""
    text = strip_accents(text.replace("’", "'").replace("\u00a0", " ")).lower()
    return re.sub(r"\s+", " ", text).strip()


def _similarity_matrix(bullets: list[str], toc: list[TocArticle]) -> np.ndarray:
    a = [_key(t)[:PREFIX_CHARS] for t in bullets]
    b = [_key(t.first_words)[:PREFIX_CHARS] for t in toc]
    # Compare equal-length prefixes: the reference is cut at 160 characters, short articles are shorter.
    sims = cdist(a, b, scorer=fuzz.ratio, dtype=np.float32, workers=1) / 100.0
    short = [i for i, s in enumerate(a) if len(s) < PREFIX_CHARS]
    for i in short:
        for j, bj in enumerate(b):
            n = min(len(a[i]), len(bj))
            if n and sims[i, j] > 0.3:
                sims[i, j] = max(sims[i, j], fuzz.ratio(a[i][:n], bj[:n]) / 100.0)
    return sims


def align(bullets: list[str], toc: list[TocArticle]) -> list[int | None]:
    """Monotonic alignment maximizing total similarity; returns, for each bullet, the matched toc index or None."""
    sims = _similarity_matrix(bullets, toc)
    n, m = sims.shape
    score = np.zeros((n + 1, m + 1), dtype=np.float64)
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 = match, 1 = skip bullet, 2 = skip toc article
    score[1:, 0] = -UNMATCHED_PENALTY * np.arange(1, n + 1)
    move[1:, 0] = 1
    move[0, 1:] = 2
    for i in range(1, n + 1):
        row_prev = score[i - 1]
        for j in range(1, m + 1):
            best, how = row_prev[j - 1] + sims[i - 1, j - 1], 0
            skip_bullet = row_prev[j] - UNMATCHED_PENALTY
            if skip_bullet > best:
                best, how = skip_bullet, 1
            skip_toc = score[i, j - 1]
            if skip_toc > best:
                best, how = skip_toc, 2
            score[i, j] = best
            move[i, j] = how
    result: list[int | None] = [None] * n
    i, j = n, m
    while i > 0:
        how = int(move[i, j]) if j > 0 else 1
        if how == 0:
            result[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return result


def number_articles(articles: list[RawArticle], toc: list[TocArticle]) -> dict[int, Numbering]:
    """Numbers for the live bullets (keyed by bullet position). Repealed blocks keep the number they print."""
    live = [a for a in articles if a.abrogated_number is None]
    matches = align([a.first_text for a in live], toc)
    out: dict[int, Numbering] = {}
    previous: Numbering | None = None
    for art, match in zip(live, matches, strict=True):
        if match is not None:
            entry = toc[match]
            numbering = Numbering(entry.number, round(_best_sim(art.first_text, entry.first_words), 3), entry.hierarchy, False)
        else:
            # No counterpart in the reference: a provisional number after the previous article, flagged.
            base = previous.number if previous else "0"
            numbering = Numbering(f"{base}-1", 0.0, previous.hierarchy if previous else (), True)
        out[art.position] = numbering
        previous = numbering
    return out


def _best_sim(a: str, b: str) -> float:
    ka, kb = _key(a)[:PREFIX_CHARS], _key(b)[:PREFIX_CHARS]
    n = min(len(ka), len(kb))
    return max(fuzz.ratio(ka, kb), fuzz.ratio(ka[:n], kb[:n])) / 100.0
