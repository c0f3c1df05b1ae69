"""Small text helpers shared by the tools: accent folding, whitespace normalization, verbatim-quote checks."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = "\u2019\u2018\u02bc\u00b4`"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"


def normalize_ws(text: str) -> str:
    """Collapse every run of whitespace (incl. no-break spaces) to one space; unify apostrophes and dashes."""
    for ch in _APOSTROPHES:
        text = text.replace(ch, "'")
    for ch in _DASHES:
        text = text.replace(ch, "-")
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes/hyphens/punctuation turned into single spaces: a lookup key."""
    text = normalize_ws(text).lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("œ", "oe").replace("æ", "ae")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def contains_quote(haystack: str, quote: str) -> bool:
    """True when ``quote`` is a substring of ``haystack`` once whitespace, apostrophes and dashes are normalized."""
    return normalize_ws(quote) in normalize_ws(haystack)
