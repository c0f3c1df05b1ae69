"""Who may call ``/v1`` and how often: API keys (``Authorization: Bearer`` or ``X-API-Key``) and a per-key token bucket.

Keys are configured as SHA-256 fingerprints (``api_key_hashes``) and compared in constant time. With no key
configured the API is open (``/health`` says so) and the rate limit applies per client address.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.api.keys import key_id, match_key
from assistant.api.problems import ApiProblem
from assistant.api.session import SessionSigner, session_key_id
from assistant.audit import ANONYMOUS
from assistant.settings import Settings

log = logging.getLogger("assistant.api")


@dataclass(frozen=True)
class Caller:
    key_id: str  # hash prefix of the key, or "anonyme"
    bucket: str  # what the rate limit counts: the key, or the client address when the API is open
    per_minute: int | None = None  # this key's own limit (api_key_limits), None = the default


class RateLimiter:
    """Token buckets in memory (one per key): ``burst`` requests at once, refilled at ``per_minute`` per minute.

    Per process: with several workers or instances each one counts on its own; ``SharedRateLimiter`` (Redis) is
    the one to use then. A key can have its own limit (``acquire(bucket, per_minute)``; its burst is then at least a
    third of a minute's worth).
    """

    MAX_BUCKETS = 10_000

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def burst_for(self, per_minute: int) -> float:
        return max(self.burst, per_minute / 3) if per_minute != self.per_minute else self.burst

    def acquire(self, bucket: str, per_minute: int | None = None) -> float | None:
        """Take one token; returns None if allowed, else the seconds to wait before the next token."""
        limit = self.per_minute if per_minute is None else per_minute
        if limit <= 0:
            return None
        rate, burst = limit / 60.0, self.burst_for(limit)
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(bucket, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[bucket] = (tokens - 1.0, now)
                allowed = True
            else:
                self._buckets[bucket] = (tokens, now)
                allowed = False
            if len(self._buckets) > self.MAX_BUCKETS:
                self._evict(now, rate, burst)
        return None if allowed else (1.0 - tokens) / rate

    def _evict(self, now: float, rate: float, burst: float) -> None:
        # Buckets that have refilled completely carry no information: forget them.
        full = [b for b, (t, last) in self._buckets.items() if t + (now - last) * rate >= burst]
        for b in full:
            del self._buckets[b]


class SharedRateLimiter:
    """The same limit shared by every worker and instance, counted in Redis (``limits``, moving window of a minute).

    ``burst`` is also enforced over any 10-second window (at most ``burst`` requests), so a client cannot spend a
    whole minute's allowance at once. Redis unreachable: the request is let through (availability first) and logged.
    """

    def __init__(self, redis_url: str, per_minute: int, burst: int) -> None:
        from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.per_minute = per_minute
        self.burst = burst
        self._storage = storage_from_string(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._minute = RateLimitItemPerMinute
        self._burst = RateLimitItemPerSecond(burst, 10)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def acquire(self, bucket: str, per_minute: int | None = None) -> float | None:
        limit = self.per_minute if per_minute is None else per_minute
        if limit <= 0:
            return None
        items: list[Any] = [self._minute(limit)]
        if per_minute is None or per_minute == self.per_minute:
            items.append(self._burst)
        try:
            for item in items:
                if not self._limiter.hit(item, "cpp-assistant", bucket):
                    reset, _remaining = self._limiter.get_window_stats(item, "cpp-assistant", bucket)
                    return max(0.5, reset - time.time())
        except Exception as exc:  # redis down: serve rather than refuse everyone
            log.error("limite de débit partagée indisponible (%s) : requête acceptée", type(exc).__name__)
        return None


Limiter = RateLimiter | SharedRateLimiter


def make_limiter(settings: Settings) -> Limiter:
    if settings.redis_url:
        return SharedRateLimiter(settings.redis_url.get_secret_value(), settings.rate_limit_per_minute, settings.rate_limit_burst)
    return RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)


class FailedAuthThrottle:
    """Failed authentications per client address: at most ``per_minute`` a minute, then 429 (guessing keys is slow)."""

    def __init__(self, per_minute: int) -> None:
        self._limiter = RateLimiter(per_minute, per_minute)

    def check(self, client: str | None) -> None:
        """Refuse a client that has failed too often recently (before looking at its key)."""
        bucket = f"echec:{client or 'inconnue'}"
        limiter = self._limiter
        with limiter._lock:
            tokens, last = limiter._buckets.get(bucket, (limiter.burst, limiter.clock()))
            tokens = min(limiter.burst, tokens + (limiter.clock() - last) * limiter.per_minute / 60.0)
        if tokens < 1.0:
            seconds = max(1, math.ceil((1.0 - tokens) * 60.0 / limiter.per_minute))
            raise ApiProblem(
                429,
                f"Trop de tentatives d'authentification échouées depuis cette adresse : réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}.",
                headers={"Retry-After": str(seconds)},
                retry_after=seconds,
            )

    def failed(self, client: str | None) -> None:
        self._limiter.acquire(f"echec:{client or 'inconnue'}")


class Guards:
    """The API's access services, one set per app (``create_app`` puts it in ``app.state.guards``; ``ui.app`` hands it
    to the chat): the rate limiter (the chat counts in it like the API), the failed-authentication throttle and the
    chat's session signer."""

    def __init__(self, settings: Settings) -> None:
        self.limiter = make_limiter(settings)
        self.auth_throttle = FailedAuthThrottle(settings.auth_failures_per_minute)
        self.signer = SessionSigner(settings)

    def acquire(self, bucket: str, per_minute: int | None = None) -> float | None:
        """One request of ``bucket`` against the rate limit: None if allowed, else the seconds to wait."""
        return self.limiter.acquire(bucket, per_minute)

    def session_key_id(self, cookies: dict[str, Any] | None) -> str | None:
        """The key id of the chat session in these cookies, or None."""
        return session_key_id(self.signer, cookies)


