"""Reading the question as a magistrate types it: slips, hours of the night, abbreviations, people named by the
article that defines them (real corpus, real index, real model). Each rule with the cases that must not fire."""

from __future__ import annotations

import pytest

from assistant.analysis import analyze
from assistant.chain import Assistant
from assistant.french import expand_abbreviations


def _first_source(answer):
    return next(c for c in answer.citations if c.role == "source")


# -- typing slips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "meant"), [
    ("le JI veut faire perquisitioner un domicile", "perquisitionner"),
    ("pour la 2e prolongaton supplémentaire", "prolongation"),
    ("la durée d'une infiltartion", "infiltration"),
    ("une demande d'extradtion", "extradition"),
])
def test_a_slip_in_a_long_word_is_corrected_to_the_corpus_word(typed: str, meant: str, assistant: Assistant) -> None:
    assert meant in assistant.speller.correct(typed)


@pytest.mark.parametrize("question", [
    # French words the corpus lacks, one letter away from one it holds: not slips
    "Des centaines de victimes : quel tribunal ?",
    "Un détenu algérien doit-il être signalé au consulat ?",
    "Mon collègue du parquet peut-il requérir ?",
    "Le salarié licencié peut-il se constituer partie civile ?",
    "La garde à vue peut-elle dépasser 96 heures ?",
    "Un juge de province peut-il instruire ?",
    # short words and words the vocabulary knows
    "Perquise dans l'appart du dealer à 22h",
    # a name inside a sentence, one letter away from a corpus word (« Ministère »)
    "Dégazage dans la zone économique exclusive au large du Finistère : quelle juridiction ?",
])
def test_a_french_word_or_a_short_one_is_never_corrected(question: str, assistant: Assistant) -> None:
    assert assistant.speller.correct(question) == question


def test_a_slip_does_not_lose_the_act_asked_about(assistant: Assistant) -> None:
    answer = assistant.ask("Info JIRS stups : le JI veut faire perquisitioner un domicile à 3h du mat. Dans quels cas d'urgence peut-il l'autoriser ?")
    assert _first_source(answer).article == "706-91"
    assert "flagrant" in answer.answer and "disparition des preuves" in answer.answer


# -- hours of the night -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["une perquisition à 3h du mat", "à 23h30 chez lui", "vers 5 heures du matin", "4h du matin", "à 2 h du matin"])
def test_an_hour_of_the_night_is_de_nuit(text: str) -> None:
    assert "de nuit" in expand_abbreviations(text)
    assert "perquisition" in analyze(f"Perquisition {text} : possible ?").acts


@pytest.mark.parametrize("text", ["une GAV de 48h", "à 14h", "dans les 24 heures", "prolongée à 48 h", "à 10h30", "à 21h"])
def test_a_duration_or_a_day_hour_is_not_the_night(text: str) -> None:
    assert "de nuit" not in expand_abbreviations(text)


# -- abbreviations ------------------------------------------------------------------------------------


def test_pm_and_cj_are_the_personne_morale_and_the_controle_judiciaire(assistant: Assistant) -> None:
    question = ("PM mise en examen pour escroquerie. Le JI veut la placer sous CJ avec interdiction d'émettre des chèques "
                "et d'exercer l'activité en cause : à quelles conditions peut-il prononcer ces interdictions ?")
    a = analyze(question)
    assert "personnes-morales" in a.regimes and "controle-judiciaire" in a.acts
    answer = assistant.ask(question)
    assert not answer.refused and _first_source(answer).article == "706-45"


def test_sono_is_the_sonorisation(assistant: Assistant) -> None:
    question = "Sono ordonnée par le JI dans une info crim org : l'autorisation vaut combien de temps et quelle est la durée totale max des opérations ?"
    assert "sonorisation" in analyze(question).acts
    answer = assistant.ask(question)
    assert _first_source(answer).article == "706-95-16"
    assert "quatre mois" in answer.answer and "deux ans" in answer.answer


@pytest.mark.parametrize("question", ["Le son de l'enregistrement est mauvais : que faire ?", "Sonia, témoin, peut-elle être entendue ?"])
def test_a_word_near_sono_is_not_a_sonorisation(question: str) -> None:
    assert "sonorisation" not in analyze(question).acts


