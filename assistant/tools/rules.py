"""The rules of the deterministic tools, kept as data (TOML files in ``rules/``) and loaded into typed objects.

Every rule rests on the corpus: each ``basis`` names a document, an article (codes) or a section (circulaires)
and a verbatim quote of that unit. ``verify_basis`` checks the quotes against a ``Catalog`` (the tests do it
for every rule), so a rule whose article changes wording fails loudly instead of answering with stale text.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.catalog import Catalog
from assistant.models import Unit, normalize_article_ref
from assistant.verbatim import contains_quote

RULES_DIR = Path(__file__).resolve().parent / "rules"

UNITS = ("heures", "jours", "jours_ouvrables", "semaines", "mois", "ans")
KINDS = ("limite", "plus_tot", "fin", "echeance")
COUNTINGS = ("a_compter", "de")
NATURES = ("exclusive", "concurrente", "extension")
STAGES = ("enquete", "poursuite", "instruction", "jugement", "application_des_peines", "entraide")


class RuleDataError(ValueError):
    """A rules file is malformed (a programming error of the rules data, caught by the tests)."""


@dataclass(frozen=True)
class Basis:
    """The corpus text a rule rests on."""

    doc_id: str
    quote: str
    article: str | None = None
    section: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        d: dict[str, str | None] = {"doc_id": self.doc_id}
        if self.article:
            d["article"] = self.article
        else:
            d["section"] = self.section  # None for an unnumbered paragraph of a circulaire
        d["quote"] = self.quote
        return d

    @property
    def ref(self) -> str:
        """« CPP, art. 706-88 », « circulaire du 5 mars 2025, § 2.1 » or « circulaire du 13 avril 2026 »."""
        if self.article:
            return f"CPP, art. {self.article}"
        doc = _SHORT_DOC.get(self.doc_id, self.doc_id)
        return f"{doc}, § {self.section}" if self.section else doc


def basis_ref(d: dict[str, Any]) -> str:
    """The reference label of a basis given as a dict (``Basis.to_dict()`` shape)."""
    return Basis(doc_id=d["doc_id"], quote=d.get("quote", ""), article=d.get("article"), section=d.get("section")).ref


_SHORT_DOC = {
    "circ-2025-03-05-criminalite-organisee": "circulaire du 5 mars 2025",
    "circ-2026-04-13-donnees-fournisseurs": "circulaire du 13 avril 2026",
    "circ-2025-etrangers-detenus": "circulaire de 2025 sur les étrangers détenus",
}


@dataclass(frozen=True)
class RuleOption:
    name: str
    label: str
    type: str  # "bool" | "choice"
    choices: tuple[tuple[str, str], ...] = ()  # (value, French label)

    def schema(self) -> dict[str, Any]:
        if self.type == "bool":
            return {"type": "boolean", "description": self.label}
        return {"type": "string", "enum": [c for c, _ in self.choices], "description": self.label}

    def describe_value(self, value: object) -> str:
        """French wording of a value: the declared choice label, else « oui » / « non » for a bool."""
        key = ("true" if value else "false") if self.type == "bool" else str(value)
        label = dict(self.choices).get(key)
        if label:
            return label
        return f"{self.label} : {'oui' if value else 'non'}" if self.type == "bool" else str(value)


@dataclass(frozen=True)
class Milestone:
    """One computed date of a rule: an amount of time after (or before) the start or another milestone."""

    id: str
    label: str
    kind: str
    basis: tuple[Basis, ...]
    amount: int = 0
    unit: str = ""
    origin: str = "start"  # "start" or the id of an earlier milestone
    direction: str = "apres"
    counting: str = "de"
    fixed_date: date | None = None
    when: tuple[tuple[str, object], ...] = ()
    main: bool = False
    note: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DelaiRule:
    id: str
    label: str
    category: str
    start: str  # French description of the start event; "" for a fixed date
    summary: str
    milestones: tuple[Milestone, ...]
    options: tuple[RuleOption, ...] = ()
    keywords: tuple[tuple[str, ...], ...] = ()  # router triggers: every group must match one of its words
    warnings: tuple[str, ...] = ()

    @property
    def basis(self) -> tuple[Basis, ...]:
        """The texts the rule rests on, the main milestone's first (706-88-1 for the terrorism maximum, not 706-88)."""
        return self.basis_for({})

    def basis_for(self, case: Mapping[str, object]) -> tuple[Basis, ...]:
        """``basis``, the milestones that the known facts of the case exclude last (« elle ne consent pas »: 696-15's
        avis before 696-14's donné acte)."""

        def excluded(m: Milestone) -> bool:
            return any(name in case and case[name] != value for name, value in m.when)

        seen: dict[tuple[str, str | None, str | None, str], Basis] = {}
        for m in sorted(self.milestones, key=lambda m: (excluded(m), not m.main)):
            for b in m.basis:
                seen.setdefault((b.doc_id, b.article, b.section, b.quote), b)
        return tuple(seen.values())

    @property
    def needs_start(self) -> bool:
        return any(m.fixed_date is None for m in self.milestones)

    @property
    def needs_time(self) -> bool:
        return any(m.unit == "heures" for m in self.milestones)

    def option(self, name: str) -> RuleOption | None:
        return next((o for o in self.options if o.name == name), None)

    def to_catalogue(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.needs_start:
            params["start"] = {"type": "string", "description": f"Date et heure de départ : {self.start}."}
        for o in self.options:
            params[o.name] = o.schema()
        return {
            "id": self.id,
            "label": self.label,
            "category": self.category,
            "summary": self.summary,
            "start_event": self.start or None,
            "parameters": params,
            "basis": [b.to_dict() for b in self.basis],
        }


@dataclass(frozen=True)
class Authority:
    """One competent authority (or group) for a matter, with the nature of its competence."""

    authorities: str
    role: str
    nature: str
    detail: str
    basis: tuple[Basis, ...]
    stages: tuple[str, ...] = ()
    minors: str = "any"  # "any" | "only" | "excluded"


@dataclass(frozen=True)
class Matter:
    id: str
    label: str
    summary: str
    synonyms: tuple[str, ...]
    authorities: tuple[Authority, ...]
    notes: tuple[str, ...] = ()
    note_basis: tuple[Basis, ...] = ()

    @property
    def basis(self) -> tuple[Basis, ...]:
        seen: dict[tuple[str, str | None, str | None, str], Basis] = {}
        for a in self.authorities:
            for b in a.basis:
                seen.setdefault((b.doc_id, b.article, b.section, b.quote), b)
        for b in self.note_basis:
            seen.setdefault((b.doc_id, b.article, b.section, b.quote), b)
        return tuple(seen.values())


# -- loading ------------------------------------------------------------------------------------


def _req(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d or d[key] in ("", None):
        raise RuleDataError(f"{where} : champ « {key} » manquant")
    return d[key]


def _check_keys(d: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(d) - allowed
    if unknown:
        raise RuleDataError(f"{where} : champ(s) inconnu(s) {sorted(unknown)}")


def _basis(raw: Any, where: str) -> tuple[Basis, ...]:
    if isinstance(raw, dict):
        raw = [raw]
    if not raw:
        raise RuleDataError(f"{where} : « basis » manquant")
    out = []
    for i, b in enumerate(raw):
        w = f"{where}.basis[{i}]"
        _check_keys(b, {"doc_id", "article", "section", "quote"}, w)
        quote = _req(b, "quote", w)
        if "\n" in quote:
            raise RuleDataError(f"{w} : la citation ne doit pas contenir de saut de ligne")
        article = b.get("article")
        if article is not None:
            norm = normalize_article_ref(article)
            if norm != article:
                raise RuleDataError(f"{w} : numéro d'article non normalisé « {article} »")
        doc_id = _req(b, "doc_id", w)
        if article and b.get("section"):
            raise RuleDataError(f"{w} : indiquer soit « article », soit « section »")
        if not article and not b.get("section") and not doc_id.startswith("circ-"):
            raise RuleDataError(f"{w} : « article » manquant")
        out.append(Basis(doc_id=doc_id, quote=quote, article=article, section=b.get("section")))
    return tuple(out)


def _milestone(raw: dict[str, Any], where: str, known: set[str]) -> Milestone:
    _check_keys(
        raw,
        {"id", "label", "kind", "amount", "unit", "from", "direction", "counting", "date", "when", "main", "note",
         "warnings", "basis"},
        where,
    )
    kind = _req(raw, "kind", where)
    if kind not in KINDS:
        raise RuleDataError(f"{where} : kind « {kind} » inconnu ({', '.join(KINDS)})")
    fixed = raw.get("date")
    if fixed is not None:
        fixed_date = fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
        amount, unit = 0, ""
    else:
        fixed_date = None
        amount, unit = int(_req(raw, "amount", where)), _req(raw, "unit", where)
        if unit not in UNITS:
            raise RuleDataError(f"{where} : unité « {unit} » inconnue ({', '.join(UNITS)})")
        if amount <= 0:
            raise RuleDataError(f"{where} : durée nulle ou négative")
    origin = raw.get("from", "start")
    if origin != "start" and origin not in known:
        raise RuleDataError(f"{where} : « from » renvoie à une échéance inconnue ou postérieure « {origin} »")
    direction = raw.get("direction", "apres")
    counting = raw.get("counting", "de")
    if direction not in ("apres", "avant") or counting not in COUNTINGS:
        raise RuleDataError(f"{where} : direction ou counting invalide")
    return Milestone(
        id=_req(raw, "id", where),
        label=_req(raw, "label", where),
        kind=kind,
        basis=_basis(raw.get("basis"), where),
        amount=amount,
        unit=unit,
        origin=origin,
        direction=direction,
        counting=counting,
        fixed_date=fixed_date,
        when=tuple(sorted((raw.get("when") or {}).items())),
        main=bool(raw.get("main", False)),
        note=raw.get("note", ""),
        warnings=tuple(raw.get("warnings", ())),
    )


def _delai_rule(raw: dict[str, Any], where: str) -> DelaiRule:
    _check_keys(raw, {"id", "label", "category", "start", "summary", "options", "milestones", "keywords", "warnings"}, where)
    rid = _req(raw, "id", where)
    where = f"{where} ({rid})"
    options = []
    for i, o in enumerate(raw.get("options", ())):
        w = f"{where}.options[{i}]"
        _check_keys(o, {"name", "label", "type", "choices"}, w)
        otype = _req(o, "type", w)
        if otype not in ("bool", "choice"):
            raise RuleDataError(f"{w} : type « {otype} » inconnu")
        choices = tuple((str(k), str(v)) for k, v in (o.get("choices") or {}).items())
        if otype == "choice" and not choices:
            raise RuleDataError(f"{w} : « choices » manquant")
        if otype == "bool" and not {k for k, _ in choices} <= {"true", "false"}:
            raise RuleDataError(f"{w} : les choix d'une option booléenne sont « true » et « false »")
        options.append(RuleOption(name=_req(o, "name", w), label=_req(o, "label", w), type=otype, choices=choices))
    option_names = {o.name for o in options}
    milestones: list[Milestone] = []
    for i, m in enumerate(_req(raw, "milestones", where)):
        ms = _milestone(m, f"{where}.milestones[{i}]", {x.id for x in milestones})
        for name, value in ms.when:
            opt = next((o for o in options if o.name == name), None)
            if opt is None:
                raise RuleDataError(f"{where} : condition sur une option inconnue « {name} »")
            if opt.type == "choice" and str(value) not in dict(opt.choices):
                raise RuleDataError(f"{where} : valeur « {value} » hors des choix de « {name} »")
        milestones.append(ms)
    if len({m.id for m in milestones}) != len(milestones):
        raise RuleDataError(f"{where} : identifiants d'échéances en double")
    if sum(m.main for m in milestones) > 1 and not option_names:
        raise RuleDataError(f"{where} : plusieurs échéances principales sans option pour les départager")
    start = raw.get("start", "")
    if not start and any(m.fixed_date is None for m in milestones):
        raise RuleDataError(f"{where} : « start » manquant")
    return DelaiRule(
        id=rid,
        label=_req(raw, "label", where),
        category=_req(raw, "category", where),
        start=start,
        summary=raw.get("summary", ""),
        milestones=tuple(milestones),
        options=tuple(options),
        keywords=tuple(tuple(g) for g in raw.get("keywords", ())),
        warnings=tuple(raw.get("warnings", ())),
    )


def _matter(raw: dict[str, Any], where: str) -> Matter:
    _check_keys(raw, {"id", "label", "summary", "synonyms", "authorities", "notes", "note_basis"}, where)
    mid = _req(raw, "id", where)
    where = f"{where} ({mid})"
    authorities = []
    for i, a in enumerate(_req(raw, "authorities", where)):
        w = f"{where}.authorities[{i}]"
        _check_keys(a, {"authorities", "role", "nature", "detail", "stages", "minors", "basis"}, w)
        nature = _req(a, "nature", w)
        if nature not in NATURES:
            raise RuleDataError(f"{w} : nature « {nature} » inconnue ({', '.join(NATURES)})")
        stages = tuple(a.get("stages", ()))
        if not set(stages) <= set(STAGES):
            raise RuleDataError(f"{w} : stade(s) inconnu(s) {sorted(set(stages) - set(STAGES))}")
        minors = a.get("minors", "any")
        if minors not in ("any", "only", "excluded"):
            raise RuleDataError(f"{w} : « minors » invalide")
        authorities.append(
            Authority(
                authorities=_req(a, "authorities", w),
                role=_req(a, "role", w),
                nature=nature,
                detail=a.get("detail", ""),
                basis=_basis(a.get("basis"), w),
                stages=stages,
                minors=minors,
            )
        )
    return Matter(
        id=mid,
        label=_req(raw, "label", where),
        summary=raw.get("summary", ""),
        synonyms=tuple(raw.get("synonyms", ())),
        authorities=tuple(authorities),
        notes=tuple(raw.get("notes", ())),
        note_basis=_basis(raw["note_basis"], f"{where}.note_basis") if raw.get("note_basis") else (),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path.name} : TOML invalide ({exc})") from exc


@lru_cache(maxsize=1)
def load_delai_rules() -> dict[str, DelaiRule]:
    """All deadline rules of ``rules/delais_*.toml``, by id (file order kept)."""
    rules: dict[str, DelaiRule] = {}
    for path in sorted(RULES_DIR.glob("delais_*.toml")):
        for i, raw in enumerate(_read(path).get("rule", ())):
            rule = _delai_rule(raw, f"{path.name}: rule[{i}]")
            if rule.id in rules:
                raise RuleDataError(f"{path.name} : règle « {rule.id} » déjà définie")
            rules[rule.id] = rule
    return rules


@lru_cache(maxsize=1)
def load_matters() -> dict[str, Matter]:
    """All matters of ``rules/competence.toml``, by id."""
    path = RULES_DIR / "competence.toml"
    matters: dict[str, Matter] = {}
    for i, raw in enumerate(_read(path).get("matter", ())):
        m = _matter(raw, f"{path.name}: matter[{i}]")
        if m.id in matters:
            raise RuleDataError(f"{path.name} : matière « {m.id} » déjà définie")
        matters[m.id] = m
    return matters


# -- verification against the corpus ----------------------------------------------------------


def unit_for_basis(catalog: Catalog, basis: Basis) -> Unit | None:
    """The live unit a basis cites (never a repealed block), or None: ``Catalog.unit_of_basis``."""
    return catalog.unit_of_basis(basis.doc_id, basis.article, basis.section, basis.quote)


def verify_basis(catalog: Catalog, basis: Basis) -> str | None:
    """None when the quote is verbatim (whitespace-normalized) in the cited unit; otherwise a French problem."""
    unit = unit_for_basis(catalog, basis)
    where = basis.ref
    if unit is None:
        return f"{where} : unité introuvable dans le corpus ({basis.doc_id})"
    if not contains_quote(unit.text, basis.quote):
        return f"{where} : citation absente du texte : « {basis.quote[:80]}… »"
    return None
