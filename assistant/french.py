"""French lexical analysis for retrieval: accent folding, elisions, stop words, Snowball stemming.

Article numbers (``706-73``, ``D15-4-4``, ``D. 15-4-4``, ``R. 170``) are kept as whole tokens so that a question
naming an article matches that article's references exactly.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

from assistant.text import fold_accents
from assistant.vocabulary import vocabulary

# Determiners, pronouns, auxiliaries and question words: they carry no legal meaning in a question.
STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle elles en et est etre eu il ils je la le les leur leurs lui ma mais me
    meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses si son sont sur ta te tes toi ton tu un une
    vos votre vous y l d j m n s t c qu jusqu lorsqu puisqu quoi quel quelle quels quelles quand comment combien dont ou
    ai as avons avez ont suis es sommes etes etait etaient sera seront serait peut peuvent doit doivent faut fait faire
    cela ca ceci celui celle ceux celles tout tous toute toutes autre autres plus moins tres bien alors donc aussi ainsi
    article articles art cpp code procedure penale alinea dit dire prevoit prevu prevue quoi est-ce lequel laquelle agit
    """.split()
)

_ELISION_RE = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.I)
_TOKEN_RE = re.compile(r"[a-z]\d+(?:-\d+)*|\d+(?:-\d+)*|[a-zà-ÿœæ]+")
# A word typed without accents ends like its accented form for the stemmer: « autorisee » is « autorisée ».
_UNACCENTED_ENDING = re.compile(r"(?<=[a-z]{3})ee(s?)$")
_stemmer = snowballstemmer.stemmer("french")


# Abbreviations magistrates use and everyday words for legal notions: data in vocabulary.toml (known everywhere).
ABBREVIATIONS = vocabulary().abbreviations
THESAURUS = vocabulary().thesaurus
_THESAURUS_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(THESAURUS, key=len, reverse=True)) + r")\b", re.I)
_ABBREV_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b", re.I)


# An hour of the night (« à 3h du mat », « vers 23 h 30 ») is « de nuit »: outside the hours of article 59.
_NIGHT_HOUR_RE = re.compile(
    r"\b(?:à|a|vers|dès|des|avant)\s+(?:2[2-3]|0?[0-5])\s?h(?:eures?)?(?:\s?[0-5]\d)?\b(?:\s+du mat(?:in)?\b)?"
    r"|\b(?:2[2-3]|0?[0-5])\s?h(?:eures?)?(?:\s?[0-5]\d)?\s+du mat(?:in)?\b", re.I)
NIGHT = "de nuit"  # (which the thesaurus says as the texts do)


def expand_abbreviations(text: str) -> str:
    """Append the long form after each abbreviation or everyday word: « GAV » → « GAV (garde à vue) »."""
    text = _ABBREV_RE.sub(lambda m: f"{m.group(0)} ({ABBREVIATIONS[m.group(0).lower()]})", text)
    text = _NIGHT_HOUR_RE.sub(lambda m: f"{m.group(0)} ({NIGHT})", text)
    return _THESAURUS_RE.sub(lambda m: f"{m.group(0)} ({THESAURUS[m.group(0).lower()]})", text)


_ABROAD = "à l'étranger"
_ABROAD_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k, v in THESAURUS.items() if v == _ABROAD) + r")\b", re.I)


def with_abroad(text: str) -> str:
    """A place abroad named in the text (« un viol commis en Espagne ») said as the texts say it (« à l'étranger »),
    and nothing else expanded: the competence matters are looked for in the magistrate's own words."""
    return _ABROAD_RE.sub(lambda m: f"{m.group(0)} ({_ABROAD})", text)


@lru_cache(maxsize=1)
def abbreviation_senses() -> dict[str, frozenset[str]]:
    """The token of each one-word abbreviation and the content words of its long form: one concept written two ways.
    A text that writes « DEE » is no rarer a match for a question on the décision d'enquête européenne than one that
    spells it out (retrieval counts both forms as one term's documents)."""
    out: dict[str, frozenset[str]] = {}
    for short, long in ABBREVIATIONS.items():
        tokens = tokenize(short)
        words = frozenset(content_terms(long))
        if len(tokens) == 1 and words and tokens[0] not in words:
            out[tokens[0]] = words
    return out


# « 2e prolongation », « 2ème demande »: an ordinal typed in digits, which the texts write in words (« seconde
# prolongation »).
_ORDINALS = {"1": "premier", "2": "second", "3": "troisième", "4": "quatrième", "5": "cinquième"}
_ORDINAL_RE = re.compile(r"\b([1-5])(?:er|re|ère|ere|e|è|ème|eme|ième|ieme|nde?)\b", re.I)


def _join_article_numbers(text: str) -> str:
    """``D. 15-4-4`` → ``d15-4-4`` so the tokenizer keeps it whole; plain numbers are left as they are."""
    return re.sub(r"\b([RDAL])\s?\.\s?(\d)", lambda m: m.group(1) + m.group(2), text, flags=re.I)


_stemmer_lock = threading.Lock()  # snowball stemmers are not thread-safe (API threads stem concurrently)


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    with _stemmer_lock:
        return _stemmer.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, elision-stripped, stemmed and then accent-folded content tokens; article numbers kept whole.

    The French stemmer reads accents (« adressée » → « adress », but « adressee » → « adresse »): a word is stemmed
    with its accents and folded after, so that « adressée » and « adresser » meet."""
    text = text.replace("’", "'").replace("\u2011", "-").replace("\u2013", "-")
    text = _ELISION_RE.sub(" ", text)
    text = _ORDINAL_RE.sub(lambda m: _ORDINALS[m.group(1)], _join_article_numbers(text))
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    out = []
    for tok in _TOKEN_RE.findall(text):
        folded = fold_accents(tok)
        if folded in STOP_WORDS:
            continue
        if tok[0].isalpha() and not any(ch.isdigit() for ch in tok):
            if len(folded) < 2:
                continue
            out.append(fold_accents(stem(tok if tok != folded else _UNACCENTED_ENDING.sub(r"ée\1", tok))))
        else:
            out.append(fold_accents(tok))
    return out


def concept_groups(question: str) -> list[set[str]]:
    """The question's content words as concepts: each word alone, except that an abbreviation or everyday word and
    the corpus words it stands for (« DGSI » → « service spécialisé de renseignement ») form one concept, found in a
    text when any of its words is. Coverage counts concepts, so an expansion never makes a question harder to cover."""
    spans: list[tuple[int, int, str]] = [(m.start(), m.end(), ABBREVIATIONS[m.group(0).lower()]) for m in _ABBREV_RE.finditer(question)]
    for m in _THESAURUS_RE.finditer(question):
        if all(m.end() <= a or m.start() >= b for a, b, _ in spans):
            spans.append((m.start(), m.end(), THESAURUS[m.group(0).lower()]))
    groups: list[set[str]] = []
    last = 0
    for a, b, expansion in sorted(spans):
        groups += [{t} for t in sorted(content_terms(question[last:a]))]
        group = content_terms(question[a:b]) | content_terms(expand_abbreviations(expansion))
        if group:
            groups.append(group)
        last = b
    groups += [{t} for t in sorted(content_terms(question[last:]))]
    return groups


def content_terms(text: str) -> set[str]:
    """The distinct stemmed words of a text, numbers excluded: used to measure how much of a question a unit covers."""
    return {t for t in tokenize(text) if t[0].isalpha() and not t[1:2].isdigit()}
