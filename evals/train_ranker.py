"""Learn the ranker's weights (``assistant.ranking``) for the configured embedding model.

For every answerable question of the training set that retrieval answers (no tool, no article named as subject),
the first ``RANK_DEPTH`` hits of the fused order are featurized; each pair (expected unit, other unit) is one
example of a pairwise logistic regression with L2 regularization (Newton's method: 22 features, a few thousand
pairs). The weights are written into ``assistant/embedding_profiles.toml`` under the model's ``ranker`` table.

Train on the development sets (``evals/questions.jsonl``, ``evals/dev2.jsonl``, ``evals/dev5.jsonl`` to ``dev7.jsonl``); ``--validate evals/holdout.jsonl``
reports recall@1 on questions not trained on. The blind set (``evals/blind.jsonl``) is refused: it measures, it never teaches.

    python -m evals.train_ranker [--questions evals/questions.jsonl evals/dev2.jsonl …] [--validate evals/holdout.jsonl] [--write]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from assistant.chain import Assistant
from assistant.ranking import FEATURES, RANK_DEPTH
from assistant.settings import Settings
from evals.run import _matches, load_questions

PROFILES = Path(__file__).resolve().parents[1] / "assistant" / "embedding_profiles.toml"
L2 = 0.5  # 5-fold cross-validation on the development sets (250 questions): recall@1 0.804 at 0.1, 0.808 at 0.5, 0.792 at 2, 0.760 at 10
BLIND = "blind.jsonl"

Example = tuple[np.ndarray, np.ndarray]  # one question: feature matrix (hits × features), labels (1: expected unit)


def collect(assistant: Assistant, path: Path) -> list[Example]:
    """Feature matrices and labels of the questions that the ranker would reorder."""
    search = assistant.search
    saved, search.ranker_weights = search.ranker_weights, None  # learn from the fused order, not from a ranker's
    out = []
    try:
        for q in load_questions(path):
            exp = q.expected
            if exp.get("refused") or not (exp.get("articles") or exp.get("sections")):
                continue
            p = assistant.use_tools(assistant.prepare({"question": q.question, "history": q.history}))
            if p.refusal or p.tool is not None or p.analysis is None:
                continue
            hits = search.search(p.standalone, k=RANK_DEPTH, analysis=p.analysis)
            if not hits or any(h.pinned for h in hits):
                continue
            labels = [_matches({"article": h.unit.article, "section": h.unit.section, "doc_id": h.unit.doc_id,
                                "abrogated": h.unit.abrogated}, q) for h in hits]
            out.append((np.array(search.rank_features(p.standalone, hits, p.analysis)), np.array(labels, dtype=float)))
    finally:
        search.ranker_weights = saved
    return out


def fit(examples: list[Example], l2: float = L2) -> np.ndarray:
    """Pairwise logistic regression: P(expected above other) = σ(w · (x_expected − x_other))."""
    diffs = [x[i] - x[j] for x, y in examples for i in np.flatnonzero(y) for j in np.flatnonzero(1 - y)]
    d = np.array(diffs) if diffs else np.zeros((0, len(FEATURES)))
    w = np.zeros(len(FEATURES))
    for _ in range(50):
        p = 1 / (1 + np.exp(-(d @ w)))
        grad = -d.T @ (1 - p) + l2 * w
        hess = (d * (p * (1 - p))[:, None]).T @ d + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def recall_at_1(examples: list[Example], w: np.ndarray | None) -> float:
    """Share of questions whose first hit is expected: in the fused order (``w`` None) or the ranker's."""
    if not examples:
        return 0.0
    return float(np.mean([y[0] if w is None else y[int(np.argmax(x @ w))] for x, y in examples]))


def cross_validate(examples: list[Example], l2: float, folds: int = 5) -> float:
    order = np.random.default_rng(0).permutation(len(examples))
    hits = 0.0
    for part in np.array_split(order, folds):
        held = set(part.tolist())
        w = fit([examples[i] for i in order if i not in held], l2)
        hits += recall_at_1([examples[i] for i in part], w) * len(part)
    return hits / len(examples)


def toml_table(model: str, w: np.ndarray) -> str:
    lines = [f'["{model}".ranker]  # learned by evals/train_ranker.py on the development sets']
    lines += [f"{name} = {value:.4f}" for name, value in zip(FEATURES, w, strict=True)]
    return "\n".join(lines) + "\n"


def write_weights(model: str, w: np.ndarray, path: Path = PROFILES) -> None:
    """Replace (or append) the model's ranker table in the profiles file, the rest of the file untouched."""
    text = path.read_text(encoding="utf-8")
    header = re.compile(rf'^\["{re.escape(model)}"\.ranker\].*?(?=^\[|\Z)', re.M | re.S)
    table = toml_table(model, w)
    text = header.sub(lambda _m: table + "\n", text) if header.search(text) else text.rstrip("\n") + "\n\n" + table
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Apprendre les poids du classement final (assistant.ranking).")
    parser.add_argument("--questions", type=Path, nargs="+",
                        default=[Path(f"evals/{name}.jsonl") for name in ("questions", "dev2", "dev5", "dev6", "dev7")],
                        help="Jeux d'apprentissage (par défaut : le jeu principal et les jeux de mise au point 2, 5, 6, 7).")
    parser.add_argument("--validate", type=Path, default=None, help="Jeu de validation (jamais appris).")
    parser.add_argument("--write", action="store_true", help="Écrire les poids dans assistant/embedding_profiles.toml.")
    args = parser.parse_args(argv)
    if BLIND in {*(q.name for q in args.questions), getattr(args.validate, "name", "")}:
        parser.error("le jeu aveugle (evals/blind.jsonl) mesure, il n'apprend ni ne valide : choisissez un autre jeu.")
    from assistant.compose import load_assistant

    settings = Settings()
    assistant = load_assistant(settings)
    train = [example for path in args.questions for example in collect(assistant, path)]
    w = fit(train)
    print(f"{len(train)} questions d'apprentissage — recall@1 ordre fusionné {recall_at_1(train, None):.3f}, "
          f"classement appris {recall_at_1(train, w):.3f} (validation croisée {cross_validate(train, L2):.3f})")
    if args.validate:
        held = collect(assistant, args.validate)
        print(f"{len(held)} questions de validation — recall@1 ordre fusionné {recall_at_1(held, None):.3f}, "
              f"classement appris {recall_at_1(held, w):.3f}")
    print(toml_table(settings.embedding_model, w))
    if args.write:
        write_weights(settings.embedding_model, w)
        print(f"Poids écrits dans {PROFILES.name}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
