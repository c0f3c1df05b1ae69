"""Composition of the two front doors: the HTTP API with the Gradio chat mounted at ``/ui`` (same process, same assistant).

``build_app(settings)`` is what ``cpp-assistant serve`` runs (through ``create_server_app``, a uvicorn factory).
The composition lives here so that ``assistant`` never imports ``ui``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from assistant.api import create_app
from assistant.chain import Assistant
from assistant.settings import Settings

UI_PATH = "/ui"


def build_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The API, plus the chat at ``/ui`` unless ``settings.ui_enabled`` is false."""
    app = create_app(settings, assistant=assistant)
    if settings.ui_enabled:
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        import gradio as gr

        from ui.chat import HEAD, build_chat, chat_theme
        from ui.render import CSS

        blocks = build_chat(app.state.runtime, app.state.guards)
        gr.mount_gradio_app(
            app, blocks, path=UI_PATH, css=CSS, theme=chat_theme(), footer_links=[], run_history=False,
            show_error=False, ssr_mode=False, mcp_server=False, head=HEAD, max_file_size="1kb",
        )
    return app


def create_server_app() -> FastAPI:
    """Uvicorn factory (``ui.app:create_server_app``): settings read once from the environment."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return build_app(Settings())
