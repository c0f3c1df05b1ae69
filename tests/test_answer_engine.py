"""The answer engine understands the question before it answers (real corpus, real index, real model).

One test per failure mode of the answer-engine issue, each with the cases that must *not* fire: a compétence word
in another question, a named article that is only context, « avec » / « sans » consentement, a follow-up that
changes subject, a fictional tribunal, a regime named in the negative, another code's article, a page break.
"""

from __future__ import annotations

import re

import pytest

from assistant.analysis import RECOURSE, analyze
from assistant.chain import Assistant
from assistant.extractive import parallel
from assistant.followup import asks_its_own_question, contextualize, refers_back
from assistant.french import expand_abbreviations, tokenize, with_abroad
from assistant.grounding import first_sentence, refusal_out_of_scope, renvois, unit_citation
from assistant.references import find_references
from assistant.text import fold, split_sentences
from assistant.tools import JURIDICTION_SPECIALISEE, POLE_INSTRUCTION
from assistant.tools.poles import unknown_courts
from assistant.tools.router import route
from assistant.verbatim import CorpusText
from assistant.vocabulary import vocabulary


def _first_source(answer):
    return next(c for c in answer.citations if c.role == "source")


# -- 1. a tool answers only what it computes -------------------------------------------------------

TOOL_WORD_NOT_TOOL = [
    "Peut-on saisir le JLD pour prolonger une garde à vue en matière de stupéfiants ?",
    "Ce délit relève-t-il de la procédure de l'article 706-73-1 ?",
    "Le juge d'instruction peut-il saisir des biens immobiliers dans une affaire de blanchiment ?",
    "Quelles infractions relèvent de l'article 706-73 ?",
    "Qui saisit la CIVI et dans quel délai après l'infraction ?",
    # A conflict of competence asks how it is settled, and « territorialement compétent » describes a parquet.
    "Conflit de compétence entre deux parquets JIRS en matière de criminalité organisée : comment est-il tranché ?",
    "En cas de désaccord entre le parquet territorialement compétent et la JIRS sur un trafic de stupéfiants, qui tranche ?",
    # « exercer sa compétence » is what the Parquet européen decides, not a question of who is competent.
    "Le Parquet européen décide d'exercer sa compétence sur une fraude à la TVA dont un juge d'instruction est saisi : que doit faire ce juge ?",
    # « dont la compétence est étendue » describes the court; the question is about the appeal.
    "Une cour d'assises dont la compétence est étendue a jugé un crime de l'article 706-73 : en appel, la même cour peut-elle être désignée ?",
]


@pytest.mark.parametrize("question", TOOL_WORD_NOT_TOOL)
def test_a_competence_word_in_another_question_fires_no_tool(question: str, assistant: Assistant) -> None:
    assert route(question, assistant.catalog) is None or route(question, assistant.catalog).name != JURIDICTION_SPECIALISEE
    answer = assistant.ask(question)
    assert all(t.name != JURIDICTION_SPECIALISEE for t in answer.tool_calls), answer.answer[:300]
    assert "Calcul déterministe" not in answer.answer


def test_a_competence_question_still_gets_the_tool(assistant: Assistant) -> None:
    answer = assistant.ask("Quel parquet est compétent pour un acte de terrorisme commis à Nice ?")
    assert [t.name for t in answer.tool_calls] == [JURIDICTION_SPECIALISEE]
    assert answer.answer.startswith("**Réponse**") and "antiterroriste" in answer.answer


def test_a_tool_answer_says_its_result_once_and_quotes_whole_sentences(assistant: Assistant) -> None:
    answer = assistant.ask("Scandale sanitaire autour d'un médicament, dossier très technique : quel tribunal ?")
    assert [t.name for t in answer.tool_calls] == [JURIDICTION_SPECIALISEE]
    headline = answer.answer.splitlines()[0].removeprefix("**Réponse** : ")
    assert answer.answer.count(headline) == 1 and "\n\n\n" not in answer.answer
    # 706-2's basis is quoted up to the affairs it covers (« …relatives à un produit de santé… »), verbatim.
    quote = next(c.quote for c in answer.citations if c.article == "706-2" and "ci-après" in c.quote)
    assert "produit de santé" in quote and quote in assistant.catalog.units_for_article("706-2")[0].text


def test_a_tool_basis_too_long_to_read_stays_the_fragment_the_table_gives(assistant: Assistant) -> None:
    """706-25-16's sentence runs over a thousand characters: the table's fragment is what a magistrate reads."""
    answer = assistant.ask("Quel juge de l'application des peines est compétent pour la surveillance d'un terroriste libéré ?")
    long_ones = [c for c in answer.citations if c.article == "706-25-16"]
    assert all(len(c.quote) <= 850 for c in long_ones), [len(c.quote) for c in long_ones]


def test_plural_and_singular_synonyms_find_the_same_matter(assistant: Assistant) -> None:
    singular = route("Quel parquet est compétent pour un acte de terrorisme ?", assistant.catalog)
    plural = route("Quel parquet est compétent pour des actes de terrorisme ?", assistant.catalog)
    assert singular is not None and plural is not None
    assert singular.arguments["matter"] == plural.arguments["matter"] == "terrorisme"


def test_the_verb_of_a_matter_word_finds_the_matter(assistant: Assistant) -> None:
    """« un cargo dégaze » is the « dégazage » of the pollution-marine matter (706-107)."""
    call = route("Un cargo dégaze au large de Brest : quelle juridiction est compétente ?", assistant.catalog)
    assert call is not None and call.arguments["matter"] == "pollution-marine"
    # Not fired: an oil company is not a ship (« un groupe pétrolier » paying bribes is no marine pollution)
    other = route("Un groupe pétrolier a versé des pots-de-vin à un élu : quel parquet est compétent ?", assistant.catalog)
    assert other is None or other.arguments["matter"] != "pollution-marine"


# -- 2. a named article as a qualifier -------------------------------------------------------------


def test_an_article_named_as_qualifier_leads_to_the_governing_article(assistant: Assistant) -> None:
    question = "Quelle durée maximale pour une infiltration portant sur une infraction de l'article 706-73 ?"
    a = analyze(question)
    assert a.qualifiers == ["706-73"] and a.subjects == [] and a.kind == "duration"
    answer = assistant.ask(question)
    lead = _first_source(answer)
    assert lead.article in {"706-83", "706-81"}, answer.answer[:400]
    assert "quatre mois" in answer.answer


def test_an_article_in_parentheses_after_an_offence_is_a_qualifier(assistant: Assistant) -> None:
    question = "Vol en bande organisée (art. 706-73-1) : peut-on perquisitionner de nuit en enquête préliminaire ?"
    assert analyze(question).qualifiers == ["706-73-1"]
    assert _first_source(assistant.ask(question)).article == "706-90"
    # After an act, the article in parentheses is a hint, not context: it answers when it governs the act.
    question = "Je veux faire une saisie pénale immobilière (706-150) sur la maison du mis en cause : qui l'ordonne ?"
    act = analyze(question)
    assert act.named == ["706-150"] and act.qualifiers == [] and act.subjects == []
    assert _first_source(assistant.ask(question)).article == "706-150"


@pytest.mark.parametrize(
    ("question", "qualifier", "article"),
    [
        ("Stups, infractions visées à l'article 706-26 : les OPJ peuvent-ils perquisitionner de nuit un local où l'on "
         "consomme des stupéfiants en société ?", "706-26", "706-28"),
        ("Information ouverte pour un crime relevant de l'article 706-73 : le JI peut-il autoriser une perquisition de nuit "
         "dans un domicile ?", "706-73", "706-91"),
    ],
)
def test_offences_named_by_their_article_are_context_for_the_act(question: str, qualifier: str, article: str, assistant: Assistant) -> None:
    a = analyze(question)
    assert a.qualifiers == [qualifier] and a.kind != "list", a
    assert _first_source(assistant.ask(question)).article == article


def test_an_offence_list_named_without_an_act_is_weighed(assistant: Assistant) -> None:
    """No act asked about: the named list article is a hint; the article that answers still leads."""
    question = ("Un enseignant vient d'être condamné pour une infraction relevant de l'article 706-47 : le parquet doit-il "
                "informer son administration ?")
    assert analyze(question).named == ["706-47"]
    assert _first_source(assistant.ask(question)).article == "706-47-4"


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("Selon l'article 706-88, combien de prolongations supplémentaires ?", "subject"),
        ("Art. 706-81 : qui peut autoriser une infiltration ?", "subject"),
        ("L'article 706-95-12 désigne-t-il le JLD pour l'enquête ?", "subject"),
        ("Le 706-74, il vise quoi exactement ?", "subject"),
        ("Que fixe l'article 706-95-16 ?", "subject"),
        ("Le vol simple fait-il partie des infractions listées à l'article 706-55 (FNAEG) ?", "subject"),
        # Not the subject: the article is where the act comes from, the question asks something else of it.
        ("La défense veut contester l'audition d'un témoin anonyme recueillie selon l'article 706-58 : dans quel délai ?", "named"),
        ("TSE autorisée par le JLD au titre du 1° de l'article 706-95-12 : combien de temps vaut l'autorisation ?", "named"),
    ],
)
def test_the_role_of_a_named_article_follows_the_words(question: str, role: str) -> None:
    mentions = [m for m in analyze(question).articles if m.code is None]
    assert [m.role for m in mentions] == [role], mentions


def test_a_named_article_is_weighed_not_forced(assistant: Assistant) -> None:
    """A named article is not pinned: the article that governs what is asked can lead (706-60, not 706-58)."""
    answer = assistant.ask("La défense veut contester l'audition d'un témoin anonyme recueillie selon l'article 706-58 : "
                           "dans quel délai et devant qui ?")
    assert _first_source(answer).article == "706-60", answer.answer[:300]
    assert _first_source(assistant.ask("Selon l'article 706-88, combien de prolongations supplémentaires ?")).article == "706-88"


def test_offences_of_a_list_named_for_an_act_are_a_qualifier(assistant: Assistant) -> None:
    question = "Pour les infractions visées à l'article 706-47, l'audition du mineur victime doit-elle être filmée ?"
    a = analyze(question)
    assert a.kind != "list" and a.qualifiers == ["706-47"]
    assert _first_source(assistant.ask(question)).article == "706-52"
    assert analyze("Quelles sont les infractions visées à l'article 706-47 ?").kind == "list"  # the list itself


def test_an_article_named_as_subject_is_quoted(assistant: Assistant) -> None:
    answer = assistant.ask("Que dit l'article 706-73 ?")
    assert _first_source(answer).article == "706-73"


# -- 3. negation: « avec » and « sans » the person's consent --------------------------------------


def test_consent_and_refusal_lead_to_different_passages(assistant: Assistant) -> None:
    yes = _first_source(assistant.ask("Que se passe-t-il si la personne réclamée consent à son extradition ?"))
    no = _first_source(assistant.ask("Que se passe-t-il si la personne réclamée ne consent pas à son extradition ?"))
    assert (yes.article, yes.alinea) != (no.article, no.alinea)
    assert re.search(r"ne (pas|plus) consentir", no.quote), no.quote
    assert not re.search(r"ne (pas|plus) consentir", yes.quote), yes.quote


# -- 4. a follow-up that changes subject drops the previous rule -----------------------------------

GAV_HISTORY = [
    {"role": "user", "content": "Combien de temps peut durer au maximum une garde à vue pour trafic de stupéfiants en bande organisée ?"},
    {"role": "assistant", "content": "Selon l'article 706-88, quatre-vingt-seize heures au plus."},
]


def test_a_follow_up_that_changes_subject_drops_the_previous_rule(assistant: Assistant) -> None:
    answer = assistant.ask("Et l'avocat, quand peut-il intervenir ?", GAV_HISTORY)
    assert not answer.refused
    assert "combien" not in answer.standalone_question.lower()
    assert all(t.name != "delai" for t in answer.tool_calls), "la règle de durée de la question précédente reste en tête"
    assert "avocat" in _first_source(answer).quote


def test_a_follow_up_that_keeps_the_subject_keeps_it(assistant: Assistant) -> None:
    answer = assistant.ask("Et pour le terrorisme ?", GAV_HISTORY)
    assert not answer.refused
    assert "garde" in answer.standalone_question.lower() and "terrorisme" in answer.standalone_question


def test_a_follow_up_asking_another_deadline_gets_its_own_rule(assistant: Assistant) -> None:
    """The previous question's délai rule does not lead when the follow-up names another step of the same procedure."""
    history = [
        {"role": "user", "content": "Interpellé sur MAE hier soir, j'ai combien de temps pour le présenter au PG ?"},
        {"role": "assistant", "content": "(réponse)"},
    ]
    answer = assistant.ask("Et s'il consent à sa remise, la chambre de l'instruction statue en combien de temps ?", history)
    assert _first_source(answer).article == "695-31", answer.answer[:300]
    assert "sept jours" in answer.answer
    # Not fired: the same follow-up without a step of its own keeps the previous question's rule.
    same = assistant.ask("Et s'il s'agit d'un mineur ?", history)
    assert _first_source(same).article == "695-27", same.answer[:300]


