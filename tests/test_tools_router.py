"""Deterministic router (no-LLM mode) and the French summaries of tool results; plus the registry surface."""

from __future__ import annotations

import pytest

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError, UnknownToolError
from assistant.tools import TOOL_IDS, langchain_tools, run_tool
from assistant.tools.router import ToolCall, describe_result, route


@pytest.mark.parametrize(
    ("question", "name", "arguments"),
    [
        ("Quel est le pôle de l'instruction du TJ d'Auch ?", "pole-instruction", {"tribunal": "Auch"}),
        ("Quel est le pôle de l'instruction du tribunal judiciaire de Saint-Étienne ?", "pole-instruction", {"tribunal": "Saint-Etienne"}),
        ("quels tribunaux relèvent du pôle de Laon ?", "pole-instruction", {"pole": "Laon"}),
        (
            "Une GAV pour stups en bande organisée a commencé le 23 octobre 2026 à 10h, quand se termine-t-elle au plus tard ?",
            "delai", {"rule": "gav-criminalite-organisee", "start": "2026-10-23T10:00"},
        ),
        (
            "MAE : personne interpellée le 5 mai 2026 à 9h, quand doit-elle être présentée au procureur général ?",
            "delai", {"rule": "mae-presentation-procureur-general", "start": "2026-05-05T09:00"},
        ),
        (
            "Une personne interpellée sur mandat d'arrêt européen le 5 mai 2026 à 9h doit être conduite devant le procureur général avant quand ?",
            "delai", {"rule": "mae-presentation-procureur-general", "start": "2026-05-05T09:00"},
        ),
        (
            "Garde à vue pour association de malfaiteurs terroriste commencée le 27 mars 2026 à 9h30 : fin maximale ?",
            "delai", {"rule": "gav-terrorisme", "start": "2026-03-27T09:30"},
        ),
        (
            "MAE : la personne ne consent pas à sa remise ; elle a comparu devant la chambre de l'instruction le 4 mai 2026. Quand la chambre doit-elle statuer ?",
            "delai", {"rule": "mae-decision-chambre-instruction", "start": "2026-05-04", "consent": False},
        ),
        ("TJ des Sables d'Olonne : quel pôle de l'instruction ?", "pole-instruction", {"tribunal": "Les Sables-d'Olonne"}),
        (
            "GAV pour trafic de stups commencée le 9 février 2026 à 6h15 : heure limite si on obtient toutes les prolongations ?",
            "delai", {"rule": "gav-criminalite-organisee", "start": "2026-02-09T06:15"},
        ),
        (
            "Le jugement sur l'action civile est devenu définitif le 2 avril 2025 : la victime peut-elle encore saisir la CIVI ?",
            "delai", {"rule": "civi-forclusion-apres-decision-penale", "start": "2025-04-02"},
        ),
        (
            "Condamnation devenue définitive le 15 mars 2026 avec confiscation : jusqu'à quand la partie civile peut-elle demander à l'AGRASC d'être payée ?",
            "delai", {"rule": "agrasc-paiement-partie-civile", "start": "2026-03-15"},
        ),
        (
            "Un inscrit au FIJAIT déménage le 1er juillet 2026 : jusqu'à quand pour déclarer sa nouvelle adresse ?",
            "delai", {"rule": "fijait-obligations", "start": "2026-07-01", "obligation": "changement-adresse"},
        ),
        (
            "Le parquet local requiert le dessaisissement du JI au profit de Paris pour des faits terroristes ; les parties sont avisées le 5 mai 2026. Entre quelles dates l'ordonnance peut-elle être rendue ?",
            "delai", {"rule": "dessaisissement-terrorisme", "start": "2026-05-05", "etape": "avis"},
        ),
        ("quel parquet est compétent pour un acte de terrorisme ?", "juridiction-specialisee", {"matter": "terrorisme"}),
        (
            "Quel JAP suit un condamné pour terrorisme (jugé à Paris) détenu à Marseille ?",
            "juridiction-specialisee", {"matter": "terrorisme", "stage": "application_des_peines"},
        ),
        (
            "Qui est compétent pour juger un mineur auteur d'un acte terroriste ?",
            "juridiction-specialisee", {"matter": "terrorisme", "minor": True, "stage": "jugement"},
        ),
        # A country is « à l'étranger » for the matter; a country that is not where the offence was committed is not.
        ("Un Français commet un viol en Espagne : quel tribunal français est compétent ?",
         "juridiction-specialisee", {"matter": "infractions-hors-territoire"}),
        ("Trafic de stupéfiants entre le Maroc et la France : quelle juridiction spécialisée ?",
         "juridiction-specialisee", {"matter": "stupefiants"}),
        # A case described by its facts: the family of offences, not its name, is in the question.
        ("Une organisation criminelle se livre à des enlèvements dans plusieurs régions : quelle juridiction est compétente ?",
         "juridiction-specialisee", {"matter": "criminalite-organisee"}),
        ("Réseau d'importation de cannabis sur deux cours d'appel : quelle juridiction peut être saisie ?",
         "juridiction-specialisee", {"matter": "criminalite-organisee"}),
        ("Exécutions de masse de civils dans le cadre d'une attaque systématique à l'étranger : quel parquet est compétent ?",
         "juridiction-specialisee", {"matter": "crimes-contre-humanite"}),
        # the more specific matter wins: « pollution » is part of « pollution marine », and the dégazage is marine
        ("Un porte-conteneurs procède à un dégazage au large du Finistère : quelles juridictions sont compétentes pour cette pollution ?",
         "juridiction-specialisee", {"matter": "pollution-marine"}),
        ("Une usine déverse des produits toxiques dans une rivière : quelle juridiction est compétente pour cette pollution ?",
         "juridiction-specialisee", {"matter": "environnement"}),
    ],
)
def test_route_recognises_tool_questions(catalog: Catalog, question: str, name: str, arguments: dict) -> None:
    assert route(question, catalog) == ToolCall(name, arguments)


