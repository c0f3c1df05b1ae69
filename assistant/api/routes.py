"""Thin routes: parse, call the assistant, map to a response schema. Docstrings are the French OpenAPI descriptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.sse import EventSourceResponse

from assistant.answer import Answer
from assistant.api.keys import match_key
from assistant.api.problems import PROBLEM_JSON, problem_body
from assistant.api.schemas import (
    ArticleResponse,
    AskRequest,
    AskResponse,
    AuditInfo,
    AuthInfo,
    DocumentOut,
    DocumentsResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    IndexInfo,
    OtherBlock,
    Problem,
    SearchRequest,
    SearchResponse,
    SearchResult,
    ToolsResponse,
)
from assistant.api.security import Caller, Guards, authenticate, enforce_rate_limit
from assistant.api.streams import SSE_HEADERS, StreamFailed, answer_stream, sse_frame
from assistant.audit import AuditEntry
from assistant.chain import Assistant
from assistant.normalize import normalize_input, normalize_value
from assistant.runtime import AuditUnavailableError, Runtime
from assistant.streaming import reconcile
from assistant.tools import TOOL_IDS, run_tool, tool_catalogue

VERSION = "0.1.0"


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("Clé d'API manquante (quand des clés sont configurées)."),
    403: _problem("Clé d'API inconnue."),
    413: _problem("Corps de requête trop volumineux."),
    429: _problem("Trop de requêtes pour cette clé (en-tête Retry-After)."),
    503: _problem("Service en cours de démarrage ou index absent."),
}
VALIDATION_ERROR: dict[int | str, dict[str, Any]] = {422: _problem("Données invalides (le détail nomme le champ).")}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("Référence inconnue (avec les références proches).")}

# -- dependencies --------------------------------------------------------------------------------------

bearer_scheme = HTTPBearer(auto_error=False, description="Clé d'API : « Authorization: Bearer <clé> ».")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="Clé d'API : « X-API-Key: <clé> ».")


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_guards(request: Request) -> Guards:
    return request.app.state.guards


GuardsDep = Annotated[Guards, Depends(get_guards)]


async def get_audit_entry(request: Request) -> AuditEntry:
    entry = getattr(request.state, "audit", None)
    if entry is None:  # app used without its middleware (never in production)
        entry = AuditEntry(request_id="-", route=f"{request.method} {request.url.path}")
    return entry


AuditDep = Annotated[AuditEntry, Depends(get_audit_entry)]


def require_caller(
    request: Request,
    runtime: RuntimeDep,
    guards: GuardsDep,
    entry: AuditDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    """The one door of /v1 (and of any route that computes): a valid key when keys are configured, failed attempts
    throttled per address, then the caller's rate limit. Reusable as ``Depends(require_caller)`` on new routes."""
    client = request.client.host if request.client else None
    caller = authenticate(
        runtime.settings.api_key_hashes, bearer.credentials if bearer else None, x_api_key, client,
        throttle=guards.auth_throttle, limits=runtime.settings.api_key_limits,
    )
    entry.key_id = caller.key_id
    enforce_rate_limit(guards.limiter, caller)
    return caller


CallerDep = Annotated[Caller, Depends(require_caller)]


def get_assistant(runtime: RuntimeDep) -> Assistant:
    return runtime.require_assistant()


AssistantDep = Annotated[Assistant, Depends(get_assistant)]

router = APIRouter(prefix="/v1", dependencies=[Depends(require_caller)], responses=COMMON_ERRORS)
health_router = APIRouter()

# -- ask ---------------------------------------------------------------------------------------------------


async def answer_request(runtime: Runtime, body: AskRequest, entry: AuditEntry) -> AskResponse:
    """The one code path of ``/v1/ask`` and ``/v1/ask/stream`` (async: waits for its turn without holding a thread)."""
    answer = await runtime.ask_async(body.question, [t.model_dump() for t in body.history], entry)
    return AskResponse.model_validate({**answer.to_dict(), "request_id": entry.request_id})