def test_a_follow_up_asking_its_own_question_fires_no_tool_of_the_previous_one(assistant: Assistant) -> None:
    history = [{"role": "user", "content": "Quelle juridiction juge les crimes terroristes commis par des majeurs ?"},
               {"role": "assistant", "content": "(réponse)"}]
    answer = assistant.ask("Et combien d'assesseurs ?", history)
    assert answer.tool_calls == [], "l'outil de compétence de la question précédente répond à une autre question"
    # Not fired: a follow-up that only names a new matter keeps the previous question's tool.
    pole = [{"role": "user", "content": "Le TJ de Tarbes dépend de quel pôle de l'instruction ?"}, {"role": "assistant", "content": "(réponse)"}]
    assert [t.name for t in assistant.ask("Et le TJ de Dax ?", pole).tool_calls] == ["pole-instruction"]


def test_a_follow_up_asking_the_same_kind_about_something_new_keeps_only_the_context() -> None:
    previous = _history("En enquête pour un délit puni de cinq ans, qui peut ordonner la saisie du patrimoine du suspect ?")
    standalone = contextualize("Et qui gère ensuite les sommes saisies ?", previous)
    assert "ordonner" not in standalone and "patrimoine" not in standalone and "saisie" in fold(standalone), standalone
    # Not fired: a follow-up that names a new regime asks the same question of it.
    gav = _history("Combien de temps peut durer au maximum une garde à vue pour trafic de stupéfiants ?")
    assert "combien" in fold(contextualize("Et pour le terrorisme ?", gav))


def test_a_follow_up_that_refuses_after_a_consent_asks_without_consent(assistant: Assistant) -> None:
    previous = _history("Si la personne réclamée consent à son extradition, dans quel délai comparaît-elle devant la chambre de l'instruction ?")
    answer = assistant.ask("Et si elle refuse ?", previous)
    assert analyze(answer.standalone_question).polarity == {"consentement": False}
    assert _first_source(answer).article == "696-15", answer.answer[:200]
    # Not fired: « refuse » with no consent asked before changes nothing.
    other = _history("Qui délivre l'habilitation des agents infiltrés ?")
    assert "consent" not in contextualize("Et s'il refuse ?", other)


def _history(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": "(réponse)"}]


def test_a_follow_up_naming_another_stage_replaces_the_stage() -> None:
    previous = _history("En enquête préliminaire sur un trafic de stupéfiants en bande organisée, qui autorise une sonorisation ?")
    standalone = contextualize("Et pendant l'information ?", previous)
    assert "preliminaire" not in fold(standalone) and "sonoris" in fold(standalone) and "information" in standalone
    # Naming the same stage, or none, keeps it.
    assert "preliminaire" in fold(contextualize("Et pour une infiltration ?", previous))
    assert "preliminaire" in fold(contextualize("Et en enquête préliminaire de flagrance ?", previous))


def test_a_follow_up_naming_another_regime_drops_the_everyday_word_for_the_previous_one(assistant: Assistant) -> None:
    """« deal » says « trafic de stupéfiants »: left in the question, it would bring the drug regime back."""
    previous = _history("Un hôtel sert de point de deal : le juge d'instruction peut-il le faire fermer ?")
    standalone = contextualize("Et en matière de proxénétisme ?", previous)
    assert analyze(standalone).regimes == ("traite-proxenetisme",), standalone
    assert _first_source(assistant.ask("Et en matière de proxénétisme ?", previous)).article == "706-36"
    # Not fired: a follow-up that names no other regime keeps the everyday word and its regime.
    assert analyze(contextualize("Et pour un restaurant ?", previous)).regimes == ("stupefiants",)
    assert _first_source(assistant.ask("Et pour un restaurant ?", previous)).article == "706-33"


def test_seizing_assets_is_the_saisie_act_and_its_follow_up_is_not_refused(assistant: Assistant) -> None:
    """« saisir tout le patrimoine » is a saisie (« saisir le JLD » is not): the follow-up « Et le propriétaire peut-il
    faire appel de cette décision ? » keeps that act as context and is answered, not refused for lack of support."""
    assert analyze("Peut-on saisir tout le patrimoine d'un trafiquant dès l'enquête ?").acts == ("saisie",)
    assert analyze("Peut-on saisir la maison du dealer ?").acts == ("saisie",)
    for question in ("Peut-on saisir le JLD ?", "Le parquet peut-il saisir la chambre de l'instruction ?"):
        assert "saisie" not in analyze(question).acts, question
    first = "Peut-on saisir tout le patrimoine d'un trafiquant dès l'enquête ?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).answer}]
    answer = assistant.ask("Et le propriétaire peut-il faire appel de cette décision ?", history)
    assert not answer.refused and _first_source(answer).article == "706-148" and "dix jours" in answer.answer, answer.answer[:300]


def test_a_follow_up_asking_an_obligation_is_its_own_question(assistant: Assistant) -> None:
    """After « Quel tribunal est compétent… pour un militaire ? » (the competence tool), « Et le procureur doit-il
    demander un avis avant d'engager les poursuites ? » asks something else: 698-1, no competence table."""
    first = "Quel tribunal est compétent pour un délit commis en service par un militaire en France ?"
    answer = assistant.ask(first)
    assert [t.name for t in answer.tool_calls] == [JURIDICTION_SPECIALISEE]
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer.answer}]
    for follow_up in ("Et le procureur doit-il demander un avis avant d'engager les poursuites ?",
                      "Et faut-il l'avis de l'autorité militaire avant de poursuivre ?"):
        answer = assistant.ask(follow_up, history)
        assert not answer.tool_calls and _first_source(answer).article == "698-1", answer.answer[:300]
    # Not fired: a follow-up that only names another case asks the same competence question.
    assert [t.name for t in assistant.ask("Et pour un crime ?", history).tool_calls] == [JURIDICTION_SPECIALISEE]


def test_a_follow_up_naming_nothing_new_stays_in_the_section_of_the_previous_answer(assistant: Assistant) -> None:
    """After an answer resting on 706-77 (the JI hands the case to a JIRS), « Et la défense, elle peut contester
    l'ordonnance ? » is about 706-78 in the same section, not 704-3, its twin for the economic and financial pôles."""
    first = "Le JI local peut-il se dessaisir au profit d'une JIRS ?"
    answer = assistant.ask(first)
    assert _first_source(answer).article == "706-77"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer.answer}]
    follow_up = assistant.ask("Et la défense, elle peut contester l'ordonnance ?", history)
    assert _first_source(follow_up).article == "706-78", follow_up.answer[:300]
    # The article is the Réponse's (its reference line), not one its quote names; another answer's first article.
    quoting = assistant.ask("En GAV stups, le parquet peut-il différer l'intervention de l'avocat ?").answer
    assert "706-73" in quoting.split("— CPP")[0]
    assert assistant.prepare({"question": "Et en flagrance ?", "history": _history("x") + [
        {"role": "assistant", "content": quoting}]}).analysis.anchor is None  # (it names a stage: not fired)
    assert assistant.prepare({"question": "Et la défense peut contester ?", "history": [
        {"role": "user", "content": "x"}, {"role": "assistant", "content": quoting}]}).analysis.anchor == "706-88"
    assert assistant.prepare({"question": "Et la défense peut contester ?", "history": [
        {"role": "user", "content": "x"}, {"role": "assistant", "content": "Oui, article 706-62-2 : identité d'emprunt."}]}).analysis.anchor == "706-62-2"
    # Not fired: a follow-up naming a new act, regime, stage or article sets no anchor.
    assert assistant.prepare({"question": "Et pour un agent infiltré ?", "history": history}).analysis.anchor is None
    # Naming again what the previous question named is nothing new (« dessaisissement » after a dessaisissement).
    terro = [{"role": "user", "content": "Faits terroristes instruits en province : le parquet peut-il obtenir le dessaisissement du "
              "juge d'instruction au profit de Paris ?"},
             {"role": "assistant", "content": "Oui, selon l'article 706-18, le procureur de la République peut requérir le juge "
              "d'instruction de se dessaisir au profit de la juridiction de Paris."}]
    contest = "Et cette ordonnance de dessaisissement, les parties peuvent-elles la contester ?"
    assert assistant.prepare({"question": contest, "history": terro}).analysis.anchor == "706-18"
    assert _first_source(assistant.ask(contest, terro)).article == "706-22"
    assert assistant.prepare({"question": "Et pour une affaire de stups ?", "history": terro}).analysis.anchor is None


def test_a_follow_up_naming_another_magistrate_or_stage_leaves_the_previous_magistrate_behind() -> None:
    jld = _history("Pour combien de temps le JLD peut-il autoriser une technique spéciale d'enquête pendant l'enquête ?")
    standalone = fold(contextualize("Et quand c'est le juge d'instruction ?", jld))
    assert "jld" not in standalone and "pendant l enquete" not in standalone and "combien de temps" in standalone
    # « pendant l'information »: the JI acts there, not the JLD of the enquête.
    assert "jld" not in fold(contextualize("Et pendant l'information ?", jld))
    # Another act, or the same magistrate, keeps him.
    assert "jld" in fold(contextualize("Et pour une sonorisation ?", jld))
    assert "jld" in fold(contextualize("Et si le JLD refuse ?", jld))


def test_the_stage_asked_decides_between_siblings_that_open_on_their_stage(assistant: Assistant) -> None:
    """706-89 / 706-90 / 706-91 open on flagrance, préliminaire, information: the stage asked picks among them."""
    previous = _history("En préliminaire crim org, peut-on perquisitionner de nuit ?")
    answer = assistant.ask("Et au cours d'une information judiciaire ?", previous)
    assert _first_source(answer).article == "706-91", answer.answer[:300]
    # Not fired: the stage asked is the first hit's own.
    assert _first_source(assistant.ask("En préliminaire crim org, peut-on perquisitionner de nuit ?")).article == "706-90"
    # Flagrance and préliminaire are stages of their own within the enquête.
    assert analyze("En enquête préliminaire, qui autorise ?").stages == ("preliminaire",)
    assert analyze("Pendant l'enquête de flagrance, qui autorise ?").stages == ("flagrance",)
    # A stage set aside is not the one asked (« on n'est pas en flagrance (enquête préliminaire) »).
    assert analyze("Stups, mais on n'est pas en flagrance (enquête préliminaire) : perquisition de nuit ?").stages == ("preliminaire",)
    assert analyze("Hors flagrance, une perquisition de nuit est-elle possible ?").stages == ()
    aside = assistant.ask("Stups en bande organisée, mais on n'est pas en flagrance (enquête préliminaire) : perquisition de nuit dans un appartement ?")
    assert _first_source(aside).article == "706-90", aside.answer[:300]
    # A first hit that opens on no stage (706-28, night searches in drug premises) gives way to the asked stage's article.
    stageless = assistant.ask("En enquête préliminaire sur un trafic de stupéfiants, une perquisition de nuit d'un appartement est-elle possible ?")
    assert _first_source(stageless).article == "706-90", stageless.answer[:300]
    flagrance = assistant.ask("En flagrance sur un trafic de stupéfiants en bande organisée, peut-on perquisitionner de nuit ?")
    assert _first_source(flagrance).article == "706-89"
    # « en enquête » covers the flagrance's and the préliminaire's articles: nothing is moved for it.
    generic = assistant.ask("En enquête, sur un trafic de stupéfiants en bande organisée, peut-on perquisitionner de nuit ?")
    assert _first_source(generic).article in ("706-89", "706-90")
    after = contextualize("Et pendant l'information ?", _history("En enquête préliminaire, qui autorise une sonorisation ?"))
    assert analyze(after).stages == ("information",), after  # the enquête left with its préliminaire


def test_an_article_that_excepts_the_rule_for_the_offence_asked_leads(assistant: Assistant) -> None:
    """706-73-1 extends the organised-crime title to the escroquerie en bande organisée « à l'exception de l'article
    706-88 »: asked whether its garde à vue can be prolonged, that exception answers, not 706-88."""
    answer = assistant.ask("Escroquerie en bande organisée : peut-on prolonger la GAV au-delà de 48 heures comme pour la crim org ?")
    assert _first_source(answer).article == "706-73-1"
    assert "à l'exception de l'article 706-88" in answer.answer.split("\n", 1)[0], answer.answer[:300]
    # Not fired: drug trafficking is within 706-88's own scope (706-73).
    stups = assistant.ask("Trafic de stupéfiants en bande organisée : la garde à vue peut-elle durer 96 heures ?")
    assert _first_source(stups).article == "706-88"


def test_a_follow_up_pointing_back_at_what_the_answer_named_stays_on_its_article(assistant: Assistant) -> None:
    question = "Qui prend le décret d'extradition ?"
    first = assistant.ask(question)
    assert _first_source(first).article == "696-18", first.answer[:300]
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": first.answer}]
    answer = assistant.ask("Et la personne peut-elle attaquer ce décret, et dans quel délai ?", history)
    assert _first_source(answer).article == "696-18", answer.answer[:300]
    # Must not fire: a demonstrative on something the previous Réponse did not name.
    assert refers_back("Et ce décret peut-il être attaqué ?", first.answer)
    assert not refers_back("Et cette personne peut-elle être libérée ?", first.answer)
    assert not refers_back("Et le décret peut-il être attaqué ?", first.answer)


