"""The corpus as numbered, versioned units: counts, numbering, notes, pôles table, circulaire sections."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from assistant.catalog import Catalog
from indexing.codes import parse_code_file
from indexing.corpus import load_sources
from indexing.numbering import load_toc
from indexing.parse import ParsedCorpus

CPP_DOCS = ("cpp-legislatif-l4", "cpp-reglementaire-d")


def _bullet_count(path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("•"))


@pytest.mark.parametrize("doc_id", CPP_DOCS)
def test_every_bullet_is_one_unit(parsed: ParsedCorpus, settings, doc_id: str) -> None:
    doc = next(d for d in parsed.documents if d.doc_id == doc_id)
    units = [u for u in parsed.units if u.doc_id == doc_id]
    assert len(units) == _bullet_count(settings.corpus_dir / doc.file)
    assert all(u.article for u in units), "every unit has a number"
    assert [u.line_start for u in units] == sorted(u.line_start for u in units)


def test_abrogated_blocks_are_flagged_and_keep_their_number(parsed: ParsedCorpus, settings) -> None:
    raw = (settings.corpus_dir / "cpp_legislatif_livre4_2022-08-15.txt").read_text(encoding="utf-8")
    printed = re.findall(r"•\s*Article\s+([\d-]+)\s+\(abrogé\)", raw)
    abrogated = [u for u in parsed.units if u.abrogated]
    assert len(printed) == 50
    assert [u.article for u in abrogated] == printed
    assert all(u.title.endswith("(abrogé)") and "(abrogé)" not in u.text for u in abrogated)


def test_no_article_number_used_by_two_live_units(parsed: ParsedCorpus) -> None:
    live = Counter(u.article for u in parsed.units if u.kind == "code" and not u.abrogated)
    assert [a for a, n in live.items() if n > 1] == []


def test_numbering_follows_the_reference_alignment(parsed: ParsedCorpus, settings) -> None:
    """Each live article's first words match the reference entry of its number, in the reference's order."""
    for doc in parsed.documents:
        if doc.kind != "code":
            continue
        toc = {t.number: t for t in load_toc(settings.corpus_dir / doc.toc)}
        live = [u for u in parsed.units if u.doc_id == doc.doc_id and not u.abrogated and not u.unverified]
        positions = [toc[u.article].index for u in live]
        assert positions == sorted(positions), "numbers follow the reference order"
        for u in live:
            assert u.confidence is not None and u.confidence >= settings.numbering_min_confidence, (u.article, u.confidence)
            assert u.hierarchy == toc[u.article].hierarchy


def test_the_unconfirmed_regulatory_article_is_flagged_unverified(catalog: Catalog) -> None:
    unverified = [u for u in catalog.units if u.unverified]
    assert len(unverified) == 1
    assert unverified[0].text.startswith("En application de l'article 12-1, le procureur de la République")
    assert unverified[0].confidence == 0.0


@pytest.mark.parametrize(
    ("phrase", "article"),
    [
        ("deux prolongations supplémentaires de vingt-quatre heures", "706-88"),
        ("A peine de forclusion, la demande d'indemnité", "706-5"),
        ("les tribunaux judiciaires dans lesquels existe un pôle de l'instruction", "D15-4-4"),
    ],
)
def test_spot_checks_a_magistrate_would_recognise(catalog: Catalog, phrase: str, article: str) -> None:
    holders = [u for u in catalog.units if phrase in u.text and not u.abrogated]
    assert [u.article for u in holders] == [article]


def test_entry_into_force_notes_are_notes_not_text(catalog: Catalog) -> None:
    unit = catalog.article("706-72")
    assert any(n.startswith("Conformément à l’article 109, XIII de la loi n° 2019-222") for n in unit.notes)
    assert "Conformément" not in unit.text
    # "Conformément aux dispositions de l'article L. 2211-2 …" is article text, not an entry-into-force note.
    assert any("Conformément aux dispositions de l'article L. 2211-2" in u.text for u in catalog.units_of("cpp-reglementaire-d"))


def test_headings_give_the_place_in_the_code(catalog: Catalog) -> None:
    unit = catalog.article("706-88")
    assert unit.hierarchy[0].startswith("Livre IV")
    assert any("criminalité et à la délinquance organisées" in h for h in unit.hierarchy)
    assert unit.version_date == "2022-08-15"
    assert catalog.article("D15-4-4").version_date == "2024-04-16"


def test_live_article_first_for_a_reused_number(catalog: Catalog) -> None:
    units = catalog.units_for_article("706-72")
    assert [u.abrogated for u in units] == [False, True]
    assert catalog.article("article 706-72 du code de procédure pénale").abrogated is False


@pytest.mark.parametrize(("tribunal", "pole", "cour"), [("Auch", "Agen", "Agen"), ("Soissons", "Laon", "Amiens"), ("Nouméa", "Nouméa", "Nouméa")])
def test_poles_table_rows(catalog: Catalog, tribunal: str, pole: str, cour: str) -> None:
    rows = [r for r in catalog.poles if tribunal in r.tribunaux]
    assert [(r.siege, r.cour_appel) for r in rows] == [(pole, cour)]


def test_poles_table_has_a_row_for_every_tribunal_listed(catalog: Catalog, settings) -> None:
    """Every "X, Y, Z." list line of the table is a row, and every seat is one of its own tribunaux' pôle."""
    raw = (settings.corpus_dir / "cpp_reglementaire_D_2024-04-16.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(raw) if "les tribunaux judiciaires dans lesquels existe un pôle" in line)
    end = next(i for i in range(start, len(raw)) if raw[i].lstrip().startswith("Conformément"))
    names = [line.strip() for line in raw[start + 1 : end] if line.strip().endswith(".")]
    # Lines alternate seat / list inside each cour d'appel: half of them are lists.
    assert len(catalog.poles) * 2 == len(names)
    listed = {t for r in catalog.poles for t in r.tribunaux}
    assert len(listed) == sum(len(r.tribunaux) for r in catalog.poles), "no tribunal in two pôles"
    assert {"Mamoudzou", "Papeete", "Cayenne", "Basse-Terre"} <= listed
    assert all(r.siege in r.tribunaux for r in catalog.poles)
    assert "Cour d'appel d'Amiens\nAmiens.\nAbbeville, Amiens, Péronne." in catalog.article("D15-4-4").text


def test_circulaire_2025_sections_with_titles(catalog: Catalog) -> None:
    units = catalog.units_of("circ-2025-03-05-criminalite-organisee")
    sections = [u.section for u in units if u.section]
    assert sections[:6] == ["1", "1.1", "1.2", "2", "2.1", "2.2"]
    assert {"3", "3.1", "3.2", "3.3", "3.4", "3.5", "3.3.1"} <= set(sections)
    s11 = catalog.section("circ-2025-03-05-criminalite-organisee", "1.1")
    assert s11 is not None and s11.title == "La consolidation de la transmission d'informations entre acteurs judiciaires"
    assert "double information" in s11.text
    assert any(n.startswith("² Prévu dans la circulaire du 2 septembre 2004") for n in s11.notes), "footnote follows its call"
    assert "](#)" not in s11.text and "**" not in s11.text


def test_no_url_or_mailto_line_in_any_unit(catalog: Catalog) -> None:
    for u in catalog.units:
        for para in (*u.alineas, *u.notes):
            assert not re.fullmatch(r"(https?://|mailto:)\S*", para.strip()), u.unit_id
            assert "mailto:" not in para and "https://" not in para, u.unit_id


def test_pdf_circulaire_is_reflowed(catalog: Catalog) -> None:
    units = catalog.units_of("circ-2025-etrangers-detenus")
    assert [u.section for u in units if u.section] == ["1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3"]
    s22 = catalog.section("circ-2025-etrangers-detenus", "2.2")
    assert s22 is not None
    assert "prévue à l’article 729-2 du CPP" in s22.text, "a word cut at a line end is joined again"
    assert all("\n" not in p for p in s22.alineas)


def test_circulaire_metadata(catalog: Catalog) -> None:
    doc = catalog.document("circ-2026-04-13-donnees-fournisseurs")
    assert doc.reference == "NOR JUSD2605231C" and doc.version_date == "2026-04-13"
    assert catalog.document("circ-2025-etrangers-detenus").version_label == "non précisée"


def test_nothing_between_bullets_is_lost(settings) -> None:
    """Every non-blank line of a CPP file is in a unit's text or notes, or is a header or counted artefact."""
    for source in load_sources(settings.corpus_dir):
        if source.info.kind != "code":
            continue
        parsed = parse_code_file(source)
        kept = sum(len(a.alineas) + len(a.notes) for a in parsed.articles)
        labels = sum(1 for a in parsed.articles if a.abrogated_number)
        non_blank = sum(1 for line in source.lines if line.strip())
        assert kept + labels + 2 + len(parsed.dropped_artefacts) == non_blank
