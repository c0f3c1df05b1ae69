"""The OpenAI-compatible endpoints from the clients integrators use — the official ``openai`` client and LangChain's
``ChatOpenAI`` — against a real uvicorn server; and real streaming with the LLM generator (scripted OpenAI server)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from assistant.api import create_app
from assistant.api.keys import hash_key
from assistant.chain import Assistant
from assistant.llm import LLMGenerator
from assistant.prompts import REMOVED_REFERENCE
from assistant.settings import Settings
from tests.fake_openai import FakeOpenAI
from tests.live import LiveApp

KEY = "cle-openai-de-test"
TERRORISM_Q = "Combien de temps peut durer la garde à vue en matière de terrorisme ?"
INTERCEPTIONS_Q = "Pour combien de temps le JLD peut-il autoriser des interceptions en enquête préliminaire en criminalité organisée ?"


@pytest.fixture(scope="module")
def server(built_index: Settings, assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    settings = built_index.model_copy(update={
        "audit_db": tmp_path_factory.mktemp("audit-openai") / "audit.sqlite3", "api_key_hashes": [hash_key(KEY)],
        "rate_limit_per_minute": 0, "audit_questions": "stored",
    })
    live = LiveApp(create_app(settings, assistant=assistant)).start()
    yield live
    live.stop()


@pytest.fixture
def client(server: LiveApp) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base}/v1", api_key=KEY, max_retries=0, timeout=120)


def extra_of(obj: Any) -> dict[str, Any]:
    """The ``cpp_assistant`` field of a completion or of the last chunk (an extra field for the openai client)."""
    assert obj.model_extra is not None
    return obj.model_extra["cpp_assistant"]


def audit_rows(server: LiveApp) -> list[dict[str, Any]]:
    return server.app.state.runtime.audit.rows("audit")


def test_models_lists_the_assistant(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["cpp-assistant"]


def test_chat_completion_with_the_openai_client(client: openai.OpenAI, server: LiveApp) -> None:
    resp = client.chat.completions.create(model="cpp-assistant", messages=[
        {"role": "system", "content": "Tu es un assistant."}, {"role": "user", "content": TERRORISM_Q},
    ])
    content = resp.choices[0].message.content or ""
    assert resp.object == "chat.completion" and resp.choices[0].finish_reason == "stop"
    assert "**Références**\n- CPP, art. " in content and re.search(r"\n- CPP, art\. 706-88-1(, al\. \d+)? \(version en vigueur au ", content)
    extra = extra_of(resp)
    assert extra["refused"] is False and "706-88-1" in {c["article"] for c in extra["citations"]}
    assert content.startswith(extra["answer"])
    row = next(r for r in audit_rows(server) if r["request_id"] == extra["request_id"])
    assert row["route"] == "POST /v1/chat/completions" and row["status"] == 200 and row["question"] == TERRORISM_Q


def test_streamed_chat_completion_with_the_openai_client(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="cpp-assistant", stream=True, messages=[{"role": "user", "content": TERRORISM_Q}]))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    extra = extra_of(last)
    assert text.startswith(extra["answer"]) and "**Références**" in text and "706-88-1" in text


def test_history_makes_the_follow_up(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(model="cpp-assistant", messages=[
        {"role": "user", "content": "Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?"},
        {"role": "assistant", "content": "Le tribunal judiciaire d'Auch relève du pôle de l'instruction d'Agen."},
        {"role": "user", "content": "Et pour Cahors ?"},
    ])
    extra = extra_of(resp)
    assert "Cahors" in extra["standalone_question"] and extra["tool_calls"][0]["result"]["pole"] == "Agen"


def test_invalid_or_missing_key_is_the_openai_401(server: LiveApp) -> None:
    bad = openai.OpenAI(base_url=f"{server.base}/v1", api_key="mauvaise-cle", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.chat.completions.create(model="cpp-assistant", messages=[{"role": "user", "content": TERRORISM_Q}])
    assert err.value.status_code == 401 and err.value.code == "invalid_api_key"
    assert "Clé d'API refusée" in err.value.body["message"]  # type: ignore[index]
    r = httpx.get(f"{server.base}/v1/models")
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key" and "Clé d'API manquante" in r.json()["error"]["message"]
    assert httpx.get(f"{server.base}/v1/tools").status_code == 401  # the other routes keep their problem+json
    assert httpx.get(f"{server.base}/v1/tools", headers={"Authorization": "Bearer x"}).status_code == 403


def test_request_errors_are_french_problems(server: LiveApp) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    r = httpx.post(f"{server.base}/v1/chat/completions", headers=headers, json={"model": "cpp-assistant", "messages": [{"role": "system", "content": "x"}]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "aucun message « user »" in r.json()["detail"]
    r = httpx.post(f"{server.base}/v1/chat/completions", headers=headers, json={"messages": [{"role": "user", "content": " "}]})
    assert r.status_code == 422 and "la question est vide" in r.json()["detail"]


def test_rate_limit_applies_to_chat_completions(built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    settings = built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3", "rate_limit_per_minute": 1, "rate_limit_burst": 1})
    live = LiveApp(create_app(settings, assistant=assistant)).start()
    try:
        c = openai.OpenAI(base_url=f"{live.base}/v1", api_key="sans-cle", max_retries=0)
        assert c.models.list().data
        with pytest.raises(openai.RateLimitError) as err:
            c.chat.completions.create(model="cpp-assistant", messages=[{"role": "user", "content": TERRORISM_Q}])
        assert err.value.response.headers["retry-after"] and "Trop de requêtes" in err.value.response.json()["detail"]
    finally:
        live.stop()


def test_chat_openai_from_langchain(server: LiveApp) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=f"{server.base}/v1", api_key=KEY, model="cpp-assistant", max_retries=0)  # type: ignore[arg-type]
    reply = chat.invoke(TERRORISM_Q)
    assert "706-88-1" in str(reply.content) and "**Références**" in str(reply.content)
    streamed = "".join(str(c.content) for c in chat.stream(TERRORISM_Q))
    assert streamed == reply.content
    with pytest.raises(openai.AuthenticationError):
        ChatOpenAI(base_url=f"{server.base}/v1", api_key="faux", model="cpp-assistant", max_retries=0).invoke("x")  # type: ignore[arg-type]


# -- real streaming with the LLM generator ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_server(assistant: Assistant, fake_llm: FakeOpenAI, built_index: Settings, tmp_path: Path) -> Iterator[LiveApp]:
    fake_llm.replies.clear()
    fake_llm.requests.clear()
    fake_llm.sent_at.clear()
    fake_llm.chunk_delay_s = 0.0
    llm_settings = Settings(data_dir=built_index.data_dir, generator="openai", llm_base_url=fake_llm.base_url, llm_model="modele-test")
    llm_assistant = Assistant(assistant.catalog, assistant.search, generator=LLMGenerator.from_settings(llm_settings, assistant.generator), index_state=assistant.index_state)
    settings = built_index.model_copy(update={"audit_db": tmp_path / "audit.sqlite3", "rate_limit_per_minute": 0})
    live = LiveApp(create_app(settings, assistant=llm_assistant)).start()
    yield live
    live.stop()


def sse_events(base: str, question: str) -> list[tuple[str | None, Any, float]]:
    events = []
    with httpx.stream("POST", f"{base}/v1/ask/stream", json={"question": question}, timeout=60) as r:
        assert r.status_code == 200
        kind = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:]), time.monotonic()))
    return events


def test_tokens_stream_as_the_model_produces_them(llm_server: LiveApp, fake_llm: FakeOpenAI) -> None:
    fake_llm.chunk_delay_s = 0.05
    fake_llm.replies.append({"content": (
        "Selon l'article 706-95, le juge des libertés et de la détention autorise les interceptions pour un mois [1]. "
        "L'autorisation est renouvelable une fois dans les mêmes conditions. Voir aussi l'article 999.\n"
        "Les opérations sont conduites sous son contrôle."
    )})
    events = sse_events(llm_server.base, INTERCEPTIONS_Q)
    kinds = [k for k, _, _ in events]
    assert kinds[0] == "start" and kinds[-3:] == ["citations", "tool_calls", "done"] and "replace" not in kinds
    deltas = [(d["text"], t) for k, d, t in events if k == "delta"]
    assert len(deltas) >= 3  # sentence by sentence
    assert deltas[0][1] < fake_llm.sent_at[-1]  # the first sentence arrived before the model had finished
    done = events[-1][1]
    assert "".join(text for text, _ in deltas) == done["answer"]  # the citation check ran on the streamed text too
    assert done["generator"] == "openai" and "(CPP, art. 706-95" in done["answer"] and "[1]" not in done["answer"]
    assert "999" not in done["answer"] and REMOVED_REFERENCE in done["answer"]
    assert fake_llm.requests[0]["stream"] is True


def test_streamed_refusal_shows_no_model_text(llm_server: LiveApp, fake_llm: FakeOpenAI) -> None:
    fake_llm.replies.append({"content": "HORS CORPUS : les extraits ne traitent pas de cette question."})
    events = sse_events(llm_server.base, "Quelles sont les obligations d'une personne inscrite au FIJAIT ?")
    done = events[-1][1]
    assert done["refused"] and "".join(d["text"] for k, d, _ in events if k == "delta") == done["answer"]
    assert not done["answer"].startswith("HORS CORPUS")


def test_text_without_verifiable_source_is_replaced_by_the_refusal(llm_server: LiveApp, fake_llm: FakeOpenAI) -> None:
    fake_llm.replies.append({"content": "La réponse figure à l'article 999-1 du code. Elle est claire."})
    events = sse_events(llm_server.base, "Quelles sont les obligations d'une personne inscrite au FIJAIT ?")
    kinds = [k for k, _, _ in events]
    assert "replace" in kinds
    replaced = next(d["text"] for k, d, _ in events if k == "replace")
    done = events[-1][1]
    assert done["refused"] and replaced == done["answer"] and "aucune source vérifiable" in done["answer"]
    assert all("999-1" not in d["text"] for k, d, _ in events if k == "delta")


def test_openai_stream_with_the_llm_generator(llm_server: LiveApp, fake_llm: FakeOpenAI) -> None:
    fake_llm.replies += [
        {"tool_calls": [{"name": "pole-instruction", "args": {"tribunal": "Auch"}}]},
        {"content": "Le tribunal judiciaire d'Auch relève du pôle de l'instruction d'Agen (article D15-4-4). Cette règle vaut pour la cosaisine."},
    ]
    c = openai.OpenAI(base_url=f"{llm_server.base}/v1", api_key="sans-cle", max_retries=0)
    chunks = list(c.chat.completions.create(model="cpp-assistant", stream=True, messages=[
        {"role": "user", "content": "Quel pôle de l'instruction pour une affaire du tribunal de Auch, cosaisine envisagée ?"}]))
    pieces = [ch.choices[0].delta.content for ch in chunks if ch.choices[0].delta.content]
    assert len(pieces) >= 3
    extra = extra_of(chunks[-1])
    assert [t["name"] for t in extra["tool_calls"]] == ["pole-instruction"] and "D15-4-4" in {x["article"] for x in extra["citations"]}
    assert "".join(pieces).startswith(extra["answer"]) and "**Références**" in "".join(pieces)


def test_llm_failure_before_any_text_is_a_problem(assistant: Assistant, built_index: Settings, tmp_path: Path) -> None:
    llm_settings = Settings(data_dir=built_index.data_dir, generator="openai", llm_base_url="http://127.0.0.1:9/v1", llm_model="x", llm_timeout_s=2)
    broken = Assistant(assistant.catalog, assistant.search, generator=LLMGenerator.from_settings(llm_settings, assistant.generator), index_state=assistant.index_state)
    live = LiveApp(create_app(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), assistant=broken)).start()
    try:
        r = httpx.post(f"{live.base}/v1/ask/stream", json={"question": INTERCEPTIONS_Q}, timeout=60)
        assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
        assert "Le service de génération (LLM) n'a pas répondu correctement" in r.json()["detail"] and "Traceback" not in r.text
    finally:
        live.stop()
