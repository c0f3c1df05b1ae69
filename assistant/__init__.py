"""cpp-assistant: grounded answers to French criminal-procedure questions.

For LangChain / LangGraph applications: ``load_toolkit`` (retriever + tools), ``HybridRetriever``,
``langchain_tools`` (the deterministic tools as ``StructuredTool``s), their argument models and error types.
Imports are lazy: ``import assistant`` loads nothing heavy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.errors import InvalidToolInputError, ToolError
    from assistant.retrieval import HybridRetriever, HybridSearch
    from assistant.settings import Settings
    from assistant.toolkit import CppAssistantToolkit, load_toolkit
    from assistant.tools import TOOL_IDS, langchain_tools, run_tool
    from assistant.tools.schemas import DelaiArgs, JuridictionSpecialiseeArgs, PoleInstructionArgs

_EXPORTS = {
    "CppAssistantToolkit": "assistant.toolkit",
    "load_toolkit": "assistant.toolkit",
    "HybridRetriever": "assistant.retrieval",
    "HybridSearch": "assistant.retrieval",
    "langchain_tools": "assistant.tools",
    "run_tool": "assistant.tools",
    "TOOL_IDS": "assistant.tools",
    "PoleInstructionArgs": "assistant.tools.schemas",
    "JuridictionSpecialiseeArgs": "assistant.tools.schemas",
    "DelaiArgs": "assistant.tools.schemas",
    "ToolError": "assistant.errors",
    "InvalidToolInputError": "assistant.errors",
    "Settings": "assistant.settings",
}

__all__ = [
    "TOOL_IDS", "CppAssistantToolkit", "DelaiArgs", "HybridRetriever", "HybridSearch", "InvalidToolInputError",
    "JuridictionSpecialiseeArgs", "PoleInstructionArgs", "Settings", "ToolError", "langchain_tools", "load_toolkit", "run_tool",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
