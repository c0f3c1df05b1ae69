"""Throwaway real services for the tests, each on a free loopback port: a PostgreSQL cluster (initdb + pg_ctl, as the
``postgres`` user when the tests run as root: PostgreSQL refuses to run as root) and a Redis server. Debian's
packages (installed by ``scripts/install --test``)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"port {port} pas ouvert après {timeout} s")


def healthy(response: httpx.Response) -> bool:
    """``/health`` answers « ok » (ready, not degraded)."""
    return bool(response.json().get("status") == "ok")


def wait_healthy(
    base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180,
    ready: Callable[[httpx.Response], bool] = healthy,
) -> None:
    """Wait until a server started by a test answers ``/health`` as ``ready`` says; fail with its log if it dies."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"le serveur s'est arrêté :\n{log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, f"serveur pas prêt après {timeout} s :\n{log.read_text(errors='replace')}"
        try:
            if ready(httpx.get(f"{base}/health", timeout=2)):
                return
        except (httpx.TransportError, ValueError):
            pass
        time.sleep(0.5)


def stop_process(proc: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM, then SIGKILL if the process has not stopped after ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL absent : lancez scripts/install --test (paquet Debian postgresql)")
    return Path(found[-1]).parent


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields its URL (database ``postgres``, user ``cpp``, trust on loopback)."""
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="cpp-pg-"))  # not under pytest's 0700 tmp: the postgres user must reach it
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "postgres.log"
    port = free_port()
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "cpp", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
                       check=True, capture_output=True, timeout=120)
        yield f"postgresql://cpp@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis() -> Iterator[str]:
    """A fresh Redis server (no persistence); yields its URL."""
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(exe).exists():
        pytest.fail("Redis absent : lancez scripts/install --test (paquet Debian redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(20)