def test_the_common_provisions_of_the_special_techniques_speak_of_each_technique(assistant: Assistant) -> None:
    from assistant.text import fold
    from assistant.vocabulary import vocabulary

    unit = assistant.catalog.article("706-95-14")
    folded = fold(" ".join((*unit.hierarchy, unit.text)))
    acts = vocabulary().acts
    assert all(acts[x].search(folded) for x in ("sonorisation", "interception", "imsi", "captation-donnees"))
    assert not acts["infiltration"].search(folded)  # (infiltration has its own section)


# -- people named by the article that defines them ----------------------------------------------------


def test_an_agent_named_by_his_article_is_context_not_the_article_asked(assistant: Assistant) -> None:
    question = "Un APJ de l'article 20 peut-il décider lui-même d'un placement en GAV ?"
    mention = analyze(question).articles[0]
    assert mention.number == "20" and not mention.asked
    answer = assistant.ask(question)
    assert not answer.refused and _first_source(answer).article == "D13"
    assert "en aucun cas" in answer.answer


def test_the_rule_of_an_article_absent_from_the_corpus_is_still_asked(assistant: Assistant) -> None:
    # « la libération conditionnelle de l'article 729 » asks that article's rule: the corpus does not hold it
    mention = analyze("Quelle est la durée de la libération conditionnelle de l'article 729 ?").articles[0]
    assert mention.asked
    assert assistant.ask("Quelle est la durée de la libération conditionnelle de l'article 729 ?").refused


# -- a second thing asked ------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "kind", "also"), [
    ("Un témoin menacé ne veut pas que son identité soit révélée. Qui peut le décider et dans quels cas ?", "authority", ("conditions",)),
    ("Extradition : dans quel délai la personne comparaît-elle, et devant qui ?", "duration", ("authority",)),
])
def test_a_second_thing_asked_is_read(question: str, kind: str, also: tuple[str, ...]) -> None:
    a = analyze(question)
    assert a.kind == kind and a.also == also


@pytest.mark.parametrize("question", [
    "Qui peut ordonner une sonorisation ?",
    "Combien de temps dure une garde à vue en matière de terrorisme ?",
    "Le JLD peut-il autoriser une perquisition de nuit ?",  # « peut-il » asks no second thing
])
def test_a_single_question_asks_one_thing(question: str) -> None:
    assert analyze(question).also == ()


def test_the_reponse_answers_both_things_asked(assistant: Assistant) -> None:
    answer = assistant.ask("Un témoin menacé ne veut pas que son identité soit révélée au procès. Qui peut le décider et dans quels cas ?")
    first_line = answer.answer.split("\n")[0]
    assert _first_source(answer).article == "706-62-1"
    assert "trois ans" in first_line and "juge d'instruction" in first_line


# -- everyday words for what the texts say otherwise ----------------------------------------------------


def test_how_long_one_stays_registered_is_when_the_information_is_withdrawn(assistant: Assistant) -> None:
    answer = assistant.ask("Un majeur condamné pour terrorisme reste inscrit au FIJAIT combien de temps ?")
    assert _first_source(answer).article == "706-25-6"  # not the obligations of 706-25-7 (« toute personne inscrite »)
    assert "Vingt ans s'il s'agit d'un majeur" in answer.answer


def test_the_obligations_of_a_registered_person_are_still_706_25_7(assistant: Assistant) -> None:
    answer = assistant.ask("Il est inscrit au FIJAIT : quelles sont ses obligations ?")
    assert _first_source(answer).article == "706-25-7"


# -- another code named without « du » ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "number", "code"), [
    ("Exportation illicite (art. 414 code des douanes), dossier ADM", "414", "code des douanes"),
    ("un viol (222-23 code pénal) commis sur un mineur", "222-23", "code pénal"),
])
def test_a_code_named_right_after_the_number_is_that_code(text: str, number: str, code: str) -> None:
    from assistant.references import find_references

    refs = find_references(text)
    assert [(r.number, r.code) for r in refs] == [(number, code)]


@pytest.mark.parametrize("text", ["art. 706-73 CPP", "article 63 code de procédure pénale", "l'article 706-73, code en main"])
def test_the_cpp_or_a_word_after_the_number_is_no_other_code(text: str) -> None:
    from assistant.references import find_references

    assert find_references(text)[0].code is None


def test_a_customs_article_named_as_context_is_not_called_a_missing_cpp_article(assistant: Assistant) -> None:
    answer = assistant.ask("Exportation illicite de biens à double usage (art. 414 code des douanes), dossier prolifération ADM : "
                           "quel parquet a une compétence concurrente sur tout le territoire ?")
    assert "L'article 414 ne figure pas" not in answer.answer and "CPP, art. 414" not in answer.answer
    assert _first_source(answer).article == "706-168"


