"""The ``pole-instruction`` tool: tribunal judiciaire → pôle de l'instruction and cour d'appel (table of D15-4-4).

Lookups are tolerant to case, accents, hyphens, apostrophes and the usual prefixes (« TJ de », « tribunal
judiciaire d' »…), but never guess: a name absent from the table gets an error with close spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.models import PoleRow
from assistant.text import fold
from assistant.verbatim import contains_quote

POLE_DOC = "cpp-reglementaire-d"
POLE_ARTICLE = "D15-4-4"
POLE_INTRO = (
    "Pour l'application des dispositions de l'article 52-1, les tribunaux judiciaires dans lesquels existe un pôle "
    "de l'instruction et le ressort de compétence territoriale de ces pôles sont déterminés comme suit :"
)

# Prefixes a user may put before the city name (folded form).
_PREFIXES = re.compile(
    r"^(?:(?:le |la |du |de la |au )?(?:pole de l instruction|pole d instruction|pole)(?: (?:de|d|du))? |"
    r"(?:le |du |au )?(?:tribunal judiciaire|tribunal de grande instance|tribunal|tj|tgi)(?: (?:de|d|du))? |"
    r"(?:la |de la )?cour d appel(?: (?:de|d|du))? |"
    r"(?:ca)(?: (?:de|d|du))? )+"
)
_ARTICLE = re.compile(r"^(?:des |du |de |d )?(?:les |le |la |l )")
_ABBREVIATIONS = ((re.compile(r"\bst\b"), "saint"), (re.compile(r"\bste\b"), "sainte"))


def de(name: str) -> str:
    """French « de » with elision: ``de("Auch")`` → « d'Auch », ``de("Laon")`` → « de Laon »."""
    return f"d'{name}" if fold(name)[:1] in "aeiouyh" else f"de {name}"


def city_keys(name: str) -> list[str]:
    """The key of a city name and, when it starts with an article, the key without it (« sables d olonne »)."""
    key = city_key(name)
    bare = _ARTICLE.sub("", key)
    return [key] if bare == key else [key, bare]


def city_key(name: str) -> str:
    """Lookup key of a city: folded, prefixes removed, « St » expanded (« TJ de Saint-Étienne » → « saint etienne »)."""
    key = fold(name)
    key = _PREFIXES.sub("", key + " ").strip() or key
    for pattern, repl in _ABBREVIATIONS:
        key = pattern.sub(repl, key)
    return key


@dataclass(frozen=True)
class PoleIndex:
    """The D15-4-4 rows indexed by tribunal and by seat."""

    rows: tuple[PoleRow, ...]
    by_tribunal: dict[str, PoleRow]
    by_seat: dict[str, PoleRow]
    aliases: dict[str, str]  # key without its article (« sables d olonne ») → key (« les sables d olonne »)
    appeal_courts: frozenset[str]  # keys of the cours d'appel the table names

    @classmethod
    def build(cls, poles: list[PoleRow]) -> PoleIndex:
        by_tribunal: dict[str, PoleRow] = {}
        by_seat: dict[str, PoleRow] = {}
        for row in poles:
            by_seat[city_key(row.siege)] = row
            for t in row.tribunaux:
                by_tribunal[city_key(t)] = row
        aliases: dict[str, str] = {}
        for key in list(by_tribunal) + list(by_seat):
            bare = _ARTICLE.sub("", key)
            if bare != key:
                aliases[bare] = key
        return cls(tuple(poles), by_tribunal, by_seat, aliases, frozenset(city_key(r.cour_appel) for r in poles))

    def resolve(self, key: str) -> str:
        """The table key for a user key, tolerating a dropped or contracted article (« des Sables-d'Olonne »)."""
        if key in self.by_tribunal or key in self.by_seat:
            return key
        alias = self.aliases.get(_ARTICLE.sub("", key))
        if alias is not None:
            return alias
        # The usual short name of a city whose official name is longer (« Cherbourg » → « Cherbourg-en-Cotentin »):
        # accepted only when one name of the table starts with it.
        bare = _ARTICLE.sub("", key)
        longer = {self.aliases.get(k, k) for k in (*self.by_tribunal, *self.by_seat, *self.aliases) if k.startswith(bare + " ")}
        return longer.pop() if len(longer) == 1 else key

    def tribunal_name(self, key: str) -> str:
        row = self.by_tribunal[key]
        return next(t for t in row.tribunaux if city_key(t) == key)


