"""The real thing: ``cpp-assistant serve`` as a subprocess on a loopback port, called over HTTP, and the chat driven
in Debian's chromium (headless, Playwright): keyboard, answer layout, copy, Word export, feedback, memory across a
reload, the forms, axe-core in both colour schemes at desktop and phone widths, the API docs with no Internet."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests import services

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


@pytest.fixture(scope="module")
def live_server(built_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("live")
    data = root / "data"
    shutil.copytree(built_index.data_dir, data, ignore=shutil.ignore_patterns("audit.sqlite3*"))
    port = services.free_port()
    log = root / "serve.log"
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
        "CPP_ASSISTANT_DATA_DIR": str(data), "CPP_ASSISTANT_AUDIT_DB": str(root / "audit.sqlite3"),
        "CPP_ASSISTANT_AUDIT_QUESTIONS": "stored", "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", port, log, root / "audit.sqlite3", proc)
    try:
        services.wait_healthy(server.base, proc, log, ready=lambda r: r.status_code == 200)
        yield server
    finally:
        services.stop_process(proc, grace=20)


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


AXE_JS = PROJECT_ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ARTIFACTS / "screenshots"


def new_page(browser: Any, base: str, *, width: int = 1440, height: int = 1000, scheme: str = "light") -> Any:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": height}, color_scheme=scheme,
        permissions=["clipboard-read", "clipboard-write"], accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/ui/")
    page.locator("#cpp-question textarea").wait_for()
    return page


def ask_with_enter(page: Any, question: str) -> Any:
    """Type a question and press Enter; returns the locator of the last answer once it is there."""
    answers_before = page.locator("#cpp-chat .cpp-answer").count()
    box = page.locator("#cpp-question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#cpp-chat .cpp-answer").nth(answers_before).wait_for()
    return page.locator("#cpp-chat .cpp-answer").last


def serious_axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def feedback_rows(server: LiveServer) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(server.audit_db) as conn:
        return conn.execute("SELECT request_id, rating, comment FROM feedback ORDER BY id").fetchall()


def test_chat_in_a_real_browser(live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    from docx import Document
    from playwright.sync_api import expect

    page = new_page(browser, live_server.base)
    expect(page.get_by_role("heading", level=1, name="Assistant de procédure pénale")).to_be_visible()
    box = page.locator("#cpp-question textarea")
    expect(box).to_have_attribute("placeholder", re.compile("Entrée pour envoyer, Maj\\+Entrée pour aller à la ligne"))
    like_buttons = page.locator("#cpp-chat button[aria-label=\"J'aime\"]")
    expect(like_buttons).to_have_count(0)  # nothing to rate before an answer exists

    # Shift+Enter inserts a line break and sends nothing.
    box.fill("ligne 1")
    box.press("Shift+Enter")
    box.press_sequentially("ligne 2")
    expect(box).to_have_value("ligne 1\nligne 2")
    expect(page.locator("#cpp-chat [data-testid=user]")).to_have_count(0)

    # Enter sends; the answer is laid out Réponse → Fondement → sources; the focus comes back to the question.
    answer = ask_with_enter(page, TERRORISM_Q)
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    expect(answer.locator(".cpp-reponse h2")).to_have_text("Réponse")
    expect(answer.locator(".cpp-fondement")).to_contain_text("CPP, art. 706-88-1")
    expect(answer.locator(".cpp-fondement")).to_contain_text("version en vigueur au 15/08/2022")
    card = answer.locator("details.cpp-card").filter(has=page.locator("summary", has_text="CPP, art. 706-88-1 (")).first
    expect(card).to_have_count(1)
    card.locator("summary").click()
    expect(card.locator("mark").first).to_be_visible()
    expect(card).to_contain_text("Section 3 : De la garde à vue")
    expect(like_buttons).to_have_count(1)

    # « Copier »: clean text on the clipboard.
    answer.get_by_role("button", name="Copier").click()
    expect(answer.get_by_role("button", name="Copié ✓")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("Réponse : ") and "« " in copied and "CPP, art. 706-88-1" in copied
    assert "<" not in copied and "**" not in copied and "&#" not in copied

    # 👍 then 👎: one record, 👎, confirmation under the rated answer; then a comment on it.
    like_buttons.last.click()
    expect(answer.locator(".cpp-rated")).to_have_text("Votre avis 👍 est enregistré.")
    page.locator("#cpp-chat button[aria-label=\"Je n'aime pas\"]").last.click()
    answer = page.locator("#cpp-chat .cpp-answer").last
    expect(answer.locator(".cpp-rated")).to_have_text("Votre avis 👎 est enregistré.")
    (row,) = feedback_rows(live_server)
    assert row[1] == "down" and row[2] is None
    page.locator("#cpp-comment-text textarea").fill("Test de bout en bout : commentaire.")
    page.locator("#cpp-comment-save").click()
    expect(page.locator("#cpp-feedback-info")).to_contain_text("Commentaire enregistré")
    assert feedback_rows(live_server) == [(row[0], "down", "Test de bout en bout : commentaire.")]

    # Export: a Word document with the question, the answer and the references.
    with page.expect_download() as download:
        page.locator("#cpp-export").click()
    path = tmp_path / "conversation.docx"
    download.value.save_as(path)
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert TERRORISM_Q in text and "Réponse" in text and re.search(r"art\. 706-88-1", text)
    assert "version en vigueur au 15/08/2022" in text and "👎" in text
    assert "Corpus :" in document.sections[0].header.paragraphs[0].text

    # Memory: a reload keeps the conversation and the rating; « Nouvelle conversation » clears it for good.
    page.reload()
    expect(page.locator("#cpp-chat [data-testid=user]").first).to_contain_text(TERRORISM_Q)
    expect(page.locator("#cpp-chat .cpp-rated")).to_contain_text("👎")
    ask_with_enter(page, "Et qui décide de la prolongation ?")  # a follow-up on the restored conversation
    expect(page.locator("#cpp-chat [data-testid=user]")).to_have_count(2)
    page.locator("#cpp-reset").click()
    expect(page.locator("#cpp-chat [data-testid=user]")).to_have_count(0)
    page.reload()
    page.locator("#cpp-question textarea").wait_for()
    page.wait_for_timeout(1000)
    expect(page.locator("#cpp-chat [data-testid=user]")).to_have_count(0)

    # The forms, in their tabs: the pôle of Auch; the rule list understands « gav » and « mae ».
    page.get_by_role("tab", name="Pôle").click()
    tribunal = page.locator("#cpp-tribunal input")
    tribunal.click()
    tribunal.fill("Auch")
    page.get_by_role("option", name="Auch", exact=True).click()
    page.locator("#cpp-pole-button").click()
    expect(page.locator("#cpp-pole-result")).to_contain_text("pôle de l'instruction d'Agen")
    page.get_by_role("tab", name="Délai").click()
    rule = page.locator("#cpp-rule input")
    for typed, expected in (("gav", "Garde à vue"), ("mae", "mandat d'arrêt européen")):
        rule.click()
        rule.fill(typed)
        expect(page.get_by_role("option").filter(has_text=expected).first).to_be_visible()
        rule.press("Escape")
    page.context.close()

    with sqlite3.connect(live_server.audit_db) as conn:
        routes = [r for (r,) in conn.execute("SELECT route FROM audit")]
    assert "UI question" in routes and "UI outil pole-instruction" in routes


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1440, 375])
def test_axe_core_finds_nothing_serious(live_server: LiveServer, browser: Any, scheme: str, width: int) -> None:
    """No serious or critical axe-core violation, with an answer on screen, in both colour schemes, desktop and phone."""
    from playwright.sync_api import expect

    page = new_page(browser, live_server.base, width=width, height=900 if width > 400 else 800, scheme=scheme)
    if width < 400:  # on a phone the forms are one tap away, at the top, not under the conversation
        for name in ("Conversation", "Pôle", "Délai"):
            expect(page.get_by_role("tab", name=name)).to_be_in_viewport()
    answer = ask_with_enter(page, TERRORISM_Q)
    answer.locator("details.cpp-card summary").first.click()
    if scheme == "dark":
        assert page.evaluate("() => document.body.classList.contains('dark') || document.documentElement.classList.contains('dark')")
    violations = serious_axe_violations(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Frame: the page from its top, the conversation scrolled to the question and the top of its answer.
    page.locator("#cpp-chat [data-testid=user]").last.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"chat-{scheme}-{width}.png"), full_page=False)
    page.get_by_role("tab", name="Délai").click()
    page.locator("#cpp-rule input").click()
    page.locator("#cpp-rule input").fill("gav")
    page.get_by_role("option").filter(has_text="Garde à vue en matière de terrorisme").first.click()
    page.locator("#cpp-start input, #cpp-start textarea").first.fill("23/10/2026 10:00")
    page.locator("#cpp-delai-button").click()
    expect(page.locator("#cpp-delai-result")).to_contain_text("29 octobre 2026")
    violations += serious_axe_violations(page)
    page.context.close()
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


def test_api_docs_work_without_internet(live_server: LiveServer, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="fr-FR")
    blocked: list[tuple[str, str]] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(live_server.base):
            route.continue_()
        else:
            blocked.append((route.request.resource_type, route.request.url))
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{live_server.base}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("cpp-assistant")
    expect(page.locator(".opblock-summary-path", has_text="/v1/feedback").first).to_be_visible()
    assert blocked == []
    page.goto(f"{live_server.base}/redoc")
    expect(page.locator("h2", has_text="Donner son avis sur une réponse").first).to_be_visible()
    context.close()
    # ReDoc's « API docs by Redocly » badge is an image from its site: decorative, the page works without it.
    assert [url for kind, url in blocked if kind != "image"] == []