@router.post("/ask", tags=["questions"], summary="Poser une question", responses=VALIDATION_ERROR)
async def ask(body: AskRequest, runtime: RuntimeDep, entry: AuditDep) -> AskResponse:
    """Répond à une question de procédure pénale à partir du corpus, avec des citations exactes (document, article ou
    section, date de version, passage mot pour mot) et, s'il y a lieu, le résultat d'un outil déterministe (délai,
    compétence). Quand le corpus ne permet pas de répondre, `refused` vaut true et la réponse l'explique.
    Les questions de suivi utilisent `history`."""
    return await answer_request(runtime, body, entry)


STREAM_EXAMPLE = (
    'event: start\ndata: {"request_id": "3f2a…"}\n\n'
    'event: delta\ndata: {"text": "Selon l\'article 706-88-1 du CPP (CPP, art. 706-88-1), "}\n\n'
    'event: citations\ndata: {"citations": [...]}\n\n'
    'event: tool_calls\ndata: {"tool_calls": []}\n\n'
    'event: done\ndata: {"answer": "…", "refused": false, "citations": [...], "request_id": "3f2a…", …}\n\n'
)


SSE_EVENT_SCHEMA = {
    "type": "object",
    "description": "Un événement du flux ; `data` est du JSON.",
    "properties": {
        "event": {"type": "string", "enum": ["start", "delta", "replace", "citations", "tool_calls", "done", "error"]},
        "data": {"type": "string", "description": "Charge utile JSON de l'événement."},
    },
    "required": ["event", "data"],
}


@router.post(
    "/ask/stream",
    tags=["questions"],
    summary="Poser une question (réponse en flux SSE)",
    response_class=StreamingResponse,  # not EventSourceResponse: it would document the errors as text/event-stream
    responses={
        200: {
            "description": (
                "Flux Server-Sent Events : `start` (request_id), des `delta` (le texte au fur et à mesure de sa "
                "génération, à concaténer ; avec le générateur LLM, phrase par phrase), éventuellement `replace` (le "
                "texte vérifié remplace tout le texte reçu : réponse écartée faute de source vérifiable), `citations`, "
                "`tool_calls`, puis `done` (la réponse complète, même forme que POST /v1/ask, qui fait foi). Une erreur "
                "survenue pendant le flux arrive comme événement `error` (`detail` en français)."
            ),
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA, "example": STREAM_EXAMPLE}},
        },
        **VALIDATION_ERROR,
    },
)
def ask_stream(body: AskRequest, runtime: RuntimeDep, entry: AuditDep) -> StreamingResponse:
    """Même réponse que `POST /v1/ask`, envoyée en flux (Server-Sent Events) : le texte arrive au fur et à mesure
    qu'il est généré (contrôle des citations compris), puis les citations, les outils utilisés et l'événement final
    `done` qui contient la réponse complète."""
    items = answer_stream(runtime, body.question, [t.model_dump() for t in body.history], entry)
    return EventSourceResponse(sse_events(items, entry.request_id), headers=SSE_HEADERS)


def sse_events(items: Iterator[str | Answer], request_id: str) -> Iterator[bytes]:
    """The SSE frames of a streamed answer: concatenating the ``delta`` texts (after any ``replace``) gives ``answer``."""
    yield sse_frame("start", {"request_id": request_id})
    streamed = ""
    try:
        for item in items:
            if isinstance(item, str):
                if item:
                    streamed += item
                    yield sse_frame("delta", {"text": item})
                continue
            fix = reconcile(streamed, item)
            if fix.replacement is not None:
                yield sse_frame("replace", {"text": fix.replacement})
            elif fix.delta:
                yield sse_frame("delta", {"text": fix.delta})
            data = AskResponse.model_validate({**item.to_dict(), "request_id": request_id}).model_dump(mode="json")
            yield sse_frame("citations", {"citations": data["citations"]})
            yield sse_frame("tool_calls", {"tool_calls": data["tool_calls"]})
            yield sse_frame("done", data)
    except StreamFailed as exc:
        yield sse_frame("error", problem_body(500, exc.message, request_id=request_id))


# -- feedback ----------------------------------------------------------------------------------------------