# -- the cour criminelle départementale is the general procedure ------------------------------------------


def test_the_cour_criminelle_departementale_is_outside_livre_iv(assistant: Assistant) -> None:
    answer = assistant.ask("Quels crimes ne relèvent pas de la cour criminelle départementale ?")
    assert answer.refused
    assert "relève des règles générales de la procédure pénale (hors Livre IV)" in answer.answer


def test_the_special_cour_d_assises_is_inside_livre_iv(assistant: Assistant) -> None:
    assert not assistant.ask("Terrorisme : comment est composée la cour d'assises spéciale ?").refused


# -- a rare name written in capitals ------------------------------------------------------------------------


def test_a_rare_name_in_capitals_points_at_the_unit_that_holds_it(assistant: Assistant) -> None:
    answer = assistant.ask("La circulaire crim org parle de l'applicatif SIROCCO : qu'est-ce que c'est exactement ?")
    source = _first_source(answer)
    assert source.doc_id == "circ-2025-03-05-criminalite-organisee" and source.section == "1.1"
    assert "Recoupement" in answer.answer  # (the footnote the bullet calls)


@pytest.mark.parametrize("question", [
    "La GAV d'un majeur en matière de TERRORISME peut-elle durer six jours ?",  # a common word in capitals
    "Le JLD peut-il autoriser une perquisition de nuit en enquête préliminaire ?",  # abbreviations
])
def test_capitals_of_a_common_word_or_an_abbreviation_move_nothing(question: str, assistant: Assistant) -> None:
    from assistant.analysis import analyze as analyse

    hits = assistant.search.search(question, k=10, analysis=analyse(question))
    assert assistant.search._named_thing_first(question, list(hits)) == list(hits)


# -- « la cour qui juge » describes a court; the jury of the special cours d'assises --------------------------


def test_a_relative_clause_qui_juge_asks_no_competence(assistant: Assistant) -> None:
    question = "Comment est composée la cour d'assises qui juge un crime militaire ? Il y a un jury ?"
    assert analyze(question).kind != "competence"
    answer = assistant.ask(question)
    assert not answer.refused and not answer.tool_calls
    assert _first_source(answer).article == "698-6"
    assert "quatre assesseurs" in answer.answer and "jury" in answer.answer


@pytest.mark.parametrize("question", ["Crime militaire commis à Toulon : qui juge ?", "Qui juge un crime commis par un militaire en service ?"])
def test_who_judges_still_asks_the_competent_court(question: str, assistant: Assistant) -> None:
    assert analyze(question).kind == "competence"
    assert assistant.ask(question).tool_calls


def test_the_ordinary_jury_is_still_outside_livre_iv(assistant: Assistant) -> None:
    answer = assistant.ask("Comment sont tirés au sort les jurés d'assises ?")
    assert answer.refused and "hors Livre IV" in answer.answer


# -- « qui » wants the article that names who decides -------------------------------------------------------


def test_who_authorises_is_answered_by_the_article_that_names_the_authority(assistant: Assistant) -> None:
    question = "Qui autorise les techniques spéciales d'enquête (sono, captation de données) en enquête et en information ?"
    assert set(analyze(question).stages) == {"enquete", "information"}
    answer = assistant.ask(question)
    assert _first_source(answer).article == "706-95-12"
    assert "juge des libertés et de la détention à la requête du procureur" in answer.answer


def test_a_first_article_that_names_the_authority_keeps_its_place(assistant: Assistant) -> None:
    question = "Qui autorise la prolongation de la garde à vue au-delà de 48 heures en matière de criminalité organisée ?"
    hits = assistant.search.search(question, k=10, analysis=analyze(question))
    assert assistant.search._authority_first(list(hits), analyze(question)) == list(hits)
    assert _first_source(assistant.ask(question)).article == "706-88"


# -- within the answering article, the sentence that names the regime asked --------------------------------


def test_the_sentence_naming_the_regime_asked_answers_within_its_article(assistant: Assistant) -> None:
    answer = assistant.ask("Plainte en ligne pour une agression sexuelle : les enquêteurs peuvent-ils se passer d'entendre la victime ?")
    first_line = answer.answer.split("\n")[0]
    assert _first_source(answer).article == "D8-2-2"
    assert "doivent procéder à cette audition" in first_line


