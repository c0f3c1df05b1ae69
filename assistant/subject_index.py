"""The subject index (« index analytique ») of the corpus: for each unit, what it governs, the questions it answers
and the words a practitioner would type, written from the unit's own text (``subject_index.jsonl``).

A code prints such an index to lead a reader from a practitioner's words to the article; here it leads retrieval
there. Neighbouring articles share most of their words (706-159 creates the AGRASC, 706-160 lists its missions); their
index entries say what sets each apart. The entries are search aids only: never quoted, never shown as law.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.french import expand_abbreviations

INDEX_FILE = Path(__file__).with_name("subject_index.jsonl")


@dataclass(frozen=True)
class SubjectEntry:
    objet: str  # what the unit governs
    questions: tuple[str, ...]  # questions its own text answers
    mots: tuple[str, ...]  # a practitioner's words for its subject

    def text(self) -> str:
        """The entry as searched: its abbreviations with their long form (« JAP » finds « juge de l'application
        des peines »), as in a question."""
        return expand_abbreviations("\n".join((self.objet, *self.questions, " ; ".join(self.mots))))


@lru_cache(maxsize=1)
def subject_index() -> dict[str, SubjectEntry]:
    """Entries by unit id (``cpp-legislatif-l4:706-160``, ``circ-…:s2.1``)."""
    out: dict[str, SubjectEntry] = {}
    for line in INDEX_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[row["unit"]] = SubjectEntry(row["objet"], tuple(row["questions"]), tuple(row["mots"]))
    return out
