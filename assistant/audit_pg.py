"""The PostgreSQL store of the audit log and feedback (``CPP_ASSISTANT_DATABASE_URL``), shared by several instances.

Same tables and columns as the SQLite store (``assistant.audit``); the schema is created (or completed) at start,
under an advisory lock so that instances starting together do not race. psycopg 3, one connection per process
(guarded by a lock; reopened after a failure).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import psycopg

log = logging.getLogger("assistant.audit")

SCHEMA_LOCK = 7_242_001  # pg_advisory_xact_lock key: one schema migration at a time

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit (
        id BIGSERIAL PRIMARY KEY,
        ts TEXT NOT NULL,
        request_id TEXT NOT NULL,
        client_request_id TEXT,
        key_id TEXT NOT NULL,
        route TEXT NOT NULL,
        status INTEGER NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        question TEXT,
        question_mode TEXT NOT NULL,
        retrieved TEXT NOT NULL,
        cited TEXT NOT NULL,
        tool_calls TEXT NOT NULL,
        refused INTEGER,
        generator TEXT
    )""",
    "ALTER TABLE audit ADD COLUMN IF NOT EXISTS client_request_id TEXT",
    "CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts)",
    "CREATE INDEX IF NOT EXISTS audit_request ON audit (request_id)",
    """CREATE TABLE IF NOT EXISTS feedback (
        id BIGSERIAL PRIMARY KEY,
        ts TEXT NOT NULL,
        updated_at TEXT,
        request_id TEXT NOT NULL,
        source TEXT NOT NULL,
        rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        comment TEXT,
        question TEXT,
        question_mode TEXT NOT NULL,
        answer TEXT NOT NULL,
        refused INTEGER,
        citations TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts)",
)


def _pg(sql: str) -> str:
    """The project's SQL uses ``?`` placeholders (SQLite); psycopg wants ``%s``."""
    return re.sub(r"\?", "%s", sql)


class PostgresStore:
    kind = "postgresql"
    errors: tuple[type[BaseException], ...] = (psycopg.Error, OSError)

    def __init__(self, url: str, connect_timeout_s: int = 5) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()
        self._ready = False

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, connect_timeout=self.connect_timeout_s, autocommit=False)
        return self._conn

    def _run(self, fn: Any) -> Any:
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction():
                    return fn(conn)
            except psycopg.Error:
                if self._conn is not None and (self._conn.closed or self._conn.broken):
                    self._conn = None
                raise

    def ensure_schema(self) -> None:
        if self._ready:
            return

        def create(conn: psycopg.Connection[Any]) -> None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in _SCHEMA:
                conn.execute(statement)

        self._run(create)
        self._ready = True

    def write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> list[int]:
        self.ensure_schema()
        returning = sql.lstrip().upper().startswith("INSERT")
        statement = _pg(sql) + (" RETURNING id" if returning else "")

        def write(conn: psycopg.Connection[Any]) -> list[int]:
            ids = []
            with conn.cursor() as cur:
                for params in rows:
                    cur.execute(statement, params)
                    ids.append(int(cur.fetchone()[0]) if returning else 0)  # type: ignore[index]
            return ids

        return list(self._run(write))

    def probe(self) -> None:
        self.ensure_schema()
        self._run(lambda conn: conn.execute("SELECT 1"))

    def select(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        self.ensure_schema()
        return list(self._run(lambda conn: conn.execute(_pg(sql), params).fetchall()))
