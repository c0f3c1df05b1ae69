"""The streaming path shared by ``/v1/ask/stream`` and ``/v1/chat/completions`` (``stream: true``).

Frames are encoded by FastAPI (``fastapi.sse.format_sse_event``) and sent as an ``EventSourceResponse``, but not
through FastAPI's generator endpoints: those start the response before the first item and add keep-alive comments.
The first item is computed before the HTTP response starts, so an error before any text (index absent, LLM
unreachable) is still an ordinary problem+json response; an error later is sent as a last stream event. The answer
is noted in the audit record before the last byte leaves (the middleware writes it then).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from fastapi.sse import format_sse_event

from assistant.answer import Answer
from assistant.audit import AuditEntry
from assistant.errors import AssistantError
from assistant.resilience import degradation_scope
from assistant.runtime import DEGRADED_NOTE, Runtime
from assistant.streaming import stream_answer

log = logging.getLogger("assistant.api")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # as FastAPI's own SSE routes: no proxy buffering
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


def sse_frame(event: str | None, data: Any) -> bytes:
    """One SSE frame: ``data`` as JSON (non-ASCII characters kept), or as is when a string (``[DONE]``)."""
    return format_sse_event(event=event, data_str=data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