def test_a_hypothesis_follow_up_asks_the_previous_question_again() -> None:
    """« si c'est le JI qui l'autorise » sets a hypothesis: it neither asks « qui » nor changes the subject."""
    assert analyze("si c'est le JI qui l'autorise pendant l'information ?").kind != "authority"
    assert analyze("Est-ce le JLD qui autorise la sonorisation ?").kind == "authority"  # (that one asks who)
    previous = _history("Pour combien de temps le JLD peut-il autoriser une captation de données informatiques en enquête ?")
    standalone = contextualize("Et si c'est le JI qui l'autorise pendant l'information ?", previous)
    assert "combien de temps" in fold(standalone) and "contexte" not in standalone
    # A follow-up that asks its own question still does (« Et qui statue ? »).
    assert "contexte" in contextualize("Et si elle refuse, qui statue sur la remise ?", previous)
    # « quand c'est prévu, qui la prononce » is no cleft: « prévu » is not who acts, the question asks « qui ».
    assert analyze("Et quand c'est prévu, qui la prononce et on la conteste devant qui ?").kind == "authority"
    assert analyze("Et on la conteste devant qui ?").kind == "authority"


@pytest.mark.parametrize(("question", "kind"), [
    ("Et son ordonnance, la défense peut en faire appel ?", "possibility"),
    ("La personne réclamée peut contester le décret ?", "possibility"),
    # Not fired: « qui peut faire appel » asks who; « que peut contenir » is no possibility of a recourse.
    ("Qui peut faire appel de l'ordonnance ?", "authority"),
    ("Que peut contenir l'ordonnance ?", "rule"),
])
def test_a_recourse_asked_in_spoken_word_order_is_a_possibility(question: str, kind: str) -> None:
    assert analyze(question).kind == kind


def test_the_practitioners_abbreviations_are_known_to_the_analysis() -> None:
    """« DP », « MEX », « BO », « flag », « prélim », « ouvrir une info »: a magistrate's words for the texts' notions."""
    assert "detention-provisoire" in analyze("Le JI peut-il placer un MEX en DP ?").acts
    assert "mis en examen" in fold(expand_abbreviations("un MEX"))
    assert analyze("Perquise de nuit en prélim dans un dossier de stups").stages == ("preliminaire",)
    assert analyze("Perquise de nuit en flag dans un dossier de stups en BO").stages == ("flagrance",)
    assert "criminalite-organisee" in analyze("Perquise de nuit en flag dans un dossier de stups en BO").regimes
    assert analyze("Et si on ouvre une info, le JI peut-il autoriser la perquisition ?").stages == ("information",)
    # Not fired: words that merely contain the letters (« DPS », « bon », « info » alone) expand to nothing.
    assert expand_abbreviations("Un détenu DPS") == "Un détenu DPS"
    assert expand_abbreviations("Un bon de commande, une info utile") == "Un bon de commande, une info utile"


def test_a_sentence_is_read_with_the_item_it_refers_to(assistant: Assistant) -> None:
    """706-95-16 « L'autorisation mentionnée au 2° du même article 706-95-12 » is the information's (that 2°)."""
    answer = assistant.ask("Et pendant l'information ?", _history("Pour combien de temps le JLD autorise-t-il une sonorisation en enquête ?"))
    assert _first_source(answer).article == "706-95-16" and "quatre mois" in answer.answer.splitlines()[0], answer.answer[:300]


def test_a_follow_up_in_the_negative_replaces_the_affirmed_concept() -> None:
    previous = _history("Extradition : si la personne consent à son extradition, quand comparaît-elle ?")
    standalone = contextualize("Et s'il ne consent pas ?", previous)
    assert analyze(standalone).polarity == {"consentement": False}, standalone
    assert analyze(contextualize("Et pour un mineur ?", previous)).polarity.get("consentement") is True


@pytest.mark.parametrize(("previous", "follow_up", "article", "fact"), [
    # What the follow-up asks anew weighs in the ranking (« contester » → 706-60, not 706-58 of the first question).
    ("Peut-on entendre un témoin sans que son identité apparaisse au dossier ?",
     "Et la personne mise en examen peut-elle contester ce recours ?", "706-60", "dix jours"),
    ("Qui autorise une infiltration ?", "Et combien de temps dure-t-elle au maximum ?", "706-83", "quatre mois"),
])
def test_a_follow_up_is_answered_by_what_it_asks(previous: str, follow_up: str, article: str, fact: str, assistant: Assistant) -> None:
    answer = assistant.ask(follow_up, _history(previous))
    assert _first_source(answer).article == article and fact in answer.answer.split("\n", 1)[0], answer.answer[:300]


def test_a_follow_up_own_words_pick_the_sibling_that_holds_them(assistant: Assistant) -> None:
    """« Et qui délivre l'habilitation ? » carries the previous question's words (D15-1-2, who may be habilitated);
    the sibling that says who delivers it (D15-1-3) answers."""
    first = "Qui peut être habilité à participer à une opération d'infiltration ?"
    answer = assistant.ask(first)
    assert _first_source(answer).article == "D15-1-2"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer.answer}]
    follow_up = assistant.ask("Et qui délivre l'habilitation ?", history)
    assert _first_source(follow_up).article == "D15-1-3" and "procureur général" in follow_up.answer.split("\n", 1)[0]
    # Not fired: a candidate from another section holding the follow-up's words (706-86, the undercover officer heard
    # under his identity) does not displace the section of the previous answer (706-62-2, the threatened witness).
    witness = [{"role": "user", "content": "Un témoin d'un trafic de stupéfiants en bande organisée est gravement menacé : peut-il "
                "bénéficier d'une protection et d'une identité d'emprunt ?"},
               {"role": "assistant", "content": "Oui, article 706-62-2 : identité d'emprunt autorisée par ordonnance motivée."}]
    same_identity = assistant.ask("Et peut-il être entendu dans la procédure sous cette identité ?", witness)
    assert _first_source(same_identity).article == "706-62-2", same_identity.answer[:300]
    # Nor does a question on its own (no follow-up): the words it shares with a sibling are the ranker's to weigh.
    assert _first_source(assistant.ask(first)).article == "D15-1-2"


def test_an_article_on_the_act_asked_leads_over_a_circulaire_that_does_not_speak_of_it(assistant: Assistant) -> None:
    """« JIRS » and « règlement de comptes » draw the crim-org circulaire; the question is about a witness's new name."""
    answer = assistant.ask("Affaire JIRS, règlement de comptes : un témoin menacé veut vivre sous un autre nom. Qui peut l'y autoriser ?")
    assert _first_source(answer).article == "706-62-2" and "président du tribunal judiciaire" in answer.answer, answer.answer[:300]
    # Not fired: a circulaire question keeps its circulaire sections (another section is not an article on the act).
    notices = assistant.ask("Les notices semestrielles de remontée d'information à la DACG sur l'activité des JIRS, c'est quand ?")
    first = _first_source(notices)
    assert first.doc_id == "circ-2025-03-05-criminalite-organisee" and first.section == "3.1", notices.answer[:300]


def test_a_burnt_car_is_the_vehicle_destroyed_by_fire_of_the_civi(assistant: Assistant) -> None:
    answer = assistant.ask("Ma voiture a été brûlée, auteur inconnu : la CIVI peut-elle m'indemniser sans condition de ressources ?")
    assert _first_source(answer).article == "706-14-1", answer.answer[:300]


def test_an_offence_named_by_its_code_penal_number_covers_its_regime(assistant: Assistant) -> None:
    """706-56-1-1 names the viol only as « 222-23 à 222-26 » of the code pénal: a question on a rape is covered."""
    answer = assistant.ask("Viol commis il y a dix ans, auteur inconnu : peut-on chercher au FNAEG des membres de sa famille ? Qui le demande ?")
    assert not answer.refused and _first_source(answer).article == "706-56-1-1", answer.answer[:300]
    # « non élucidé » is the cold-case regime's own name, not a negation of it.
    assert "crimes-series" in analyze("Viol non élucidé : qui peut demander la recherche ?").regimes
    assert "crimes-series" in analyze("Meurtre, hors crimes sériels : qui instruit ?").negated
    assert vocabulary().regimes["sexuel-mineurs"].search(fold("les crimes prévus aux articles 222-23 à 222-26 du code pénal"))
    # Not fired: other numbers of the code pénal (murder, 221-1) name no sexual offence.
    assert not vocabulary().regimes["sexuel-mineurs"].search(fold("les crimes prévus aux articles 221-1 à 221-5 du code pénal"))


def test_no_contact_with_the_victim_is_the_texts_prohibition_to_enter_into_relation(assistant: Assistant) -> None:
    history = _history("La chambre de l'instruction déclare l'irresponsabilité pénale pour un meurtre : peut-elle ordonner une hospitalisation ?")
    answer = assistant.ask("Et interdire tout contact avec la victime, pour combien de temps au maximum ?", history)
    assert _first_source(answer).article == "706-136" and "vingt ans" in answer.answer, answer.answer[:300]
    # Not fired: « point de contact » is no prohibition (the circulaire's contact point for a data freeze).
    assert "entrer en relation" not in expand_abbreviations("Qui est le point de contact pour le gel des données ?")


def test_a_company_accident_is_answered_by_the_personnes_morales_rule_not_the_collective_accidents_pole(assistant: Assistant) -> None:
    answer = assistant.ask("Une SARL dont le siège est à Nantes est poursuivie pour un accident du travail mortel à Rennes : quels parquets sont compétents ?")
    assert [t.name for t in answer.tool_calls] == [JURIDICTION_SPECIALISEE]
    assert answer.tool_calls[0].result["matter"] == "personnes-morales" and "siège de la personne morale" in answer.answer, answer.answer[:300]
    assert analyze("Quels parquets peuvent la poursuivre ?").kind == "competence"


def test_a_court_that_can_be_seized_is_no_seizure_of_assets(assistant: Assistant) -> None:
    """« quelle juridiction peut être saisie ? » asks which court hears the case: never the saisies matter."""
    seized = route("Dopage organisé dans un club : quelle juridiction peut être saisie ?", assistant.catalog)
    assert seized is not None and seized.arguments["matter"] == "sante-publique"
    # Not fired: a seizure of assets is still that matter.
    asset = route("Saisie pénale d'un compte bancaire : quelle juridiction est compétente ?", assistant.catalog)
    assert asset is not None and asset.arguments["matter"] == "saisies-speciales"


def test_a_defective_medical_device_is_a_public_health_matter(assistant: Assistant) -> None:
    answer = assistant.ask("Prothèses mammaires défectueuses, des victimes dans toute la France : quelle juridiction spécialisée peut être saisie ?")
    assert _first_source(answer).article == "706-2" or answer.tool_calls[0].result["matter"] == "sante-publique", answer.answer[:300]


def test_a_question_on_what_the_circulaire_says_leads_with_the_circulaire(assistant: Assistant) -> None:
    """« la circulaire m'impose-t-elle… » asks what the circulaire says, not what the code governs (706-80-2)."""
    asked = assistant.ask("Livraison surveillée autorisée dans un dossier JIRS : selon la circulaire, dois-je en informer quelqu'un ?")
    first = _first_source(asked)
    assert first.doc_id == "circ-2025-03-05-criminalite-organisee", asked.answer[:300]
    # The rule itself, on real candidates: the code's article first, the circulaire's section second.
    hits = assistant.search.search("Livraison surveillée dans un dossier JIRS : selon la circulaire, dois-je en informer quelqu'un ?")
    code = next(h for h in hits if h.unit.article == "706-80-2")
    section = next(h for h in hits if h.unit.kind == "circulaire")
    assert assistant.search._circulaire_first("selon la circulaire, dois-je informer ?", [code, section])[0] is section
    # Not fired: a question that does not name the circulaire keeps the code's article first.
    assert assistant.search._circulaire_first("dois-je informer quelqu'un ?", [code, section])[0] is code


def test_whether_consent_is_needed_is_asked_not_affirmed() -> None:
    """« il faut qu'il y consente ? » asks whether consent is needed: neither side is affirmed."""
    assert "consentement" not in analyze("Pour une LC-expulsion, il faut qu'il y consente ?").polarity
    assert analyze("Si le détenu consent à son transfèrement, que se passe-t-il ?").polarity.get("consentement") is True


def test_the_practitioners_short_forms_of_victims_and_release() -> None:
    assert "dommages et intérêts" in expand_abbreviations("des DI jamais payés")
    assert "partie civile" in expand_abbreviations("constituée PC devant la cour d'assises")
    assert "libération conditionnelle" in expand_abbreviations("une LC-expulsion")
    assert "recours" in expand_abbreviations("on la conteste devant qui ?")
    assert "mesure judiciaire de prévention de la récidive terroriste" in expand_abbreviations("la MJPRTR")
    assert "cesser sa surveillance" in expand_abbreviations("l'infiltré doit décrocher")
    # Not fired: a « PC portable » is a computer.
    assert expand_abbreviations("saisie du PC portable") == "saisie du PC portable"


def test_the_owner_of_a_seized_house_may_contest_and_is_not_refused(assistant: Assistant) -> None:
    first = "Enquête préliminaire pour blanchiment : le JLD peut-il ordonner la saisie de la maison du suspect ?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).answer}]
    answer = assistant.ask("Et le proprio peut contester ?", history)
    assert not answer.refused and _first_source(answer).article == "706-150" and "dix jours" in answer.answer, answer.answer[:300]


