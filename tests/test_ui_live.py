"""The real thing: ``cpp-assistant serve`` as a subprocess on a loopback port, called over HTTP, and the chat driven
in Debian's chromium (headless, Playwright) — question with a citation card, feedback, the pôle form, a screenshot."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assistant.settings import PROJECT_ROOT, Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
TERRORISM_Q = "Combien de temps peut durer la garde à vue en matière de terrorisme ?"


@dataclass
class LiveServer:
    base: str
    port: int
    log: Path
    audit_db: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(built_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("live")
    data = root / "data"
    shutil.copytree(built_index.data_dir, data, ignore=shutil.ignore_patterns("audit.sqlite3*"))
    port = free_port()
    log = root / "serve.log"
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
        "CPP_ASSISTANT_DATA_DIR": str(data), "CPP_ASSISTANT_AUDIT_DB": str(root / "audit.sqlite3"),
        "CPP_ASSISTANT_AUDIT_QUESTIONS": "stored", "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", port, log, root / "audit.sqlite3", proc)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"le serveur s'est arrêté :\n{server.log_text()}"
            assert time.monotonic() < deadline, f"serveur pas prêt après 180 s :\n{server.log_text()}"
            try:
                if httpx.get(f"{server.base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_serve_prints_the_urls(live_server: LiveServer) -> None:
    text = live_server.log_text()
    assert f"API : {live_server.base}/docs" in text
    assert f"Chat : {live_server.base}/ui/" in text
    assert "accès ouvert (aucune clé d'API)" in text


def test_health_ask_and_stream_over_http(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.base, timeout=60) as client:
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["index"]["chunk_count"] > 1000
        r = client.post("/v1/ask", json={"question": TERRORISM_Q}, headers={"X-Request-ID": "essai-http-1"})
        assert r.status_code == 200 and r.headers["x-client-request-id"] == "essai-http-1"
        server_id = r.headers["x-request-id"]
        assert "706-88-1" in {c["article"] for c in r.json()["citations"]}
        with client.stream("POST", "/v1/ask/stream", json={"question": TERRORISM_Q}) as s:
            assert s.headers["content-type"].startswith("text/event-stream")
            events = [line for line in s.iter_lines() if line.startswith("event: ")]
        assert events[0] == "event: start" and "event: delta" in events and events[-1] == "event: done"
        bad = client.post("/v1/ask", json={"question": ""})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert client.get("/").headers.get("location") in (None, "/ui/")  # httpx follows redirects only if asked
    time.sleep(0.2)
    assert f"[{server_id}] assistant.api : POST /v1/ask 200" in live_server.log_text()  # request id in the log line


def test_chat_in_a_real_browser(live_server: LiveServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR", viewport={"width": 1400, "height": 1200})
            page.set_default_timeout(60_000)
            page.goto(f"{live_server.base}/ui/")
            expect(page.get_by_text("Assistant de procédure pénale").first).to_be_visible()

            # A question whose answer cites article 706-88-1: its card opens on the full text, quote highlighted.
            page.locator("#cpp-question textarea").fill(TERRORISM_Q)
            page.locator("#cpp-send").click()
            card = page.locator("#cpp-chat details.cpp-card").filter(
                has=page.locator("summary", has_text="CPP, art. 706-88-1 (")
            ).first
            expect(card).to_be_visible()
            expect(card.locator("summary")).to_contain_text("version en vigueur au 15/08/2022")
            card.locator("summary").click()
            expect(card).to_have_attribute("open", "")
            expect(card.locator("mark").first).to_be_visible()
            expect(card).to_contain_text("Section 3 : De la garde à vue")

            # Feedback on that answer, with a comment.
            page.locator("#cpp-chat button[aria-label=\"Je n'aime pas\"]").last.click()
            expect(page.locator("#cpp-feedback-info")).to_contain_text("Avis 👎 enregistré")
            page.get_by_label("Commentaire (facultatif)").fill("Test de bout en bout : commentaire.")
            page.get_by_role("button", name="Enregistrer le commentaire").click()
            expect(page.locator("#cpp-feedback-info")).to_contain_text("Commentaire enregistré")

            # The pôle form: Auch → Agen.
            tribunal = page.locator("#cpp-tribunal input")
            tribunal.click()
            tribunal.fill("Auch")
            page.get_by_role("option", name="Auch", exact=True).click()
            page.locator("#cpp-pole-button").click()
            expect(page.locator("#cpp-pole-result")).to_contain_text("pôle de l'instruction d'Agen")

            card.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        finally:
            browser.close()

    with sqlite3.connect(live_server.audit_db) as conn:
        rating, comment, citations = conn.execute("SELECT rating, comment, citations FROM feedback").fetchone()
        routes = [r for (r,) in conn.execute("SELECT route FROM audit")]
    assert rating == "down" and comment == "Test de bout en bout : commentaire."
    assert "706-88-1" in {c["article"] for c in json.loads(citations)}
    assert "UI question" in routes and "UI outil pole-instruction" in routes
