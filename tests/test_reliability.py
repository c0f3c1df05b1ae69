"""Trustworthy under bad input and failure, in process (real app, real index, real model): typographic dashes,
extreme dates (hypothesis), bounded conversations, throttled failed logins, fail-closed audit, French errors,
CSV formulas, the chat's audit. The live-server side (uvicorn, Chroma server, bursts, rebuilds) is in
``test_live_reliability.py``."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.api import create_app
from assistant.api.keys import hash_key
from assistant.audit import AuditEntry, AuditLog, csv_safe
from assistant.catalog import Catalog
from assistant.chain import Assistant
from assistant.errors import AssistantError
from assistant.normalize import normalize_input
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.tools import TOOL_IDS, run_tool
from assistant.tools.rules import load_delai_rules
from indexing.build import build_lock
from ui.chat import ChatHandlers

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers")

PROBLEM = "application/problem+json"
KEY = "cle-de-test-fiabilite"
DASHES = {
    "tiret demi-cadratin": "706\u201388",
    "trait d'union insécable": "706\u201188",
    "signe moins": "706\u221288",
    "espace sans chasse": "706\u200b-88",
    "cadratin et marque bidi": "706\u2014\u200e88",
}


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert "Traceback" not in r.text and "Error" not in body["detail"]
    return body


# -- item 4: typographic dashes ----------------------------------------------------------------------------------


def test_normalize_input_variants() -> None:
    for text in DASHES.values():
        assert normalize_input(text) == "706-88"
    assert normalize_input("art.\u00a0D.\u202f15\u20114\u20114") == "art. D. 15-4-4"
    assert normalize_input("\u2066question\u2069\ufeff") == "question"
    assert normalize_input("garde à vue") == "garde à vue"  # accents untouched
    assert normalize_input(normalize_input("706\u201388")) == "706-88"


@pytest.mark.parametrize("variant", list(DASHES), ids=list(DASHES))
def test_each_dash_variant_cites_706_88_not_706(make_client, variant: str) -> None:
    client = make_client()
    question = f"Que dit l'article {DASHES[variant]} ?"
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 200, r.text
    cited = [c["article"] for c in r.json()["citations"] if c["role"] == "source"]
    assert cited and cited[0] == "706-88" and "706" not in cited, cited
    assert client.get(f"/v1/articles/{DASHES[variant]}").json()["article"] == "706-88"
    follow = client.post("/v1/ask", json={"question": "Et que prévoit-il ?", "history": [{"role": "user", "content": question}]})
    assert follow.status_code == 200


def test_dash_variant_in_the_chat_and_tool_arguments(built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    runtime = Runtime(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), assistant=assistant)
    answer, _, error = ChatHandlers(runtime)._answer("Que dit l'article 706\u221288 ?", [])
    assert error is None and answer is not None
    assert [c.article for c in answer.citations if c.role == "source"][0] == "706-88"
    html = ChatHandlers(runtime).run_tool_form("delai", {"rule": "gav\u2011terrorisme", "start": "2026\u201310\u201323T10:00"})
    assert "cpp-error" not in html


# -- item 5: dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:00", "1er janvier 9999 à 10h", "31/12/0001 10:00", "1899-12-31T10:00"])
def test_extreme_dates_are_french_422_naming_the_field(make_client, start: str) -> None:
    client = make_client()
    body = problem(client.post("/v1/tools/delai", json={"rule": "gav-terrorisme", "start": start}), 422)
    assert body["field"] == "start" and "plage" in body["detail"] or "illisible" in body["detail"]


def test_extreme_dates_in_a_question_and_in_the_chat(make_client, built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    client = make_client()
    for year in ("0001", "9999"):
        q = f"Une garde à vue pour terrorisme a commencé le 23 octobre {year} à 10h : quand prend-elle fin ?"
        r = client.post("/v1/ask", json={"question": q})
        assert r.status_code == 200, r.text
        assert "out of range" not in r.text
    runtime = Runtime(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), assistant=assistant)
    html = ChatHandlers(runtime).compute_delai("gav-terrorisme", "9999-12-31T23:00", None, None, None)
    assert "cpp-error" in html and "plage" in html and "out of range" not in html
    (row,) = runtime.audit.rows()
    assert row["status"] == 422  # a failing form is recorded as failing


RULES = sorted(load_delai_rules())
text = st.text(max_size=40)
starts = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()), st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d.day}/{d.month}/{d.year:04d} 10:00"), text, st.integers(), st.none(), st.floats(allow_nan=False, allow_infinity=False),  # JSON has no inf or NaN
)
values = st.one_of(text, st.integers(), st.booleans(), st.none(), st.floats(), st.lists(st.integers(), max_size=3))


@hsettings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    tool=st.sampled_from(TOOL_IDS),
    rule=st.one_of(st.sampled_from(RULES), text),
    start=starts,
    extra=st.dictionaries(st.sampled_from(["tribunal", "matter", "stage", "duree", "jours", "heures", "x"]), values, max_size=3),
)
def test_tools_never_raise_anything_but_french_4xx(catalog: Catalog, tool: str, rule: Any, start: Any, extra: dict[str, Any]) -> None:
    args = {"rule": rule, "start": start, **extra} if tool == "delai" else extra
    try:
        result = run_tool(catalog, tool, args)
    except AssistantError as exc:
        assert 400 <= exc.http_status < 500, exc
        assert "out of range" not in str(exc) and "Error" not in str(exc) and "Traceback" not in str(exc)
        return
    assert isinstance(result, dict)


@hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(start=starts, rule=st.sampled_from(RULES))
def test_delai_route_property_4xx_never_5xx(built_index: Settings, assistant: Assistant, start: Any, rule: str) -> None:
    settings = built_index.model_copy(update={"audit_db": built_index.data_dir / "hypothesis-audit.sqlite3", "rate_limit_per_minute": 0})
    client = _shared_client(settings, assistant)
    r = client.post("/v1/tools/delai", json={"rule": rule, "start": start})
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith(PROBLEM)


_CLIENTS: dict[str, TestClient] = {}


def _shared_client(settings: Settings, assistant: Assistant) -> TestClient:
    key = str(settings.audit_db)
    if key not in _CLIENTS:
        _CLIENTS[key] = TestClient(create_app(settings, assistant=assistant))
    return _CLIENTS[key]


# -- item 7: limits, French 400s -----------------------------------------------------------------------------------


def test_question_plus_history_is_bounded(make_client, built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    client = make_client()
    history = [{"role": "user", "content": "garde à vue " * 400}] * 40  # 40 × 4,800 characters
    body = problem(client.post("/v1/ask", json={"question": "Et ensuite ?", "history": history}), 422)
    assert "conversation est trop longue" in body["detail"]
    runtime = Runtime(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), assistant=assistant)
    answer, _, error = ChatHandlers(runtime)._answer("Et ensuite ?", history)
    assert answer is None and error and "conversation est trop longue" in error
    assert runtime.audit.rows()[0]["status"] == 422


def test_failed_authentications_are_throttled_per_client(make_client) -> None:
    client = make_client(api_key_hashes=[hash_key(KEY)], auth_failures_per_minute=3)
    statuses = [client.get("/v1/documents", headers={"X-API-Key": f"essai-{i}"}).status_code for i in range(4)]
    assert statuses == [403, 403, 403, 429]
    body = problem(client.get("/v1/documents", headers={"X-API-Key": KEY}), 429)  # even a good key waits: guessing is slow
    assert "tentatives d'authentification" in body["detail"]
    login = client.post("/ui/login", data={"key": KEY}, follow_redirects=False)
    assert login.status_code == 429


def test_french_problems_for_malformed_requests(make_client) -> None:
    client = make_client()
    body = problem(client.post("/v1/ask", json={"question": "Q ?", "history": [{"role": "robot", "content": "x"}]}), 422)
    assert "« user » ou « assistant »" in body["detail"] and " or " not in body["detail"]
    body = problem(client.post("/v1/ask", content=b"{pas du json", headers={"content-type": "application/json"}), 422)
    assert "JSON invalide" in body["detail"]


def test_health_without_a_key_says_only_up_or_down(make_client) -> None:
    client = make_client(api_key_hashes=[hash_key(KEY)])
    assert client.get("/health").json() == {"status": "ok"}
    full = client.get("/health", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert "chroma" not in full["index"] and "collection" not in full["index"]


# -- item 6: audit ------------------------------------------------------------------------------------------------


def test_audit_required_fails_closed_with_a_french_503(make_client, tmp_path: Path) -> None:
    (tmp_path / "bloque").write_text("pas un dossier")
    client = make_client(audit_db=tmp_path / "bloque" / "audit.sqlite3", audit_required=True)
    body = problem(client.post("/v1/ask", json={"question": "Quel est le pôle de l'instruction d'Auch ?"}), 503)
    assert "journal d'audit" in body["detail"] and str(tmp_path) not in body["detail"]
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "error"
    assert health.json()["audit"]["writable"] is False and str(tmp_path) not in health.text


def test_audit_not_required_answers_and_health_is_degraded(make_client, tmp_path: Path) -> None:
    (tmp_path / "bloque").write_text("pas un dossier")
    client = make_client(audit_db=tmp_path / "bloque" / "audit.sqlite3")
    assert client.get("/v1/tools").status_code == 200  # must not fire: fail-open is the default
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert any("journal d'audit" in reason for reason in health.json()["degraded"])


def test_audit_writes_are_queued_flushed_and_never_lost(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "stored")
    futures = [log.submit(AuditEntry(request_id=f"r{i}", route="POST /v1/ask"), 200, 1.0) for i in range(300)]
    log.close()  # shutdown: what is queued is written first
    assert all(f.result(5) > 0 for f in futures)
    assert len(AuditLog(tmp_path / "a.sqlite3").rows()) == 300


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3", "stored")
    for q in ("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "Question normale"):
        log.record(AuditEntry(request_id="r", route="POST /v1/ask", question=q), 200, 1.0)
    out = io.StringIO()
    log.export(out, "csv")
    questions = [row["question"] for row in csv.DictReader(io.StringIO(out.getvalue()))]
    assert questions == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "Question normale"]
    assert csv_safe(12) == 12


def test_chat_failure_is_audited_and_shown_in_french(built_index: Settings, tmp_path: Path) -> None:
    class Broken:
        index_state = None
        catalog = None

        def ask(self, question: str, history: Any) -> Any:
            raise RuntimeError("collection cpp-abc123 introuvable dans /srv/secret")

    runtime = Runtime(built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"}), assistant=Broken())  # type: ignore[arg-type]
    answer, entry, error = ChatHandlers(runtime)._answer("Quel est le pôle d'Auch ?", [])
    assert answer is None and error and "Erreur interne inattendue" in error
    assert "cpp-abc123" not in error and "/srv" not in error and "RuntimeError" not in error
    (row,) = runtime.audit.rows()
    assert row["status"] == 500 and row["request_id"] == entry.request_id


# -- item 9: concurrent builds --------------------------------------------------------------------------------------


def test_second_concurrent_build_exits_with_a_french_message(tmp_path: Path, settings: Settings) -> None:
    s = Settings(corpus_dir=settings.corpus_dir, data_dir=tmp_path / "data")
    s.data_dir.mkdir()
    with build_lock(s):
        res = subprocess.run(
            [sys.executable, "-m", "cli", "index", "build", "--quiet"], capture_output=True, text=True, timeout=300,
            env={"CPP_ASSISTANT_DATA_DIR": str(s.data_dir), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        )
    assert res.returncode == 2
    assert "Une autre construction de l'index est déjà en cours" in res.stderr and "Traceback" not in res.stderr


def test_a_cancelled_waiter_does_not_stop_the_audit_writer(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3")
    first = log.submit(AuditEntry(request_id="abandonne", route="POST /v1/ask"), 200, 1.0)
    first.cancel()  # what asyncio does to a wrapped future when the request is cancelled
    assert log.record(AuditEntry(request_id="suivant", route="POST /v1/ask"), 200, 1.0) > 0
    assert {r["request_id"] for r in log.rows()} >= {"suivant"}
