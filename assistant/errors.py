"""The few domain errors of the project, each with a French message for the user.

They are mapped once to CLI exit codes and HTTP problems; nothing else should surface to a user.
"""

from __future__ import annotations

from langchain_core.tools import ToolException


class AssistantError(Exception):
    """Base class: ``str(err)`` is a French sentence a magistrate can read."""

    http_status = 500


class CorpusError(AssistantError):
    """A corpus file is missing, altered (sha256) or contains a line the parser cannot place."""

    http_status = 500


class IndexNotBuiltError(AssistantError):
    http_status = 503

    def __init__(self, detail: str = "L'index n'est pas construit : lancez « cpp-assistant index build ».") -> None:
        super().__init__(detail)


class DataDirError(AssistantError):
    """The data directory cannot be created or written."""


class UnknownArticleError(AssistantError):
    http_status = 404

    def __init__(self, ref: str, suggestions: list[str] | None = None) -> None:
        self.ref = ref
        self.suggestions = suggestions or []
        msg = f"L'article « {ref} » ne figure pas dans le corpus."
        if self.suggestions:
            msg += " Références proches : " + ", ".join(self.suggestions) + "."
        super().__init__(msg)


class ToolError(AssistantError, ToolException):
    """An error of a deterministic tool: also LangChain's ``ToolException``, so that a ``StructuredTool`` (and a
    LangGraph ``ToolNode``) hands its French message back to the model instead of crashing."""


class InvalidToolInputError(ToolError):
    """A tool argument is missing or invalid; ``field`` names it."""

    http_status = 422

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field} : {message}")


class UnknownToolError(ToolError):
    http_status = 404

    def __init__(self, tool_id: str, known: list[str]) -> None:
        self.tool_id = tool_id
        super().__init__(f"Outil inconnu : « {tool_id} ». Outils disponibles : {', '.join(sorted(known))}.")
