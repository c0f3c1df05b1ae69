"""One door for the chat: when API keys are configured, everything under ``/ui`` needs a session or a key.

- ``GET /ui/login`` shows a French form; ``POST /ui/login`` takes a key, checks it like the API does (failed
  attempts throttled per address) and sets a signed, HttpOnly, SameSite=Strict session cookie (path ``/ui``);
  ``/ui/logout`` clears it.
- ``UiGuardMiddleware`` guards every ``/ui`` path (the page, Gradio's API, queue, file routes): a valid session cookie
  or an API key header, else 401 problem+json (a browser asking for the page is sent to the login form). File
  uploads are refused whether keys are configured or not: the chat takes no file.
- The chat handlers read the caller from the cookie (``session_key_id``) for the audit record and the rate limit.

The cookie is ``<payload>.<hmac>``: payload = base64url JSON ``{"k": key id, "f": key fingerprint, "exp": epoch}``,
HMAC-SHA256 with ``session_secret`` (random per process when not configured). A key removed from the configuration
ends its sessions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.api.keys import key_id, match_key
from assistant.api.problems import ApiProblem, problem_response

if TYPE_CHECKING:
    from assistant.api.security import Guards
    from assistant.settings import Settings

COOKIE = "cpp_session"
UI_PREFIX = "/ui"
LOGIN_PATH = "/ui/login"
LOGOUT_PATH = "/ui/logout"
UPLOAD_SUFFIXES = ("/upload", "/upload_progress")


class SessionSigner:
    def __init__(self, settings: Settings) -> None:
        secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_hex(32)
        self._secret = hashlib.sha256(("cpp-assistant-session:" + secret).encode()).digest()
        self.max_age = int(settings.session_hours * 3600)
        self.fingerprints = settings.api_key_hashes

    def _sign(self, payload: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()).decode().rstrip("=")

    def issue(self, fingerprint: str) -> str:
        data = {"k": key_id(fingerprint), "f": fingerprint[:16], "exp": int(time.time()) + self.max_age}
        payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str | None) -> str | None:
        """The key id of a valid, unexpired session whose key is still configured; else None."""
        if not token or token.count(".") != 1:
            return None
        payload, signature = token.split(".")
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            if int(data["exp"]) < time.time():
                return None
            prefix = str(data["f"])
        except (ValueError, KeyError, TypeError):
            return None
        found = next((fp for fp in self.fingerprints if fp.startswith(prefix)), None)
        return key_id(found) if found else None


def _cookie(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, val = part.strip().partition("=")
                if name == COOKIE:
                    return val
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def is_ui_path(path: str) -> bool:
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


class UiGuardMiddleware:
    """Authentication of every ``/ui`` path, upload refusal (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings, signer: SessionSigner) -> None:
        self.app = app
        self.settings = settings
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not is_ui_path(path):
            await self.app(scope, receive, send)
            return
        if path.endswith(UPLOAD_SUFFIXES) and scope["type"] == "http":
            await problem_response(403, "Le dépôt de fichiers est désactivé : le chat n'accepte aucun fichier.")(scope, receive, send)
            return
        keys = self.settings.api_key_hashes
        if not keys or path in (LOGIN_PATH, LOGOUT_PATH):
            await self.app(scope, receive, send)
            return
        kid = self.signer.verify(_cookie(scope))
        if kid is None:
            presented = _header(scope, b"x-api-key") or (_header(scope, b"authorization") or "").removeprefix("Bearer ").strip()
            found = match_key(presented, keys) if presented else None
            kid = key_id(found) if found else None
        if kid is None and scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if kid is None:
            accept = _header(scope, b"accept") or ""
            if scope.get("method") == "GET" and "text/html" in accept:
                await RedirectResponse(LOGIN_PATH, status_code=303)(scope, receive, send)
                return
            await problem_response(
                401, "Authentification requise : connectez-vous au chat avec votre clé d'API (page /ui/login).",
                {"WWW-Authenticate": 'Bearer realm="cpp-assistant"'},
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)


LOGIN_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connexion — Assistant de procédure pénale</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1b1b1b}}
label{{display:block;margin:1rem 0 .3rem}}input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}
button{{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}}.erreur{{color:#b00020}}</style></head>
<body><h1>Assistant de procédure pénale</h1>
<p>Connectez-vous avec la clé d'API qui vous a été remise.</p>{error}
<form method="post" action="/ui/login"><label for="cle">Clé d'API</label>
<input id="cle" name="key" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Se connecter</button></form></body></html>"""


def login_router(settings: Settings, guards: Guards) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    signer = guards.signer

    @router.get(LOGIN_PATH)
    def login_form() -> Response:
        if not settings.api_key_hashes:
            return RedirectResponse(UI_PREFIX + "/", status_code=303)
        return HTMLResponse(LOGIN_PAGE.format(error=""))

    @router.post(LOGIN_PATH)
    async def login(request: Request) -> Response:
        keys = settings.api_key_hashes
        if not keys:
            return RedirectResponse(UI_PREFIX + "/", status_code=303)
        client = request.client.host if request.client else None
        try:
            guards.auth_throttle.check(client)
        except ApiProblem as exc:
            return HTMLResponse(LOGIN_PAGE.format(error=f'<p class="erreur">{html.escape(exc.detail)}</p>'), 429, exc.headers)
        raw = (await request.body())[:4096].decode("utf-8", "replace")
        presented = (parse_qs(raw).get("key") or [""])[0].strip()
        found = match_key(presented, keys) if presented else None
        if found is None:
            guards.auth_throttle.failed(client)
            return HTMLResponse(LOGIN_PAGE.format(error='<p class="erreur">Clé refusée : vérifiez-la et réessayez.</p>'), 401)
        response = RedirectResponse(UI_PREFIX + "/", status_code=303)
        response.set_cookie(
            COOKIE, signer.issue(found), max_age=signer.max_age, path=UI_PREFIX, httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.get(LOGOUT_PATH)
    def logout() -> Response:
        response = RedirectResponse(LOGIN_PATH if settings.api_key_hashes else UI_PREFIX + "/", status_code=303)
        response.delete_cookie(COOKIE, path=UI_PREFIX)
        return response

    return router


def session_key_id(signer: SessionSigner, cookies: dict[str, Any] | None) -> str | None:
    """The key id of the chat session in these cookies (for the audit record and the rate limit)."""
    return signer.verify((cookies or {}).get(COOKIE))
