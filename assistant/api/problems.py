"""Errors as ``application/problem+json`` (RFC 9457): ``{type, title, status, detail}`` in French, never a traceback.

Domain errors (``AssistantError`` subclasses carry their HTTP status), request validation errors and HTTP errors
are all mapped here, once, by ``install_handlers``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from assistant.errors import AssistantError, InvalidToolInputError, UnknownArticleError
from assistant.models import normalize_article_ref

log = logging.getLogger("assistant.api")

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: ("requete-invalide", "Requête invalide"),
    401: ("authentification-requise", "Authentification requise"),
    403: ("cle-refusee", "Clé d'API refusée"),
    404: ("introuvable", "Ressource introuvable"),
    405: ("methode-non-autorisee", "Méthode non autorisée"),
    413: ("requete-trop-volumineuse", "Requête trop volumineuse"),
    415: ("format-non-pris-en-charge", "Format non pris en charge"),
    422: ("donnees-invalides", "Données invalides"),
    429: ("trop-de-requetes", "Trop de requêtes"),
    500: ("erreur-interne", "Erreur interne"),
    503: ("service-indisponible", "Service indisponible"),
}


class ApiProblem(Exception):
    """An HTTP problem raised by the API layer itself (authentication, rate limit, service starting…)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    slug, title = TITLES.get(status, ("erreur", "Erreur"))
    return {"type": f"urn:cpp-assistant:probleme:{slug}", "title": title, "status": status, "detail": detail, **extra}


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, **extra), status_code=status, headers=headers, media_type=PROBLEM_JSON)


# -- validation errors in French ---------------------------------------------------------------------

_FIELD_LABELS = {"question": "question", "query": "query", "k": "k", "history": "history"}


def _where(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "corps de la requête"


def french_message(err: dict[str, Any]) -> str:
    """One pydantic error as a French phrase (pydantic's own messages are English)."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    loc = tuple(err.get("loc", ()))
    last = loc[-1] if loc else ""
    if kind in ("string_pattern_mismatch", "string_too_short") and last in ("question", "query"):
        return "la question est vide : posez une question de procédure pénale en français." if last == "question" else "la requête est vide."
    if kind == "string_too_long" and last == "question":
        n = len(err.get("input") or "")
        return (
            f"la question est trop longue ({n} caractères ; {ctx.get('max_length')} au plus) : reformulez-la en quelques phrases."
        )
    messages = {
        "missing": "champ obligatoire manquant.",
        "string_type": "texte attendu.",
        "string_too_short": f"texte trop court ({ctx.get('min_length')} caractère(s) au moins).",
        "string_too_long": f"texte trop long ({ctx.get('max_length')} caractères au plus).",
        "string_pattern_mismatch": "valeur vide ou mal formée.",
        "int_type": "nombre entier attendu.",
        "int_parsing": "nombre entier attendu.",
        "int_from_float": "nombre entier attendu.",
        "bool_type": "booléen (true ou false) attendu.",
        "bool_parsing": "booléen (true ou false) attendu.",
        "greater_than_equal": f"valeur trop petite (minimum {ctx.get('ge')}).",
        "greater_than": f"valeur trop petite (doit dépasser {ctx.get('gt')}).",
        "less_than_equal": f"valeur trop grande (maximum {ctx.get('le')}).",
        "less_than": f"valeur trop grande (doit rester sous {ctx.get('lt')}).",
        "list_type": "liste attendue.",
        "too_long": f"liste trop longue ({ctx.get('max_length')} éléments au plus).",
        "dict_type": "objet JSON attendu.",
        "model_type": "objet JSON attendu.",
        "model_attributes_type": "objet JSON attendu.",
        "literal_error": f"valeur attendue : {_french_or(ctx.get('expected', ''))}.",
        "enum": f"valeur attendue : {_french_or(ctx.get('expected', ''))}.",
        "extra_forbidden": "champ inconnu.",
        "json_invalid": "corps JSON invalide (syntaxe).",
        "json_type": "corps JSON attendu.",
        "date_from_datetime_parsing": "date invalide (format attendu : AAAA-MM-JJ).",
        "date_parsing": "date invalide (format attendu : AAAA-MM-JJ).",
        "datetime_parsing": "date et heure invalides (format attendu : AAAA-MM-JJTHH:MM).",
        "value_error": str(ctx.get("error", "valeur invalide.")),
    }
    return messages.get(kind, "valeur invalide.")


def _french_or(expected: object) -> str:
    """pydantic's « 'user' or 'assistant' » → « « user » ou « assistant » »."""
    import re

    text = str(expected).replace(" or ", " ou ")
    return re.sub(r"'([^']*)'", r"« \1 »", text)


def validation_detail(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    items = [{"field": _where(tuple(e.get("loc", ()))), "message": french_message(e)} for e in errors]
    detail = " ; ".join(f"{i['field']} : {i['message']}" for i in items[:5])
    if len(items) > 5:
        detail += f" (et {len(items) - 5} autre(s) erreur(s))"
    return detail, items


# -- handlers ------------------------------------------------------------------------------------------

_HTTP_DETAILS = {
    400: "Requête mal formée : en-têtes, adresse ou corps illisibles.",
    404: "Aucune ressource à cette adresse. Les routes disponibles sont listées dans /docs.",
    405: "Méthode HTTP non autorisée pour cette adresse.",
    413: "Le corps de la requête est trop volumineux.",
    415: "Format non pris en charge : envoyez du JSON (Content-Type: application/json).",
}


def install_handlers(app: FastAPI) -> None:
    """Map every error the API can raise to a French problem (the catch-all for the unexpected is the middleware)."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(AssistantError)
    async def _assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, UnknownArticleError):
            extra = {"reference": exc.ref, "normalized": normalize_article_ref(exc.ref), "suggestions": exc.suggestions}
        elif isinstance(exc, InvalidToolInputError):
            extra = {"field": exc.field}
        status = exc.http_status
        if status >= 500:
            log.error("erreur du domaine (%s) : %s", type(exc).__name__, exc)
        headers = {"Retry-After": "5"} if status == 503 else None
        return problem_response(status, str(exc), headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, items = validation_detail(list(exc.errors()))
        return problem_response(422, detail, errors=items)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Only Starlette and FastAPI raise HTTPException here (unknown route, wrong method…): their English
        # details are replaced; the API's own errors are ApiProblem or AssistantError.
        detail = _HTTP_DETAILS.get(exc.status_code, f"Erreur HTTP {exc.status_code}.")
        return problem_response(exc.status_code, detail, dict(exc.headers or {}))