@router.post("/feedback", tags=["questions"], summary="Donner son avis sur une réponse", responses=VALIDATION_ERROR)
def feedback(body: FeedbackRequest, runtime: RuntimeDep) -> FeedbackResponse:
    """Enregistre l'avis (👍 « up » ou 👎 « down », commentaire facultatif) sur une réponse, repérée par son
    `request_id`. Une seule note par réponse : un nouvel avis remplace le précédent (`replaced` vaut alors true).
    Les avis sont conservés dans la base d'audit et s'exportent avec
    `cpp-assistant audit export --table feedback`."""
    replaced = runtime.audit.save_feedback(request_id=body.request_id, rating=body.rating, comment=body.comment, source="api")
    return FeedbackResponse(request_id=body.request_id, rating=body.rating, replaced=replaced)


# -- corpus ------------------------------------------------------------------------------------------------


@router.post("/search", tags=["corpus"], summary="Chercher dans le corpus", responses=VALIDATION_ERROR)
async def search(body: SearchRequest, runtime: RuntimeDep, assistant: AssistantDep, entry: AuditDep) -> SearchResponse:
    """Recherche hybride (BM25 en français et recherche sémantique fusionnées) : les articles et sections les plus
    pertinents, texte intégral, sans réponse rédigée."""
    entry.question = body.query
    hits, degraded = await runtime.search_async(body.query, body.k)
    entry.retrieved = [h.unit.unit_id for h in hits]
    catalog = assistant.catalog
    return SearchResponse(degraded=degraded, results=[
        SearchResult(
            doc_id=h.unit.doc_id, doc_title=catalog.document(h.unit.doc_id).title, kind=h.unit.kind,
            article=h.unit.article, section=h.unit.section, title=h.unit.title, hierarchy=list(h.unit.hierarchy),
            text=h.unit.text, version_date=h.unit.version_date, abrogated=h.unit.abrogated, unit_id=h.unit.unit_id,
            score=round(h.score, 6),
        )
        for h in hits
    ])


@router.get("/articles/{ref}", tags=["corpus"], summary="Texte d'un article", responses={**NOT_FOUND, **VALIDATION_ERROR})
def get_article(
    ref: Annotated[str, Path(description="Référence de l'article, sous une forme usuelle : « 706-88 », « D15-4-4 », « art. D. 15-4-4 ».",
                             examples=["706-88"])],
    assistant: AssistantDep,
    entry: AuditDep,
) -> ArticleResponse:
    """Le texte d'un article du corpus (le texte en vigueur d'abord ; un bloc abrogé de même numéro figure dans
    `other_blocks`), son chemin de titres, ses notes et sa date de version. Référence inconnue : 404 avec les
    références proches."""
    catalog = assistant.catalog
    ref = normalize_input(ref)
    unit = catalog.article(ref)
    others = [u for u in catalog.units_for_article(ref) if u.unit_id != unit.unit_id]
    return ArticleResponse(
        doc_id=unit.doc_id, doc_title=catalog.document(unit.doc_id).title, article=unit.article or ref, title=unit.title,
        hierarchy=list(unit.hierarchy), text=unit.text, alineas=list(unit.alineas), notes=list(unit.notes),
        version_date=unit.version_date, abrogated=unit.abrogated, unverified=unit.unverified,
        other_blocks=[OtherBlock(unit_id=u.unit_id, abrogated=u.abrogated, text=u.text) for u in others],
    )


@router.get("/documents", tags=["corpus"], summary="Documents du corpus")
def list_documents(assistant: AssistantDep) -> DocumentsResponse:
    """Les documents du corpus : identifiant, titre, nature, date de version, référence et nombre d'unités."""
    catalog = assistant.catalog
    out = []
    for d in catalog.documents:
        units = catalog.units_of(d.doc_id)
        out.append(DocumentOut(
            doc_id=d.doc_id, title=d.title, short_title=d.short_title, kind=d.kind, version_date=d.version_date,
            version_label=d.version_label, reference=d.reference, unit_count=len(units),
            abrogated_count=sum(u.abrogated for u in units),
        ))
    return DocumentsResponse(documents=out)


# -- tools -------------------------------------------------------------------------------------------------


@router.get("/tools", tags=["outils"], summary="Catalogue des outils")
def list_tools(assistant: AssistantDep) -> ToolsResponse:
    """Les outils déterministes (pôle de l'instruction, juridictions spécialisées, délais) avec leurs paramètres
    (JSON Schema) et, pour les délais, le catalogue des règles (identifiant, libellé, options, fondement)."""
    return ToolsResponse(tools=tool_catalogue(assistant.catalog))


