"""The answer chain: question (+ history) → follow-up resolution → tools → retrieval → grounded answer or refusal.

An LCEL pipeline of plain steps (``build_chain``) over one ``Assistant`` holding the catalog, the hybrid search
and the generator. Whatever the generator, the answer cites only units that retrieval or a tool returned, with
verbatim quotes, and every article number it shows is either cited or marked as outside the corpus.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.errors import AssistantError
from assistant.extractive import QUANTITY_Q, WHOLE_ARTICLE_Q, compose, select_passages, split_sentences, unit_citation
from assistant.followup import contextualize
from assistant.french import content_terms, expand_abbreviations, tokenize
from assistant.models import Citation, Unit
from assistant.retrieval import ARTICLE_REF_RE, Hit, HybridSearch, asks_about_repeal, referenced_articles
from assistant.scope import out_of_scope
from assistant.settings import Settings
from assistant.store import IndexState, SentenceTransformerEmbeddings, make_embeddings, open_index
from assistant.tools import run_tool
from assistant.tools.router import describe_result, route, route_follow_up, rule_for

MAX_QUESTION_CHARS = 4000

_ENGLISH = re.compile(r"\b(the|what|which|how|is|are|does|can|of|for|with|should|under|when|who)\b", re.I)
_FRENCH = re.compile(r"\b(le|la|les|des|du|de|est|que|qui|quel|quelle|pour|une|un|dans|peut|en|au|aux)\b", re.I)


@dataclass
class RefusalPolicy:
    """When the corpus does not support an answer. Thresholds calibrated on the evaluation set (evals/README.md)."""

    min_coverage: float = 0.2  # idf-weighted share of the question's words found in the best unit
    min_dense: float = 0.5  # cosine similarity of the best chunk, enough on its own


@dataclass
class Prepared:
    """State passed between the chain's steps."""

    question: str
    history: list[dict[str, str]]
    standalone: str = ""
    refusal: str | None = None
    hits: list[Hit] = field(default_factory=list)
    tool: ToolUse | None = None
    tool_error: str | None = None
    rule: Any = None  # a délai rule the question is about, without a date to compute from
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


