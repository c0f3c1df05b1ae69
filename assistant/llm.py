"""Optional LLM generator behind an OpenAI-compatible endpoint (vLLM, Ollama, the State's Albert API).

The model writes the prose; it never supplies quotes. Citations are built from the retrieved units the model
referred to ([n] markers), with verbatim passages picked extractively. After generation, every article number in
the text is checked against the retrieved units and the tool bases: an unknown number is removed; an answer left
without any valid source is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.errors import AssistantError
from assistant.grounding import Prepared, basis_of, reference_label, refuse, renvois, retrieved_ids, unit_citation, unit_of_basis
from assistant.models import Citation, Unit
from assistant.prompts import CONTEXT_PROMPT, REFUSAL_MARKER, REMOVED_REFERENCE, SOURCE_TEMPLATE, SYSTEM_PROMPT
from assistant.references import referenced_articles
from assistant.retrieval import Hit
from assistant.settings import Settings
from assistant.tools import langchain_tools

if TYPE_CHECKING:
    from assistant.extractive import ExtractiveGenerator

MAX_SOURCES = 6
MAX_SOURCE_CHARS = 2500
MAX_TOOL_ROUNDS = 2
_MARKER_RE = re.compile(r"\[(\d{1,2})\]")


class LLMGenerator:
    """The model writes the prose from the grounded candidates; refusals and quotes stay deterministic."""

    name = "openai"

    def __init__(self, model: Any, extractive: ExtractiveGenerator) -> None:
        self.model = model  # a LangChain chat model (ChatOpenAI in production)
        self.extractive = extractive  # the verbatim passages of the units the model refers to
        self.catalog = extractive.catalog

    @classmethod
    def from_settings(cls, settings: Settings, extractive: ExtractiveGenerator) -> LLMGenerator:
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(
            base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s, temperature=0, max_retries=1,
        )
        return cls(model, extractive)

    def _call(self, p: Prepared) -> tuple[list[Unit], list[Any], dict[str, Any], Any]:
        """The sources, the messages, the tools and the tool-bound model of one generation."""
        from langchain_core.messages import HumanMessage, SystemMessage

        units = self._sources(p)
        context = "\n\n".join(
            SOURCE_TEMPLATE.format(n=i, label=reference_label(u, self.catalog), text=u.text[:MAX_SOURCE_CHARS])
            for i, u in enumerate(units, start=1)
        )
        messages: list[Any] = [
            SystemMessage(SYSTEM_PROMPT.format(refusal_marker=REFUSAL_MARKER)),
            *_history_messages(p.history),
            HumanMessage(CONTEXT_PROMPT.format(context=context, question=p.standalone)),
        ]
        tools = {t.name: t for t in langchain_tools(self.catalog)}
        return units, messages, tools, self.model.bind_tools(list(tools.values()))

    def generate(self, p: Prepared) -> Answer:
        if p.refusal:
            return refuse(p, self.catalog, p.refusal)
        units, messages, tools, model = self._call(p)
        tool_uses: list[ToolUse] = []
        try:
            reply = model.invoke(messages)
            for _ in range(MAX_TOOL_ROUNDS):
                calls = getattr(reply, "tool_calls", None) or []
                if not calls:
                    break
                messages.append(reply)
                _answer_tool_calls(calls, tools, messages, tool_uses)
                reply = model.invoke(messages)
        except AssistantError:
            raise
        except Exception as exc:  # network, timeout, malformed reply: say so, never a stack trace
            raise AssistantError(f"Le service de génération (LLM) n'a pas répondu correctement : {type(exc).__name__}.") from exc
        text = str(reply.content or "").strip()
        return self._checked_answer(text, units, tool_uses, p)

    def stream(self, p: Prepared) -> Iterator[str | Answer]:
        """Streaming hook: text deltas as the model produces them, then the finished ``Answer``.

        Each delta is a whole sentence (or line) of the model's text with the same treatment as the finished text:
        article numbers absent from the sources removed, ``[n]`` markers replaced by their reference. The last item
        is ``_checked_answer`` on the whole text (the citation check, a refusal if nothing verifiable remains): it is
        authoritative, and the caller reconciles it with what was streamed (``assistant.streaming``).
        """
        if p.refusal:
            yield refuse(p, self.catalog, p.refusal)
            return
        units, messages, tools, model = self._call(p)
        # The router's result is part of the answer from the first delta: its basis articles are allowed while
        # streaming as they are in the finished answer (``_checked_answer`` adds it, once, to a generate() answer).
        tool_uses: list[ToolUse] = [p.tool] if p.tool is not None else []
        text = ""
        try:
            for _ in range(MAX_TOOL_ROUNDS + 1):
                pieces = _StreamedText(units, tool_uses, self.catalog)
                reply: Any = None
                for chunk in model.stream(messages):
                    reply = chunk if reply is None else reply + chunk
                    yield from pieces.feed(_text_of(chunk.content))
                calls = (getattr(reply, "tool_calls", None) or []) if reply is not None else []
                if not calls:
                    yield from pieces.flush()
                    text = _text_of(reply.content if reply is not None else "").strip()
                    break
                messages.append(reply)
                _answer_tool_calls(calls, tools, messages, tool_uses)
        except AssistantError:
            raise
        except Exception as exc:  # network, timeout, malformed reply: say so, never a stack trace
            raise AssistantError(f"Le service de génération (LLM) n'a pas répondu correctement : {type(exc).__name__}.") from exc
        yield self._checked_answer(text, units, [t for t in tool_uses if t is not p.tool], p)

    def _sources(self, p: Prepared) -> list[Unit]:
        ids = [r["unit_id"] for r in retrieved_ids(p, self.catalog)]
        return [self.catalog.unit(uid) for uid in ids[:MAX_SOURCES]]

    def _checked_answer(self, text: str, units: list[Unit], tool_uses: list[ToolUse], p: Prepared) -> Answer:
        retrieved = retrieved_ids(p, self.catalog)
        if p.tool is not None and all(t.name != p.tool.name for t in tool_uses):
            tool_uses = [p.tool, *tool_uses]  # the router's result, unless the model called the same tool itself
        if not text or text.startswith(REFUSAL_MARKER):
            reason = text[len(REFUSAL_MARKER):].strip(" :.-—") if text else ""
            return refuse(p, self.catalog, reason or None)
        text = _without_unknown_articles(text, units, tool_uses)
        used = sorted({int(n) for n in _MARKER_RE.findall(text) if 1 <= int(n) <= len(units)})
        citations: list[Citation] = []
        assert p.analysis is not None
        for n in used:
            unit = units[n - 1]
            best = self.extractive.select(p.analysis, p.standalone, [Hit(unit, 1.0)])
            citations += [unit_citation(unit, self.catalog, passage.quote) for passage in best[:2]]
        for use in tool_uses:
            for b in basis_of(use.result):
                basis_unit = unit_of_basis(self.catalog, b)
                if basis_unit is not None:
                    citations.append(unit_citation(basis_unit, self.catalog, b["quote"]))
        if not citations:
            return refuse(p, self.catalog, "La réponse générée ne s'appuyait sur aucune source vérifiable du corpus : elle a été écartée.")
        text = _MARKER_RE.sub(lambda m: _marker_label(m, units, self.catalog), text)
        citations += renvois("\n".join(c.quote for c in citations), citations, self.catalog)
        return Answer(text, refused=False, citations=citations, tool_calls=tool_uses, standalone_question=p.standalone,
                      retrieved=retrieved, generator="openai", degraded=p.degraded)


class _StreamedText:
    """Cuts the streamed text at sentence ends and gives each sentence the treatment of the finished text.

    Nothing is shown while the text may still turn out to be a refusal (it starts with the refusal marker).
    """

    _END = re.compile(r"(?:(?<=[a-zà-ÿ]{4}[.!?])|(?<=[\])»)][.!?]))[ \t]+|\n+")

    def __init__(self, units: list[Unit], tool_uses: list[ToolUse], catalog: Catalog) -> None:
        self.units, self.tool_uses, self.catalog = units, tool_uses, catalog
        self.buffer = ""
        self.state = "undecided"  # then "streaming" or "refusal"

    def feed(self, delta: str) -> list[str]:
        self.buffer += delta
        if self.state == "undecided":
            self.buffer = self.buffer.lstrip()
            if REFUSAL_MARKER.startswith(self.buffer):
                return []
            self.state = "refusal" if self.buffer.startswith(REFUSAL_MARKER) else "streaming"
        if self.state == "refusal":
            self.buffer = ""
            return []
        cuts = list(self._END.finditer(self.buffer))
        if not cuts:
            return []
        end = cuts[-1].end()
        ready, self.buffer = self.buffer[:end], self.buffer[end:]
        return [self._checked(ready)]

    def flush(self) -> list[str]:
        rest, self.buffer = self.buffer.rstrip(), ""
        if self.state == "refusal" or not rest or REFUSAL_MARKER.startswith(rest):
            return []
        return [self._checked(rest)]

    def _checked(self, piece: str) -> str:
        piece = _without_unknown_articles(piece, self.units, self.tool_uses)
        return _MARKER_RE.sub(lambda m: _marker_label(m, self.units, self.catalog), piece)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return ""


def _marker_label(m: re.Match[str], units: list[Unit], catalog: Catalog) -> str:
    n = int(m.group(1))
    return f"({reference_label(units[n - 1], catalog)})" if 1 <= n <= len(units) else ""


def _answer_tool_calls(calls: list[Any], tools: dict[str, Any], messages: list[Any], tool_uses: list[ToolUse]) -> None:
    """Run the tools a model reply asks for: each result goes back to the model; the successful ones are kept."""
    from langchain_core.messages import ToolMessage

    for call in calls:
        result = _run_tool(tools, call["name"], call.get("args") or {})
        if "erreur" not in result:
            tool_uses.append(ToolUse(call["name"], call.get("args") or {}, result))
        messages.append(ToolMessage(json.dumps(result, ensure_ascii=False), tool_call_id=call["id"]))


def _without_unknown_articles(text: str, units: list[Unit], tool_uses: list[ToolUse]) -> str:
    """The model's text with every article number that is neither a source nor a tool's basis removed."""
    allowed = {u.article for u in units if u.article}
    for use in tool_uses:
        allowed |= {b["article"] for b in basis_of(use.result) if b.get("article")}
    for number in referenced_articles(text):
        if number not in allowed:
            text = _remove_reference(text, number)
    return text


def _remove_reference(text: str, number: str) -> str:
    pattern = re.compile(r"(?:l['’]\s*)?(?:art(?:icle|\.)?s?\s+)?" + re.escape(number) + r"(?![\d-])", re.I)
    return pattern.sub(REMOVED_REFERENCE, text)


def _run_tool(tools: dict[str, Any], name: str, args: dict[str, Any]) -> dict[str, Any]:
    if name not in tools:
        return {"erreur": f"outil inconnu : {name}"}
    try:
        return tools[name].func(**args)
    except AssistantError as exc:
        return {"erreur": str(exc)}
    except TypeError as exc:
        return {"erreur": f"arguments invalides : {exc}"}


def _history_messages(history: list[dict[str, str]]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage

    return [HumanMessage(t["content"]) if t.get("role") == "user" else AIMessage(t["content"]) for t in history[-6:]]
