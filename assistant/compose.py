"""The composition used by every entry point (API, chat, CLI, evaluation): index, embedding model, search and
generator assembled into one ``Assistant``."""

from __future__ import annotations

from assistant.chain import Assistant
from assistant.generators import make_generator
from assistant.retrieval import HybridSearch, RetrievalConfig
from assistant.settings import Settings, ranker_weights
from assistant.store import SentenceTransformerEmbeddings, make_embeddings, open_index
from assistant.verbatim import CorpusText


def load_assistant(settings: Settings, embeddings: SentenceTransformerEmbeddings | None = None) -> Assistant:
    """Open the index, load the embedding model and the configured generator."""
    import torch

    # Measured (evals/bench): one intra-op thread per query is faster than two fighting over two cores.
    torch.set_num_threads(settings.query_threads)
    index = open_index(settings)
    embeddings = embeddings or make_embeddings(settings)
    profile = settings.retrieval_profile()
    search = HybridSearch(index.catalog, index.collection, embeddings, RetrievalConfig(dense_weight=profile["dense_weight"]))
    search.min_dense_support = profile["min_dense_support"]
    search.ranker_weights = ranker_weights(settings.embedding_model)
    corpus = CorpusText(settings.corpus_dir, index.catalog.documents) if settings.corpus_dir.is_dir() else None
    generator = make_generator(settings, index.catalog, search.idf, corpus)
    return Assistant(index.catalog, search, generator=generator, index_state=index.state)
