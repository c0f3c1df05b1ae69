"""Answer generators: the deterministic extractive default (None) or an LLM behind an OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings


def make_generator(settings: Settings) -> Any:
    """``None`` selects the extractive generator built into the chain; ``openai`` an OpenAI-compatible LLM."""
    if settings.generator == "extractive":
        return None
    from assistant.llm import LLMGenerator

    return LLMGenerator.from_settings(settings)
