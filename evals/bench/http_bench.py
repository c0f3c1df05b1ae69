"""HTTP benchmark against a real ``cpp-assistant serve`` (uvicorn) on 127.0.0.1: cold start, latency, throughput, memory.

    python evals/bench/http_bench.py                          # all parts
    python evals/bench/http_bench.py --parts latency,cold     # some parts
    python evals/bench/http_bench.py --server-env CPP_ASSISTANT_QUERY_THREADS=2 --name http-threads2   # a what-if run

- cold: spawn → ``/health`` 200 → first ``POST /v1/ask`` answered.
- latency: sequential ``POST /v1/ask`` for every evaluation question (after a warm-up), p50/p95/p99.
- throughput: answered requests/s at concurrency 1, 8, 32, against 1 and 2 uvicorn workers; the load comes from
  ``loadgen.py`` in its own process; each run is bounded by a request count and a time limit.
- memory: RSS of the server process when ready, after a warm-up, and after 1 000 requests (growth bound 5 %).
- ab (what-if, not in the default parts): the server with ``--server-env`` (default ``CPP_ASSISTANT_QUERY_THREADS=2``) against
  the plain server, alternated, 2 workers at concurrency 8, so both arms see the same background load.

The server runs with the rate limit off (``CPP_ASSISTANT_RATE_LIMIT_PER_MINUTE=0``), no API key, its audit log in a
temporary file, and on the index built by ``build_bench.py`` (``/tmp/cpp-bench/ref-index``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evals.bench.common import (  # noqa: E402
    CLI,
    PYTHON,
    WORK_ROOT,
    bench_env,
    descendants,
    dist,
    free_port,
    last_json_line,
    load_questions,
    loadavg,
    log,
    rss_mb,
    run_child,
    tree_rss_mb,
    write_result,
)

REF_INDEX = WORK_ROOT / "ref-index"
LOADGEN = str(Path(__file__).resolve().parent / "loadgen.py")


class Server:
    """One ``cpp-assistant serve`` process tree that we started and that we stop."""

    def __init__(self, data_dir: Path, workers: int = 1, ui: bool = True, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        tag = f"{self.port}-{workers}w"
        self.log_path = WORK_ROOT / f"server-{tag}.log"
        env = bench_env(
            CPP_ASSISTANT_DATA_DIR=str(data_dir),
            CPP_ASSISTANT_RATE_LIMIT_PER_MINUTE="0",
            CPP_ASSISTANT_API_KEY_HASHES="",
            CPP_ASSISTANT_AUDIT_DB=str(WORK_ROOT / f"audit-{tag}.sqlite3"),
            CPP_ASSISTANT_UI_ENABLED="true" if ui else "false",
            **(extra_env or {}),
        )
        WORK_ROOT.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            [CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 300.0) -> float:
        """Seconds from spawn until /health answers 200 (for several workers: 10 consecutive 200s)."""
        import httpx

        deadline = time.monotonic() + timeout
        first_ok: float | None = None
        streak = 0
        need = 1 if self.workers == 1 else 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); log: {self.log_path}")
            try:
                r = httpx.get(f"{self.url}/health", timeout=2.0)
                if r.status_code == 200:
                    first_ok = first_ok or time.perf_counter()
                    streak += 1
                    if streak >= need:
                        return first_ok - self.t_spawn
                else:
                    streak = 0
            except httpx.HTTPError:
                streak = 0
            time.sleep(0.05)
        raise TimeoutError(f"server not ready after {timeout} s; log: {self.log_path}")

    def rss(self) -> dict[str, Any]:
        return tree_rss_mb(self.proc.pid)

    def stop(self) -> None:
        kids = descendants(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in kids:  # workers of this server only (by pid), if any survived their parent
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()


def ask_once(client, q: dict[str, Any]) -> tuple[float, int]:
    t = time.perf_counter()
    r = client.post("/v1/ask", json={"question": q["question"], "history": q.get("history") or []})
    return (time.perf_counter() - t) * 1000, r.status_code


def cold(data_dir: Path, repeat: int, ui: bool, extra_env: dict[str, str]) -> dict[str, Any]:
    import httpx

    runs = []
    questions = load_questions()
    for _ in range(repeat):
        s = Server(data_dir, 1, ui, extra_env)
        try:
            ready = s.wait_ready()
            with httpx.Client(base_url=s.url, timeout=60) as c:
                first_ms, code = ask_once(c, questions[0])
                second_ms, _ = ask_once(c, questions[1])
            runs.append({
                "spawn_to_health_ready_s": round(ready, 3),
                "first_ask_ms": round(first_ms, 1),
                "first_ask_status": code,
                "second_ask_ms": round(second_ms, 1),
                "spawn_to_first_answer_s": round(ready + first_ms / 1000, 3),
                "rss_mb_after_first_answer": s.rss()["total_mb"],
            })
        finally:
            s.stop()
    return {"ui_mounted": ui, "runs": runs, "best": min(runs, key=lambda r: r["spawn_to_first_answer_s"])}


def latency(data_dir: Path, rounds: int, ui: bool, extra_env: dict[str, str]) -> dict[str, Any]:
    import httpx

    questions = load_questions()
    s = Server(data_dir, 1, ui, extra_env)
    try:
        s.wait_ready()
        ms: list[float] = []
        server_ms: list[float] = []
        errors = 0
        with httpx.Client(base_url=s.url, timeout=60) as c:
            for q in questions[:10]:
                ask_once(c, q)
            for _ in range(rounds):
                for q in questions:
                    t = time.perf_counter()
                    r = c.post("/v1/ask", json={"question": q["question"], "history": q.get("history") or []})
                    elapsed = (time.perf_counter() - t) * 1000
                    if r.status_code != 200:
                        errors += 1
                        continue
                    ms.append(elapsed)
                    total = (r.json().get("timings_ms") or {}).get("total")
                    if total is not None:
                        server_ms.append(float(total))
        return {
            "rounds": rounds, "errors": errors, "http": dist(ms), "assistant_ask_inside_server": dist(server_ms),
            "rss_mb_after": s.rss()["total_mb"], "target_p50_ms": 100,
        }
    finally:
        s.stop()


def run_loadgen(url: str, concurrency: int, requests: int, max_seconds: float, offset: int = 0) -> dict[str, Any]:
    run = run_child(
        [PYTHON, LOADGEN, "--url", url, "--concurrency", str(concurrency), "--requests", str(requests),
         "--max-seconds", str(max_seconds), "--offset", str(offset)],
        env=bench_env(), timeout=max_seconds + 120,
    )
    if run.returncode:
        raise RuntimeError(run.stderr[-3000:])
    out = last_json_line(run.stdout)
    out["loadgen_peak_rss_mb"] = round(run.peak_rss_mb, 1)
    return out


def throughput(data_dir: Path, workers_list: list[int], levels: list[int], requests: int, max_seconds: float, ui: bool,
               extra_env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"requests_per_level": requests, "max_seconds_per_level": max_seconds, "runs": []}
    for workers in workers_list:
        s = Server(data_dir, workers, ui, extra_env)
        try:
            ready = s.wait_ready()
            run_loadgen(s.url, max(2, workers * 2), 40, 60)  # warm-up of every worker
            for c in levels:
                load = loadavg()[0]
                r = run_loadgen(s.url, c, requests, max_seconds, offset=c)
                r |= {"workers": workers, "loadavg_before": load, "server_rss_mb": s.rss()["total_mb"], "ready_s": round(ready, 2)}
                log(f"  {workers} worker(s), concurrency {c}: {r['answered_per_s']} req/s, {r['answered']}/{r['sent']} answered, "
                    f"errors {r['errors']} {r['statuses']}, p50/p95/p99 {r['latency']['p50_ms']}/{r['latency']['p95_ms']}/"
                    f"{r['latency']['p99_ms']} ms, stopped by {r['stopped_by']}, server RSS {r['server_rss_mb']} MB")
                out["runs"].append(r)
        finally:
            s.stop()
    target = next((r for r in out["runs"] if r["workers"] == 2 and r["concurrency"] == 8), None)
    if target:
        out["target"] = {"workers": 2, "concurrency": 8, "min_req_per_s": 30, "errors": 0,
                         "met": target["answered_per_s"] >= 30 and target["errors"] == 0}
    return out


def ab(data_dir: Path, env: dict[str, str], workers: int, concurrency: int, requests: int, repeat: int, ui: bool) -> dict[str, Any]:
    """A/B of a server environment (e.g. OMP_NUM_THREADS=1) against none, alternated ``repeat`` times."""
    arms: dict[str, list[dict[str, Any]]] = {"default": [], " ".join(f"{k}={v}" for k, v in env.items()): []}
    for _ in range(repeat):
        for label, extra in zip(arms, ({}, env), strict=True):
            s = Server(data_dir, workers, ui, extra)
            try:
                s.wait_ready()
                run_loadgen(s.url, max(2, workers * 2), 40, 60)
                load = loadavg()[0]
                r = run_loadgen(s.url, concurrency, requests, 60, offset=concurrency)
                r["loadavg_before"] = load
                arms[label].append(r)
                log(f"  {label}: {r['answered_per_s']} req/s, errors {r['errors']}, p50/p95 {r['latency']['p50_ms']}/{r['latency']['p95_ms']} ms (load {load:.1f})")
            finally:
                s.stop()
    return {
        "workers": workers, "concurrency": concurrency, "requests": requests,
        "arms": {k: {"req_per_s": [r["answered_per_s"] for r in v], "median_req_per_s": sorted(r["answered_per_s"] for r in v)[len(v) // 2],
                     "errors": sum(r["errors"] for r in v), "p50_ms": [r["latency"]["p50_ms"] for r in v], "runs": v}
                 for k, v in arms.items()},
    }


def memory(data_dir: Path, n: int, ui: bool, extra_env: dict[str, str], warmup: int = 250) -> dict[str, Any]:
    s = Server(data_dir, 1, ui, extra_env)
    try:
        ready = s.wait_ready()
        time.sleep(1.0)
        at_ready = rss_mb(s.proc.pid)
        warm = run_loadgen(s.url, 8, warmup, 180)  # same concurrency as the load: its threads and arenas exist
        after_warmup = rss_mb(s.proc.pid)
        samples = []
        done = 0
        chunk = 250
        t = time.perf_counter()
        errors = 0
        while done < n:
            r = run_loadgen(s.url, 8, min(chunk, n - done), 600, offset=done)
            done += r["sent"]
            errors += r["errors"]
            samples.append({"requests": done, "rss_mb": round(rss_mb(s.proc.pid), 1)})
            if r["sent"] == 0:
                break
        after = rss_mb(s.proc.pid)
        growth_vs_warm = (after - after_warmup) / after_warmup * 100
        growth_vs_ready = (after - at_ready) / at_ready * 100
        return {
            "ready_s": round(ready, 2),
            "rss_mb_at_ready": round(at_ready, 1),
            "warmup_requests": warmup,
            "rss_mb_after_warmup": round(after_warmup, 1),
            "rss_mb_after_requests": round(after, 1),
            "requests": done, "errors": errors + warm["errors"], "seconds": round(time.perf_counter() - t, 1),
            "samples": samples,
            "growth_pct_vs_warm": round(growth_vs_warm, 2),
            "growth_pct_vs_ready": round(growth_vs_ready, 2),
            "bound": "RSS ≤ 1.5 GB; growth over the 1 000 requests ≤ 5 % (from the process warmed up at the same concurrency, 8)",
            "met": after <= 1536 and growth_vs_warm <= 5,
        }
    finally:
        s.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="cold,latency,throughput,memory")
    ap.add_argument("--data-dir", type=Path, default=REF_INDEX)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--cold-repeat", type=int, default=2)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--requests", type=int, default=300, help="request cap per concurrency level")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="time cap per concurrency level")
    ap.add_argument("--memory-requests", type=int, default=1000)
    ap.add_argument("--memory-warmup", type=int, default=250, help="≥ 233: every evaluation question (and its code path) seen once")
    ap.add_argument("--no-ui", action="store_true", help="serve without the Gradio chat")
    ap.add_argument("--server-env", action="append", default=[], help="KEY=VALUE for the server (what-if runs)")
    ap.add_argument("--ab-repeat", type=int, default=3, help="alternations of the A/B part")
    ap.add_argument("--name", default="http")
    args = ap.parse_args(argv)
    if not (args.data_dir / "current.json").is_file():
        raise SystemExit(f"no index in {args.data_dir}: run evals/bench/build_bench.py --parts cold first")
    extra = dict(kv.split("=", 1) for kv in args.server_env)
    parts = args.parts.split(",")
    ui = not args.no_ui
    result: dict[str, Any] = {"server_env": extra, "ui_mounted": ui, "loadavg_before": loadavg()}
    if "cold" in parts:
        log("server cold start (spawn → /health → first /v1/ask)")
        result["cold"] = cold(args.data_dir, args.cold_repeat, ui, extra)
        log(f"  {result['cold']['best']}")
    if "latency" in parts:
        log("HTTP latency, sequential POST /v1/ask (1 worker)")
        result["latency"] = latency(args.data_dir, args.rounds, ui, extra)
        h = result["latency"]["http"]
        log(f"  p50/p95/p99 {h['p50_ms']}/{h['p95_ms']}/{h['p99_ms']} ms (inside the server: "
            f"{result['latency']['assistant_ask_inside_server']['p50_ms']} ms p50), errors {result['latency']['errors']}")
    if "throughput" in parts:
        log("HTTP throughput")
        result["throughput"] = throughput(args.data_dir, [int(w) for w in args.workers.split(",")],
                                          [int(c) for c in args.levels.split(",")], args.requests, args.max_seconds, ui, extra)
    if "ab" in parts:
        env = extra or {"CPP_ASSISTANT_QUERY_THREADS": "2"}
        log(f"A/B server env {env} vs default, 2 workers, concurrency 8, alternated {args.ab_repeat}×")
        result["ab"] = ab(args.data_dir, env, 2, 8, args.requests, args.ab_repeat, ui)
    if "memory" in parts:
        log(f"server RSS over {args.memory_requests} requests")
        result["memory"] = memory(args.data_dir, args.memory_requests, ui, extra, args.memory_warmup)
        m = result["memory"]
        log(f"  RSS ready {m['rss_mb_at_ready']} MB, after {m['warmup_requests']} warm-up {m['rss_mb_after_warmup']} MB, after {m['requests']} "
            f"requests {m['rss_mb_after_requests']} MB (growth {m['growth_pct_vs_warm']} % vs warm, {m['growth_pct_vs_ready']} % vs ready)")
    result["loadavg_after"] = loadavg()
    path = write_result(args.name, result)
    log(f"written {path}")
    return result


if __name__ == "__main__":
    main()
