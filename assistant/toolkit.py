"""What another LangChain / LangGraph application reuses: the corpus retriever and the deterministic tools.

    from assistant import load_toolkit
    toolkit = load_toolkit()                 # opens the index, loads the embedding model (settings from the env)
    retriever = toolkit.retriever(k=5)       # BaseRetriever → Documents with citation metadata
    tools = toolkit.get_tools()              # StructuredTools: pole-instruction, juridiction-specialisee, delai

The tools' bad inputs raise ``ToolException`` (French message); with ``handle_tool_error`` set, an agent gets that
message back as the tool result (a LangGraph ``ToolNode`` does not crash).
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict

from assistant.catalog import Catalog
from assistant.retrieval import HybridRetriever, HybridSearch
from assistant.settings import Settings
from assistant.tools import langchain_tools


class CppAssistantToolkit(BaseToolkit):
    """The corpus (hybrid search over the index) and the tools bound to its catalog (table of D. 15-4-4, rules)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    catalog: Catalog
    search: Any = None  # HybridSearch (a dataclass pydantic need not inspect); None: tools only, no retriever

    def get_tools(self) -> list[BaseTool]:
        return langchain_tools(self.catalog)

    def retriever(self, k: int = 8) -> HybridRetriever:
        if self.search is None:
            raise ValueError("ce toolkit a été créé sans index : le retriever n'est pas disponible")
        return HybridRetriever(engine=self.search, k=k)



def load_toolkit(settings: Settings | None = None, embeddings: Any = None) -> CppAssistantToolkit:
    """Open the built index (``cpp-assistant index build``) and load the embedding model once."""
    from assistant.store import make_embeddings, open_index

    settings = settings or Settings()
    index = open_index(settings)
    search = HybridSearch(index.catalog, index.collection, embeddings or make_embeddings(settings))
    return CppAssistantToolkit(catalog=index.catalog, search=search)
