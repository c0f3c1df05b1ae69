"""OpenAI-compatible endpoints, for the chat portals that speak that protocol (Open WebUI, LibreChat, Albert clients,
the official ``openai`` client, LangChain's ``ChatOpenAI``).

- ``GET /v1/models``: the assistant as one model, ``cpp-assistant``;
- ``POST /v1/chat/completions``: the last user message is the question, the earlier user/assistant turns the
  history; ``content`` is the answer followed by its references; the structured answer (citations, tool calls,
  refusal…, the shape of ``POST /v1/ask``) is in the extra field ``cpp_assistant``. ``stream: true`` sends the
  OpenAI chunks (``chat.completion.chunk``) as the text is generated, then ``data: [DONE]``.

Same keys, rate limit and audit as ``/v1/ask``; errors are problem+json, except a missing or unknown key, which gets
the 401 with an OpenAI ``error`` body that these clients expect.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.answer import Answer
from assistant.api.problems import ApiProblem
from assistant.api.routes import (
    COMMON_ERRORS,
    VALIDATION_ERROR,
    AuditDep,
    GuardsDep,
    RuntimeDep,
    api_key_scheme,
    bearer_scheme,
    require_caller,
)
from assistant.api.schemas import MAX_HISTORY_TURNS, MAX_TURN_CHARS, AskRequest, AskResponse
from assistant.api.security import Caller
from assistant.api.streams import SSE_HEADERS, StreamFailed, answer_stream, sse_frame
from assistant.streaming import reconcile

MODEL_ID = "cpp-assistant"
EXTRA_FIELD = "cpp_assistant"
CREATED = 1767225600  # 2026-01-01, the « created » of the one model


class OpenAIAuthError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def openai_caller(
    request: Request,
    runtime: RuntimeDep,
    guards: GuardsDep,
    entry: AuditDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    """``require_caller`` of ``/v1``, with a missing or unknown key as the OpenAI-style 401."""
    try:
        return require_caller(request, runtime, guards, entry, bearer, x_api_key)
    except ApiProblem as exc:
        if exc.status in (401, 403):
            raise OpenAIAuthError(exc.detail) from None
        raise


OPENAI_401: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Clé d'API manquante ou inconnue : corps d'erreur au format OpenAI (`error.code` = `invalid_api_key`).",
        "content": {"application/json": {"example": {"error": {
            "message": "Clé d'API refusée…", "type": "invalid_request_error", "param": None, "code": "invalid_api_key",
        }}}},
    },
}
router = APIRouter(
    prefix="/v1", tags=["compatibilité OpenAI"], dependencies=[Depends(openai_caller)],
    responses={**{k: v for k, v in COMMON_ERRORS.items() if k not in (401, 403)}, **OPENAI_401},
)


# -- schemas -----------------------------------------------------------------------------------------------


class ModelCard(BaseModel):
    id: str = Field(..., examples=[MODEL_ID])
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"] = Field(..., description="Auteur du message.")
    content: str | list[dict[str, Any]] | None = Field(
        None, description="Texte du message (ou liste de parties `{type: text, text}` ; les autres parties sont ignorées).",
    )


class ChatCompletionRequest(BaseModel):
    """Requête au format OpenAI ; les paramètres d'échantillonnage (temperature, max_tokens…) sont acceptés et ignorés."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{
            "model": MODEL_ID, "stream": False,
            "messages": [{"role": "user", "content": "Combien de temps peut durer la garde à vue en matière de terrorisme ?"}],
        }]},
    )

    model: str = Field(MODEL_ID, max_length=200, description=f"Nom du modèle : « {MODEL_ID} » (tout autre nom désigne le même assistant).")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200, description="La conversation ; le dernier message « user » est la question.")
    stream: bool = Field(False, description="true : réponse en flux (morceaux `chat.completion.chunk`, puis `[DONE]`).")


class ChatChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage = Field(default_factory=Usage, description="Non mesuré (zéros) : le corpus n'est pas facturé au jeton.")
    cpp_assistant: AskResponse = Field(..., description="La réponse structurée, même forme que POST /v1/ask (citations, outils, refus…).")


# -- mapping -----------------------------------------------------------------------------------------------


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return ""


def to_ask_request(body: ChatCompletionRequest) -> AskRequest:
    """The last user message as the question, the user/assistant turns before it as the history (French 422 otherwise)."""
    turns = [(m.role, _text(m.content)) for m in body.messages if m.role in ("user", "assistant")]
    last_user = max((i for i, (role, _) in enumerate(turns) if role == "user"), default=None)
    if last_user is None:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("body", "messages"), "msg": "",
            "ctx": {"error": "aucun message « user » : la dernière question de l'utilisateur est attendue."},
        }])
    history = [{"role": role, "content": text[:MAX_TURN_CHARS]} for role, text in turns[:last_user] if text.strip()]
    try:
        return AskRequest.model_validate({"question": turns[last_user][1], "history": history[-MAX_HISTORY_TURNS:]})
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", "messages", *e["loc"])} for e in exc.errors()]) from None