def test_without_a_regime_the_same_article_keeps_its_general_answer(assistant: Assistant) -> None:
    answer = assistant.ask("Plainte en ligne : les enquêteurs peuvent-ils se passer d'entendre la victime ?")
    assert "agressions sexuelles" not in answer.answer.split("\n")[0]


def test_an_article_named_as_the_frame_is_not_the_rule_asked() -> None:
    mention = analyze("Dans le cadre de l'article 706-95-20, en prélim, le JLD autorise l'IMSI-catcher. Durée max de l'autorisation ?").articles[0]
    assert mention.role == "qualifier" and not mention.asked


# -- a yes/no question is answered « oui, mais… »: the sentence that limits or hardens the rule -------------------


@pytest.mark.parametrize(("question", "closed"), [
    ("L'examen par un médecin est-il obligatoire en GAV ?", True),
    ("Les enquêteurs peuvent-ils acheter des stupéfiants ?", True),
    ("Un OPJ doit-il prévenir le parquet avant de se transporter ?", True),
    # in spoken word order, with the word that expects the exception or the obligation
    ("Avant la 2e prolongation, je présente quand même le gardé à vue au JLD ?", True),
    ("Le gardé à vue est obligatoirement présenté au JLD avant la seconde prolongation ?", True),
    # open questions: who, how long, which conditions
    ("Qui désigne le médecin lors de la première prolongation d'une GAV crim org ?", False),
    ("Combien de temps peut durer une infiltration ?", False),
    ("Quelles sont les conditions de l'achat de stupéfiants par un OPJ", False),
])
def test_a_yes_no_question_is_told_from_an_open_one(question: str, closed: bool) -> None:
    assert analyze(question).closed is closed


def test_an_ordinal_in_digits_is_the_texts_word() -> None:
    """« 2e prolongation » is the « seconde prolongation » of 706-88; a date's « 1er » is « premier »."""
    from assistant.french import tokenize

    assert tokenize("la 2e prolongation") == tokenize("la 2ème prolongation") == tokenize("la seconde prolongation")
    assert tokenize("le 1er janvier") == tokenize("le premier janvier")
    # Not fired: a number that is not an ordinal stays a number (« 2 ans », article numbers)
    assert tokenize("2 ans, article 706-88") == ["2", "an", "706-88"]


def test_a_yes_no_question_gets_the_sentence_that_hardens_the_rule(assistant: Assistant) -> None:
    answer = assistant.ask("En GAV crim org, à la première prolongation supplémentaire, l'examen par un médecin est-il obligatoire ?")
    assert _first_source(answer).article == "706-88"
    assert "« Ces examens médicaux sont de droit. »" in answer.answer


def test_a_may_one_question_gets_the_limit_of_what_is_allowed(assistant: Assistant) -> None:
    answer = assistant.ask("Les enquêteurs peuvent-ils acheter des stupéfiants pour identifier un trafiquant ?")
    assert _first_source(answer).article == "706-32"
    assert "ne peuvent constituer une incitation à commettre une infraction" in answer.answer


def test_an_open_question_on_the_same_rule_gets_no_limit_sentence(assistant: Assistant) -> None:
    answer = assistant.ask("Qui désigne le médecin lors de la première prolongation d'une GAV crim org ?")
    assert "désigné par le procureur de la République" in answer.answer.split("\n")[0]
    assert "sont de droit" not in answer.answer


# -- a délai rule with and without consent: the question's case decides which article answers ----------------------


@pytest.mark.parametrize(("question", "own", "case"), [
    ("Extradition : la personne refuse son extradition devant le PG, délai de comparution ?", "", {"consent": False}),
    ("Extradition : la personne déclare au PG ne pas consentir, délai de comparution ?", "", {"consent": False}),
    ("Extradition : la personne consent devant le PG, délai de comparution ?", "", {"consent": True}),
    # a follow-up's own words first: « et s'il consent ? » after a refusal
    ("Extradition : la personne refuse devant le PG, délai de comparution — s'il consent ?", "et s'il consent ?", {"consent": True}),
    # nothing said about consent: nothing settled
    ("Extradition : délai de comparution devant la chambre de l'instruction ?", "", {}),
])
def test_the_question_settles_the_consent_option_of_a_rule(question: str, own: str, case: dict[str, object]) -> None:
    from assistant.text import fold
    from assistant.tools.router import known_case, rule_for

    rule = rule_for("Extradition : la personne déclare au PG, délai de comparution devant la chambre de l'instruction ?")
    assert rule is not None and rule.id == "extradition-comparution-chambre-instruction"
    assert known_case(rule, fold(expand_abbreviations(question)), fold(own)) == case