def test_an_offence_list_first_gives_way_to_an_article_on_the_act_asked(assistant: Assistant) -> None:
    """After an infiltration question in crim org, « qui les habilite ? » is not answered by the list of offences (706-73)."""
    first_question = "Information crim org : combien de temps peut durer une infiltration ?"
    history = [{"role": "user", "content": first_question}, {"role": "assistant", "content": assistant.ask(first_question).answer}]
    answer = assistant.ask("Et les agents infiltrés, qui les habilite ?", history)
    first = _first_source(answer).article
    assert first != "706-73" and first is not None, answer.answer[:300]
    # Not fired: a question about the list itself is answered by it.
    listed = assistant.ask("Quelles infractions relèvent de l'article 706-73 ?")
    assert _first_source(listed).article == "706-73"


@pytest.mark.parametrize(("question", "refused"), [
    ("Délit puni de cinq ans, mis en examen placé en détention provisoire : quelle durée maximale ?", True),
    # Not fired: a regime of Livre IV named (the terrorist délit of 706-24-3).
    ("Association de malfaiteurs terroriste délictuelle, délit puni de dix ans : durée maximale de la détention provisoire ?", False),
])
def test_the_general_length_of_pre_trial_detention_is_not_in_the_corpus(question: str, refused: bool, assistant: Assistant) -> None:
    assert assistant.ask(question).refused is refused


def test_a_follow_up_under_a_consent_hypothesis_that_asks_another_step_drops_the_previous_question() -> None:
    """« Et s'il consent à sa remise devant la CHINS, elle statue dans quel délai ? » after a question on the
    presentation to the PG: another step of the MAE procedure, asked under that hypothesis."""
    previous = _history("Interpellé sur MAE, il doit être présenté au procureur général sous quel délai ?")
    standalone = contextualize("Et s'il consent à sa remise devant la chambre de l'instruction, elle statue dans quel délai ?", previous)
    assert "contexte" in standalone and "procureur general" not in fold(standalone), standalone
    # Not fired: a follow-up that only sets the polarity asks the previous question again under it.
    assert "procureur général" in contextualize("Et s'il ne consent pas ?", previous)
    assert "procureur général" in contextualize("Et s'il consent, dans quel délai ?", previous)


def test_setting_up_a_joint_investigation_team_is_its_creation(assistant: Assistant) -> None:
    """« monter une ECE » is the texts' « créer une équipe commune d'enquête » (695-2), not its running (695-3)."""
    answer = assistant.ask("On veut monter une ECE avec l'Italie sur un trafic d'armes : il faut quoi ?")
    assert _first_source(answer).article == "695-2" and "accord préalable du ministre de la justice" in answer.answer, answer.answer[:300]
    # Not fired: « monter à bord » is no creation.
    assert "créer" not in expand_abbreviations("Les enquêteurs peuvent-ils monter à bord du navire ?")


def test_a_follow_up_saying_what_the_person_wants_asks_its_own_question(assistant: Assistant) -> None:
    """« Et s'il veut être effacé du fichier ? » after the FIJAIS reporting period: what he can do, not the period."""
    history = _history("Inscrit au FIJAIS pour une agression sexuelle : tous les combien doit-il justifier de son adresse ?")
    answer = assistant.ask("Et s'il veut être effacé du fichier ?", history)
    assert _first_source(answer).article == "706-53-10" and not answer.tool_calls, answer.answer[:300]
    # Not fired: a hypothesis on who acts still asks the previous question (« si c'est le JI qui l'autorise »).
    assert not asks_its_own_question("Et si c'est le JI qui l'autorise ?", analyze("Et si c'est le JI qui l'autorise ?"))


def test_a_question_in_spoken_word_order_is_still_a_question_of_possibility() -> None:
    assert analyze("La défense, elle peut contester l'ordonnance ?").kind == "possibility"
    assert analyze("Le parquet peut-il contester l'ordonnance ?").kind == "possibility"
    assert analyze("Qui peut contester l'ordonnance ?").kind == "authority"  # (not fired: « qui » asks who)


@pytest.mark.parametrize(("question", "kind"), [
    ("Inscrit au FIJAIS : tous les combien doit-il justifier de son adresse ?", "duration"),
    ("Quelle est la périodicité du réexamen de la rétention de sûreté ?", "duration"),
    # « combien » alone asks a number, not a duration
    ("Combien d'assesseurs composent la cour d'assises spéciale ?", "rule"),
])
def test_a_frequency_is_a_duration_asked(question: str, kind: str) -> None:
    assert analyze(question).kind == kind


def test_a_follow_up_asking_the_same_frequency_of_another_file_keeps_the_obligation(assistant: Assistant) -> None:
    previous = _history("Inscrit au FIJAIS pour un délit sexuel puni de 5 ans : tous les combien il doit justifier de son adresse ?")
    answer = assistant.ask("Et pour un inscrit au FIJAIT, c'est quelle fréquence ?", previous)
    assert _first_source(answer).article == "706-25-7" and "tous les trois mois" in answer.answer, answer.answer[:400]


