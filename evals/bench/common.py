"""Shared helpers of the benchmarks: machine description, percentiles, RSS, child processes, result files.

Benchmarks print numbers and write JSON under ``evals/bench/results/``; they are not tests and assert nothing.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

RESULTS_DIR = Path(__file__).resolve().parent / "results"
QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
PYTHON = sys.executable
CLI = str(Path(sys.executable).parent / "cpp-assistant")
WORK_ROOT = Path(os.environ.get("CPP_BENCH_WORK", "/tmp/cpp-bench"))


def bench_env(**extra: str) -> dict[str, str]:
    """Environment of every child: offline model, no rate limit, no telemetry, plus ``extra``."""
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.update(extra)
    return env


# -- machine ---------------------------------------------------------------------------------------


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    free = subprocess.run(["free", "-m"], capture_output=True, text=True).stdout.strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": int(nproc or os.cpu_count() or 0),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "free_m": free,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": loadavg(),
        "date": datetime.now().isoformat(timespec="seconds"),
    }


from evals.run import percentile  # noqa: E402

# -- statistics ------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..1): the evaluation runner's definition."""
    return percentile(values, p)


def dist(values_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50_ms": round(pct(values_ms, 0.50), 2),
        "p95_ms": round(pct(values_ms, 0.95), 2),
        "p99_ms": round(pct(values_ms, 0.99), 2),
        "mean_ms": round(sum(values_ms) / len(values_ms), 2) if values_ms else 0.0,
        "max_ms": round(max(values_ms), 2) if values_ms else 0.0,
    }


# -- memory ----------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of one process, from /proc (MiB); 0 if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc/*/stat parent links)."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    stat = f.read()
                parent_of[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    out, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent_of.items() if pp == p]
        out += kids
        frontier += kids
    return out


def tree_rss_mb(pid: int) -> dict[str, Any]:
    procs = {pid: rss_mb(pid)} | {c: rss_mb(c) for c in descendants(pid)}
    return {"total_mb": round(sum(procs.values()), 1), "per_process_mb": {str(k): round(v, 1) for k, v in procs.items()}}


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- child processes -------------------------------------------------------------------------------


@dataclass
class ChildRun:
    returncode: int
    wall_s: float
    peak_rss_mb: float  # ru_maxrss of that child (its largest process if it forked none)
    stdout: str
    stderr: str


def run_child(args: list[str], env: dict[str, str] | None = None, timeout: float = 1800.0, cwd: Path = PROJECT_ROOT) -> ChildRun:
    """Run a child to completion; wall time and its own peak RSS (os.wait4 rusage of that pid)."""
    out_path = WORK_ROOT / f"child-{os.getpid()}-{time.monotonic_ns()}"
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(args, env=env or bench_env(), cwd=cwd, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        res = ChildRun(proc.returncode, wall, usage.ru_maxrss / 1024, out.read(), err.read())
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    return res


def last_json_line(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in child output:\n" + text[-2000:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dir_size(path: Path) -> dict[str, float]:
    apparent = blocks = 0
    files = 0
    for root, _dirs, names in os.walk(path):
        for n in names:
            try:
                st = os.lstat(os.path.join(root, n))
            except OSError:
                continue
            files += 1
            apparent += st.st_size
            blocks += st.st_blocks * 512
    return {"files": files, "apparent_mb": round(apparent / 2**20, 2), "disk_mb": round(blocks / 2**20, 2)}


# -- questions and results --------------------------------------------------------------------------


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"machine": machine(), **payload, "loadavg_at_end": loadavg()}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S} load {loadavg()[0]:.2f}] {msg}", flush=True)
