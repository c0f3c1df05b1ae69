"""The subject index: one entry for every live unit of the corpus, none for a unit that does not exist, and it leads
retrieval to the neighbouring article that answers (search aid only: never quoted)."""

from __future__ import annotations

import pytest

from assistant.catalog import Catalog
from assistant.chain import Assistant
from assistant.subject_index import subject_index


def test_every_live_unit_has_one_entry_and_every_entry_a_unit(catalog: Catalog) -> None:
    index = subject_index()
    live = {u.unit_id for u in catalog.units if not u.abrogated}
    assert live - set(index) == set()  # no article left out of the index
    assert set(index) - {u.unit_id for u in catalog.units} == set()  # no entry for a unit the corpus lacks
    for entry in index.values():
        assert entry.objet and 2 <= len(entry.questions) <= 4 and entry.mots


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Neighbours that share their words: the entry says what sets each apart.
        ("Comment est composée la commission d'indemnisation des victimes ?", "706-4"),  # not 706-5-1 (its procedure)
        ("Quel est le statut juridique de l'AGRASC ?", "706-159"),  # not 706-160 (its missions)
        ("Que fait la juridiction quand un crime est commis pendant l'audience ?", "678"),
        ("Quelles sont les tâches confiées à l'AGRASC ?", "706-160"),
        ("Un délit est commis à l'audience du tribunal correctionnel : que peut faire le tribunal ?", "677"),
        # The practitioner's words (« mots ») tell who reports to whom: the PR to the PG (31 janvier), the PG to the
        # ministre (31 mars).
        ("Rapport annuel de politique pénale du PR au PG : date limite d'envoi ?", "D15-2-1"),
        ("Le procureur général doit envoyer son rapport de politique pénale au ministre avant quelle date ?", "D15-2"),
    ],
)
def test_the_index_leads_to_the_article_that_answers(assistant: Assistant, question: str, expected: str) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.citations[0].article == expected


def test_an_entry_is_never_quoted(assistant: Assistant) -> None:
    answer = assistant.ask("Comment est composée la commission d'indemnisation des victimes ?")
    entry = subject_index()["cpp-legislatif-l4:706-4"]
    assert entry.objet not in answer.answer and all(q not in answer.answer for q in entry.questions)
