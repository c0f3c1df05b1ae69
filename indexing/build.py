"""Build the index: parse, chunk, embed what changed, write a new Chroma collection, then switch to it atomically.

- Idempotent: if the chunks (ids and content hashes) and the model are those of the index in use, nothing is done.
- Incremental: embeddings of unchanged chunks are copied from the index in use; only new or changed chunks are
  embedded (one edited document re-embeds only its chunks).
- Atomic: the new collection and catalog are complete before ``current.json`` is replaced; an interrupted build
  leaves the previous index in use, and its leftovers are removed by the next build.
- No downtime: the collection replaced by a build is kept (running servers may still read it until they notice
  ``current.json`` changed and switch); it is retired with the time of retirement in ``retired.json`` and deleted by
  ``gc`` (at the end of each build and ``cpp-assistant index gc``) once ``index_gc_grace_s`` has passed.
- One at a time: a lock file in the data directory; a second concurrent build exits with a French message.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from assistant.catalog import Catalog
from assistant.errors import AssistantError, DataDirError
from assistant.models import Chunk
from assistant.settings import Settings
from assistant.store import (
    CATALOG_FILE,
    COLLECTION_PREFIX,
    IndexState,
    SentenceTransformerEmbeddings,
    chroma_client,
    make_embeddings,
    model_slug,
    read_state,
    write_state_atomically,
)
from indexing.chunking import chunk_units
from indexing.parse import ParseReport, parse_corpus

WRITE_BATCH = 256
SEARCH_RECIPE = "exact-search-1"  # dense queries explore every chunk (hnsw ef_search ≥ chunk count): see create_collection
READ_PAGE = 5_000
LOCK_FILE = ".build.lock"
RETIRED_FILE = "retired.json"


class BuildInProgressError(AssistantError):
    """Another build holds the lock of this data directory."""

    def __init__(self) -> None:
        super().__init__(
            "Une autre construction de l'index est déjà en cours sur ce dossier de données : attendez qu'elle se termine, "
            "puis relancez « cpp-assistant index build » si besoin."
        )


@contextmanager
def build_lock(settings: Settings) -> Iterator[None]:
    """Exclusive lock of the data directory for a build or a gc (released by the OS if the process dies)."""
    path = settings.data_dir / LOCK_FILE
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgressError() from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass
class GcResult:
    deleted: list[str] = field(default_factory=list)  # collections deleted
    kept: list[str] = field(default_factory=list)  # retired collections still within their grace period


@dataclass
class BuildResult:
    state: IndexState
    report: ParseReport
    embedded: int  # chunks embedded by this build
    reused: int  # chunks whose embedding was copied from the previous index
    up_to_date: bool  # nothing had changed
    changed_docs: list[str] = field(default_factory=list)


def fingerprint(chunks: list[Chunk], model: str) -> str:
    """What an index is built from: the model, the index's search setting and every chunk's content."""
    h = hashlib.sha256(f"{model}\n{SEARCH_RECIPE}\n".encode())
    for c in chunks:
        h.update(f"{c.chunk_id}:{c.content_hash}\n".encode())
    return h.hexdigest()[:16]


def ensure_data_dir(settings: Settings) -> None:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise DataDirError(
            f"Dossier de données inutilisable : {settings.data_dir} ({exc.strerror or exc}). "
            "Choisissez un dossier accessible en écriture (CPP_ASSISTANT_DATA_DIR)."
        ) from exc


def build_index(settings: Settings, embedder: SentenceTransformerEmbeddings | None = None, progress: bool = True) -> BuildResult:
    ensure_data_dir(settings)
    with build_lock(settings):
        return _build(settings, embedder, progress)


def _build(settings: Settings, embedder: SentenceTransformerEmbeddings | None, progress: bool) -> BuildResult:
    started = time.perf_counter()
    parsed = parse_corpus(settings)
    chunks = chunk_units(parsed.units, parsed.documents, settings.chunk_max_chars, settings.chunk_overlap_alineas)
    model = settings.embedding_model
    build_id = fingerprint(chunks, model)
    collection_name = f"{COLLECTION_PREFIX}-{model_slug(settings.embedding_model)}-{build_id}"
    client = chroma_client(settings)
    previous = read_state(settings)

    if previous and previous.collection == collection_name and _collection_complete(client, collection_name, len(chunks)):
        if (settings.data_dir / previous.build_dir / CATALOG_FILE).is_file():
            return BuildResult(previous, parsed.report, embedded=0, reused=len(chunks), up_to_date=True)

    _drop_leftovers(client, keep={previous.collection} if previous else set(), retired=_read_retired(settings))
    reusable = _previous_embeddings(client, previous, model, chunks)
    todo = [c for c in chunks if c.chunk_id not in reusable]
    embedder = embedder or make_embeddings(settings)
    vectors = dict(reusable)
    if todo:
        import torch

        # A build is one big batch job: all cores (a query-serving process may have set torch to one thread).
        threads = torch.get_num_threads()
        torch.set_num_threads(os.cpu_count() or 1)
        bar = tqdm(total=len(todo), desc="Encodage des chunks", unit="chunk", disable=not progress)
        try:
            for start in range(0, len(todo), WRITE_BATCH):
                batch = todo[start : start + WRITE_BATCH]
                for c, v in zip(batch, embedder.embed_documents([c.embed_text for c in batch]), strict=True):
                    vectors[c.chunk_id] = v
                bar.update(len(batch))
        finally:
            bar.close()
            torch.set_num_threads(threads)

    collection = client.create_collection(
        collection_name,
        # A wide search list makes the approximate search exact on a corpus this size: the same question gets the same
        # dense candidates in every process (with Chroma's default of 100, ranks near the cut varied between runs).
        configuration={"hnsw": {"space": "cosine", "ef_search": max(100, len(chunks))}},
        metadata={
            "embedding_model": model,
            "corpus_hash": parsed.corpus_hash,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        embedding_function=None,
    )
    for start in tqdm(range(0, len(chunks), WRITE_BATCH), desc="Écriture dans Chroma", disable=not progress):
        batch = chunks[start : start + WRITE_BATCH]
        batch_vectors: list[Sequence[float]] = [vectors[c.chunk_id] for c in batch]
        collection.add(
            ids=[c.chunk_id for c in batch],
            embeddings=batch_vectors,
            documents=[c.body for c in batch],
            metadatas=[c.metadata() for c in batch],
        )

    build_dir = Path("builds") / build_id
    (settings.data_dir / build_dir).mkdir(parents=True, exist_ok=True)
    Catalog(parsed.documents, parsed.units, parsed.poles).save(settings.data_dir / build_dir / CATALOG_FILE)
    state = IndexState(
        collection=collection_name,
        build_dir=str(build_dir),
        model=model,
        dimension=len(next(iter(vectors.values()))),
        corpus_hash=parsed.corpus_hash,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 2),
        chunk_count=len(chunks),
        unit_counts=dict(parsed.report.units_per_doc),
        chroma=f"http://{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "embedded",
    )
    write_state_atomically(settings, state)  # the switch: from here on, queries use the new index
    if previous and previous.collection != collection_name:
        # Never deleted here: servers still on the previous index read it until they switch (grace period).
        retired = [r for r in _read_retired(settings) if r["collection"] != previous.collection]
        retired.append({"collection": previous.collection, "build_dir": previous.build_dir, "retired_at": time.time()})
        _write_retired(settings, retired)
    _gc(settings, client, settings.index_gc_grace_s)
    changed = sorted({c.doc_id for c in todo})
    return BuildResult(state, parsed.report, embedded=len(todo), reused=len(reusable), up_to_date=False, changed_docs=changed)


def _collection_complete(client, name: str, expected: int) -> bool:
    try:
        return client.get_collection(name).count() == expected
    except Exception:  # missing collection
        return False


def _previous_embeddings(client, previous: IndexState | None, model: str, chunks: list[Chunk]) -> dict[str, list[float]]:
    """Embeddings of the index in use for chunks whose id and content hash are unchanged (same model only)."""
    if previous is None or previous.model != model:
        return {}
    try:
        old = client.get_collection(previous.collection)
    except Exception:
        return {}
    wanted = {c.chunk_id: c.content_hash for c in chunks}
    ids = list(wanted)
    out = {}
    for start in range(0, len(ids), READ_PAGE):  # paged: SQLite caps the variables of one query
        got = old.get(ids=ids[start : start + READ_PAGE], include=["embeddings", "metadatas"])
        for cid, emb, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True):
            if meta and meta.get("content_hash") == wanted.get(cid):
                out[cid] = [float(x) for x in emb]
    return out


def _drop_leftovers(client, keep: set[str], retired: list[dict]) -> None:
    """Remove collections of interrupted builds (ours only: same prefix, neither in use nor retired)."""
    spared = keep | {r["collection"] for r in retired}
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(f"{COLLECTION_PREFIX}-") and name not in spared:
            _delete_collection(client, name)


def _read_retired(settings: Settings) -> list[dict]:
    path = settings.data_dir / RETIRED_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [r for r in data if isinstance(r, dict) and isinstance(r.get("collection"), str)] if isinstance(data, list) else []


def _write_retired(settings: Settings, retired: list[dict]) -> None:
    path = settings.data_dir / RETIRED_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(retired, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def gc_index(settings: Settings, grace_s: float | None = None) -> GcResult:
    """Delete the retired collections (and their catalogs) whose grace period is over: ``cpp-assistant index gc``."""
    ensure_data_dir(settings)
    with build_lock(settings):
        return _gc(settings, chroma_client(settings), settings.index_gc_grace_s if grace_s is None else grace_s)


def _gc(settings: Settings, client, grace_s: float) -> GcResult:
    current = read_state(settings)
    result = GcResult()
    keep: list[dict] = []
    now = time.time()
    for r in _read_retired(settings):
        in_use = current is not None and r["collection"] == current.collection
        if in_use:
            continue  # rebuilt back to an older index: it is the current one again
        if now - float(r.get("retired_at", 0)) < grace_s:
            keep.append(r)
            result.kept.append(r["collection"])
            continue
        _delete_collection(client, r["collection"])
        build_dir = str(r.get("build_dir") or "")
        if build_dir and (current is None or build_dir != current.build_dir) and build_dir not in {k.get("build_dir") for k in keep}:
            shutil.rmtree(settings.data_dir / build_dir, ignore_errors=True)
        result.deleted.append(r["collection"])
    _write_retired(settings, keep)
    return result


def _delete_collection(client, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception:  # already gone
        pass
