"""Is a quote verbatim in the corpus? Compared up to whitespace and Markdown markup (bold, ``[text](#)`` links).

Used by the LLM generator's checks, the evaluation runner, the tools' bases (``contains_quote``), the chat's
highlighting (``find_quote``) and the tests: the one definition of "verbatim".
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from assistant.models import DocumentInfo
from assistant.text import normalize_ws

_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WS_RE = re.compile(r"\s+")


def match_key(text: str) -> str:
    """The comparison form: Markdown links reduced to their text, ``*`` removed, all whitespace removed."""
    text = _LINK_RE.sub(r"\1", text).replace("*", "")
    return _WS_RE.sub("", text)


def contains_quote(haystack: str, quote: str) -> bool:
    """True when ``quote`` is a substring of ``haystack`` once whitespace, apostrophes and dashes are normalized: a
    tool's basis quoted from one unit's text (``Unit.text`` is already plain, no Markdown)."""
    return normalize_ws(quote) in normalize_ws(haystack)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text``, its words separated by any whitespace (a line break in the source counts
    as a space): the span to highlight, or None when the quote (or an empty one) is not there."""
    words = quote.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None


class CorpusText:
    """The raw source files of the corpus, for verbatim checks."""

    def __init__(self, corpus_dir: Path, documents: list[DocumentInfo]) -> None:
        self.corpus_dir = corpus_dir
        self.documents = documents

    @cached_property
    def _keys(self) -> dict[str, str]:
        return {d.doc_id: match_key((self.corpus_dir / d.file).read_text(encoding="utf-8")) for d in self.documents}

    def contains(self, quote: str, doc_id: str | None = None) -> bool:
        """True when the quote (non-empty) appears in that document, or in any document when ``doc_id`` is None.

        A quote cut by « […] » (a sentence that a page break and its footnotes interrupt in the source) is verbatim
        when each piece is, in that order.
        """
        pieces = [match_key(p) for p in quote.split(ELLIPSIS)]
        if not all(pieces):
            return False
        keys = [self._keys[doc_id]] if doc_id in self._keys else list(self._keys.values())
        return any(_in_order(pieces, k) for k in keys)

    def verbatim_pieces(self, quote: str, doc_id: str) -> list[str] | None:
        """Cut a quote that is not one contiguous passage of the source into the fewest verbatim pieces (at word
        boundaries, in order); None when some part is not in the source at all."""
        key = self._keys.get(doc_id)
        if key is None:
            return None
        words = quote.split()
        pieces: list[str] = []
        start, pos = 0, 0
        while start < len(words):
            end = len(words)
            while end > start and (found := key.find(match_key(" ".join(words[start:end])), pos)) < 0:
                end -= 1
            if end == start:
                return None
            pos = found + len(match_key(" ".join(words[start:end])))
            pieces.append(" ".join(words[start:end]))
            start = end
        return pieces


ELLIPSIS = "[…]"


def _in_order(pieces: list[str], key: str) -> bool:
    pos = 0
    for piece in pieces:
        found = key.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True
