"""``juridiction-specialisee``: matters, synonyms, facts (minor, stage), nature of the competence and its basis."""

from __future__ import annotations

import pytest

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.tools import run_tool


def competence(catalog: Catalog, **arguments: object) -> dict:
    return run_tool(catalog, "juridiction-specialisee", arguments)


def articles(result: dict) -> set[str]:
    return {b["article"] for b in result["basis"] if b.get("article")}


def test_terrorisme_pnat_concurrent(catalog: Catalog) -> None:
    # 706-17: PNAT, pôle de l'instruction, tribunal correctionnel and cour d'assises de Paris, « compétence concurrente ».
    result = competence(catalog, matter="acte de terrorisme")
    assert result["matter"] == "terrorisme"
    first = result["authorities"][0]
    assert "Procureur de la République antiterroriste" in first["authorities"]
    assert first["nature"] == "concurrente" and first["nature_label"] == "compétence concurrente"
    assert "706-17" in articles(result)


def test_terrorisme_minor_keeps_juvenile_courts_only(catalog: Catalog) -> None:
    result = competence(catalog, matter="terrorisme", minor=True)
    names = [a["authorities"] for a in result["authorities"]]
    assert any("juge des enfants" in n and "cour d'assises des mineurs de Paris" in n for n in names)
    assert not any(n.startswith("Procureur de la République antiterroriste, pôle de l'instruction") for n in names)


def test_terrorisme_application_des_peines_is_exclusive(catalog: Catalog) -> None:
    # 706-22-1: « sont seuls compétents le juge de l'application des peines du tribunal judiciaire de Paris… ».
    result = competence(catalog, matter="terrorisme", stage="application des peines")
    natures = {a["nature"] for a in result["authorities"]}
    assert natures == {"exclusive", "concurrente"}
    assert articles(result) >= {"706-22-1"}
    assert all("application des peines" in a["stages"] for a in result["authorities"])


def test_crimes_contre_humanite(catalog: Catalog) -> None:
    result = competence(catalog, matter="crimes de guerre")
    assert result["matter"] == "crimes-contre-humanite"
    assert {"628-1", "628-7"} <= articles(result)


def test_jirs_is_an_extension_and_junalco_concurrent(catalog: Catalog) -> None:
    result = competence(catalog, matter="JIRS")
    natures = [a["nature"] for a in result["authorities"]]
    assert natures == ["extension", "concurrente"]
    assert {"706-75", "706-76"} <= articles(result)
    assert any(b.get("section") == "3.3.1" for b in result["basis"])


def test_pnf_exclusive_for_market_abuse(catalog: Catalog) -> None:
    result = competence(catalog, matter="délit d'initié")
    assert result["matter"] == "pnf-abus-de-marche"  # its own matter: a market-abuse question leads with 705-1
    exclusive = [a for a in result["authorities"] if a["nature"] == "exclusive"]
    assert exclusive and exclusive[0]["basis"][0]["article"] == "705-1"
    # The PNF named alone is the concurrent competence of 705.
    assert [a["nature"] for a in competence(catalog, matter="PNF")["authorities"]] == ["concurrente"]


def test_pollution_marine_paris_outside_french_waters(catalog: Catalog) -> None:
    result = competence(catalog, matter="pollution marine")
    paris = [a for a in result["authorities"] if a["authorities"] == "Tribunal judiciaire de Paris"]
    assert paris and paris[0]["basis"][0]["article"] == "706-108"


@pytest.mark.parametrize(
    ("wording", "matter"),
    [
        ("PNAT", "terrorisme"),
        ("Terrorisme", "terrorisme"),
        ("terorisme", "terrorisme"),
        ("génocide", "crimes-contre-humanite"),
        ("JUNALCO", "criminalite-organisee"),
        ("trafic de stupéfiants en bande organisée", "criminalite-organisee"),
        ("stups", "stupefiants"),
        ("parquet national financier", "pnf"),
        ("pôle de santé publique", "sante-publique"),
        ("accident collectif", "accidents-collectifs"),
        ("rançongiciel", "cybercriminalite"),
        ("armes de destruction massive", "proliferation"),
        ("infractions militaires", "militaire"),
        ("Parquet européen", "parquet-europeen"),
        ("cold case", "crimes-seriels"),
        ("atteintes à l'environnement", "environnement"),
    ],
)
def test_matter_synonyms(catalog: Catalog, wording: str, matter: str) -> None:
    assert competence(catalog, matter=wording)["matter"] == matter


def test_a_single_accident_is_no_collective_accident(catalog: Catalog) -> None:
    """« accident » alone (one work accident) names no accident collectif; a company's form is a personne morale."""
    assert competence(catalog, matter="SAS mise en cause pour un accident du travail mortel")["matter"] == "personnes-morales"
    assert competence(catalog, matter="accident de car avec de nombreux morts")["matter"] == "accidents-collectifs"
    with pytest.raises(InvalidToolInputError):
        competence(catalog, matter="accident de la route")


def test_unknown_matter_lists_known_matters(catalog: Catalog) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        competence(catalog, matter="vol à l'étalage")
    assert err.value.field == "matter"
    assert "terrorisme" in str(err.value) and "pnf" in str(err.value)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({}, "matter"), ({"matter": "terrorisme", "stage": "plage"}, "stage"), ({"matter": "terrorisme", "minor": "peut-être"}, "minor"),
     ({"matter": "terrorisme", "lieu": "Nice"}, "lieu")],
)
def test_invalid_arguments_name_the_field(catalog: Catalog, arguments: dict, field: str) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "juridiction-specialisee", arguments)
    assert err.value.field == field


def test_stage_without_special_rule_falls_back_with_a_note(catalog: Catalog) -> None:
    result = competence(catalog, matter="pnf", stage="application_des_peines")
    assert result["authorities"] and "droit commun" in result["notes"][0]
