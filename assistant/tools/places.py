"""Which calendar of public holidays a délai in jours ouvrables uses: national, or a subdivision's (by place).

A place is a tribunal judiciaire (found in the table of article D. 15-4-4, then its department in
``rules/departements.toml``) or a department (number or name). Alsace-Moselle (Bas-Rhin, Haut-Rhin, Moselle) and the
overseas departments and collectivités have holidays of their own, which the ``holidays`` library knows
(subdivisions « 6AE », « 57 », « 971 »…); everywhere else, and without a place, the national calendar applies.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.text import fold
from assistant.tools.poles import _index, city_key, lookup_tribunal

DATA_FILE = Path(__file__).parent / "rules" / "departements.toml"
_DEPT_PREFIX = re.compile(r"^(?:le |la |les |l )?(?:departement|dept|dpt)(?: (?:de la|de l|des|du|de|d))? ")
_SUBDIV_LABELS = {"57": "Alsace-Moselle", "6AE": "Alsace-Moselle"}


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    subdivision: str | None  # subdivision of holidays.France, None = national calendar


@dataclass(frozen=True)
class Calendar:
    """The holidays used for a computation, and how the result names them."""

    subdivision: str | None
    label: str  # « calendrier national (métropole) », « calendrier d'Alsace-Moselle (Bas-Rhin, 67) »…
    place: str | None = None  # what the place was resolved to (« tribunal judiciaire de Strasbourg, Bas-Rhin (67) »)

    def to_dict(self) -> dict[str, str | None]:
        return {"label": self.label, "place": self.place, "subdivision": self.subdivision}


NATIONAL = Calendar(None, "calendrier national des jours fériés (métropole, sans lieu indiqué)")


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, Department], dict[str, str]]:
    raw = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    departments = {
        code: Department(code, d["nom"], d.get("holidays")) for code, d in raw["departements"].items()
    }
    tribunals = {city_key(name): code for name, code in raw["tribunaux"].items()}
    return departments, tribunals


def department_of_tribunal(name: str) -> str | None:
    """Department code of a tribunal judiciaire named as in the D15-4-4 table."""
    return _data()[1].get(city_key(name))


def _department(value: str) -> Department | None:
    departments, _ = _data()
    key = fold(value).strip()
    key = _DEPT_PREFIX.sub("", key + " ").strip()
    code = key.upper().replace(" ", "")
    if re.fullmatch(r"\d", code):
        code = "0" + code
    if code in departments:
        return departments[code]
    by_name = {fold(d.name): d for d in departments.values()}
    return by_name.get(key) or by_name.get(re.sub(r"^(?:la|le|les|l) ", "", key))


def calendar_for(catalog: Catalog, place: str | None) -> Calendar:
    """The calendar of a place (tribunal or department); the national one without a place. Unknown place: French error."""
    if place is None or not place.strip():
        return NATIONAL
    dept = _department(place)
    where = None
    if dept is None:
        index = _index(catalog)
        key = index.resolve(city_key(place))
        if key in index.by_tribunal:
            tribunal = index.tribunal_name(key)
            code = department_of_tribunal(tribunal)
            if code is not None:
                dept = _data()[0][code]
                where = f"tribunal judiciaire {_de(tribunal)}, {dept.name} ({dept.code})"
        if dept is None:
            try:
                lookup_tribunal(catalog, place)
            except InvalidToolInputError as exc:
                hint = str(exc).split(".", 1)[1].strip() if "Orthographes proches" in str(exc) else ""
                raise InvalidToolInputError(
                    "place",
                    f"lieu inconnu : « {place} » n'est ni un tribunal judiciaire du tableau de l'article D. 15-4-4 ni un "
                    f"département (numéro ou nom).{(' ' + hint) if hint else ''}",
                ) from None
            raise InvalidToolInputError("place", f"département inconnu pour le tribunal « {place} ».")  # data file incomplete
    where = where or f"{dept.name} ({dept.code})"
    if dept.subdivision is None:
        return Calendar(None, f"calendrier national des jours fériés (métropole) : {where}", where)
    region = _SUBDIV_LABELS.get(dept.subdivision, dept.name)
    return Calendar(dept.subdivision, f"calendrier des jours fériés {_de(region)} (jours fériés locaux compris) : {where}", where)


def _de(name: str) -> str:
    return f"d'{name}" if fold(name)[:1] in "aeiouyh" else f"de {name}"


@lru_cache(maxsize=256)
def _holidays(subdivision: str | None, year: int) -> tuple[tuple[date, str], ...]:
    import holidays

    return tuple(holidays.France(years=year, subdiv=subdivision, language="fr").items())
