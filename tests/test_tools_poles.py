"""``pole-instruction``: every tribunal of the D15-4-4 table, both directions, spelling variants, unknown names."""

from __future__ import annotations

import re

import pytest

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.settings import Settings
from assistant.tools import run_tool


def _raw_table() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, list[str]]]]:
    """An independent reading of the raw D15-4-4 table: tribunal → (seat, court) and seat → (court, tribunaux)."""
    lines = (Settings().corpus_dir / "cpp_reglementaire_D_2024-04-16.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "Cour d'appel d'Agen" in line)
    end = next(i for i in range(start, len(lines)) if "Papeete." in lines[i]) + 3
    by_tribunal: dict[str, tuple[str, str]] = {}
    by_seat: dict[str, tuple[str, list[str]]] = {}
    court, seat = None, None
    for raw in lines[start:end]:
        line = raw.strip()
        m = re.search(r"Cour d'appel d[e'] ?(.+)$", line)
        if m:
            court, seat = m.group(1).strip(), None
            continue
        if not line.endswith(".") or line.startswith("Conformément"):
            continue
        if seat is None:
            seat = line[:-1]
        else:
            names = [t.strip() for t in line[:-1].split(",")]
            by_seat[seat] = (court, names)
            for t in names:
                by_tribunal[t] = (seat, court)
            seat = None
    return by_tribunal, by_seat


RAW_BY_TRIBUNAL, RAW_BY_SEAT = _raw_table()


def test_raw_table_reading_is_plausible() -> None:
    assert RAW_BY_TRIBUNAL["Auch"] == ("Agen", "Agen")
    assert RAW_BY_TRIBUNAL["Soissons"] == ("Laon", "Amiens")
    assert RAW_BY_TRIBUNAL["Nouméa"] == ("Nouméa", "Nouméa")
    assert len(RAW_BY_TRIBUNAL) > 150 and len(RAW_BY_SEAT) > 80


def test_catalog_table_matches_raw_table(catalog: Catalog) -> None:
    assert {p.siege for p in catalog.poles} == set(RAW_BY_SEAT)
    assert {t for p in catalog.poles for t in p.tribunaux} == set(RAW_BY_TRIBUNAL)


def _tribunal_round_trips(catalog: Catalog, tribunal: str) -> bool:
    seat, court = RAW_BY_TRIBUNAL[tribunal]
    result = run_tool(catalog, "pole-instruction", {"tribunal": tribunal})
    if (result["tribunal"], result["pole"], result["cour_appel"]) != (tribunal, seat, court):
        return False
    if result["basis"][0]["article"] != "D15-4-4":
        return False
    reverse = run_tool(catalog, "pole-instruction", {"pole": result["pole"]})
    return tribunal in reverse["tribunaux"] and reverse["cour_appel"] == court


def test_every_tribunal_round_trip(catalog: Catalog) -> None:
    """Tribunal → its pôle and cour d'appel (the D15-4-4 row) → the pôle lists the tribunal back, for every tribunal."""
    failing = [t for t in sorted(RAW_BY_TRIBUNAL) if not _tribunal_round_trips(catalog, t)]
    assert not failing, f"{len(failing)} tribunal(aux) sans aller-retour : {', '.join(failing)}"


def _seat_lists_its_tribunaux(catalog: Catalog, seat: str) -> bool:
    court, tribunaux = RAW_BY_SEAT[seat]
    result = run_tool(catalog, "pole-instruction", {"pole": seat})
    # The row itself is quoted, verbatim, from the D15-4-4 unit.
    quotes = [b["quote"] for b in result["basis"]]
    return (result["tribunaux"] == tribunaux and result["cour_appel"] == court
            and any(q.endswith(", ".join(tribunaux) + ".") for q in quotes[1:]))


def test_every_seat_lists_its_tribunaux(catalog: Catalog) -> None:
    failing = [s for s in sorted(RAW_BY_SEAT) if not _seat_lists_its_tribunaux(catalog, s)]
    assert not failing, f"{len(failing)} pôle(s) dont la liste diffère de D15-4-4 : {', '.join(failing)}"


def test_contract_example(catalog: Catalog) -> None:
    result = run_tool(catalog, "pole-instruction", {"tribunal": "Cahors"})
    assert {k: result[k] for k in ("tribunal", "pole", "cour_appel")} == {
        "tribunal": "Cahors", "pole": "Agen", "cour_appel": "Agen"}
    assert result["basis"] and result["basis"][0]["doc_id"] == "cpp-reglementaire-d"


@pytest.mark.parametrize(
    ("spelling", "tribunal", "pole"),
    [
        ("TJ d'Auch", "Auch", "Agen"),
        ("tribunal judiciaire d’Auch", "Auch", "Agen"),
        ("AUCH", "Auch", "Agen"),
        ("Saint-Étienne", "Saint-Etienne", "Saint-Etienne"),
        ("saint etienne", "Saint-Etienne", "Saint-Etienne"),
        ("St-Etienne", "Saint-Etienne", "Saint-Etienne"),
        ("TJ de Saint-Étienne", "Saint-Etienne", "Saint-Etienne"),
        ("noumea", "Nouméa", "Nouméa"),
        ("Pointe-a-Pitre", "Pointe-à-Pitre", "Pointe-à-Pitre"),
        ("Basse Terre", "Basse-Terre", "Pointe-à-Pitre"),
        ("les sables d'olonne", "Les Sables-d'Olonne", "La Roche-sur-Yon"),
        ("Val-de-Briey", "Val de Briey", "Nancy"),
        ("Dole", "Dôle", "Besançon"),
        ("Évry", "Evry", "Evry"),
        ("tribunal de grande instance de Péronne", "Péronne", "Amiens"),
        ("  le puy en velay ", "Le Puy-en-Velay", "Clermont-Ferrand"),
        # The usual short name of a city whose tribunal bears a longer official name: one row starts with it.
        ("Cherbourg", "Cherbourg-en-Cotentin", "Coutances"),
        ("Puy", "Le Puy-en-Velay", "Clermont-Ferrand"),
    ],
)
def test_spelling_variants(catalog: Catalog, spelling: str, tribunal: str, pole: str) -> None:
    result = run_tool(catalog, "pole-instruction", {"tribunal": spelling})
    assert (result["tribunal"], result["pole"]) == (tribunal, pole)


def test_reverse_question_with_variants(catalog: Catalog) -> None:
    result = run_tool(catalog, "pole-instruction", {"pole": "pôle de l'instruction de laon"})
    assert result["tribunaux"] == ["Laon", "Saint-Quentin", "Soissons"] and result["cour_appel"] == "Amiens"


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("Cherbourgg", "Cherbourg-en-Cotentin"), ("Bobigy", "Bobigny"), ("Lyonn", "Lyon"), ("Pontarlier", None), ("Bayeux", None),
     ("Saint", "Saint-Brieuc")],  # a prefix that several rows share is not a name
)
def test_unknown_tribunal_is_an_error_never_a_guess(catalog: Catalog, name: str, suggestion: str | None) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "pole-instruction", {"tribunal": name})
    assert err.value.field == "tribunal"
    assert "ne figure pas dans le tableau de l'article D. 15-4-4" in str(err.value)
    if suggestion:
        assert suggestion in str(err.value)


def test_tribunal_given_as_pole_is_explained(catalog: Catalog) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "pole-instruction", {"pole": "Auch"})
    assert err.value.field == "pole" and "pôle de l'instruction d'Agen" in str(err.value)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({}, "tribunal"), ({"tribunal": ""}, "tribunal"), ({"tribunal": 12}, "tribunal"), ({"ville": "Agen"}, "ville")],
)
def test_invalid_arguments_name_the_field(catalog: Catalog, arguments: dict, field: str) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "pole-instruction", arguments)
    assert err.value.field == field
