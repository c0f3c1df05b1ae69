"""Audit log and feedback store: one SQLite database (WAL), one record per request, nothing lost under concurrency.

Record-keeping for a high-stakes assistant (EU AI Act, art. 12 and 19): for every request we keep when, who (the
key's hash prefix, never the key), which route, the question according to the privacy mode (stored, hashed or
omitted), the units retrieved, the articles cited, the tools called, whether the answer was a refusal, the latency
and the HTTP status. Feedback (👍/👎 and a comment) is stored with the answer and its citations, one rating per request.

Every write opens its own connection (safe across threads and worker processes) inside a process-wide lock, with a
generous busy timeout for the other processes; a write that still fails raises ``AuditWriteError``: callers report
it, they never swallow it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.answer import Answer
    from assistant.settings import Settings

QuestionMode = Literal["stored", "hashed", "omitted"]
Rating = Literal["up", "down"]
ANONYMOUS = "anonyme"
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    request_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    question TEXT,
    question_mode TEXT NOT NULL,
    retrieved TEXT NOT NULL,
    cited TEXT NOT NULL,
    tool_calls TEXT NOT NULL,
    refused INTEGER,
    generator TEXT
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_request ON audit (request_id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts);
"""
AUDIT_COLUMNS = (
    "id", "ts", "request_id", "key_id", "route", "status", "latency_ms", "question", "question_mode",
    "retrieved", "cited", "tool_calls", "refused", "generator",
)
FEEDBACK_COLUMNS = (
    "id", "ts", "updated_at", "request_id", "source", "rating", "comment", "question", "question_mode",
    "answer", "refused", "citations",
)
_JSON_COLUMNS = {"retrieved", "cited", "tool_calls", "citations"}
_TABLES = {"audit": AUDIT_COLUMNS, "feedback": FEEDBACK_COLUMNS}


class AuditWriteError(AssistantError):
    """The audit log or the feedback store could not be written (disk full, read-only, locked too long)."""

    http_status = 500


def audit_db_path(settings: Settings) -> Path:
    """Where the audit database lives: ``audit_db`` if set, else ``<data_dir>/audit.sqlite3``."""
    return settings.audit_db or settings.data_dir / "audit.sqlite3"


