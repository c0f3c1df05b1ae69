"""Closed-loop HTTP load generator (run as its own process): N threads POST /v1/ask on loopback until a request
count or a time limit is reached, whichever comes first. Prints one JSON line.

    python evals/bench/loadgen.py --url http://127.0.0.1:8765 --concurrency 8 --requests 400 --max-seconds 60

Questions cycle through evals/questions.jsonl (with their history). Only 127.0.0.1 / localhost URLs are accepted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--requests", type=int, default=100, help="total requests (upper bound)")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="time limit (upper bound)")
    ap.add_argument("--offset", type=int, default=0, help="first question index")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-request timeout")
    args = ap.parse_args()
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")

    import httpx

    from evals.bench.common import dist, load_questions

    questions = load_questions()
    lock = threading.Lock()
    state = {"next": 0}
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    deadline = time.monotonic() + args.max_seconds

    def take() -> int | None:
        with lock:
            if state["next"] >= args.requests or time.monotonic() >= deadline:
                return None
            state["next"] += 1
            return state["next"] - 1

    def worker() -> None:
        with httpx.Client(base_url=args.url, timeout=args.timeout) as client:
            while (i := take()) is not None:
                q = questions[(args.offset + i) % len(questions)]
                t = time.perf_counter()
                try:
                    r = client.post("/v1/ask", json={"question": q["question"], "history": q.get("history") or []})
                    ok = r.status_code == 200 and "answer" in r.json()
                    code = str(r.status_code)
                except Exception as exc:  # a timeout or a reset is an error of the run, not a crash of the generator
                    ok, code = False, type(exc).__name__
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    statuses[code] += 1
                    if ok:
                        latencies.append(ms)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=args.max_seconds + args.timeout + 5)
    wall = time.perf_counter() - t0
    sent = sum(statuses.values())
    ok = len(latencies)
    print(json.dumps({
        "concurrency": args.concurrency, "sent": sent, "answered": ok, "errors": sent - ok, "statuses": dict(statuses),
        "wall_s": round(wall, 3), "answered_per_s": round(ok / wall, 2) if wall else 0.0,
        "stopped_by": "count" if sent >= args.requests else "time", "latency": dist(latencies),
    }), flush=True)


if __name__ == "__main__":
    main()
