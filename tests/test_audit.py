"""The audit log and feedback store: privacy modes, nothing lost under concurrent writers, export, failures raised."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.audit import AuditEntry, AuditLog, AuditWriteError, normalize_since, protect_question
from assistant.settings import Settings


def entry(i: int = 0, question: str | None = "Quel est le pôle de l'instruction d'Auch ?") -> AuditEntry:
    return AuditEntry(
        request_id=f"req-{i}", route="POST /v1/ask", key_id="ab12cd34", question=question,
        retrieved=["cpp-reglementaire-d:D15-4-4"], cited=["D15-4-4"],
        tool_calls=[{"name": "pole-instruction", "arguments": {"tribunal": "Auch"}}], refused=False, generator="extractive",
    )


def test_record_roundtrip_and_wal(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "stored")
    log.record(entry(), 200, 12.345)
    (row,) = log.rows()
    assert row["request_id"] == "req-0" and row["status"] == 200 and row["latency_ms"] == 12.35
    assert row["question"] == "Quel est le pôle de l'instruction d'Auch ?" and row["question_mode"] == "stored"
    assert row["retrieved"] == ["cpp-reglementaire-d:D15-4-4"] and row["cited"] == ["D15-4-4"]
    assert row["tool_calls"][0]["arguments"] == {"tribunal": "Auch"}
    assert row["refused"] is False and row["key_id"] == "ab12cd34"
    import sqlite3

    with sqlite3.connect(tmp_path / "a.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_privacy_modes() -> None:
    q = "Le mis en cause Jean Dupont peut-il être placé en garde à vue ?"
    assert protect_question(q, "stored") == q
    hashed = protect_question(q, "hashed")
    assert hashed is not None and hashed.startswith("sha256:") and "Dupont" not in hashed
    assert hashed == protect_question(q + "  ", "hashed")  # same question, same fingerprint
    assert protect_question(q, "omitted") is None


def test_concurrent_threads_lose_nothing(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3")
    errors: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for i in range(start, start + 25):
                log.record(entry(i), 200, 1.0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 25,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(int(r["request_id"].split("-")[1]) for r in log.rows()) == list(range(200))


WRITER = """
import sys
from pathlib import Path
from assistant.audit import AuditEntry, AuditLog
log = AuditLog(Path(sys.argv[1]))
for i in range(int(sys.argv[2]), int(sys.argv[2]) + 40):
    log.record(AuditEntry(request_id=f"req-{i}", route="POST /v1/ask"), 200, 1.0)
"""


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "a.sqlite3")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(n * 40)]) for n in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    assert sorted(int(r["request_id"].split("-")[1]) for r in AuditLog(Path(path)).rows()) == list(range(120))


def test_feedback_with_answer_citations_and_comment(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "hashed")
    citations = [{"doc_id": "cpp-reglementaire-d", "article": "D15-4-4", "quote": "Agen. Agen, Auch, Cahors, Marmande."}]
    assert log.save_feedback(request_id="req-1", rating="down", answer="Le pôle est Agen.", citations=citations,
                             question="Pôle d'Auch ?", refused=False) is False
    assert log.save_feedback(request_id="req-1", rating="down", comment="  Il manque la cour d'appel.  ") is True
    (row,) = log.rows("feedback")
    assert row["rating"] == "down" and row["answer"] == "Le pôle est Agen." and row["citations"] == citations
    assert row["comment"] == "Il manque la cour d'appel." and row["updated_at"]
    assert row["question"].startswith("sha256:")


def test_a_second_rating_replaces_the_first_in_place(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "stored")
    log.save_feedback(request_id="req-1", rating="up", answer="A", comment="bien", question="Q ?", refused=False)
    log.save_feedback(request_id="req-2", rating="up", answer="B")
    log.save_feedback(request_id="req-1", rating="down", source="api")  # comment None: the stored one is kept
    rows = log.rows("feedback")
    assert [(r["request_id"], r["rating"]) for r in rows] == [("req-1", "down"), ("req-2", "up")]
    assert rows[0]["comment"] == "bien" and rows[0]["answer"] == "A" and rows[0]["question"] == "Q ?" and rows[0]["source"] == "api"
    log.save_feedback(request_id="req-1", rating="down", comment="")  # "" clears it
    assert log.rows("feedback")[0]["comment"] is None
    out = io.StringIO()
    assert log.export(out, "jsonl", table="feedback") == 2
    with pytest.raises(ValueError):
        log.save_feedback(request_id="req-1", rating="bof")  # type: ignore[arg-type]


def test_failed_write_raises_a_french_error(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("x")
    log = AuditLog(tmp_path / "fichier" / "a.sqlite3")
    with pytest.raises(AuditWriteError, match="n'a pas pu être enregistré"):
        log.record(entry(), 200, 1.0)
    with pytest.raises(AuditWriteError, match="L'avis n'a pas pu être enregistré"):
        log.save_feedback(request_id="r", rating="up", answer="a")
    assert log.failures == 2


def test_export_jsonl_csv_and_since(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "stored")
    for i in range(3):
        log.record(entry(i), 200, 1.0)
    out = io.StringIO()
    assert log.export(out, "jsonl") == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["request_id"] for r in lines] == ["req-0", "req-1", "req-2"]
    out = io.StringIO()
    log.export(out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["cited"] == '["D15-4-4"]' and rows[0]["status"] == "200"
    assert log.rows(since="2999-01-01") == []
    assert len(log.rows(since="2000-01-01T00:00")) == 3
    with pytest.raises(ValueError, match="date invalide"):
        normalize_since("hier")


def test_cli_audit_export(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "stored")
    log.record(entry(), 200, 1.0)
    env = {**os.environ, "CPP_ASSISTANT_AUDIT_DB": str(tmp_path / "a.sqlite3"), "CPP_ASSISTANT_DATA_DIR": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "cli", "audit", "export", "--format", "csv", "--since", "2000-01-01"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].startswith("id,ts,request_id")
    assert "req-0" in res.stdout and "1 enregistrement(s) exporté(s)" in res.stderr
    res = subprocess.run([sys.executable, "-m", "cli", "audit", "export", "--since", "hier"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2 and "date invalide" in res.stderr and "Traceback" not in res.stderr


def test_audit_db_defaults_to_data_dir(tmp_path: Path) -> None:
    assert AuditLog.from_settings(Settings(data_dir=tmp_path)).path == tmp_path / "audit.sqlite3"
