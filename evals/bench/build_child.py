# mypy: disable-error-code="method-assign,arg-type,union-attr"
"""Child process of the build benchmark: one ``build_index`` with per-phase timings (and optional query latency).

Run by ``evals/bench/build_bench.py`` (never imported by the project). Phases are measured by wrapping, in this
process only, the functions ``build_index`` calls: parse, chunk, model load, embedding, Chroma writes, catalog save.
``--replay DIR`` replaces the embedding model during the build by the vectors of an index already built from the
real corpus (looked up by chunk text, plus a little noise so copies are not exact duplicates): used for the
×10/×50 corpora, whose embedding time is extrapolated from the measured throughput instead.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

T_START = time.perf_counter()

PHASES: dict[str, float] = defaultdict(float)
COUNTS: dict[str, int] = defaultdict(int)


def timed(name: str, fn, count=None):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] += time.perf_counter() - t
            if count is not None:
                COUNTS[name] += count(args, kwargs)

    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--replay", help="data dir of a real-corpus index whose vectors replace the model during the build")
    ap.add_argument("--queries", type=int, default=0, help="after the build: retrieval latency over N eval questions")
    ap.add_argument("--asks", type=int, default=0, help="after the build: full-answer latency over N eval questions")
    ap.add_argument("--bf16", action="store_true", help="what-if: encode chunks under torch.autocast(bfloat16)")
    args = ap.parse_args()

    import chromadb.api.models.Collection as chroma_collection

    import indexing.build as build
    from assistant.catalog import Catalog
    from assistant.settings import Settings
    from assistant.store import SentenceTransformerEmbeddings

    t_imports = time.perf_counter() - T_START
    settings = Settings(corpus_dir=Path(args.corpus), data_dir=Path(args.data))

    build.parse_corpus = timed("parse", build.parse_corpus)
    build.chunk_units = timed("chunk", build.chunk_units)
    build._previous_embeddings = timed("reuse_lookup", build._previous_embeddings)
    build._drop_leftovers = timed("drop_leftovers", build._drop_leftovers)
    SentenceTransformerEmbeddings.__init__ = timed("model_load", SentenceTransformerEmbeddings.__init__)
    if args.bf16:
        import torch

        fp32_embed = SentenceTransformerEmbeddings.embed_documents

        def bf16_embed(self, texts, show_progress=False):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return fp32_embed(self, texts, show_progress)

        SentenceTransformerEmbeddings.embed_documents = bf16_embed
    SentenceTransformerEmbeddings.embed_documents = timed(
        "embed", SentenceTransformerEmbeddings.embed_documents, count=lambda a, k: len(a[1])
    )
    chroma_collection.Collection.add = timed("chroma_write", chroma_collection.Collection.add, count=lambda a, k: len(k.get("ids", [])))
    Catalog.save = timed("catalog_save", Catalog.save)

    embedder = None
    model_load_outside = 0.0
    if args.replay:
        t = time.perf_counter()
        real = SentenceTransformerEmbeddings(settings.embedding_model, settings.embedding_batch_size)
        model_load_outside = time.perf_counter() - t
        PHASES.pop("model_load", None)
        embedder = ReplayEmbeddings(real, Path(args.replay), settings)
        ReplayEmbeddings.embed_documents = timed("embed_replayed", ReplayEmbeddings.embed_documents, count=lambda a, k: len(a[1]))

    t = time.perf_counter()
    result = build.build_index(settings, embedder=embedder, progress=False)
    build_s = time.perf_counter() - t
    state = result.state
    phases = {k: round(v, 3) for k, v in PHASES.items()}
    phases["other"] = round(build_s - sum(PHASES.values()), 3)
    out = {
        "imports_s": round(t_imports, 3),
        "build_s": round(build_s, 3),
        "phases_s": phases,
        "embedded_texts": COUNTS.get("embed", 0) + COUNTS.get("embed_replayed", 0),
        "written_chunks": COUNTS.get("chroma_write", 0),
        "chunks": state.chunk_count,
        "units": sum(state.unit_counts.values()),
        "documents": len(state.unit_counts),
        "embedded": result.embedded,
        "reused": result.reused,
        "up_to_date": result.up_to_date,
        "changed_docs": result.changed_docs,
        "replayed": bool(args.replay),
        "bf16": args.bf16,
        "replay_real_model_calls": getattr(embedder, "real_calls", 0),
        "model_load_outside_build_s": round(model_load_outside, 3),
    }
    if args.queries or args.asks:
        out["queries"] = query_latency(settings, embedder.real if embedder else None, args.queries, args.asks)
    print(json.dumps(out), flush=True)


class ReplayEmbeddings:
    """Stands in for the model during a synthetic build: each text's vector from a real index (+ noise)."""

    def __init__(self, real, replay_data: Path, settings) -> None:
        import numpy as np

        from assistant.settings import Settings
        from assistant.store import open_index
        from indexing.chunking import chunk_units
        from indexing.parse import parse_corpus

        self.real = real
        self.batch_size = real.batch_size
        self.real_calls = 0
        base_settings = Settings(corpus_dir=settings.corpus_dir.parent / "_unused", data_dir=replay_data)
        index = open_index(base_settings)
        got = index.collection.get(include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        # chunk texts of the real corpus, to key the vectors by text
        real_corpus = Settings(data_dir=replay_data)
        parsed = parse_corpus(real_corpus)
        chunks = chunk_units(parsed.units, parsed.documents, settings.chunk_max_chars, settings.chunk_overlap_alineas)
        self.by_text = {c.embed_text: np.asarray(by_id[c.chunk_id], dtype=np.float32) for c in chunks if c.chunk_id in by_id}
        self.rng = np.random.default_rng(0)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        out = []
        for text in texts:
            v = self.by_text.get(text)
            if v is None:
                self.real_calls += 1
                v = np.asarray(self.real.embed_query(text), dtype=np.float32)
            v = v + self.rng.normal(0.0, 0.02 / np.sqrt(v.shape[0]), v.shape[0]).astype(np.float32)
            out.append((v / np.linalg.norm(v)).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


def query_latency(settings, embeddings, n_queries: int, n_asks: int) -> dict:
    from assistant.compose import load_assistant
    from evals.bench.common import dist, load_questions, self_peak_rss_mb

    t = time.perf_counter()
    load_error = None
    try:
        assistant = load_assistant(settings, embeddings=embeddings)
    except Exception as exc:  # chromadb: "too many SQL variables" on an unpaged collection.get() of a large index
        load_error = f"{type(exc).__name__}: {exc}"
        _page_collection_get()
        t = time.perf_counter()
        assistant = load_assistant(settings, embeddings=embeddings)
    load_s = time.perf_counter() - t
    qs = load_questions()
    for q in qs[:5]:
        assistant.search.search(q["question"], 10)
    search_ms = []
    for q in qs[:n_queries]:
        t = time.perf_counter()
        assistant.search.search(q["question"], 10)
        search_ms.append((time.perf_counter() - t) * 1000)
    ask_ms = []
    for q in qs[:n_asks]:
        t = time.perf_counter()
        assistant.ask(q["question"], q.get("history") or [])
        ask_ms.append((time.perf_counter() - t) * 1000)
    # the parts that depend on the index size, apart from the query embedding (which does not)
    from assistant.retrieval import lexical_query

    search = assistant.search
    embed_ms, chroma_ms, bm25_ms = [], [], []
    for q in qs[:n_queries]:
        t = time.perf_counter()
        vec = search.embeddings.embed_query(lexical_query(q["question"]))
        embed_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        search.collection.query(query_embeddings=[vec], n_results=search.config.dense_candidates,
                                include=["metadatas", "distances", "documents"])
        chroma_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        search.lexical(q["question"], search.config.lexical_candidates)
        bm25_ms.append((time.perf_counter() - t) * 1000)
    return {
        "load_assistant_error": load_error,
        "paged_get_workaround": load_error is not None,
        "load_assistant_s": round(load_s, 3),
        "search": dist(search_ms),
        "ask": dist(ask_ms) if ask_ms else None,
        "embed_query": dist(embed_ms),
        "chroma_query": dist(chroma_ms),
        "bm25_lexical": dist(bm25_ms),
        "peak_rss_mb_after_queries": round(self_peak_rss_mb(), 1),
    }


def _page_collection_get(page: int = 5000) -> None:
    """Bench-only workaround (this process only): an unfiltered ``Collection.get()`` read in pages of ``page`` rows."""
    import chromadb.api.models.Collection as chroma_collection

    original = chroma_collection.Collection.get

    def paged(self, ids=None, where=None, limit=None, offset=None, where_document=None, include=None, **kw):
        include = include if include is not None else ["metadatas", "documents"]
        if ids is not None or where is not None or limit is not None or offset is not None or where_document is not None:
            return original(self, ids=ids, where=where, limit=limit, offset=offset, where_document=where_document, include=include, **kw)
        merged = None
        start = 0
        while True:
            got = original(self, limit=page, offset=start, include=include, **kw)
            if merged is None:
                merged = {k: (list(v) if isinstance(v, list) else v) for k, v in got.items()}  # ids, documents, metadatas
            else:
                for k, v in got.items():
                    if isinstance(v, list) and isinstance(merged.get(k), list):
                        merged[k].extend(v)
            if len(got["ids"]) < page:
                return merged
            start += page

    chroma_collection.Collection.get = paged


if __name__ == "__main__":
    main()