def references(answer: Answer) -> str:
    """The « Références » block appended to ``content``: each cited source once, with its version date."""
    labels: list[str] = []
    for c in answer.citations:
        if c.role == "source" and c.label() not in labels:
            labels.append(c.label())
    return ("\n\n**Références**\n" + "\n".join(f"- {label}" for label in labels)) if labels else ""


def _completion_id(request_id: str) -> str:
    return f"chatcmpl-{request_id}"


# -- routes ------------------------------------------------------------------------------------------------


@router.get("/models", summary="Modèles (compatibilité OpenAI)")
def list_models() -> ModelList:
    """L'assistant, vu comme un modèle unique « cpp-assistant », pour les clients compatibles OpenAI."""
    return ModelList(data=[ModelCard(id=MODEL_ID, created=CREATED, owned_by="cpp-assistant")])


@router.post(
    "/chat/completions", summary="Conversation (compatibilité OpenAI)", response_model=None,
    responses={
        200: {
            "model": ChatCompletion,
            "description": "Réponse `chat.completion` ; avec `stream: true`, flux `text/event-stream` de `chat.completion.chunk` terminé par `data: [DONE]`.",
            "content": {"text/event-stream": {"schema": {"type": "string", "description": "Lignes `data: {chat.completion.chunk}`, puis `data: [DONE]`."}}},
        },
        **VALIDATION_ERROR,
    },
)
def chat_completions(body: ChatCompletionRequest, runtime: RuntimeDep, entry: AuditDep) -> ChatCompletion | StreamingResponse:
    """Point d'entrée compatible OpenAI : le dernier message « user » est la question, les messages précédents
    l'historique. `content` contient la réponse suivie de ses références ; le champ `cpp_assistant` contient la
    réponse structurée (citations exactes, outils, refus), comme POST /v1/ask."""
    ask = to_ask_request(body)
    history = [t.model_dump() for t in ask.history]
    if body.stream:
        items = answer_stream(runtime, ask.question, history, entry)
        return EventSourceResponse(completion_chunks(items, entry.request_id), headers=SSE_HEADERS)
    answer = runtime.ask(ask.question, history, entry)
    data = AskResponse.model_validate({**answer.to_dict(), "request_id": entry.request_id})
    return ChatCompletion(
        id=_completion_id(entry.request_id), created=int(time.time()), model=MODEL_ID,
        choices=[ChatChoice(message=ChatChoiceMessage(content=answer.answer + references(answer)))],
        cpp_assistant=data,
    )


def completion_chunks(items: Iterator[str | Answer], request_id: str) -> Iterator[bytes]:
    """``chat.completion.chunk`` frames: the role, the text as it comes, the references, the final chunk (with
    ``cpp_assistant``), then ``[DONE]``. A refusal decided at the end is appended, as the stream cannot be rewritten."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": _completion_id(request_id), "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra,
        }
        return sse_frame(None, body)

    yield chunk({"role": "assistant", "content": ""})
    streamed = ""
    try:
        for item in items:
            if isinstance(item, str):
                if item:
                    streamed += item
                    yield chunk({"content": item})
                continue
            fix = reconcile(streamed, item)
            data = AskResponse.model_validate({**item.to_dict(), "request_id": request_id}).model_dump(mode="json")
            tail = fix.delta
            if fix.replacement is not None:
                tail = "\n\n---\n**Texte écarté par le contrôle des citations.** Réponse vérifiée :\n\n" + fix.replacement
            tail += references(item)
            if tail:
                yield chunk({"content": tail})
            yield chunk({}, "stop", **{EXTRA_FIELD: data})
    except StreamFailed as exc:
        yield sse_frame(None, {"error": {"message": exc.message, "type": "server_error", "param": None, "code": None}})
    yield sse_frame(None, "[DONE]")


def install_openai_routes(app: FastAPI, max_body_size: int | None = None) -> None:
    """Mount the OpenAI-compatible routes and their 401 (OpenAI ``error`` body)."""

    @app.exception_handler(OpenAIAuthError)
    async def _auth(request: Request, exc: OpenAIAuthError) -> JSONResponse:
        body = {"error": {"message": exc.message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="cpp-assistant"'})

    app.include_router(router, max_body_size=max_body_size)
