"""The vocabulary of questions, loaded once from ``vocabulary.toml``: abbreviations, kinds of answer, acts, regimes,
negation cues, polarity concepts, procedural stages and out-of-scope topics. Data, not code: a new abbreviation or act is one line there.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")


@dataclass(frozen=True)
class OutOfScopeTopic:
    id: str
    scope: str  # "other-law" (wins over any regime) or "general-procedure" (a named special regime brings it back)
    label: str  # French, with its preposition: « du droit civil »
    pattern: re.Pattern[str]
    answered_by: re.Pattern[str] | None = None  # a statement by which the corpus itself answers (a penalty it sets)
    unless: re.Pattern[str] | None = None  # words that bring the question back into the corpus (cooperation with a State)


@dataclass(frozen=True)
class Vocabulary:
    abbreviations: dict[str, str]
    thesaurus: dict[str, str]
    kinds: tuple[tuple[str, re.Pattern[str]], ...]
    acts: dict[str, re.Pattern[str]]
    regimes: dict[str, re.Pattern[str]]
    negation_cue: re.Pattern[str]
    negation_after: re.Pattern[str]  # a negation that follows what it negates (« la bande organisée n'est pas retenue »)
    negation_window: int
    scoping_regimes: tuple[str, ...]
    polarity: dict[str, re.Pattern[str]]
    affirmation_decides: tuple[str, ...]  # polarity concepts whose affirmation alone sets the governing text apart
    every_offence_acts: tuple[str, ...]  # cooperation acts governed alike for every offence (an offence named is context)
    stages: dict[str, re.Pattern[str]]
    authorities: dict[str, re.Pattern[str]]
    stage_authorities: dict[str, tuple[str, ...]]  # who acts at each stage
    stage_parent: dict[str, str]  # the phase a stage is part of (flagrance and préliminaire: the enquête)
    out_of_scope: tuple[OutOfScopeTopic, ...]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = tomllib.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return Vocabulary(
        abbreviations=dict(data["abbreviations"]),
        thesaurus=dict(data["thesaurus"]),
        kinds=tuple((k["kind"], re.compile(k["pattern"])) for k in data["kinds"]),
        acts={k: re.compile(v) for k, v in data["acts"].items()},
        regimes={k: re.compile(v) for k, v in data["regimes"].items()},
        negation_cue=re.compile(data["negation"]["cue"]),
        negation_after=re.compile(data["negation"]["after"]),
        negation_window=int(data["negation"]["window"]),
        scoping_regimes=tuple(data["negation"]["scoping_regimes"]),
        polarity={k: re.compile(v) for k, v in data["polarity"].items()},
        affirmation_decides=tuple(data["negation"]["affirmation_decides"]),
        every_offence_acts=tuple(data["every_offence"]["acts"]),
        stages={k: re.compile(v) for k, v in data["stages"].items()},
        authorities={k: re.compile(v) for k, v in data["authorities"].items()},
        stage_authorities={k: tuple(v) for k, v in data["stage_authorities"].items()},
        stage_parent=dict(data["stage_parent"]),
        out_of_scope=tuple(
            OutOfScopeTopic(
                t["id"], t["scope"], t["label"], re.compile(t["pattern"]),
                re.compile(t["answered_by"]) if "answered_by" in t else None,
                re.compile(t["unless"]) if "unless" in t else None,
            )
            for t in data["out_of_scope"]
        ),
    )
