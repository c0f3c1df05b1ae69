"""In-process latency: warm retrieval and full answers, cold start, and the two baselines side by side.

    python evals/bench/latency.py                      # all parts, on the reference index (built by build_bench.py)
    python evals/bench/latency.py --parts warm         # warm retrieval / answer percentiles only
    python evals/bench/latency.py --parts baselines    # recall@5, MRR and latency of ours vs dense-only vs BM25-only

- warm: ``assistant.search.search(q, 10)`` and ``assistant.ask(q, history)`` for every evaluation question, after
  a warm-up, ``--rounds`` times each; p50/p95/p99, plus the median of each chain step (``Answer.timings_ms``).
- cold: a fresh process (spawn → imports → ``load_assistant`` → first ``ask``), timed from the parent.
- baselines: ``evals.run.evaluate``/``summarize`` (recall and MRR measured on ``retrieved``) for ours, the dense-only
  LangChain Chroma baseline and BM25-only, in this same process on the same index; latency of the full answer and of
  retrieval alone, with ratios against ours.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evals.bench.common import (  # noqa: E402
    PYTHON,
    WORK_ROOT,
    bench_env,
    dist,
    last_json_line,
    load_questions,
    loadavg,
    log,
    run_child,
    self_peak_rss_mb,
    write_result,
)

REF_INDEX = WORK_ROOT / "ref-index"

COLD_CHILD = r"""
import json, time, sys, os
t0 = time.monotonic()
from pathlib import Path
from assistant.settings import Settings
from assistant.compose import load_assistant
t1 = time.monotonic()
a = load_assistant(Settings(data_dir=Path(sys.argv[1])))
t2 = time.monotonic()
ans = a.ask("Quelle est la durée maximale de la garde à vue en matière de criminalité organisée ?")
t3 = time.monotonic()
a.ask("Que dit l'article 706-95 du CPP ?")
t4 = time.monotonic()
print(json.dumps({"interpreter_ready": t0, "imports_done": t1, "assistant_loaded": t2, "first_answer": t3,
                  "second_answer": t4, "refused": ans.refused}))
