"""Validate the hand-made evaluation set ``evals/questions.jsonl`` against the corpus.

Standard library and the leaf module ``assistant.text`` only (no index, no model). Run with the project's Python::

    .venv/bin/python evals/check_questions.py            # summary + errors, exit code 1 on error
    .venv/bin/python evals/check_questions.py --file evals/dev20.jsonl
    .venv/bin/python evals/check_questions.py --show     # also print, per question, the opening words of
                                               # every expected article (for a manual review)

What it checks
- one JSON object per line, required keys and types, valid category, unique ids;
- history only (and always) on multi-tour questions, ending with an assistant turn;
- refused questions carry no article, section, fact or tool;
- every expected article exists in the corpus as a live (non-repealed) article; a repealed block is
  accepted only when the question checks repeal (a fact matching "abrog");
- every circulaire section exists in its document (numbered headings as printed, trailing dot
  dropped: "1.1", "3.4"); ``section: null`` means the whole document (the 2026 circulaire has no
  numbered sections);
- every fact is a valid regex that matches (case-insensitive, whitespace-normalized) the text of at
  least one expected article or section; only computed dates/times of ``delai`` (or multi-tour)
  questions may match nothing, and they are listed as notes;
- pôle questions: tool ``pole-instruction``, article D15-4-4, and the expected seat is the seat that
  the D15-4-4 table gives for the tribunal named in the question.

Article numbers: the two CPP files have no numbers. They are recovered here by aligning, in order,
the corpus bullets with the reference tables of contents (``corpus/reference/*.tsv``) with a
word-overlap similarity (an order-preserving alignment, not a lookup, because some reference
articles are absent from the corpus and the corpus keeps repealed blocks).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.text import ARTICLE_NUMBER, MONTHS_PATTERN, strip_accents

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"

CATEGORIES = ("article", "procedure", "circulaire", "pole", "delai", "competence", "refus", "multi-tour")
CODE_DOCS = {
    "cpp-legislatif-l4": ("cpp_legislatif_livre4_2022-08-15.txt", "cpp_legislatif_livre4_toc.tsv"),
    "cpp-reglementaire-d": ("cpp_reglementaire_D_2024-04-16.txt", "cpp_reglementaire_d_toc.tsv"),
}
CIRC_DOCS = {
    "circ-2025-03-05-criminalite-organisee": "circulaire_2025-03-05_coordination_criminalite_organisee.md",
    "circ-2026-04-13-donnees-fournisseurs": "circulaire_2026-04-13_donnees_fournisseurs_services.md",
    "circ-2025-etrangers-detenus": "circulaire_2025_etrangers_detenus_eloignement.txt",
}
ARTICLE_RE = re.compile(rf"^D?{ARTICLE_NUMBER}$")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COMPUTED_RE = re.compile(rf"(\d{{1,2}}(er)?\W{{0,4}}({MONTHS_PATTERN})\W{{0,4}}20\d\d)|(\d{{1,2}}\W{{0,6}}h)|(\d\d:\d\d)|(/20\d\d)", re.I)


def norm_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lower-case, accents removed, apostrophes unified: for fuzzy comparisons only."""
    return strip_accents(text.replace("\u2019", "'")).lower()


# --------------------------------------------------------------------------------------------
# Codes: bullets, reference TOC, alignment
# --------------------------------------------------------------------------------------------


def parse_bullets(path: Path) -> list[dict]:
    units: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("•"):
            first = stripped[1:].strip()
            m = re.match(r"Article (\S+) \(abrogé\)$", first)
            cur = {"line": i, "lines": [first], "repealed": m.group(1) if m else None, "num": None, "heads": {}}
            units.append(cur)
        elif cur is not None and stripped:
            cur["lines"].append(stripped)
    for u in units:
        u["text"] = norm_ws(" ".join(u["lines"]))
    return units


def parse_toc(path: Path) -> list[dict]:
    out: list[dict[str, Any]] = []
    heads: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if parts[0] == "H":
            depth = int(parts[1])
            heads = {k: v for k, v in heads.items() if k < depth}
            heads[depth] = parts[2]
        elif parts[0] == "A":
            out.append({"num": parts[1], "first": parts[2], "heads": dict(heads)})
    return out


