"""Run the benchmarks (all, or some parts) and print the summary table; results in evals/bench/results/*.json.

    .venv/bin/python evals/bench/run_all.py                  # everything (≈ 25–40 min on 2 cores)
    .venv/bin/python evals/bench/run_all.py --parts build,latency
    .venv/bin/python evals/bench/run_all.py --summary        # only re-print the table from the last results
    .venv/bin/python evals/bench/run_all.py --quick          # smaller counts, to check the scripts work (results/quick/)

Parts: build (cold + incremental + no-op), scale (×1, ×10, ×50), latency (in-process warm + cold start),
baselines, http (cold start + sequential latency), throughput, memory, whatif (the previous behaviour, torch on
every core for queries, against the default ``query_threads = 1``: in process, over HTTP, and an alternated A/B of
two servers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evals.bench import build_bench, common, http_bench, latency  # noqa: E402
from evals.bench.common import WORK_ROOT, log, machine  # noqa: E402

ALL = ["build", "scale", "latency", "baselines", "http", "throughput", "memory", "whatif"]


def run(parts: list[str], quick: bool) -> None:
    build_parts = [p for p in ("cold", "incremental") if "build" in parts] + (["scale"] if "scale" in parts else [])
    if "build" not in parts and not (WORK_ROOT / "ref-index" / "current.json").is_file():
        build_parts = ["cold"] + [p for p in build_parts if p != "cold"]
    if build_parts:
        build_parts_arg = ",".join(dict.fromkeys(p for p in build_parts if p != "build"))
        argv = ["--parts", build_parts_arg]
        if quick:
            argv += ["--scale", "1,10", "--scale-queries", "30", "--scale-asks", "10"]
        build_bench.main(argv)
    lat_parts = [p for p, on in (("warm", "latency" in parts), ("cold", "latency" in parts), ("baselines", "baselines" in parts)) if on]
    if lat_parts:
        latency.main(["--parts", ",".join(lat_parts)] + (["--rounds", "1", "--cold-repeat", "1"] if quick else []))
    http_parts = [p for p, on in (("cold", "http" in parts), ("latency", "http" in parts), ("throughput", "throughput" in parts),
                                  ("memory", "memory" in parts)) if on]
    if http_parts:
        argv = ["--parts", ",".join(http_parts)]
        if quick:
            argv += ["--cold-repeat", "1", "--requests", "60", "--max-seconds", "20", "--memory-requests", "200"]
        http_bench.main(argv)
    if "whatif" in parts:
        # the previous behaviour (torch on every core for queries) against the default query_threads = 1
        latency.main(["--parts", "warm,threads-ab", "--torch-threads", str(os.cpu_count() or 2), "--name", "whatif-latency-threads2"]
                     + (["--rounds", "1"] if quick else []))
        env = ["--server-env", f"CPP_ASSISTANT_QUERY_THREADS={os.cpu_count() or 2}"]
        argv = ["--parts", "latency,throughput", *env, "--name", "whatif-http-threads2"]
        if quick:
            argv += ["--requests", "60", "--max-seconds", "20"]
        http_bench.main(argv)
        http_bench.main(["--parts", "ab", *env, "--name", "whatif-http-ab-threads2"] + (["--requests", "60", "--ab-repeat", "1"] if quick else []))


# -- summary ------------------------------------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    p = common.RESULTS_DIR / f"{name}.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def _ok(met: bool | None) -> str:
    return "–" if met is None else ("✅" if met else "❌")


Add = Callable[..., None]


def _build_rows(add: Add, b: dict[str, Any]) -> None:
    if b.get("cold"):
        c = b["cold"]["best"]
        ph = c["phases_s"]
        add("Cold index build (779 units, 1 105 chunks)", f"{c['build_s']:.1f} s (process {c['process_wall_s']:.1f} s)", "≤ 60 s", c["build_s"] <= 60)
        add("  phases", ", ".join(f"{k} {v:.2f} s" for k, v in ph.items() if v >= 0.01))
        add("  rate", f"{c['units_per_s']} units/s, {c['chunks_per_s']} chunks/s (embedding alone {c['embed_chunks_per_s']} chunks/s)")
        add("  peak RSS / index on disk", f"{c['peak_rss_mb']:.0f} MB / {c['disk']['disk_mb']} MB ({c['disk']['files']} files)")
    if b.get("incremental"):
        i, n = b["incremental"]["incremental"], b["incremental"]["noop"]
        add("Incremental rebuild, one circulaire edited", f"{i['build_s']:.1f} s (process {i['process_wall_s']:.1f} s); "
            f"{i['embedded']} chunks embedded, {i['reused']} reused; model load {i['phases_s'].get('model_load', 0):.1f} s", "≤ 10 s", i["build_s"] <= 10)
        add("No-op rebuild (unchanged corpus)", f"{n['build_s']:.2f} s (process {n['process_wall_s']:.1f} s)")
    if b.get("whatif_bf16"):
        w = b["whatif_bf16"]
        qf, qb = w["quality"]["fp32"], w["quality"]["bf16"]
        add("  what-if bf16 autocast for chunk encoding", f"{w['build_s']:.1f} s (embedding {w['phases_s']['embed']:.1f} s, {w['embed_chunks_per_s']} chunks/s); "
            f"recall@5 {qb['recall@5']:.3f} (fp32 {qf['recall@5']:.3f}), MRR {qb['mrr']:.4f} (fp32 {qf['mrr']:.4f})", "≤ 60 s", w["build_s"] <= 60)
    for f in (b.get("scale") or {}).get("factors", []):
        q = f.get("queries") or {}

        def p(key: str, q=q) -> str:
            d = q.get(key) or {}
            return f"{d.get('p50_ms')}/{d.get('p95_ms')}"

        add(f"Scale ×{f['factor']} ({f['units']} units, {f['chunks']} chunks)",
            f"build w/o embedding {f['build_without_embedding_s']} s (Chroma writes {f['phases_s'].get('chroma_write', 0):.1f} s), "
            f"est. full build {f.get('estimated_full_build_s')} s; assistant load {q.get('load_assistant_s')} s"
            + (" (**unpaged Chroma get fails: too many SQL variables; measured with a paged get**)" if q.get("load_assistant_error") else "")
            + f"; p50/p95 ms: retrieval {p('search')}, ask {p('ask')}, BM25 {p('bm25_lexical')}, Chroma query {p('chroma_query')}, "
            f"query embedding {p('embed_query')}; peak RSS {f['peak_rss_mb']:.0f} MB; disk {f['disk']['disk_mb']} MB")


def _latency_rows(add: Add, lat: dict[str, Any], wl: dict[str, Any]) -> None:
    if lat.get("warm"):
        w = lat["warm"]
        s, a = w["search"], w["ask"]
        add("Retrieval `search(q, 10)` warm, in process", f"p50 {s['p50_ms']} / p95 {s['p95_ms']} / p99 {s['p99_ms']} ms")
        add("`assistant.ask` warm, in process", f"p50 {a['p50_ms']} / p95 {a['p95_ms']} / p99 {a['p99_ms']} ms", "p50 ≤ 60, p95 ≤ 150 ms",
            a["p50_ms"] <= 60 and a["p95_ms"] <= 150)
        add("  query embedding / BM25 p50", f"{w['search_parts_ms']['embed_query']['p50_ms']} ms / {w['search_parts_ms']['lexical (BM25)']['p50_ms']} ms")
    if wl.get("warm"):
        s, a = wl["warm"]["search"], wl["warm"]["ask"]
        add(f"  what-if torch {wl.get('torch_threads')} threads: ask", f"p50 {a['p50_ms']} / p95 {a['p95_ms']} / p99 {a['p99_ms']} ms (retrieval p50 {s['p50_ms']} ms)",
            "p50 ≤ 60, p95 ≤ 150 ms", a["p50_ms"] <= 60 and a["p95_ms"] <= 150)
    if wl.get("threads_ab"):
        arms = wl["threads_ab"]["arms"]
        add("  torch threads A/B, interleaved: ask p50/p95/p99", "; ".join(
            f"{k}: {v['ask']['p50_ms']}/{v['ask']['p95_ms']}/{v['ask']['p99_ms']} ms (embedding p50 {v['embed_query']['p50_ms']} ms)" for k, v in arms.items())
            + f" — load {', '.join(f'{x:.1f}' for x in wl['threads_ab']['loadavg_during'])}")
    if lat.get("cold"):
        c = lat["cold"]["best"]
        add("Cold start in process (spawn → first answer)", f"{c['spawn_to_first_answer_s']} s (imports {c['imports_s']} s, load_assistant {c['load_assistant_s']} s, first ask {c['first_answer_ms']} ms)")


def _http_rows(add: Add, http: dict[str, Any], wh: dict[str, Any], wab: dict[str, Any]) -> None:
    if http.get("cold"):
        c = http["cold"]["best"]
        add("Server cold start (spawn → /health 200 → first /v1/ask)", f"{c['spawn_to_health_ready_s']} s → {c['spawn_to_first_answer_s']} s (first ask {c['first_ask_ms']} ms)")
    if http.get("latency"):
        h = http["latency"]["http"]
        add("`POST /v1/ask` over HTTP, sequential", f"p50 {h['p50_ms']} / p95 {h['p95_ms']} / p99 {h['p99_ms']} ms", "p50 ≤ 100 ms", h["p50_ms"] <= 100)
    if wh.get("latency"):
        h = wh["latency"]["http"]
        add(f"  what-if {' '.join(f'{k}={v}' for k, v in wh.get('server_env', {}).items())}: HTTP", f"p50 {h['p50_ms']} / p95 {h['p95_ms']} / p99 {h['p99_ms']} ms", "p50 ≤ 100 ms", h["p50_ms"] <= 100)
    for src, label in ((http, ""), (wh, " (what-if " + " ".join(f"{k}={v}" for k, v in wh.get("server_env", {}).items()) + ")")):
        for r in (src.get("throughput") or {}).get("runs", []):
            target = r["workers"] == 2 and r["concurrency"] == 8
            add(f"Throughput{label}: {r['workers']} worker(s), concurrency {r['concurrency']}",
                f"{r['answered_per_s']} req/s, {r['errors']} errors / {r['sent']}, p50 {r['latency']['p50_ms']} ms, p95 {r['latency']['p95_ms']} ms",
                "≥ 30 req/s, 0 errors" if target else "", (r["answered_per_s"] >= 30 and r["errors"] == 0) if target else None)
    if wab.get("ab"):
        ab = wab["ab"]
        add(f"  A/B alternated, {ab['workers']} workers, concurrency {ab['concurrency']}", "; ".join(
            f"{k}: {v['req_per_s']} req/s (median {v['median_req_per_s']}), errors {v['errors']}" for k, v in ab["arms"].items()))
    if http.get("memory"):
        mm = http["memory"]
        add("API RSS (1 worker)", f"{mm['rss_mb_at_ready']} MB ready → {mm['rss_mb_after_warmup']} MB after {mm['warmup_requests']} warm-up → {mm['rss_mb_after_requests']} MB after "
            f"{mm['requests']} requests ({mm['growth_pct_vs_warm']:+} % vs warmed-up)", "≤ 1.5 GB, growth ≤ 5 %", mm["met"])


def _baseline_rows(add: Add, lat: dict[str, Any]) -> None:
    if lat.get("baselines"):
        bl = lat["baselines"]
        o = bl["ours"]
        add("Ours: recall@5 / MRR / ask p50 / retrieval p50", f"{o['recall@5']:.3f} / {o['mrr']:.3f} / {o['ask']['p50_ms']} ms / {o['search']['p50_ms']} ms",
            "above both baselines", bl["quality_above_both"])
        for k, name in (("dense", "Dense-only (LangChain Chroma)"), ("bm25", "BM25-only")):
            x, r = bl[k], bl[k]["ratio_vs_ours"]
            add(f"{name}", f"{x['recall@5']:.3f} / {x['mrr']:.3f} / {x['ask']['p50_ms']} ms / {x['search']['p50_ms']} ms "
                f"(× ours: recall@5 {r['recall@5']}, MRR {r['mrr']}, ask p50 {r['ask_p50']}, retrieval p50 {r['search_p50']})")
        v = bl["ours_latency_vs_bm25"]
        add("Ours vs BM25-only latency", f"ask p50 ×{v['ask_p50']}, retrieval p50 ×{v['search_p50']}", "≤ 2×", v["ask_p50"] <= 2)


def summary() -> str:
    b, lat, http = _load("build"), _load("latency"), _load("http")
    wl, wh, wab = _load("whatif-latency-threads2"), _load("whatif-http-threads2"), _load("whatif-http-ab-threads2")
    m = machine()
    rows: list[tuple[str, str, str, str]] = []

    def add(what: str, value: str, target: str = "", met: bool | None = None) -> None:
        rows.append((what, value, target, _ok(met) if target else ""))

    _build_rows(add, b)
    _latency_rows(add, lat, wl)
    _http_rows(add, http, wh, wab)
    _baseline_rows(add, lat)
    head = f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Python {m['python']}"
    lines = [head, "", "| measure | value | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b_} | {c_} | {d} |" for a, b_, c_, d in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default=",".join(ALL), help=f"comma list among {', '.join(ALL)}")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--summary", action="store_true", help="only print the table from the last results")
    args = ap.parse_args()
    if args.quick:  # a check that the scripts run: its numbers go to results/quick/, never over the real ones
        common.RESULTS_DIR = common.RESULTS_DIR / "quick"
    if not args.summary:
        parts = args.parts.split(",")
        unknown = set(parts) - set(ALL)
        if unknown:
            raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))}")
        log(f"running {', '.join(parts)}{' (quick)' if args.quick else ''}")
        run(parts, args.quick)
    table = summary()
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (common.RESULTS_DIR / "summary.md").write_text(table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
