"""A burst of concurrent questions against a running server: reply latency (p50/p95) and ``/health`` latency during it.

    python evals/bench/burst.py --base http://127.0.0.1:8000 --n 200 --label apres --out evals/bench/results/burst.json

The server must run with the rate limit off (``CPP_ASSISTANT_RATE_LIMIT_PER_MINUTE=0``) or with a key whose own limit
is 0 (``--key``). Sends ``n`` ``POST /v1/ask`` at once (two questions alternated), polls ``/health`` every 100 ms
meanwhile, and appends one line per run to the JSON file (``label``: e.g. « avant » / « après »). Bounded: one
burst, a 600 s client timeout. Only loopback addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

QUESTIONS = [
    "Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?",
    "Combien de temps peut durer la garde à vue en matière de terrorisme ?",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(base: str, n: int, key: str | None) -> dict[str, Any]:
    assert base.startswith(("http://127.", "http://localhost", "http://[::1]")), "loopback only"
    headers = {"X-API-Key": key} if key else {}
    health_ms: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not stop.is_set():
                t = time.perf_counter()
                c.get("/health")
                health_ms.append((time.perf_counter() - t) * 1000)
                time.sleep(0.1)

    async def burst() -> list[tuple[int, float]]:
        limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits, headers=headers) as c:
            async def one(i: int) -> tuple[int, float]:
                t = time.perf_counter()
                r = await c.post("/v1/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                return r.status_code, (time.perf_counter() - t) * 1000

            return await asyncio.gather(*(one(i) for i in range(n)))

    poller = threading.Thread(target=poll)
    poller.start()
    started = time.perf_counter()
    try:
        results = asyncio.run(burst())
    finally:
        stop.set()
        poller.join()
    latencies = [ms for _, ms in results]
    return {
        "requests": n,
        "errors": sum(1 for s, _ in results if s != 200),
        "wall_s": round(time.perf_counter() - started, 1),
        "first_reply_ms": round(min(latencies)),
        "p50_ms": round(statistics.median(latencies)),
        "p95_ms": round(percentile(latencies, 95)),
        "health_p50_ms": round(statistics.median(health_ms)) if health_ms else None,
        "health_max_ms": round(max(health_ms)) if health_ms else None,
        "health_samples": len(health_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--key")
    parser.add_argument("--label", default="run")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = {"label": args.label, "date": datetime.now(UTC).isoformat(timespec="seconds"), **run(args.base, args.n, args.key)}
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else []
        args.out.write_text(json.dumps([*previous, result], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
