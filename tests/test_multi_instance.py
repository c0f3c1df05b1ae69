"""Several instances on real shared services (docs/deploy.md): two ``cpp-assistant serve`` processes on two ports
share a ``chroma run`` server, the data directory, a PostgreSQL cluster (audit) and a Redis server (rate limit).
100 questions spread over both → 100 audit rows in PostgreSQL; a key's limit holds across both instances."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import psycopg
import pytest

from assistant.api.keys import hash_key
from assistant.audit import AuditLog
from assistant.audit_pg import PostgresStore
from assistant.settings import PROJECT_ROOT, Settings
from indexing.build import build_index
from tests import services
from tests.test_index import small_corpus
from tests.test_live_reliability import Chroma

K1 = "cle-limitee"  # the default limit: 20 a minute
K2 = "cle-illimitee"  # its own limit: 0 = unlimited
QUESTIONS = ["Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?", "Que prévoit l'article D15-4-4 ?"]


def start_api(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT,
        )


@pytest.fixture(scope="module")
def cluster(settings: Settings, embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], str]]:
    root = tmp_path_factory.mktemp("multi")
    with ExitStack() as stack:
        pg_url = stack.enter_context(services.postgres())
        redis_url = stack.enter_context(services.redis())
        chroma = Chroma(root / "chroma", services.free_port())
        chroma.start()
        stack.callback(chroma.stop)
        corpus = small_corpus(settings.corpus_dir, root / "corpus")
        s = Settings(corpus_dir=corpus, data_dir=root / "data", chroma_host="127.0.0.1", chroma_port=chroma.port)
        build_index(s, embedder=embedder, progress=False)
        env = {
            **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
            "CPP_ASSISTANT_CORPUS_DIR": str(corpus), "CPP_ASSISTANT_DATA_DIR": str(s.data_dir),
            "CPP_ASSISTANT_CHROMA_HOST": "127.0.0.1", "CPP_ASSISTANT_CHROMA_PORT": str(chroma.port),
            "CPP_ASSISTANT_DATABASE_URL": pg_url, "CPP_ASSISTANT_REDIS_URL": redis_url,
            "CPP_ASSISTANT_API_KEY_HASHES": f"{hash_key(K1)},{hash_key(K2)}", "CPP_ASSISTANT_API_KEY_LIMITS": f"{hash_key(K2)[:8]}=0",
            "CPP_ASSISTANT_RATE_LIMIT_PER_MINUTE": "20", "CPP_ASSISTANT_RATE_LIMIT_BURST": "20",
            "CPP_ASSISTANT_AUDIT_REQUIRED": "true", "CPP_ASSISTANT_UI_ENABLED": "false",
        }
        bases, procs = [], []
        for name in ("a", "b"):
            port = services.free_port()
            log = root / f"serve-{name}.log"
            proc = start_api(port, env, log)
            stack.callback(services.stop_process, proc)
            bases.append(f"http://127.0.0.1:{port}")
            procs.append((proc, log))
        for base, (proc, log) in zip(bases, procs, strict=True):
            services.wait_healthy(base, proc, log)
        yield bases, pg_url


def pg_rows(url: str, where: str = "TRUE") -> list[tuple[str, int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT route, status, key_id FROM audit WHERE {where}").fetchall()  # type: ignore[return-value]


def test_two_instances_share_audit_in_postgresql(cluster: tuple[list[str], str]) -> None:
    bases, pg_url = cluster
    health = httpx.get(f"{bases[0]}/health", headers={"X-API-Key": K2}).json()
    assert health["audit"]["backend"] == "postgresql" and health["audit"]["writable"] is True

    def ask(i: int) -> int:
        r = httpx.post(f"{bases[i % 2]}/v1/ask", json={"question": QUESTIONS[i % 2]}, headers={"X-API-Key": K2}, timeout=120)
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(ask, range(100)))
    assert statuses == [200] * 100
    rows = pg_rows(pg_url, "route = 'POST /v1/ask'")
    assert len(rows) == 100 and {r[1] for r in rows} == {200} and {r[2] for r in rows} == {hash_key(K2)[:8]}


def test_the_rate_limit_is_shared_by_both_instances(cluster: tuple[list[str], str]) -> None:
    bases, pg_url = cluster
    statuses = [httpx.get(f"{bases[i % 2]}/v1/tools", headers={"X-API-Key": K1}, timeout=30).status_code for i in range(30)]
    # 20 a minute for the key, counted once in Redis: 20 accepted over both (per process it would be 30).
    assert statuses.count(200) == 20 and statuses.count(429) == 10, statuses
    assert statuses[:20] == [200] * 20
    rows = pg_rows(pg_url, "route = 'GET /v1/tools'")
    assert sorted(r[1] for r in rows) == [200] * 20 + [429] * 10  # refusals are recorded too


def test_feedback_and_export_in_postgresql(cluster: tuple[list[str], str]) -> None:
    _, pg_url = cluster
    log = AuditLog(store=PostgresStore(pg_url), question_mode="stored")
    assert log.save_feedback(
        request_id="r-1", rating="up", answer="Le pôle est Agen.", citations=[{"article": "D15-4-4"}],
        question="=Pôle d'Auch ?", refused=False,
    ) is False
    # A new rating replaces the first in place (one rating per answer), and a comment is added to it.
    assert log.save_feedback(request_id="r-1", rating="down", comment="Il manque la cour d'appel.") is True
    (row,) = [r for r in log.rows("feedback") if r["request_id"] == "r-1"]
    assert row["rating"] == "down" and row["updated_at"]
    assert row["comment"] == "Il manque la cour d'appel." and row["citations"] == [{"article": "D15-4-4"}]
    out = io.StringIO()
    assert log.export(out, "csv", "feedback") >= 1
    assert "'=Pôle d'Auch ?" in out.getvalue()  # formulas neutralised in the export
