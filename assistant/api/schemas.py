"""Request and response schemas of the HTTP API (``api_contract.md``), with French descriptions and examples for OpenAPI."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_type_hints

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_validator

from assistant.answer import ToolUse
from assistant.chain import MAX_QUESTION_CHARS
from assistant.models import Citation
from assistant.normalize import normalize_input
from assistant.runtime import MAX_CONVERSATION_CHARS

MAX_HISTORY_TURNS = 40
MAX_TURN_CHARS = 20_000
NON_BLANK = r"\S"  # at least one visible character (blank questions are refused with a French message)


def _normalized(value: object) -> object:
    return normalize_input(value) if isinstance(value, str) else value


NormalizedStr = Annotated[str, BeforeValidator(_normalized)]
"""Text from a user: normalized (NFKC, dashes, invisible characters) before any validation or parsing."""

EXAMPLE_QUESTION = "Combien de temps peut durer la garde à vue en matière de terrorisme ?"


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(..., description="Auteur du message : « user » (magistrat) ou « assistant ».")
    content: NormalizedStr = Field(..., max_length=MAX_TURN_CHARS, description="Texte du message.")


class AskRequest(BaseModel):
    """Une question de procédure pénale, avec l'historique de la conversation pour les questions de suivi."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": EXAMPLE_QUESTION, "history": []},
                {
                    "question": "Et en criminalité organisée ?",
                    "history": [
                        {"role": "user", "content": EXAMPLE_QUESTION},
                        {"role": "assistant", "content": "Selon l'article 706-88-1 du CPP…"},
                    ],
                },
            ]
        },
    )

    question: NormalizedStr = Field(
        ..., min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NON_BLANK,
        description=f"La question, en français ({MAX_QUESTION_CHARS} caractères au plus, non vide).",
        examples=[EXAMPLE_QUESTION],
    )
    history: list[Turn] = Field(
        default_factory=list, max_length=MAX_HISTORY_TURNS,
        description=(
            "Messages précédents de la conversation, du plus ancien au plus récent (facultatif) ; question et historique "
            f"totalisent {MAX_CONVERSATION_CHARS} caractères au plus."
        ),
    )

    @model_validator(mode="after")
    def _bounded_conversation(self) -> AskRequest:
        total = len(self.question) + sum(len(t.content) for t in self.history)
        if total > MAX_CONVERSATION_CHARS:
            raise ValueError(
                f"la conversation est trop longue ({total} caractères pour la question et l'historique ; "
                f"{MAX_CONVERSATION_CHARS} au plus) : commencez une nouvelle conversation."
            )
        return self


class SearchRequest(BaseModel):
    """Une recherche dans le corpus (BM25 et sémantique fusionnés), sans réponse rédigée."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"query": "prolongation de la garde à vue terrorisme", "k": 5}]}
    )

    query: NormalizedStr = Field(
        ..., min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NON_BLANK,
        description="Les mots ou la question à chercher.", examples=["prolongation de la garde à vue terrorisme"],
    )
    k: int = Field(10, ge=1, le=50, description="Nombre de résultats (1 à 50).")


def model_of(source: type, name: str, **types: Any) -> type[BaseModel]:
    """The response model of a dataclass the engine returns: its fields, types, defaults and French descriptions
    (``api_doc`` metadata) are declared once, on the dataclass. A nullable field without default is optional (null) in
    the API; ``types`` gives a field another type in the API."""
    hints = get_type_hints(source)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(source):
        kind = types.get(f.name, hints[f.name])
        if f.default is not dataclasses.MISSING:
            info = Field(f.default, **f.metadata)
        elif f.default_factory is not dataclasses.MISSING:
            info = Field(default_factory=f.default_factory, **f.metadata)
        else:
            info = Field(None if type(None) in get_args(kind) else ..., **f.metadata)
        fields[f.name] = (kind, info)
    return create_model(name, **fields)


if TYPE_CHECKING:  # made at run time: to mypy, models
    CitationOut = BaseModel
    ToolCallOut = BaseModel
else:
    # ``role`` is a plain string in the contract (the engine's Literal is not published as an enum).
    CitationOut = model_of(Citation, "CitationOut", role=str)
    ToolCallOut = model_of(ToolUse, "ToolCallOut")


class RetrievedUnit(BaseModel):
    unit_id: str
    doc_id: str
    article: str | None = None
    section: str | None = None
    abrogated: bool = False


class AskResponse(BaseModel):
    """La réponse, ses citations exactes et les outils utilisés."""

    answer: str = Field(..., description="Réponse en français (Markdown).")
    refused: bool = Field(..., description="true quand le corpus ne permet pas de répondre (la réponse l'explique).")
    citations: list[CitationOut] = Field(default_factory=list, description="Passages cités ; tout numéro d'article de la réponse y figure.")
    tool_calls: list[ToolCallOut] = Field(default_factory=list, description="Outils déterministes utilisés (délais, compétence).")
    request_id: str = Field(..., description="Identifiant de la requête (aussi dans l'en-tête X-Request-ID et le journal d'audit).")
    timings_ms: dict[str, float] = Field(default_factory=dict, description="Durées des étapes en millisecondes, dont « total ».")
    standalone_question: str = Field("", description="La question reformulée de façon autonome (questions de suivi).")
    retrieved: list[RetrievedUnit] = Field(default_factory=list, description="Unités retrouvées, de la plus pertinente à la moins pertinente.")
    generator: str = Field("extractive", description="Générateur de la réponse : « extractive » ou « openai ».")
    summary: str | None = Field(None, description="La réponse courte (ligne « Réponse »), en texte brut, avec sa référence précise ; null si refus.")
    degraded: str | None = Field(None, description="Pourquoi la réponse a été calculée en mode dégradé (ex. recherche sémantique indisponible), sinon null.")


class SearchResult(BaseModel):
    doc_id: str
    doc_title: str
    kind: Literal["code", "circulaire"]
    article: str | None = None
    section: str | None = None
    title: str = Field(..., description="Titre de l'unité (« Article 706-88 » ou titre de section).")
    hierarchy: list[str] = Field(default_factory=list)
    text: str = Field(..., description="Texte intégral de l'unité.")
    version_date: str | None = None
    abrogated: bool = False
    unit_id: str
    score: float = Field(..., description="Score de fusion (plus haut = plus pertinent).")


class SearchResponse(BaseModel):
    results: list[SearchResult]
    degraded: str | None = Field(None, description="Pourquoi la recherche a été faite en mode dégradé (sans recherche sémantique), sinon null.")


class OtherBlock(BaseModel):
    unit_id: str
    abrogated: bool
    text: str


class ArticleResponse(BaseModel):
    """Le texte d'un article, son chemin de titres, ses notes et sa version."""

    doc_id: str
    doc_title: str
    article: str = Field(..., description="Numéro normalisé.", examples=["706-88"])
    title: str
    hierarchy: list[str]
    text: str
    alineas: list[str]
    notes: list[str] = Field(default_factory=list, description="Notes d'entrée en vigueur (« Conformément à … »).")
    version_date: str | None
    abrogated: bool
    unverified: bool = Field(False, description="Numéro non confirmé par les tables de référence.")
    other_blocks: list[OtherBlock] = Field(
        default_factory=list, description="Autres blocs portant le même numéro (ex. ancienne rédaction abrogée)."
    )


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    short_title: str
    kind: Literal["code", "circulaire"]
    version_date: str | None
    version_label: str = Field(..., description="Date de version en toutes lettres, ou « non précisée ».")
    reference: str | None = Field(None, description="Référence NOR ou référence de la circulaire.")
    unit_count: int = Field(..., description="Nombre d'unités (articles ou sections).")
    abrogated_count: int = Field(0, description="Dont blocs abrogés.")


