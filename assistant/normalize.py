"""Input normalization at the edge: what a user pastes from Word or a PDF, made parseable before anything reads it.

One function, ``normalize_input``, applied by every front door (API schemas and path parameters, chat, CLI, tool
arguments) before any parsing: Unicode NFKC, every dash and hyphen variant to ``-``, zero-width and bidirectional
control characters removed. « 706–88 » (en dash), « 706‑88 » (non-breaking hyphen), « 706−88 » (minus sign) and
« 706\u200b-88 » all become « 706-88 ».
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Every dash, hyphen and minus variant (NFKC already maps a few, e.g. the full-width and small hyphen-minus).
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u058a\u05be\u1806\u30fc"
# Invisible characters: zero-width, word joiner, BOM, soft hyphen, bidirectional marks, embeddings and isolates.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_TRANSLATE = {ord(c): "-" for c in DASHES} | {ord(c): None for c in INVISIBLE}
# Other control characters (C0/C1) except tab and line breaks become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize_input(text: str) -> str:
    """NFKC, dashes to ``-``, invisible and control characters removed. Idempotent; never raises on a ``str``."""
    if not text:
        return text
    out = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return _CONTROL.sub(" ", out)


def normalize_value(value: Any) -> Any:
    """``normalize_input`` applied to every string in a JSON-like value (tool arguments): keys and values."""
    if isinstance(value, str):
        return normalize_input(value)
    if isinstance(value, dict):
        return {normalize_value(k): normalize_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_value(v) for v in value]
    return value


__all__ = ["normalize_input", "normalize_value"]
