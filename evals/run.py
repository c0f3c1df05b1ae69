"""Evaluation runner: ask every question of a set (in process or against a live API) and measure the answers.

Metrics (overall and per category), as defined in ``shared/design/eval_format.md``: retrieval recall@1/5/10 and
MRR on the expected articles/sections, citation hit rate, unsupported-citation rate, fact accuracy, refusal
precision/recall, tool accuracy, latency p50/p95. Writes a JSON and a Markdown report.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.verbatim import CorpusText

Asker = Callable[[str, list[dict[str, str]]], dict[str, Any]]


@dataclass
class Question:
    id: str
    category: str
    question: str
    history: list[dict[str, str]]
    expected: dict[str, Any]


def load_questions(path: Path) -> list[Question]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(d["id"], d["category"], d["question"], d.get("history") or [], d["expected"]))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path.name}, ligne {n} : question illisible ({exc}).") from exc
    return out


def _matches(item: dict[str, Any], q: Question) -> bool:
    """Does a retrieved or cited unit satisfy one of the expected articles/sections?"""
    exp = q.expected
    wants_repealed = any("abrog" in f for f in exp.get("facts", []))
    if item.get("article") and item["article"] in exp.get("articles", []):
        return not item.get("abrogated") or wants_repealed
    for s in exp.get("sections", []):
        if item.get("doc_id") == s["doc_id"] and (s.get("section") is None or s["section"] == item.get("section")):
            return True
    return False


def _subset(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and _subset(v, got[k]) for k, v in expected.items())
    if isinstance(expected, str) and isinstance(got, str):
        return expected.casefold() == got.casefold()
    return expected == got


@dataclass
class Record:
    q: Question
    response: dict[str, Any]
    latency_ms: float
    rank: int | None = None  # 1-based rank of the first expected unit among retrieved units
    cited_expected: bool = False
    unsupported: list[str] = field(default_factory=list)
    citations: int = 0
    marked_out_of_corpus: int = 0
    facts_ok: bool | None = None
    tool_ok: bool | None = None


def evaluate(
    questions: list[Question], ask: Asker, corpus: CorpusText, article_numbers: set[str], progress: bool = False,
) -> list[Record]:
    from tqdm import tqdm

    records = []
    for q in tqdm(questions, desc="Évaluation", unit="question", disable=not progress):
        t = time.perf_counter()
        resp = ask(q.question, q.history)
        rec = Record(q, resp, (time.perf_counter() - t) * 1000)
        exp = q.expected
        expects_units = bool(exp.get("articles") or exp.get("sections"))
        if expects_units:
            for i, item in enumerate(resp.get("retrieved", []), start=1):
                if _matches(item, q):
                    rec.rank = i
                    break
            rec.cited_expected = any(_matches(c, q) for c in resp.get("citations", []) if c.get("role", "source") == "source")
        for c in resp.get("citations", []):
            rec.citations += 1
            if c.get("in_corpus") is False:
                rec.marked_out_of_corpus += 1
                continue
            if c.get("article") and c["article"] not in article_numbers:
                rec.unsupported.append(f"article {c['article']} absent du corpus")
            elif not corpus.contains(c.get("quote", ""), c.get("doc_id")):
                rec.unsupported.append(f"citation non littérale ({c.get('article') or c.get('section')})")
        if not exp.get("refused") and exp.get("facts"):
            text = resp.get("answer", "")
            rec.facts_ok = all(re.search(f, text, re.I) for f in exp["facts"])
        if exp.get("tool"):
            calls = resp.get("tool_calls", [])
            rec.tool_ok = any(c["name"] == exp["tool"]["name"] and _subset(exp["tool"].get("result", {}), c.get("result", {})) for c in calls)
        records.append(rec)
    return records


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile, ``p`` in 0..1."""
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summarize(records: list[Record]) -> dict[str, Any]:
    def block(recs: list[Record]) -> dict[str, Any]:
        with_units = [r for r in recs if r.q.expected.get("articles") or r.q.expected.get("sections")]
        answerable = [r for r in with_units if not r.q.expected.get("refused")]
        ranks = [r.rank for r in answerable]
        n = len(answerable)
        expected_refusals = [r for r in recs if r.q.expected.get("refused")]
        predicted_refusals = [r for r in recs if r.response.get("refused")]
        true_refusals = [r for r in expected_refusals if r.response.get("refused")]
        cits = sum(r.citations for r in recs)
        facts = [r.facts_ok for r in recs if r.facts_ok is not None]
        tools = [r.tool_ok for r in recs if r.tool_ok is not None]
        lat = [r.latency_ms for r in recs]
        return {
            "questions": len(recs),
            "api_errors": sum(1 for r in recs if r.response.get("error")),
            "recall@1": sum(1 for k in ranks if k and k <= 1) / n if n else None,
            "recall@5": sum(1 for k in ranks if k and k <= 5) / n if n else None,
            "recall@10": sum(1 for k in ranks if k and k <= 10) / n if n else None,
            "mrr": sum(1 / k for k in ranks if k) / n if n else None,
            "citation_hit_rate": sum(r.cited_expected for r in answerable) / n if n else None,
            "citations": cits,
            "unsupported_citation_rate": sum(len(r.unsupported) for r in recs) / cits if cits else 0.0,
            "marked_out_of_corpus": sum(r.marked_out_of_corpus for r in recs),
            "fact_accuracy": sum(facts) / len(facts) if facts else None,
            "refusal_precision": len(true_refusals) / len(predicted_refusals) if predicted_refusals else None,
            "refusal_recall": len(true_refusals) / len(expected_refusals) if expected_refusals else None,
            "tool_accuracy": sum(tools) / len(tools) if tools else None,
            "latency_p50_ms": round(percentile(lat, 0.5), 1),
            "latency_p95_ms": round(percentile(lat, 0.95), 1),
        }

    by_cat: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_cat[r.q.category].append(r)
    return {"overall": block(records), "per_category": {c: block(rs) for c, rs in sorted(by_cat.items())}}


