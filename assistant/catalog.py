"""The parsed corpus as the assistant sees it: units by id and by article number, the pôles table, documents.

Built by indexing (``indexing.build``) and saved as JSON next to the Chroma collection; loaded here at query time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process as fuzz_process

from assistant.errors import UnknownArticleError
from assistant.models import DocumentInfo, PoleRow, Unit, normalize_article_ref
from assistant.text import fold

SCOPE_LIST_MIN_CITERS = 4
_CLAUSE_END = re.compile(r"[.;:\n]")
_SCOPES_SECTION = re.compile(r"\b(?:la présente section|le présent chapitre|la présente sous-section)\b", re.I)


_ITEM_REFERENCE = re.compile(
    r"\b(?:au|aux) (?P<first>\d+)°(?: (?:et|ou) (?:au )?(?P<second>\d+)°)? "
    r"(?:(?:du même article|de l'article|du I de l'article|du II de l'article) (?P<article>\d+(?:-\d+)*)|du présent article)"
)


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

    def unit_of_basis(self, doc_id: str, article: str | None, section: str | None, quote: str) -> Unit | None:
        """The live unit a legal basis (a tool's or a rule's) rests on — never a repealed block: a basis is law in
        force. An unnumbered circulaire paragraph is found by its quote. The one basis → unit lookup."""
        if article:
            return next((u for u in self.units_for_article(article) if u.doc_id == doc_id and not u.abrogated), None)
        if section:
            return self.section(doc_id, section)
        from assistant.verbatim import contains_quote

        return next((u for u in self.units_of(doc_id) if quote and contains_quote(u.text, quote)), None)

    # -- the cross-reference graph ------------------------------------------------------------

    def cites(self, unit: Unit) -> set[str]:
        """The articles a unit refers to (« l'une des infractions entrant dans le champ de l'article 706-73 »): a CPP
        article by its number, another code's by code and number (« code monétaire et financier L. 465-1 »)."""
        graph = self.__dict__.setdefault("_cites", {})
        if unit.unit_id not in graph:
            from assistant.references import find_references

            graph[unit.unit_id] = {r.number if r.code is None else f"{r.code} {r.number}" for r in find_references(unit.text)}
        return graph[unit.unit_id]

    def items_referred(self, sentence: str, unit: Unit) -> str:
        """The enumeration items a sentence refers to by number (« L'autorisation mentionnée au 2° du même article
        706-95-12 » → « 2° Au cours de l'information, par le juge d'instruction… »): what the sentence is about, for
        matching a question's words; never quoted. Computed once per sentence: every question's candidates ask it."""
        memo = self.__dict__.setdefault("_items_referred_memo", {})
        key = (unit.unit_id, sentence)
        if key not in memo:
            memo[key] = self._items_referred(sentence, unit)
        return memo[key]

    def _items_referred(self, sentence: str, unit: Unit) -> str:
        out = []
        for m in _ITEM_REFERENCE.finditer(sentence):
            target = unit if m.group("article") is None else next(
                (u for u in self.units_for_article(m.group("article")) if not u.abrogated), None)
            if target is None:
                continue
            for number in filter(None, (m.group("first"), m.group("second"))):
                out += [al for al in target.alineas if al.startswith(f"{number}° ")]
        return " ".join(out)

    def cited_by_count(self, article: str) -> int:
        """How many units refer to an article (its in-degree in the cross-reference graph)."""
        counts = self.__dict__.get("_in_degree")
        if counts is None:
            counts = {}
            for u in self.units:
                for number in self.cites(u):
                    counts[number] = counts.get(number, 0) + 1
            self.__dict__["_in_degree"] = counts
        return counts.get(article, 0)

    @staticmethod
    def is_enumeration(unit: Unit) -> bool:
        """A list article: most of its alinéas are numbered items « 1° … »."""
        items = sum(1 for al in unit.alineas if re.match(r"^\d+° ", al))
        return items >= 5 and items >= 0.6 * len(unit.alineas)

    def is_scope_list(self, unit: Unit) -> bool:
        """A list of offences that other articles apply to (706-73, 706-73-1, 706-47…): an enumeration many cite."""
        return bool(unit.article) and self.is_enumeration(unit) and self.cited_by_count(unit.article or "") >= SCOPE_LIST_MIN_CITERS

    def scope_text(self, unit: Unit) -> str:
        """What a unit covers, folded: its title, headings and text, its circulaire's title, and the offences of the
        lists it refers to (706-88 covers drug trafficking through the 3° of 706-73)."""
        cache = self.__dict__.setdefault("_scope", {})
        if unit.unit_id not in cache:
            cache[unit.unit_id] = fold(" ".join(self._scope_parts(unit, with_document_title=True)))
        return cache[unit.unit_id]

    def scope_clauses(self, unit: Unit) -> list[str]:
        """The unit's scope cut into folded clauses (an enumeration item, a sentence's part), without its circulaire's
        title: « escroquerie en bande organisée » is one clause of 706-73-1's scope."""
        cache = self.__dict__.setdefault("_scope_clauses", {})
        if unit.unit_id not in cache:
            parts = self._scope_parts(unit, with_document_title=False)
            cache[unit.unit_id] = [fold(c) for part in parts for c in _CLAUSE_END.split(part) if c.strip()]
        return cache[unit.unit_id]

    def _scope_parts(self, unit: Unit, with_document_title: bool) -> list[str]:
        parts = [unit.title, " ".join(unit.hierarchy), unit.text]
        if with_document_title and unit.kind == "circulaire":
            parts.append(self.document(unit.doc_id).title)
        for number in sorted(self.cites(unit)):
            parts += [u.text for u in self.units_for_article(number) if not u.abrogated and self.is_enumeration(u)]
        return parts

    def section_scope(self, unit: Unit) -> Unit | None:
        """The article that opens the unit's section and sets its scope (696-25 « La présente section est applicable… »
        for the simplified extradition), when there is one and it is not the unit itself."""
        openings = self.__dict__.get("_openings")
        if openings is None:
            openings = {}
            for u in sorted(self.units, key=lambda u: u.position):
                if u.kind == "code" and not u.abrogated:
                    openings.setdefault((u.doc_id, u.hierarchy), u)
            self.__dict__["_openings"] = openings
        opening = openings.get((unit.doc_id, unit.hierarchy)) if unit.kind == "code" and unit.hierarchy else None
        return opening if opening is not None and opening is not unit and _SCOPES_SECTION.search(opening.text) else None

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