@pytest.mark.parametrize(
    "question",
    [
        "Quel est le délai de prescription de l'action publique pour un délit de droit commun ?",
        "L'article 706-88-2 du code de procédure pénale est-il toujours en vigueur ?",
        "Qu'est-ce que le principe de double information vers les parquets JIRS et JUNALCO ?",
        # the same facts in a question that does not ask which court: retrieval answers
        "Une organisation criminelle se livre à des enlèvements : combien de temps peut durer la garde à vue ?",
        "Exécutions de masse de civils dans le cadre d'une attaque systématique : la France coopère-t-elle avec la CPI ?",
        "Une garde à vue en bande organisée a commencé hier à 10h, quand se termine-t-elle ?",  # no explicit date
        "GAV en bande organisée commencée le 23 octobre 2026, fin ?",  # no time for an hour rule
        "MAE : interpellé le 1er mai 2026 à 8h, audience prévue le 10 mai 2026 : que faire ?",  # two dates
        "",
    ],
)
def test_route_returns_none_when_not_confident(catalog: Catalog, question: str) -> None:
    assert route(question, catalog) is None


def test_dates_in_sentences_are_complete_dates_only() -> None:
    from assistant.tools.dates import search_dates_fr

    found = search_dates_fr("GAV pour trafic de stups commencée le 9 février 2026 à 6h15 : heure limite ?")
    assert [d.isoformat() for _, d in found] == ["2026-02-09T06:15:00"]
    assert search_dates_fr("Un délai court depuis février 2026 : quand expire-t-il ?") == []


def test_dessaisissement_dates_from_the_avis(catalog: Catalog) -> None:
    # 706-18: « l'ordonnance est rendue huit jours au plus tôt et un mois au plus tard à compter de cet avis ».
    result = run_tool(catalog, "delai", {"rule": "dessaisissement-terrorisme", "start": "2026-05-05", "etape": "avis"})
    dates = {d["id"]: d["date"] for d in result["deadlines"]}
    assert dates == {"ordonnance-plus-tot": "2026-05-13", "ordonnance-plus-tard": "2026-06-05"}