def limit_for(fingerprint: str, limits: dict[str, int]) -> int | None:
    """The key's own limit from ``api_key_limits`` (full fingerprint or its 8-character prefix), else None."""
    if fingerprint in limits:
        return limits[fingerprint]
    return limits.get(key_id(fingerprint))


def authenticate(
    fingerprints: list[str], bearer: str | None, x_api_key: str | None, client: str | None,
    throttle: FailedAuthThrottle | None = None, limits: dict[str, int] | None = None,
) -> Caller:
    """The caller of a request, or ``ApiProblem`` 401 (no key) / 403 (unknown key) / 429 (too many failures)."""
    if not fingerprints:
        return Caller(ANONYMOUS, f"adresse:{client or 'inconnue'}")
    if throttle is not None:
        throttle.check(client)
    presented = (bearer or x_api_key or "").strip()
    if not presented:
        if throttle is not None:
            throttle.failed(client)
        raise ApiProblem(
            401,
            "Clé d'API manquante : envoyez-la dans l'en-tête « Authorization: Bearer <clé> » ou « X-API-Key: <clé> ».",
            headers={"WWW-Authenticate": 'Bearer realm="cpp-assistant"'},
        )
    found = match_key(presented, fingerprints)
    if found is None:
        if throttle is not None:
            throttle.failed(client)
        raise ApiProblem(403, "Clé d'API refusée : elle ne correspond à aucune clé configurée sur ce serveur.")
    kid = key_id(found)
    return Caller(kid, f"cle:{kid}", limit_for(found, limits or {}))


def enforce_rate_limit(limiter: Limiter, caller: Caller) -> None:
    wait = limiter.acquire(caller.bucket, caller.per_minute)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise ApiProblem(
            429,
            f"Trop de requêtes pour cette clé : réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}.",
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
        )