def test_a_refusal_before_the_pg_is_answered_by_the_ten_working_days(assistant: Assistant) -> None:
    answer = assistant.ask("Extradition vers un Etat hors UE : la personne refuse devant le PG. Sous quel délai comparaît-elle "
                           "devant la chambre de l'instruction ?")
    assert _first_source(answer).article == "696-15"
    assert "dix jours ouvrables" in answer.answer.split("\n")[0]


def test_a_consent_before_the_pg_is_answered_by_the_five_working_days(assistant: Assistant) -> None:
    answer = assistant.ask("Extradition vers un Etat hors UE : la personne consent devant le PG. Sous quel délai comparaît-elle "
                           "devant la chambre de l'instruction ?")
    assert _first_source(answer).article != "696-15"
    assert "cinq jours ouvrables" in answer.answer.split("\n")[0]


# -- « à défaut de », « en l'absence de », « n'a rien » are negations ---------------------------------------------


@pytest.mark.parametrize(("question", "concept", "affirmed"), [
    ("Délit d'un militaire en service, l'autorité militaire n'a rien dénoncé : que doit faire le procureur ?", "denonciation", False),
    ("Aucune dénonciation du ministre de la défense : le parquet peut-il poursuivre ?", "denonciation", False),
    ("À défaut de consentement de la personne, le prélèvement est-il possible ?", "consentement", False),
    ("En l'absence de consentement, le prélèvement est-il possible ?", "consentement", False),
    # affirmed: the same words without a negation
    ("L'autorité militaire a dénoncé les faits : qui met l'action publique en mouvement ?", "denonciation", True),
    ("La personne donne son consentement au prélèvement : quelle forme ?", "consentement", True),
])
def test_negation_cues_set_the_polarity_of_a_concept(question: str, concept: str, affirmed: bool) -> None:
    assert analyze(question).polarity.get(concept) is affirmed


def test_without_the_military_denunciation_the_minister_s_avis_answers(assistant: Assistant) -> None:
    answer = assistant.ask("Infraction militaire en temps de paix, aucune dénonciation du ministre de la défense : "
                           "le procureur peut-il engager les poursuites ?")
    assert _first_source(answer).article == "698-1"
    assert answer.answer.split("\n")[0].startswith("**Réponse** : « A défaut de cette dénonciation")
    assert "dans le délai d'un mois" in answer.answer


# -- an abbreviation's long form does not use up a negation's window -----------------------------------------------


@pytest.mark.parametrize("question", [
    "Vol avec violence, pas de BO, pas de crim org. GAV de 24h : le PR peut la prolonger combien de fois ?",
    "Escroquerie simple, pas de crim org : la GAV peut-elle durer 96 heures ?",
])
def test_a_negated_abbreviation_negates_its_whole_long_form(question: str) -> None:
    a = analyze(question)
    assert "criminalite-organisee" in a.negated and "criminalite-organisee" not in a.regimes


@pytest.mark.parametrize(("question", "regime"), [
    # the negation covers its own few words, not the long forms of the words after its window
    ("Peut-on demander aux douanes de ne pas contrôler un go-fast qu'on file ?", "stupefiants"),
    ("Trafic de stups en BO : pas de GAV prolongée au-delà de 48h ?", "criminalite-organisee"),
])
def test_a_negation_stops_after_its_window(question: str, regime: str) -> None:
    assert regime in analyze(question).regimes


def test_a_question_that_sets_organised_crime_aside_is_refused(assistant: Assistant) -> None:
    answer = assistant.ask("Escroquerie simple, pas de crim org : la GAV peut-elle durer 96 heures ?")
    assert answer.refused


# -- a délai's sequel, and the délai rule shown only when the Réponse rests on it -----------------------------------