def _index(catalog: Catalog) -> PoleIndex:
    cached = getattr(catalog, "_pole_index", None)
    if cached is None or cached.rows != tuple(catalog.poles):
        cached = PoleIndex.build(catalog.poles)
        catalog._pole_index = cached  # type: ignore[attr-defined]  # per-catalog memo, rebuilt if poles change
    return cached


def _suggest(name: str, candidates: list[str]) -> list[str]:
    key = city_key(name)
    keyed = {city_key(c): c for c in candidates}
    found = process.extract(key, list(keyed), scorer=fuzz.WRatio, limit=4, score_cutoff=75)
    return [keyed[k] for k, _, _ in found]


def _basis(catalog: Catalog, row: PoleRow) -> list[dict[str, str]]:
    """The D15-4-4 intro sentence, plus the row's own lines (seat and tribunaux) when they are verbatim in the unit."""
    basis = [{"doc_id": POLE_DOC, "article": POLE_ARTICLE, "quote": POLE_INTRO}]
    try:
        text = catalog.article(POLE_ARTICLE).text
    except Exception:  # noqa: BLE001 - the table rows are data already; the quote is a bonus
        return basis
    row_quote = ", ".join(row.tribunaux) + "."
    seat_quote = f"{row.siege}."
    if contains_quote(text, f"{seat_quote}\n{row_quote}"):
        basis.append({"doc_id": POLE_DOC, "article": POLE_ARTICLE, "quote": f"{seat_quote} {row_quote}"})
    elif contains_quote(text, row_quote):
        basis.append({"doc_id": POLE_DOC, "article": POLE_ARTICLE, "quote": row_quote})
    return basis


def lookup_tribunal(catalog: Catalog, tribunal: str) -> dict[str, Any]:
    """Pôle de l'instruction and cour d'appel of a tribunal judiciaire listed in D15-4-4."""
    index = _index(catalog)
    key = index.resolve(city_key(tribunal))
    row = index.by_tribunal.get(key)
    if row is None:
        names = sorted({t for r in index.rows for t in r.tribunaux})
        near = _suggest(tribunal, names)
        hint = f" Orthographes proches : {', '.join(near)}." if near else ""
        raise InvalidToolInputError(
            "tribunal",
            f"le tribunal judiciaire « {tribunal} » ne figure pas dans le tableau de l'article D. 15-4-4.{hint}",
        )
    return {
        "tribunal": index.tribunal_name(key),
        "pole": row.siege,
        "cour_appel": row.cour_appel,
        "zone": row.zone,
        "basis": _basis(catalog, row),
    }


_NAMED_COURT = re.compile(
    r"\b(?P<kind>tribunal(?: judiciaire| correctionnel| de grande instance| de premi[èe]re instance)?|TJ|TGI|cour d['’]appel|p[ôo]le de l['’]instruction|JIRS|"
    r"juridiction interrégionale spécialisée)"
    r"\s+(?:de |d['’]|du )\s*"
    r"(?P<name>(?:[A-ZÉÈÂÎ][\w'’-]*)(?:[ -](?:(?:sur|en|l[eè]s|les|de|du|la|le|d['’])[ -])?[A-ZÉÈÂÎ][\w'’-]*)*)"
)


# A kind of tribunal that no text of the corpus knows (« tribunal cantonal de Rochefort »), whatever the city: the table
# lists tribunaux judiciaires. (« tribunal interrégional spécialisé » is a magistrate's name for a JIRS: not refused.)
_UNKNOWN_COURT_TYPE = re.compile(
    r"\btribunal (?P<type>cantonal|f[ée]d[ée]ral|de district|de canton|provincial|d['’]arrondissement|d[ée]partemental|"
    r"r[ée]gional|interr[ée]gional(?! sp[ée]cialis))\b",
    re.I,
)


