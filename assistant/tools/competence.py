"""The ``juridiction-specialisee`` tool: a matter (+ optional facts) → competent authorities, nature, legal basis.

Matters and their rules are data (``rules/competence.toml``); matching of the user's wording is tolerant
(synonyms, accents, case) but never guesses between two matters: an ambiguous or unknown matter is an error
listing the known ones.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from assistant.errors import InvalidToolInputError
from assistant.text import fold
from assistant.tools.rules import STAGES, Matter, load_matters

NATURE_LABELS = {
    "exclusive": "compétence exclusive",
    "concurrente": "compétence concurrente",
    "extension": "extension de compétence territoriale",
}
STAGE_LABELS = {
    "enquete": "enquête",
    "poursuite": "poursuite",
    "instruction": "instruction",
    "jugement": "jugement",
    "application_des_peines": "application des peines",
    "entraide": "entraide internationale (mandat d'arrêt européen, extradition)",
}
_STAGE_SYNONYMS = {
    "enquete": "enquete", "enquetes": "enquete", "flagrance": "enquete", "preliminaire": "enquete",
    "poursuite": "poursuite", "poursuites": "poursuite", "parquet": "poursuite",
    "instruction": "instruction", "information": "instruction", "information judiciaire": "instruction",
    "jugement": "jugement", "audience": "jugement", "proces": "jugement",
    "application des peines": "application_des_peines", "application_des_peines": "application_des_peines",
    "execution des peines": "application_des_peines", "jap": "application_des_peines", "apres condamnation": "application_des_peines",
    "entraide": "entraide", "mandat d arret europeen": "entraide", "mae": "entraide", "extradition": "entraide",
}


def matter_keys(matter: Matter) -> list[str]:
    """Folded names under which a matter can be asked for."""
    return [fold(s) for s in (matter.id.replace("-", " "), matter.label, *matter.synonyms)]


@lru_cache(maxsize=1)
def _singular_names() -> dict[str, list[str]]:
    """Each matter's names, folded and singular: computed once, the rules being loaded once."""
    return {m.id: [_singular(k) for k in matter_keys(m)] for m in load_matters().values()}


def _singular(folded: str) -> str:
    """« actes de terrorisme » and « acte de terrorisme » compare equal (a plural never misses its singular)."""
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" and not w.endswith("ss") else w for w in folded.split())


def find_matter(value: object) -> Matter:
    """The matter named by ``value`` (id, label or synonym, tolerant); ``InvalidToolInputError("matter")`` otherwise."""
    matters = load_matters()
    known = ", ".join(matters)
    if not isinstance(value, str) or not value.strip():
        raise InvalidToolInputError("matter", f"indiquez une matière. Matières connues : {known}.")
    if value in matters:
        return matters[value]
    key = fold(value)
    exact = [m for m in matters.values() if key in matter_keys(m)]
    if len(exact) == 1:
        return exact[0]
    # A synonym contained in the wording (« acte de terrorisme commis à Nice » → terrorisme), singular or plural;
    # the most specific wins: a matter whose words are only part of another found matter's name (« pollution » within
    # « pollution marine » when « dégazage » is there too) gives way to it; then the one of most words, the longest.
    scored: list[tuple[tuple[int, int], str]] = []
    wording = f" {_singular(key)} "
    names = _singular_names()
    found = {mid: [k for k in ks if len(k) >= 3 and f" {k} " in wording] for mid, ks in names.items()}
    found = {mid: keys for mid, keys in found.items() if keys}
    for mid, keys in found.items():
        # (« pollution » is part of a longer name of pollution-marine: « pollution marine »)
        if any(other != mid and all(any(n != k and f" {k} " in f" {n} " for n in names[other]) for k in keys) for other in found):
            continue
        scored.append((max((len(k.split()), len(k)) for k in keys), mid))
    scored.sort(reverse=True)
    if scored and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return matters[scored[0][1]]
    if len(scored) > 1:
        tied = ", ".join(mid for _, mid in scored[:4])
        raise InvalidToolInputError("matter", f"matière ambiguë « {value} » : précisez parmi {tied}.")
    choices = {k: m.id for m in matters.values() for k in matter_keys(m)}
    near = process.extract(key, list(choices), scorer=fuzz.WRatio, limit=5, score_cutoff=88)
    near_ids = list(dict.fromkeys(choices[k] for k, _, _ in near))
    if len(near_ids) == 1:
        return matters[near_ids[0]]
    raise InvalidToolInputError("matter", f"matière inconnue « {value} ». Matières connues : {known}.")


def parse_minor(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        f = fold(value)
        if f in ("oui", "true", "vrai", "mineur", "1"):
            return True
        if f in ("non", "false", "faux", "majeur", "0"):
            return False
    raise InvalidToolInputError("minor", "valeur attendue : true (mineur) ou false (majeur).")


def parse_stage(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        f = fold(value)
        if f in _STAGE_SYNONYMS:
            return _STAGE_SYNONYMS[f]
        if f.replace(" ", "_") in STAGES:
            return f.replace(" ", "_")
    raise InvalidToolInputError("stage", f"stade inconnu « {value} » ; stades possibles : {', '.join(STAGES)}.")


def run_juridiction_specialisee(arguments: dict[str, Any]) -> dict[str, Any]:
    """Entry point of ``juridiction-specialisee``: ``{"matter": ..., "minor": bool?, "stage": str?}``, already
    validated by ``JuridictionSpecialiseeArgs`` (``run_tool``)."""
    matter = find_matter(arguments.get("matter"))
    minor, stage = arguments.get("minor"), arguments.get("stage")

    notes = list(matter.notes)
    selected = []
    for a in matter.authorities:
        if minor is True and a.minors == "excluded":
            continue
        if minor is False and a.minors == "only":
            continue
        if stage and a.stages and stage not in a.stages:
            continue
        selected.append(a)
    if not selected:
        notes.insert(
            0,
            f"Aucune règle spéciale du corpus pour ce stade ({STAGE_LABELS.get(stage or '', stage)}) : "
            "les règles de compétence de droit commun s'appliquent (hors corpus). Règles spéciales de la matière :",
        )
        selected = list(matter.authorities)
    if minor is True and not any(a.minors == "only" for a in matter.authorities):
        notes.append("Le corpus ne prévoit pas de règle propre aux mineurs pour cette matière.")

    authorities: list[dict[str, Any]] = [
        {
            "authorities": a.authorities,
            "role": a.role,
            "nature": a.nature,
            "nature_label": NATURE_LABELS[a.nature],
            "detail": a.detail,
            "stages": [STAGE_LABELS[s] for s in a.stages],
            "minors": {"only": "mineurs", "excluded": "majeurs", "any": "tous"}[a.minors],
            "basis": [b.to_dict() for b in a.basis],
        }
        for a in selected
    ]
    basis: list[dict[str, Any]] = []
    for entry in authorities:
        basis.extend(b for b in entry["basis"] if b not in basis)
    basis.extend(b.to_dict() for b in matter.note_basis if b.to_dict() not in basis)
    return {
        "matter": matter.id,
        "label": matter.label,
        "summary": matter.summary,
        "facts": {"minor": minor, "stage": stage},
        "authorities": authorities,
        "notes": notes,
        "basis": basis,
    }


def matters_catalogue() -> list[dict[str, Any]]:
    return [{"id": m.id, "label": m.label, "synonyms": list(m.synonyms)} for m in load_matters().values()]
