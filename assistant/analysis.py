"""Question analysis: what is asked, about which act, under which regime, with which articles — before any answer.

One explicit, typed step used by the tool router, the scope guard, retrieval and the answer composer, so that each
of them reads the same understanding of the question instead of re-guessing it from keywords:

- ``kind``: the kind of answer asked (text of an article, status, list, duration, authority, competence,
  conditions, possibility, or a rule in general);
- ``acts`` and ``regimes``: the procedural acts and the special regimes named, ``negated`` those named in the
  negative (« hors bande organisée », « sans le consentement »);
- ``articles``: the articles named and their role: the *subject* of the question (« que dit l'article 706-88 ? »)
  or a *qualifier* (« pour une infraction de l'article 706-73 »), which is context, not the answer;
- ``out_of_scope``: the topic outside the corpus the question is about, if any, already weighed against regimes.

The vocabulary is data (``vocabulary.toml``); this module only applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, cast

from assistant.french import expand_abbreviations
from assistant.references import CODE_BY_FOLDED_NAME, KNOWN_CODES_FOLDED, find_references
from assistant.text import fold
from assistant.vocabulary import OutOfScopeTopic, vocabulary

AnswerKind = Literal[
    "text", "status", "list", "penalty", "definition", "competence", "duration", "authority", "conditions", "possibility", "rule"
]
Role = Literal["subject", "named", "qualifier"]

# Words before an article number that make it context rather than the subject of the question.
_QUALIFIER_BEFORE = re.compile(
    r"(?:infractions?|crimes?|delits?|faits|procedures?|enquetes?|informations?|regime|champ(?: d application)?|liste|cadre|sens|"
    r"vise(?:e|es|s)?|mentionne(?:e|es|s)?|prevu(?:e|es|s)?|enumere(?:e|es|s)?|liste(?:e|es|s)?|relevant|entrant|"
    r"portant sur(?: une| un| des)?(?: infraction| crime| delit)?s?)"
    r"(?: \w+){0,3} (?:de l|des|de|du|a l|aux|au|par l|dans l)(?: article| articles| art)?s? ?$"
)
_FOR_OFFENCES = re.compile(r"\bpour (les|une|des|un|l) ?(infractions?|crimes?|delits?|faits)\b")
# « pas en GAV », « hors garde à vue », « en dehors d'une perquisition »: the frame set aside, not the act asked about
# (« ne peut-il pas perquisitionner » still asks about the act, « GAV sans avocat » about the lawyer).
_ACT_SET_ASIDE = re.compile(r"\b(?:(?:pas|plus|non) en|hors(?: de la| de l| du| des| d| de)?|en dehors (?:de la|de l|du|des|d|de)|autre que(?: la| le| l| une| un)?) $")
# « si c'est le JI qui l'autorise » names who acts in a hypothesis; it does not ask « qui ».
_CONDITIONAL_CLEFT = re.compile(
    r"\b(si|quand|lorsque|lorsqu) c est (?P<who>(?:le|la|les|l|un|une|lui|elle|eux|elles|ce|cette|son|sa|ses|leur) (?:\w+ ){0,6}?)qui\b")
# What asks for a list itself (« quelles infractions… », « figure-t-il dans la liste… »), not only names one.
_ASKS_LIST = re.compile(r"\bquel(le)?s? (sont les )?(infractions|crimes|delits)\b|\bliste\b|\b(figure|figurent)\b|\b(fait|font)( t)? (il |elle |ils |elles )?partie\b")
_PARENTHESIS_BEFORE = re.compile(r"\(\s*(?:(?:art\.?|articles?)\s*)?$", re.I)
_SUBJECT_BEFORE = re.compile(
    r"(?:que (?:dit|prevoit|contient|enonce|dispose|fixe|prescrit)(?: \w+)?|texte de|contenu de|teneur de|lire|citer?|resumer?)"
    r"(?: l| les)?(?: article| art)?s? ?$"
)
# « Selon l'article 706-88, combien… ? » opens on the article; « une audition recueillie selon l'article 706-58 » does not.
_SUBJECT_CLAUSE = re.compile(r"(?:^|[,;:.?!]\s*)(?:selon|d['’]après|aux termes de|en vertu de|au regard de)\s+(?:l['’]|les\s+)?(?:articles?|art\.?)?\s*$", re.I)
# The article opens the question (« Art. 706-81 : … », « L'article 706-88 permet-il… ? »): it is what is asked about.
_AT_START = re.compile(r"^\s*(?:l|les)?\s*(?:(?:article|art)s?)?\s*$")
# The article is the grammatical subject of the question (« … l'article 706-95-12 désigne-t-il le JLD ? »).
_SUBJECT_AFTER = re.compile(
    r"^\s*(?:du cpp|cpp|du code de procedure penale)?\s*(?:il |elle )?(?:prevoit|permet|impose|autorise|dispose|exige|s applique|"
    r"designe|enonce|enumere|fixe|interdit|institue|confie|attribue|precise|definit|vise|couvre|concerne|est il|est elle)\b"
)
# « la durée de l'enquête préliminaire prévue à l'article 75-3 », « la libération conditionnelle de l'article 729 »:
# the rule the article sets is what is asked — unless the words name offences (« les délits prévus à l'article… »).
_RULE_OF_ARTICLE = re.compile(r"(?:\b(?:prevue?s?|fixee?s?|definie?s?|organisee?s?|regie?s?) (?:a|par)|\bde)(?: l| les)?(?: articles?| art)? ?$")
_OFFENCE_WORDS = re.compile(
    r"\b(?:infractions?|crimes?|delits?|faits|contraventions?|escroquer\w*|vols?|viols?|meurtres?|assassinats?|trafics?|"
    r"blanchiment|corruption|fraudes?|recel|homicides?|violences?|agressions?|atteintes?)\b"
)
# … nor when they name people by the article that defines them (« un APJ de l'article 20 », « les agents mentionnés à
# l'article 28 »): who acts is context, what they may do is asked.
_PERSON_WORDS = re.compile(r"\b(?:apj|opj|agents?|officiers?|fonctionnaires?|personnes?|magistrats?|enqueteurs?)\b")
# … nor when the rule only frames the act (« en dehors des heures prévues à l'article 59 », « dans les conditions
# prévues à l'article 706-95-12 »).
_FRAME_OF_RULE = re.compile(r"\b(?:en dehors|hors|au dela|dans le cadre|dans les (?:conditions|formes|cas|limites)|selon les (?:modalites|formes)|sous reserve|conformement)\b")
# The question asks what another code says: « selon le code des procédures civiles d'exécution », « le code de la route
# permet-il… », « l'amende prévue par le code des douanes » (but « le délit prévu par le code de l'environnement » is context).
_CODE_ASKED = re.compile(
    rf"\b(?:que (?:prevoit|dit|dispose|fixe)|selon|d apres|aux termes du) (?:le |l )?(?P<a>{KNOWN_CODES_FOLDED})\b"
    rf"|(?<!\bque )\ble (?P<b>{KNOWN_CODES_FOLDED}) (?:prevoit|permet|dispose|punit|sanctionne|fixe|dit|impose|autorise|interdit)\b"
    rf"|\b(?P<object>\w+ \w+) (?:prevue?s?|fixee?s?) (?:par|dans) (?:le |l )?(?P<c>{KNOWN_CODES_FOLDED})\b"
)


def _code_asked(folded: str) -> str | None:
    """The code whose content the question asks, as named (« code des douanes »), if any."""
    for m in _CODE_ASKED.finditer(folded):
        if m.group("c") and _OFFENCE_WORDS.search(m.group("object")):
            continue  # « les délits prévus par le code de l'environnement »: the offences, context for the procedure
        name = m.group("a") or m.group("b") or m.group("c")
        return CODE_BY_FOLDED_NAME[name]
    return None


@dataclass(frozen=True)
class ArticleMention:
    number: str  # normalized CPP number, or as printed for another code
    role: Role
    code: str | None = None  # None: the CPP
    asked: bool = False  # its content is what the question asks (« que prévoit l'article 145-1 … ? »)


@dataclass(frozen=True)
class QuestionAnalysis:
    question: str
    folded: str  # the question folded, abbreviations expanded
    kind: AnswerKind
    also: tuple[AnswerKind, ...] = ()  # a second thing asked (« Qui peut l'ordonner, et dans quels cas ? »: conditions)
    acts: tuple[str, ...] = ()
    regimes: tuple[str, ...] = ()  # affirmed
    negated: tuple[str, ...] = ()  # acts, regimes or polarity concepts named only in the negative
    polarity: dict[str, bool] = field(default_factory=dict)  # concept → affirmed (True) or negated (False)
    articles: tuple[ArticleMention, ...] = ()
    out_of_scope: OutOfScopeTopic | None = None
    stages: tuple[str, ...] = ()  # procedural stages named (enquête, information, jugement)
    authorities: tuple[str, ...] = ()  # magistrates named (JLD, JI, procureur)
    follow_up: str = ""  # a follow-up's own words (« Et la défense peut contester ? »); empty for a question on its own
    code_asked: str | None = None  # another code whose content is asked (« selon le code des douanes »), as named
    anchor: str | None = None  # a follow-up naming nothing new: the CPP article the previous answer rested on
    refers_back: bool = False  # … and it points at a thing that answer named (« ce décret »): that article leads
    closed: bool = False  # a yes/no question (« doit-il prévenir le parquet ? »): the rule's limits are part of the answer

    @property
    def subjects(self) -> list[str]:
        """CPP articles the question is about (their text, status or content is the answer)."""
        return [a.number for a in self.articles if a.role == "subject" and a.code is None]

    @property
    def named(self) -> list[str]:
        """CPP articles named without a role the words make clear: a hint for retrieval, not the answer by force."""
        return [a.number for a in self.articles if a.role == "named" and a.code is None]

    @property
    def pointed_at(self) -> list[str]:
        """CPP articles the question points at, as its subject or as a hint (the corpus must hold them)."""
        return [*self.subjects, *self.named]

    @property
    def qualifiers(self) -> list[str]:
        """Articles named as context (« infraction de l'article 706-73 », « délit d'initié (art. L. 465-1 du code monétaire
        et financier) »): the answer is the article governing the act for them. Another code's as « code number »."""
        return [a.number if a.code is None else f"{a.code} {a.number}" for a in self.articles if a.role == "qualifier"]

    @property
    def asks_quantity(self) -> bool:
        return self.kind == "duration"


