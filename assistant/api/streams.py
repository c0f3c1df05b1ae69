"""The streaming path shared by ``/v1/ask/stream`` and ``/v1/chat/completions`` (``stream: true``).

The first item is computed before the HTTP response starts, so an error before any text (index absent, LLM
unreachable) is still an ordinary problem+json response; an error later is sent as a last stream event. The answer
is noted in the audit record before the last byte leaves (the middleware writes it then).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from assistant.answer import Answer
from assistant.audit import AuditEntry
from assistant.errors import AssistantError
from assistant.resilience import degradation_scope
from assistant.runtime import DEGRADED_NOTE, Runtime
from assistant.streaming import stream_answer

log = logging.getLogger("assistant.api")

GENERIC_STREAM_ERROR = "La réponse n'a pas pu être terminée (erreur interne, journalisée) : reposez la question."


class StreamFailed(Exception):
    """Raised inside a started stream: ``message`` is the French text to send as the last event."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def answer_stream(runtime: Runtime, question: str, history: list[dict[str, Any]], entry: AuditEntry) -> Iterator[str | Answer]:
    """Deltas then the ``Answer``, within the concurrency limit; raises ``AssistantError`` before the first item,
    ``StreamFailed`` after."""
    question, history = runtime.bounded_input(question, history)
    assistant = runtime.require_assistant()
    entry.question = question

    def items() -> Iterator[str | Answer]:
        with runtime.answer_slots, degradation_scope() as degradation:
            for item in stream_answer(assistant, question, history):
                if isinstance(item, Answer):
                    if degradation.summary:
                        item.degraded = degradation.summary
                        item.answer += DEGRADED_NOTE
                    entry.note_answer(question, item)
                yield item

    it = items()
    first = next(it)  # errors before any text become ordinary HTTP problems

    def rest() -> Iterator[str | Answer]:
        yield first
        try:
            yield from it
        except AssistantError as exc:
            raise StreamFailed(str(exc)) from exc
        except Exception as exc:
            log.exception("erreur pendant une réponse en flux")
            raise StreamFailed(GENERIC_STREAM_ERROR) from exc

    return rest()
