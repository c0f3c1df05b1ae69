"""The answer the chain returns, in the shape of ``api_contract.md`` (plus the evidence the audit log needs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.models import Citation, api_doc


@dataclass
class ToolUse:
    """A deterministic tool the answer relied on (the API's ``ToolCallOut`` is made from these fields)."""

    name: str = field(metadata=api_doc("Identifiant de l'outil (voir GET /v1/tools).", examples=["delai"]))
    arguments: dict[str, Any] = field(default_factory=dict, metadata=api_doc("Arguments passés à l'outil."))
    result: dict[str, Any] = field(default_factory=dict, metadata=api_doc("Résultat de l'outil, avec ses fondements (« basis »)."))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, "result": self.result}


@dataclass
class Answer:
    answer: str  # French Markdown
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    tool_calls: list[ToolUse] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the question after follow-up resolution
    retrieved: list[dict[str, Any]] = field(default_factory=list)  # units (id, doc, article/section), best first
    generator: str = "extractive"
    summary: str | None = None  # the « Réponse » line: plain text with its pinpoint reference; None when refused
    degraded: str | None = None  # why the answer was computed in a degraded mode, else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "tool_calls": [t.to_dict() for t in self.tool_calls],
            "timings_ms": self.timings_ms,
            "standalone_question": self.standalone_question,
            "retrieved": self.retrieved,
            "generator": self.generator,
            "summary": self.summary,
            "degraded": self.degraded,
        }
