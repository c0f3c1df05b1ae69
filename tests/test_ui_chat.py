"""The chat's handlers and HTML without a browser: cited answers as cards, refusals, follow-ups, tools, feedback."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.api.runtime import Runtime
from assistant.chain import Assistant
from assistant.compose import load_assistant
from assistant.models import Citation, Unit
from assistant.settings import Settings
from ui.chat import ChatHandlers, build_chat
from ui.render import citation_card, highlighted_paragraphs, quote_spans

# gr.Warning outside a Gradio event falls back to warnings.warn: expected here (failed writes are reported).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers")

TERRORISM_Q = "Combien de temps peut durer la garde à vue en matière de terrorisme ?"


@pytest.fixture(scope="module")
def assistant(built_index: Settings, embedder) -> Assistant:
    return load_assistant(built_index, embeddings=embedder)


@pytest.fixture
def runtime(built_index: Settings, assistant: Assistant, tmp_path: Path) -> Runtime:
    return Runtime(built_index.model_copy(update={"audit_db": tmp_path / "audit.sqlite3", "audit_questions": "stored"}), assistant=assistant)


def ask(h: ChatHandlers, question: str, chat: list, history: list, answers: dict) -> tuple[list, list, dict]:
    steps = list(h.respond(question, chat, history, answers))
    assert steps[0][1][-1]["content"] == "_Recherche dans le corpus…_"
    _, chat, history, answers = steps[-1]
    return chat, history, answers


def like(index: int, liked: bool) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": "", "liked": liked})


def test_answer_has_citation_cards_with_highlighted_full_text(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    chat, history, answers = ask(h, TERRORISM_Q, [], [], {})
    html = chat[-1]["content"]
    assert chat[-2] == {"role": "user", "content": TERRORISM_Q}
    assert '<details class="cpp-card"><summary>CPP, art. 706-88-1 (version en vigueur au 15/08/2022)</summary>' in html
    card = html.split("CPP, art. 706-88-1 (version en vigueur au 15/08/2022)</summary>", 1)[1].split("</details>", 1)[0]
    assert "Section 3 : De la garde à vue" in card and "version en vigueur au 15 août 2022" in card
    assert "<mark>" in card and "cent-vingtième heure" in card
    assert "cpp-banner" not in html
    html_blocks = [part for part in html.split("\n\n") if part.startswith("<")]
    assert html_blocks and all("\n" not in part for part in html_blocks)  # a blank line would end the HTML block
    assert history[-1]["role"] == "assistant" and "706-88-1" in history[-1]["content"]
    record = answers[str(len(chat) - 1)]
    assert record["question"] == TERRORISM_Q and record["citations"]
    (row,) = runtime.audit.rows()
    assert row["route"] == "UI question" and row["key_id"] == "interface-web" and row["question"] == TERRORISM_Q
    assert row["request_id"] == record["request_id"] and "706-88-1" in row["cited"]


def test_follow_up_uses_the_conversation(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    h = ChatHandlers(runtime)
    chat, history, answers = ask(h, TERRORISM_Q, [], [], {})
    seen: list[list[dict[str, str]]] = []
    original = runtime.ask

    def spy(question: str, hist: list[dict[str, Any]], entry: Any) -> Any:
        seen.append(list(hist))
        return original(question, hist, entry)

    monkeypatch.setattr(runtime, "ask", spy)
    chat, history, answers = ask(h, "Et qui décide de la prolongation ?", chat, history, answers)
    assert [t["role"] for t in seen[0]] == ["user", "assistant"] and seen[0][0]["content"] == TERRORISM_Q
    assert len(chat) == 4 and len(history) == 4 and set(answers) == {"1", "3"}


def test_refusal_has_a_banner(runtime: Runtime) -> None:
    chat, _, _ = ask(ChatHandlers(runtime), "What is the maximum length of police custody under the code?", [], [], {})
    assert 'class="cpp-banner"' in chat[-1]["content"] and "Pas de réponse dans le corpus" in chat[-1]["content"]


def test_tool_answer_shows_the_computation(runtime: Runtime) -> None:
    q = "Une garde à vue pour terrorisme a commencé le 23 octobre 2026 à 10h : quand prend-elle fin au plus tard ?"
    chat, _, _ = ask(ChatHandlers(runtime), q, [], [], {})
    html = chat[-1]["content"]
    assert "Résultat de l'outil « delai »" in html and "Étapes du calcul" in html and "jeudi 29 octobre 2026 à 09 h 00" in html


def test_empty_question_is_not_sent(runtime: Runtime) -> None:
    steps = list(ChatHandlers(runtime).respond("   ", [], [], {}))
    assert steps == [("   ", [], [], {})]
    assert runtime.audit.rows() == []


def test_service_not_ready_is_said_in_french(built_index: Settings, tmp_path: Path) -> None:
    runtime = Runtime(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), loader=lambda: (_ for _ in ()).throw(RuntimeError()))
    steps = list(ChatHandlers(runtime).respond(TERRORISM_Q, [], [], {}))
    assert "cpp-error" in steps[-1][1][-1]["content"]
    assert runtime.audit.rows()[0]["status"] in (500, 503)


def test_feedback_is_stored_with_answer_and_citations(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    chat, _, answers = ask(h, TERRORISM_Q, [], [], {})
    info, group, feedback_id = h.like(answers, like(1, False))
    assert "Avis 👎 enregistré" in info and group["visible"] is True and feedback_id
    info, comment = h.save_comment(feedback_id, "Il manque l'article 706-88.")
    assert "Commentaire enregistré" in info and comment == ""
    (row,) = runtime.audit.rows("feedback")
    assert row["rating"] == "down" and row["comment"] == "Il manque l'article 706-88."
    assert row["request_id"] == answers["1"]["request_id"] and row["answer"] == answers["1"]["answer"]
    assert "706-88-1" in {c["article"] for c in row["citations"]}


def test_feedback_on_a_user_message_is_refused(runtime: Runtime) -> None:
    info, _, feedback_id = ChatHandlers(runtime).like({}, like(0, True))
    assert feedback_id is None and "ne porte pas sur une réponse" in info


def test_failed_feedback_write_is_reported_not_swallowed(runtime: Runtime, tmp_path: Path) -> None:
    h = ChatHandlers(runtime)
    _, _, answers = ask(h, TERRORISM_Q, [], [], {})
    (tmp_path / "bloque").write_text("x")
    runtime.audit.path = tmp_path / "bloque" / "audit.sqlite3"
    runtime.audit._ready = False
    info, group, feedback_id = h.like(answers, like(1, True))
    assert feedback_id is None and "Votre avis n'a pas été enregistré" in unescape(info) and "cpp-error" in info
    info, comment = h.save_comment(12, "mon commentaire")
    assert "Votre commentaire n'a pas été enregistré" in unescape(info) and comment == "mon commentaire"


def test_pole_form(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    html = h.find_pole("Auch")
    assert "Tribunal judiciaire d&#x27;<b>Auch</b> → pôle de l'instruction d&#x27;<b>Agen</b>" in html
    assert "Agen. Agen, Auch, Cahors, Marmande." in html and "CPP, art. D15-4-4" in html
    assert "cpp-error" in h.find_pole("Gotham")
    assert "Choisissez" in h.find_pole("")
    routes = [r["route"] for r in runtime.audit.rows()]
    assert routes == ["UI outil pole-instruction", "UI outil pole-instruction"]


def test_delai_form(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    info, *options = h.rule_selected("gav-terrorisme")
    assert "Garde à vue en matière de terrorisme" in info and all(o["visible"] is False for o in options)
    html = h.compute_delai("gav-terrorisme", "23/10/2026 10:00", None, None, None)
    assert "jeudi 29 octobre 2026 à 09 h 00" in html and "Étapes du calcul" in html and "<ol>" in html
    assert "cpp-error" in h.compute_delai("gav-terrorisme", "demain", None, None, None)
    assert "Choisissez une règle" in h.compute_delai(None, "", None, None, None)


def test_rule_with_an_option_shows_its_dropdown(runtime: Runtime) -> None:
    info, first, *_ = ChatHandlers(runtime).rule_selected("cpi-comparution-chambre-instruction")
    assert first["visible"] is True and first["label"].startswith("Un délai supplémentaire")
    assert ("délai supplémentaire de huit jours accordé", "true") in first["choices"]


def test_new_conversation_resets_everything() -> None:
    chat, history, answers, info, comment, group, feedback_id = ChatHandlers.new_conversation()
    assert (chat, history, answers, info, comment, feedback_id) == ([], [], {}, "", "", None) and group["visible"] is False


def test_blocks_build(runtime: Runtime) -> None:
    demo = build_chat(runtime)
    assert isinstance(demo, gr.Blocks) and demo.title == "Assistant de procédure pénale"
    assert demo.analytics_enabled is False


# -- HTML helpers ---------------------------------------------------------------------------------------------


def test_quote_found_across_whitespace_differences() -> None:
    text = "Premier alinéa.\n\nLa garde à vue\nest prolongée   de vingt-quatre heures."
    assert quote_spans(text, ["garde à vue est prolongée de vingt-quatre heures."]) == [(20, len(text))]


def test_highlight_escapes_html_and_marks() -> None:
    unit = Unit(unit_id="u", doc_id="d", kind="code", position=0, article="1", section=None, title="Article 1", hierarchy=(),
                alineas=("Texte <b>brut</b> & cité ici.",))
    body, found = highlighted_paragraphs(unit, ["cité ici."])
    assert found and body == "<p>Texte &lt;b&gt;brut&lt;/b&gt; &amp; <mark>cité ici.</mark></p>"


def test_card_for_an_article_outside_the_corpus() -> None:
    c = Citation(doc_id="cpp-legislatif-l4", doc_title="Code de procédure pénale (hors du corpus)", kind="code", article="63-4",
                 section=None, version_date=None, quote="selon l'article 63-4", role="renvoi", in_corpus=False)
    html = citation_card([c], None)
    assert "CPP, art. 63-4 (hors du corpus)" in html and "Passage qui mentionne cet article" in html
    assert "<mark>selon l&#x27;article 63-4</mark>" in html