@pytest.mark.parametrize(("question", "article"), [
    # No article opens on « la captation … est … »: the one the section's others refer to sets the measure up.
    ("Qu'est-ce que la captation de données informatiques ?", "706-102-1"),
    # Must not displace the article that opens by defining the notion.
    ("C'est quoi une décision d'enquête européenne ?", "694-16"),
])
def test_a_definition_question_is_answered_by_the_article_that_sets_the_measure_up(question: str, article: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert _first_source(answer).article == article, answer.answer[:300]


def test_a_definition_question_is_its_own_kind_and_fires_no_deadline_tool(assistant: Assistant) -> None:
    assert analyze("C'est quoi la captation de données informatiques ?").kind == "definition"
    assert analyze("Qu'est-ce que l'AGRASC ?").kind == "definition"
    assert analyze("Combien de temps dure une captation de données informatiques ?").kind == "duration"  # not a definition
    answer = assistant.ask("C'est quoi le délai de forclusion pour saisir la CIVI ?")
    assert not answer.tool_calls and _first_source(answer).article == "706-5"


# -- 5. refusals that hold -------------------------------------------------------------------------


def test_a_fictional_tribunal_is_refused_with_the_table_named(assistant: Assistant) -> None:
    answer = assistant.ask("Quel est le pôle de l'instruction du tribunal judiciaire de Springfield ?")
    assert answer.refused
    assert "Springfield" in answer.answer and "D. 15-4-4" in answer.answer
    assert not answer.citations


def test_a_known_tribunal_is_answered_by_the_table(assistant: Assistant) -> None:
    answer = assistant.ask("Quel est le pôle de l'instruction du tribunal judiciaire d'Auch ?")
    assert not answer.refused and [t.name for t in answer.tool_calls] == [POLE_INSTRUCTION]
    assert answer.tool_calls[0].result["pole"] == "Agen"


@pytest.mark.parametrize("question", [
    "Devant le tribunal de Genève, dans quel délai peut-on faire appel d'une ordonnance de détention provisoire ?",
    "La cour d'appel de Bruxelles peut-elle statuer sur un mandat d'arrêt européen émis par la France ?",
    "Escroquerie en BO commise en Belgique : le tribunal de première instance de Bruxelles peut-il saisir la JIRS de Lille ?",
])
def test_a_court_outside_the_table_is_refused_with_the_table_named(question: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert answer.refused and "D. 15-4-4" in answer.answer and "juridictions françaises" in answer.answer, answer.answer[:300]
    assert not [c for c in answer.citations if c.role == "source"]


@pytest.mark.parametrize("court", [
    "tribunal judiciaire de Paris", "tribunal correctionnel de Lyon", "cour d'appel de Versailles", "TJ de Saint-Étienne",
    "tribunal judiciaire des Sables-d'Olonne", "tribunal judiciaire de Cherbourg", "tribunal du Puy", "tribunal de police",
    "tribunal de commerce", "Tribunal pénal international", "tribunal de première instance de Nouméa",
])
def test_a_french_court_or_a_court_type_is_not_taken_for_an_unknown_court(court: str, assistant: Assistant) -> None:
    assert unknown_courts(assistant.catalog, f"Une affaire jugée par le {court} : quelle procédure ?") == []


def test_the_usual_short_name_of_a_tribunal_finds_its_row(assistant: Assistant) -> None:
    answer = assistant.ask("Quel est le pôle de l'instruction du tribunal judiciaire de Cherbourg ?")
    assert not answer.refused and answer.tool_calls[0].result["tribunal"] == "Cherbourg-en-Cotentin"


def test_an_administrative_court_question_is_refused(assistant: Assistant) -> None:
    answer = assistant.ask("Un étranger sous OQTF : dans quel délai peut-il la contester devant le tribunal administratif ?")
    assert answer.refused and "administratif" in answer.answer


def test_an_act_named_as_context_of_a_regime_does_not_make_the_question_unsupported(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Effondrement d'un immeuble : trois morts, des expertises techniques lourdes. Quelle juridiction spécialisée "
        "pour les homicides involontaires ?"
    )
    assert not answer.refused, answer.answer[:300]
    assert _first_source(answer).article.startswith("706-1"), answer.answer[:300]


@pytest.mark.parametrize("question", [
    "Combien de temps peut durer une garde à vue hors bande organisée ?",
    # The offence is in the organised-crime list only « en bande organisée » (706-73-1, 1°): the general rule is asked.
    "Escroquerie simple, hors bande organisée : durée maximale de l'enquête préliminaire ?",
    "Quelle peine encourt l'auteur d'un trafic de stupéfiants en bande organisée ?",
    # 706-73 names its offences by their penalty (« délits punis de dix ans »): it states none.
    "Quelle peine encourt un trafic de stups en bande organisée ?",
    # Out of the special regimes, and naming none: the terrorism derogation (706-24-3) is not the general rule.
    "Durée max de la détention provisoire pour un délit puni de 5 ans, hors bande organisée ?",
    "Quel est le délai d'appel d'un jugement correctionnel en matière de terrorisme ?",
])
def test_out_of_scope_signals_win_over_regime_keywords(question: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert answer.refused, answer.answer[:300]
    assert not [c for c in answer.citations if c.role == "source"]


@pytest.mark.parametrize(("question", "article"), [
    # « PE » is the Parquet européen; the article that says it in the negative answers the question in the negative…
    ("Le PE décide de ne pas exercer sa compétence : que fait le procureur ?", "696-134"),
    # … and not the question in the affirmative.
    ("Le PE décide d'exercer sa compétence : que doit faire le juge d'instruction ?", "696-112"),
])
def test_a_question_in_the_negative_is_answered_by_the_article_that_says_it(question: str, article: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert not answer.refused and _first_source(answer).article == article, answer.answer[:300]


def test_a_follow_up_affirming_a_decisive_concept_leads_to_the_article_that_affirms_it(assistant: Assistant) -> None:
    """696-2 extradites « toute personne n'ayant pas la nationalité française »; 696-4, 1° refuses a French national."""
    previous = _history("La France peut-elle extrader quelqu'un poursuivi en Espagne pour des faits commis en Espagne ?")
    answer = assistant.ask("Et pour un ressortissant français ?", previous)
    assert _first_source(answer).article == "696-4" and "nationalité française" in answer.answer, answer.answer[:300]
    # The question in the negative keeps 696-2; a circumstance named in a negated clause (« détenu ») decides nothing.
    negative = assistant.ask("Extradition d'une personne qui n'a pas la nationalité française, poursuivie dans l'Etat requérant : est-ce possible ?")
    assert _first_source(negative).article == "696-2", negative.answer[:300]
    assert "detenu" not in vocabulary().affirmation_decides
    # « ressortissant » alone (expanded to « nationalité française » for retrieval) does not say French.
    assert "nationalite-francaise" not in analyze("Détenu ressortissant algérien sous OQTF : que doit faire le greffe ?").polarity


def test_an_offence_named_for_an_extradition_is_the_case_not_a_regime(assistant: Assistant) -> None:
    """Extradition is governed alike for every offence: « une escroquerie » does not ask for a financial-crime text."""
    answer = assistant.ask("Un Etat étranger demande l'extradition d'un homme pour une escroquerie commise à Lyon : peut-on l'extrader ?")
    assert not answer.refused and _first_source(answer).article.startswith("696-"), answer.answer[:300]
    # Must still refuse what the corpus does not hold about that offence.
    assert assistant.ask("Quelle peine encourt une escroquerie commise par une personne dont l'extradition est demandée ?").refused


def test_a_special_regime_named_keeps_its_derogation(assistant: Assistant) -> None:
    """Not refused: the question names the regime whose derogation answers (the negative case of the rule above)."""
    answer = assistant.ask("Détention provisoire pour un délit terroriste, hors bande organisée : durée maximale ?")
    assert not answer.refused and _first_source(answer).article == "706-24-3", answer.answer[:300]


@pytest.mark.parametrize(("question", "acts", "set_aside"), [
    ("Majeur sous tutelle entendu en audition libre, pas en GAV : qui prévenir ?", ("audition",), ("garde-a-vue",)),
    ("Audition en dehors de la garde à vue : l'avocat est-il présent ?", ("avocat", "audition"), ("garde-a-vue",)),
    # Must not set the act aside: a verb's negation, or « sans » what the act lacks.
    ("Le JLD ne peut-il pas autoriser une perquisition de nuit ?", ("perquisition",), ()),
    ("Une GAV sans avocat est-elle possible ?", ("garde-a-vue", "avocat"), ()),
    ("Il n'y a pas de GAV : l'avocat est-il obligatoire ?", ("garde-a-vue", "avocat"), ()),
])
def test_an_act_set_aside_is_not_the_act_asked_about(question: str, acts: tuple[str, ...], set_aside: tuple[str, ...]) -> None:
    a = analyze(question)
    assert set(a.acts) == set(acts) and set(set_aside) <= set(a.negated), (a.acts, a.negated)


def test_a_follow_up_setting_the_previous_act_aside_drops_it() -> None:
    standalone = contextualize("Et s'il est entendu en audition libre et pas en GAV ?",
                               _history("GAV d'un majeur sous tutelle : l'OPJ doit-il prévenir le tuteur ?"))
    assert "garde a vue" not in fold(standalone.split(" — ")[0]), standalone
    assert analyze(standalone).acts == ("audition",), standalone


def test_a_regime_set_aside_keeps_the_offence_listed_on_its_own(assistant: Assistant) -> None:
    """« hors terrorisme » does not take drug trafficking out of 706-88: 706-73, 3° lists it without terrorism."""
    answer = assistant.ask("Garde à vue pour trafic de stupéfiants, hors terrorisme : au-delà des 48 premières heures, "
                           "combien de prolongations supplémentaires ?")
    assert not answer.refused and _first_source(answer).article == "706-88", answer.answer[:300]


@pytest.mark.parametrize(("question", "code"), [
    ("Saisie de cocaïne à la frontière : quel est le montant de l'amende douanière prévue par le code des douanes ?", "code des douanes"),
    ("Le code de la route permet-il la rétention du permis d'un conducteur ivre ?", "code de la route"),
])
def test_a_question_on_what_another_code_says_is_refused(question: str, code: str, assistant: Assistant) -> None:
    assert analyze(question).code_asked == code
    answer = assistant.ask(question)
    assert answer.refused and answer.answer.startswith(f"Cette question relève du {code},")


@pytest.mark.parametrize(("question", "article"), [
    # Another code named only for the offences, or as the source of a notion, is context.
    ("Travail dissimulé (code du travail) reproché à une SARL et à son gérant : qui représente la société dans la procédure ?", "706-43"),
    ("Le conseiller de la chambre des appels correctionnels est lié par un PACS à la cousine du prévenu : peut-on le récuser ?", "668"),
    # A penalty that Livre IV sets itself, for the act asked about (706-84), is answered.
    ("Un journaliste révèle le vrai nom d'un policier infiltré dans un réseau de stupéfiants : quelle peine encourt-il ?", "706-84"),
    ("Suspect de viol (art. 222-23 CP) qui refuse le dépistage des MST : quelle sanction encourt-il ?", "706-47-2"),
])
def test_a_question_that_only_looks_out_of_scope_is_answered(question: str, article: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert not answer.refused, answer.answer[:200]
    assert article in {c.article for c in answer.citations if c.role == "source"}
    # Not changed: « les délits prévus par le code de l'environnement » name offences, no code is asked.
    assert analyze("Les délits prévus par le code de l'environnement relèvent-ils d'un pôle régional ?").code_asked is None


def test_another_codes_article_named_as_context_links_the_question_to_the_article_citing_it(assistant: Assistant) -> None:
    """The cross-reference graph holds other codes' articles too: the question's « art. L. 465-1 du code monétaire et
    financier » is cited by 705-1, « art. 221-5-6 CP » by 706-139-1 (whose text never says « stupéfiants »), which
    covers the question's drug regime."""
    a = analyze("Délit d'initié (art. L. 465-1 du code monétaire et financier) : quel parquet est compétent ?")
    assert a.qualifiers == ["code monétaire et financier L. 465-1"]
    assert "code monétaire et financier L. 465-1" in assistant.catalog.cites(assistant.catalog.article("705-1"))
    answer = assistant.ask("Homicide commis après une prise volontaire de stupéfiants ayant aboli le discernement, poursuites "
                           "sur l'art. 221-5-6 CP : que doit préciser le juge d'instruction dans son ordonnance de renvoi ?")
    assert not answer.refused, answer.answer[:200]  # the offence's article is cited by a candidate: its regime is covered


def test_a_competence_passage_that_answers_the_case_leads_the_fondement(assistant: Assistant) -> None:
    """The pollution-marine matter lists 706-107 first; « hors des espaces maritimes sous juridiction française » is 706-108."""
    answer = assistant.ask("Un navire rejette des hydrocarbures en haute mer, hors des espaces maritimes sous juridiction "
                           "française : quel tribunal ?")
    assert answer.tool_calls and _first_source(answer).article == "706-108"
    # said in the text's words, with others in between (« hors de tout espace maritime… »): the passage that says it leads
    said = assistant.ask("Dégazage d'un cargo en haute mer, hors de tout espace maritime sous juridiction française : quelle "
                         "juridiction est compétente ?")
    assert said.tool_calls and _first_source(said).article == "706-108", said.answer[:300]
    # Not fired: a question that matches no passage in particular keeps the tool's order.
    vague = assistant.ask("Pollution marine par un navire : quelle juridiction est compétente ?")
    assert vague.tool_calls and _first_source(vague).article == "706-107"


def test_an_act_livre_iv_governs_for_every_offence_is_answered_whatever_the_offence(assistant: Assistant) -> None:
    """No candidate names drug trafficking, but 706-150 governs the saisie pénale immobilière for every offence."""
    answer = assistant.ask("Enquête préliminaire sur un dealer : pour saisir sa maison en vue de la confiscation, qui ordonne "
                           "la saisie pénale immobilière ?")
    assert not answer.refused and _first_source(answer).article == "706-150"
    # Not fired: a figure the corpus does not state stays refused (« le montant moyen » of a CIVI award for a rape).
    assert assistant.ask("Quel est le montant moyen de l'indemnité allouée par la CIVI aux victimes de viol ?").refused


def test_a_jirs_the_table_does_not_hold_is_refused_before_any_tool(assistant: Assistant) -> None:
    answer = assistant.ask("Quelle est la compétence territoriale de la JIRS de Genève pour un blanchiment franco-suisse ?")
    assert answer.refused and not answer.tool_calls
    assert answer.answer.startswith("La JIRS de Genève n'existe pas dans le corpus") and "D. 15-4-4" in answer.answer
    # Not fired: a French tribunal judiciaire that the table lists.
    assert not assistant.ask("La JIRS de Lyon est-elle compétente pour un trafic de stupéfiants à Grenoble ?").refused
    # The list of JIRS is left to a décret: refused like a figure the corpus does not state.
    assert assistant.ask("Donne-moi la liste des JIRS avec le ressort de chacune.").refused


def test_a_civil_law_question_livre_iv_answers_itself_leads_with_that_passage(assistant: Assistant) -> None:
    """706-4 says that the CIVI « a le caractère d'une juridiction civile »: answered, from 706-4, not refused."""
    answer = assistant.ask("La CIVI, c'est une juridiction civile ou une juridiction pénale ?")
    assert not answer.refused and _first_source(answer).article == "706-4"
    assert "caractère d'une juridiction civile" in answer.answer.splitlines()[0]


def test_a_negation_ends_with_its_clause(assistant: Assistant) -> None:
    """« sans jurés, en matière militaire »: the comma closes what « sans » negates; the military regime is affirmed."""
    question = ("Combien d'assesseurs siègent dans la cour d'assises composée sans jurés, en matière militaire, lorsqu'elle "
                "statue en premier ressort ?")
    a = analyze(question)
    assert "militaire" in a.regimes and "militaire" not in a.negated
    answer = assistant.ask(question)
    assert not answer.refused and _first_source(answer).article == "698-6" and "quatre assesseurs" in answer.answer
    # Not changed: within its clause, the negation still takes the regime out (« hors bande organisée »).
    assert "criminalite-organisee" in analyze("Hors bande organisée, combien de temps dure la garde à vue ?").negated


def test_asking_whether_consent_is_needed_favours_neither_side(assistant: Assistant) -> None:
    """« suppose-t-elle l'accord du condamné ? » asks whether; the answer may well be « sans le consentement »."""
    assert "consentement" not in analyze("La libération conditionnelle-expulsion suppose-t-elle l'accord du condamné ?").polarity
    assert analyze("Avec l'accord de l'occupant, peut-on perquisitionner de nuit ?").polarity.get("consentement") is True
    # The expansion of a negated word is negated with it (« sans son accord (consentement) »).
    assert analyze("Sans son accord, le transfèrement est-il possible ?").polarity == {"consentement": False, "accord": False}
    answer = assistant.ask("La libération conditionnelle-expulsion suppose-t-elle l'accord du condamné étranger ?")
    assert not answer.refused and "sans le consentement de l" in answer.answer, answer.answer[:400]


@pytest.mark.parametrize(("question", "topic"), [
    ("Un mineur de quinze ans mis en examen pour un vol avec violence peut-il être placé en détention provisoire ?", "mineurs"),
    ("Un juge d'instruction belge peut-il délivrer un mandat d'arrêt sans interrogatoire préalable ?", "droit d'un autre État"),
    ("Quel est le taux de la majoration fiscale pour manquement délibéré lors d'un redressement ?", "droit fiscal"),
    ("La victime peut-elle agir devant le juge civil après un classement sans suite ?", "droit civil"),
    ("Dans quel délai peut-on contester une reconnaissance de paternité ?", "droit civil"),
    ("Un salarié en détention provisoire peut-il être licencié pour faute grave ?", "droit du travail"),
    ("Quelle est la position de la chambre criminelle sur la durée des écoutes en enquête préliminaire ?", "jurisprudence"),
    ("Combien de mandats d'arrêt européens les parquets ont-ils émis en 2024 ?", "donnée de fait"),
    ("Qui est actuellement le procureur national financier ?", "donnée de fait"),
    ("La plainte pour fraude fiscale doit-elle recevoir l'avis de la commission des infractions fiscales ?", "droit fiscal"),
    ("Quelle peine le code pénal prévoit-il pour le refus de se soumettre au prélèvement biologique ?", "droit pénal général"),
    # Naming an article of the corpus does not answer what another code sets.
    ("Quelle peine le code pénal prévoit-il pour l'association de malfaiteurs visée à l'article 706-73 ?", "droit pénal général"),
    ("Combien de jurés siègent à la cour d'assises en première instance ?", "règles générales"),
])
def test_neighbouring_branches_of_law_are_refused(question: str, topic: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert answer.refused and topic in answer.answer, answer.answer[:300]


@pytest.mark.parametrize("question", [
    "Le parquet de Bruxelles peut-il ordonner une garde à vue de 96 heures pour trafic de stupéfiants ?",
    "Au Québec, combien de temps dure une garde à vue pour crime organisé ?",
    "Selon le code criminel canadien, quelle est la durée maximale de la détention avant comparution ?",
    "La police de Londres peut-elle retenir un suspect terroriste quatorze jours ?",
])
def test_another_states_authorities_and_law_are_refused(question: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert answer.refused and "droit d'un autre État" in answer.answer, answer.answer[:300]


@pytest.mark.parametrize(("question", "article"), [
    # Cooperation with another State, or a French court for what happened there, is the corpus's own subject.
    ("Quel est le délai pour présenter au procureur général la personne arrêtée sur un mandat d'arrêt européen émis "
     "par le juge d'instruction de Madrid ?", "695-27"),
    ("Comment monter une équipe commune d'enquête avec la Belgique ?", "695-2"),
    ("Le procureur de la République de Lyon peut-il autoriser une sonorisation ?", "706-96"),
])
def test_a_foreign_place_in_a_cooperation_question_is_answered(question: str, article: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert not answer.refused and article in {c.article for c in answer.citations if c.role == "source"}, answer.answer[:300]


@pytest.mark.parametrize(("question", "article"), [
    ("L'audition d'un mineur victime d'une agression sexuelle doit-elle être enregistrée ?", "706-52"),
    ("Fraude fiscale d'une grande complexité : le procureur de la République financier est-il compétent ?", "705"),
    ("En matière terroriste, le juge d'instruction n'a pas statué dans le mois sur son dessaisissement : le ministère "
     "public peut-il saisir directement la chambre criminelle de la Cour de cassation ?", "706-22"),
    # A penalty that Livre IV sets itself is answered, from the article that sets it.
    ("Quelle peine encourt le gardé à vue qui refuse le prélèvement biologique destiné au FNAEG ?", "706-56"),
    ("Quelle peine encourt celui qui révèle l'identité réelle d'un agent infiltré ?", "706-84"),
    # « sans jurés »: the word of the general rule, used about the corpus's own rule.
    ("En matière militaire, la cour d'assises siège sans jurés : comment est-elle composée ?", "698-6"),
])
def test_their_vocabulary_inside_the_corpus_is_answered(question: str, article: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert not answer.refused, answer.answer[:300]
    assert article in {c.article for c in answer.citations if c.role == "source"} | {
        b.get("article") for t in answer.tool_calls for b in t.result.get("basis", [])
    }


def test_a_notion_defined_by_another_code_is_not_a_question_of_that_code(assistant: Assistant) -> None:
    answer = assistant.ask("Poursuites contre un majeur sous curatelle au sens du code civil : qui avise le curateur ?")
    assert not answer.refused and all(c.article.startswith("706-1") for c in answer.citations if c.role == "source")
    assert assistant.ask("Le code civil permet-il un divorce par consentement mutuel ?").refused


def test_a_number_the_corpus_does_not_state_is_refused(assistant: Assistant) -> None:
    answer = assistant.ask("Combien de magistrats composent la cellule de coordination opérationnelle de la JUNALCO ?")
    assert answer.refused and "ne fixent pas le chiffre" in answer.answer
    stated = assistant.ask("Combien de temps peut durer une opération d'infiltration ?")  # the corpus states it
    assert not stated.refused and "quatre mois" in stated.answer


@pytest.mark.parametrize(
    "question",
    [
        "Selon la circulaire du 5 mars 2025, à partir de quelle quantité de stupéfiants saisie la JIRS doit-elle être informée ?",
        "Selon la circulaire du 13 avril 2026, dans quel délai une messagerie est-elle tenue de répondre à une réquisition ?",
        "Quel est le numéro NOR de la circulaire relative aux étrangers détenus et à leur éloignement ?",
    ],
)
def test_a_figure_a_circulaire_does_not_give_is_refused(question: str, assistant: Assistant) -> None:
    """The circulaire is asked, so a CPP article stating some other duration does not count as its answer."""
    answer = assistant.ask(question)
    assert answer.refused and "ne fixent pas le chiffre" in answer.answer, answer.answer[:200]


def test_a_list_of_courts_the_corpus_leaves_to_a_decree_is_refused(assistant: Assistant) -> None:
    """706-75 says that a décret fixes the list of JIRS courts; the corpus does not hold that décret."""
    answer = assistant.ask("Donnez-moi la liste des tribunaux judiciaires qui sont sièges d'une JIRS.")
    assert answer.refused and "la liste demandés" in answer.answer
    # Not fired: the D15-4-4 table lists the pôles, and « quelles juridictions » asks which kind of court.
    table = assistant.ask("Quels tribunaux relèvent du pôle de l'instruction de Douai ?")
    assert not table.refused and "Cambrai" in table.answer
    kind = assistant.ask("Quelles juridictions jugent les crimes militaires commis en temps de paix ?")
    assert not kind.refused


def test_a_figure_a_text_gives_is_answered(assistant: Assistant) -> None:
    seuil = assistant.ask("Audition d'un témoin sous X, identité cachée au dossier : à partir de quel seuil de peine ?")
    assert not seuil.refused and _first_source(seuil).article == "706-58"


def test_a_pole_outside_the_table_is_refused_with_the_table_named(assistant: Assistant) -> None:
    answer = assistant.ask("Quel est le ressort du pôle de l'instruction de Bruxelles ?")
    assert answer.refused and "Le pôle de l'instruction de Bruxelles ne figure pas dans le tableau" in answer.answer
    assert not assistant.ask("Quels tribunaux relèvent du pôle de l'instruction de Pau ?").refused


def test_another_code_named_as_a_source_is_not_asked(assistant: Assistant) -> None:
    """« au titre de l'article 414-3 du code civil » names a source; « que prévoit le code civil » asks it."""
    answer = assistant.ask("Dans un arrêt de déclaration d'irresponsabilité pénale, la chambre de l'instruction peut-elle "
                           "statuer sur la responsabilité civile au titre de l'article 414-3 du code civil ?")
    assert not answer.refused and _first_source(answer).article == "706-125"
    assert assistant.ask("Que prévoit le code civil sur la responsabilité civile des parents ?").refused


def test_a_penalty_livre_iv_sets_is_answered_in_everyday_words(assistant: Assistant) -> None:
    answer = assistant.ask("Un journaliste révèle le vrai nom d'un policier infiltré : quelle peine encourt-il ?")
    assert not answer.refused and _first_source(answer).article == "706-84" and "cinq ans" in answer.answer


def test_a_penalty_question_leads_with_the_sentence_that_sets_it(assistant: Assistant) -> None:
    answer = assistant.ask("Qu'encourt une personne qui refuse le prélèvement biologique destiné au FNAEG ?")
    assert analyze("Qu'encourt une personne qui refuse le prélèvement ?").kind == "penalty"
    assert _first_source(answer).article == "706-56" and "puni" in answer.answer.split("\n")[0]
    assert "un an d'emprisonnement" in answer.answer


def test_a_list_answer_keeps_the_sentence_that_answers_the_rest_of_the_question(assistant: Assistant) -> None:
    """696-137: the chapeau (« …en informe : ») and its items say who is told; the délai is in the next alinéa."""
    answer = assistant.ask("Affaire renvoyée par le Parquet européen aux autorités nationales : qui en est informé et dans "
                           "quel délai le procureur doit-il se prononcer ?")
    assert _first_source(answer).article == "696-137", answer.answer[:300]
    assert "Le procureur général compétent" in answer.answer and "trente jours" in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("question", "article", "complement"),
    [
        ("Le parquet antiterroriste peut-il communiquer des pièces d'une procédure aux services de renseignement ?",
         "706-25-2", "avis favorable du juge d'instruction"),
        ("À qui adresser une requête en relèvement d'une interdiction ?", "703", "Elle est adressée, selon le cas"),
    ],
)
def test_the_sentence_after_the_reponse_completes_it(question: str, article: str, complement: str, assistant: Assistant) -> None:
    """The condition or the addressee often sits in the sentence right after the one that answers."""
    answer = assistant.ask(question)
    assert _first_source(answer).article == article and complement in answer.answer, answer.answer[:400]


def test_a_fondement_sentence_is_quoted_with_the_short_sentence_that_speaks_of_it(assistant: Assistant) -> None:
    """698-1 al. 1: the avis the procureur must ask for, then « Hormis le cas d'urgence, cet avis est donné dans le délai
    d'un mois »: one passage, in the text's order, not the délai left out for a longer sentence."""
    answer = assistant.ask("Un militaire a volé du matériel dans sa caserne pendant le service : le procureur doit-il "
                           "demander un avis avant de poursuivre ?")
    assert _first_source(answer).article == "698-1", answer.answer[:300]
    assert "délai d'un mois" in answer.answer, answer.answer
    consent = assistant.ask("La personne visée par un mandat d'arrêt européen consent à sa remise devant la chambre de "
                            "l'instruction : dans quel délai celle-ci statue-t-elle ?")
    assert "la personne recherchée. Cette décision n'est pas susceptible de recours. »" in consent.answer, consent.answer
    # Not fired: a next sentence that does not speak of the one quoted (« Lorsque la garde à vue intervient au cours d'une
    # commission rogatoire, le report… ») is not glued to it.
    gav = assistant.ask("Garde à vue pour trafic de stupéfiants : au-delà de 48 heures, combien de prolongations et décidées "
                        "par qui ?")
    assert "procureur de la République. Lorsque la garde à vue intervient" not in gav.answer, gav.answer


def test_the_list_item_the_question_names_is_quoted_with_its_chapeau(assistant: Assistant) -> None:
    answer = assistant.ask("Le vol simple fait-il partie des infractions listées à l'article 706-55 (FNAEG) ?")
    assert "3° Les crimes et délits de vols" in answer.answer
    # Not fired: an item already quoted among the first ones is not quoted twice, and nothing else is added.
    first = assistant.ask("Le crime de génocide commis à l'étranger peut-il être poursuivi en France ?")
    assert first.answer.count("1° Le crime de génocide") == 1 and "3° Les crimes et les délits de guerre" not in first.answer


def test_an_article_asked_about_that_the_corpus_lacks_is_refused_even_beside_one_it_holds(assistant: Assistant) -> None:
    answer = assistant.ask("L'article 706-24-3 déroge à l'article 145-1 : que prévoit exactement l'article 145-1 pour la "
                           "durée initiale de la détention provisoire ?")
    assert answer.refused and "L'article 145-1 ne figure pas dans le corpus" in answer.answer
    # Not fired: the missing article only named as what the present one derogates from is a notice, not a refusal.
    kept = assistant.ask("L'article 706-24-3 déroge à l'article 145-1 : quelle durée de détention provisoire prévoit-il ?")
    assert not kept.refused and _first_source(kept).article == "706-24-3"


def test_the_rule_of_a_missing_article_asked_for_an_act_is_refused(assistant: Assistant) -> None:
    """« … l'entretien avec l'avocat prévu à l'article 63-4 » asks the rule of 63-4, which Livre IV does not hold."""
    answer = assistant.ask("Combien de temps peut durer l'entretien de la personne gardée à vue avec son avocat prévu à l'article 63-4 ?")
    assert answer.refused and "L'article 63-4 ne figure pas dans le corpus" in answer.answer
    # Not fired: an article that only frames the act (« en dehors des heures prévues à l'article 59 »), or a missing
    # article named beside a special regime of Livre IV (which may set its own rule).
    framed = assistant.ask("En crim org, une perquisition en dehors des heures prévues à l'article 59 peut-elle être autorisée en enquête préliminaire ?")
    assert not framed.refused and _first_source(framed).article == "706-90"
    regime = assistant.ask("La garde à vue de droit commun prévue à l'article 63 peut-elle être prolongée au-delà de 48 heures en matière de terrorisme ?")
    assert not regime.refused and _first_source(regime).article == "706-88"
    # … but a special regime the question sets aside leaves the general rule asked: refused.
    general = assistant.ask("Escroquerie commise hors bande organisée : combien de temps peut durer l'enquête préliminaire prévue à l'article 75-3 ?")
    assert general.refused and "L'article 75-3 ne figure pas dans le corpus" in general.answer


def test_what_another_code_says_is_refused_with_that_code_named(assistant: Assistant) -> None:
    answer = assistant.ask("L'article 706-103 renvoie aux procédures civiles d'exécution : dans quel délai la mesure conservatoire "
                           "doit-elle être signifiée selon le code des procédures civiles d'exécution ?")
    assert answer.refused
    assert answer.answer.startswith("Cette question relève du code des procédures civiles d'exécution, qui ne figure pas dans le corpus")
    # Not fired: another code named for the offences (« prévus dans le code de l'environnement ») is context.
    kept = assistant.ask("Les délits prévus dans le code de l'environnement, dans une affaire complexe, peuvent-ils relever "
                         "d'un pôle régional spécialisé en matière d'atteintes à l'environnement ?")
    assert not kept.refused


def test_a_civil_code_article_named_as_context_does_not_make_the_question_civil(assistant: Assistant) -> None:
    answer = assistant.ask("Garde à vue d'une personne sous tutelle (art. 440 du code civil) : qui l'OPJ doit-il aviser ?")
    assert not answer.refused and _first_source(answer).article == "706-112-1"
    # Not fired: a question about the civil code's own matter stays refused.
    assert assistant.ask("Que prévoit le code civil pour l'ouverture d'une curatelle renforcée ?").refused


def test_a_missing_article_is_refused_not_computed_around(assistant: Assistant) -> None:
    answer = assistant.ask("Quelles règles de compétence fixe l'article 628-15 du code de procédure pénale ?")
    assert answer.refused and not answer.tool_calls and "628-15" in answer.answer


def test_an_act_named_as_context_with_a_well_covered_question_is_answered(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Un OPJ de Bobigny doit se transporter à Créteil pour entendre un témoin en enquête préliminaire : doit-il "
        "aviser préalablement le procureur de la République ?"
    )
    assert not answer.refused and _first_source(answer).article == "D12", answer.answer[:300]


def test_the_special_regime_itself_is_still_answered(assistant: Assistant) -> None:
    answer = assistant.ask("Combien de temps peut durer une garde à vue en bande organisée ?")
    assert not answer.refused and _first_source(answer).article.startswith("706-88")


def test_a_follow_up_to_the_general_rule_is_refused(assistant: Assistant) -> None:
    answer = assistant.ask("Et en droit commun ?", GAV_HISTORY)
    assert answer.refused


def test_refusal_sentences_are_correct_french() -> None:
    for topic in vocabulary().out_of_scope:
        sentence = refusal_out_of_scope(topic.label)
        assert not re.search(r"\bde (le|les)\b", sentence), sentence
        assert sentence.startswith(tuple(f"Cette question relève {p}" for p in ("du ", "des ", "de la ", "d'une ", "d'un ")))


# -- 6. other codes are named, never labelled CPP --------------------------------------------------


def test_another_codes_articles_keep_their_code_and_number() -> None:
    refs = find_references("les articles 324-1 et 324-2 du code pénal, l'article L. 512-2 du code minier et l'article 706-88")
    assert [(r.number, r.code) for r in refs] == [
        ("324-1", "code pénal"), ("324-2", "code pénal"), ("L. 512-2", "code minier"), ("706-88", None),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    # « du même code » names the text last named, and a CPP passage's « même code » stays the CPP.
    ("les articles 421-1 et 421-2 du code pénal ou l'article 421-2-1 du même code",
     [("421-1", "code pénal"), ("421-2", "code pénal"), ("421-2-1", "code pénal")]),
    ("l'article 706-73 et l'article 706-74 du même code", [("706-73", None), ("706-74", None)]),
    # … and a code named without a number earlier in the passage is the « même code » (689-11, 1° and 3°).
    ("le crime de génocide défini au livre II du code pénal ; 3° Les crimes de guerre définis aux articles 461-1 à 461-31 du même code",
     [("461-1", "code pénal"), ("461-31", "code pénal")]),
    # The same number named again without its text is the same article.
    ("de l'article 122-1 du code pénal ; elle statue sur l'application du même article 122-1",
     [("122-1", "code pénal"), ("122-1", "code pénal")]),
    # A paragraph inside the list does not cut the number from the text named after it.
    ("les consultations prévues aux articles 93, paragraphe 3, et 97 du statut", [("93", "statut")]),
    # A code's usual abbreviation names it; « CPP » is not « CP ».
    ("un viol au sens de l'art. 222-23 CP", [("222-23", "code pénal")]),
    ("sous curatelle (art. 472 C. civ.)", [("472", "code civil")]),
    ("l'article 706-73 CPP", [("706-73", None)]),
    # A code's name is read whole, « et » included.
    ("art. L. 465-1 du code monétaire et financier)", [("L. 465-1", "code monétaire et financier")]),
    # One list, its text named once, after « l'article » repeated or a paragraph (696-112, the Parquet européen).
    ("en application du 1 de l'article 25 et du 5 de l'article 27 du règlement (UE) 2017/1939 du Conseil du 12 octobre 2017",
     [("25", "règlement (UE) 2017/1939 du Conseil"), ("27", "règlement (UE) 2017/1939 du Conseil")]),
    ("l'article 311-4 et l'article 311-5 du code pénal", [("311-4", "code pénal"), ("311-5", "code pénal")]),
    ("l'article 706-73 et l'article 706-88", [("706-73", None), ("706-88", None)]),
])
def test_a_reference_to_the_same_text_or_with_a_paragraph_keeps_its_text(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(r.number, r.code) for r in find_references(text)] == expected


def test_a_bare_number_of_another_code_named_elsewhere_in_the_answer_keeps_that_code(assistant: Assistant) -> None:
    """The answer shows « l'application de l'article 122-1 » bare; a quoted passage says « 122-1 du code pénal »."""
    unit = assistant.catalog.article("706-120")
    cited = [unit_citation(unit, assistant.catalog, first_sentence(unit))]
    assert "122-1 du code pénal" in cited[0].quote
    found = renvois("Elle statue sur l'application de l'article 122-1.", cited, assistant.catalog)
    assert [(c.article, c.code) for c in found] == [("122-1", "code pénal")]


def test_a_code_penal_cross_reference_is_labelled_code_penal(assistant: Assistant) -> None:
    unit = next(u for u in assistant.catalog.units if not u.abrogated and "du code pénal" in u.text)
    cited = renvois(unit.text, [], assistant.catalog)
    penal = [c for c in cited if c.code == "code pénal"]
    assert penal, unit.article
    for c in penal:
        assert not c.in_corpus and c.role == "renvoi"
        assert c.label().startswith("code pénal, art.") and "CPP" not in c.label()


# -- 7. circulaires: page breaks and footnotes -----------------------------------------------------


def test_no_circulaire_paragraph_is_cut_by_a_page_break(assistant: Assistant) -> None:
    for unit in assistant.catalog.units:
        if unit.kind != "circulaire":
            continue
        for alinea in unit.alineas:
            assert not alinea[:1].islower(), f"{unit.unit_id} : paragraphe commencé en minuscule (suite d'une page) : {alinea[:80]}"
    section = assistant.catalog.section("circ-2025-etrangers-detenus", "2.2")
    assert section is not None
    assert any("peut être décidée sans le consentement de l’intéressé" in al for al in section.alineas)
    assert all("interdiction de retour" not in note for note in section.notes)


def test_a_quote_across_a_page_break_is_verbatim_in_pieces(assistant: Assistant, corpus_text: CorpusText) -> None:
    answer = assistant.ask("La libération conditionnelle dite expulsion peut-elle être décidée sans le consentement du condamné ?")
    assert not answer.refused
    for c in answer.citations:
        if c.role == "source":
            assert corpus_text.contains(c.quote, c.doc_id), c.quote


# -- 8. the answer's shape -------------------------------------------------------------------------


def test_the_first_line_answers_with_a_pinpoint_reference(assistant: Assistant) -> None:
    answer = assistant.ask("Combien de temps peut durer au maximum une garde à vue pour trafic de stupéfiants en bande organisée ?")
    lead = _first_source(answer)
    assert answer.answer.startswith("**Réponse** : « ")
    assert lead.article == "706-88" and isinstance(lead.alinea, int)
    assert answer.summary and f"art. 706-88, al. {lead.alinea}" in answer.summary
    assert len([c for c in answer.citations if c.role == "source"]) <= 5


def test_a_footnote_called_by_a_quoted_sentence_is_shown(assistant: Assistant, corpus_text: CorpusText) -> None:
    answer = assistant.ask(
        "Que peut faire le juge de l'application des peines pour connaître les mesures d'éloignement exécutoires "
        "d'un détenu étranger ?"
    )
    assert "note de bas de page" in answer.answer
    notes = [c for c in answer.citations if c.kind == "circulaire" and c.quote.startswith(("Circulaire n°", "Premier alinéa"))]
    assert notes and all(corpus_text.contains(c.quote, c.doc_id) for c in notes)


# -- the answer quotes what answers ------------------------------------------------------------------


def test_a_chapeau_is_quoted_with_the_items_it_announces(assistant: Assistant) -> None:
    answer = assistant.ask("Parmi les offices centraux de police judiciaire, y a-t-il un office anti-stupéfiants ?")
    assert _first_source(answer).article == "D8-1"
    assert "suivants :" in answer.answer and "2° Office anti-stupéfiants" in answer.answer


def test_a_bulleted_item_that_answers_comes_with_its_own_chapeau(assistant: Assistant) -> None:
    """A circulaire's « - » item is quoted after the sentence that announces the list (not after the previous item),
    and before the list's first items, whatever the quote budget."""
    answer = assistant.ask("Risque de disparition des données chez un hébergeur étranger : qui est le point de contact "
                           "pour le gel avant la DEPI ?")
    assert "OFAC" in answer.answer.split("\n", 1)[0] and "- Les points de contacts" in answer.answer, answer.answer[:500]
    escort = assistant.ask("Extraction d'un détenu de niveau d'escorte 3 à 5 : qu'attend la circulaire du magistrat mandant ?")
    text = escort.answer
    assert "veillera à alimenter" in text.split("\n", 1)[0] and "- en amont d'une extraction d'un détenu de niveau d'escorte 3 à 5" in text
    assert text.index("- en amont d'une extraction") < text.index("- lors de l'incarcération initiale")


def test_an_abbreviation_spelled_out_in_a_sentence_counts_as_one_concept(assistant: Assistant) -> None:
    """« FIJAIT » expands to nine words: the sentence that only spells the file's name out must not outweigh the one
    that states the penalty asked."""
    answer = assistant.ask("Quelle peine pour une personne inscrite au FIJAIT qui part à l'étranger sans l'avoir déclaré ?")
    first = answer.answer.split("\n", 1)[0]
    assert _first_source(answer).article == "706-25-7" and "puni" in first and "fichier des personnes recherchées" not in first


def test_a_circulaire_footnote_can_be_the_answer(assistant: Assistant, corpus_text: CorpusText) -> None:
    answer = assistant.ask("C'est quoi KODEX dont parle la circulaire d'avril 2026 sur les fournisseurs ?")
    assert not answer.refused and "KODEX" in answer.answer.split("\n", 1)[0]
    # « Cette dernière est un intermédiaire… » is quoted with the sentence naming KODEX, which it refers back to.
    assert "Cette dernière est un intermédiaire" in answer.answer.split("\n", 1)[0]
    lead = _first_source(answer)
    assert lead.doc_id == "circ-2026-04-13-donnees-fournisseurs" and corpus_text.contains(lead.quote, lead.doc_id)


def test_the_ranker_prefers_the_unit_that_states_a_duration(assistant: Assistant) -> None:
    """A duration question about the measures after a finding of criminal irresponsibility is answered by the article
    that sets their length (706-136), not by its neighbour that lists who pronounces them (706-135)."""
    assert assistant.search.ranker_weights, "the default model ships with its ranker"
    answer = assistant.ask(
        "Après une déclaration d'irresponsabilité pénale pour trouble mental, quelles mesures de sûreté et pour quelle durée ?"
    )
    assert _first_source(answer).article == "706-136", answer.answer[:300]
    assert re.search(r"dix ans|vingt ans", answer.answer)


def test_the_article_that_defines_the_notion_asked_leads(assistant: Assistant) -> None:
    """« C'est quoi une DEE ? »: 694-16 opens by defining it; the articles that only use the notion (694-35) and the
    circulaire that writes « (DEE) » once do not answer what it is."""
    answer = assistant.ask("C'est quoi une décision d'enquête européenne (DEE) ?")
    assert _first_source(answer).article == "694-16", answer.answer[:300]
    assert "Etat d'émission" in answer.answer.split("\n", 1)[0]
    assert _first_source(assistant.ask("Qu'est-ce qu'un mandat d'arrêt européen ?")).article == "695-11"
    # Not fired: a question that is not a definition, and a definition of a notion no article opens by defining.
    delay = assistant.ask("Dans quel délai le magistrat saisi d'une décision d'enquête européenne doit-il statuer sur sa reconnaissance ?")
    assert _first_source(delay).article != "694-16"
    assert _first_source(assistant.ask("C'est quoi la captation de données informatiques ?")).article not in ("694-16", "695-11")


def test_an_abbreviation_is_no_rarer_than_the_words_it_stands_for(assistant: Assistant) -> None:
    """« DEE » is written once in the corpus (a circulaire), « décision d'enquête européenne » in dozens of
    articles: both spellings are one term for BM25, so that circulaire does not lead on the written-out notion."""
    search = assistant.search
    (dee,) = tokenize("DEE")
    assert search.idf(dee) < 0.6 * search.idf("zzz-unknown")  # as common as the spelled-out notion, not a one-off word
    hits = search.search("C'est quoi une décision d'enquête européenne (DEE) ?", k=5, analysis=analyze("C'est quoi une décision d'enquête européenne (DEE) ?"))
    assert all(h.unit.kind == "code" for h in hits[:3])


def test_a_penalty_question_leads_with_the_sentence_that_states_the_penalty(assistant: Assistant) -> None:
    """706-53-5 lists the FIJAIS obligations, then « Le fait… de ne pas respecter ces obligations est puni de deux ans
    d'emprisonnement… »: that sentence answers « quelle peine ? », although it holds few of the question's words."""
    answer = assistant.ask("Une personne inscrite au FIJAIS ne déclare pas son changement d'adresse : quelle peine encourt-elle ?")
    first = answer.answer.split("\n", 1)[0]
    assert _first_source(answer).article == "706-53-5" and "deux ans d'emprisonnement" in first, first
    # Not fired: « un délit puni de dix ans » names offences, it states no penalty; a question on the obligation keeps it.
    obligation = assistant.ask("Une personne inscrite au FIJAIS condamnée pour un crime doit justifier de son adresse tous les combien ?")
    assert "est puni" not in obligation.answer.split("\n", 1)[0], obligation.answer[:300]


def test_a_penalty_said_as_the_same_penalties_is_answered_by_the_sentence_that_states_them(assistant: Assistant) -> None:
    """706-25-7: « La tentative de déplacement à l'étranger sans avoir procédé à la déclaration… est punie des mêmes
    peines » holds the question's words but not the penalty: the sentence before it states it. The penalty that the
    article sets for « les obligations prévues au présent article » answers although it does not name the FIJAIT."""
    for question in ("Quelle peine pour une personne inscrite au FIJAIT qui tente de partir à l'étranger sans l'avoir déclaré ?",
                     "Quelle peine encourt celui qui tente de partir à l'étranger sans faire la déclaration au FIJAIT ?"):
        answer = assistant.ask(question)
        first = answer.answer.split("\n", 1)[0]
        assert not answer.refused and "deux ans d'emprisonnement" in first, answer.answer[:300]
        assert "mêmes peines" in answer.answer  # (the sentence the question's words point to, in the Fondement)
    answer = assistant.ask("Quelle peine encourt un inscrit au FIJAIS qui ne justifie pas de son adresse ?")
    assert _first_source(answer).article == "706-53-5" and "deux ans d'emprisonnement" in answer.answer.split("\n", 1)[0]
    # Not fired: penalties of the code pénal stay refused.
    for question in ("Quelle peine encourt l'auteur d'un vol simple ?", "Quelle peine pour un faux témoignage ?"):
        assert assistant.ask(question).refused, question


def test_a_sentence_that_repeats_the_answer_for_other_cases_leaves_room_for_what_is_asked(assistant: Assistant) -> None:
    """706-80-1: after the Réponse (who authorises the controlled delivery), « L'autorisation… est mentionnée ou
    versée au dossier » and « Le procureur… informe sans délai le procureur… de Paris » answer « qui est informé ? ».
    The first alinéa, the same rule for the controls and arrests (« …de ne pas procéder au contrôle et à
    l'interpellation… »), only restates the Réponse: it is no complement."""
    answer = assistant.ask("Livraison surveillée de stups : qui autorise les enquêteurs à demander aux douaniers de ne pas "
                           "interpeller le convoi, et qui doit en être informé ?")
    assert _first_source(answer).article == "706-80-1" and "tribunal judiciaire de Paris" in answer.answer, answer.answer
    alineas = assistant.catalog.article("706-80-1").alineas
    assert parallel(alineas[0], alineas[1])
    # Not fired: a complement of the Réponse shares few of its words.
    authorised, informed = split_sentences(assistant.catalog.article("706-80-1").alineas[2])
    assert not parallel(authorised, informed)


@pytest.mark.parametrize(("question", "article"), [
    ("Le Parquet européen décide d'exercer sa compétence sur ma fraude aux fonds européens : que doit faire le juge d'instruction saisi ?", "696-112"),
    ("Le Parquet européen décide de ne pas exercer sa compétence : le juge d'instruction reste-t-il saisi ?", "696-134"),
    ("Le Parquet européen renonce à exercer sa compétence : le juge d'instruction reste-t-il saisi ?", "696-134"),
])
def test_whether_the_parquet_europeen_exercises_its_competence_decides_the_article(question: str, article: str, assistant: Assistant) -> None:
    """696-112 « décide d'exercer sa compétence » / 696-134 « décide de ne pas exercer sa compétence »."""
    answer = assistant.ask(question)
    assert _first_source(answer).article == article and not answer.tool_calls, answer.answer[:300]


def test_a_verb_finds_the_noun_or_form_the_texts_use(assistant: Assistant) -> None:
    """« qui gère ? » → 706-160 « la gestion… » (the AGRASC); « détruire » → 706-52 « …sont détruits » after five years."""
    answer = assistant.ask("Quel organisme gère les sommes saisies pendant la procédure ?")
    assert _first_source(answer).article == "706-160", answer.answer[:300]
    answer = assistant.ask("Au bout de combien de temps détruit-on l'enregistrement de l'audition d'un mineur victime ?")
    assert _first_source(answer).article == "706-52" and "cinq ans" in answer.answer, answer.answer
    # « poursuivre » is the texts' « poursuites »: the sentence that asks for the minister's opinion « préalablement à
    # tout acte de poursuite » answers, with its one-month délai.
    answer = assistant.ask("Militaire en service, délit non flagrant : avant de poursuivre, de qui dois-je recueillir l'avis ?")
    assert _first_source(answer).article == "698-1" and "acte de poursuite" in answer.answer.split("\n", 1)[0], answer.answer[:300]
    assert "un mois" in answer.answer
    # Not fired: « mis en examen » is not a medical examination.
    assert "medecin" not in fold(expand_abbreviations("Le mis en examen peut-il demander un examen complémentaire ?"))


def test_a_deadline_rule_quotes_first_the_basis_that_governs_the_case_asked(assistant: Assistant) -> None:
    """The rule on deferring the lawyer rests on 706-88 (48 h, 72 h for some offences) and 628-8 (72 h for the crimes
    against humanity of its title): a question on those crimes leads with 628-8, one on drug trafficking with 706-88."""
    answer = assistant.ask("Pour un crime contre l'humanité, combien de temps peut-on différer l'intervention de l'avocat en garde à vue ?")
    assert _first_source(answer).article == "628-8" and "soixante-douze heures" in answer.answer.split("\n", 1)[0], answer.answer[:300]
    answer = assistant.ask("GAV pour trafic de stups en bande organisée : jusqu'à combien d'heures peut-on différer l'avocat ?")
    assert _first_source(answer).article == "706-88", answer.answer[:300]


def test_passer_outre_asks_for_the_act_without_consent(assistant: Assistant) -> None:
    """« le suspect refuse : on peut passer outre ? » is « sans le consentement de l'intéressé » in the texts."""
    question = "Agression sexuelle : le mis en cause refuse l'examen de dépistage demandé par la victime, peut-on passer outre ?"
    assert analyze(question).polarity.get("consentement") is False
    answer = assistant.ask(question)
    assert _first_source(answer).article == "706-47-2" and "sans le consentement de l'intéressé" in answer.answer, answer.answer[:400]
    # Not fired: a question without « passer outre » sets no polarity.
    assert "consentement" not in analyze("Le dépistage peut-il être ordonné à la demande de la victime ?").polarity


def test_the_items_that_hold_what_is_asked_are_kept_when_all_do_not_fit(assistant: Assistant) -> None:
    """706-3's conditions do not all fit: the nested item the question is about (« -soit … incapacité totale de
    travail personnel égale ou supérieure à un mois », printed without a space after its dash) is quoted with the
    item that announces it (« 2° Ces faits : »), before the long 1° that holds none of the question's words."""
    answer = assistant.ask("Coups ayant entraîné une ITT de six semaines : la CIVI peut-elle accorder la réparation intégrale ?")
    assert _first_source(answer).article == "706-3"
    assert "2° Ces faits : -soit ont entraîné la mort" in answer.answer and "égale ou supérieure à un mois" in answer.answer, answer.answer
    # Not changed: the items the Réponse already speaks of come in the text's order (706-91's 2° stays quoted).
    night = assistant.ask("Et au cours d'une information judiciaire ?", _history(
        "En enquête préliminaire en criminalité organisée, une perquisition de nuit est-elle possible ?"))
    assert _first_source(night).article == "706-91" and "risque immédiat de disparition des preuves" in night.answer, night.answer[:600]


def test_a_short_question_naming_nothing_of_its_own_is_a_follow_up(assistant: Assistant) -> None:
    """« Pour combien de temps au maximum si les faits sont un crime ? » names no act, regime, stage or article: it
    asks about the mesures de sûreté just discussed (706-136), without opening on « Et »."""
    previous = _history("Après une déclaration d'irresponsabilité pénale pour trouble mental, quelles mesures de sûreté peuvent être prononcées ?")
    question = "Pour combien de temps au maximum si les faits sont un crime ?"
    assert "irresponsabilite" in fold(contextualize(question, previous))
    answer = assistant.ask(question, previous)
    assert _first_source(answer).article == "706-136" and "vingt ans" in answer.answer, answer.answer[:400]
    # Not fired: a question that names its own act or regime, or is long, stands on its own.
    for own in ("Qui désigne le membre national d'Eurojust ?", "Quelle est la durée de la garde à vue en matière de terrorisme ?",
                "Combien de temps le juge d'instruction peut-il faire durer une captation de données informatiques en information judiciaire ?"):
        assert contextualize(own, previous) == own


def test_a_follow_up_changing_subject_weighs_its_own_words_over_the_context(assistant: Assistant) -> None:
    """« Et qui délivre l'habilitation des agents infiltrés ? » after a question on infiltration in organised crime:
    the habilitation (D15-1-3) answers, not the organised-crime list the context words point to."""
    previous = _history("Durée maximale d'une infiltration autorisée par le parquet en criminalité organisée ?")
    standalone = contextualize("Et qui délivre l'habilitation des agents infiltrés ?", previous)
    assert fold(standalone).count("habilitation") == 2 and "contexte" in standalone
    answer = assistant.ask("Et qui délivre l'habilitation des agents infiltrés ?", previous)
    assert _first_source(answer).article == "D15-1-3", answer.answer[:300]


@pytest.mark.parametrize(("question", "article"), [
    ("Combien de temps sont conservées au FNAEG les empreintes génétiques d'une personne condamnée ?", "706-54"),
    ("Quelle est la composition exacte de la commission nationale chargée de la protection des repentis ?", "706-63-1"),
])
def test_what_an_article_leaves_to_a_decree_is_refused_with_the_article_named(question: str, article: str, assistant: Assistant) -> None:
    """706-54 « Ce décret précise notamment la durée de conservation… », 706-63-1 « une commission nationale dont la
    composition… sont définies par décret »: the décret is not in the corpus, so the figure asked is not either."""
    answer = assistant.ask(question)
    assert answer.refused, answer.answer[:300]
    assert answer.answer.startswith(f"L'article {article} du CPP laisse à un décret"), answer.answer[:300]


@pytest.mark.parametrize("question", [
    "Qui définit les mesures de protection et de réinsertion des repentis ?",  # the commission itself is in 706-63-1
    "Escroquerie en ligne avec des centaines de victimes dans toute la France : quelle JIRS ?",  # « la liste » not asked
    "Peut-on inscrire au FNAEG l'empreinte génétique d'un simple suspect ?",
])
def test_a_decree_named_beside_the_answer_refuses_nothing(question: str, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert not answer.refused and "laisse à un décret" not in answer.answer, answer.answer[:300]


def test_installing_a_device_is_putting_the_technical_device_in_place(assistant: Assistant) -> None:
    """« poser un micro », « installer le logiciel » are the texts' « mettre en place le dispositif technique »:
    706-96-1 (entering a home at night to install a sonorisation) and 706-102-5 (installing a captation remotely)."""
    night = assistant.ask("Le juge d'instruction peut-il autoriser les enquêteurs à entrer de nuit dans un appartement pour y poser un micro de sonorisation ?")
    assert _first_source(night).article == "706-96-1", night.answer[:300]
    remote = assistant.ask("Captation de données : peut-on installer le logiciel espion à distance, par le réseau, sans pénétrer dans les lieux ?")
    assert _first_source(remote).article == "706-102-5", remote.answer[:300]
    # Not fired: « poser des questions » installs nothing.
    assert "mise en place" not in expand_abbreviations("Le JI peut-il poser des questions au témoin anonyme ?")


def test_an_information_ouverte_is_the_information_stage() -> None:
    assert analyze("Trafic de stupéfiants, information ouverte : le JI peut-il autoriser une perquisition de nuit ?").stages == ("information",)
    assert analyze("Dès l'ouverture d'une information, qui autorise ?").stages == ("information",)
    assert analyze("Informations sur la personne gardée à vue ?").stages == ()  # (not a stage)


def test_a_candidate_affirming_what_the_question_negates_goes_after_the_others(assistant: Assistant) -> None:
    """« Et si elle ne consent pas ? » after a question on a person who consents to extradition: 696-27
    (« déclare … consentir ») gives way to 696-15 (« ne pas consentir »). A section's scope set by its opening article
    counts (696-25 « La présente section est applicable… » between States of the Union européenne)."""
    previous = _history("Extradition : la personne réclamée déclare au procureur général consentir à son extradition ; "
                        "quand comparaît-elle devant la chambre de l'instruction ?")
    answer = assistant.ask("Et si elle ne consent pas ?", previous)
    assert _first_source(answer).article == "696-15", answer.answer[:300]
    search = assistant.search
    assert search._scoped_polarity(assistant.catalog.article("696-27"), "union-europeenne") is True
    # Not inherited: 696-8 opens the common-law section without scoping it (it names the Union in passing).
    assert search._scoped_polarity(assistant.catalog.article("696-13"), "union-europeenne") is None
    # Not fired: the same question in the affirmative keeps the consent articles.
    assert _first_source(assistant.ask(previous[0]["content"])).article in ("696-27", "696-13")


def test_a_question_on_a_recourse_is_answered_by_the_article_that_speaks_of_it(assistant: Assistant) -> None:
    """706-89 lets the JLD authorise a night search in flagrance; 706-92 says its ordonnance « n'est pas susceptible
    d'appel »: asked whether one can appeal, the article that says so leads."""
    answer = assistant.ask("Crim org : l'ordonnance du JLD autorisant une perquisition de nuit en flagrance peut-elle faire "
                           "l'objet d'un appel ?")
    assert _first_source(answer).article == "706-92" and "pas susceptible d'appel" in answer.answer, answer.answer[:300]
    # Not fired: the same act asked without a recourse (« qui autorise ») keeps the article that sets it up; nor is the
    # « cour d'appel » a recourse.
    assert _first_source(assistant.ask("Crim org : qui autorise une perquisition de nuit en flagrance ?")).article == "706-89"
    assert not RECOURSE.search("le jld d un tribunal du ressort de la cour d appel")


def test_a_state_outside_the_union_sets_the_simplified_extradition_aside(assistant: Assistant) -> None:
    """696-27 (simplified extradition, between Member States: 696-25) and 696-13 (common law) say the same five working
    days; a request from Morocco is answered by 696-13, even though 696-27's sentence holds more of the words."""
    answer = assistant.ask("Personne réclamée par le Maroc qui consent devant le procureur général à son extradition : dans "
                           "quel délai comparaît-elle devant la chambre de l'instruction ?")
    assert _first_source(answer).article == "696-13", answer.answer[:300]
    assert analyze("Extradition demandée par la Turquie").polarity == {"union-europeenne": False}
    # Not fired: a Member State's warrant negates nothing, and a place abroad is still « à l'étranger »
    assert "union-europeenne" not in analyze("Interpellation sur un MAE espagnol").polarity
    assert "à l'étranger" in with_abroad("Un viol commis en Turquie")


def test_a_yes_no_question_gets_the_limit_that_speaks_of_what_it_asks(assistant: Assistant) -> None:
    """706-88: asked whether the person must still be brought before the JLD for the second prolongation, the limit quoted
    is al. 3 (« La seconde prolongation peut toutefois… être autorisée sans présentation préalable »), not the nearer
    « Par dérogation… » of al. 6, which limits the avocat's rule."""
    answer = assistant.ask("GAV en bande organisée : pour la 2e prolongation, le gardé à vue est quand même présenté au JLD ?")
    assert _first_source(answer).article == "706-88", answer.answer[:300]
    assert "sans présentation préalable" in answer.answer, answer.answer
