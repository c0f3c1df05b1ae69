"""The answer chain: question (+ history) → analysis → tools → retrieval → grounding → generator.

An LCEL pipeline of plain steps (``build_chain``) over one ``Assistant`` holding the catalog, the hybrid search
and a ``Generator``. Understanding comes first (``assistant.analysis``): a tool runs only when the question asks
for what it computes, retrieval knows which articles are the subject and which are context, and the grounding
step decides once — for every generator — whether the corpus supports an answer.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.analysis import QuestionAnalysis, analyze, question_parts
from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.errors import AssistantError
from assistant.followup import asks_its_own_question, contextualize, last_turn, names_nothing_new, refers_back
from assistant.french import expand_abbreviations
from assistant.generators import Generator
from assistant.grounding import Prepared, ground, missing_articles, unit_of_basis
from assistant.models import Unit
from assistant.references import referenced_articles
from assistant.retrieval import Hit, HybridSearch
from assistant.spelling import Speller
from assistant.store import IndexState
from assistant.text import fold
from assistant.tools import POLE_INSTRUCTION, run_tool
from assistant.tools.poles import unknown_court_types, unknown_courts
from assistant.tools.router import known_case, route, route_follow_up, rule_for
from assistant.vocabulary import vocabulary

MAX_QUESTION_CHARS = 4000
OTHER_PART_NOT_ANSWERED = "le corpus ne contient pas de disposition qui y réponde."
_REFERENCE_LINE = re.compile(r"^— CPP, art\. [^,\n]+", re.M)

_ENGLISH = re.compile(r"\b(the|what|which|how|is|are|does|can|of|for|with|should|under|when|who)\b", re.I)
_FRENCH = re.compile(r"\b(le|la|les|des|du|de|est|que|qui|quel|quelle|pour|une|un|dans|peut|en|au|aux)\b", re.I)


class Assistant:
    """Everything an answer needs, built once (app start-up, CLI, eval runner) and shared."""

    def __init__(self, catalog: Catalog, search: HybridSearch, generator: Generator, index_state: IndexState | None = None) -> None:
        self.catalog = catalog
        self.index_state = index_state
        self.search = search
        self.generator = generator
        self.speller = Speller(text for u in catalog.units for text in (u.title, " ".join(u.hierarchy), u.text, *u.notes))
        self.chain = build_chain(self)

    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Answer:
        return self.chain.invoke({"question": question, "history": history or []})

    # -- steps -----------------------------------------------------------------------------------

    def prepare(self, payload: dict[str, Any]) -> Prepared:
        question = (payload.get("question") or "").strip()
        history = [t for t in payload.get("history") or [] if isinstance(t, dict) and t.get("content")]
        p = Prepared(question=question, history=history)
        if not question:
            p.refusal = "La question est vide : posez une question de procédure pénale en français."
        elif len(question) > MAX_QUESTION_CHARS:
            p.refusal = (
                f"La question est trop longue ({len(question)} caractères ; {MAX_QUESTION_CHARS} au plus) : "
                "reformulez-la en quelques phrases."
            )
        elif _looks_english(question):
            p.refusal = (
                "Je réponds aux questions posées en français, à partir du Livre IV du code de procédure pénale, "
                "des articles D du corpus et des circulaires. Merci de reformuler votre question en français."
            )
        t = time.perf_counter()
        question = self.speller.correct(question)  # (« perquisitioner » is analysed as the act it names)
        p.standalone = contextualize(question, history) if not p.refusal else question
        p.analysis = analyze(p.standalone)
        if p.standalone != question:
            # A follow-up's own words decide the scope (« Et en droit commun ? » after a question on organised crime)
            # and weigh in the ranking (what it asks anew).
            own = analyze(question)
            p.analysis = replace(p.analysis, follow_up=question)
            if asks_its_own_question(question, own):
                # « Et combien d'assesseurs ? » after « quelle juridiction juge… ? »: the kind of answer is the one the
                # follow-up asks (no competence tool, no competence sentence), not the previous question's.
                p.analysis = replace(p.analysis, kind=own.kind)
            if own.out_of_scope is not None and not own.regimes:
                p.analysis = replace(p.analysis, out_of_scope=own.out_of_scope)
            if names_nothing_new(own, last_turn(history, "user")):
                p.analysis = replace(p.analysis, anchor=self._previous_answer_article(history),
                                     refers_back=refers_back(question, last_turn(history, "assistant")))
        p.timings["analysis"] = _ms(t)
        return p

    def _previous_answer_article(self, history: list[dict[str, str]]) -> str | None:
        """The first corpus article the previous answer cites (its Réponse's): what « Et peut-il être entendu sous
        cette identité ? » is still about."""
        previous = last_turn(history, "assistant")
        # This assistant's answers give the Réponse's article on its reference line (« — CPP, art. 706-88, al. 6… »);
        # the quote above it names other articles (« …l'article 706-73 »). Other answers: the first article named.
        pinpoint = _REFERENCE_LINE.search(previous)
        cited = referenced_articles(pinpoint.group(0) if pinpoint else previous)
        return next((ref for ref in cited if self.catalog.units_for_article(ref)), None)

    def use_tools(self, p: Prepared) -> Prepared:
        if p.refusal:
            return p
        assert p.analysis is not None
        t = time.perf_counter()
        if missing_articles(p.analysis, self.catalog):
            p.timings["tools"] = _ms(t)
            return p  # a question about an article the corpus lacks is refused (grounding), never computed around
        call = route(p.standalone, self.catalog, p.analysis)
        if call is None and p.standalone != p.question:
            previous = last_turn(p.history, "user")
            call = route_follow_up(p.question, previous, self.catalog)
        if call is not None and (unknown_court_types(p.question) or (call.name != POLE_INSTRUCTION and unknown_courts(self.catalog, p.question))):
            # « la JIRS de Genève », « le tribunal cantonal de Rochefort »: refused (grounding), nothing computed for a
            # court the corpus lacks (an unknown tribunal judiciaire is the pôle tool's to refuse, with near spellings)
            call = None
        if call is not None:
            p.tool_call_name = call.name
            try:
                p.tool = ToolUse(call.name, dict(call.arguments), run_tool(self.catalog, call.name, dict(call.arguments)))
            except AssistantError as exc:
                p.tool_error = str(exc)
        p.timings["tools"] = _ms(t)
        return p

    def retrieve(self, p: Prepared) -> Prepared:
        if p.refusal:
            return p
        assert p.analysis is not None
        t = time.perf_counter()
        p.hits = self.search.search(p.standalone, k=10, analysis=p.analysis)
        if p.tool is None and p.analysis.kind == "duration":
            p.hits = self._rule_basis_first(p, p.hits)
        p.timings["retrieval"] = _ms(t)
        t = time.perf_counter()
        ground(p, self.catalog, self.search.idf, lambda q: self.search.search(q, k=5, include_abrogated=True, analysis=p.analysis),
               self.search.min_dense_support)
        p.timings["grounding"] = _ms(t)
        return p

    def _rule_basis_first(self, p: Prepared, hits: list[Hit]) -> list[Hit]:
        """A "how long / until when" question without a date: the articles of the matching délai rule come first."""
        rule = rule_for(p.standalone, own=p.question if p.standalone != p.question else "")
        if rule is None or any(h.pinned for h in hits):
            return hits
        p.rule = rule
        top = hits[0].score if hits else 1.0
        first: list[Hit] = []
        # (« elle refuse devant le PG »: the milestones for a consenting person come last)
        assert p.analysis is not None  # (called by ``retrieve`` for a duration question)
        own = fold(expand_abbreviations(p.question)) if p.standalone != p.question else ""
        case = known_case(rule, p.analysis.folded, own)
        units = [u for u in (unit_of_basis(self.catalog, b.to_dict()) for b in rule.basis_for(case)) if u is not None]
        # The basis that governs the question's own case first: « crime contre l'humanité (art. 628) » → 628-8's
        # seventy-two hours before 706-88's general forty-eight.
        units.sort(key=lambda u: not self._governs_case(u, p.analysis))
        for i, unit in enumerate(units):
            if all(f.unit.unit_id != unit.unit_id for f in first):
                score = top * (1.0 + 0.01 * (len(units) - i))  # above the first hit, in the basis's order
                existing = next((h for h in hits if h.unit.unit_id == unit.unit_id), None)
                if existing is not None:
                    existing.score = max(existing.score, score)
                first.append(existing or Hit(unit, score))
        ids = {h.unit.unit_id for h in first}
        return first + [h for h in hits if h.unit.unit_id not in ids]

    def _governs_case(self, unit: Unit, a: QuestionAnalysis | None) -> bool:
        """The unit is set in the question's qualifier article's section, or its scope names the question's regime."""
        if a is None:
            return False
        sections = {u.hierarchy for q in a.qualifiers for u in self.catalog.units_for_article(q)}
        regimes = vocabulary().regimes
        return unit.hierarchy in sections or any(regimes[r].search(self.catalog.scope_text(unit)) for r in a.regimes)

    def generate(self, p: Prepared) -> Answer:
        t = time.perf_counter()
        answer = self.with_other_question(p, self.generator.generate(p))
        answer.timings_ms = {**p.timings, "generation": _ms(t), "total": _ms(p.started)}
        return answer

    def with_other_question(self, p: Prepared, answer: Answer) -> Answer:
        """« Quel est le pôle de l'instruction de Brive, et l'avocat peut-il déposer sa DML au greffe du JI ? »: the tool
        answers its own part; the other part is answered on its own, after it (a question asked is never dropped).
        A part the corpus does not answer is said so, in one line. (An LLM reads the whole message and answers both.)"""
        parts = question_parts(p.question)
        if p.tool is None or p.history or answer.refused or answer.generator != "extractive" or len(parts) < 2:
            return answer
        fired = [route(part, self.catalog, analyze(part)) is not None for part in parts]
        rest = [part for part, f in zip(parts, fired, strict=True) if not f]
        if len(rest) != 1 or not any(fired):
            return answer
        other = self.retrieve(self.prepare({"question": rest[0] + " ?", "history": []}))
        second = self.generator.generate(other)
        if second.refused:
            answer.answer += f"\n\n**Autre question** : « {rest[0]} ? » — {OTHER_PART_NOT_ANSWERED}"
            return answer
        seen = {(c.unit_id, c.quote) for c in answer.citations}
        answer.answer += f"\n\n**Autre question** : « {rest[0]} ? »\n\n{second.answer}"
        answer.citations += [c for c in second.citations if (c.unit_id, c.quote) not in seen]
        return answer


def build_chain(assistant: Assistant) -> Runnable:
    """LCEL: prepare (analysis) → tools → retrieval and grounding → generation (each step a plain method of ``Assistant``)."""
    return (
        RunnableLambda(assistant.prepare, name="preparer")
        | RunnableLambda(assistant.use_tools, name="outils")
        | RunnableLambda(assistant.retrieve, name="recherche")
        | RunnableLambda(assistant.generate, name="reponse")
    )


def _looks_english(text: str) -> bool:
    en, fr = len(_ENGLISH.findall(text)), len(_FRENCH.findall(text))
    return en >= 3 and en > 2 * fr


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
