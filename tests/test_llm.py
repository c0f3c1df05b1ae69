"""The optional LLM generator against a scripted OpenAI-compatible server (the one fake: no LLM can run here)."""

from __future__ import annotations

import pytest

from assistant.chain import Assistant
from assistant.errors import AssistantError
from assistant.llm import LLMGenerator
from assistant.prompts import REMOVED_REFERENCE
from assistant.settings import Settings
from assistant.verbatim import CorpusText
from tests.fake_openai import FakeOpenAI


@pytest.fixture(scope="module")
def fake_llm():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_assistant(assistant: Assistant, fake_llm: FakeOpenAI, built_index: Settings) -> Assistant:
    fake_llm.replies.clear()
    fake_llm.requests.clear()
    settings = Settings(data_dir=built_index.data_dir, generator="openai", llm_base_url=fake_llm.base_url, llm_model="modele-test")
    return Assistant(assistant.catalog, assistant.search, generator=LLMGenerator.from_settings(settings, assistant.generator), index_state=assistant.index_state)


def test_unknown_article_numbers_are_removed_and_quotes_stay_verbatim(llm_assistant: Assistant, fake_llm: FakeOpenAI, corpus_text: CorpusText) -> None:
    fake_llm.replies.append({"content": "Selon l'article 706-95, l'autorisation vaut un mois renouvelable une fois [1]. Voir aussi l'article 999 et l'article 63."})
    answer = llm_assistant.ask("Pour combien de temps le JLD peut-il autoriser des interceptions en enquête préliminaire en criminalité organisée ?")
    assert answer.generator == "openai" and not answer.refused
    assert "999" not in answer.answer and answer.answer.count(REMOVED_REFERENCE) == 2
    assert "706-95" in answer.answer
    assert answer.citations and all(corpus_text.contains(c.quote, c.doc_id) for c in answer.citations)
    assert "706-95" in {c.article for c in answer.citations}
    request = fake_llm.requests[0]
    assert request["model"] == "modele-test"
    assert request["messages"][0]["role"] == "system" and "UNIQUEMENT" in request["messages"][0]["content"]
    assert "[1] CPP, art. 706-95" in request["messages"][-1]["content"]
    assert {t["function"]["name"] for t in request["tools"]} == {"pole-instruction", "juridiction-specialisee", "delai"}


def test_tool_calling_round_trip(llm_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.replies += [
        {"tool_calls": [{"name": "pole-instruction", "args": {"tribunal": "Auch"}}]},
        {"content": "Le tribunal judiciaire d'Auch relève du pôle de l'instruction d'Agen (article D15-4-4)."},
    ]
    answer = llm_assistant.ask("Quel pôle de l'instruction pour une affaire du tribunal de Auch, cosaisine envisagée ?")
    assert [t.name for t in answer.tool_calls] == ["pole-instruction"]
    assert answer.tool_calls[0].result["pole"] == "Agen"
    assert "D15-4-4" in {c.article for c in answer.citations}
    assert len(fake_llm.requests) == 2
    assert fake_llm.requests[1]["messages"][-1]["role"] == "tool"


def test_model_refusal_is_a_refusal(llm_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.replies.append({"content": "HORS CORPUS : les extraits ne traitent pas de cette question."})
    answer = llm_assistant.ask("Quelles sont les obligations d'une personne inscrite au FIJAIT ?")
    assert answer.refused and answer.citations == []
    assert "les extraits ne traitent pas de cette question" in answer.answer


def test_answer_without_verifiable_source_is_refused(llm_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.replies.append({"content": "La réponse figure à l'article 999-1 du code."})
    answer = llm_assistant.ask("Quelles sont les obligations d'une personne inscrite au FIJAIT ?")
    assert answer.refused and "aucune source vérifiable" in answer.answer
    assert "999-1" not in answer.answer


def test_unreachable_llm_server_is_a_clear_error(assistant: Assistant, built_index: Settings) -> None:
    settings = Settings(data_dir=built_index.data_dir, generator="openai", llm_base_url="http://127.0.0.1:9/v1", llm_model="x", llm_timeout_s=2)
    broken = Assistant(assistant.catalog, assistant.search, generator=LLMGenerator.from_settings(settings, assistant.generator))
    with pytest.raises(AssistantError, match="Le service de génération"):
        broken.ask("Quelles sont les obligations d'une personne inscrite au FIJAIT ?")


def test_openai_generator_requires_an_endpoint() -> None:
    with pytest.raises(ValueError, match="CPP_ASSISTANT_LLM_BASE_URL"):
        Settings(generator="openai")
