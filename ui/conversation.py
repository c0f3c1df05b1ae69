"""The conversation a browser keeps (localStorage, through ``gr.BrowserState``) and what is built from it: the chat
messages, the history the assistant needs for follow-ups, and the Word export.

A conversation is a JSON-able dict ``{"turns": [...]}``; each turn holds the question and either the structured answer
(``Answer.to_dict()`` without the retrieval details, plus ``request_id``, ``rating`` and ``comment``) or an ``error``
(a French message; such a turn cannot be rated). Nothing of it is kept on the server.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.models import Citation
from ui.render import answer_html, answer_text, error_html, esc, headline, reference, tool_text

RATING_SYMBOL = {"up": "👍", "down": "👎"}
EXPORT_DIR = Path(tempfile.gettempdir()) / "cpp-assistant-exports"
KEPT_ANSWER_FIELDS = ("answer", "refused", "citations", "tool_calls", "summary", "degraded", "generator")


def empty() -> dict[str, Any]:
    return {"turns": []}


def turns(conversation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The turns of a stored conversation; anything malformed (an old or tampered value) counts as empty."""
    if not isinstance(conversation, dict) or not isinstance(conversation.get("turns"), list):
        return []
    return [t for t in conversation["turns"] if isinstance(t, dict) and isinstance(t.get("question"), str)]


def answer_turn(question: str, answer: Answer, request_id: str) -> dict[str, Any]:
    data = answer.to_dict()
    return {
        "question": question, "request_id": request_id, "rating": None, "comment": None,
        "answer": {k: data[k] for k in KEPT_ANSWER_FIELDS},
    }


def error_turn(question: str, message: str) -> dict[str, Any]:
    return {"question": question, "error": message}


def answer_of(turn: dict[str, Any]) -> Answer | None:
    """The ``Answer`` of a stored turn (None for an error turn or a value that does not parse)."""
    data = turn.get("answer")
    if not isinstance(data, dict):
        return None
    try:
        citations = [Citation(**{**c, "hierarchy": tuple(c.get("hierarchy", ()))}) for c in data.get("citations", [])]
        tools = [ToolUse(t["name"], t.get("arguments", {}), t.get("result", {})) for t in data.get("tool_calls", [])]
        return Answer(
            answer=str(data.get("answer", "")), refused=bool(data.get("refused")), citations=citations, tool_calls=tools,
            summary=data.get("summary"), degraded=data.get("degraded"), generator=str(data.get("generator", "extractive")),
        )
    except (TypeError, KeyError):
        return None


def history(conversation: dict[str, Any]) -> list[dict[str, str]]:
    """The conversation as the assistant reads it for follow-up questions (answered turns only)."""
    out: list[dict[str, str]] = []
    for t in turns(conversation):
        answer = answer_of(t)
        if answer is not None:
            out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": answer.answer}]
    return out


def actions_html(index: int, turn: dict[str, Any], answer: Answer) -> str:
    """Under an answer: the « Copier » button, with the clean text it copies in a hidden element next to it (the chat
    sanitizes data attributes away; line breaks as character references keep the HTML on one line), and the
    confirmation of the rating given to it, if any."""
    text = esc(answer_text(answer)).replace("\n", "&#10;")
    parts = [
        '<div class="cpp-actions"><button type="button" class="cpp-copy">Copier</button>'
        f'<span class="cpp-copy-text">{text}</span>'
    ]
    rating = turn.get("rating")
    if rating in RATING_SYMBOL:
        note = f"Votre avis {RATING_SYMBOL[rating]} est enregistré"
        note += " avec votre commentaire." if turn.get("comment") else "."
        parts.append(f'<span class="cpp-rated" id="cpp-rated-{index}">{esc(note)}</span>')
    parts.append("</div>")
    return "".join(parts)