def failures(records: list[Record]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        problems = []
        exp = r.q.expected
        if r.response.get("error"):
            problems.append(f"erreur de l'API ({r.response['error']})")
        if not exp.get("refused") and (exp.get("articles") or exp.get("sections")) and (r.rank is None or r.rank > 5):
            problems.append(f"unité attendue hors du top 5 (rang {r.rank})")
        if bool(exp.get("refused")) != bool(r.response.get("refused")):
            problems.append("refus attendu" if exp.get("refused") else "refus à tort")
        if r.facts_ok is False:
            problems.append("fait manquant")
        if r.tool_ok is False:
            problems.append("outil incorrect")
        problems += r.unsupported
        if problems:
            out.append({"id": r.q.id, "category": r.q.category, "problems": problems})
    return out


METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "citation_hit_rate", "unsupported_citation_rate",
           "fact_accuracy", "refusal_precision", "refusal_recall", "tool_accuracy", "latency_p50_ms", "latency_p95_ms", "api_errors")


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) and not isinstance(v, bool) and v <= 1.0 else str(v)


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Évaluation — {report['label']}", "", f"Jeu : `{report['questions_file']}` ({report['summary']['overall']['questions']} questions) ; cible : {report['target']} ; date : {report['date']}", ""]
    runs = {"système": report["summary"], **{f"référence {k}": v for k, v in report.get("baselines", {}).items()}}
    lines += ["## Vue d'ensemble", "", "| métrique | " + " | ".join(runs) + " |", "|---|" + "---|" * len(runs)]
    for m in METRICS:
        lines.append(f"| {m} | " + " | ".join(_fmt(s["overall"].get(m)) for s in runs.values()) + " |")
    lines += ["", "## Par catégorie (système)", "", "| catégorie | n | " + " | ".join(METRICS) + " |", "|---|---|" + "---|" * len(METRICS)]
    for cat, s in report["summary"]["per_category"].items():
        lines.append(f"| {cat} | {s['questions']} | " + " | ".join(_fmt(s.get(m)) for m in METRICS) + " |")
    if report.get("failures"):
        lines += ["", "## Échecs (système)", ""]
        lines += [f"- `{f['id']}` ({f['category']}) : {'; '.join(f['problems'])}" for f in report["failures"]]
    return "\n".join(lines) + "\n"


MAX_RETRIES_429 = 20
MAX_RETRY_AFTER_S = 120.0


def api_asker(
    base_url: str, api_key: str | None = None, timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep,
) -> Asker:
    """Ask through ``POST /v1/ask``. A 429 (rate limit) is waited out as its ``Retry-After`` says, then retried, so a
    run against a server with the default limit completes; other errors are recorded with the question."""
    import httpx

    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers={"Authorization": f"Bearer {api_key}"} if api_key else {})

    def ask(question: str, history: list[dict[str, str]]) -> dict[str, Any]:
        for _ in range(MAX_RETRIES_429 + 1):
            r = client.post("/v1/ask", json={"question": question, "history": history})
            if r.status_code != 429:
                break
            sleep(retry_after(r.headers.get("Retry-After")))
        if r.status_code != 200:
            return {"answer": "", "refused": True, "citations": [], "error": f"HTTP {r.status_code}"}
        return r.json()

    return ask


def retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds, or an HTTP date); 1 s if absent or unreadable."""
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def write_reports(report: dict[str, Any], out_dir: Path, stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    js.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    md.write_text(markdown(report), encoding="utf-8")
    return js, md


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