def test_a_delai_question_gets_what_follows_when_the_delai_is_not_kept(assistant: Assistant) -> None:
    answer = assistant.ask("MAE : la personne laissée libre sous CJ s'y est soustraite ; arrêtée et écrouée, sous quel délai "
                           "la chambre de l'instruction doit-elle examiner l'affaire ?")
    assert _first_source(answer).article == "695-36"
    assert "dix jours de sa mise sous écrou" in answer.answer.split("\n")[0]
    assert "entraîne la mise en liberté d'office" in answer.answer
    # the rule of the arrest itself (conduite devant le procureur général, 695-27) is not what was asked
    assert "**Délai**" not in answer.answer and not answer.tool_calls


def test_the_delai_rule_is_shown_when_the_reponse_rests_on_it(assistant: Assistant) -> None:
    answer = assistant.ask("MAE : la personne est appréhendée, dans quel délai doit-elle être conduite devant le procureur général ?")
    assert _first_source(answer).article == "695-27"
    assert "**Délai**" in answer.answer and [t.name for t in answer.tool_calls] == ["delai"]


# -- a message that asks two things: the tool answers its part, the other part is answered after it ----------------


@pytest.mark.parametrize(("message", "parts"), [
    ("TJ de Dax : quel pôle de l'instruction ? Et le coordonnateur, qui le désigne ?",
     ["TJ de Dax : quel pôle de l'instruction", "le coordonnateur, qui le désigne"]),
    ("Quel est le pôle de l'instruction de Tulle, et l'avocat peut-il déposer sa DML au greffe du JI de Tulle ?",
     ["Quel est le pôle de l'instruction de Tulle", "l'avocat peut-il déposer sa DML au greffe du JI de Tulle"]),
    # one question: « et » inside a clause, or a short tail, does not make a second one
    ("Le mis en examen est détenu et son avocat est du barreau de Tulle : quel pôle ?",
     ["Le mis en examen est détenu et son avocat est du barreau de Tulle : quel pôle"]),
    ("Quel pôle pour le TJ de Dax ? Merci", ["Quel pôle pour le TJ de Dax"]),
])
def test_a_message_is_cut_into_the_questions_it_asks(message: str, parts: list[str]) -> None:
    from assistant.analysis import question_parts

    assert question_parts(message) == parts


def test_the_part_the_tool_does_not_compute_is_answered_after_the_tool(assistant: Assistant) -> None:
    answer = assistant.ask("TJ de Dax : quel est le pôle de l'instruction ? Et le juge d'instruction coordonnateur du pôle, "
                           "il est désigné par qui ?")
    assert [t.name for t in answer.tool_calls] == ["pole-instruction"]
    assert answer.answer.index("Mont-de-Marsan") < answer.answer.index("**Autre question**")
    rest = answer.answer.split("**Autre question**", 1)[1]
    assert "désignés par le président du tribunal judiciaire" in rest
    assert any(c.article == "D15-4-5" for c in answer.citations)


def test_a_single_tool_question_gets_no_other_part(assistant: Assistant) -> None:
    assert "**Autre question**" not in assistant.ask("TJ de Dax : quel est le pôle de l'instruction ?").answer


def test_another_part_the_corpus_does_not_hold_is_said_so(assistant: Assistant) -> None:
    answer = assistant.ask("TJ de Dax : quel est le pôle de l'instruction ? Et quelle peine encourt l'auteur d'un vol simple ?")
    assert "Mont-de-Marsan" in answer.answer
    assert "**Autre question** : « quelle peine encourt l'auteur d'un vol simple ? » — le corpus ne contient pas" in answer.answer


# -- refusals: « rien à voir avec », an appeal of an ordinary judgment, the penalty of an offence ------------------


@pytest.mark.parametrize("question", [
    "Abus de confiance, rien à voir avec le terrorisme ni la criminalité organisée : durée max de la détention provisoire ?",
    "Le prévenu condamné par le tribunal correctionnel peut-il faire appel, et dans quel délai ?",
    "Escroquerie en bande organisée : quelle peine d'emprisonnement et quelle amende sont encourues ?",
])
def test_questions_outside_livre_iv_are_refused(question: str, assistant: Assistant) -> None:
    assert assistant.ask(question).refused


@pytest.mark.parametrize(("question", "article"), [
    # a Livre IV penalty is still answered, and an appeal Livre IV organises too
    ("Quelle peine encourt la personne qui refuse le prélèvement biologique pour le FNAEG ?", "706-56"),
    ("Sonorisation : le JLD ordonne la destruction des PV, le procureur peut-il former appel ?", None),
])
def test_livre_iv_penalties_and_appeals_are_still_answered(question: str, article: str | None, assistant: Assistant) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    assert article is None or _first_source(answer).article == article


