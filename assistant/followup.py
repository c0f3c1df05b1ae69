"""Turn an elliptic follow-up ("Et pour le terrorisme ?", "Et s'il ne consent pas ?") into a self-contained question.

Deterministic: the follow-up keeps its own words and inherits the subject of the previous user question, and the
new words are repeated so that they weigh more than the inherited ones in lexical retrieval.
"""

from __future__ import annotations

import re

from assistant.french import content_terms

FOLLOW_UP_RE = re.compile(
    r"^\s*(et\b|et\s+(pour|si|s'il|s’il|en|dans|au|à|quand|lorsque|pendant)\b|même question|meme question|"
    r"qu['’]en est-il|dans ce cas|alors|mais|et sinon|sinon|idem|pareil)",
    re.I,
)
MAX_FOLLOW_UP_TERMS = 6  # a follow-up is short; a long question stands on its own


def is_follow_up(question: str, history: list[dict[str, str]]) -> bool:
    if not any(turn.get("role") == "user" for turn in history):
        return False
    return bool(FOLLOW_UP_RE.match(question)) or len(content_terms(question)) <= 2


def contextualize(question: str, history: list[dict[str, str]]) -> str:
    """A self-contained question: the previous user question's subject plus the follow-up (emphasized)."""
    if not is_follow_up(question, history):
        return question
    last = max(i for i, turn in enumerate(history) if turn.get("role") == "user")
    previous = contextualize(history[last]["content"], history[:last])
    own = FOLLOW_UP_RE.sub("", question).strip(" ?.!").strip()
    return f"{previous.rstrip(' ?')} — {own} ? ({own})" if own else previous
