"""Shared fixtures: the real corpus parsed once, the real embedding model, a temporary data directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assistant.catalog import Catalog  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from indexing.parse import ParsedCorpus, parse_corpus  # noqa: E402


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the real corpus with a throw-away data directory (``CPP_ASSISTANT_TEST_DATA_DIR``: a kept one, so
    that a developer re-running a few tests does not rebuild the index each time; CI never sets it)."""
    kept = os.environ.get("CPP_ASSISTANT_TEST_DATA_DIR")
    return Settings(data_dir=Path(kept) if kept else tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def parsed(settings: Settings) -> ParsedCorpus:
    return parse_corpus(settings)


@pytest.fixture(scope="session")
def catalog(parsed: ParsedCorpus) -> Catalog:
    return Catalog(parsed.documents, parsed.units, parsed.poles)


@pytest.fixture(scope="session")
def embedder(settings: Settings):
    """The real default embedding model, loaded once."""
    from assistant.store import make_embeddings

    return make_embeddings(settings)


@pytest.fixture(scope="session")
def built_index(settings: Settings, embedder) -> Settings:
    """The full corpus indexed once in the session's data directory (real model, embedded Chroma)."""
    from indexing.build import build_index

    build_index(settings, embedder=embedder, progress=False)
    return settings


@pytest.fixture(scope="session")
def assistant(built_index: Settings, embedder):
    """The answer chain on the real index, extractive generator (the default)."""
    from assistant.compose import load_assistant

    return load_assistant(built_index, embeddings=embedder)


@pytest.fixture(scope="session")
def corpus_text(parsed: ParsedCorpus, settings: Settings):
    """The raw corpus, to check that quotes are verbatim."""
    from assistant.verbatim import CorpusText

    return CorpusText(settings.corpus_dir, parsed.documents)


@pytest.fixture
def make_client(built_index: Settings, assistant: Any, tmp_path: Path) -> Iterator[Any]:
    """Build a TestClient over a real app; keyword arguments override settings (audit DB in tmp_path)."""
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    clients: list[TestClient] = []

    def make(assistant_override: Any = None, **overrides: Any) -> TestClient:
        settings = built_index.model_copy(update={"audit_db": tmp_path / "audit.sqlite3", "rate_limit_per_minute": 0, **overrides})
        client = TestClient(create_app(settings, assistant=assistant_override or assistant))
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
