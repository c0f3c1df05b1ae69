"""Index build benchmark: cold build, incremental rebuild of one document, no-op rebuild, and corpus scale (×k).

Each build runs in its own child process (``build_child.py``): wall time, peak RSS (``os.wait4``), per-phase
times, index size on disk.

    python evals/bench/build_bench.py                 # cold + incremental + no-op + scale ×1, ×10, ×50
    python evals/bench/build_bench.py --parts cold    # only the cold build
    python evals/bench/build_bench.py --scale 1,10    # other factors

Scale corpora: a temporary corpus directory whose manifest lists the five real documents ``k`` times (copy ``i``
gets the doc_id ``<doc_id>--c<i>``; the files are symlinks to the real ones, so the sha256 checks still hold and
the parser sees ``k`` CPP books, ``k`` D files — hence ``k`` copies of the D15-4-4 table, which ``parse_corpus``
accepts: it only requires at least one). Units, chunks, Chroma rows and BM25 postings grow exactly ×k. Embedding
55 000 chunks with the real model would take most of an hour on 2 cores, so in these builds the model is
replaced by the vectors of the real index (+ noise) and the embedding time is *extrapolated* from the throughput
measured in the cold build; everything else (parse, chunk, Chroma writes, catalog, query-time search with the
real model for the question) is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evals.bench.common import (  # noqa: E402
    PROJECT_ROOT,
    PYTHON,
    WORK_ROOT,
    bench_env,
    dir_size,
    last_json_line,
    loadavg,
    log,
    run_child,
    write_result,
)

CHILD = str(Path(__file__).resolve().parent / "build_child.py")
CORPUS = PROJECT_ROOT / "corpus"
REF_INDEX = WORK_ROOT / "ref-index"
TOUCHED_FILE = "circulaire_2026-04-13_donnees_fournisseurs_services.md"
APPENDED = (
    "\n\nParagraphe ajouté pour le banc d'essai : les réquisitions adressées aux fournisseurs de services de "
    "messagerie sont transmises par la plateforme nationale, et le magistrat veille à la proportionnalité de la mesure.\n"
)


def child_build(corpus: Path, data: Path, *extra: str, timeout: float = 1800) -> dict[str, Any]:
    run = run_child([PYTHON, CHILD, "--corpus", str(corpus), "--data", str(data), *extra], env=bench_env(), timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"build child failed ({run.returncode}):\n{run.stderr[-3000:]}")
    out = last_json_line(run.stdout)
    out["process_wall_s"] = round(run.wall_s, 3)
    out["peak_rss_mb"] = round(run.peak_rss_mb, 1)
    return out


def cold(repeat: int = 1) -> dict[str, Any]:
    runs = []
    for i in range(repeat):
        data = REF_INDEX if i == 0 else WORK_ROOT / f"cold-{i}"
        shutil.rmtree(data, ignore_errors=True)
        load = loadavg()[0]
        log(f"cold build #{i + 1} → {data}")
        r = child_build(CORPUS, data)
        r["disk"] = dir_size(data)
        r["loadavg_before"] = load
        r["units_per_s"] = round(r["units"] / r["build_s"], 1)
        r["chunks_per_s"] = round(r["chunks"] / r["build_s"], 1)
        embed_s = r["phases_s"].get("embed", 0.0)
        r["embed_chunks_per_s"] = round(r["embedded_texts"] / embed_s, 2) if embed_s else None
        runs.append(r)
        log(
            f"  build {r['build_s']:.1f} s (process {r['process_wall_s']:.1f} s), {r['units']} units, {r['chunks']} chunks, "
            f"{r['units_per_s']} units/s, {r['chunks_per_s']} chunks/s, peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"disk {r['disk']['disk_mb']} MB ; phases {r['phases_s']}"
        )
        if i:
            shutil.rmtree(data, ignore_errors=True)
    best = min(runs, key=lambda r: r["build_s"])
    return {"runs": runs, "best": best, "target_s": 60, "met": best["build_s"] <= 60}


def bf16_whatif() -> dict[str, Any]:
    """What-if: the same cold build with chunk encoding under torch.autocast(bfloat16), then the retrieval quality
    of the assistant on that index (must match the fp32 one before adopting it)."""
    data = WORK_ROOT / "bf16-index"
    shutil.rmtree(data, ignore_errors=True)
    load = loadavg()[0]
    log(f"what-if cold build with bf16 autocast → {data}")
    r = child_build(CORPUS, data, "--bf16")
    r["loadavg_before"] = load
    embed_s = r["phases_s"].get("embed", 0.0)
    r["embed_chunks_per_s"] = round(r["embedded_texts"] / embed_s, 2) if embed_s else None
    log(f"  bf16 build {r['build_s']:.1f} s; embedding {embed_s:.1f} s ({r['embed_chunks_per_s']} chunks/s); phases {r['phases_s']}")
    from evals.bench import latency

    quality = {}
    for label, d in (("fp32", REF_INDEX), ("bf16", data)):
        q = latency.main(["--parts", "quality", "--data-dir", str(d), "--name", f"whatif-quality-{label}"])["quality"]
        quality[label] = q
    r["quality"] = quality
    return r


def _writable_copy(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=False)
    for root, dirs, files in os.walk(dst):
        for n in dirs + files:
            p = Path(root) / n
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def incremental() -> dict[str, Any]:
    if not (REF_INDEX / "current.json").is_file():
        raise RuntimeError("run the cold build first (reference index missing)")
    base = WORK_ROOT / "incremental"
    corpus, data = base / "corpus", base / "data"
    _writable_copy(CORPUS, corpus)
    _writable_copy(REF_INDEX, data)
    log("no-op rebuild (unchanged corpus)")
    noop = child_build(corpus, data)
    target = corpus / TOUCHED_FILE
    with open(target, "a", encoding="utf-8") as f:
        f.write(APPENDED)
    import hashlib

    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    for d in manifest["documents"]:
        if d["file"] == TOUCHED_FILE:
            d["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
            touched = d["doc_id"]
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    load = loadavg()[0]
    log(f"incremental rebuild after appending a paragraph to {touched}")
    incr = child_build(corpus, data)
    incr["loadavg_before"] = load
    incr["touched_doc"] = touched
    for name, r in (("no-op", noop), ("incremental", incr)):
        log(
            f"  {name}: build {r['build_s']:.2f} s (process {r['process_wall_s']:.1f} s), embedded {r['embedded']}, "
            f"reused {r['reused']}, up_to_date {r['up_to_date']} ; phases {r['phases_s']}"
        )
    shutil.rmtree(base, ignore_errors=True)
    return {"noop": noop, "incremental": incr, "target_s": 10, "met": incr["build_s"] <= 10}


def scaled_corpus(k: int, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    docs = []
    for i in range(k):
        for d in manifest["documents"]:
            c = dict(d)
            if i:
                c["doc_id"] = f"{d['doc_id']}--c{i}"
                c["title"] = f"{d['title']} (copie {i})"
            docs.append(c)
    for d in manifest["documents"]:
        (dst / d["file"]).symlink_to(CORPUS / d["file"])
    (dst / "reference").symlink_to(CORPUS / "reference")
    (dst / "manifest.json").write_text(json.dumps({"documents": docs}, ensure_ascii=False), encoding="utf-8")
    return dst


def scale(factors: list[int], embed_rate: float | None, model_load_s: float | None, queries: int, asks: int) -> dict[str, Any]:
    if not (REF_INDEX / "current.json").is_file():
        raise RuntimeError("run the cold build first (reference index missing)")
    out = []
    for k in factors:
        base = WORK_ROOT / f"scale-{k}"
        corpus = scaled_corpus(k, base / "corpus")
        data = base / "data"
        shutil.rmtree(data, ignore_errors=True)
        load = loadavg()[0]
        log(f"scale ×{k}: build with replayed embeddings, then {queries} retrievals and {asks} answers")
        t = time.perf_counter()
        r = child_build(corpus, data, "--replay", str(REF_INDEX), "--queries", str(queries), "--asks", str(asks), timeout=3600)
        r["factor"] = k
        r["loadavg_before"] = load
        r["disk"] = dir_size(data)
        replayed = r["phases_s"].get("embed_replayed", 0.0)
        r["build_without_embedding_s"] = round(r["build_s"] - replayed, 2)
        if embed_rate:
            r["extrapolated_embedding_s"] = round(r["chunks"] / embed_rate, 1)
            r["estimated_full_build_s"] = round(r["build_without_embedding_s"] + r["extrapolated_embedding_s"] + (model_load_s or 0.0), 1)
        q = r.get("queries") or {}
        log(
            f"  ×{k}: {r['units']} units, {r['chunks']} chunks; build w/o embedding {r['build_without_embedding_s']} s "
            f"(+ embedding est. {r.get('extrapolated_embedding_s')} s → {r.get('estimated_full_build_s')} s); "
            f"phases {r['phases_s']}; peak RSS {r['peak_rss_mb']:.0f} MB; disk {r['disk']['disk_mb']} MB; "
            f"load_assistant {q.get('load_assistant_s')} s; search p50/p95 {q.get('search', {}).get('p50_ms')}/"
            f"{q.get('search', {}).get('p95_ms')} ms; ask p50/p95 {(q.get('ask') or {}).get('p50_ms')}/{(q.get('ask') or {}).get('p95_ms')} ms "
            f"[{time.perf_counter() - t:.0f} s]"
        )
        out.append(r)
        shutil.rmtree(base, ignore_errors=True)
    return {"factors": out, "embed_rate_chunks_per_s": embed_rate, "model_load_s": model_load_s}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="cold,incremental,scale", help="comma list among cold, incremental, scale, bf16 (what-if)")
    ap.add_argument("--repeat", type=int, default=1, help="cold builds to run (the best is reported)")
    ap.add_argument("--scale", default="1,10,50", help="corpus factors")
    ap.add_argument("--scale-queries", type=int, default=100, help="retrievals timed per scale factor")
    ap.add_argument("--scale-asks", type=int, default=40, help="full answers timed per scale factor")
    ap.add_argument("--embed-rate", type=float, help="chunks/s for the extrapolation (default: from the cold build)")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    result: dict[str, Any] = {}
    previous = _previous()
    if "cold" in parts:
        result["cold"] = cold(args.repeat)
    elif previous.get("cold"):
        result["cold"] = previous["cold"]
    if "incremental" in parts:
        result["incremental"] = incremental()
    elif previous.get("incremental"):
        result["incremental"] = previous["incremental"]
    if "scale" in parts:
        best = (result.get("cold") or {}).get("best") or {}
        rate = args.embed_rate or best.get("embed_chunks_per_s")
        result["scale"] = scale([int(x) for x in args.scale.split(",")], rate, best.get("phases_s", {}).get("model_load"),
                                args.scale_queries, args.scale_asks)
    elif previous.get("scale"):
        result["scale"] = previous["scale"]
    if "bf16" in parts:
        result["whatif_bf16"] = bf16_whatif()
    elif previous.get("whatif_bf16"):
        result["whatif_bf16"] = previous["whatif_bf16"]
    path = write_result("build", result)
    log(f"written {path}")
    return result


def _previous() -> dict[str, Any]:
    from evals.bench import common

    p = common.RESULTS_DIR / "build.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


if __name__ == "__main__":
    main()
