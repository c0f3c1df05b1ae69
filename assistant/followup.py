"""Turn an elliptic follow-up (« Et pour le terrorisme ? », « Et l'avocat, quand intervient-il ? ») into a
self-contained question.

Deterministic. A follow-up that keeps the subject (« Et pour le terrorisme ? », « Et s'il ne consent pas ? »)
inherits the previous question and repeats its own words so that they outweigh the inherited ones; what it
names anew replaces the previous question's (a regime, an act, a stage of the procedure, « s'il ne consent pas »
after « s'il consent »). A follow-up
that changes subject — it names a new act, or asks for another kind of answer (« qui », « à quelles conditions »)
— keeps only the *context* of the previous question (its acts, regime, stage), never what it asked: after a
question on the maximum length of a garde à vue, « Et l'avocat ? » is about the lawyer, not the prolongation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.analysis import QuestionAnalysis, analyze
from assistant.french import ABBREVIATIONS, THESAURUS, content_terms, expand_abbreviations
from assistant.text import fold
from assistant.vocabulary import vocabulary

FOLLOW_UP_RE = re.compile(
    # (after an acknowledgement: « ok et si on est sur commission rogatoire… ? », « D'accord. Et pour le JI ? »)
    r"^\s*(?:(?:ok|okay|d['’]accord|bon|bien|très bien|tres bien|merci|super|parfait|entendu|ah)\b[\s,.!]*)?(et\b|et\s+(pour|si|s'il|s’il|en|dans|au|à|quand|lorsque|pendant)\b|même question|meme question|"
    r"qu['’]en est-il|dans ce cas|alors|mais|et sinon|sinon|idem|pareil)",
    re.I,
)
_ASKING = re.compile(r"\b(qui|quand|ou|pourquoi|lequel|laquelle|lesquels|lesquelles)\b|\b\w+ t (il|elle|on|ils|elles)\b|\b\w+ (il|elle|on)$")
_CONSENT_CONCEPTS = ("consentement", "accord")
_REFUSES = re.compile(r"\b(refuse\w*|s oppose\w*|n est pas d accord|ne veut pas)\b")
NEW_SUBJECT_WORDS = 2  # content words of its own that make a follow-up asking the same kind of answer a new question
POLARITY_NEW_WORDS = 4  # … or, for a follow-up that also sets a polarity (« s'il consent »), content words of its own beyond it
MAX_FOLLOW_UP_TERMS = 6  # a follow-up is short; a long question stands on its own
# « Et si c'est le JI qui l'autorise pendant l'information ? »: one clause, a new hypothesis for the same question.
_HYPOTHESIS = re.compile(r"^(si|s'il|s'ils|s'elle|s'elles|quand c'est|lorsque|lorsqu'|en cas)\b[^,;:?]*\??$", re.I)
# « Et s'il veut être effacé du fichier ? » asks what he can do, not the previous question under a hypothesis.
_WISH = re.compile(r"^s'(?:il|ils|elle|elles) (?:veut|veulent|souhaite\w*|voudrait|voudraient|entend|entendent)\b", re.I)
_DEMONSTRATIVE = re.compile(r"\b(?:ce|cet|cette|ces) (\w{4,})")  # « ce décret », « cette décision »
_OBLIGATION_WORDS = r"doit il|doit elle|doit on|doivent ils|doivent elles|faut il"
_OBLIGATION_ASKED = re.compile(rf"\b({_OBLIGATION_WORDS})\b")  # « Et le procureur doit-il recueillir un avis ? » asks something
_QUESTION_WORDS = re.compile(
    rf"\b(quel(le)?s?|quoi|comment|combien|est ce que|est il|peut on|peut il|{_OBLIGATION_WORDS}|au maximum|maximale?|minimale?)\b"
)


def is_follow_up(question: str, history: list[dict[str, str]]) -> bool:
    if not any(turn.get("role") == "user" for turn in history):
        return False
    words = len(content_terms(question))
    if FOLLOW_UP_RE.match(question) or words <= 2:
        return True
    if words > MAX_FOLLOW_UP_TERMS:
        return False
    # « Pour combien de temps au maximum si les faits sont un crime ? »: a short question that names no act, regime,
    # stage or article of its own can only be about what was just asked.
    a = analyze(question)
    return not (a.acts or a.regimes or a.stages or a.articles) and a.out_of_scope is None and a.code_asked is None


def last_turn(history: list[dict[str, str]], role: str) -> str:
    """The content of the last turn of that role (« user », « assistant »), or ""."""
    return next((turn.get("content", "") for turn in reversed(history) if turn.get("role") == role), "")


def names_nothing_new(own: QuestionAnalysis, previous_question: str) -> bool:
    """A follow-up that names no act, regime or stage the previous question did not (« Et l'ordonnance de
    dessaisissement peut-elle être contestée ? » after a question on that dessaisissement), nor an article or polarity:
    it is still about what the previous answer rested on."""
    theirs = analyze(previous_question)
    return (set(own.acts) <= set(theirs.acts) and set(own.regimes) <= set(theirs.regimes) and set(own.stages) <= set(theirs.stages)
            and not own.articles and not own.polarity)


def refers_back(question: str, previous_answer: str) -> bool:
    """« Et la personne réclamée peut-elle contester ce décret ? » after a Réponse on the « décret du Premier ministre »:
    the follow-up points at a thing the previous Réponse named (its first quoted sentence), with a demonstrative."""
    reponse = previous_answer.split("\n", 1)[0]
    named = set(content_terms(reponse))
    return any(content_terms(m.group(1)) & named for m in _DEMONSTRATIVE.finditer(fold(question)))


def is_hypothesis(own: str) -> bool:
    """« si c'est le JI qui l'autorise pendant l'information », « quand c'est le juge d'instruction »: a follow-up that
    only sets a new hypothesis asks the previous question again, under it."""
    own = own.replace("’", "'").strip(" ?")
    return bool(_HYPOTHESIS.match(own)) and not _QUESTION_WORDS.search(fold(own)) and not _WISH.match(own)


def asks_its_own_question(question: str, own: QuestionAnalysis) -> bool:
    """A follow-up that asks something itself (« Et combien d'assesseurs ? », « Et qui statue ? »), not only names a
    new regime, act or place for the previous question (« Et pour le terrorisme ? », « Et le TJ de Dax ? »).
    ``own``: the analysis of the follow-up's own words."""
    rest = FOLLOW_UP_RE.sub("", question).replace("’", "'").strip()
    if is_hypothesis(rest):
        return False
    words = fold(rest)
    return own.kind != "rule" or bool(_QUESTION_WORDS.search(words) or _ASKING.search(words) or _WISH.match(rest))


def changes_subject(mine: QuestionAnalysis, previous: QuestionAnalysis) -> bool:
    """Another kind of answer asked (« qui ? », « à quelles conditions ? », « quand intervient-il ? »), or the same
    kind about something the previous question did not name (« Et qui gère ensuite les sommes saisies ? » after « qui
    ordonne la saisie ? »): the follow-up asks something else in the same context. (« Et pour une infraction de
    terrorisme ? » asks the same thing of another regime.)"""
    if mine.kind == "rule":
        return bool(_OBLIGATION_ASKED.search(mine.folded))  # « Et le procureur doit-il recueillir un avis ? »
    if mine.kind != previous.kind:
        return True
    new = content_terms(mine.folded) - content_terms(previous.folded)
    if mine.polarity and not (mine.regimes or mine.stages):
        # « Et s'il ne consent pas ? » asks the same question without consent; « Et s'il consent à sa remise devant la
        # CHINS, elle statue dans quel délai ? » asks another step of the procedure, under that hypothesis.
        voc = vocabulary()
        return len({t for t in new if not any(voc.polarity[c].search(t) for c in mine.polarity)}) >= POLARITY_NEW_WORDS
    return len(new) >= NEW_SUBJECT_WORDS and not (mine.regimes or mine.stages or mine.polarity)


def context_of(previous: str) -> str:
    """The context of a question without what it asked: the acts, regimes and stages it names (« saisie », « en
    enquête »), or, when it names none, its words minus the kind-of-answer and question words."""
    folded = fold(expand_abbreviations(previous))
    voc = vocabulary()
    named = [_whole_words(folded, m.start(), m.end())
             for table in (voc.acts, voc.regimes, voc.stages) for pattern in table.values() for m in pattern.finditer(folded)]
    if named:
        return " ".join(dict.fromkeys(named))
    for _kind, pattern in voc.kinds:
        folded = pattern.sub(" ", folded)
    folded = _QUESTION_WORDS.sub(" ", folded)
    return re.sub(r"\s+", " ", folded).strip()


def contextualize(question: str, history: list[dict[str, str]]) -> str:
    """A self-contained question: the follow-up with the previous user question's subject or context."""
    if not is_follow_up(question, history):
        return question
    last = max(i for i, turn in enumerate(history) if turn.get("role") == "user")
    previous = contextualize(history[last]["content"], history[:last])
    own = FOLLOW_UP_RE.sub("", question).strip(" ?.!,").strip()
    if not own:
        return previous
    mine, theirs = analyze(own), analyze(previous)
    if not is_hypothesis(own) and changes_subject(mine, theirs):
        return f"{own.rstrip(' ?')} ? ({own.rstrip(' ?')}) (contexte : {context_of(previous)})"
    voc = vocabulary()
    replaced = []
    if mine.regimes and not set(mine.regimes) & set(theirs.regimes):
        replaced += [voc.regimes[r] for r in theirs.regimes]  # « Et pour le terrorisme ? » replaces the regime
    my_acts = set(mine.acts) - set(mine.negated)
    if my_acts and not my_acts & set(theirs.acts):
        replaced += [voc.acts[a] for a in theirs.acts]  # « Et pour une infiltration ? » replaces the act
    replaced += [voc.acts[a] for a in theirs.acts if a in mine.negated]  # « … en audition libre et pas en GAV ? »
    my_stages, their_stages = set(mine.stages), set(theirs.stages)
    if my_stages and not my_stages & their_stages:
        # « Et pendant l'information ? » replaces the stage, and the phase it belongs to (« en enquête [préliminaire] »)
        replaced += [voc.stages[s] for s in their_stages] + [voc.stages[p] for p in {voc.stage_parent.get(s) for s in their_stages} if p]
    mine_authorities = set(mine.authorities) or {a for s in my_stages - their_stages for a in voc.stage_authorities.get(s, ())}
    if mine_authorities and not mine_authorities & set(theirs.authorities):
        replaced += [voc.authorities[a] for a in theirs.authorities]  # « Et quand c'est le juge d'instruction ? »
        their_acting = {s for s in their_stages if set(voc.stage_authorities.get(s, ())) & set(theirs.authorities)}
        if not my_stages and not any(mine_authorities & set(voc.stage_authorities.get(s, ())) for s in their_acting):
            replaced += [voc.stages[s] for s in their_acting]  # the JI does not act in the enquête the JLD acted in
    replaced += [voc.polarity[c] for c, affirmed in mine.polarity.items() if theirs.polarity.get(c) == (not affirmed)]
    refused = [c for c in _CONSENT_CONCEPTS if theirs.polarity.get(c) is True and not mine.polarity and _REFUSES.search(fold(own))]
    if refused:
        # « Et si elle refuse ? » after a question on a person who consents: the same question, without consent.
        replaced += [voc.polarity[c] for c in refused]
        own = f"{own} (ne consent pas)"
    if replaced:
        previous = _without(previous, replaced)
    return f"{previous.rstrip(' ?')} — {own} ? ({own})"


@lru_cache(maxsize=1)
def _folded_expansions() -> tuple[tuple[str, str], ...]:
    """Each abbreviation or everyday word and its long form, folded (read once: vocabulary is data)."""
    return tuple((fold(short), fold(long)) for short, long in (*ABBREVIATIONS.items(), *THESAURUS.items()))


def _without(question: str, patterns: list[re.Pattern[str]]) -> str:
    """The question without the words the patterns match, nor the abbreviations or everyday words whose long form
    they match (« deal » says « trafic de stupéfiants »: it would bring the replaced regime back)."""
    folded = fold(expand_abbreviations(question))
    for short, long in _folded_expansions():
        if any(pattern.search(long) for pattern in patterns):
            folded = re.sub(rf"\b{re.escape(short)}\b", " ", folded)
    for pattern in patterns:
        folded = re.sub(f"(?:{pattern.pattern})\\w*", " ", folded)  # whole words: « intercept » takes « interceptions »
    return re.sub(r"\s+", " ", folded).strip()


def _whole_words(text: str, start: int, end: int) -> str:
    """The words a match touches, whole (« sonoris » in « sonorisation » gives « sonorisation »)."""
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end].strip()