class Assistant:
    """Everything an answer needs, built once (app start-up, CLI, eval runner) and shared."""

    def __init__(
        self, catalog: Catalog, search: HybridSearch, generator: Any = None, policy: RefusalPolicy | None = None,
        index_state: IndexState | None = None,
    ) -> None:
        self.catalog = catalog
        self.index_state = index_state
        self.search = search
        self.generator = generator  # None = extractive; else an object with .generate(prepared, assistant) -> Answer
        self.policy = policy or RefusalPolicy()
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
        p.standalone = contextualize(question, history) if not p.refusal else question
        p.timings["contextualize"] = _ms(t)
        return p

    def use_tools(self, p: Prepared) -> Prepared:
        if p.refusal:
            return p
        t = time.perf_counter()
        call = route(p.standalone, self.catalog)
        if call is None and p.standalone != p.question:
            previous = next(turn["content"] for turn in reversed(p.history) if turn.get("role") == "user")
            call = route_follow_up(p.question, previous, self.catalog)
        if call is not None:
            try:
                p.tool = ToolUse(call.name, dict(call.arguments), run_tool(self.catalog, call.name, dict(call.arguments)))
            except AssistantError as exc:
                p.tool_error = str(exc)
        p.timings["tools"] = _ms(t)
        return p

    def retrieve(self, p: Prepared) -> Prepared:
        if p.refusal:
            return p
        t = time.perf_counter()
        p.hits = self.search.search(p.standalone, k=10)
        if p.tool is None and QUANTITY_Q.search(p.standalone):
            p.hits = self._rule_basis_first(p, p.hits)
        p.timings["retrieval"] = _ms(t)
        return p

    def _rule_basis_first(self, p: Prepared, hits: list[Hit]) -> list[Hit]:
        """A "how long / until when" question without a date: the articles of the matching délai rule come first."""
        rule = rule_for(p.standalone)
        if rule is None or any(h.pinned for h in hits):
            return hits
        p.rule = rule
        top = hits[0].score if hits else 1.0
        first: list[Hit] = []
        for b in rule.basis:
            unit = self._unit_of_basis(b.to_dict())
            if unit is not None and all(f.unit.unit_id != unit.unit_id for f in first):
                existing = next((h for h in hits if h.unit.unit_id == unit.unit_id), None)
                first.append(existing or Hit(unit, top))
        ids = {h.unit.unit_id for h in first}
        return first + [h for h in hits if h.unit.unit_id not in ids]

    def generate(self, p: Prepared) -> Answer:
        t = time.perf_counter()
        if self.generator is not None and not p.refusal:
            answer = self.generator.generate(p, self)
        else:
            answer = self.extractive_answer(p)
        answer.timings_ms = {**p.timings, "generation": _ms(t), "total": _ms(p.started)}
        return answer

    # -- the extractive answer -------------------------------------------------------------------

    def extractive_answer(self, p: Prepared) -> Answer:
        retrieved = self.retrieved_ids(p)
        if p.refusal:
            return Answer(p.refusal, refused=True, standalone_question=p.standalone, retrieved=retrieved)
        if p.tool is not None:
            return self.tool_answer(p, retrieved)
        named = referenced_articles(p.standalone)
        missing = [r for r in named if not self.catalog.units_for_article(r)]
        if named and len(missing) == len(named) and self.about_named_articles(p.standalone):
            # The question is about articles absent from the corpus: answering from other texts would be a substitution.
            return self.refuse(p, retrieved, self._missing_articles_message(missing))
        # A follow-up's own words decide ("Et en droit commun ?" after a question on organised crime).
        topic = (out_of_scope(p.question) or out_of_scope(p.standalone)) if not named else None
        if topic is not None:
            return self.refuse(
                p, retrieved,
                f"Cette question relève de {topic.label}, qui ne figure pas dans le corpus (Livre IV du code de procédure "
                "pénale, articles D cités et trois circulaires) : je ne peux pas y répondre sans inventer.",
            )
        units = self.units_to_cite(p)
        if not units:
            return self.refuse(p, retrieved, None)
        status = self.status_lines(p.standalone)
        if missing:
            status.append(self._missing_articles_message(missing))
        whole = bool(WHOLE_ARTICLE_Q.search(p.standalone)) and any(h.pinned for h in p.hits)
        passages = select_passages(p.standalone, units, self.search.idf, whole=whole)
        tool_calls: list[ToolUse] = []
        if p.rule is not None:
            use = ToolUse("delai", {"rule": p.rule.id}, p.rule.to_catalogue())
            tool_calls.append(use)
            status.append(
                f"**Règle de délai applicable** (calcul déterministe, règle « {p.rule.label} ») : {p.rule.summary} "
                "Indiquez la date et l'heure de départ pour obtenir les échéances datées."
            )
        text, citations = compose(passages, self.catalog, status, whole=whole)
        citations += self.renvois(text, citations)
        return Answer(text, refused=False, citations=citations, tool_calls=tool_calls, standalone_question=p.standalone, retrieved=retrieved)

    def retrieved_ids(self, p: Prepared) -> list[dict[str, Any]]:
        """Units the answer may rest on, best first: a tool's basis, then the retrieval hits."""
        units: list[Unit] = []
        if p.tool is not None:
            units += [u for u in (self._unit_of_basis(b) for b in _basis_of(p.tool.result)) if u is not None]
        units += [h.unit for h in p.hits]
        out: list[dict[str, Any]] = []
        for u in units:
            if all(o["unit_id"] != u.unit_id for o in out):
                out.append({"unit_id": u.unit_id, "doc_id": u.doc_id, "article": u.article, "section": u.section, "abrogated": u.abrogated})
        return out

    def units_to_cite(self, p: Prepared) -> list[Unit]:
        """Pinned units (named in the question), else the best hits if the corpus supports an answer."""
        pinned = [h.unit for h in p.hits if h.pinned]
        if pinned:
            return pinned[:MAX_CITED]
        if not p.hits or not self.supported(p.standalone, p.hits):
            return []
        top = p.hits[0].score
        return [h.unit for h in p.hits[:MAX_CITED] if h.score >= 0.6 * top]

    def supported(self, question: str, hits: list[Hit]) -> bool:
        best_dense = max((h.dense_score for h in hits[:3]), default=0.0)
        return self.coverage(question, hits[0].unit) >= self.policy.min_coverage or best_dense >= self.policy.min_dense

    @staticmethod
    def about_named_articles(question: str) -> bool:
        """"Que dit l'article 999 ?" is about the article; "le JI pense que l'article 122-1 s'applique…" is not only."""
        rest = ARTICLE_REF_RE.sub(" ", question)
        return bool(WHOLE_ARTICLE_Q.search(question)) or len(content_terms(rest)) <= 3

    def coverage(self, question: str, unit: Unit) -> float:
        """Idf-weighted share of the question's content words present in the unit (text, title, headings)."""
        q = content_terms(expand_abbreviations(question))
        if not q:
            return 0.0
        doc = set(tokenize(" ".join((unit.title, *unit.hierarchy, unit.text, *unit.notes))))
        total = sum(self.search.idf(t) for t in q)
        return sum(self.search.idf(t) for t in q if t in doc) / total if total else 0.0

    def status_lines(self, question: str) -> list[str]:
        """What the corpus shows about an article's status when the question asks whether it is in force."""
        if not asks_about_repeal(question):
            return []
        lines = []
        for ref in referenced_articles(question):
            units = self.catalog.units_for_article(ref)
            live = [u for u in units if not u.abrogated]
            repealed = [u for u in units if u.abrogated]
            date = self.catalog.document(units[0].doc_id).version_label if units else ""
            if live and repealed:
                lines.append(
                    f"Le corpus (version au {date}) contient le texte **en vigueur** de l'article {ref} et, sous le même "
                    f"numéro, un bloc **abrogé** (ancienne rédaction) : seul le premier s'applique."
                )
            elif repealed:
                lines.append(
                    f"Dans le corpus (version au {date}), l'article {ref} n'apparaît que comme bloc **abrogé** : il n'est "
                    "plus en vigueur ; son ancienne rédaction est reproduite ci-dessous pour information."
                )
            elif live:
                lines.append(f"L'article {ref} figure dans le corpus comme texte **en vigueur** (version au {date}).")
        return lines

    def tool_answer(self, p: Prepared, retrieved: list[dict[str, Any]]) -> Answer:
        assert p.tool is not None
        summary = describe_result(_call(p.tool), p.tool.result)
        lines = [f"**Calcul déterministe** (outil « {p.tool.name} ») :", "", summary, "", "**Textes sur lesquels repose le résultat**"]
        citations: list[Citation] = []
        seen: set[tuple[str, str]] = set()
        for b in _basis_of(p.tool.result):
            unit = self._unit_of_basis(b)
            key = (b.get("article") or b.get("section") or "", b["quote"])
            if unit is None or key in seen:
                continue
            seen.add(key)
            cit = unit_citation(unit, self.catalog, b["quote"])
            citations.append(cit)
            lines += ["", f"> « {b['quote']} »", f"> — {cit.label()}"]
        text = "\n".join(lines)
        citations += self.renvois(text, citations)
        return Answer(text, refused=False, citations=citations, tool_calls=[p.tool], standalone_question=p.standalone, retrieved=retrieved)

    def refuse(self, p: Prepared, retrieved: list[dict[str, Any]], reason: str | None) -> Answer:
        lines = [
            reason
            or "Le corpus (Livre IV du code de procédure pénale, articles D cités et trois circulaires) ne contient pas "
            "de disposition qui réponde à cette question : je ne peux pas y répondre sans inventer."
        ]
        near = [h.unit for h in p.hits[:3]]
        if near:
            lines += ["", "Dispositions les plus proches du corpus (à vérifier, elles ne répondent pas nécessairement) :"]
            lines += [f"- {_short_ref(u, self.catalog)} : {u.title if u.kind == 'circulaire' else _first_words(u)}" for u in near]
        return Answer("\n".join(lines), refused=True, standalone_question=p.standalone, retrieved=retrieved)

    def _missing_articles_message(self, missing: list[str]) -> str:
        names = ", ".join(missing)
        verb = "ne figure pas" if len(missing) == 1 else "ne figurent pas"
        return f"L'article {names} {verb} dans le corpus (Livre IV du CPP, articles D cités, circulaires) : je ne peux pas en citer le texte."

    def renvois(self, text: str, citations: list[Citation]) -> list[Citation]:
        """Citations for article numbers the answer shows without citing them (cross-references in the quotes)."""
        cited = {c.article for c in citations if c.article}
        out: list[Citation] = []
        for number in referenced_articles(text):
            if number in cited:
                continue
            cited.add(number)
            units = [u for u in self.catalog.units_for_article(number) if not u.abrogated]
            if units:
                first = split_sentences(units[0].alineas[0])[0]
                out.append(unit_citation(units[0], self.catalog, first, role="renvoi"))
                continue
            citing = next((c for c in citations if number in referenced_articles(c.quote)), None)
            out.append(
                Citation(
                    doc_id=citing.doc_id if citing else "cpp-legislatif-l4", doc_title="Code de procédure pénale (hors du corpus)",
                    kind="code", article=number, section=None, version_date=None, quote=citing.quote if citing else "",
                    role="renvoi", in_corpus=False,
                )
            )
        return out

    def _unit_of_basis(self, basis: dict[str, Any]) -> Unit | None:
        if basis.get("article"):
            units = self.catalog.units_for_article(basis["article"])
            return next((u for u in units if not u.abrogated), units[0] if units else None)
        doc_id = basis.get("doc_id", "")
        if basis.get("section"):
            return self.catalog.section(doc_id, basis["section"])
        quote = basis.get("quote", "")
        return next((u for u in self.catalog.units_of(doc_id) if quote and quote in u.text), None)


