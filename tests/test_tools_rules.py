"""The rules of the tools are data resting on the corpus: every quote must be verbatim in the unit it cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.catalog import Catalog
from assistant.tools import TOOL_IDS, run_tool, tool_catalogue
from assistant.tools.poles import POLE_INTRO
from assistant.tools.rules import (
    RULES_DIR,
    Basis,
    RuleDataError,
    _basis,
    load_delai_rules,
    load_matters,
    unit_for_basis,
    verify_basis,
)

RULES = load_delai_rules()
MATTERS = load_matters()


def _all_delai_basis() -> list[tuple[str, Basis]]:
    return [(f"{r.id}/{m.id}", b) for r in RULES.values() for m in r.milestones for b in m.basis]


def _all_matter_basis() -> list[tuple[str, Basis]]:
    return [(m.id, b) for m in MATTERS.values() for b in m.basis]


def test_delai_quotes_are_verbatim_in_cited_units(catalog: Catalog) -> None:
    """Every basis of every deadline rule (one check over the whole table; the failures are listed together)."""
    problems = [p for _, b in _all_delai_basis() if (p := verify_basis(catalog, b)) is not None]
    assert not problems, "\n".join(problems)


def test_competence_quotes_are_verbatim_in_cited_units(catalog: Catalog) -> None:
    problems = [p for _, b in _all_matter_basis() if (p := verify_basis(catalog, b)) is not None]
    assert not problems, "\n".join(problems)


def test_pole_intro_quote_is_verbatim(catalog: Catalog) -> None:
    basis = Basis(doc_id="cpp-reglementaire-d", article="D15-4-4", quote=POLE_INTRO)
    assert verify_basis(catalog, basis) is None


def test_no_basis_cites_a_repealed_block(catalog: Catalog) -> None:
    for where, basis in _all_delai_basis() + _all_matter_basis():
        unit = unit_for_basis(catalog, basis)
        assert unit is not None and not unit.abrogated, where


def test_quotes_are_single_clauses() -> None:
    for where, basis in _all_delai_basis() + _all_matter_basis():
        assert len(basis.quote) <= 450, f"{where}: citation trop longue ({len(basis.quote)} caractères)"


def test_a_quote_with_a_line_break_is_rejected_at_load() -> None:
    """The loader refuses a multi-line quote (a quote is one clause), so no loaded basis can hold one."""
    raw = {"doc_id": "cpp-legislatif-l4", "article": "63", "quote": "La garde à vue\nest décidée"}
    with pytest.raises(RuleDataError, match="saut de ligne"):
        _basis(raw, "essai")


def test_a_changed_wording_fails_loudly(catalog: Catalog) -> None:
    """The check is real: a quote whose number was altered is reported."""
    altered = Basis(
        doc_id="cpp-legislatif-l4",
        article="695-27",
        quote="doit être conduite dans les vingt-quatre heures devant le procureur général territorialement compétent.",
    )
    problem = verify_basis(catalog, altered)
    assert problem is not None and "695-27" in problem


def test_rule_ids_are_stable_slugs() -> None:
    for rid in list(RULES) + list(MATTERS):
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rid), rid


def test_rule_files_are_all_loaded() -> None:
    files = sorted(p.name for p in RULES_DIR.glob("*.toml"))
    assert "competence.toml" in files
    assert len([f for f in files if f.startswith("delais_")]) >= 5
    assert len(RULES) >= 100
    assert len(MATTERS) >= 15


def test_expected_rules_exist() -> None:
    for rid in (
        "gav-criminalite-organisee", "gav-terrorisme", "mae-presentation-procureur-general",
        "mae-decision-chambre-instruction", "mae-remise", "mae-delai-decision-definitive",
        "extradition-presentation-procureur-general", "extradition-comparution-chambre-instruction",
        "extradition-decision-chambre-instruction", "extradition-arrestation-provisoire", "dee-reconnaissance",
        "dee-execution", "interceptions-enquete", "techniques-speciales-duree", "infiltration-duree",
        "civi-forclusion", "circulaire-2026-rapport-dacg",
    ):
        assert rid in RULES, rid


def _rule_problems(catalog: Catalog, rule_id: str) -> list[str]:
    result = run_tool(catalog, "delai", {"rule": rule_id, "start": "2026-06-15T10:30"})
    problems = [] if result["deadlines"] else ["aucune échéance"]
    if not (result["basis"] and all("quote" in b for b in result["basis"])):
        problems.append("fondement sans citation")
    for d in result["deadlines"]:
        if not re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$", d["iso"]):
            problems.append(f"date ISO mal formée : {d['iso']}")
        if not re.match(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) ", d["display"]):
            problems.append(f"affichage sans jour : {d['display']}")
    return problems


def test_every_rule_computes(catalog: Catalog) -> None:
    failing = {rid: p for rid in RULES if (p := _rule_problems(catalog, rid))}
    assert not failing, f"{len(failing)} règle(s) en échec : {failing}"


def test_catalogue_lists_every_rule_with_its_basis(catalog: Catalog) -> None:
    cat = {t["id"]: t for t in tool_catalogue(catalog)}
    assert set(cat) == set(TOOL_IDS)
    listed = {r["id"]: r for r in cat["delai"]["rules"]}
    assert set(listed) == set(RULES)
    gav = listed["gav-criminalite-organisee"]
    assert gav["label"] and gav["parameters"]["start"]["type"] == "string"
    assert {"doc_id", "article", "quote"} <= set(gav["basis"][0])
    assert "consent" in listed["mae-decision-chambre-instruction"]["parameters"]
    assert {m["id"] for m in cat["juridiction-specialisee"]["matters"]} == set(MATTERS)
    for tool in cat.values():
        assert tool["parameters"]["type"] == "object" and tool["description"]


def test_tools_package_never_imports_indexing() -> None:
    root = Path(__file__).resolve().parent.parent / "assistant" / "tools"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+indexing\b", text, re.M), path


def test_a_rules_basis_lists_its_main_milestone_first() -> None:
    # The terrorism maximum (144 hours) rests on 706-88-1: it is what an answer from this rule leads with.
    terrorism = RULES["gav-terrorisme"]
    main = next(m for m in terrorism.milestones if m.main)
    assert terrorism.basis[0] == main.basis[0] and terrorism.basis[0].article == "706-88-1"
    assert {b.article for b in terrorism.basis} == {"706-88", "706-88-1"}  # every milestone's basis still listed
