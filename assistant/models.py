"""Data classes shared by indexing and the assistant: documents, legal units, chunks, pôles, citations.

They are plain dataclasses so that the index artefacts (JSON) and the answers carry the same fields.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.normalize import normalize_input
from assistant.text import ARTICLE_NUMBER, MONTHS_FR

Kind = Literal["code", "circulaire"]


@dataclass(frozen=True)
class DocumentInfo:
    """One corpus document as declared in ``corpus/manifest.json``."""

    doc_id: str
    title: str
    short_title: str
    kind: Kind
    version_date: str | None  # ISO date, or None when the text does not state it ("non précisée")
    reference: str | None  # NOR / circulaire reference
    file: str
    sha256: str
    toc: str | None = None  # reference table of contents (codes only)

    @property
    def version_label(self) -> str:
        return format_date_fr(self.version_date) if self.version_date else "non précisée"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Unit:
    """A legal unit: one article of a code (live or repealed block) or one numbered section of a circulaire."""

    unit_id: str
    doc_id: str
    kind: Kind
    position: int  # order in its document
    article: str | None  # normalized number ("706-88", "D15-4-4") for code units
    section: str | None  # section number as printed ("1.1") for circulaire units
    title: str  # section title, or "Article 706-88"
    hierarchy: tuple[str, ...]  # Livre > Titre > ... (codes) or parent sections (circulaires)
    alineas: tuple[str, ...]  # cleaned paragraphs, in order
    notes: tuple[str, ...] = ()  # entry-into-force notes (codes) or footnotes (circulaires)
    version_date: str | None = None
    abrogated: bool = False  # an "Article N (abrogé)" block: former text, no longer law
    unverified: bool = False  # number not confirmed by any reference source
    confidence: float | None = None  # alignment confidence of the article number (codes)
    line_start: int = 0  # 1-based, inclusive, in the source file
    line_end: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(self.alineas)

    @property
    def ref(self) -> str:
        """Human label of the unit: ``art. 706-88`` or ``§ 1.1``."""
        if self.article:
            return f"art. {self.article}"
        return f"§ {self.section}" if self.section else self.title

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Unit:
        d = dict(d)
        for key in ("hierarchy", "alineas", "notes"):
            d[key] = tuple(d.get(key) or ())
        return cls(**d)


@dataclass(frozen=True)
class Chunk:
    """A piece of a unit sized for embedding; ``header`` situates it (document, article, heading path)."""

    chunk_id: str
    unit_id: str
    doc_id: str
    kind: Kind
    article: str | None
    section: str | None
    hierarchy: tuple[str, ...]
    version_date: str | None
    abrogated: bool
    line_start: int
    line_end: int
    header: str
    body: str
    content_hash: str

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.body}"

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for Chroma (no None, no lists)."""
        return {
            "unit_id": self.unit_id,
            "doc_id": self.doc_id,
            "kind": self.kind,
            "article": self.article or "",
            "section": self.section or "",
            "hierarchy": " > ".join(self.hierarchy),
            "version_date": self.version_date or "",
            "abrogated": self.abrogated,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class PoleRow:
    """One row of the table of article D15-4-4: a pôle de l'instruction and the tribunaux it covers."""

    cour_appel: str
    siege: str
    tribunaux: tuple[str, ...]
    zone: str  # "métropole", "départements d'outre-mer", "collectivités d'outre-mer"
    line: int  # source line of the seat

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PoleRow:
        return cls(**{**d, "tribunaux": tuple(d["tribunaux"])})


def api_doc(description: str, **extra: Any) -> dict[str, Any]:
    """Field metadata of a dataclass the API returns as is: its French description (and examples) in the OpenAPI."""
    return {"description": description, **extra}


@dataclass(frozen=True)
class Citation:
    """A verbatim passage of the corpus supporting an answer (shape of ``api_contract.md``; the API's ``CitationOut`` is
    made from these fields and their descriptions)."""

    doc_id: str = field(metadata=api_doc("Identifiant du document (voir GET /v1/documents).", examples=["cpp-legislatif-l4"]))
    doc_title: str = field(metadata=api_doc("Titre du document."))
    kind: Kind = field(metadata=api_doc("Nature du document."))
    article: str | None = field(metadata=api_doc("Numéro normalisé de l'article (codes), ex. « 706-88 », « D15-4-4 »."))
    section: str | None = field(metadata=api_doc("Numéro de section d'une circulaire, tel qu'imprimé (« 1.1 »)."))
    version_date: str | None = field(metadata=api_doc("Date de la version du texte (AAAA-MM-JJ), ou null si non précisée."))
    quote: str = field(metadata=api_doc("Passage du corpus cité mot pour mot (espaces normalisés)."))
    unit_id: str = field(default="", metadata=api_doc("Identifiant de l'unité (article ou section) dans le corpus."))
    hierarchy: tuple[str, ...] = field(
        default_factory=tuple, metadata=api_doc("Chemin des titres : Livre > Titre > Chapitre > Section.")
    )
    abrogated: bool = field(default=False, metadata=api_doc("Bloc abrogé (ancienne rédaction, plus en vigueur)."))
    unverified: bool = field(default=False, metadata=api_doc("Numéro d'article non confirmé par les tables de référence."))
    role: Literal["source", "renvoi"] = field(default="source", metadata=api_doc(
        "« source » : passage qui fonde la réponse ; « renvoi » : article mentionné par un passage cité.",
        examples=["source", "renvoi"],
    ))
    in_corpus: bool = field(default=True, metadata=api_doc(
        "false : article mentionné mais absent du corpus (la citation est le passage qui le mentionne)."
    ))
    alinea: int | None = field(default=None, metadata=api_doc(
        "Alinéa de l'article d'où vient le passage (1 = premier alinéa) ; null pour une circulaire."
    ))
    code: str | None = field(default=None, metadata=api_doc(
        "Pour un renvoi à un autre code : son nom (« code pénal ») ; null pour le CPP."
    ))

    def label(self, with_version: bool = True) -> str:
        """« CPP, art. 706-88, al. 6 (version en vigueur au 15/08/2022) »; another code by its name, never « CPP ».

        ``with_version=False`` leaves the version date out (said once already in the same answer)."""
        date = format_date_num(self.version_date) if self.version_date and with_version else None
        if self.code:
            return f"{self.code}, art. {self.article} (hors du corpus)"
        if self.article:
            base = f"CPP, art. {self.article}" + (f", al. {self.alinea}" if self.alinea else "")
            if not self.in_corpus:
                return f"{base} (hors du corpus)"
            if self.unverified:
                base += " (numéro non vérifié)"
            if self.abrogated:
                return f"{base} (abrogé ; ancienne rédaction)"
            return f"{base} (version en vigueur au {date})" if date else base
        where = f", § {self.section}" if self.section else ""
        return f"{self.doc_title}{where}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hierarchy"] = list(self.hierarchy)
        return d


