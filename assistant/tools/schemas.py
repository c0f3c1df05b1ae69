"""The arguments of each tool as ONE pydantic model: it gives the JSON schema of ``GET /v1/tools``, the validation of
``POST /v1/tools/{id}`` (``run_tool``) and the ``args_schema`` of the LangChain ``StructuredTool``.

Semantic checks (a tribunal absent from the D15-4-4 table, an unknown rule or matter) stay in the tools, which
raise ``InvalidToolInputError`` (a ``ToolException``) with a French message naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from assistant.errors import InvalidToolInputError
from assistant.tools.competence import parse_minor, parse_stage
from assistant.tools.rules import load_delai_rules

CITY_MAX_CHARS = 120


class PoleInstructionArgs(BaseModel):
    """Arguments of ``pole-instruction``."""

    model_config = ConfigDict(extra="forbid")

    tribunal: str | None = Field(
        None, max_length=CITY_MAX_CHARS,
        description="Ville du tribunal judiciaire (ex. « Auch », « TJ de Saint-Étienne ») : renvoie le pôle et la cour d'appel.",
    )
    pole: str | None = Field(
        None, max_length=CITY_MAX_CHARS,
        description="Ville siège d'un pôle de l'instruction, pour la question inverse (ex. « Laon ») : renvoie les tribunaux couverts.",
    )


class JuridictionSpecialiseeArgs(BaseModel):
    """Arguments of ``juridiction-specialisee`` (French names accepted: matiere, mineur, stade)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    matter: str = Field(
        ..., max_length=200, validation_alias=AliasChoices("matter", "matiere"),
        description="Matière (ex. « terrorisme », « JIRS », « PNF », « pollution marine »).",
    )
    minor: Annotated[bool | None, BeforeValidator(parse_minor)] = Field(
        None, validation_alias=AliasChoices("minor", "mineur"), description="true si l'auteur est mineur.",
    )
    stage: Annotated[
        Literal["enquete", "poursuite", "instruction", "jugement", "application_des_peines", "entraide"] | None,
        BeforeValidator(parse_stage),
    ] = Field(None, validation_alias=AliasChoices("stage", "stade"), description="Stade de la procédure.")


def _rule_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(load_delai_rules())


class DelaiArgs(BaseModel):
    """Arguments of ``delai``; the options of a rule may also be given at the top level."""

    model_config = ConfigDict(extra="allow")

    rule: str = Field(
        ..., max_length=200, json_schema_extra=_rule_enum,
        description="Identifiant de la règle de délai (voir la liste « rules » du catalogue des outils).",
    )
    start: str | None = Field(
        None, max_length=100,
        description="Date (et heure) de l'événement de départ, ISO 8601 ou en français (« 23 octobre 2026 à 10h »).",
    )
    place: str | None = Field(
        None, max_length=CITY_MAX_CHARS, validation_alias=AliasChoices("place", "lieu"),
        description=(
            "Lieu, pour le calendrier des jours fériés des délais en jours ouvrables : tribunal judiciaire (« Strasbourg ») "
            "ou département (« 57 », « Moselle », « 974 »). Sans lieu, le calendrier national (métropole) est utilisé."
        ),
    )
    options: dict[str, Any] | None = Field(
        None, description="Options propres à la règle, ex. {\"consent\": true} (elles peuvent aussi être données au premier niveau).",
    )


ARGS_MODELS: dict[str, type[BaseModel]] = {
    "pole-instruction": PoleInstructionArgs,
    "juridiction-specialisee": JuridictionSpecialiseeArgs,
    "delai": DelaiArgs,
}


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a tool's arguments, as ``GET /v1/tools`` publishes it."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    if model.model_config.get("extra") == "forbid":
        schema["additionalProperties"] = False
    return schema


def validate_arguments(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Validate with the tool's model; the arguments actually given (and extra options), or ``InvalidToolInputError``."""
    try:
        parsed = model.model_validate(arguments)
    except ValidationError as exc:
        raise invalid_input(exc) from None
    out = parsed.model_dump(exclude_unset=True)
    out.update(parsed.model_extra or {})
    return out


def invalid_input(exc: ValidationError) -> InvalidToolInputError:
    """The first pydantic error as a French ``InvalidToolInputError`` naming the field."""
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    field = loc[0] if loc else "arguments"
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    messages = {
        "missing": "champ obligatoire manquant.",
        "string_type": "texte attendu.",
        "string_too_long": f"texte trop long ({ctx.get('max_length')} caractères au plus).",
        "bool_type": "booléen (true ou false) attendu.",
        "bool_parsing": "booléen (true ou false) attendu.",
        "dict_type": "un objet {nom: valeur} est attendu.",
        "literal_error": f"valeur attendue : {ctx.get('expected', '')}.",
        "extra_forbidden": "argument inconnu (attendus : " + ", ".join(f"« {f} »" for f in _field_names(exc)) + ").",
        "model_type": "un objet JSON {nom: valeur} est attendu.",
    }
    return InvalidToolInputError(field, messages.get(kind, "valeur invalide."))


def _field_names(exc: ValidationError) -> list[str]:
    """The argument names of the model that raised ``exc`` (its title is the model's name)."""
    model = {m.__name__: m for m in ARGS_MODELS.values()}.get(exc.title)
    return list(model.model_fields) if model else []
