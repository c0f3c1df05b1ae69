"""Answer generators behind one protocol: the deterministic extractive default, or an LLM behind an
OpenAI-compatible endpoint. Both compose from the same grounded ``Prepared`` state (``assistant.grounding``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.answer import Answer
    from assistant.catalog import Catalog
    from assistant.grounding import Prepared
    from assistant.verbatim import CorpusText


class Generator(Protocol):
    """Writes the answer for a prepared, grounded question (a refusal included)."""

    name: str

    def generate(self, p: Prepared) -> Answer: ...


def make_generator(
    settings: Settings, catalog: Catalog, idf: Callable[[str], float], corpus: CorpusText | None = None
) -> Generator:
    """``extractive`` (default, deterministic) or ``openai`` (an OpenAI-compatible LLM)."""
    from assistant.extractive import ExtractiveGenerator

    extractive = ExtractiveGenerator(catalog, idf, corpus)
    if settings.generator == "extractive":
        return extractive
    from assistant.llm import LLMGenerator

    return LLMGenerator.from_settings(settings, extractive)