def format_date_fr(iso: str) -> str:
    """``2022-08-15`` → ``15 août 2022``."""
    y, m, d = (int(p) for p in iso.split("-"))
    day = "1er" if d == 1 else str(d)
    return f"{day} {MONTHS_FR[m - 1]} {y}"


def format_date_num(iso: str) -> str:
    """``2022-08-15`` → ``15/08/2022``."""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


_REF_RE = re.compile(r"^(?:art(?:icle)?\.?\s*)?(?P<letter>[RDA])?\.?\s*(?P<num>" + ARTICLE_NUMBER + r")(?:\s*(?:du\s+)?(?:CPP|code de procédure pénale))?$", re.I)


def normalize_article_ref(ref: str) -> str | None:
    """Normalize the usual spellings of an article number: ``art. D. 15-4-4`` → ``D15-4-4``, ``article 706-88 CPP`` → ``706-88``.

    Returns None when ``ref`` does not look like an article number.
    """
    s = re.sub(r"\s+", " ", normalize_input(ref).strip()).strip(" .")
    s = re.sub(r"^l['’]\s*", "", s, flags=re.I)
    m = _REF_RE.match(s)
    if not m:
        return None
    letter = (m.group("letter") or "").upper()
    return f"{letter}{m.group('num')}"


def article_sort_key(article: str) -> tuple[str, tuple[int, ...]]:
    """Order article numbers as the code does: ``706-9`` < ``706-10``; letter prefix first."""
    m = re.match(rf"^([A-Z]?)({ARTICLE_NUMBER})$", article)
    if not m:
        return ("~", ())
    return (m.group(1), tuple(int(p) for p in m.group(2).split("-")))
