"""``cpp-assistant eval --api-url`` against a real server with the default rate limit (60/min, burst 20): the runner
waits out each 429 as its Retry-After says, shows a progress bar, and every question gets its answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.api import create_app
from assistant.chain import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from evals.run import retry_after
from tests.live import LiveApp

SUBSET = 26  # more than the burst of 20: the last questions meet the limit


def test_eval_through_the_api_with_the_default_limit_completes(built_index: Settings, assistant: Assistant, tmp_path: Path) -> None:
    settings = built_index.model_copy(update={"audit_db": tmp_path / "audit.sqlite3"})
    assert (settings.rate_limit_per_minute, settings.rate_limit_burst) == (60, 20)  # the defaults, unchanged
    lines = (PROJECT_ROOT / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(lines[:SUBSET]) + "\n", encoding="utf-8")
    live = LiveApp(create_app(settings, assistant=assistant)).start()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "cli", "eval", "--api-url", live.base, "--questions", str(questions),
             "--out", str(tmp_path), "--name", "api"],
            capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "CPP_ASSISTANT_DATA_DIR": str(built_index.data_dir)},
        )
        rows = live.app.state.runtime.audit.rows("audit")
    finally:
        live.stop()
    assert res.returncode == 0, res.stderr
    assert "Évaluation" in res.stderr and f"{SUBSET}/{SUBSET}" in res.stderr  # the tqdm progress bar
    assert "erreurs de l'API 0" in res.stdout
    report = json.loads((tmp_path / "api.json").read_text(encoding="utf-8"))
    assert report["summary"]["overall"]["questions"] == SUBSET and report["summary"]["overall"]["api_errors"] == 0
    assert not any("erreur de l'API" in p for f in report["failures"] for p in f["problems"])
    statuses = [r["status"] for r in rows if r["route"] == "POST /v1/ask"]
    assert statuses.count(200) == SUBSET and 429 in statuses  # the limit really applied, and was waited out


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), (None, 1.0), ("n'importe quoi", 1.0), ("100000", 120.0), ("-4", 0.0)])
def test_retry_after_header(header: str | None, seconds: float) -> None:
    assert retry_after(header) == seconds