class DocumentsResponse(BaseModel):
    documents: list[DocumentOut]


class ToolsResponse(BaseModel):
    tools: list[dict[str, Any]] = Field(..., description="Outils : id, libellé, description, paramètres (JSON Schema), règles de délai.")


class IndexInfo(BaseModel):
    model: str
    built_at: str
    chunk_count: int
    unit_counts: dict[str, int] = Field(default_factory=dict)


class AuthInfo(BaseModel):
    mode: Literal["api-key", "open"] = Field(..., description="« api-key » : clé exigée sur /v1 ; « open » : aucune clé configurée.")
    message: str


class AuditInfo(BaseModel):
    question_mode: Literal["stored", "hashed", "omitted"]
    write_failures: int = Field(0, description="Écritures du journal d'audit qui ont échoué depuis le démarrage.")
    backend: Literal["sqlite", "postgresql"] = Field("sqlite", description="Où sont écrits les enregistrements.")
    required: bool = Field(False, description="Journal obligatoire : le service refuse de répondre s'il ne peut pas écrire.")
    writable: bool = Field(True, description="false : les enregistrements ne peuvent pas être écrits en ce moment.")


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "starting", "index absent", "error"] = Field(
        ..., description=(
            "« ok » : prêt ; « degraded » : répond, mais en mode dégradé (voir `degraded`) ; « starting » : chargement en "
            "cours ; « index absent » : index à construire ; « error ». Sans clé (quand des clés sont configurées), "
            "seul ce champ est renvoyé."
        ),
    )
    detail: str | None = Field(None, description="État en une phrase.")
    index: IndexInfo | None = None
    auth: AuthInfo | None = None
    audit: AuditInfo | None = None
    degraded: list[str] = Field(default_factory=list, description="Ce qui ne fonctionne pas alors que le service répond (mode dégradé).")
    version: str | None = None


class Problem(BaseModel):
    """Erreur au format application/problem+json (RFC 9457)."""

    type: str = Field(..., examples=["urn:cpp-assistant:probleme:donnees-invalides"])
    title: str = Field(..., examples=["Données invalides"])
    status: int = Field(..., examples=[422])
    detail: str = Field(..., examples=["question : la question est vide : posez une question de procédure pénale en français."])


MAX_COMMENT_CHARS = 4000


class FeedbackRequest(BaseModel):
    """L'avis d'un utilisateur sur une réponse, repérée par son `request_id` (une seule note par réponse)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"request_id": "3f2a9c1e8b7d4f60", "rating": "down", "comment": "Il manque l'article 706-88."}]},
    )

    request_id: str = Field(
        ..., min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
        description="Identifiant de la réponse notée (champ `request_id` de POST /v1/ask, ou en-tête X-Request-ID).",
    )
    rating: Literal["up", "down"] = Field(..., description="« up » : réponse utile ; « down » : réponse à revoir.")
    comment: str | None = Field(
        None, max_length=MAX_COMMENT_CHARS,
        description="Commentaire facultatif. Absent ou null : le commentaire déjà enregistré est conservé ; \"\" l'efface.",
    )


class FeedbackResponse(BaseModel):
    request_id: str = Field(..., description="Identifiant de la réponse notée.")
    rating: Literal["up", "down"] = Field(..., description="La note enregistrée.")
    replaced: bool = Field(..., description="true : une note existait déjà pour cette réponse et a été remplacée (jamais de doublon).")