def test_unknown_tribunal_is_routed_so_the_tool_can_refuse(catalog: Catalog) -> None:
    call = route("Quel est le pôle de l'instruction du tribunal judiciaire de Pontarlier ?", catalog)
    assert call is not None and call.name == "pole-instruction"
    with pytest.raises(InvalidToolInputError):
        run_tool(catalog, call.name, call.arguments)
    assert call.arguments == {"tribunal": "Pontarlier"}
    # The abbreviation and its long form name one tribunal, not « Tribunal Judiciaire De Pontarlier ».
    call = route("Quel est le pôle de l'instruction du TJ de Pontarlier ?", catalog)
    assert call is not None and call.arguments == {"tribunal": "Pontarlier"}


@pytest.mark.parametrize("question", [
    "Le procureur près le tribunal où se trouve le pôle de l'instruction : de quoi avise-t-il le procureur du tribunal qui n'a pas de pôle ?",
    "Quelles informations transmet au pôle de l'instruction le tribunal sans pôle",
])
def test_a_tribunal_described_not_named_is_not_routed_as_a_name(catalog: Catalog, question: str) -> None:
    assert route(question, catalog) is None


def test_describe_delai(catalog: Catalog) -> None:
    call = ToolCall("delai", {"rule": "gav-criminalite-organisee", "start": "2026-10-23T10:00"})
    text = describe_result(call, run_tool(catalog, call.name, call.arguments))
    assert "**mardi 27 octobre 2026 à 09 h 00**" in text
    assert "CPP, art. 706-88" in text
    assert "Calcul :" in text and "Points d'attention :" in text


def test_describe_delai_without_option_lists_hypotheses(catalog: Catalog) -> None:
    call = ToolCall("delai", {"rule": "mae-decision-chambre-instruction", "start": "2026-05-04"})
    text = describe_result(call, run_tool(catalog, call.name, call.arguments))
    assert "lundi 11 mai 2026" in text and "dimanche 24 mai 2026" in text and "CPP, art. 695-31" in text


def test_describe_pole_both_directions(catalog: Catalog) -> None:
    call = ToolCall("pole-instruction", {"tribunal": "Auch"})
    text = describe_result(call, run_tool(catalog, call.name, call.arguments))
    assert "tribunal judiciaire d'Auch" in text and "pôle de l'instruction d'Agen" in text and "CPP, art. D15-4-4" in text
    call = ToolCall("pole-instruction", {"pole": "Laon"})
    text = describe_result(call, run_tool(catalog, call.name, call.arguments))
    assert "Laon, Saint-Quentin, Soissons" in text and "cour d'appel d'Amiens" in text


def test_describe_competence(catalog: Catalog) -> None:
    call = ToolCall("juridiction-specialisee", {"matter": "terrorisme"})
    text = describe_result(call, run_tool(catalog, call.name, call.arguments))
    assert "compétence concurrente" in text and "CPP, art. 706-17" in text


# -- registry ---------------------------------------------------------------------------------------


def test_unknown_tool(catalog: Catalog) -> None:
    with pytest.raises(UnknownToolError) as err:
        run_tool(catalog, "prescription", {})
    assert "pole-instruction" in str(err.value)


def test_arguments_must_be_an_object(catalog: Catalog) -> None:
    with pytest.raises(InvalidToolInputError) as err:
        run_tool(catalog, "delai", ["gav"])  # type: ignore[arg-type]
    assert err.value.field == "arguments"


def test_langchain_tools(catalog: Catalog) -> None:
    tools = langchain_tools(catalog)
    assert [t.name for t in tools] == list(TOOL_IDS)
    assert all(len(t.description) > 100 for t in tools)
    assert tools[0].invoke({"tribunal": "Soissons"})["pole"] == "Laon"
    result = tools[2].invoke({"rule": "mae-decision-chambre-instruction", "start": "2026-05-04", "options": {"consent": True}})
    assert result["deadline"]["date"] == "2026-05-11"
    assert tools[1].invoke({"matter": "PNF"})["matter"] == "pnf"
