"""Holidays by place: a délai in jours ouvrables uses the calendar of the tribunal's or department's subdivision."""

from __future__ import annotations

import pytest

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.tools import run_tool
from assistant.tools.places import calendar_for, department_of_tribunal

RULE = "extradition-simplifiee-comparution"  # « cinq jours ouvrables à compter de sa présentation » (art. 696-13)
START = "2026-12-23"  # a Wednesday: 25 December (national) and 26 December (Alsace-Moselle) fall in the period


def deadline(catalog: Catalog, **extra: str) -> dict:
    return run_tool(catalog, "delai", {"rule": RULE, "start": START, **extra})


def test_strasbourg_differs_from_paris_by_the_26_december(catalog: Catalog) -> None:
    paris = deadline(catalog, place="Paris")
    strasbourg = deadline(catalog, place="Strasbourg")
    assert paris["deadline"]["date"] == "2026-12-30"
    assert strasbourg["deadline"]["date"] == "2026-12-31"
    assert "calendrier national" in paris["calendar"]["label"] and "Paris (75)" in paris["calendar"]["label"]
    assert strasbourg["calendar"]["label"].startswith("calendrier des jours fériés d'Alsace-Moselle")
    assert "tribunal judiciaire de Strasbourg, Bas-Rhin (67)" in strasbourg["calendar"]["label"]
    assert any(s.startswith("Jours fériés : calendrier des jours fériés d'Alsace-Moselle") for s in strasbourg["steps"])
    assert any("samedi 26 décembre 2026 (saint étienne)" in s.lower() or "26 décembre 2026 (" in s for s in strasbourg["steps"])


def test_without_a_place_the_national_calendar_is_used_and_named(catalog: Catalog) -> None:
    result = deadline(catalog)
    assert result["deadline"]["date"] == "2026-12-30"
    assert result["calendar"] == {"label": "calendrier national des jours fériés (métropole, sans lieu indiqué)", "place": None, "subdivision": None}
    assert "Jours fériés : calendrier national des jours fériés (métropole, sans lieu indiqué)." in result["steps"]


@pytest.mark.parametrize(
    ("place", "subdivision", "named"),
    [("57", "57", "Moselle (57)"), ("Bas-Rhin", "6AE", "Bas-Rhin (67)"), ("département du Haut-Rhin", "6AE", "Haut-Rhin (68)"),
     ("TJ de Metz", "57", "tribunal judiciaire de Metz, Moselle (57)"), ("974", "974", "La Réunion (974)"),
     ("Pointe-à-Pitre", "971", "Guadeloupe (971)"), ("Mamoudzou", "976", "Mayotte (976)"), ("Nouméa", "NC", "Nouvelle-Calédonie (988)"),
     ("Auch", None, "Gers (32)"), ("2a", None, "Corse-du-Sud (2A)")],
)
def test_places_resolve_to_their_calendar(catalog: Catalog, place: str, subdivision: str | None, named: str) -> None:
    cal = calendar_for(catalog, place)
    assert cal.subdivision == subdivision and named in cal.label


def test_overseas_holiday_is_skipped(catalog: Catalog) -> None:
    # 20 December: abolition de l'esclavage in La Réunion (a Sunday in 2026, so look at 2027: a Monday).
    national = run_tool(catalog, "delai", {"rule": RULE, "start": "2027-12-17"})
    reunion = run_tool(catalog, "delai", {"rule": RULE, "start": "2027-12-17", "place": "Saint-Denis"})
    assert reunion["deadline"]["date"] > national["deadline"]["date"]
    assert "La Réunion (974)" in reunion["calendar"]["label"]


def test_unknown_place_is_a_french_error_naming_the_field(catalog: Catalog) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        deadline(catalog, place="Gotham")
    assert err.value.field == "place"
    assert "lieu inconnu : « Gotham » n'est ni un tribunal judiciaire" in str(err.value)
    with pytest.raises(InvalidToolInputError) as err:
        deadline(catalog, place="Strasbourgg")
    assert "Strasbourg" in str(err.value)  # close spelling suggested


def test_every_tribunal_of_the_d15_4_4_table_has_a_department(catalog: Catalog) -> None:
    missing = [t for row in catalog.poles for t in row.tribunaux if department_of_tribunal(t) is None]
    assert missing == []
