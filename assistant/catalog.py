"""The parsed corpus as the assistant sees it: units by id and by article number, the pôles table, documents.

Built by indexing (``indexing.build``) and saved as JSON next to the Chroma collection; loaded here at query time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process as fuzz_process

from assistant.errors import UnknownArticleError
from assistant.models import DocumentInfo, PoleRow, Unit, normalize_article_ref


@dataclass
class Catalog:
    """Units, documents and the D15-4-4 table, with lookups by reference."""

    documents: list[DocumentInfo]
    units: list[Unit]
    poles: list[PoleRow]
    _by_id: dict[str, Unit] = field(init=False, repr=False)
    _by_article: dict[str, list[Unit]] = field(init=False, repr=False)
    _docs: dict[str, DocumentInfo] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {u.unit_id: u for u in self.units}
        self._by_article = {}
        for u in self.units:
            if u.article:
                self._by_article.setdefault(u.article, []).append(u)
        # Live text first, repealed blocks after: a lookup by number answers with the law in force.
        for same in self._by_article.values():
            same.sort(key=lambda u: (u.abrogated, u.position))
        self._docs = {d.doc_id: d for d in self.documents}

    def document(self, doc_id: str) -> DocumentInfo:
        return self._docs[doc_id]

    def unit(self, unit_id: str) -> Unit:
        return self._by_id[unit_id]

    def units_for_article(self, ref: str) -> list[Unit]:
        """All units carrying that number (live first, then repealed blocks); empty when unknown."""
        article = normalize_article_ref(ref)
        return list(self._by_article.get(article or "", []))

    def article(self, ref: str) -> Unit:
        """The unit for an article reference in any usual spelling; raises ``UnknownArticleError`` with near matches."""
        found = self.units_for_article(ref)
        if found:
            return found[0]
        raise UnknownArticleError(ref, self.suggest_articles(ref))

    def suggest_articles(self, ref: str, limit: int = 5) -> list[str]:
        key = normalize_article_ref(ref) or ref.strip()
        matches = fuzz_process.extract(key, list(self._by_article), limit=limit, score_cutoff=60)
        return [m[0] for m in matches]

    def article_numbers(self) -> set[str]:
        return set(self._by_article)

    def units_of(self, doc_id: str) -> list[Unit]:
        return [u for u in self.units if u.doc_id == doc_id]

    def section(self, doc_id: str, section: str) -> Unit | None:
        for u in self.units:
            if u.doc_id == doc_id and u.section == section:
                return u
        return None

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        payload = {
            "documents": [d.to_dict() for d in self.documents],
            "units": [u.to_dict() for u in self.units],
            "poles": [p.to_dict() for p in self.poles],
        }
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Catalog:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            documents=[DocumentInfo(**d) for d in payload["documents"]],
            units=[Unit.from_dict(u) for u in payload["units"]],
            poles=[PoleRow.from_dict(p) for p in payload["poles"]],
        )


def live_units(units: Iterable[Unit]) -> list[Unit]:
    return [u for u in units if not u.abrogated]