def messages(conversation: dict[str, Any], catalog: Catalog | None) -> list[dict[str, Any]]:
    """The chat messages (user / assistant alternate: the answer to turn i is message 2i+1)."""
    out: list[dict[str, Any]] = []
    for i, t in enumerate(turns(conversation)):
        out.append({"role": "user", "content": t["question"]})
        answer = answer_of(t)
        if answer is None:
            out.append({"role": "assistant", "content": error_html(str(t.get("error") or "Réponse indisponible."))})
        else:
            out.append({"role": "assistant", "content": answer_html(answer, catalog, actions_html(i, t, answer))})
    return out


def feedback_values(conversation: dict[str, Any]) -> list[str | None]:
    """The rating shown as selected under each assistant message (Gradio's ``feedback_value``)."""
    names = {"up": "Like", "down": "Dislike"}
    return [names.get(str(t.get("rating"))) for t in turns(conversation)]


# -- Word export ---------------------------------------------------------------------------------------------


def corpus_line(catalog: Catalog | None) -> str:
    if catalog is None:
        return "Corpus : non chargé."
    docs = [
        f"{d.title.split(' : ')[0].split(' (')[0] if d.kind == 'code' else d.short_title}"
        f" (version {'du ' + d.version_label if d.version_date else d.version_label})"
        for d in catalog.documents
    ]
    return "Corpus : " + " ; ".join(docs) + "."


def export_docx(conversation: dict[str, Any], catalog: Catalog | None, directory: Path | None = None) -> Path | None:
    """The conversation as a Word document: every question, answer, quote, reference with its version date, the tool
    results; the corpus versions in the page header. None when there is nothing to export."""
    from docx import Document
    from docx.shared import Pt

    items = turns(conversation)
    if not items:
        return None
    doc = Document()
    doc.core_properties.title = "Conversation avec l'assistant de procédure pénale"
    doc.core_properties.language = "fr-FR"
    header = doc.sections[0].header.paragraphs[0]
    header.text = corpus_line(catalog)
    for run in header.runs:
        run.font.size = Pt(8)
    doc.add_heading("Conversation avec l'assistant de procédure pénale", level=1)
    doc.add_paragraph(
        f"Exportée le {datetime.now().strftime('%d/%m/%Y à %H:%M')}. Réponses fondées uniquement sur le corpus ; "
        "vérifiez toujours les textes cités."
    )
    for n, t in enumerate(items, start=1):
        doc.add_heading(f"Question {n}", level=2)
        doc.add_paragraph(t["question"])
        answer = answer_of(t)
        if answer is None:
            doc.add_paragraph(str(t.get("error") or "Réponse indisponible."))
            continue
        doc.add_heading("Réponse", level=3)
        doc.add_paragraph(headline(answer) or "—")
        sources = [c for c in answer.citations if c.role == "source" and c.quote]
        if sources:
            doc.add_heading("Fondement", level=3)
            for c in sources:
                p = doc.add_paragraph(style="List Bullet")
                p.add_run(f"« {c.quote} » ")
                p.add_run(f"({reference(c)})").bold = True
        renvois = list(dict.fromkeys(reference(c) for c in answer.citations if c.role == "renvoi"))
        if renvois:
            doc.add_heading("Voir aussi", level=3)
            for ref in renvois:
                doc.add_paragraph(ref, style="List Bullet")
        for tool in answer.tool_calls:
            doc.add_heading("Résultat de l'outil", level=3)
            for line in tool_text(tool):
                doc.add_paragraph(line)
        if t.get("rating") in RATING_SYMBOL:
            comment = f" — « {t['comment']} »" if t.get("comment") else ""
            doc.add_paragraph(f"Votre avis : {RATING_SYMBOL[t['rating']]}{comment}")
    if directory is None:
        directory = EXPORT_DIR / uuid.uuid4().hex  # one folder per export: the file keeps its readable name
        _purge_old_exports()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"conversation-{datetime.now().strftime('%Y-%m-%d-%H%M')}.docx"
    doc.save(str(path))
    return path


def _purge_old_exports(max_age_s: float = 3600) -> None:
    """Exports are rebuilt after every answer: drop those older than an hour (Gradio serves its own copy)."""
    if not EXPORT_DIR.is_dir():
        return
    limit = time.time() - max_age_s
    for folder in EXPORT_DIR.iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
