"""What the API and the chat share at run time: the assistant (loaded once, in the background), audit log, limits.

The index and the model load in a background thread so that ``/health`` can answer « starting » (503) meanwhile;
an index that is absent at start-up is looked for again (at most every few seconds) when a request arrives, so a
server started before ``cpp-assistant index build`` becomes ready without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from assistant.answer import Answer
from assistant.api.security import RateLimiter
from assistant.audit import AuditEntry, AuditLog
from assistant.chain import Assistant
from assistant.errors import AssistantError, IndexNotBuiltError
from assistant.settings import Settings

log = logging.getLogger("assistant.api")

Status = Literal["ok", "starting", "index absent", "error"]
RETRY_INDEX_AFTER_S = 5.0


class ServiceStartingError(AssistantError):
    http_status = 503

    def __init__(self) -> None:
        super().__init__(
            "Le service démarre : l'index et le modèle d'embedding sont en cours de chargement. Réessayez dans quelques secondes."
        )


class Runtime:
    """The assistant and the per-process services around it, shared by the API routes and the Gradio chat."""

    def __init__(
        self, settings: Settings, assistant: Assistant | None = None, loader: Callable[[], Assistant] | None = None,
    ) -> None:
        self.settings = settings
        self.audit = AuditLog.from_settings(settings)
        self.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.answer_slots = threading.BoundedSemaphore(settings.answer_concurrency)
        self._loader = loader or self._default_loader
        self._assistant = assistant
        self._status: Status = "ok" if assistant is not None else "starting"
        self._error: AssistantError | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_attempt = 0.0

    def _default_loader(self) -> Assistant:
        from assistant.compose import load_assistant

        return load_assistant(self.settings)

    # -- loading ---------------------------------------------------------------------------------

    def start_loading(self) -> None:
        """Load the assistant in a background thread (no-op if loaded or loading)."""
        with self._lock:
            if self._assistant is not None or (self._thread is not None and self._thread.is_alive()):
                return
            self._status = "starting"
            self._last_attempt = time.monotonic()
            self._thread = threading.Thread(target=self._load, name="chargement-assistant", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            assistant = self._loader()
        except IndexNotBuiltError as exc:
            self._fail("index absent", exc)
            return
        except AssistantError as exc:
            self._fail("error", exc)
            return
        except Exception as exc:  # a crash while loading must show in /health, not kill the server silently
            log.exception("échec du chargement de l'assistant")
            self._fail("error", AssistantError(f"Échec du chargement de l'index ou du modèle ({type(exc).__name__}) : voir le journal."))
            return
        with self._lock:
            self._assistant, self._status, self._error = assistant, "ok", None
        log.info("assistant prêt en %.1f s", time.perf_counter() - started)

    def _fail(self, status: Status, exc: AssistantError) -> None:
        with self._lock:
            self._status, self._error = status, exc
        log.error("assistant non disponible : %s", exc)

    def wait_ready(self, timeout: float) -> bool:
        """Block until loaded (tests, CLI); True if ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._assistant is not None:
                return True
            thread = self._thread
            if thread is None or not thread.is_alive():
                if self._status != "starting":
                    return False
                self.start_loading()
            time.sleep(0.05)
        return self._assistant is not None

    @property
    def status(self) -> Status:
        if self._status == "index absent" and time.monotonic() - self._last_attempt > RETRY_INDEX_AFTER_S:
            self.start_loading()
        return self._status

    @property
    def status_detail(self) -> str:
        status = self.status
        if status == "ok":
            return "Prêt : index et modèle chargés."
        if status == "starting":
            return ServiceStartingError().args[0]
        return str(self._error) if self._error else "Indisponible."

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    def require_assistant(self) -> Assistant:
        """The loaded assistant, or a 503 error (service starting, index absent, loading failed)."""
        if self._assistant is not None:
            return self._assistant
        status = self.status
        if status == "starting":
            self.start_loading()
            raise ServiceStartingError()
        raise self._error or ServiceStartingError()

    # -- the one answering path (API, stream and chat) ------------------------------------------------

    def ask(self, question: str, history: list[dict[str, Any]], entry: AuditEntry) -> Answer:
        """Answer a question within the concurrency limit and note its evidence for the audit record."""
        assistant = self.require_assistant()
        entry.question = question
        with self.answer_slots:
            answer = assistant.ask(question, history)
        entry.note_answer(question, answer)
        return answer
