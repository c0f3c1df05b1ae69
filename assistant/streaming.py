"""An answer as a stream: text deltas as the generator produces them, then the finished, checked ``Answer``.

The chain's steps run as for ``Assistant.ask`` (follow-up, tools, retrieval); generation streams when the generator
has a ``stream`` method (the LLM generator: real tokens, sentence by sentence), else the finished answer is sent as
one delta (the extractive generator computes it at once). The last item is always the ``Answer``; it is
authoritative: ``reconcile`` says what to send so that a client ends with exactly its text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assistant.answer import Answer


def stream_answer(assistant: Any, question: str, history: list[dict[str, Any]] | None = None) -> Iterator[str | Answer]:
    """Text deltas (``str``), then the ``Answer`` (same content and timings as ``assistant.ask``)."""
    generator = assistant.generator
    if not hasattr(generator, "stream"):  # extractive: the whole chain, the answer at once
        answer = assistant.ask(question, history or [])
        yield answer.answer
        yield answer
        return
    # The chain's steps before generation, then the generator's stream.
    p = assistant.prepare({"question": question, "history": history or []})
    p = assistant.use_tools(p)
    p = assistant.retrieve(p)
    if p.refusal:
        answer = assistant.generate(p)
        yield answer.answer
        yield answer
        return
    started = time.perf_counter()
    for item in generator.stream(p):
        if isinstance(item, Answer):
            streamed = item.answer
            item = assistant.with_other_question(p, item)  # (a second question the tool did not answer, after it)
            if item.answer != streamed:
                yield item.answer[len(streamed):]
            item.timings_ms = {**p.timings, "generation": _ms(started), "total": _ms(p.started)}
        yield item


@dataclass(frozen=True)
class Reconciliation:
    """What to send after the deltas so that the client's text is the answer's: a last delta, or a replacement."""

    delta: str = ""
    replacement: str | None = None


def reconcile(streamed: str, answer: Answer) -> Reconciliation:
    """The streamed text is normally the answer's; a refusal decided at the end (no verifiable source) replaces it."""
    if answer.answer == streamed:
        return Reconciliation()
    if answer.answer.startswith(streamed):
        return Reconciliation(delta=answer.answer[len(streamed):])
    return Reconciliation(replacement=answer.answer)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
