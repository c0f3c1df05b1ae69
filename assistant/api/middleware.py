"""The request context: request id, body size limit, audit record, access log, catch-all for unexpected errors.

A pure ASGI middleware (streaming responses pass through untouched). For every request it:
- makes a request id (always the server's own: unique in the audit log), returns it in ``X-Request-ID`` and puts
  it in every log line written while the request runs (``RequestIdFilter``); a caller's own ``X-Request-ID`` (if
  well formed) is kept apart, in the audit record's ``client_request_id`` and the ``X-Client-Request-ID`` header;
- refuses a ``/v1`` body that declares (``Content-Length``) more than ``max_body_bytes`` with a 413 problem, before
  anything runs; a body that outgrows it while being read is refused by the framework (``max_body_size`` of the
  ``/v1`` routers: Starlette's ``RequestBodyLimitMiddleware``, a 413 turned into a problem by ``problems.py``);
- hands the audit record of a ``/v1`` request to the audit writer thread and awaits its confirmation *before* the
  last byte of the response leaves (no request thread is held: a burst does not queue writes behind answers), so a
  client that has its answer can rely on the record being there;
- turns an unexpected exception into a French 500 problem carrying the request id (the traceback goes to the log).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.problems import PROBLEM_JSON, problem_body
from assistant.audit import AuditEntry, AuditLog, AuditWriteError
from assistant.request_id import new_request_id, request_id_var

log = logging.getLogger("assistant.api")

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
AUDITED_PREFIX = "/v1/"
AUDIT_WAIT_S = 10.0


def _with_request_ids(headers: list[tuple[bytes, bytes]], request_id: str, client_id: str | None) -> list[tuple[bytes, bytes]]:
    """The response headers with the server's request id (and the client's own id, kept apart)."""
    out = [(k, v) for k, v in headers if k.lower() not in (b"x-request-id", b"x-client-request-id")]
    out.append((b"x-request-id", request_id.encode("latin-1")))
    if client_id:
        out.append((b"x-client-request-id", client_id.encode("latin-1")))
    return out


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, audit: AuditLog, max_body_bytes: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.audit = audit
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        incoming = _header(scope, b"x-request-id")
        client_id = incoming if incoming and _VALID_ID.match(incoming) else None
        request_id = new_request_id()
        token = request_id_var.set(request_id)
        path: str = scope.get("path", "")
        method: str = scope.get("method", "")
        audited = path.startswith(AUDITED_PREFIX)
        entry = AuditEntry(request_id=request_id, route=f"{method} {path[:200]}", client_request_id=client_id)
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["audit"] = entry
        status = 500
        response_started = False
        audit_written = False

        async def write_audit() -> None:
            nonlocal audit_written
            if not audited or audit_written:
                return
            audit_written = True
            await self._record(entry, status, (self.clock() - started) * 1000)

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message = {**message, "headers": _with_request_ids(message.get("headers", []), request_id, client_id)}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await write_audit()
            await send(message)

        if audited and self._declared_too_large(scope):
            await self._problem(send, 413, self._too_large_detail(), request_id)
            status = 413
            await write_audit()
            self._access_log(method, path, 413, started)
            request_id_var.reset(token)
            return

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("erreur inattendue sur %s %s", method, path)
            status = 500
            if not response_started:
                await write_audit()
                await self._problem(
                    send, 500,
                    "Erreur interne inattendue : elle a été journalisée. Communiquez l'identifiant de requête "
                    f"{request_id} à l'équipe technique.",
                    request_id, request_id_field=True,
                )
        finally:
            if audited and not audit_written:
                await write_audit()
            self._access_log(method, path, status, started)
            request_id_var.reset(token)

    async def _record(self, entry: AuditEntry, status: int, latency_ms: float) -> None:
        """Wait (bounded) for the audit writer to confirm the record; a late or failed write is logged, never raised."""
        try:
            with anyio.fail_after(AUDIT_WAIT_S):
                # shielded: a request cancelled while waiting (client gone) must not cancel its record
                await asyncio.shield(asyncio.wrap_future(self.audit.submit(entry, status, latency_ms)))
        except AuditWriteError as exc:
            log.error("%s", exc)
        except TimeoutError:
            log.error("enregistrement d'audit en attente depuis plus de %.0f s (écrit plus tard)", AUDIT_WAIT_S)

    def _declared_too_large(self, scope: Scope) -> bool:
        """A Content-Length over the limit: answered 413 before reading the body."""
        declared = _header(scope, b"content-length")
        return declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes

    def _too_large_detail(self) -> str:
        return f"Le corps de la requête dépasse la taille maximale autorisée ({self.max_body_bytes} octets)."

    async def _problem(self, send: Send, status: int, detail: str, request_id: str, request_id_field: bool = False) -> None:
        extra: dict[str, Any] = {"request_id": request_id} if request_id_field else {}
        body = json.dumps(problem_body(status, detail, **extra), ensure_ascii=False).encode("utf-8")
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode("latin-1")),
            ],
        })
        await send({"type": "http.response.body", "body": body})

    def _access_log(self, method: str, path: str, status: int, started: float) -> None:
        if path.startswith(AUDITED_PREFIX) or path == "/health" or status >= 500:
            log.info("%s %s %s %.0f ms", method, path, status, (self.clock() - started) * 1000)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "assistant.request_id.RequestIdFilter"}},
    "formatters": {
        "default": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s : %(message)s"},
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"], "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        "assistant": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "ui": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["default"], "level": "WARNING"},
}
"""Logging for ``cpp-assistant serve``: every line carries the request id (our access log replaces uvicorn's)."""