MAX_CITED = 3


def load_assistant(settings: Settings, embeddings: SentenceTransformerEmbeddings | None = None) -> Assistant:
    """Open the index, load the embedding model and the configured generator: the composition used by every entry point."""
    import torch

    # Measured (evals/bench): one intra-op thread per query is faster than two fighting over two cores.
    torch.set_num_threads(settings.query_threads)
    index = open_index(settings)
    embeddings = embeddings or make_embeddings(settings)
    search = HybridSearch(index.catalog, index.collection, embeddings)
    from assistant.generators import make_generator

    return Assistant(index.catalog, search, generator=make_generator(settings), index_state=index.state)


def build_chain(assistant: Assistant) -> Runnable:
    """LCEL: prepare → tools → retrieval → generation (each step a plain method of ``Assistant``)."""
    return (
        RunnableLambda(assistant.prepare, name="preparer")
        | RunnableLambda(assistant.use_tools, name="outils")
        | RunnableLambda(assistant.retrieve, name="recherche")
        | RunnableLambda(assistant.generate, name="reponse")
    )


def _call(tool: ToolUse):
    from assistant.tools.router import ToolCall

    return ToolCall(tool.name, tool.arguments)


def _basis_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every basis entry of a tool result, wherever it is nested (deadlines, authorities…)."""
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "basis" and isinstance(value, list):
                    out.extend(b for b in value if isinstance(b, dict) and b.get("quote"))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(result)
    return out


def _looks_english(text: str) -> bool:
    en, fr = len(_ENGLISH.findall(text)), len(_FRENCH.findall(text))
    return en >= 3 and en > 2 * fr


def _short_ref(unit: Unit, catalog: Catalog) -> str:
    return f"CPP, art. {unit.article}" if unit.article else f"{catalog.document(unit.doc_id).short_title}, {unit.ref}"


def _first_words(unit: Unit, n: int = 14) -> str:
    words = unit.alineas[0].split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