"""


def settings_for(data_dir: Path):
    from assistant.settings import Settings

    return Settings(data_dir=data_dir)


def warm(assistant, questions: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    for q in questions[:10]:  # warm-up: caches, lazy regexes, first torch calls
        assistant.ask(q["question"], q.get("history") or [])
    search_ms: list[float] = []
    ask_ms: list[float] = []
    steps: dict[str, list[float]] = defaultdict(list)
    embed_ms: list[float] = []
    emb = assistant.search.embeddings
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            assistant.search.search(q["question"], 10)
            search_ms.append((time.perf_counter() - t) * 1000)
        for q in questions:
            t = time.perf_counter()
            ans = assistant.ask(q["question"], q.get("history") or [])
            ask_ms.append((time.perf_counter() - t) * 1000)
            for k, v in ans.timings_ms.items():
                steps[k].append(v)
    # retrieval split: query embedding, Chroma query, BM25 (lexical) — on one round
    lex_ms, dense_ms = [], []
    for q in questions:
        t = time.perf_counter()
        emb.embed_query(q["question"])
        embed_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.search.lexical(q["question"], 60)
        lex_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.search.dense(q["question"], 60)
        dense_ms.append((time.perf_counter() - t) * 1000)
    return {
        "rounds": rounds,
        "search": dist(search_ms),
        "ask": dist(ask_ms),
        "ask_steps_ms": {k: dist(v) for k, v in steps.items()},
        "search_parts_ms": {"embed_query": dist(embed_ms), "dense (embed + chroma)": dist(dense_ms), "lexical (BM25)": dist(lex_ms)},
        "targets": {"ask_p50_ms": 60, "ask_p95_ms": 150},
    }


def threads_ab(assistant, questions: list[dict[str, Any]], rounds: int, default: int) -> dict[str, Any]:
    """A/B of torch intra-op threads (``default``, torch's own default = the cores, vs 1 = ``query_threads``'s
    default), interleaved question by question so both arms see the same background load."""
    import torch

    current = torch.get_num_threads()
    arms = sorted({default, 1}, reverse=True)
    ask_ms: dict[int, list[float]] = {n: [] for n in arms}
    embed_ms: dict[int, list[float]] = {n: [] for n in arms}
    loads = []
    try:
        for _ in range(rounds):
            for q in questions:
                for n in arms:
                    torch.set_num_threads(n)
                    t = time.perf_counter()
                    assistant.search.embeddings.embed_query(q["question"])
                    embed_ms[n].append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    assistant.ask(q["question"], q.get("history") or [])
                    ask_ms[n].append((time.perf_counter() - t) * 1000)
            loads.append(loadavg()[0])
    finally:
        torch.set_num_threads(current)
    return {
        "rounds": rounds, "loadavg_during": loads,
        "arms": {f"{n} thread(s)": {"ask": dist(ask_ms[n]), "embed_query": dist(embed_ms[n])} for n in arms},
    }


def cold(data_dir: Path, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        t0 = time.monotonic()
        run = run_child([PYTHON, "-c", COLD_CHILD, str(data_dir)], env=bench_env())
        if run.returncode:
            raise RuntimeError(run.stderr[-3000:])
        marks = last_json_line(run.stdout)
        runs.append({
            "spawn_to_interpreter_s": round(marks["interpreter_ready"] - t0, 3),
            "imports_s": round(marks["imports_done"] - marks["interpreter_ready"], 3),
            "load_assistant_s": round(marks["assistant_loaded"] - marks["imports_done"], 3),
            "first_answer_ms": round((marks["first_answer"] - marks["assistant_loaded"]) * 1000, 1),
            "second_answer_ms": round((marks["second_answer"] - marks["first_answer"]) * 1000, 1),
            "spawn_to_first_answer_s": round(marks["first_answer"] - t0, 3),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
        })
    best = min(runs, key=lambda r: r["spawn_to_first_answer_s"])
    return {"runs": runs, "best": best}


def baselines(assistant, settings, questions: list[dict[str, Any]]) -> dict[str, Any]:
    from assistant.store import chroma_client
    from assistant.verbatim import CorpusText
    from evals.baselines import baseline_assistant
    from evals.run import Question, evaluate, summarize
    from indexing.parse import parse_corpus

    parsed = parse_corpus(settings)
    corpus = CorpusText(settings.corpus_dir, parsed.documents)
    numbers = {u.article for u in parsed.units if u.article}
    qs = [Question(d["id"], d["category"], d["question"], d.get("history") or [], d["expected"]) for d in questions]
    systems = {"ours": assistant}
    client = chroma_client(settings)
    for kind in ("dense", "bm25"):
        systems[kind] = baseline_assistant(assistant, kind, client)
    out: dict[str, Any] = {}
    for name, a in systems.items():
        for q in questions[:5]:
            a.ask(q["question"], q.get("history") or [])
        def asker(question: str, history: list[dict[str, str]], a: Any = a) -> dict[str, Any]:
            return a.ask(question, history).to_dict()

        records = evaluate(qs, asker, corpus, numbers)
        s = summarize(records)["overall"]
        search_ms = []
        for q in questions:
            t = time.perf_counter()
            a.search.search(q["question"], 10)
            search_ms.append((time.perf_counter() - t) * 1000)
        out[name] = {
            "recall@1": s["recall@1"], "recall@5": s["recall@5"], "recall@10": s["recall@10"], "mrr": s["mrr"],
            "refusal_precision": s["refusal_precision"], "refusal_recall": s["refusal_recall"],
            "ask": dist([r.latency_ms for r in records]), "search": dist(search_ms),
        }
        log(f"  {name}: recall@5 {s['recall@5']:.3f}, MRR {s['mrr']:.3f}, ask p50 {out[name]['ask']['p50_ms']} ms, "
            f"search p50 {out[name]['search']['p50_ms']} ms")
    ours = out["ours"]
    for name in ("dense", "bm25"):
        b = out[name]
        b["ratio_vs_ours"] = {
            "recall@5": round(b["recall@5"] / ours["recall@5"], 3),
            "mrr": round(b["mrr"] / ours["mrr"], 3),
            "ask_p50": round(b["ask"]["p50_ms"] / ours["ask"]["p50_ms"], 3),
            "ask_p95": round(b["ask"]["p95_ms"] / ours["ask"]["p95_ms"], 3),
            "search_p50": round(b["search"]["p50_ms"] / ours["search"]["p50_ms"], 3),
            "search_p95": round(b["search"]["p95_ms"] / ours["search"]["p95_ms"], 3),
        }
    out["ours_latency_vs_bm25"] = {
        "ask_p50": round(ours["ask"]["p50_ms"] / out["bm25"]["ask"]["p50_ms"], 2),
        "search_p50": round(ours["search"]["p50_ms"] / out["bm25"]["search"]["p50_ms"], 2),
        "target": "≤ 2",
    }
    out["quality_above_both"] = all(ours[m] > out[b][m] for m in ("recall@5", "mrr") for b in ("dense", "bm25"))
    return out


def quality(assistant, settings, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """recall@k and MRR of the assistant alone (``evaluate``/``summarize`` of evals/run.py)."""
    from assistant.verbatim import CorpusText
    from evals.run import Question, evaluate, summarize
    from indexing.parse import parse_corpus

    parsed = parse_corpus(settings)
    corpus = CorpusText(settings.corpus_dir, parsed.documents)
    numbers = {u.article for u in parsed.units if u.article}
    qs = [Question(d["id"], d["category"], d["question"], d.get("history") or [], d["expected"]) for d in questions]
    s = summarize(evaluate(qs, lambda q, h: assistant.ask(q, h).to_dict(), corpus, numbers))["overall"]
    keys = ("recall@1", "recall@5", "recall@10", "mrr", "citation_hit_rate", "fact_accuracy", "refusal_precision", "refusal_recall")
    return {k: s[k] for k in keys}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="warm,cold,baselines")
    ap.add_argument("--data-dir", type=Path, default=REF_INDEX)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cold-repeat", type=int, default=2)
    ap.add_argument("--name", default="latency", help="result file stem")
    ap.add_argument("--torch-threads", type=int,
                    help="what-if: torch.set_num_threads(N) after load_assistant (which applies settings.query_threads)")
    args = ap.parse_args(argv)
    parts = args.parts.split(",")
    if not (args.data_dir / "current.json").is_file():
        raise SystemExit(f"no index in {args.data_dir}: run evals/bench/build_bench.py --parts cold first")
    questions = load_questions()
    result: dict[str, Any] = {"questions": len(questions), "data_dir": str(args.data_dir), "loadavg_before": loadavg()}
    if "cold" in parts:
        log("cold start (fresh process → first answer)")
        result["cold"] = cold(args.data_dir, args.cold_repeat)
        log(f"  {result['cold']['best']}")
    if {"warm", "baselines", "quality", "threads-ab"} & set(parts):
        from assistant.compose import load_assistant

        settings = settings_for(args.data_dir)
        t = time.perf_counter()
        assistant = load_assistant(settings)
        result["load_assistant_s"] = round(time.perf_counter() - t, 2)
        import torch

        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        result["torch_threads"] = torch.get_num_threads()
        if "warm" in parts:
            log(f"warm in-process latency ({len(questions)} questions × {args.rounds})")
            result["warm"] = warm(assistant, questions, args.rounds)
            w = result["warm"]
            log(f"  search p50/p95/p99 {w['search']['p50_ms']}/{w['search']['p95_ms']}/{w['search']['p99_ms']} ms ; "
                f"ask p50/p95/p99 {w['ask']['p50_ms']}/{w['ask']['p95_ms']}/{w['ask']['p99_ms']} ms")
            log("  steps p50: " + ", ".join(f"{k} {v['p50_ms']}" for k, v in w["ask_steps_ms"].items()))
            log("  search parts p50: " + ", ".join(f"{k} {v['p50_ms']}" for k, v in w["search_parts_ms"].items()))
        if "threads-ab" in parts:
            log(f"torch threads A/B, interleaved ({len(questions)} questions × {args.rounds})")
            result["threads_ab"] = threads_ab(assistant, questions, args.rounds, os.cpu_count() or 2)
            for arm, v in result["threads_ab"]["arms"].items():
                log(f"  {arm}: ask p50/p95/p99 {v['ask']['p50_ms']}/{v['ask']['p95_ms']}/{v['ask']['p99_ms']} ms, "
                    f"embed_query p50/p95 {v['embed_query']['p50_ms']}/{v['embed_query']['p95_ms']} ms")
        if "quality" in parts:
            result["quality"] = quality(assistant, settings, questions)
            log(f"  quality on {args.data_dir}: {result['quality']}")
        if "baselines" in parts:
            log("baselines side by side (evaluate/summarize of evals/run.py)")
            result["baselines"] = baselines(assistant, settings, questions)
        result["peak_rss_mb"] = round(self_peak_rss_mb(), 1)
    result["loadavg_after"] = loadavg()
    path = write_result(args.name, result)
    log(f"written {path}")
    return result


if __name__ == "__main__":
    main()