def now_iso() -> str:
    """UTC timestamp with milliseconds, sortable as text: ``2026-11-22T07:30:00.123Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def protect_question(question: str | None, mode: QuestionMode) -> str | None:
    """The question as the privacy mode allows it to be kept."""
    if question is None or mode == "omitted":
        return None
    if mode == "hashed":
        return "sha256:" + hashlib.sha256(question.strip().encode("utf-8")).hexdigest()
    return question


def cited_refs(answer: Answer) -> list[str]:
    """The sources an answer cites, as a reader names them: ``706-88``, ``D15-4-4``, ``circ-…§1.1`` (no duplicates)."""
    out: list[str] = []
    for c in answer.citations:
        if c.role != "source":
            continue
        ref = c.article or (f"{c.doc_id}§{c.section}" if c.section else c.doc_id)
        if ref not in out:
            out.append(ref)
    return out


@dataclass
class AuditEntry:
    """What one request did, filled while it runs (route, caller, then the answer's evidence)."""

    request_id: str
    route: str
    key_id: str = ANONYMOUS
    question: str | None = None
    retrieved: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    refused: bool | None = None
    generator: str | None = None

    def note_answer(self, question: str, answer: Answer) -> None:
        self.question = question
        self.retrieved = [r["unit_id"] for r in answer.retrieved]
        self.cited = cited_refs(answer)
        self.tool_calls = [{"name": t.name, "arguments": t.arguments} for t in answer.tool_calls]
        self.refused = answer.refused
        self.generator = answer.generator

    def note_tool(self, name: str, arguments: dict[str, Any]) -> None:
        self.tool_calls = [{"name": name, "arguments": arguments}]


class AuditLog:
    """The SQLite store of audit records and feedback. Thread- and process-safe; opened lazily."""

    def __init__(self, path: Path, question_mode: QuestionMode = "hashed") -> None:
        self.path = path
        self.question_mode: QuestionMode = question_mode
        self._lock = threading.RLock()
        self._ready = False
        self.failures = 0  # writes that raised since start-up (shown by /health)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        return cls(audit_db_path(settings), settings.audit_questions)

    # -- connections -----------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            yield conn
        finally:
            conn.close()

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Several processes may create the database at once (workers starting together). In rollback-journal mode,
        # before WAL is on, SQLite can answer « locked » at once without waiting (lock upgrade deadlock): retry.
        statements = [part.strip() for part in _SCHEMA.split(";") if part.strip()]
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                with self._connect() as conn:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        for statement in statements:
                            conn.execute(statement)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._ready = True

    def _write(self, sql: str, params: tuple[Any, ...], what: str) -> int:
        try:
            with self._lock:
                self._ensure_schema()
                with self._connect() as conn:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        cur = conn.execute(sql, params)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    return int(cur.lastrowid or 0)
        except (sqlite3.Error, OSError) as exc:
            self.failures += 1
            raise AuditWriteError(f"{what} n'a pas pu être enregistré dans {self.path} : {exc}.") from exc

    # -- writes ----------------------------------------------------------------------------------

    def record(self, entry: AuditEntry, status: int, latency_ms: float) -> int:
        """Write one audit record; raises ``AuditWriteError``."""
        return self._write(
            "INSERT INTO audit (ts, request_id, key_id, route, status, latency_ms, question, question_mode, retrieved, "
            "cited, tool_calls, refused, generator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                now_iso(), entry.request_id, entry.key_id, entry.route, int(status), round(float(latency_ms), 2),
                protect_question(entry.question, self.question_mode), self.question_mode,
                _dumps(entry.retrieved), _dumps(entry.cited), _dumps(entry.tool_calls),
                None if entry.refused is None else int(entry.refused), entry.generator,
            ),
            "L'enregistrement d'audit",
        )

    def save_feedback(
        self, *, request_id: str, rating: Rating, comment: str | None = None, answer: str = "",
        citations: list[dict[str, Any]] | None = None, question: str | None = None, refused: bool | None = None,
        source: str = "ui",
    ) -> bool:
        """Store the one rating of an answer (upsert on ``request_id``): a new rating replaces the previous one in place;
        ``comment`` None keeps the stored comment, "" clears it. Returns True when a rating already existed.
        Raises ``AuditWriteError``."""
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        text = None if comment is None else (comment.strip() or None)
        try:
            with self._lock:
                self._ensure_schema()
                with self._connect() as conn:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        row = conn.execute("SELECT id FROM feedback WHERE request_id = ? ORDER BY id LIMIT 1", (request_id,)).fetchone()
                        if row is not None:
                            conn.execute(
                                "UPDATE feedback SET rating = ?, comment = CASE WHEN ? THEN ? ELSE comment END, updated_at = ?, "
                                "source = ? WHERE id = ?",
                                (rating, comment is not None, text, now_iso(), source, row[0]),
                            )
                        else:
                            conn.execute(
                                "INSERT INTO feedback (ts, request_id, source, rating, comment, question, question_mode, answer, "
                                "refused, citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (
                                    now_iso(), request_id, source, rating, text, protect_question(question, self.question_mode),
                                    self.question_mode, answer, None if refused is None else int(refused), _dumps(citations or []),
                                ),
                            )
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    return row is not None
        except (sqlite3.Error, OSError) as exc:
            self.failures += 1
            raise AuditWriteError(f"L'avis n'a pas pu être enregistré dans {self.path} : {exc}.") from exc

    # -- reads -----------------------------------------------------------------------------------

    def rows(self, table: Literal["audit", "feedback"] = "audit", since: str | None = None) -> list[dict[str, Any]]:
        """Records of ``table`` (oldest first), JSON columns decoded; ``since`` is an ISO date or date-time (UTC)."""
        if table not in _TABLES:
            raise ValueError(f"unknown table {table!r}")
        if not self.path.is_file():
            return []
        with self._lock:
            self._ensure_schema()
        columns = _TABLES[table]
        sql = f"SELECT {', '.join(columns)} FROM {table}"
        params: tuple[Any, ...] = ()
        if since:
            sql += " WHERE ts >= ?"
            params = (normalize_since(since),)
        with self._connect() as conn:
            cur = conn.execute(sql + " ORDER BY id", params)
            out = []
            for row in cur.fetchall():
                d = dict(zip(columns, row, strict=True))
                for key in _JSON_COLUMNS & d.keys():
                    d[key] = json.loads(d[key]) if d[key] else []
                if d.get("refused") is not None:
                    d["refused"] = bool(d["refused"])
                out.append(d)
            return out

    def export(self, out: TextIO, fmt: Literal["jsonl", "csv"] = "jsonl", table: Literal["audit", "feedback"] = "audit",
               since: str | None = None) -> int:
        """Write the records as JSON Lines or CSV (lists as JSON text); returns how many were written."""
        rows = self.rows(table, since)
        if fmt == "jsonl":
            for r in rows:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=list(_TABLES[table]))
            writer.writeheader()
            for r in rows:
                writer.writerow({k: (_dumps(v) if k in _JSON_COLUMNS else v) for k, v in r.items()})
        else:
            raise ValueError(f"unknown format {fmt!r}")
        return len(rows)


def normalize_since(since: str) -> str:
    """``2026-11-01`` or ``2026-11-01T08:00`` (naive = UTC, or with an offset) → the stored timestamp format.

    Raises ``ValueError`` with a French message for anything else.
    """
    s = since.strip()
    try:
        if len(s) == 10:
            dt = datetime.combine(date.fromisoformat(s), datetime.min.time(), tzinfo=UTC)
        else:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
            dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except ValueError as exc:
        raise ValueError(f"date invalide : « {since} » (attendu : AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)") from exc
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


__all__ = ["AuditEntry", "AuditLog", "AuditWriteError", "audit_db_path", "protect_question", "normalize_since"]
