"""Evaluation runner: ask every question of a set (in process or against a live API) and measure the answers.

Metrics (overall, per category and per tag), as defined in ``docs/eval_format.md``: retrieval recall@1/5/10 and
MRR on the expected articles/sections, citation hit rate, *lead* (the first source cited is an expected one),
unsupported-citation rate, citations of another code labelled CPP, fact accuracy, refusal precision/recall, tool
accuracy, median answer length, latency p50/p95. Writes a JSON and a Markdown report with one record per question
(question, expected, first line of the answer, verdict), so that a failure can be read, not only counted.
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
from typing import TYPE_CHECKING, Any

from assistant.text import ARTICLE_NUMBER
from assistant.verbatim import CorpusText

if TYPE_CHECKING:
    from assistant.chain import Assistant

Asker = Callable[[str, list[dict[str, str]]], dict[str, Any]]


@dataclass
class Question:
    id: str
    category: str
    question: str
    history: list[dict[str, str]]
    expected: dict[str, Any]
    tags: list[str] = field(default_factory=list)


def load_questions(path: Path) -> list[Question]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(d["id"], d["category"], d["question"], d.get("history") or [], d["expected"], list(d.get("tags") or [])))
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
    lead_ok: bool | None = None  # the first source cited is an expected unit (answerable questions with units)
    other_code_as_cpp: list[str] = field(default_factory=list)  # renvois to another code labelled as CPP
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
            sources = [c for c in resp.get("citations", []) if c.get("role", "source") == "source"]
            rec.cited_expected = any(_matches(c, q) for c in sources)
            if not exp.get("refused"):
                rec.lead_ok = bool(sources) and _matches(sources[0], q) and not resp.get("refused")
        rec.other_code_as_cpp = other_code_labelled_cpp(resp.get("citations", []))
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


_OTHER_CODE_AFTER = re.compile(rf"^(?:\s*(?:,|et|à)\s*(?:[LRD]\.?\s*)?{ARTICLE_NUMBER})*\s+(?:du|de la|de l.)\s+(code|loi|ordonnance|décret|convention|règlement|statut)\b(?!\s+de\s+procédure\s+pénale)", re.I)


def other_code_labelled_cpp(citations: list[dict[str, Any]]) -> list[str]:
    """Renvois presented as CPP articles although the quote that makes them names another text (« 324-1 du code pénal »)."""
    out = []
    for c in citations:
        if c.get("role") != "renvoi" or c.get("code") or not c.get("article"):
            continue
        for other in citations:
            quote = other.get("quote") or ""
            for m in re.finditer(rf"(?<![\d-]){re.escape(c['article'].lstrip('LRD'))}(?![\d-])", quote):
                if _OTHER_CODE_AFTER.match(quote[m.end():]):
                    out.append(c["article"])
                    break
    return sorted(set(out))


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
        leads = [r.lead_ok for r in recs if r.lead_ok is not None]
        lengths = [len(r.response.get("answer", "")) for r in recs if not r.response.get("refused")]
        return {
            "questions": len(recs),
            "api_errors": sum(1 for r in recs if r.response.get("error")),
            "recall@1": sum(1 for k in ranks if k and k <= 1) / n if n else None,
            "recall@5": sum(1 for k in ranks if k and k <= 5) / n if n else None,
            "recall@10": sum(1 for k in ranks if k and k <= 10) / n if n else None,
            "mrr": sum(1 / k for k in ranks if k) / n if n else None,
            "citation_hit_rate": sum(r.cited_expected for r in answerable) / n if n else None,
            "lead": sum(leads) / len(leads) if leads else None,
            "citations": cits,
            "unsupported_citation_rate": sum(len(r.unsupported) for r in recs) / cits if cits else 0.0,
            "marked_out_of_corpus": sum(r.marked_out_of_corpus for r in recs),
            "other_code_as_cpp": sum(len(r.other_code_as_cpp) for r in recs),
            "false_refusal_rate": (sum(1 for r in recs if r.response.get("refused") and not r.q.expected.get("refused"))
                                   / max(1, sum(1 for r in recs if not r.q.expected.get("refused")))),
            "answer_chars_median": statistics.median(lengths) if lengths else None,
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
    by_tag: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        for tag in r.q.tags:
            by_tag[tag].append(r)
    return {
        "overall": block(records),
        "per_category": {c: block(rs) for c, rs in sorted(by_cat.items())},
        "per_tag": {t: block(rs) for t, rs in sorted(by_tag.items())},
    }


def verdicts(records: list[Record]) -> list[dict[str, Any]]:
    """One line per question: what was asked and expected, how the answer opens, and whether it holds."""
    out = []
    for r in records:
        answer = r.response.get("answer", "")
        first = next((line.strip() for line in answer.splitlines() if line.strip()), "")
        sources = [c for c in r.response.get("citations", []) if c.get("role", "source") == "source"]
        problems = _problems(r)
        out.append({
            "id": r.q.id, "category": r.q.category, "tags": r.q.tags, "question": r.q.question,
            "expected": r.q.expected, "first_line": first[:300], "refused": bool(r.response.get("refused")),
            "first_source": (sources[0].get("article") or sources[0].get("section")) if sources else None,
            "answer_chars": len(answer), "verdict": "ok" if not problems else "; ".join(problems),
        })
    return out


def _problems(r: Record) -> list[str]:
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
    if r.lead_ok is False and not r.response.get("refused"):
        problems.append("première source non attendue")
    problems += r.unsupported
    problems += [f"renvoi {a} étiqueté CPP (autre code)" for a in r.other_code_as_cpp]
    return problems


def failures(records: list[Record]) -> list[dict[str, Any]]:
    return [{"id": r.q.id, "category": r.q.category, "problems": p} for r in records if (p := _problems(r))]


METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "citation_hit_rate", "lead", "unsupported_citation_rate",
           "other_code_as_cpp", "fact_accuracy", "refusal_precision", "refusal_recall", "false_refusal_rate",
           "tool_accuracy", "answer_chars_median", "latency_p50_ms", "latency_p95_ms", "api_errors")


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
    if report["summary"].get("per_tag"):
        lines += ["", "## Par étiquette (système)", "", "| étiquette | n | " + " | ".join(METRICS) + " |", "|---|---|" + "---|" * len(METRICS)]
        for tag, s in report["summary"]["per_tag"].items():
            lines.append(f"| {tag} | {s['questions']} | " + " | ".join(_fmt(s.get(m)) for m in METRICS) + " |")
    if report.get("failures"):
        lines += ["", "## Échecs (système)", ""]
        lines += [f"- `{f['id']}` ({f['category']}) : {'; '.join(f['problems'])}" for f in report["failures"]]
    if report.get("records"):
        lines += ["", "## Réponses, question par question", "", "| id | question | attendu | première ligne de la réponse | verdict |", "|---|---|---|---|---|"]
        for v in report["records"]:
            exp = v["expected"]
            want = "refus" if exp.get("refused") else ", ".join(exp.get("articles", []) + [str(s.get("section") or s["doc_id"]) for s in exp.get("sections", [])])
            cells = [v["id"], v["question"], want, ("[refus] " if v["refused"] else "") + v["first_line"][:160], v["verdict"]]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


MAX_RETRIES_429 = 20
MAX_RETRY_AFTER_S = 120.0


def in_process_asker(assistant: Assistant) -> Asker:
    """Ask ``assistant`` directly, in this process."""
    return lambda question, history: assistant.ask(question, history).to_dict()


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



def run_evaluation(
    settings: Any, questions_path: Path, *, out: Path, name: str, api_url: str | None = None, api_key: str | None = None,
    baselines: bool = False, limit: int = 0, progress: bool = True,
) -> int:
    """The one entry point of an evaluation run: ask every question (in process or through the API), write the JSON
    and Markdown reports, print the summary line. Returns the exit code."""
    from datetime import datetime

    from indexing.parse import parse_corpus

    parsed = parse_corpus(settings)
    corpus = CorpusText(settings.corpus_dir, parsed.documents)
    numbers = {u.article for u in parsed.units if u.article}
    questions = load_questions(questions_path)
    if limit:
        questions = questions[:limit]
    report: dict[str, Any] = {"questions_file": _display_path(questions_path), "date": datetime.now().isoformat(timespec="seconds")}
    if api_url:
        report |= {"label": f"API {api_url}", "target": api_url}
        records = evaluate(questions, api_asker(api_url, api_key), corpus, numbers, progress=progress)
    else:
        from assistant.compose import load_assistant

        assistant = load_assistant(settings)
        report |= {"label": "en processus", "target": "en processus"}
        records = evaluate(questions, in_process_asker(assistant), corpus, numbers, progress=progress)
        if baselines:
            from assistant.store import chroma_client
            from evals.baselines import baseline_assistant

            report["baselines"] = {}
            for kind in ("dense", "bm25"):
                base = baseline_assistant(assistant, kind, chroma_client(settings))
                report["baselines"][kind] = summarize(evaluate(questions, in_process_asker(base), corpus, numbers))
    report["summary"] = summarize(records)
    report["failures"] = failures(records)
    report["records"] = verdicts(records)
    js, md = write_reports(report, out, name)
    overall = report["summary"]["overall"]
    print(f"{overall['questions']} questions — " + ", ".join(
        f"{k} {v:.3f}" for k, v in overall.items() if isinstance(v, float) and k not in ("latency_p50_ms", "latency_p95_ms")
    ) + f", latence p50 {overall['latency_p50_ms']} ms, p95 {overall['latency_p95_ms']} ms, erreurs de l'API {overall['api_errors']}")
    for kind, summary in report.get("baselines", {}).items():
        o = summary["overall"]
        print(f"référence {kind} : recall@5 {o['recall@5']:.3f}, MRR {o['mrr']:.3f}, refus P/R {o['refusal_precision'] or 0:.2f}/{o['refusal_recall'] or 0:.2f}")
    print(f"Rapports : {js} ; {md}")
    return 0


def _display_path(path: Path) -> str:
    """The questions file relative to the project when it is inside it (reports carry no machine path)."""
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        return path.name
