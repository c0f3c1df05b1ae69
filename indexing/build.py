"""Build the index: parse, chunk, embed what changed, write a new Chroma collection, then switch to it atomically.

- Idempotent: if the chunks (ids and content hashes) and the model are those of the index in use, nothing is done.
- Incremental: embeddings of unchanged chunks are copied from the index in use; only new or changed chunks are
  embedded (one edited document re-embeds only its chunks).
- Atomic: the new collection and catalog are complete before ``current.json`` is replaced; an interrupted build
  leaves the previous index in use, and its leftovers are removed by the next build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from assistant.catalog import Catalog
from assistant.errors import DataDirError
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
READ_PAGE = 5_000


@dataclass
class BuildResult:
    state: IndexState
    report: ParseReport
    embedded: int  # chunks embedded by this build
    reused: int  # chunks whose embedding was copied from the previous index
    up_to_date: bool  # nothing had changed
    changed_docs: list[str] = field(default_factory=list)


def fingerprint(chunks: list[Chunk], model: str) -> str:
    h = hashlib.sha256(model.encode())
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
    started = time.perf_counter()
    ensure_data_dir(settings)
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

    _drop_leftovers(client, settings, keep=previous.collection if previous else None)
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
        metadata={
            "hnsw:space": "cosine",
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
        _delete_collection(client, previous.collection)
        if previous.build_dir != state.build_dir:
            shutil.rmtree(settings.data_dir / previous.build_dir, ignore_errors=True)
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


def _drop_leftovers(client, settings: Settings, keep: str | None) -> None:
    """Remove collections of interrupted builds (ours only: same prefix, not the one in use)."""
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(f"{COLLECTION_PREFIX}-") and name != keep:
            _delete_collection(client, name)


def _delete_collection(client, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception:  # already gone
        pass