def test_an_offence_list_with_its_penalty_threshold_does_not_state_a_penalty() -> None:
    from assistant.ranking import PENALTY_STATED

    assert not PENALTY_STATED.search("3° Au dernier alinéa de l'article 414, lorsqu'ils sont punis d'une peine d'emprisonnement")
    assert PENALTY_STATED.search("Le fait de refuser de se soumettre au prélèvement biologique est puni d'un an d'emprisonnement")


# -- a negation after what it negates ------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "negated"), [
    ("Vols de fret, la bande organisée n'est pas retenue au réquisitoire : durée max de DP ?", True),
    ("Vols de fret : la bande organisée a été écartée par le JI, quelle durée de DP ?", True),
    # what the negation follows is not the regime: the regime stays affirmed
    ("Trafic de stups en BO : la première prolongation n'est pas applicable ?", False),
    ("GAV en BO : la personne n'a pas été entendue, peut-on prolonger ?", False),
])
def test_a_negation_that_follows_the_regime_negates_it(question: str, negated: bool) -> None:
    a = analyze(question)
    assert ("criminalite-organisee" in a.negated) is negated
    assert ("criminalite-organisee" in a.regimes) is not negated


def test_a_regime_set_aside_after_it_is_named_is_refused(assistant: Assistant) -> None:
    assert assistant.ask("Vols de fret, la bande organisée n'est pas retenue au réquisitoire, délit puni de 5 ans : "
                         "durée maximale de la détention provisoire du mis en examen ?").refused


# -- small readings: an acknowledged follow-up, « sans délai », « être saisie » -------------------------------------


@pytest.mark.parametrize(("question", "follow_up"), [
    ("ok et si on est sur commission rogatoire, c'est qui qui autorise les prolongations ?", True),
    ("D'accord. Et pour le juge d'instruction ?", True),
    ("Merci ! Et s'il ne consent pas ?", True),
    # a greeting or an acknowledgement alone does not make a follow-up
    ("Bonjour, et la durée maximale d'une infiltration en crim org ?", False),
    ("Bon, quelle est la durée maximale d'une infiltration en crim org ?", False),
])
def test_a_follow_up_after_an_acknowledgement_is_read_as_one(question: str, follow_up: bool) -> None:
    from assistant.followup import FOLLOW_UP_RE

    assert bool(FOLLOW_UP_RE.match(question)) is follow_up


def test_sans_delai_does_not_ask_a_duration() -> None:
    assert analyze("Qui le procureur doit-il informer sans délai de cette autorisation ?").kind == "authority"
    assert analyze("Dans quel délai le procureur doit-il informer le JI ?").kind == "duration"


@pytest.mark.parametrize(("question", "act"), [
    ("La JIRS peut-elle être saisie d'un trafic de stups très complexe ?", False),
    ("La chambre de l'instruction est saisie sans délai de la procédure ?", False),
    ("Qui ordonne la saisie des biens du mis en examen ?", True),
])
def test_being_seised_is_not_the_act_of_seizure(question: str, act: bool) -> None:
    assert ("saisie" in analyze(question).acts) is act


@pytest.mark.parametrize(("question", "kind"), [
    ("Témoin menacé : qui peut autoriser son audition anonyme, et pour quelles infractions ?", "authority"),
    ("À quelle fréquence le greffe transmet-il à la préfecture la liste des détenus étrangers ?", "duration"),
    # the list asked first, or alone, stays the kind
    ("Quelles infractions relèvent de l'article 706-73 ?", "list"),
    ("Quels délits figurent dans la liste du 706-73-1, et qui décide de la prolongation ?", "list"),
])
def test_what_is_asked_first_decides_over_a_list_asked_after(question: str, kind: str) -> None:
    assert analyze(question).kind == kind


@pytest.mark.parametrize(("question", "negated"), [
    # the regime's own name opens with « hors » / « non »: it is named, not negated
    ("Un militaire commet un délit hors du territoire de la République : quelle juridiction ?", False),
    ("Un caporal en opération extérieure frappe un soldat : quelle juridiction ?", False),
    # a negation before the name still negates it
    ("Un délit qui n'est pas commis hors du territoire : quel tribunal ?", True),
])
def test_a_regime_named_with_a_negation_word_is_not_negated_by_it(question: str, negated: bool) -> None:
    a = analyze(question)
    assert ("hors-territoire" in a.negated) is negated
    assert ("hors-territoire" in a.regimes) is not negated


