"""The learned ranker: how it reorders, how it is trained and stored, and that the blind set never trains it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from assistant.chain import Assistant
from assistant.ranking import FEATURES, rerank
from assistant.settings import DEFAULT_EMBEDDING_MODEL, embedding_profile, ranker_weights
from evals import train_ranker


def test_the_default_model_ships_weights_for_every_feature() -> None:
    weights = ranker_weights(DEFAULT_EMBEDDING_MODEL)
    assert weights is not None and set(weights) == set(FEATURES)
    assert "ranker" not in embedding_profile(DEFAULT_EMBEDDING_MODEL)  # the profile stays a flat table of numbers
    assert ranker_weights("un-modele-sans-classement") is None  # another model keeps the fused order


def test_rerank_orders_by_margin_and_keeps_the_first_score(assistant: Assistant) -> None:
    hits = assistant.search.search("Combien de temps dure une infiltration ?", k=3)
    top = max(h.score for h in hits)
    weights = {name: 0.0 for name in FEATURES} | {"length": 1.0}
    vectors = [[0.0] * len(FEATURES) for _ in hits]
    for i, v in enumerate(vectors):
        v[FEATURES.index("length")] = float(i)  # the last hit has the largest margin
    out = rerank(list(hits), vectors, weights)
    assert out[0] is hits[-1] and out[0].score == pytest.approx(top)
    assert [h.score for h in out] == sorted((h.score for h in out), reverse=True)


def test_fit_learns_the_feature_that_separates_the_expected_unit() -> None:
    rng = np.random.default_rng(1)
    examples = []
    for _ in range(30):
        x = rng.normal(size=(6, len(FEATURES)))
        y = np.zeros(6)
        y[int(np.argmax(x[:, 3]))] = 1.0  # the expected unit is the one with the largest feature 3
        examples.append((x, y))
    w = train_ranker.fit(examples)
    assert int(np.argmax(w)) == 3
    assert train_ranker.recall_at_1(examples, w) > train_ranker.recall_at_1(examples, None)


def test_write_weights_replaces_only_the_models_table(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[default]\ndense_weight = 0.25\n\n["m"]\ndense_weight = 0.5\n\n["m".ranker]\nfused = 9.0\n\n["autre"]\ndense_weight = 1.0\n')
    train_ranker.write_weights("m", np.arange(len(FEATURES), dtype=float), profiles)
    data = tomllib.loads(profiles.read_text())
    assert data["m"]["dense_weight"] == 0.5 and data["autre"]["dense_weight"] == 1.0
    assert data["m"]["ranker"] == {name: float(i) for i, name in enumerate(FEATURES)}


@pytest.mark.parametrize("argv", [["--questions", "evals/blind.jsonl"], ["--validate", "evals/blind.jsonl"]])
def test_the_blind_set_never_trains_nor_validates_the_ranker(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        train_ranker.main(argv)
    assert exit_.value.code == 2 and "jeu aveugle" in capsys.readouterr().err