def _shingles(text: str, n_chars: int = 160) -> set[tuple[str, str]]:
    words = re.findall(r"\w+", fold(text)[:n_chars])
    return {(a, b) for a, b in zip(words, words[1:], strict=False)} or {(w, "") for w in words}


def _similarity(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def align(units: list[dict], toc: list[dict]) -> None:
    """Order-preserving alignment (Needleman-Wunsch) of live bullets with TOC entries; sets ``num``."""
    live = [u for u in units if not u["repealed"]]
    n, m = len(live), len(toc)
    a_sh = [_shingles(u["text"]) for u in live]
    b_sh = [_shingles(t["first"]) for t in toc]
    gap = -0.2
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    back = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        score[i][0], back[i][0] = score[i - 1][0] + gap, "u"
    for j in range(1, m + 1):
        score[0][j], back[0][j] = score[0][j - 1] + gap, "l"
    for i in range(1, n + 1):
        ai = a_sh[i - 1]
        row, prev = score[i], score[i - 1]
        for j in range(1, m + 1):
            s = _similarity(ai, b_sh[j - 1]) * 2 - 1
            best, how = prev[j - 1] + s, "d"
            if prev[j] + gap > best:
                best, how = prev[j] + gap, "u"
            if row[j - 1] + gap > best:
                best, how = row[j - 1] + gap, "l"
            row[j], back[i][j] = best, how
    pairs = _pair_lone_gaps(_traceback(back, n, m))
    for iu, jt in pairs:
        if iu is not None and jt is not None:
            u, t = live[iu], toc[jt]
            u["num"], u["heads"], u["conf"] = t["num"], t["heads"], _similarity(a_sh[iu], b_sh[jt])
    last: dict = {}
    for u in units:  # repealed / unnumbered blocks take the headings of the preceding article
        if u["num"]:
            last = u["heads"]
        else:
            u["heads"] = last


Pairs = list[tuple[int | None, int | None]]


def _traceback(back: list[list[str]], n: int, m: int) -> Pairs:
    """The aligned (bullet, TOC entry) index pairs, in order, from the back-pointers of ``align``."""
    i, j = n, m
    pairs: Pairs = []
    while i > 0 or j > 0:
        how = back[i][j]
        if how == "d":
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == "u":
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return pairs


def _pair_lone_gaps(pairs: Pairs) -> Pairs:
    """A lone unmatched bullet facing a lone unmatched reference entry between the same two anchors is the same
    article whose wording changed (e.g. D15-1-1): pair them, with their low confidence."""
    start = 0
    for k in range(len(pairs) + 1):
        if k == len(pairs) or (pairs[k][0] is not None and pairs[k][1] is not None):
            gap_u = [p[0] for p in pairs[start:k] if p[0] is not None]
            gap_t = [p[1] for p in pairs[start:k] if p[1] is not None]
            if len(gap_u) == 1 and len(gap_t) == 1:
                pairs[start:k] = [(gap_u[0], gap_t[0])] + [(None, None)] * (k - start - 1)
            start = k + 1
    return pairs


def load_codes() -> dict[str, list[dict]]:
    codes = {}
    for doc_id, (fname, tocname) in CODE_DOCS.items():
        units = parse_bullets(CORPUS / fname)
        align(units, parse_toc(CORPUS / "reference" / tocname))
        for u in units:
            u["doc_id"] = doc_id
        codes[doc_id] = units
    return codes


# --------------------------------------------------------------------------------------------
# Circulaires: numbered sections
# --------------------------------------------------------------------------------------------

HEADING_RE = re.compile(r"^\s*(\d+\.(?:\d+\.?)*)\s+\S")


def load_circulaires() -> dict[str, dict[str | None, str]]:
    out: dict[str, dict[str | None, str]] = {}
    for doc_id, fname in CIRC_DOCS.items():
        lines = (CORPUS / fname).read_text(encoding="utf-8").split("\n")
        sections: dict[str | None, list[str]] = collections.OrderedDict()
        current: str | None = "_preamble"
        sections[current] = []
        for line in lines:
            m = HEADING_RE.match(line)
            if m:
                current = m.group(1).rstrip(".")
                sections.setdefault(current, [])
            sections[current].append(line)
        texts: dict[str | None, str] = {k: norm_ws(" ".join(v)) for k, v in sections.items()}
        texts[None] = norm_ws(" ".join(lines))  # section null: the whole document
        out[doc_id] = texts
    return out


# --------------------------------------------------------------------------------------------
# D15-4-4: the pôles de l'instruction table
# --------------------------------------------------------------------------------------------


def load_poles(codes: dict[str, list[dict]]) -> dict[str, str]:
    unit = next(u for u in codes["cpp-reglementaire-d"] if u["num"] == "D15-4-4")
    mapping: dict[str, str] = {}
    state = None  # None, "seat", "list"
    seat = ""
    for line in unit["lines"][1:]:
        if "Cour d'appel" in line:
            state = "seat"
            continue
        if not line.endswith(".") or line.startswith("Conformément"):
            continue
        if state == "seat":
            seat, state = line.rstrip("."), "list"
        elif state == "list":
            for trib in line.rstrip(".").split(","):
                mapping[fold(trib.strip())] = seat
            state = "seat"
    return mapping


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


@dataclass
class _Corpus:
    """What the checks compare the questions with."""

    live: dict[str, dict]
    repealed: dict[str, dict]
    circs: dict[str, dict]
    poles: dict[str, str]
    all_text: str
    show: bool = False


@dataclass
class _Tally:
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    per_cat: collections.Counter[str] = field(default_factory=collections.Counter)
    per_doc: collections.Counter[str] = field(default_factory=collections.Counter)
    per_titre: collections.Counter[str] = field(default_factory=collections.Counter)
    refused: int = 0


def _load_corpus(show: bool) -> _Corpus:
    codes = load_codes()
    circs = load_circulaires()
    poles = load_poles(codes)
    live: dict[str, dict] = {}
    repealed: dict[str, dict] = {}
    for units in codes.values():
        for u in units:
            if u["num"]:
                live[u["num"]] = u
            elif u["repealed"]:
                repealed.setdefault(u["repealed"], u)
    all_text = norm_ws(" ".join(u["text"] for us in codes.values() for u in us) + " " + " ".join(t[None] for t in circs.values()))
    return _Corpus(live, repealed, circs, poles, all_text, show)


def _read_questions(path: Path, errors: list[str]) -> list[dict]:
    questions: list[dict] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            errors.append(f"line {lineno}: empty line")
            continue
        try:
            q = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(f"line {lineno}: invalid JSON ({exc})")
            continue
        questions.append(q)
    ids = collections.Counter(q.get("id") for q in questions)
    for qid, n in ids.items():
        if n > 1:
            errors.append(f"duplicate id {qid} ({n} times)")
    return questions


def _check_history(q: dict, where: str, errors: list[str]) -> None:
    hist, cat = q["history"], q["category"]
    if not isinstance(hist, list) or any(
        not isinstance(t, dict)
        or set(t) != {"role", "content"}
        or t["role"] not in ("user", "assistant")
        or not isinstance(t["content"], str)
        or not t["content"].strip()
        for t in hist
    ):
        errors.append(f"{where} history must be a list of {{role: user|assistant, content}}")
    elif cat == "multi-tour":
        if len(hist) < 2 or hist[0]["role"] != "user" or hist[-1]["role"] != "assistant":
            errors.append(f"{where} multi-tour history must start with user and end with assistant")
    elif hist:
        errors.append(f"{where} only multi-tour questions carry a history")


def _check_shape(q: dict, where: str, t: _Tally) -> bool:
    """Keys, id, category, question text, history; False when the question cannot be checked further."""
    errors = t.errors
    if set(q) - {"tags"} != {"id", "category", "question", "history", "expected"}:
        errors.append(f"{where} keys must be id, category, question, history, expected and optional tags (got {sorted(q)})")
        return False
    if not isinstance(q.get("tags", []), list) or not all(isinstance(x, str) and x for x in q.get("tags", [])):
        errors.append(f"{where} tags must be a list of labels (the runner reports per tag)")
    exp = q["expected"]
    if not isinstance(exp, dict) or set(exp) != {"articles", "sections", "facts", "refused", "tool"}:
        errors.append(f"{where} expected must have articles, sections, facts, refused, tool")
        return False
    if not ID_RE.match(str(q.get("id", "?"))):
        errors.append(f"{where} id must be lower-case words joined by dashes")
    cat = q["category"]
    if cat not in CATEGORIES:
        errors.append(f"{where} unknown category {cat!r}")
    t.per_cat[cat] += 1
    if not isinstance(q["question"], str) or len(q["question"].strip()) < 8:
        errors.append(f"{where} question must be a non-trivial string")
    _check_history(q, where, errors)
    if not (isinstance(exp["articles"], list) and isinstance(exp["sections"], list) and isinstance(exp["facts"], list)):
        errors.append(f"{where} articles, sections and facts must be lists")
        return False
    return True


def _check_refusal(q: dict, where: str, t: _Tally) -> bool:
    """The refusal expectations; True when the question is expected to be refused (nothing more to check)."""
    exp, cat, errors = q["expected"], q["category"], t.errors
    arts, secs, facts, tool = exp["articles"], exp["sections"], exp["facts"], exp["tool"]
    if not isinstance(exp["refused"], bool):
        errors.append(f"{where} refused must be a boolean")
    if exp["refused"]:
        t.refused += 1
        if arts or secs or facts or tool is not None:
            errors.append(f"{where} a refused question carries no article, section, fact or tool")
        if cat not in ("refus", "multi-tour"):
            errors.append(f"{where} refused questions belong to refus (or multi-tour)")
        return True
    if cat == "refus":
        errors.append(f"{where} refus questions must have refused: true")
    if not arts and not secs:
        errors.append(f"{where} an answerable question needs at least one article or section")
    if not facts:
        errors.append(f"{where} an answerable question needs at least one fact")
    return False


def _article_texts(arts: list, facts: list, where: str, c: _Corpus, t: _Tally, docs_of_q: set[str], titres_of_q: set[str]) -> list[str]:
    texts: list[str] = []
    checks_repeal = any(re.search(f, "abrogé", re.I) for f in facts if _valid(f))
    for a in arts:
        if not isinstance(a, str) or not ARTICLE_RE.match(a):
            t.errors.append(f"{where} article {a!r} is not a normalized number")
            continue
        if a in c.live:
            u = c.live[a]
            texts.append(u["text"])
            docs_of_q.add(u["doc_id"])
            titre = u["heads"].get(3, "?") if u["doc_id"] == "cpp-legislatif-l4" else None
            if titre:
                titres_of_q.add(titre)
            if c.show:
                print(f"{where} {a}: {u['text'][:110]}")
        elif a in c.repealed and checks_repeal:
            u = c.repealed[a]
            texts.append(u["text"])
            docs_of_q.add(u["doc_id"])
            titres_of_q.add(u["heads"].get(3, "?"))
            t.notes.append(f"{where} article {a} is a repealed block (question checks repeal)")
            if a in c.live:
                t.notes.append(f"{where} note: {a} also exists as a live article")
        else:
            t.errors.append(
                f"{where} article {a} is not a live article of the corpus"
                + (" (only a repealed block)" if a in c.repealed else "")
            )
    return texts


def _section_texts(secs: list, where: str, c: _Corpus, t: _Tally, docs_of_q: set[str]) -> list[str]:
    texts: list[str] = []
    for s in secs:
        if not isinstance(s, dict) or set(s) != {"doc_id", "section"}:
            t.errors.append(f"{where} section entries are {{doc_id, section}}")
            continue
        doc = c.circs.get(s["doc_id"])
        if doc is None:
            t.errors.append(f"{where} unknown circulaire doc_id {s['doc_id']!r}")
            continue
        if s["section"] not in doc or s["section"] == "_preamble":
            t.errors.append(f"{where} section {s['section']!r} not found in {s['doc_id']}")
            continue
        texts.append(doc[s["section"]])
        docs_of_q.add(s["doc_id"])
    return texts


def _check_facts(facts: list, texts: list[str], cat: str, where: str, c: _Corpus, t: _Tally) -> None:
    for f in facts:
        if not _valid(f):
            t.errors.append(f"{where} fact {f!r} is not a valid regex")
            continue
        if any(re.search(f, x, re.I) for x in texts):
            continue
        if cat in ("delai", "multi-tour") and COMPUTED_RE.search(f):
            t.notes.append(f"{where} computed fact {f!r} (date/time, not in the corpus)")
            continue
        where_else = "matches elsewhere in the corpus" if re.search(f, c.all_text, re.I) else "matches nowhere in the corpus"
        t.errors.append(f"{where} fact {f!r} does not match the expected articles/sections ({where_else})")


def _check_tool(q: dict, where: str, c: _Corpus, errors: list[str]) -> None:
    cat, tool, arts = q["category"], q["expected"]["tool"], q["expected"]["articles"]
    if cat == "pole" or (tool and tool.get("name") == "pole-instruction"):
        if not isinstance(tool, dict) or tool.get("name") != "pole-instruction" or "pole" not in tool.get("result", {}):
            errors.append(f"{where} pôle question needs tool pole-instruction with result.pole")
        elif "D15-4-4" not in arts:
            errors.append(f"{where} pôle question must expect article D15-4-4")
        else:
            qtext = fold(q["question"])
            named = [t for t in c.poles if re.search(_name_pattern(t), qtext)]
            named = [t for t in named if not any(t != o and t in o for o in named)]  # longest names only
            if len(named) != 1:
                errors.append(f"{where} cannot identify one tribunal of the D15-4-4 table in the question (found {named})")
            elif c.poles[named[0]] != tool["result"]["pole"]:
                errors.append(
                    f"{where} D15-4-4 gives pôle {c.poles[named[0]]!r} for {named[0]!r}, expected says {tool['result']['pole']!r}"
                )
    elif tool is not None and (not isinstance(tool, dict) or set(tool) != {"name", "result"}):
        errors.append(f"{where} tool must be null or {{name, result}}")


def _check_question(q: dict, c: _Corpus, t: _Tally) -> None:
    where = f"[{q.get('id', '?')}]"
    if not _check_shape(q, where, t) or _check_refusal(q, where, t):
        return
    exp = q["expected"]
    docs_of_q: set[str] = set()
    titres_of_q: set[str] = set()
    texts = _article_texts(exp["articles"], exp["facts"], where, c, t, docs_of_q, titres_of_q)
    texts += _section_texts(exp["sections"], where, c, t, docs_of_q)
    t.per_doc.update(docs_of_q)
    t.per_titre.update(titres_of_q)
    _check_facts(exp["facts"], texts, q["category"], where, c, t)
    _check_tool(q, where, c, t.errors)


def _print_report(path: Path, questions: list[dict], t: _Tally) -> None:
    print(f"{len(questions)} questions in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print("per category:", ", ".join(f"{c} {t.per_cat[c]}" for c in CATEGORIES), f"(refused: {t.refused})")
    print("per document:", ", ".join(f"{d} {t.per_doc[d]}" for d in list(CODE_DOCS) + list(CIRC_DOCS)))
    print("per Titre of Livre IV (questions citing an article of it):")
    titres = [x for x in _toc_titres() if x]
    for x in titres:
        print(f"  {t.per_titre.get(x, 0):3d}  {x[:110]}")
    for note in t.notes:
        print("note:", note)
    for e in t.errors:
        print("ERROR:", e)
    print(f"{len(t.errors)} error(s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=QUESTIONS)
    parser.add_argument("--show", action="store_true", help="print the opening words of expected articles")
    args = parser.parse_args()

    corpus = _load_corpus(args.show)
    tally = _Tally()
    questions = _read_questions(args.file, tally.errors)
    for q in questions:
        _check_question(q, corpus, tally)
    _print_report(args.file, questions, tally)
    return 1 if tally.errors else 0


def _toc_titres() -> list[str]:
    out = []
    for line in (CORPUS / "reference" / CODE_DOCS["cpp-legislatif-l4"][1]).read_text(encoding="utf-8").splitlines():
        p = line.split("\t")
        if p[0] == "H" and p[1] == "3":
            out.append(p[2])
    return out


def _name_pattern(name: str) -> str:
    """A tribunal name as a regex tolerant to hyphen/space variants ("Les Sables d'Olonne")."""
    article = {"les": "(?:les|des)", "le": "(?:le|du)", "la": "la"}
    words = re.split(r"[-\s]+", name)
    parts = [article.get(words[0], re.escape(words[0]))] + [re.escape(w) for w in words[1:]]
    return r"(?<![\w-])" + r"[-\s]+".join(parts) + r"(?![\w-])"


def _valid(pattern: str) -> bool:
    try:
        re.compile(pattern)
        return True
    except (re.error, TypeError):
        return False


if __name__ == "__main__":
    sys.exit(main())
