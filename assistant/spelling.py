"""Typing slips in a question (« perquisitioner », « prolongaton », « infiltartion »), corrected against the corpus's
own words before the question is analysed: a magistrate typing fast should not lose the act he asks about.

Only a long word (``MIN_LENGTH`` letters) that neither the corpus, the vocabulary nor a French dictionary knows is
corrected (« centaines », « algérien », « collègue » are French words the corpus lacks, not slips), and only to a
corpus word one edit away (a letter missing, added, replaced, or two letters swapped), the most frequent if several:
a short or known word is never touched, so a correct question is left as it is. A capitalised word inside a sentence
is a name (« au large du Finistère », not « Ministère »), never a slip.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from assistant.text import fold_accents
from assistant.vocabulary import vocabulary

MIN_LENGTH = 8
_WORD_RE = re.compile(r"[A-Za-zÀ-ÿœæ]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> set[str]:
    """Every string one edit away from ``word`` (folded, lower-case letters)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts


@lru_cache(maxsize=1)
def french_words() -> frozenset[str]:
    """The words of pyspellchecker's French dictionary (140,000 forms, inflections included), folded."""
    from spellchecker import SpellChecker

    return frozenset(fold_accents(w) for w in SpellChecker(language="fr", distance=1).word_frequency.dictionary)


class Speller:
    """The corpus's words (folded) with their most frequent written form, and the correction of a question."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w.lower() for w in _WORD_RE.findall(text))
        self.frequency: Counter[str] = Counter()
        self.written: dict[str, str] = {}
        for word, n in counts.most_common():
            folded = fold_accents(word)
            self.frequency[folded] += n
            self.written.setdefault(folded, word)  # (most_common: the most frequent written form comes first)
        french_words()  # loaded with the assistant, not on the first question that holds an unknown word
        voc = vocabulary()
        for key in (*voc.abbreviations, *voc.thesaurus):  # the magistrates' words the vocabulary knows (« perquisitionner »)
            for word in _WORD_RE.findall(key.lower()):
                self.written.setdefault(fold_accents(word), word)
                self.frequency[fold_accents(word)] += 0  # known, but after any corpus word

    def correct(self, question: str) -> str:
        """The question with each unknown long word replaced by the corpus word one edit away; names kept."""
        return _WORD_RE.sub(lambda m: m.group(0) if _is_name(question, m) else self._word(m.group(0)), question)

    def _word(self, word: str) -> str:
        folded = fold_accents(word.lower())
        if len(folded) < MIN_LENGTH or folded in self.frequency or folded in french_words():
            return word
        candidates = [w for w in _edits(folded) if w in self.frequency]
        if not candidates:
            return word
        best = self.written[max(candidates, key=lambda w: (self.frequency[w], w))]  # (a vocabulary word counts 0)
        return best[:1].upper() + best[1:] if word[:1].isupper() else best  # (« Perquisitioner » opens a sentence)


def _is_name(text: str, m: re.Match[str]) -> bool:
    """A capitalised word that does not open a sentence (a place, a person): « Finistère », « Mont-de-Marsan »."""
    before = text[: m.start()].rstrip(" «\"'(")
    return m.group(0)[:1].isupper() and bool(before) and before[-1] not in ".?!:;\n"