TOOL_EXAMPLES = {
    "pole-instruction": {"summary": "Pôle de l'instruction d'un tribunal", "value": {"tribunal": "Cahors"}},
    "delai": {"summary": "Fin d'une garde à vue en matière de terrorisme", "value": {"rule": "gav-terrorisme", "start": "2026-10-23T10:00"}},
    "juridiction-specialisee": {"summary": "Juridictions compétentes en matière de terrorisme", "value": {"matter": "terrorisme"}},
}


@router.post("/tools/{tool_id}", tags=["outils"], summary="Exécuter un outil", responses={**NOT_FOUND, **VALIDATION_ERROR})
def call_tool(
    tool_id: Annotated[str, Path(description=f"Identifiant de l'outil : {', '.join(TOOL_IDS)}.", examples=["pole-instruction"])],
    assistant: AssistantDep,
    entry: AuditDep,
    arguments: Annotated[dict[str, Any] | None, Body(openapi_examples=TOOL_EXAMPLES, description="Arguments de l'outil (voir GET /v1/tools).")] = None,
) -> dict[str, Any]:
    """Exécute un outil déterministe. Le résultat porte toujours `basis` : les passages du corpus (document, article
    ou section, citation exacte) sur lesquels il repose. Argument invalide : 422 en nommant le champ ; outil
    inconnu : 404."""
    arguments = normalize_value(arguments)
    entry.note_tool(tool_id, dict(arguments or {}))
    return run_tool(assistant.catalog, tool_id, arguments)


# -- health ------------------------------------------------------------------------------------------------


@health_router.get(
    "/health", tags=["état"], summary="État du service", response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Pas prêt : démarrage en cours, index absent ou erreur."}},
)
async def health(request: Request, runtime: RuntimeDep) -> HealthResponse | JSONResponse:
    """État du service : prêt, dégradé (réponses sans recherche sémantique, journal d'audit en échec) ou non. Sans
    clé, quand des clés sont configurées : seulement l'état (`status`). Avec une clé valide (ou sans clé configurée) :
    index chargé (modèle, date de construction, unités par document), mode d'authentification, journal d'audit.
    503 quand rien ne peut répondre (démarrage, index absent, journal d'audit obligatoire mais inaccessible)."""
    # async: answers at once even when every worker thread is busy with a burst of questions. The key is read from
    # the headers directly: /health needs none (no security scheme in the OpenAPI), a valid one only adds detail.
    status = runtime.status
    down = status not in ("ok", "degraded") or (status == "degraded" and runtime.settings.audit_required and runtime.audit_problem())
    if down and status == "degraded":
        status = "error"
    code = 503 if down else 200
    keys = runtime.settings.api_key_hashes
    authorization = request.headers.get("authorization", "")
    presented = (authorization[7:] if authorization[:7].lower() == "bearer " else "") or request.headers.get("x-api-key")
    if keys and not (presented and match_key(presented.strip(), keys)):
        body_min = {"status": status}
        return JSONResponse(body_min, status_code=code, headers={"Retry-After": "5"} if down else None)
    state = runtime.assistant.index_state if runtime.assistant is not None else None
    detail = runtime.status_detail
    if status == "error" and runtime.audit_problem():
        detail = AuditUnavailableError().args[0]
    body = HealthResponse(
        status=status,
        detail=detail,
        index=IndexInfo(
            model=state.model, built_at=state.built_at, chunk_count=state.chunk_count, unit_counts=state.unit_counts,
        ) if state is not None else None,
        auth=AuthInfo(
            mode="api-key" if keys else "open",
            message=(f"Clé d'API exigée sur /v1 et le chat ({len(keys)} clé(s) configurée(s))." if keys
                     else "Accès ouvert : aucune clé d'API n'est configurée (CPP_ASSISTANT_API_KEY_HASHES)."),
        ),
        audit=AuditInfo(
            question_mode=runtime.audit.question_mode, write_failures=runtime.audit.failures,
            backend=runtime.audit.backend, required=runtime.settings.audit_required,
            writable=runtime.audit_problem() is None,
        ),
        degraded=runtime.degradations(),
        version=VERSION,
    )
    if down:
        return JSONResponse(body.model_dump(mode="json"), status_code=503, headers={"Retry-After": "5"})
    return body
