"""The Gradio chat: questions with cited answers, the two tool forms, feedback, the conversation kept in the browser.

``build_chat(runtime)`` returns the Blocks; ``ui.app.build_app`` mounts them on the API at ``/ui``. Run alone with
``python -m ui.chat`` (loads the index and the model, serves the chat only). Every question and tool use is written
to the audit log like an API request; feedback (👍/👎 under each answer, then an optional comment) goes to the same
database, one rating per answer. The conversation lives in the browser's localStorage (``gr.BrowserState``): it
survives a reload, nothing of it is kept on the server, « Nouvelle conversation » clears it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any, Protocol

import gradio as gr

from assistant.answer import Answer
from assistant.audit import ANONYMOUS, AuditEntry, AuditWriteError
from assistant.errors import AssistantError
from assistant.french import ABBREVIATIONS, fold_accents
from assistant.normalize import normalize_value
from assistant.request_id import new_request_id, request_id_var
from assistant.runtime import Runtime
from assistant.tools import DELAI, POLE_INSTRUCTION, run_tool
from assistant.tools.rules import load_delai_rules
from ui import conversation as conv
from ui.render import error_html, ok_html, tool_result_html

log = logging.getLogger("ui.chat")

UI_KEY_ID = "interface-web"
OPTION_SLOTS = 3  # rules have at most one option today; room for a few more
STORAGE_KEY = "cpp-assistant-conversation"
# The browser's copy of the conversation is encrypted with this key by Gradio; it only has to stay the same across
# server restarts (the data never leaves the user's own browser, it is not a secret of the server).
STORAGE_SECRET = "cpp-assistant-conversation-v1"
EXAMPLES = [
    "Combien de temps peut durer la garde à vue en matière de terrorisme ?",
    "Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?",
    "Une garde à vue pour terrorisme a commencé le 23 octobre 2026 à 10h : quand prend-elle fin au plus tard ?",
    "Quelles juridictions sont compétentes en matière de terrorisme ?",
    "Que prévoit l'article 706-95-20 ?",
]
INTRO = (
    "# Assistant de procédure pénale\n"
    "Réponses fondées **uniquement** sur le corpus : Livre IV du code de procédure pénale (version au 15 août 2022), "
    "articles D cités (version au 16 avril 2024) et trois circulaires. Chaque réponse cite ses sources mot pour mot ; "
    "ouvrez une source pour lire le texte intégral, passage cité surligné. **Vérifiez toujours les textes cités.**"
)
EMPTY_CHAT = "Posez une question de procédure pénale, ou choisissez un exemple ci-dessous."
QUESTION_PLACEHOLDER = "Votre question (Entrée pour envoyer, Maj+Entrée pour aller à la ligne)"
FEEDBACK_FAILED = "Votre avis n'a pas été enregistré (base d'audit indisponible). Réessayez dans un instant ou signalez-le."
COMMENT_FAILED = "Votre commentaire n'a pas été enregistré (base d'audit indisponible). Votre texte est conservé ci-dessous."
AUDIT_FAILED = "Attention : cette requête n'a pas pu être inscrite au journal d'audit. Signalez-le à l'administrateur."

# The « Copier » button under each answer copies its clean text (the hidden element next to it), not the message's HTML.
HEAD = """<script>
document.addEventListener("click", async (event) => {
  const button = event.target.closest ? event.target.closest("button.cpp-copy") : null;
  if (!button) return;
  const source = button.parentElement ? button.parentElement.querySelector(".cpp-copy-text") : null;
  const text = source ? source.textContent : "";
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const area = document.createElement("textarea");
    area.value = text; area.style.position = "fixed"; area.style.left = "-9999px";
    document.body.appendChild(area); area.select(); document.execCommand("copy"); area.remove();
  }
  button.textContent = "Copié ✓";
  setTimeout(() => { button.textContent = "Copier"; }, 1500);
});
</script>"""
FOCUS_QUESTION_JS = "() => { document.querySelector('#cpp-question textarea')?.focus(); }"

Conversation = dict[str, Any]


class ChatGuards(Protocol):
    """What the chat uses of the API's access rules (``assistant.api.security.Guards``, ``app.state.guards``)."""

    def acquire(self, bucket: str, per_minute: int | None = None) -> float | None: ...

    def session_key_id(self, cookies: dict[str, Any] | None) -> str | None: ...


def unexpected_error(request_id: str) -> str:
    return f"Erreur interne inattendue : elle a été journalisée. Communiquez l'identifiant {request_id} à l'équipe technique."


