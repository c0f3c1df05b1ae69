"""The Gradio chat: questions with cited answers, the two tool forms, feedback. Calls the assistant in-process.

``build_chat(runtime)`` returns the Blocks; ``ui.app.build_app`` mounts them on the API at ``/ui``. Run alone with
``python -m ui.chat`` (loads the index and the model, serves the chat only). Every question and tool use is written
to the audit log like an API request; feedback (👍/👎 under each answer, optional comment) goes to the same database,
and a failed write is shown to the user.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.answer import Answer
from assistant.api.middleware import new_request_id, request_id_var
from assistant.api.runtime import Runtime
from assistant.api.session import session_key_id
from assistant.audit import ANONYMOUS, AuditEntry, AuditWriteError
from assistant.errors import AssistantError
from assistant.normalize import normalize_value
from assistant.tools import DELAI, POLE_INSTRUCTION, run_tool
from assistant.tools.rules import load_delai_rules
from ui.render import answer_message, error_html, esc, ok_html, tool_result_html

log = logging.getLogger("ui.chat")

UI_KEY_ID = "interface-web"
OPTION_SLOTS = 3  # rules have at most one option today; room for a few more
EXAMPLES = [
    "Combien de temps peut durer la garde à vue en matière de terrorisme ?",
    "Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?",
    "Une garde à vue pour terrorisme a commencé le 23 octobre 2026 à 10h : quand prend-elle fin au plus tard ?",
    "Quelles juridictions sont compétentes en matière de terrorisme ?",
    "Que prévoit l'article 706-95-20 ?",
]
INTRO = (
    "## Assistant de procédure pénale\n"
    "Réponses fondées **uniquement** sur le corpus : Livre IV du code de procédure pénale (version au 15 août 2022), "
    "articles D cités (version au 16 avril 2024) et trois circulaires. Chaque réponse cite ses sources mot pour mot ; "
    "ouvrez une source pour lire le texte intégral, passage cité surligné. **Vérifiez toujours les textes cités.**"
)
EMPTY_CHAT = "Posez une question de procédure pénale, ou choisissez un exemple ci-dessous."


def unexpected_error(request_id: str) -> str:
    return f"Erreur interne inattendue : elle a été journalisée. Communiquez l'identifiant {request_id} à l'équipe technique."


class ChatHandlers:
    """The event handlers of the chat, plain methods so that tests can call them without a browser."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- audit ---------------------------------------------------------------------------------------

    def _audited(self, route: str, request: gr.Request | None = None) -> tuple[AuditEntry, float]:
        return AuditEntry(request_id=new_request_id(), route=route, key_id=self._caller(request)[0]), time.perf_counter()

    def _caller(self, request: gr.Request | None) -> tuple[str, str, int | None]:
        """(key id for the audit, rate-limit bucket, the key's own limit) of a chat user: the key of the session
        when keys are configured (``UiGuardMiddleware`` let nobody else in), else the client address."""
        settings = self.runtime.settings
        cookies = dict(getattr(request, "cookies", None) or {}) if request is not None else {}
        if settings.api_key_hashes:
            kid = session_key_id(self.runtime.signer, cookies) or ANONYMOUS
            limit = next((settings.api_key_limits[k] for k in settings.api_key_limits if k.startswith(kid)), None)
            return kid, f"cle:{kid}", limit
        client = getattr(getattr(request, "client", None), "host", None) or "inconnue"
        return UI_KEY_ID, f"adresse:{client}", None

    def _check_rate(self, request: gr.Request | None) -> str | None:
        """A French refusal when the user's rate limit is spent (the chat counts like the API), else None."""
        _, bucket, limit = self._caller(request)
        wait = self.runtime.limiter.acquire(bucket, limit)
        if wait is None:
            return None
        seconds = max(1, math.ceil(wait))
        return f"Trop de requêtes : réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}."

    def _write_audit(self, entry: AuditEntry, status: int, started: float) -> str | None:
        """Write the record; returns a French warning if it failed (shown to the user, never hidden)."""
        try:
            self.runtime.audit.record(entry, status, (time.perf_counter() - started) * 1000)
        except AuditWriteError as exc:
            log.error("%s", exc)
            return f"Attention : {exc}"
        return None

    # -- chat ------------------------------------------------------------------------------------------

    def respond(
        self, message: str, chat: list[dict[str, Any]], history: list[dict[str, str]], answers: dict[str, dict[str, Any]],
        request: gr.Request | None = None,
    ) -> Iterator[tuple[str, list[dict[str, Any]], list[dict[str, str]], dict[str, dict[str, Any]]]]:
        """Answer a question with the conversation so far; yields a « searching » state first."""
        question = (message or "").strip()
        if not question:
            gr.Warning("Écrivez une question avant d'envoyer.")
            yield message, chat, history, answers
            return
        chat = [*chat, {"role": "user", "content": question}, {"role": "assistant", "content": "_Recherche dans le corpus…_"}]
        yield "", chat, history, answers
        answer, entry, error = self._answer(question, history, request)
        if answer is None:
            chat = [*chat[:-1], {"role": "assistant", "content": error_html(error or "Erreur inattendue.")}]
            yield "", chat, history, answers
            return
        catalog = self.runtime.assistant.catalog if self.runtime.assistant else None
        chat = [*chat[:-1], {"role": "assistant", "content": answer_message(answer, catalog)}]
        history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
        answers = {
            **answers,
            str(len(chat) - 1): {
                "request_id": entry.request_id, "question": question, "answer": answer.answer, "refused": answer.refused,
                "citations": [c.to_dict() for c in answer.citations],
            },
        }
        yield "", chat, history, answers

    def _answer(
        self, question: str, history: list[dict[str, str]], request: gr.Request | None = None,
    ) -> tuple[Answer | None, AuditEntry, str | None]:
        """Ask the assistant and write the audit record (one step: the request id stays in the log context).
        Every outcome is recorded with its status; the user sees French messages only, never exception text."""
        entry, started = self._audited("UI question", request)
        entry.question = question
        token = request_id_var.set(entry.request_id)
        answer: Answer | None = None
        refusal = self._check_rate(request)
        if refusal:
            status, error = 429, refusal
        else:
            try:
                answer = self.runtime.ask(question, history, entry)
                status, error = 200, None
            except AssistantError as exc:
                status, error = exc.http_status, str(exc)
            except Exception:
                log.exception("erreur inattendue dans le chat")
                status, error = 500, unexpected_error(entry.request_id)
        try:
            warning = self._write_audit(entry, status, started)
            if warning:
                gr.Warning(warning)
        finally:
            request_id_var.reset(token)
        return answer, entry, error

    @staticmethod
    def new_conversation() -> tuple[list[Any], list[Any], dict[str, Any], str, str, Any, None]:
        return [], [], {}, "", "", gr.update(visible=False), None

    # -- feedback -------------------------------------------------------------------------------------

    def like(self, answers: dict[str, dict[str, Any]], data: gr.LikeData) -> tuple[str, Any, int | None]:
        """Store 👍/👎 for the answer it was given on, with that answer and its citations."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        record = answers.get(str(index))
        if record is None:
            return error_html("Cet avis ne porte pas sur une réponse de l'assistant."), gr.update(visible=False), None
        return self.save_rating(record, "up" if data.liked is True else "down")

    def save_rating(self, record: dict[str, Any], rating: str) -> tuple[str, Any, int | None]:
        try:
            feedback_id = self.runtime.audit.add_feedback(
                request_id=record["request_id"], rating=rating,  # type: ignore[arg-type]
                answer=record["answer"], citations=record["citations"], question=record["question"],
                refused=record["refused"], source="ui",
            )
        except AuditWriteError as exc:
            log.error("%s", exc)
            gr.Warning(f"Votre avis n'a pas été enregistré : {exc}")
            return error_html(f"Votre avis n'a pas été enregistré : {exc} Réessayez ou signalez-le."), gr.update(visible=False), None
        symbol = "👍" if rating == "up" else "👎"
        short = record["question"] if len(record["question"]) <= 80 else record["question"][:77] + "…"
        return (
            ok_html(f"Avis {symbol} enregistré pour la réponse à « {esc(short)} ». Vous pouvez ajouter un commentaire."),
            gr.update(visible=True),
            feedback_id,
        )

    def save_comment(self, feedback_id: int | None, comment: str) -> tuple[str, str]:
        if feedback_id is None:
            return error_html("Cliquez d'abord sur 👍 ou 👎 sous une réponse."), comment
        if not (comment or "").strip():
            return error_html("Le commentaire est vide."), comment
        try:
            self.runtime.audit.set_feedback_comment(feedback_id, comment)
        except AuditWriteError as exc:
            log.error("%s", exc)
            gr.Warning(f"Votre commentaire n'a pas été enregistré : {exc}")
            return error_html(f"Votre commentaire n'a pas été enregistré : {exc} Votre texte est conservé ci-dessous."), comment
        return ok_html("Commentaire enregistré. Merci."), ""

    # -- tools ---------------------------------------------------------------------------------------------

    def run_tool_form(self, tool_id: str, arguments: dict[str, Any], request: gr.Request | None = None) -> str:
        arguments = normalize_value(arguments)
        entry, started = self._audited(f"UI outil {tool_id}", request)
        entry.note_tool(tool_id, arguments)
        token = request_id_var.set(entry.request_id)
        status = 500
        html = error_html(unexpected_error(entry.request_id))
        try:
            refusal = self._check_rate(request)
            if refusal:
                status, html = 429, error_html(refusal)
            else:
                catalog = self.runtime.require_assistant().catalog
                result = run_tool(catalog, tool_id, arguments)
                html = tool_result_html(tool_id, result)
                status = 200
        except AssistantError as exc:
            status = exc.http_status
            html = error_html(str(exc))
        except Exception:
            log.exception("erreur inattendue dans un formulaire du chat")
        finally:
            warning = self._write_audit(entry, status, started)
            request_id_var.reset(token)
        return html + (error_html(warning) if warning else "")

    def find_pole(self, tribunal: str | None, request: gr.Request | None = None) -> str:
        if not (tribunal or "").strip():
            return error_html("Choisissez ou tapez le nom d'un tribunal judiciaire.")
        return self.run_tool_form(POLE_INSTRUCTION, {"tribunal": tribunal.strip()}, request)  # type: ignore[union-attr]

    def compute_delai(self, rule_id: str | None, start: str, *option_values: str | None, request: gr.Request | None = None) -> str:
        if not rule_id:
            return error_html("Choisissez une règle de délai.")
        rule = load_delai_rules().get(rule_id)
        if rule is None:
            return error_html(f"Règle de délai inconnue : « {rule_id} ».")
        args: dict[str, Any] = {"rule": rule_id}
        if (start or "").strip():
            args["start"] = start.strip()
        for option, value in zip(rule.options, option_values, strict=False):
            if value in (None, ""):
                continue
            args[option.name] = (value == "true") if option.type == "bool" else value
        return self.run_tool_form(DELAI, args, request)

    def rule_selected(self, rule_id: str | None) -> list[Any]:
        """Describe the chosen rule and show one dropdown per option it takes."""
        rule = load_delai_rules().get(rule_id or "")
        if rule is None:
            return ["", *[gr.update(visible=False, value=None) for _ in range(OPTION_SLOTS)]]
        lines = [f"**{rule.label}**", "", rule.summary]
        if rule.needs_start:
            lines += ["", f"Point de départ : **{rule.start}**" + (" (date **et heure**)" if rule.needs_time else "") + "."]
        updates = []
        for i in range(OPTION_SLOTS):
            if i < len(rule.options):
                o = rule.options[i]
                choices = list(o.choices) if o.type != "bool" or o.choices else [("true", "oui"), ("false", "non")]
                updates.append(gr.update(
                    visible=True, label=o.label, value="",
                    choices=[("— non précisé —", "")] + [(label, value) for value, label in choices],
                ))
            else:
                updates.append(gr.update(visible=False, value=None))
        return ["\n".join(lines), *updates]

    def tribunal_choices(self) -> Any:
        assistant = self.runtime.assistant
        if assistant is None and self.runtime.wait_ready(timeout=30):
            assistant = self.runtime.assistant
        if assistant is None:
            return gr.update()
        names = sorted({t for p in assistant.catalog.poles for t in p.tribunaux}, key=lambda s: s.casefold())
        return gr.update(choices=names)


def rule_choices() -> list[tuple[str, str]]:
    rules = sorted(load_delai_rules().values(), key=lambda r: (r.category.casefold(), r.label.casefold()))
    return [(r.label if r.label.casefold().startswith(r.category.casefold()) else f"{r.category} — {r.label}", r.id) for r in rules]


def build_chat(runtime: Runtime) -> gr.Blocks:
    """The chat page (French), wired to ``runtime``."""
    h = ChatHandlers(runtime)

    def compute_delai_event(
        rule_id: str | None, start_text: str, o1: str | None, o2: str | None, o3: str | None, request: gr.Request,
    ) -> str:  # gr.Request is injected for positional parameters only (compute_delai takes *options)
        return h.compute_delai(rule_id, start_text, o1, o2, o3, request=request)

    with gr.Blocks(title="Assistant de procédure pénale", analytics_enabled=False, fill_width=True) as demo:
        gr.Markdown(INTRO)
        history = gr.State([])
        answers = gr.State({})
        feedback_id = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=480):
                chatbot = gr.Chatbot(
                    label="Conversation", height=640, placeholder=EMPTY_CHAT, buttons=["copy"],
                    feedback_options=("Like", "Dislike"), latex_delimiters=[], elem_id="cpp-chat",
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Votre question", placeholder="Ex. : Combien de temps peut durer la garde à vue en matière de terrorisme ?",
                        lines=2, max_lines=8, scale=5, elem_id="cpp-question", max_length=4000,
                    )
                    with gr.Column(scale=1, min_width=160):
                        send = gr.Button("Envoyer", variant="primary", elem_id="cpp-send")
                        reset = gr.Button("Nouvelle conversation", elem_id="cpp-reset")
                gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Exemples de questions")
                gr.Markdown("**Votre avis** : sous chaque réponse, cliquez sur 👍 (utile) ou 👎 (à revoir) ; vous pourrez ensuite ajouter un commentaire.")
                feedback_info = gr.HTML(elem_id="cpp-feedback-info")
                with gr.Group(visible=False) as comment_group:
                    comment = gr.Textbox(label="Commentaire (facultatif)", lines=2, placeholder="Ce qui manque, ce qui est inexact…")
                    save_comment = gr.Button("Enregistrer le commentaire", size="sm")
            with gr.Column(scale=2, min_width=360):
                with gr.Accordion("Pôle de l'instruction", open=True, elem_id="cpp-pole-form"):
                    gr.Markdown("Tribunal judiciaire → pôle de l'instruction et cour d'appel (tableau de l'article D. 15-4-4).")
                    tribunal = gr.Dropdown(
                        label="Tribunal judiciaire", choices=[], value=None, allow_custom_value=True, filterable=True, elem_id="cpp-tribunal",
                    )
                    pole_button = gr.Button("Trouver le pôle", elem_id="cpp-pole-button")
                    pole_result = gr.HTML(elem_id="cpp-pole-result")
                with gr.Accordion("Calcul de délai", open=True, elem_id="cpp-delai-form"):
                    rule = gr.Dropdown(label="Règle de délai", choices=rule_choices(), value=None, filterable=True, elem_id="cpp-rule")
                    rule_info = gr.Markdown()
                    start = gr.Textbox(
                        label="Date et heure de départ", placeholder="23/10/2026 10:00 ou « 23 octobre 2026 à 10h »", elem_id="cpp-start",
                    )
                    options = [gr.Dropdown(visible=False, label=f"Option {i + 1}", choices=[]) for i in range(OPTION_SLOTS)]
                    delai_button = gr.Button("Calculer le délai", elem_id="cpp-delai-button")
                    delai_result = gr.HTML(elem_id="cpp-delai-result")

        chat_in, chat_out = [question, chatbot, history, answers], [question, chatbot, history, answers]
        send.click(h.respond, inputs=chat_in, outputs=chat_out)
        question.submit(h.respond, inputs=chat_in, outputs=chat_out)
        reset_outputs = [chatbot, history, answers, feedback_info, comment, comment_group, feedback_id]
        reset.click(h.new_conversation, outputs=reset_outputs)
        chatbot.clear(h.new_conversation, outputs=reset_outputs)  # the chatbot's own trash button: forget the history too
        chatbot.like(h.like, inputs=[answers], outputs=[feedback_info, comment_group, feedback_id])
        save_comment.click(h.save_comment, inputs=[feedback_id, comment], outputs=[feedback_info, comment])
        pole_button.click(h.find_pole, inputs=[tribunal], outputs=[pole_result])
        rule.change(h.rule_selected, inputs=[rule], outputs=[rule_info, *options])
        delai_button.click(compute_delai_event, inputs=[rule, start, *options], outputs=[delai_result])
        demo.load(h.tribunal_choices, outputs=[tribunal])
    demo.queue(default_concurrency_limit=runtime.settings.answer_concurrency)
    return demo


def main() -> None:
    """Serve the chat alone (no HTTP API): ``python -m ui.chat``."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.settings import Settings
    from ui.render import CSS

    runtime = Runtime(Settings())
    runtime.start_loading()
    build_chat(runtime).launch(server_name="127.0.0.1", css=CSS, theme=chat_theme(), footer_links=[])


def chat_theme() -> gr.themes.Base:
    """The default theme with system fonts only (no web font fetched from the Internet)."""
    return gr.themes.Default(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


if __name__ == "__main__":
    main()
