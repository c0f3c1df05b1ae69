"""Text keys shared by every package: typography normalization, accent folding, French month names, the article-number pattern.

A leaf module (it imports nothing of the project), so that ``indexing`` may use it too: the one definition of each.
Whether a quote is verbatim is decided in ``assistant.verbatim``; article references are read by ``assistant.references``.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = "\u2019\u2018\u02bc\u00b4`"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def normalize_ws(text: str) -> str:
    """Collapse every run of whitespace (incl. no-break spaces) to one space; unify apostrophes and dashes."""
    for ch in _APOSTROPHES:
        text = text.replace(ch, "'")
    for ch in _DASHES:
        text = text.replace(ch, "-")
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def strip_accents(text: str) -> str:
    """Combining marks removed after NFKD decomposition (« é » → « e »); ligatures kept."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold_accents(text: str) -> str:
    """Accents removed and the ligatures « œ », « æ » spelled out; case kept."""
    return strip_accents(text).replace("œ", "oe").replace("æ", "ae")


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes/hyphens/punctuation turned into single spaces: a lookup key."""
    text = fold_accents(normalize_ws(text).lower())
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


# An article number as the codes print it, without its letter: « 706-88 », « 15-4-4 », « 63 » (regex fragment).
ARTICLE_NUMBER = r"\d+(?:-\d+)*"

# Month names as a regex alternation, each also without its accent (« fevrier », « aout », « decembre »).
MONTHS_PATTERN = "|".join(dict.fromkeys(v for m in MONTHS_FR for v in (m, fold_accents(m))))


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ«0-9IVX])")
_ABBREV_END = re.compile(r"(?:\bart|\bal|\bn°|\bp|\bcf|\b[A-Z]|\bL|\bR|\bD)\.$")


def split_sentences(text: str) -> list[str]:
    """Sentences of an alinéa, without cutting after « art. », « n° », « L. »…"""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _ABBREV_END.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [s.strip() for s in out if s.strip()]
