"""The app factory, composition root of the HTTP API: settings → runtime (assistant, audit, limits) and guards
(keys, rate limit, sessions) → routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline

from assistant.api.middleware import RequestContextMiddleware
from assistant.api.openai_routes import install_openai_routes
from assistant.api.problems import install_handlers
from assistant.api.routes import VERSION, health_router, router
from assistant.api.security import Guards
from assistant.api.session import UiGuardMiddleware, login_router
from assistant.chain import Assistant
from assistant.runtime import Runtime
from assistant.settings import Settings

DESCRIPTION = """
Assistant de recherche en procédure pénale pour les magistrats : réponses fondées sur un corpus fermé (Livre IV du
code de procédure pénale, articles D, trois circulaires), avec des **citations exactes** (document, article ou section,
date de version, passage mot pour mot), et **outils déterministes** (pôle de l'instruction, juridictions spécialisées,
délais).

- Authentification : `Authorization: Bearer <clé>` ou `X-API-Key: <clé>` sur `/v1` quand des clés sont configurées
  (`GET /health` indique le mode) ; le chat (`/ui`) exige alors une session ouverte sur `/ui/login` avec une clé.
- Erreurs : `application/problem+json` (`type`, `title`, `status`, `detail` en français).
- Chaque réponse porte l'en-tête `X-Request-ID`, identifiant créé par le serveur (celui du client, s'il en envoie un,
  est gardé à part : `X-Client-Request-ID`) ; chaque requête `/v1` est inscrite au journal d'audit.
"""

TAGS = [
    {"name": "questions", "description": "Questions en langage naturel, réponses citées."},
    {"name": "corpus", "description": "Recherche, articles et documents du corpus."},
    {"name": "outils", "description": "Outils déterministes : compétence et délais, toujours avec leur fondement."},
    {"name": "compatibilité OpenAI", "description": "GET /v1/models et POST /v1/chat/completions, pour les clients OpenAI (portails de chat, SDK)."},
    {"name": "état", "description": "État du service (sans authentification)."},
]


def create_app(
    settings: Settings, assistant: Assistant | None = None, loader: Callable[[], Assistant] | None = None,
) -> FastAPI:
    """Build the API. The assistant is loaded once, in the background, at start-up (``loader`` overrides how);
    pass an already built ``assistant`` to skip loading (tests, embedding in another process)."""
    runtime = Runtime(settings, assistant=assistant, loader=loader)
    guards = Guards(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start_loading()
        yield
        runtime.audit.close()  # write what is queued before the process exits

    # Swagger UI and ReDoc with their assets served by the app (an intranet has no Internet, no CDN).
    app = FastAPIOffline(
        title="cpp-assistant — API de procédure pénale",
        description=DESCRIPTION,
        version=VERSION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"defaultModelsExpandDepth": 0, "validatorUrl": None},  # no call to validator.swagger.io
    )
    app.state.runtime = runtime
    app.state.guards = guards
    install_handlers(app)
    app.include_router(router, max_body_size=settings.max_body_bytes)
    install_openai_routes(app, max_body_size=settings.max_body_bytes)
    app.include_router(health_router)
    app.include_router(login_router(settings, guards))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        has_ui = any(getattr(r, "path", None) == "/ui" for r in app.routes)
        return RedirectResponse("/ui/" if has_ui else "/docs")

    app.add_middleware(UiGuardMiddleware, settings=settings, signer=guards.signer)  # inside the request context
    app.add_middleware(RequestContextMiddleware, audit=runtime.audit, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        # Outermost: error responses (413, 500) also carry the CORS headers, so intranet pages can read them.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    return app
