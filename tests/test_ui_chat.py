"""The chat's handlers and HTML without a browser: cited answers as cards, refusals, follow-ups, tools, feedback."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.answer import Answer
from assistant.chain import Assistant
from assistant.models import Citation, Unit
from assistant.runtime import Runtime
from assistant.settings import Settings
from ui import conversation as conv
from ui.chat import ChatHandlers, build_chat, rule_choices, rule_label
from ui.render import answer_html, answer_text, citation_card, highlighted_paragraphs, quote_spans, reference

# gr.Warning outside a Gradio event falls back to warnings.warn: expected here (failed writes are reported).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers")

TERRORISM_Q = "Combien de temps peut durer la garde à vue en matière de terrorisme ?"


@pytest.fixture
def runtime(built_index: Settings, assistant: Assistant, tmp_path: Path) -> Runtime:
    return Runtime(built_index.model_copy(update={"audit_db": tmp_path / "audit.sqlite3", "audit_questions": "stored"}), assistant=assistant)


def ask(h: ChatHandlers, question: str, conversation: dict | None = None) -> tuple[list[dict[str, Any]], dict]:
    """Run the handler as Gradio would; returns the chat messages and the conversation the browser will keep."""
    conversation = conversation or conv.empty()
    steps = list(h.respond(question, conversation))
    pending = steps[0][1]["value"]
    assert pending[-1] == {"role": "user", "content": question}  # no assistant message yet: nothing to rate
    assert len(pending) == 2 * len(conv.turns(conversation)) + 1
    _, chat, conversation, export, _ = steps[-1]
    assert export["visible"] is True and export["value"].endswith(".docx")
    return chat["value"], conversation


def like(index: int, liked: bool) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": "", "liked": liked})


def test_answer_layout_from_the_structured_fields(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    chat, conversation = ask(h, TERRORISM_Q)
    html = chat[-1]["content"]
    assert chat[-2] == {"role": "user", "content": TERRORISM_Q}
    # Réponse first, then Fondement (quotes followed by their pinpoint reference), then the source cards.
    assert html.index('class="cpp-reponse"') < html.index('class="cpp-fondement"') < html.index('class="cpp-card"')
    assert re.search(r"« [^»]+ » <span class=\"cpp-ref\">— CPP, art\. 706-88-1(, al\. \d+)? \(version en vigueur au 15/08/2022\)</span>", html)
    summary = '<summary>CPP, art. 706-88-1 (version en vigueur au 15/08/2022)</summary>'
    assert html.count(summary) == 1  # one card per unit
    card = html.split(summary, 1)[1].split("</details>", 1)[0]
    assert "Section 3 : De la garde à vue" in card and "version en vigueur au 15 août 2022" in card
    assert "<mark>" in card and "cent-vingtième heure" in card
    assert "cpp-banner" not in html and "\n" not in html  # one line: a blank line would end the HTML block
    assert 'class="cpp-copy"' in html and "cpp-rated" not in html
    (turn,) = conv.turns(conversation)
    assert turn["question"] == TERRORISM_Q and turn["rating"] is None and turn["answer"]["citations"]
    assert "retrieved" not in turn["answer"]  # the browser keeps what the page shows, not the retrieval details
    (row,) = runtime.audit.rows()
    assert row["route"] == "UI question" and row["key_id"] == "interface-web" and row["question"] == TERRORISM_Q
    assert row["request_id"] == turn["request_id"] and "706-88-1" in row["cited"]


def test_follow_up_uses_the_stored_conversation(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    h = ChatHandlers(runtime)
    _, conversation = ask(h, TERRORISM_Q)
    seen: list[list[dict[str, str]]] = []
    original = runtime.ask

    def spy(question: str, hist: list[dict[str, Any]], entry: Any) -> Any:
        seen.append(list(hist))
        return original(question, hist, entry)

    monkeypatch.setattr(runtime, "ask", spy)
    chat, conversation = ask(h, "Et qui décide de la prolongation ?", conversation)
    assert [t["role"] for t in seen[0]] == ["user", "assistant"] and seen[0][0]["content"] == TERRORISM_Q
    assert len(chat) == 4 and len(conv.turns(conversation)) == 2


def test_refusal_has_a_banner(runtime: Runtime) -> None:
    chat, _ = ask(ChatHandlers(runtime), "What is the maximum length of police custody under the code?")
    assert 'class="cpp-banner"' in chat[-1]["content"] and "Pas de réponse dans le corpus" in chat[-1]["content"]


def test_tool_answer_shows_the_computation_once_with_its_steps_folded(runtime: Runtime) -> None:
    q = "Une garde à vue pour terrorisme a commencé le 23 octobre 2026 à 10h : quand prend-elle fin au plus tard ?"
    chat, conversation = ask(ChatHandlers(runtime), q)
    html = chat[-1]["content"]
    assert html.count('class="cpp-card cpp-tool-card"') == 1
    assert "<details><summary>Étapes du calcul</summary><ol>" in html and "jeudi 29 octobre 2026 à 09 h 00" in html
    tool_card = html.split('class="cpp-card cpp-tool-card"', 1)[1].split('<h3 class="cpp-sources-title">', 1)[0]
    # The basis is quoted once, in « Fondement »; the tool card names it (references only).
    assert "<b>Fondement :</b>" not in tool_card and "<b>Texte :</b> CPP, art. 706-88" in tool_card
    # The « Réponse » is the computed deadline with its reference, not the lead-in line of the text.
    assert re.search(r'<div class="cpp-reponse"><h2>Réponse</h2><p>Fin maximale[^<]*jeudi 29 octobre 2026 à 09 h 00 \(CPP, art\. 706-88-1', html)
    text = conv.answer_text(conv.answer_of(conv.turns(conversation)[0]))  # type: ignore[arg-type]
    assert "29 octobre 2026" in text and "<" not in text and "**" not in text


def test_empty_question_is_not_sent(runtime: Runtime) -> None:
    (step,) = list(ChatHandlers(runtime).respond("   ", conv.empty()))
    assert step[0] == "   " and step[2] == conv.empty()
    assert runtime.audit.rows() == []


def test_service_not_ready_is_said_in_french(built_index: Settings, tmp_path: Path) -> None:
    runtime = Runtime(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), loader=lambda: (_ for _ in ()).throw(RuntimeError()))
    chat, conversation = ask(ChatHandlers(runtime), TERRORISM_Q)
    assert "cpp-error" in chat[-1]["content"] and "error" in conv.turns(conversation)[0]
    assert runtime.audit.rows()[0]["status"] in (500, 503)


def test_one_rating_per_answer_replaced_in_place_then_a_comment(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    _, conversation = ask(h, TERRORISM_Q)
    chat, conversation, group, comment, _, rated, export = h.like(conversation, like(1, True))
    assert export["visible"] is True
    assert group["visible"] is True and rated == 0 and comment["label"].startswith("Commentaire sur la réponse à « Combien")
    assert "Votre avis 👍 est enregistré." in chat["value"][1]["content"] and chat["feedback_value"] == ["Like"]
    chat, conversation, *_ = h.like(conversation, like(1, False))
    assert "Votre avis 👎 est enregistré." in chat["value"][1]["content"] and chat["feedback_value"] == ["Dislike"]
    chat, conversation, info, text, export = h.save_comment(conversation, 0, "Il manque l'article 706-88.")
    assert export["value"].endswith(".docx")
    assert "Commentaire enregistré" in info and "avec votre commentaire" in chat["value"][1]["content"]
    (row,) = runtime.audit.rows("feedback")
    turn = conv.turns(conversation)[0]
    assert row["rating"] == "down" and row["comment"] == "Il manque l'article 706-88." and row["source"] == "ui"
    assert row["request_id"] == turn["request_id"] and row["answer"] == turn["answer"]["answer"]
    assert "706-88-1" in {c["article"] for c in row["citations"]}


def test_no_rating_on_a_question_or_an_error(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    _, conversation = ask(h, TERRORISM_Q)
    _, same, group, *_ = h.like(conversation, like(0, True))  # the user's message
    assert group["visible"] is False and same == conversation
    broken = {"turns": [conv.error_turn("Q ?", "Service indisponible.")]}
    assert h.like(broken, like(1, True))[2]["visible"] is False
    assert h.save_comment(conversation, None, "x")[2].startswith('<div class="cpp-error">')
    assert runtime.audit.rows("feedback") == []


def test_failed_feedback_write_is_reported_without_the_exception_text(runtime: Runtime, tmp_path: Path) -> None:
    h = ChatHandlers(runtime)
    _, conversation = ask(h, TERRORISM_Q)
    _, conversation, *_ = h.like(conversation, like(1, True))
    (tmp_path / "bloque").write_text("x")
    runtime.audit.path = tmp_path / "bloque" / "audit.sqlite3"
    runtime.audit._ready = False
    with pytest.warns(UserWarning, match="Votre avis n'a pas été enregistré"):
        chat, kept, group, *_ = h.like(conversation, like(1, False))
    assert group["visible"] is False and kept == conversation and chat["feedback_value"] == ["Like"]
    _, _, info, text, _ = h.save_comment(conversation, 0, "mon commentaire")
    assert "Votre commentaire n'a pas été enregistré" in unescape(info) and text == "mon commentaire"
    assert "bloque" not in info and "sqlite" not in info.lower()


def test_conversation_restored_from_the_browser(runtime: Runtime) -> None:
    h = ChatHandlers(runtime)
    chat, conversation = ask(h, TERRORISM_Q)
    stored = json.loads(json.dumps(conversation))  # what localStorage gives back
    restored, export = h.restore(stored)
    assert restored["value"] == chat and export["visible"] is True
    for junk in (None, "x", {"turns": "x"}, {"turns": [{"answer": 1}]}):
        assert h.restore(junk)[0]["value"] == [] and h.restore(junk)[1]["visible"] is False  # type: ignore[arg-type]


def test_word_export(runtime: Runtime, tmp_path: Path) -> None:
    from docx import Document

    h = ChatHandlers(runtime)
    _, conversation = ask(h, TERRORISM_Q)
    path = conv.export_docx(conversation, runtime.assistant.catalog, tmp_path)  # type: ignore[union-attr]
    assert path is not None
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert TERRORISM_Q in text and "Fondement" in text and "CPP, art. 706-88-1" in text and "15/08/2022" in text
    assert "Code de procédure pénale" in document.sections[0].header.paragraphs[0].text
    assert conv.export_docx(conv.empty(), None, tmp_path) is None


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


def test_rule_list_knows_the_abbreviations() -> None:
    labels = dict((value, label) for label, value in rule_choices())
    assert "(GAV)" in labels["gav-terrorisme"]
    assert any("MAE" in label for label in labels.values())
    assert rule_label("Garde à vue (GAV) — droit commun", "Garde à vue") == "Garde à vue (GAV) — droit commun"


def test_new_conversation_clears_everything(runtime: Runtime) -> None:
    """The « Nouvelle conversation » button resets every component that a turn, a rating or a comment changes, and
    its handler returns one empty value per wired output (checked on the real Blocks, not on a copy of the tuple)."""
    demo = build_chat(runtime)
    by_name: dict[str, list[Any]] = {}
    for f in demo.fns.values():
        by_name.setdefault(getattr(f.fn, "__name__", ""), []).extend(f.outputs)
    reset_outputs = by_name["new_conversation"]
    question = next(b for b in by_name["respond"] if isinstance(b, gr.Textbox))
    state = {b._id for name in ("respond", "like", "save_comment") for b in by_name[name] if b is not question}
    missing = state - {b._id for b in reset_outputs}
    assert not missing, [type(b).__name__ for name in by_name for b in by_name[name] if b._id in missing]
    values = ChatHandlers.new_conversation()
    assert len(values) == len(reset_outputs)

    def is_cleared(value: Any) -> bool:
        if isinstance(value, dict) and "__type__" in value:  # gr.update(...): hidden
            return value.get("visible") is False
        if isinstance(value, dict):  # the conversation kept in the browser
            return conv.turns(value) == []
        return value in ([], "", None)

    assert [type(b).__name__ for b, v in zip(reset_outputs, values, strict=True) if not is_cleared(v)] == []


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


def test_references_are_pinpointed_and_name_the_right_code() -> None:
    base: dict[str, Any] = {"doc_id": "cpp-legislatif-l4", "doc_title": "Code de procédure pénale", "kind": "code", "section": None, "quote": "q"}
    c = Citation(**base, article="706-88", version_date="2022-08-15", alinea=6)
    assert reference(c) == "CPP, art. 706-88, al. 6 (version en vigueur au 15/08/2022)"
    other = Citation(**base, article="324-1", version_date=None, role="renvoi", in_corpus=False, code="code pénal")
    assert reference(other) == "code pénal, art. 324-1 (hors du corpus)"


def test_layout_uses_the_summary_when_there_is_one_and_never_needs_it() -> None:
    c = Citation(doc_id="cpp-legislatif-l4", doc_title="Code de procédure pénale", kind="code", article="706-88", section=None,
                 version_date="2022-08-15", quote="la garde à vue peut être prolongée", alinea=1)
    renvoi = Citation(doc_id="cpp-legislatif-l4", doc_title="Code pénal", kind="code", article="421-1", section=None,
                      version_date=None, quote="", role="renvoi", in_corpus=False, code="code pénal")
    without = Answer(answer="**Oui** : selon l'article 706-88.\n\nDétails…", refused=False, citations=[c, renvoi])
    html = answer_html(without, None)
    assert '<div class="cpp-reponse"><h2>Réponse</h2><p>Oui : selon l&#x27;article 706-88.</p></div>' in html
    assert "<h3>Voir aussi</h3><ul><li>code pénal, art. 421-1 (hors du corpus)</li></ul>" in html
    with_summary = Answer(answer="Texte long.", refused=False, citations=[c], summary="Oui (CPP, art. 706-88, al. 1).")
    assert "<p>Oui (CPP, art. 706-88, al. 1).</p>" in answer_html(with_summary, None)
    text = answer_text(without)
    assert text.splitlines()[0] == "Réponse : Oui : selon l'article 706-88."
    assert "- « la garde à vue peut être prolongée » (CPP, art. 706-88, al. 1 (version en vigueur au 15/08/2022))" in text
    assert "Voir aussi : code pénal, art. 421-1 (hors du corpus)" in text
    assert "<" not in text and "**" not in text
