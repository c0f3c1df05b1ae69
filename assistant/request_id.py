"""The request id of the work in progress (an API request or a chat event): made here, carried by a context variable,
written in every log line (``RequestIdFilter``) and in the audit record."""

from __future__ import annotations

import contextvars
import logging
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a request): use ``%(request_id)s`` in the format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
