"""The two baselines the assistant is compared with, run in the same process on the same index.

- ``dense``: the LangChain tutorial RAG — ``langchain_chroma.Chroma`` over the same collection and model, top-k
  chunks by cosine similarity, mapped to their units.
- ``bm25``: our French BM25 alone (no dense search, no fusion).
Both go through the same answer step (extractive generator, refusal policy) but without the tools: what you would
assemble in an afternoon.
"""

from __future__ import annotations

from typing import Any

from assistant.chain import Assistant
from assistant.grounding import Prepared, ground
from assistant.retrieval import Hit, HybridSearch, RetrievalConfig


class DenseOnlySearch:
    """LangChain ``Chroma`` vector-store retriever over the index's collection (the tutorial setup)."""

    def __init__(self, search: HybridSearch, settings_collection: str, client: Any) -> None:
        from langchain_chroma import Chroma

        self._base = search
        self.catalog = search.catalog
        self._store = Chroma(client=client, collection_name=settings_collection, embedding_function=search.embeddings)

    def idf(self, term: str) -> float:
        return self._base.idf(term)

    def search(self, query: str, k: int = 10, include_abrogated: bool | None = None, analysis: Any = None) -> list[Hit]:
        docs = self._store.similarity_search_with_score(query, k=k * 4)
        hits: list[Hit] = []
        seen: set[str] = set()
        for doc, distance in docs:
            uid = doc.metadata["unit_id"]
            if uid in seen:
                continue
            seen.add(uid)
            hits.append(Hit(self.catalog.unit(uid), 1.0 - distance, dense_rank=len(hits) + 1, dense_score=1.0 - distance))
        return hits[:k]


class BaselineAssistant(Assistant):
    """The same answer step with a plain retriever: no tools, no délai-rule hints, no use of the question analysis."""

    def use_tools(self, p: Prepared) -> Prepared:
        return p

    def retrieve(self, p: Prepared) -> Prepared:
        if not p.refusal:
            p.hits = self.search.search(p.standalone, k=10)
            ground(p, self.catalog, self.search.idf, lambda q: [])
        return p


def baseline_assistant(assistant: Assistant, kind: str, client: Any = None) -> Assistant:
    """An assistant identical to ``assistant`` but for its retriever (dense-only or BM25-only) and without tools."""
    base = assistant.search
    if kind == "bm25":
        search: Any = HybridSearch(base.catalog, base.collection, base.embeddings, RetrievalConfig(use_dense=False))
    elif kind == "dense":
        assert assistant.index_state is not None
        search = DenseOnlySearch(base, assistant.index_state.collection, client)
    else:
        raise ValueError(f"référence inconnue : {kind} (attendu : dense, bm25)")
    return BaselineAssistant(assistant.catalog, search, generator=assistant.generator, index_state=assistant.index_state)