_CLAUSE_MARK = " zzclause "
# A parenthesis (an abbreviation's long form: « crim org (criminalité organisée délinquance organisée bande
# organisée) ») belongs to the word before it: a negation's window does not count its words.
_ASIDE_OPEN, _ASIDE_CLOSE = " zzaside ", " zzasideend "


def _fold_clauses(text: str) -> str:
    """The text folded clause by clause, a mark between clauses (folding alone drops the commas) and around asides."""
    text = text.replace("(", _ASIDE_OPEN).replace(")", _ASIDE_CLOSE)
    return _CLAUSE_MARK.join(f for f in (fold(part) for part in re.split(r"[,;:?!]", text)) if f)


def _marked_and_negated(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The folded clauses of ``text`` without the aside marks, and the spans its negations cover (measured with the
    marks, so that a long form does not use up a negation's window)."""
    with_asides = _fold_clauses(text)
    spans = _negated_spans(with_asides)
    marks = (_ASIDE_OPEN.strip(), _ASIDE_CLOSE.strip())
    words = [w for w in re.finditer(r"\S+", with_asides) if w.group(0) not in marks]
    starts, ends, position = [], [], 0
    for w in words:
        starts.append(position)
        position += len(w.group(0))
        ends.append(position)
        position += 1
    kept = [(w.start(), w.end()) for w in words]
    mapped = []
    for start, end in spans:
        inside = [i for i, (a, b) in enumerate(kept) if start <= a and b <= end]
        if inside:
            mapped.append((starts[inside[0]], ends[inside[-1]]))
    return " ".join(w.group(0) for w in words), mapped


def _negated_spans(folded: str) -> list[tuple[int, int]]:
    """Character spans of the few words that follow each negation cue, within its clause (« sans jurés, en matière
    militaire »), with the asides between them (« pas de crim org (… bande organisée) »); and of the few words before
    a negation that follows what it negates (« la bande organisée n'est pas retenue »)."""
    voc = vocabulary()
    clause, opening, closing = _CLAUSE_MARK.strip(), _ASIDE_OPEN.strip(), _ASIDE_CLOSE.strip()
    spans = []
    for m in voc.negation_cue.finditer(folded):
        last, counted, depth = None, 0, 0
        for w in re.finditer(r"\S+", folded[m.end():]):
            word = w.group(0)
            if word == clause or (counted == voc.negation_window and not depth):
                break
            if word in (opening, closing):
                depth = depth + 1 if word == opening else max(0, depth - 1)
                last = w if last is not None else None  # an aside before any word is not the negated word's
            elif depth:
                last = w if last is not None else None
            else:
                counted, last = counted + 1, w
        spans.append((m.start(), m.end() + (last.end() if last is not None else 0)))
    for m in voc.negation_after.finditer(folded):
        before = [w for w in re.finditer(r"\S+", folded[: m.start()]) if w.group(0) not in (opening, closing)]
        cut = max((i for i, w in enumerate(before) if w.group(0) == clause), default=-1)
        words = before[cut + 1 :][-voc.negation_window :]
        spans.append((words[0].start() if words else m.start(), m.end()))
    return spans


def _classify(pattern: re.Pattern[str], folded: str, negated: list[tuple[int, int]]) -> bool | None:
    """True if the concept is named affirmatively somewhere, False if only in the negative, None if absent."""
    found = [m for m in pattern.finditer(folded)]
    if not found:
        return None
    # A concept whose own name opens with a negation cue is not negated by it: « un viol non élucidé » (the cold-case
    # regime, « crimes… non élucidés »), « commis hors du territoire » (the regime of offences committed abroad).
    cue = vocabulary().negation_cue
    return any(cue.match(m.group(0)) or not any(s <= m.start() < e for s, e in negated) for m in found)


# « nécessite-t-elle l'accord », « faut-il le consentement », « l'accord est-il requis »: whether it is needed is asked.
_NEED_BEFORE = re.compile(
    r"\b(faut il|faut t il|il faut qu (?:il|elle|ils|elles|on)(?: y| l| en)?|necessite\w*|suppose\w*|exige\w*|requier\w*|subordonne\w*|soumise?s? a|besoin)( t (il|elle))?"
    r"( (de|a|d|l|le|la|son|sa|leur|un|une|du|au))*( accord| assentiment| consentement| zzclause)*\s*$"  # « l'accord (consentement consentir) »
)
_NEED_AFTER = re.compile(r"^\w*( du \w+| de l \w+| de la \w+)*( \w+)? (est|sont) (il |elle |ils |elles )?(requise?s?|necessaires?|obligatoires?|exigee?s?)\b")
_YES_NO_CONCEPTS = ("consentement", "accord")


def _asked_whether_needed(pattern: re.Pattern[str], folded: str, negated: list[tuple[int, int]]) -> bool:
    """The concept is named only as what the question asks for (« LC expulsion : faut-il l'accord du détenu ? »)."""
    found = [m for m in pattern.finditer(folded) if not any(s <= m.start() < e for s, e in negated)]
    return bool(found) and all(
        _NEED_BEFORE.search(folded[max(0, m.start() - 60) : m.start()]) or _NEED_AFTER.search(folded[m.start() : m.start() + 60])
        for m in found
    )


def _offence_in_parenthesis(question: str, start: int) -> bool:
    """« escroquerie en bande organisée (art. 706-73-1) »: the reference in parentheses qualifies an offence or regime
    named just before; after an act (« saisie pénale immobilière (706-150) ») it names the article asked about."""
    if not _PARENTHESIS_BEFORE.search(question[:start]):
        return False
    clause = re.split(r"[,;:.?!]", question[: question.rfind("(", 0, start)])[-1]  # the words just before, same clause
    return any(p.search(fold(expand_abbreviations(clause))) for p in vocabulary().regimes.values())


def _rule_asked(before: str) -> bool:
    """The words before the article make its rule what is asked (« l'entretien avec l'avocat prévu à l'article 63-4 »)."""
    if not _RULE_OF_ARTICLE.search(before):
        return False
    words = " ".join(before.split()[-8:])
    designates = _PERSON_WORDS.search(" ".join(before.split()[-5:]))
    return not _OFFENCE_WORDS.search(words) and not _FRAME_OF_RULE.search(words) and not designates


def _article_roles(question: str, kind: AnswerKind, has_act: bool, has_regime: bool = False) -> tuple[ArticleMention, ...]:
    """Each article named and its role: the *subject* when the question asks about that article (its text, status or
    list, « que prévoit l'article X », « L'article X permet-il… ? »); a *qualifier* when it only names the offences or
    the procedure the question is set in (« pour une infraction visée à l'article 706-73 », « TSE autorisée au titre
    de l'article 706-95-12 »); otherwise *named*: a strong hint, weighed by the ranker against the articles that
    govern the act asked about."""
    out: list[ArticleMention] = []
    for ref in find_references(question):
        before = fold(question[max(0, ref.start - 80) : ref.start])
        after = fold(question[ref.end : ref.end + 40])
        asked = bool(_SUBJECT_BEFORE.search(before))
        if ref.code is not None:
            role: Role = "qualifier"
        elif (kind in ("text", "status", "list") or asked or _SUBJECT_AFTER.match(after)
              or _AT_START.match(fold(question[: ref.start])) or _SUBJECT_CLAUSE.search(question[: ref.start])):
            role = "subject"
        elif (_QUALIFIER_BEFORE.search(before) or _offence_in_parenthesis(question, ref.start)) and has_act:
            role = "qualifier"  # (without an act asked about, the named article may well be the answer)
        else:
            role = "named"
        # Without a special regime (which Livre IV may set apart from the general rule), the rule of an article named
        # for what is asked is asked too: if the corpus lacks the article, the question is outside it.
        asked = (asked and role == "subject") or (ref.code is None and not has_regime and _rule_asked(before))
        mention = ArticleMention(ref.number, role, ref.code, asked=asked)
        same = next((i for i, a in enumerate(out) if a.number == ref.number), None)
        if same is None:
            out.append(mention)
        elif mention.asked:
            out[same] = mention  # named first as context, then asked about (« … que prévoit l'article 145-1 ? »)
    return tuple(out)


def _acts_set_aside(plain: str) -> set[str]:
    """The acts named only as set aside (« entendu librement, pas en GAV »), read in the question as typed: an
    abbreviation's long form follows it (« pas en GAV (garde à vue) ») and would read as named again."""
    out = set()
    for act, pattern in vocabulary().acts.items():
        found = list(pattern.finditer(plain))
        if found and all(_ACT_SET_ASIDE.search(plain[: m.start()]) for m in found):
            out.add(act)
    return out


# A yes/no question: an inverted verb (« doit-il », « peut-on », « est-elle ») or « obligatoire ». (« Comment doit-il… ? »
# matches too: the answer only uses it for the kinds that ask whether, not who, when or how long.)
_CLOSED = re.compile(
    r"\b(?:doit|doivent|faut|peut|peuvent|est|sont|a|ont|existe|suffit|reste)(?: t)? (?:il|elle|on|ils|elles)\b|\bobligatoire(?:ment)?\b"
    r"|\bquand meme\b"  # (« je dois quand même le présenter ? » expects the exception)
)

# A recourse against a decision (folded text): « faire appel », « contester », « pourvoi » — not the « cour d'appel ».
RECOURSE = re.compile(r"\bcontest\w*|(?<!cour d )(?<!cours d )\bappel\b|\brecours\b|\bpourvoi|\bopposition\b|\battaquer\b|\bdefere")

# What a question can ask beside its kind (« dans quel délai, et devant qui ? »); « peut-il… » is not a second question.
_SECOND_KINDS = ("duration", "authority", "conditions")


def analyze(question: str) -> QuestionAnalysis:
    """The analysis of one (self-contained) question. Pure and fast: no index, no model."""
    voc = vocabulary()
    folded = fold(expand_abbreviations(question))
    marked, negated_spans = _marked_and_negated(expand_abbreviations(question))  # a negation stops at its clause
    set_aside = _acts_set_aside(fold(question))
    acts = tuple(a for a, p in voc.acts.items() if a not in set_aside and p.search(marked))
    # « Pour les infractions visées à l'article 706-47, l'audition doit-elle être filmée ? » asks about the act, not the list.
    about_act = bool(acts) and (bool(_FOR_OFFENCES.search(folded)) or not _ASKS_LIST.search(folded))
    asking = _CONDITIONAL_CLEFT.sub(lambda m: f"{m.group(1)} {m.group('who')}", folded)
    kind = cast(AnswerKind, next((k for k, p in voc.kinds if p.search(asking) and not (about_act and k == "list")), "rule"))
    if kind == "list":
        # « qui peut l'autoriser, et pour quelles infractions ? », « à quelle fréquence… la liste des détenus ? »: what
        # is asked before the list is the answer's kind
        starts = {k: m.start() for k, p in voc.kinds if (m := p.search(asking))}
        earlier = sorted((at, k) for k, at in starts.items() if k in _SECOND_KINDS and at < starts["list"])
        kind = cast(AnswerKind, earlier[0][1]) if earlier else kind
    also = tuple(cast(AnswerKind, k) for k, p in voc.kinds if k != kind and k in _SECOND_KINDS and p.search(asking))
    regimes: list[str] = []
    negated = sorted(set_aside)  # « entendu librement, pas en GAV »: the act set aside is not the one asked about
    for name, pattern in voc.regimes.items():
        state = _classify(pattern, marked, negated_spans)
        if state is True:
            regimes.append(name)
        elif state is False:
            negated.append(name)
    polarity: dict[str, bool] = {}
    for name, pattern in voc.polarity.items():
        if name in _YES_NO_CONCEPTS and _asked_whether_needed(pattern, marked, negated_spans):
            continue  # « faut-il l'accord du condamné ? » asks whether, in either sense: no side to favour
        state = _classify(pattern, marked, negated_spans)
        if state is not None:
            polarity[name] = state
            if state is False:
                negated.append(name)
    # (a special regime the question sets aside — « hors bande organisée » — leaves the general rule asked)
    special = bool(regimes) and not any(n in voc.scoping_regimes for n in negated)
    articles = _article_roles(question, kind, bool(acts), special)
    # Of the topics found, one the corpus never answers decides over one it sometimes does (« pour un simple vol, en
    # droit commun, la GAV dure combien ? »: the general GAV, not the penalty of a simple theft that 706-58 may cite).
    topics = [t for t in voc.out_of_scope
              if t.pattern.search(folded) and (t.scope == "other-law" or not regimes) and not (t.unless and t.unless.search(folded))]
    topic = next((t for t in topics if t.answered_by is None), topics[0] if topics else None)
    return QuestionAnalysis(
        question=question, folded=folded, kind=kind, also=also, acts=acts, regimes=tuple(regimes), negated=tuple(negated),
        polarity=polarity, articles=articles, out_of_scope=topic,
        stages=_stages(folded),
        authorities=tuple(name for name, pattern in voc.authorities.items() if pattern.search(folded)),
        code_asked=_code_asked(folded),
        closed=bool(_CLOSED.search(asking)),
    )


# « on n'est pas en flagrance », « hors flagrance », « en dehors de l'information »: a stage set aside, not the one asked.
_STAGE_SET_ASIDE = re.compile(
    r"\b(?:pas|plus|hors|sans|non|en dehors)(?: de la| de l| d une| d un| de| d| en| dans)?(?: l)?(?: enquetes?)?(?: de| en)? "
    r"(?:flagran\w*|preliminaires?|informations? judiciaires?|information|instruction)\b"
)


def _stages(folded: str) -> tuple[str, ...]:
    """The procedural stages the question is set in (« on n'est pas en flagrance (enquête préliminaire) » →
    préliminaire only)."""
    kept = _STAGE_SET_ASIDE.sub(" ", folded)
    return tuple(name for name, pattern in vocabulary().stages.items() if pattern.search(kept))


def concept_polarity(folded: str, concept: str) -> bool | None:
    """How a (folded) text speaks of a polarity concept: only affirmatively (True), only in the negative (False),
    both or not at all (None). Used to prefer « sans consentement » articles for a question in the negative."""
    pattern = vocabulary().polarity[concept]
    found = list(pattern.finditer(folded))
    if not found:
        return None
    spans = _negated_spans(folded)
    states = {not any(s <= m.start() < e for s, e in spans) for m in found}
    return states.pop() if len(states) == 1 else None


# Where one question ends and another begins: a question mark, or « , et » / « ; et » before a new clause.
_QUESTION_BREAK = re.compile(r"\?\s*|\s*[,;]\s+(?=et\s)")
_PART_START = re.compile(r"^\s*(?:et|ok|bon)\b[\s,]*", re.I)
_MIN_PART_WORDS = 3


def question_parts(question: str) -> list[str]:
    """The questions a message asks (« Quel est le pôle de l'instruction ? Et le coordonnateur, qui le désigne ? » →
    two), each without its opening « et »; one part for a message that asks one thing."""
    parts = [_PART_START.sub("", p).strip(" ,;:.") for p in _QUESTION_BREAK.split(question)]
    return [p for p in parts if len(p.split()) >= _MIN_PART_WORDS]
