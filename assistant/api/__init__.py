"""The intranet HTTP API (FastAPI): ``create_app(settings)`` is its composition root."""

from assistant.api.app import create_app

__all__ = ["create_app"]