class ChatHandlers:
    """The event handlers of the chat, plain methods so that tests can call them without a browser."""

    def __init__(self, runtime: Runtime, guards: ChatGuards | None = None) -> None:
        """``guards``: the API's keys, sessions and rate limit; None (tests) = no session, no rate limit."""
        self.runtime = runtime
        self.guards = guards

    @property
    def catalog(self) -> Any:
        return self.runtime.assistant.catalog if self.runtime.assistant else None

    # -- audit ---------------------------------------------------------------------------------------

    def _audited(self, route: str, request: gr.Request | None = None) -> tuple[AuditEntry, float]:
        return AuditEntry(request_id=new_request_id(), route=route, key_id=self._caller(request)[0]), time.perf_counter()

    def _caller(self, request: gr.Request | None) -> tuple[str, str, int | None]:
        """(key id for the audit, rate-limit bucket, the key's own limit) of a chat user: the key of the session
        when keys are configured (``UiGuardMiddleware`` let nobody else in), else the client address."""
        settings = self.runtime.settings
        cookies = dict(getattr(request, "cookies", None) or {}) if request is not None else {}
        if settings.api_key_hashes:
            kid = (self.guards.session_key_id(cookies) if self.guards else None) or ANONYMOUS
            limit = next((settings.api_key_limits[k] for k in settings.api_key_limits if k.startswith(kid)), None)
            return kid, f"cle:{kid}", limit
        client = getattr(getattr(request, "client", None), "host", None) or "inconnue"
        return UI_KEY_ID, f"adresse:{client}", None

    def _check_rate(self, request: gr.Request | None) -> str | None:
        """A French refusal when the user's rate limit is spent (the chat counts like the API), else None."""
        _, bucket, limit = self._caller(request)
        wait = self.guards.acquire(bucket, limit) if self.guards else None
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
            return AUDIT_FAILED
        return None

    # -- chat ------------------------------------------------------------------------------------------

    def chat_update(self, conversation: Conversation) -> Any:
        return gr.update(value=conv.messages(conversation, self.catalog), feedback_value=conv.feedback_values(conversation))

    def export_update(self, conversation: Conversation) -> Any:
        path = conv.export_docx(conversation, self.catalog)
        return gr.update(value=str(path) if path else None, visible=path is not None)

    def respond(self, message: str, conversation: Conversation, request: gr.Request | None = None) -> Iterator[tuple[Any, ...]]:
        """Answer a question with the conversation so far. Yields the question alone first (Gradio shows its pending
        indicator: no answer, so nothing to rate yet), then the conversation with the answer."""
        question = (message or "").strip()
        if not question:
            gr.Warning("Écrivez une question avant d'envoyer.")
            yield message, gr.update(), conversation, gr.update(), gr.update()
            return
        pending = conv.messages(conversation, self.catalog) + [{"role": "user", "content": question}]
        yield "", gr.update(value=pending), conversation, gr.update(), gr.update(visible=False)
        answer, entry, error = self._answer(question, conv.history(conversation), request)
        turn = conv.answer_turn(question, answer, entry.request_id) if answer is not None else conv.error_turn(question, error or "")
        conversation = {"turns": [*conv.turns(conversation), turn]}
        yield "", self.chat_update(conversation), conversation, self.export_update(conversation), gr.update(visible=False)

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

    def restore(self, conversation: Conversation) -> tuple[Any, Any]:
        """On page load: the conversation kept by this browser."""
        return self.chat_update(conversation), self.export_update(conversation)

    @staticmethod
    def new_conversation() -> tuple[Any, ...]:
        return [], conv.empty(), gr.update(value=None, visible=False), gr.update(visible=False), "", "", None

    # -- feedback -------------------------------------------------------------------------------------

    def like(self, conversation: Conversation, data: gr.LikeData) -> tuple[Any, ...]:
        """Store the 👍/👎 of an answer (one per answer: a new click replaces the previous rating), show it under the
        rated message and open the comment box for it."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        items = conv.turns(conversation)
        turn_index = index // 2
        turn = items[turn_index] if 0 <= turn_index < len(items) and index % 2 == 1 else None
        answer = conv.answer_of(turn) if turn else None
        unchanged = self.chat_update(conversation), conversation, gr.update(visible=False), gr.update(), "", None, gr.update()
        if turn is None or answer is None:
            gr.Warning("Cet avis ne porte pas sur une réponse de l'assistant.")
            return unchanged
        if data.liked not in (True, False):  # a click that unselects: the rating stays (one per answer), shown again
            return unchanged
        rating = "up" if data.liked else "down"
        try:
            self.runtime.audit.save_feedback(
                request_id=turn["request_id"], rating=rating, answer=answer.answer, question=turn["question"],  # type: ignore[arg-type]
                citations=[c.to_dict() for c in answer.citations], refused=answer.refused, source="ui",
            )
        except AuditWriteError as exc:
            log.error("%s", exc)
            gr.Warning(FEEDBACK_FAILED)
            return unchanged
        items[turn_index] = {**turn, "rating": rating}
        conversation = {"turns": items}
        short = turn["question"] if len(turn["question"]) <= 80 else turn["question"][:77] + "…"
        label = f"Commentaire sur la réponse à « {short} » (facultatif)"
        return (
            self.chat_update(conversation), conversation, gr.update(visible=True),
            gr.update(label=label, value=turn.get("comment") or ""), "", turn_index, self.export_update(conversation),
        )

    def save_comment(self, conversation: Conversation, turn_index: int | None, comment: str) -> tuple[Any, ...]:
        items = conv.turns(conversation)
        turn = items[turn_index] if turn_index is not None and 0 <= turn_index < len(items) else None
        if turn is None or turn.get("rating") not in conv.RATING_SYMBOL:
            return gr.update(), conversation, error_html("Cliquez d'abord sur 👍 ou 👎 sous une réponse."), comment, gr.update()
        if not (comment or "").strip():
            return gr.update(), conversation, error_html("Le commentaire est vide."), comment, gr.update()
        try:
            self.runtime.audit.save_feedback(request_id=turn["request_id"], rating=turn["rating"], comment=comment, source="ui")
        except AuditWriteError as exc:
            log.error("%s", exc)
            return gr.update(), conversation, error_html(COMMENT_FAILED), comment, gr.update()
        items[turn_index] = {**turn, "comment": comment.strip()}  # type: ignore[index]
        conversation = {"turns": items}
        return (
            self.chat_update(conversation), conversation, ok_html("Commentaire enregistré. Merci."), comment,
            self.export_update(conversation),
        )

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


def rule_label(label: str, category: str) -> str:
    """The dropdown label of a rule, with the abbreviations the chat knows (« GAV », « MAE ») so that typing them finds it."""
    text = label if label.casefold().startswith(category.casefold()) else f"{category} — {label}"
    folded = fold_accents(text).casefold()
    abbreviations = [
        short.upper() for short, words in ABBREVIATIONS.items()
        if " " not in short and len(words.split()) > 1 and fold_accents(words).casefold() in folded
        and short.upper() not in text
    ]
    return f"{text} ({', '.join(abbreviations)})" if abbreviations else text


def rule_choices() -> list[tuple[str, str]]:
    rules = sorted(load_delai_rules().values(), key=lambda r: (r.category.casefold(), r.label.casefold()))
    return [(rule_label(r.label, r.category), r.id) for r in rules]


def build_chat(runtime: Runtime, guards: ChatGuards | None = None) -> gr.Blocks:
    """The chat page (French), wired to ``runtime`` and the API's ``guards``."""
    h = ChatHandlers(runtime, guards)

    def compute_delai_event(
        rule_id: str | None, start_text: str, o1: str | None, o2: str | None, o3: str | None, request: gr.Request,
    ) -> str:  # gr.Request is injected for positional parameters only (compute_delai takes *options)
        return h.compute_delai(rule_id, start_text, o1, o2, o3, request=request)

    # delete_cache: the Word exports Gradio copies into its cache are dropped after two hours.
    with gr.Blocks(title="Assistant de procédure pénale", analytics_enabled=False, fill_width=True, delete_cache=(3600, 7200)) as demo:
        gr.Markdown(INTRO, elem_id="cpp-intro")
        conversation = gr.BrowserState(conv.empty(), storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
        rated = gr.State(None)
        with gr.Tabs(elem_id="cpp-tabs"):
            with gr.Tab("Conversation", id="chat", elem_id="cpp-tab-chat"):
                chatbot = gr.Chatbot(
                    label="Conversation", height="70vh", min_height=320, placeholder=EMPTY_CHAT, buttons=[],
                    feedback_options=("Like", "Dislike"), latex_delimiters=[], elem_id="cpp-chat", autoscroll=True,
                )
                with gr.Group(visible=False, elem_id="cpp-comment") as comment_group:
                    comment = gr.Textbox(label="Commentaire (facultatif)", lines=2, placeholder="Ce qui manque, ce qui est inexact…", elem_id="cpp-comment-text")
                    save_comment = gr.Button("Enregistrer le commentaire", size="sm", elem_id="cpp-comment-save")
                    feedback_info = gr.HTML(elem_id="cpp-feedback-info")
                with gr.Row(equal_height=False):
                    question = gr.Textbox(
                        label="Votre question", placeholder=QUESTION_PLACEHOLDER, lines=1, max_lines=8, scale=5,
                        elem_id="cpp-question", max_length=4000,
                    )
                    with gr.Column(scale=1, min_width=180):
                        send = gr.Button("Envoyer", variant="primary", elem_id="cpp-send")
                        reset = gr.Button("Nouvelle conversation", elem_id="cpp-reset")
                        export = gr.DownloadButton("Exporter la conversation (.docx)", visible=False, elem_id="cpp-export")
                gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Exemples de questions")
                gr.Markdown(
                    "**Votre avis** : sous chaque réponse, cliquez sur 👍 (utile) ou 👎 (à revoir) ; un nouveau clic remplace "
                    "votre avis. La conversation reste dans ce navigateur (rien n'est conservé sur le serveur) ; "
                    "« Nouvelle conversation » l'efface."
                )
            # Short tab labels: the three tabs fit on a 375 px phone screen, at the top of the page.
            with gr.Tab("Pôle", id="pole", elem_id="cpp-tab-pole"):
                gr.Markdown(
                    "## Pôle de l'instruction\nTribunal judiciaire → pôle de l'instruction et cour d'appel (tableau de l'article D. 15-4-4)."
                )
                tribunal = gr.Dropdown(
                    label="Tribunal judiciaire", choices=[], value=None, allow_custom_value=True, filterable=True, elem_id="cpp-tribunal",
                )
                pole_button = gr.Button("Trouver le pôle", elem_id="cpp-pole-button")
                pole_result = gr.HTML(elem_id="cpp-pole-result")
            with gr.Tab("Délai", id="delai", elem_id="cpp-tab-delai"):
                gr.Markdown("## Calcul de délai\nUne règle, une date de départ : les échéances, les étapes du calcul et leur fondement.")
                rule = gr.Dropdown(
                    label="Règle de délai (tapez un mot ou une abréviation : gav, mae…)", choices=rule_choices(), value=None,
                    filterable=True, elem_id="cpp-rule",
                )
                rule_info = gr.Markdown()
                start = gr.Textbox(
                    label="Date et heure de départ", placeholder="23/10/2026 10:00 ou « 23 octobre 2026 à 10h »", elem_id="cpp-start",
                )
                options = [gr.Dropdown(visible=False, label=f"Option {i + 1}", choices=[]) for i in range(OPTION_SLOTS)]
                delai_button = gr.Button("Calculer le délai", elem_id="cpp-delai-button")
                delai_result = gr.HTML(elem_id="cpp-delai-result")

        chat_out = [question, chatbot, conversation, export, comment_group]
        for trigger in (send.click, question.submit):
            trigger(h.respond, inputs=[question, conversation], outputs=chat_out).then(None, js=FOCUS_QUESTION_JS)
        reset_outputs = [chatbot, conversation, export, comment_group, comment, feedback_info, rated]
        reset.click(h.new_conversation, outputs=reset_outputs).then(None, js=FOCUS_QUESTION_JS)
        # The export carries the ratings and comments too: both handlers rebuild it.
        chatbot.like(h.like, inputs=[conversation], outputs=[chatbot, conversation, comment_group, comment, feedback_info, rated, export])
        save_comment.click(h.save_comment, inputs=[conversation, rated, comment], outputs=[chatbot, conversation, feedback_info, comment, export])
        pole_button.click(h.find_pole, inputs=[tribunal], outputs=[pole_result])
        rule.change(h.rule_selected, inputs=[rule], outputs=[rule_info, *options])
        delai_button.click(compute_delai_event, inputs=[rule, start, *options], outputs=[delai_result])
        demo.load(h.restore, inputs=[conversation], outputs=[chatbot, export])
        demo.load(h.tribunal_choices, outputs=[tribunal])
    demo.queue(default_concurrency_limit=runtime.settings.answer_concurrency)
    return demo


def main() -> None:
    """Serve the chat alone (no HTTP API): ``python -m ui.chat``."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.api import create_app
    from assistant.settings import Settings
    from ui.render import CSS

    api = create_app(Settings())  # not served: the runtime and the access rules the chat shares with the API
    runtime = api.state.runtime
    runtime.start_loading()
    build_chat(runtime, api.state.guards).launch(server_name="127.0.0.1", css=CSS, head=HEAD, theme=chat_theme(), footer_links=[])


def chat_theme() -> gr.themes.Base:
    """The default theme with system fonts only (no web font fetched from the Internet) and a primary colour dark
    enough for white text in both colour schemes (contrast ≥ 4.5:1)."""
    return gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    ).set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        button_primary_text_color="white",
        button_primary_text_color_dark="white",
        button_primary_border_color="*primary_700",
        button_primary_border_color_dark="*primary_700",
    )


if __name__ == "__main__":
    main()
