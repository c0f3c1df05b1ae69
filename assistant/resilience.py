"""Degraded, not down: every Chroma call has a timeout, and a Chroma that fails or hangs leaves the lexical index.

``call_chroma(fn)`` runs a Chroma call in a small pool of threads and waits at most ``timeout_s``. A failure or a
timeout opens a circuit for ``cooldown_s`` (calls fail at once, no thread piles up behind a frozen server); then one
call is let through to try again, and a success closes the circuit: Chroma back means normal again, no restart.

Who asks notes the failure in the request's ``Degradation`` (a context variable set by ``degradation_scope``), so
the answer can say it was computed without semantic search.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

log = logging.getLogger("assistant.resilience")

T = TypeVar("T")

SEMANTIC_UNAVAILABLE = "recherche sémantique indisponible"


class ChromaUnavailable(Exception):
    """Chroma failed, timed out, or its circuit is open; ``reason`` is a French phrase (no internal detail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Degradation:
    """What went wrong while one request was answered (several calls may note the same reason)."""

    reasons: list[str] = field(default_factory=list)

    def note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    @property
    def summary(self) -> str | None:
        return " ; ".join(self.reasons) or None


_current: contextvars.ContextVar[Degradation | None] = contextvars.ContextVar("degradation", default=None)


@contextmanager
def degradation_scope() -> Iterator[Degradation]:
    """Collect the degradations of the code run inside (the object is shared with copied contexts: LCEL steps)."""
    note = Degradation()
    token = _current.set(note)
    try:
        yield note
    finally:
        try:
            _current.reset(token)
        except ValueError:  # a streamed answer resumed in another context (a thread of the pool): nothing to undo
            pass


def note_degradation(reason: str) -> None:
    note = _current.get()
    if note is not None:
        note.note(reason)


class ChromaGuard:
    """Timeout and circuit breaker around Chroma calls (one per process)."""

    def __init__(self, timeout_s: float = 5.0, cooldown_s: float = 10.0, workers: int = 4) -> None:
        self.timeout_s = timeout_s
        self.cooldown_s = cooldown_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chroma")
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._trial = False  # one call is trying Chroma again after the cooldown
        self.last_failure: str | None = None  # French reason while the circuit is open, else None
        self.failures = 0

    @property
    def available(self) -> bool:
        return self.last_failure is None

    def call(self, fn: Callable[[], T]) -> T:
        with self._lock:
            now = time.monotonic()
            if self.last_failure is not None:
                if now < self._open_until or self._trial:
                    raise ChromaUnavailable(self.last_failure)
                self._trial = True
        try:
            future = self._pool.submit(fn)
            try:
                result = future.result(timeout=self.timeout_s)
            except FutureTimeout:
                future.cancel()
                self._failed(f"{SEMANTIC_UNAVAILABLE} (Chroma ne répond pas en {self.timeout_s:g} s)", "délai dépassé")
                raise ChromaUnavailable(self.last_failure or SEMANTIC_UNAVAILABLE) from None
            except Exception as exc:
                self._failed(f"{SEMANTIC_UNAVAILABLE} (Chroma injoignable ou en erreur)", type(exc).__name__)
                raise ChromaUnavailable(self.last_failure or SEMANTIC_UNAVAILABLE) from exc
        finally:
            with self._lock:
                self._trial = False
        if self.last_failure is not None:
            log.warning("Chroma répond de nouveau : recherche sémantique rétablie")
        with self._lock:
            self.last_failure = None
        return result

    def _failed(self, reason: str, what: str) -> None:
        with self._lock:
            self.failures += 1
            if self.last_failure is None:
                log.error("Chroma indisponible (%s) : réponses en recherche lexicale seule", what)
            self.last_failure = reason
            self._open_until = time.monotonic() + self.cooldown_s


CHROMA = ChromaGuard()
"""The process-wide guard; ``configure`` sets its timeout from the settings (entry points)."""


def configure(timeout_s: float, cooldown_s: float | None = None) -> None:
    CHROMA.timeout_s = timeout_s
    if cooldown_s is not None:
        CHROMA.cooldown_s = cooldown_s


def call_chroma(fn: Callable[[], T]) -> T:
    """Run a Chroma call with the timeout and the circuit breaker; notes the degradation and re-raises on failure."""
    try:
        return CHROMA.call(fn)
    except ChromaUnavailable as exc:
        note_degradation(exc.reason)
        raise


__all__ = [
    "CHROMA", "SEMANTIC_UNAVAILABLE", "ChromaGuard", "ChromaUnavailable", "Degradation", "call_chroma", "configure",
    "degradation_scope", "note_degradation",
]
