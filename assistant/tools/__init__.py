"""Deterministic tools: jurisdiction (pôle de l'instruction, juridictions spécialisées) and deadlines (délais).

Every result carries ``basis``: the verbatim corpus passages (doc_id, article or section, quote) it rests on.
The same three functions serve the HTTP API (``run_tool``, ``tool_catalogue``) and the LLM chain
(``langchain_tools``); the deterministic router for the no-LLM mode lives in ``assistant.tools.router``.
"""

from __future__ import annotations

from typing import Any

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError, UnknownToolError
from assistant.tools.competence import matters_catalogue, run_juridiction_specialisee
from assistant.tools.delais import run_delai
from assistant.tools.poles import run_pole_instruction
from assistant.tools.rules import load_delai_rules
from assistant.tools.schemas import ARGS_MODELS, invalid_input, json_schema, validate_arguments

POLE_INSTRUCTION = "pole-instruction"
JURIDICTION_SPECIALISEE = "juridiction-specialisee"
DELAI = "delai"
TOOL_IDS: tuple[str, ...] = (POLE_INSTRUCTION, JURIDICTION_SPECIALISEE, DELAI)

DESCRIPTIONS = {
    POLE_INSTRUCTION: (
        "Pôle de l'instruction et cour d'appel d'un tribunal judiciaire, d'après le tableau de l'article D. 15-4-4 "
        "du code de procédure pénale (métropole et outre-mer). Donner soit « tribunal » (ville du tribunal "
        "judiciaire, par exemple « Auch » : renvoie le siège du pôle, « Agen », et la cour d'appel), soit « pole » "
        "(ville siège d'un pôle, par exemple « Laon » : renvoie la liste des tribunaux judiciaires qu'il couvre). "
        "Un tribunal absent du tableau provoque une erreur avec les orthographes proches : ne jamais deviner."
    ),
    JURIDICTION_SPECIALISEE: (
        "Juridictions et parquets spécialisés compétents pour une matière (terrorisme, crimes contre l'humanité, "
        "criminalité organisée JIRS/JUNALCO, stupéfiants, matière économique et financière, PNF, santé publique, "
        "environnement, accidents collectifs, pollution marine, infractions militaires, prolifération, "
        "cybercriminalité, Parquet européen, crimes sériels…), avec la nature de la compétence (exclusive, "
        "concurrente, extension de compétence territoriale) et les articles du Livre IV du CPP qui la fondent. "
        "Faits facultatifs : « minor » (true si l'auteur est mineur) et « stage » (enquete, poursuite, instruction, "
        "jugement, application_des_peines, entraide)."
    ),
    DELAI: (
        "Calcule les échéances d'un délai du code de procédure pénale (Livre IV) ou d'une circulaire du corpus à "
        "partir d'une date de départ : garde à vue en criminalité organisée (96 h) ou terrorisme (144 h), mandat "
        "d'arrêt européen, extradition, décision d'enquête européenne, interceptions, infiltration, techniques "
        "spéciales d'enquête, CIVI, saisies, etc. Donner « rule » (identifiant d'une règle du catalogue) et "
        "« start » (date et heure de l'événement de départ, ISO 8601 ou en français : « 23 octobre 2026 à 10h »), "
        "plus les options propres à la règle (par exemple « consent »: true) et, pour un délai en jours ouvrables, "
        "« place » (tribunal ou département : les jours fériés locaux d'Alsace-Moselle et d'outre-mer sont alors "
        "appliqués ; sans lieu, calendrier national). Les heures sont comptées en temps "
        "réel (changements d'heure compris) ; le résultat donne les dates, les étapes du calcul, les avertissements "
        "(notamment la prorogation de l'article 801, hors corpus, jamais appliquée d'office) et les textes cités."
    ),
}
LABELS = {
    POLE_INSTRUCTION: "Pôle de l'instruction d'un tribunal judiciaire (art. D. 15-4-4)",
    JURIDICTION_SPECIALISEE: "Juridictions spécialisées compétentes pour une matière",
    DELAI: "Calcul d'un délai de procédure",
}


def run_tool(catalog: Catalog, tool_id: str, arguments: dict[str, Any] | None) -> dict[str, Any]:
    """Run a tool by id. Raises ``UnknownToolError`` or ``InvalidToolInputError`` (French message naming the field)."""
    if tool_id not in TOOL_IDS:
        raise UnknownToolError(tool_id, list(TOOL_IDS))
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise InvalidToolInputError("arguments", "un objet JSON {nom: valeur} est attendu.")
    arguments = validate_arguments(ARGS_MODELS[tool_id], arguments)
    try:
        if tool_id == POLE_INSTRUCTION:
            return run_pole_instruction(catalog, arguments)
        if tool_id == JURIDICTION_SPECIALISEE:
            return run_juridiction_specialisee(arguments)
        return run_delai(arguments, catalog)
    except (OverflowError, ValueError, TypeError) as exc:  # no raw exception escapes a tool: a French 422, field named
        field = "start" if tool_id == DELAI else "arguments"
        raise InvalidToolInputError(field, "valeur hors de la plage calculable ou mal formée.") from exc


def tool_catalogue(catalog: Catalog) -> list[dict[str, Any]]:
    """The tools for ``GET /v1/tools``: id, label, description, JSON schema; matters and deadline rules listed."""
    out: list[dict[str, Any]] = []
    for tool_id in TOOL_IDS:
        entry: dict[str, Any] = {
            "id": tool_id,
            "label": LABELS[tool_id],
            "description": DESCRIPTIONS[tool_id],
            "parameters": json_schema(ARGS_MODELS[tool_id]),
        }
        if tool_id == POLE_INSTRUCTION:
            entry["poles"] = len(catalog.poles)
            entry["tribunaux"] = sum(len(p.tribunaux) for p in catalog.poles)
        elif tool_id == JURIDICTION_SPECIALISEE:
            entry["matters"] = matters_catalogue()
        else:
            entry["rules"] = [r.to_catalogue() for r in load_delai_rules().values()]
        out.append(entry)
    return out


def langchain_tools(catalog: Catalog) -> list[Any]:
    """The three tools as LangChain ``StructuredTool``s bound to ``catalog``; names are the tool ids.

    Each ``args_schema`` is the tool's pydantic model (``assistant.tools.schemas``). A bad input raises
    ``InvalidToolInputError``, a ``ToolException``: with ``handle_tool_error`` the tool returns its French message
    to the model (a LangGraph ``ToolNode`` does not crash); a malformed call gets a French message too.
    """
    from langchain_core.tools import StructuredTool

    def bound(tool_id: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            return run_tool(catalog, tool_id, kwargs)

        call.__name__ = tool_id.replace("-", "_")
        return call

    return [
        StructuredTool.from_function(
            func=bound(tool_id), name=tool_id, description=DESCRIPTIONS[tool_id], args_schema=ARGS_MODELS[tool_id],
            handle_tool_error=True, handle_validation_error=_validation_message,
        )
        for tool_id in TOOL_IDS
    ]


def _validation_message(exc: Any) -> str:
    from pydantic import ValidationError

    return str(invalid_input(exc)) if isinstance(exc, ValidationError) else "arguments invalides."


__all__ = ["TOOL_IDS", "run_tool", "tool_catalogue", "langchain_tools"]