def test_a_topic_the_corpus_never_answers_decides_the_refusal(assistant: Assistant) -> None:
    """« simple vol » may be the frame of a Livre IV rule set by a penalty threshold (706-58); « en droit commun, la GAV »
    is the general garde à vue, which the corpus does not hold: that one decides."""
    history = [{"role": "user", "content": "GAV pour stups en bande organisée : jusqu'où ?"},
               {"role": "assistant", "content": "Jusqu'à 96 heures (article 706-88)."}]
    answer = assistant.ask("Et pour un vol simple, en droit commun, combien de temps et qui prolonge ?", history)
    assert answer.refused and "règles générales de la procédure pénale" in answer.answer
    framed = assistant.ask("Témoin dans une affaire de vol simple puni de 3 ans : qui autorise son audition sans que son identité apparaisse au dossier ?")
    assert not framed.refused and framed.citations[0].article == "706-58"


def test_a_kind_of_tribunal_the_corpus_does_not_know_is_refused_whatever_the_city(assistant: Assistant) -> None:
    answer = assistant.ask("Quel pôle de l'instruction pour le tribunal cantonal de Rochefort ?")
    assert answer.refused and not answer.tool_calls
    assert "« tribunal cantonal »" in answer.answer and "D. 15-4-4" in answer.answer
    # the same city's tribunal judiciaire is in the table; a JIRS called « tribunal interrégional spécialisé » is not refused
    known = assistant.ask("Quel pôle de l'instruction pour le tribunal judiciaire de Rochefort ?")
    assert not known.refused and known.tool_calls[0].result["pole"] == "La Rochelle"
    jirs = assistant.ask("Le tribunal interrégional spécialisé de Marseille peut-il se saisir d'un trafic de stupéfiants en bande organisée ?")
    assert not jirs.refused


def test_a_conditions_question_leads_with_the_long_sentence_that_states_them(assistant: Assistant) -> None:
    """The conditions of a rule are often one long sentence (706-14 al. 1: the offences against property, the
    resources, the serious material or psychological situation): its length must not hand the Réponse to a shorter
    sentence on another case (al. 3, the atteintes à la personne)."""
    answer = assistant.ask("Dans quels cas la victime d'une atteinte aux biens peut-elle être indemnisée par la CIVI ?")
    assert answer.citations[0].article == "706-14" and answer.citations[0].alinea == 1
    assert "victime d'un vol, d'une escroquerie" in answer.answer.split("\n")[0]


def test_a_commission_rogatoire_written_cr_names_the_instruction(assistant: Assistant) -> None:
    """« sur CR » is the commission rogatoire: after a question on the préliminaire (706-90), the follow-up asks the
    instruction's rule (706-91). « CRI » and « CRPC » stay themselves."""
    history = [{"role": "user", "content": "En enquête préliminaire pour trafic de stups en bande organisée, peut-on perquisitionner de nuit ?"},
               {"role": "assistant", "content": "Oui, sur autorisation du JLD (article 706-90)."}]
    answer = assistant.ask("Et sur CR, le JI peut-il autoriser une perquisition de nuit dans un domicile ?", history)
    assert answer.citations[0].article == "706-91"
    assert expand_abbreviations("la CRPC et la CRI") == "la CRPC et la CRI (commission rogatoire internationale)"


def test_a_recourse_deadline_is_not_answered_by_the_duration_of_the_measure(assistant: Assistant) -> None:
    """« …le parquet peut contester dans quel délai ? » asks the délai d'appel (706-95-14), not how long the sonorisation
    lasts (706-95-16), although « sono » is that rule's word."""
    from assistant.tools.router import rule_for

    question = ("Sonorisation autorisée par le JLD en enquête : il ordonne la destruction des enregistrements, qu'il juge "
                "irréguliers. Le parquet peut contester dans quel délai ?")
    rule = rule_for(question)
    assert rule is None or rule.id != "techniques-speciales-duree"
    answer = assistant.ask(question)
    assert "durée des autorisations" not in answer.answer and not answer.answer.startswith("**Réponse** : « L'autorisation "
                                                                                        "mentionnée au 1°"), answer.answer
    # Not fired: the same measure's duration is still that rule's
    duration = rule_for("Sonorisation autorisée par le JLD en enquête : pour combien de temps ?")
    assert duration is not None and duration.id == "techniques-speciales-duree"
