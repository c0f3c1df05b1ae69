"""What the API and the chat share at run time: the assistant (loaded once, in the background), audit log, limits.

The front doors' own access rules (API keys, rate limiter, chat sessions) are built by ``assistant.api`` and handed to
the chat by ``ui.app``; this module knows nothing of HTTP.

The index and the model load in a background thread so that ``/health`` can answer « starting » (503) meanwhile;
an index that is absent at start-up is looked for again (at most every few seconds) when a request arrives, so a
server started before ``cpp-assistant index build`` becomes ready without a restart.

A rebuild reaches running servers on their own: ``current.json`` is checked (one ``stat``, at most every
``index_check_interval_s``) when a request arrives; a change loads the new index in the background (the embedding
model is reused) while the old one keeps answering, then the new one takes over. Nothing answers 500 in between:
the build keeps the replaced collection for a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import anyio

from assistant import resilience
from assistant.answer import Answer
from assistant.audit import AuditEntry, AuditLog
from assistant.chain import Assistant
from assistant.errors import AssistantError, IndexNotBuiltError
from assistant.normalize import normalize_input
from assistant.settings import Settings
from assistant.store import state_signature

log = logging.getLogger("assistant.api")

Status = Literal["ok", "degraded", "starting", "index absent", "error"]
RETRY_INDEX_AFTER_S = 5.0
MAX_CONVERSATION_CHARS = 24_000
"""Question and history together (every front door, the API schema too): a follow-up cannot smuggle in more text
than a few long exchanges."""
DEGRADED_NOTE = (
    "\n\n_Mode dégradé : recherche sémantique indisponible ; réponse fondée sur la recherche lexicale seule. "
    "Vérifiez les textes cités._"
)


class AuditUnavailableError(AssistantError):
    http_status = 503

    def __init__(self) -> None:
        super().__init__(
            "Service momentanément indisponible : le journal d'audit ne peut pas être écrit, et ce service ne répond pas "
            "sans en garder trace. Réessayez dans quelques instants ou prévenez l'équipe technique."
        )


class ConversationTooLongError(AssistantError):
    http_status = 422

    def __init__(self, total: int) -> None:
        super().__init__(
            f"La conversation est trop longue ({total} caractères pour la question et l'historique ; "
            f"{MAX_CONVERSATION_CHARS} au plus) : commencez une nouvelle conversation."
        )


class ServiceStartingError(AssistantError):
    http_status = 503

    def __init__(self) -> None:
        super().__init__(
            "Le service démarre : l'index et le modèle d'embedding sont en cours de chargement. Réessayez dans quelques secondes."
        )


class Runtime:
    """The assistant and the per-process services around it (audit log, concurrency limit, index reload), shared by
    the API routes and the Gradio chat."""

    def __init__(
        self, settings: Settings, assistant: Assistant | None = None, loader: Callable[[], Assistant] | None = None,
    ) -> None:
        self.settings = settings
        self.audit = AuditLog.from_settings(settings)
        resilience.configure(settings.chroma_timeout_s, settings.chroma_retry_after_s)
        self.chroma = resilience.CHROMA
        self.answer_slots = threading.BoundedSemaphore(settings.answer_concurrency)
        # Async callers (API routes) wait for their turn here, in arrival order and without holding a worker thread:
        # under a burst the first requests are answered first instead of everyone waiting for the whole burst.
        self.answer_gate = asyncio.Semaphore(settings.answer_concurrency)
        self._loader = loader or self._default_loader
        self._assistant = assistant
        self._status: Status = "ok" if assistant is not None else "starting"
        self._error: AssistantError | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_attempt = 0.0
        self._signature = state_signature(settings)
        self._last_check = time.monotonic()
        self._reloading: threading.Thread | None = None
        self._probe: threading.Thread | None = None

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
        self._signature = state_signature(self.settings)
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

    # -- switching to a rebuilt index ------------------------------------------------------------------

    def check_index(self) -> None:
        """Notice a rebuild (``current.json`` changed) and load the new index in the background. Cheap: one ``stat``
        at most every ``index_check_interval_s``."""
        if self._assistant is None:
            return
        now = time.monotonic()
        if now - self._last_check < self.settings.index_check_interval_s:
            return
        self._last_check = now
        signature = state_signature(self.settings)
        if signature is None or signature == self._signature:
            return
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            self._reloading = threading.Thread(target=self._reload, args=(signature,), name="changement-index", daemon=True)
            self._reloading.start()

    def _reload(self, signature: tuple[int, int, int]) -> None:
        from assistant.compose import load_assistant

        current = self._assistant
        started = time.perf_counter()
        try:
            embeddings = getattr(current.search, "embeddings", None) if current is not None else None
            fresh = load_assistant(self.settings, embeddings=embeddings)  # type: ignore[arg-type]
        except Exception as exc:  # keep serving the index in use; try again at the next change of current.json
            log.error("nouvel index non chargé, l'index en service reste utilisé : %s: %s", type(exc).__name__, exc)
            self._signature = signature
            return
        with self._lock:
            self._assistant, self._signature = fresh, signature
        state = fresh.index_state
        log.info("nouvel index en service (%s) chargé en %.1f s", state.built_at if state else "?", time.perf_counter() - started)

    # -- state -----------------------------------------------------------------------------------------

    @property
    def status(self) -> Status:
        if self._status == "index absent" and time.monotonic() - self._last_attempt > RETRY_INDEX_AFTER_S:
            self.start_loading()
        if self._status == "ok" and (self.degradations() or self.audit_problem()):
            return "degraded"
        return self._status

    def audit_problem(self) -> str | None:
        """Why audit records cannot be written now, or None (probes the store while it is failing)."""
        if self.audit.last_error is None and not self.settings.audit_required:
            return None
        return self.audit.check_writable()

    def _probe_chroma(self) -> None:
        """While Chroma is marked down, try it again in the background (never on the /health request's time)."""
        assistant = self._assistant
        collection = getattr(getattr(assistant, "search", None), "collection", None)
        if collection is None or (self._probe is not None and self._probe.is_alive()):
            return

        def probe() -> None:
            try:
                self.chroma.call(collection.count)
            except resilience.ChromaUnavailable:
                pass

        self._probe = threading.Thread(target=probe, name="sonde-chroma", daemon=True)
        self._probe.start()

    def degradations(self) -> list[str]:
        """What does not work while the service still answers (French)."""
        out = []
        if not self.chroma.available:
            self._probe_chroma()
            out.append((self.chroma.last_failure or resilience.SEMANTIC_UNAVAILABLE) + " : réponses en recherche lexicale seule")
        problem = self.audit_problem()
        if problem and not self.settings.audit_required:
            out.append(problem)
        return out

    @property
    def status_detail(self) -> str:
        status = self.status
        if status == "ok":
            return "Prêt : index et modèle chargés."
        if status == "degraded":
            return "Mode dégradé : " + " ; ".join(self.degradations()) + "."
        if status == "starting":
            return ServiceStartingError().args[0]
        return str(self._error) if self._error else "Indisponible."

    def require_audit(self) -> None:
        """Fail closed (``audit_required``): refuse to answer when records cannot be written."""
        if self.settings.audit_required and self.audit.check_writable() is not None:
            raise AuditUnavailableError()

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    def require_assistant(self) -> Assistant:
        """The loaded assistant, or a 503 error (service starting, index absent, loading failed, audit required but
        unwritable)."""
        self.require_audit()
        if self._assistant is not None:
            self.check_index()
            return self._assistant
        status = self.status
        if status == "starting":
            self.start_loading()
            raise ServiceStartingError()
        raise self._error or ServiceStartingError()

    # -- the one answering path (API, stream and chat) ------------------------------------------------

    @staticmethod
    def bounded_input(question: str, history: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """Question and history normalized (dashes, invisible characters…) and their total size bounded: every front
        door (API, stream, OpenAI, chat) parses the same text."""
        question = normalize_input(question)
        history = [{**t, "content": normalize_input(str(t.get("content") or ""))} for t in history]
        total = len(question) + sum(len(t["content"]) for t in history)
        if total > MAX_CONVERSATION_CHARS:
            raise ConversationTooLongError(total)
        return question, history

    def ask(self, question: str, history: list[dict[str, Any]], entry: AuditEntry) -> Answer:
        """Answer a question within the concurrency limit and note its evidence for the audit record.

        Question and history are normalized here too (idempotent: the API schema already did), so every front door
        (API, stream, chat) parses the same text; their total size is bounded."""
        question, history = self.bounded_input(question, history)
        entry.question = question
        assistant = self.require_assistant()
        with self.answer_slots, resilience.degradation_scope() as degradation:
            answer = assistant.ask(question, history)
        if degradation.summary:
            answer.degraded = degradation.summary
            answer.answer += DEGRADED_NOTE
        entry.note_answer(question, answer)
        return answer

    async def ask_async(self, question: str, history: list[dict[str, Any]], entry: AuditEntry) -> Answer:
        """``ask`` for async routes: waits for a turn in arrival order, computes in a worker thread."""
        async with self.answer_gate:
            return await anyio.to_thread.run_sync(self.ask, question, history, entry)

    async def search_async(self, query: str, k: int) -> tuple[list[Any], str | None]:
        async with self.answer_gate:
            return await anyio.to_thread.run_sync(self.search, query, k)

    def search(self, query: str, k: int) -> tuple[list[Any], str | None]:
        """Hybrid search (``/v1/search``); also says whether it ran without semantic search."""
        assistant = self.require_assistant()
        with self.answer_slots, resilience.degradation_scope() as degradation:
            hits = assistant.search.search(normalize_input(query), k=k)
        return hits, degradation.summary
