"""The LangChain toolkit as another LangChain/LangGraph application reuses it: tools in a LangGraph ``ToolNode`` and
in ``create_agent`` (driven by LangChain's scripted fake chat model: no LLM runs here), the retriever on the real index."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import ToolException

import assistant
from assistant.catalog import Catalog
from assistant.settings import Settings
from assistant.tools import TOOL_IDS, langchain_tools, run_tool, tool_catalogue
from assistant.tools.schemas import ARGS_MODELS, json_schema


def pole_call(tribunal: str, call_id: str) -> dict[str, Any]:
    return {"name": "pole-instruction", "args": {"tribunal": tribunal}, "id": call_id, "type": "tool_call"}


def test_one_model_per_tool_gives_schema_validation_and_args_schema(catalog: Catalog) -> None:
    listed = {t["id"]: t["parameters"] for t in tool_catalogue(catalog)}
    tools = {t.name: t for t in langchain_tools(catalog)}
    for tool_id in TOOL_IDS:
        assert tools[tool_id].args_schema is ARGS_MODELS[tool_id]
        assert listed[tool_id] == json_schema(ARGS_MODELS[tool_id])
    assert listed["pole-instruction"]["additionalProperties"] is False
    assert "gav-terrorisme" in listed["delai"]["properties"]["rule"]["enum"]
    assert listed["juridiction-specialisee"]["required"] == ["matter"]
    assert "place" in listed["delai"]["properties"]


def test_bad_inputs_raise_tool_exception_with_the_french_message(catalog: Catalog) -> None:
    with pytest.raises(ToolException, match="ne figure pas dans le tableau de l'article D. 15-4-4"):
        run_tool(catalog, "pole-instruction", {"tribunal": "Gotham"})
    with pytest.raises(ToolException, match="^tribunal : texte attendu"):
        run_tool(catalog, "pole-instruction", {"tribunal": 12})
    tool = langchain_tools(catalog)[0]
    assert "ne figure pas dans le tableau" in tool.invoke({"tribunal": "Gotham"})  # handle_tool_error: the message
    assert tool.invoke({"tribunal": 12}) == "tribunal : texte attendu."  # malformed call: French, not pydantic's English


def test_langgraph_tool_node_valid_and_invalid_tribunal(catalog: Catalog) -> None:
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    graph = StateGraph(MessagesState)
    graph.add_node("outils", ToolNode(langchain_tools(catalog)))
    graph.add_edge(START, "outils")
    graph.add_edge("outils", END)
    out = graph.compile().invoke({"messages": [AIMessage("", tool_calls=[pole_call("Auch", "c1"), pole_call("Gotham", "c2")])]})
    ok, bad = out["messages"][1:]
    assert isinstance(ok, ToolMessage) and ok.tool_call_id == "c1" and ok.status == "success"
    assert json.loads(str(ok.content))["pole"] == "Agen"
    assert bad.tool_call_id == "c2" and bad.status == "error"
    assert bad.content.startswith("tribunal : le tribunal judiciaire « Gotham » ne figure pas dans le tableau")


class ScriptedChatModel(GenericFakeChatModel):
    """LangChain's scripted fake chat model, accepting tools (the replies are scripted, the tools ignored)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        return self


def test_create_agent_with_the_scripted_fake_model(catalog: Catalog) -> None:
    from langchain.agents import create_agent

    model = ScriptedChatModel(messages=iter([
        AIMessage("", tool_calls=[pole_call("Gotham", "c1")]),
        AIMessage("", tool_calls=[pole_call("Auch", "c2")]),
        AIMessage("Le tribunal judiciaire d'Auch relève du pôle de l'instruction d'Agen."),
    ]))
    agent = create_agent(model, tools=langchain_tools(catalog))
    result = agent.invoke({"messages": [{"role": "user", "content": "Quel pôle pour Gotham, puis pour Auch ?"}]})
    tool_messages = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [m.status for m in tool_messages] == ["error", "success"]
    assert "Gotham" in tool_messages[0].content and "ne figure pas" in tool_messages[0].content
    assert json.loads(str(tool_messages[1].content))["cour_appel"] == "Agen"
    assert result["messages"][-1].content.endswith("pôle de l'instruction d'Agen.")


def test_retriever_returns_documents_with_citation_metadata(built_index: Settings, embedder) -> None:
    toolkit = assistant.load_toolkit(built_index, embeddings=embedder)
    assert [t.name for t in toolkit.get_tools()] == list(TOOL_IDS)
    docs = toolkit.retriever(k=3).invoke("prolongation de la garde à vue en matière de terrorisme")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    meta = docs[0].metadata
    assert {"unit_id", "doc_id", "doc_title", "kind", "article", "section", "version_date", "abrogated", "reference"} <= meta.keys()
    assert any(d.metadata["article"] == "706-88-1" for d in docs)
    first = next(d for d in docs if d.metadata["article"] == "706-88-1")
    assert first.metadata["reference"].startswith("CPP, art. 706-88-1 (version en vigueur au ")
    assert first.metadata["doc_id"] == "cpp-legislatif-l4" and first.page_content


def test_package_exports_the_toolkit() -> None:
    assert {"load_toolkit", "HybridRetriever", "langchain_tools", "DelaiArgs", "ToolError"} <= set(assistant.__all__)
    assert issubclass(assistant.ToolError, ToolException)
    with pytest.raises(AttributeError):
        assistant.nothing_here  # noqa: B018