def unknown_court_types(question: str) -> list[str]:
    """The refusal sentence for each kind of tribunal the corpus does not know, named in the question."""
    types = dict.fromkeys(m.group(0).lower() for m in _UNKNOWN_COURT_TYPE.finditer(question))
    return [f"Aucun « {kind} » ne figure dans le corpus : le tableau de l'article D. 15-4-4 ne connaît que des tribunaux "
            "judiciaires." for kind in types]


def unknown_courts(catalog: Catalog, question: str) -> list[str]:
    """Tribunals, JIRS and cours d'appel named in a question (« tribunal de Genève ») that the D15-4-4 table does not
    list, and kinds of tribunal it does not know (« tribunal cantonal »): the corpus governs French courts only, and
    those it names. Each comes with the refusal sentence to show."""
    index = _index(catalog)
    out = unknown_court_types(question)
    for m in _NAMED_COURT.finditer(question):
        name, key = m.group("name"), index.resolve(city_key(m.group("name")))
        if m.group("kind").startswith("cour"):
            if key not in index.appeal_courts and _ARTICLE.sub("", key) not in index.appeal_courts:
                near = _suggest(name, sorted({r.cour_appel for r in index.rows}))
                hint = f" Orthographes proches : {', '.join(near)}." if near else ""
                out.append(f"La cour d'appel {de(name)} ne figure pas dans le tableau de l'article D. 15-4-4.{hint}")
        elif m.group("kind").lower().startswith("p"):
            if key not in index.by_seat and key not in index.by_tribunal:
                near = _suggest(name, sorted({r.siege for r in index.rows}))
                hint = f" Sièges proches : {', '.join(near)}." if near else ""
                out.append(f"Le pôle de l'instruction {de(name)} ne figure pas dans le tableau de l'article D. 15-4-4.{hint}")
        elif key not in index.by_tribunal and key not in index.by_seat:
            near = _suggest(name, sorted({t for r in index.rows for t in r.tribunaux}))
            hint = f" Orthographes proches : {', '.join(near)}." if near else ""
            if m.group("kind").upper().startswith(("JIRS", "JURIDICTION")):  # a JIRS sits in a tribunal judiciaire
                out.append(f"La JIRS {de(name)} n'existe pas dans le corpus : aucun tribunal judiciaire {de(name)} ne figure "
                           f"dans le tableau de l'article D. 15-4-4.{hint}")
            else:
                out.append(f"Le tribunal {de(name)} ne figure pas dans le tableau de l'article D. 15-4-4.{hint}")
    return out


def lookup_pole(catalog: Catalog, pole: str) -> dict[str, Any]:
    """The tribunaux judiciaires covered by the pôle de l'instruction seated in ``pole``."""
    index = _index(catalog)
    row = index.by_seat.get(index.resolve(city_key(pole)))
    if row is None:
        seats = sorted(r.siege for r in index.rows)
        near = _suggest(pole, seats)
        hint = f" Sièges proches : {', '.join(near)}." if near else ""
        extra = ""
        trib_key = index.resolve(city_key(pole))
        trib_row = index.by_tribunal.get(trib_key)
        if trib_row is not None:
            extra = (
                f" Le tribunal judiciaire {de(index.tribunal_name(trib_key))} relève du pôle de l'instruction "
                f"{de(trib_row.siege)}."
            )
        raise InvalidToolInputError(
            "pole",
            f"« {pole} » n'est pas le siège d'un pôle de l'instruction dans le tableau de l'article D. 15-4-4.{extra}{hint}",
        )
    return {
        "pole": row.siege,
        "cour_appel": row.cour_appel,
        "zone": row.zone,
        "tribunaux": list(row.tribunaux),
        "basis": _basis(catalog, row),
    }


def run_pole_instruction(catalog: Catalog, arguments: dict[str, Any]) -> dict[str, Any]:
    """Entry point of ``pole-instruction``: ``{"tribunal": ...}`` or ``{"pole": ...}``, already validated by
    ``PoleInstructionArgs`` (``run_tool``)."""
    tribunal, pole = arguments.get("tribunal"), arguments.get("pole")
    if tribunal and tribunal.strip():
        return lookup_tribunal(catalog, tribunal)
    if pole and pole.strip():
        return lookup_pole(catalog, pole)
    raise InvalidToolInputError("tribunal", "indiquez un tribunal judiciaire (« tribunal ») ou le siège d'un pôle (« pole »).")
