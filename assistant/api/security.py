"""Who may call ``/v1`` and how often: API keys (``Authorization: Bearer`` or ``X-API-Key``) and a per-key token bucket.

Keys are configured as SHA-256 fingerprints (``api_key_hashes``) and compared in constant time. With no key
configured the API is open (``/health`` says so) and the rate limit applies per client address.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.api.keys import key_id, match_key
from assistant.api.problems import ApiProblem
from assistant.audit import ANONYMOUS


@dataclass(frozen=True)
class Caller:
    key_id: str  # hash prefix of the key, or "anonyme"
    bucket: str  # what the rate limit counts: the key, or the client address when the API is open


class RateLimiter:
    """Token buckets in memory (one per key): ``burst`` requests at once, refilled at ``per_minute`` per minute.

    Per process: with several workers each one counts on its own (the effective limit is multiplied).
    """

    MAX_BUCKETS = 10_000

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, bucket: str) -> float | None:
        """Take one token; returns None if allowed, else the seconds to wait before the next token."""
        if not self.enabled:
            return None
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(bucket, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[bucket] = (tokens - 1.0, now)
                allowed = True
            else:
                self._buckets[bucket] = (tokens, now)
                allowed = False
            if len(self._buckets) > self.MAX_BUCKETS:
                self._evict(now)
        return None if allowed else (1.0 - tokens) / self.rate

    def _evict(self, now: float) -> None:
        # Buckets that have refilled completely carry no information: forget them.
        full = [b for b, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for b in full:
            del self._buckets[b]


def authenticate(
    fingerprints: list[str], bearer: str | None, x_api_key: str | None, client: str | None,
) -> Caller:
    """The caller of a request, or ``ApiProblem`` 401 (no key) / 403 (unknown key)."""
    if not fingerprints:
        return Caller(ANONYMOUS, f"adresse:{client or 'inconnue'}")
    presented = (bearer or x_api_key or "").strip()
    if not presented:
        raise ApiProblem(
            401,
            "Clé d'API manquante : envoyez-la dans l'en-tête « Authorization: Bearer <clé> » ou « X-API-Key: <clé> ».",
            headers={"WWW-Authenticate": 'Bearer realm="cpp-assistant"'},
        )
    found = match_key(presented, fingerprints)
    if found is None:
        raise ApiProblem(403, "Clé d'API refusée : elle ne correspond à aucune clé configurée sur ce serveur.")
    kid = key_id(found)
    return Caller(kid, f"cle:{kid}")


def enforce_rate_limit(limiter: RateLimiter, caller: Caller) -> None:
    wait = limiter.acquire(caller.bucket)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise ApiProblem(
            429,
            f"Trop de requêtes pour cette clé : réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}.",
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
        )
