"""Hybrid retrieval over legal units: French BM25 fused with dense Chroma search, exact article references first.

Units (articles, circulaire sections) are what a magistrate cites, so both retrievers are aggregated per unit:
BM25 scores units directly (text + title + heading path); dense hits on chunks keep each unit's best chunk.
The two rankings are fused by weighted reciprocal rank (weights tuned on ``evals/questions.jsonl``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever

from assistant.analysis import RECOURSE, concept_polarity
from assistant.catalog import Catalog
from assistant.french import ABBREVIATIONS, abbreviation_senses, content_terms, expand_abbreviations, tokenize
from assistant.models import Citation, Unit
from assistant.ranking import AUTHORITY_S, CIRCULAIRE_ASKED, RANK_DEPTH, UnitText, features, rerank
from assistant.references import referenced_articles
from assistant.resilience import ChromaUnavailable, call_chroma
from assistant.subject_index import subject_index
from assistant.text import MONTHS_PATTERN, fold_accents
from assistant.vocabulary import vocabulary

if TYPE_CHECKING:
    from assistant.analysis import QuestionAnalysis

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

REPEAL_RE = re.compile(r"abrog|en vigueur|toujours (applicable|valable)|ancienne (rédaction|version)|supprim", re.I)


_DATE_TIME_RE = re.compile(
    rf"\b\d{{1,2}}(?:er)?\s+(?:{MONTHS_PATTERN})"
    r"(?:\s+\d{4})?|\b\d{1,2}\s?h\s?\d{0,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b(?:19|20)\d{2}\b",
    re.I,
)


def lexical_query(question: str) -> str:
    """The question as BM25 should see it: abbreviations expanded, calendar dates and clock times removed."""
    return expand_abbreviations(_DATE_TIME_RE.sub(" ", question))


def asks_about_repeal(question: str) -> bool:
    return bool(REPEAL_RE.search(question))


# -- lexical ---------------------------------------------------------------------------------------


class BM25:
    """Okapi BM25 over pre-tokenized documents (small corpus: plain dictionaries are fast enough)."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75, senses: Mapping[str, frozenset[str]] | None = None) -> None:
        """``senses``: a term's other spelling as words (an abbreviation's long form); the term's rarity is that of
        the documents holding either form, so « DEE » in one circulaire does not outweigh 694-16's own words."""
        self.k1, self.b = k1, b
        self.lengths = [len(d) for d in docs]
        self.avg_len = sum(self.lengths) / max(len(docs), 1)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                self.postings[term].append((i, tf))
        n = len(docs)
        df = {t: len(p) for t, p in self.postings.items()}
        if senses:
            sets = [set(d) for d in docs]
            for term, words in senses.items():
                if term in df:
                    df[term] = sum(1 for d in sets if term in d or words <= d)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.max_idf = max(self.idf.values(), default=1.0)

    def scores(self, query: list[str]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for term in sorted(set(query)):  # a fixed order: the same float sums, hence the same ties, in every process
            idf = self.idf.get(term)
            if idf is None:
                continue
            weight = idf * query.count(term) ** 0.5
            for i, tf in self.postings[term]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg_len)
                out[i] += weight * tf * (self.k1 + 1) / (tf + norm)
        return out


def unit_search_text(unit: Unit, catalog: Catalog) -> str:
    """What BM25 sees of a unit: its number, title, heading path and text (and a circulaire's footnotes)."""
    doc = catalog.document(unit.doc_id)
    parts = [unit.title, " ".join(unit.hierarchy), unit.text]
    if unit.kind == "circulaire":
        parts += [doc.title, *unit.notes]
    return "\n".join(parts)


# -- hits and fusion -------------------------------------------------------------------------------


@dataclass
class Hit:
    """A retrieved unit with the evidence of each retriever."""

    unit: Unit
    score: float
    lexical_rank: int | None = None
    lexical_score: float = 0.0
    dense_rank: int | None = None
    dense_score: float = 0.0  # cosine similarity of the unit's best chunk
    pinned: bool = False  # explicitly referenced in the question
    against: bool = False  # speaks only affirmatively of a concept the question negates (``_negation_first``)
    best_chunk: str | None = None

    def to_document(self) -> Document:
        u = self.unit
        return Document(
            page_content=u.text,
            metadata={
                "unit_id": u.unit_id, "doc_id": u.doc_id, "kind": u.kind, "article": u.article, "section": u.section,
                "title": u.title, "hierarchy": list(u.hierarchy), "version_date": u.version_date,
                "abrogated": u.abrogated, "score": self.score, "pinned": self.pinned,
            },
        )


@dataclass
class RetrievalConfig:
    """Fusion parameters; the defaults are the values tuned on the evaluation set (see evals/README.md)."""

    lexical_weight: float = 1.0
    dense_weight: float = 0.25  # a property of the embedding model: see assistant/embedding_profiles.toml
    rrf_k: int = 5
    dense_candidates: int = 60
    lexical_candidates: int = 60
    use_lexical: bool = True
    use_dense: bool = True
    unit_bm25_weight: float = 2.0
    passage_bm25_weight: float = 1.0
    # The unit's subject-index entry (assistant.subject_index) as its own field; 0.5 / 1 / 2: cross-validated
    # recall@1 of the retrained ranker 0.822 / 0.811 / 0.795 (merged into the unit's text: 0.762).
    subject_bm25_weight: float = 0.5
    k1: float = 1.2
    b: float = 0.5



@dataclass
class HybridSearch:
    """The retrieval engine behind ``HybridRetriever`` (plain class, usable without LangChain)."""

    catalog: Catalog
    collection: Collection | None = None
    embeddings: Embeddings | None = None
    config: RetrievalConfig = field(default_factory=RetrievalConfig)
    min_dense_support: float = 0.0  # a cosine that shows support on its own (0: never); from the model's profile
    ranker_weights: Mapping[str, float] | None = None  # the model's ranker (assistant.ranking); None: fused order

    def __post_init__(self) -> None:
        self._units = list(self.catalog.units)
        self._index_of = {u.unit_id: i for i, u in enumerate(self._units)}
        k1, b = self.config.k1, self.config.b
        self._bm25_units = BM25([tokenize(unit_search_text(u, self.catalog)) for u in self._units], k1, b, abbreviation_senses())
        entries = subject_index()
        subjects = [tokenize(e.text()) if (e := entries.get(u.unit_id)) else [] for u in self._units]
        self._bm25_subjects = BM25(subjects, k1, b)
        # Per-unit token sets and folded text for the ranker, built on first use (the index entries' tokens: now).
        self._texts = UnitText({u.unit_id: set(tokens) for u, tokens in zip(self._units, subjects, strict=True)})
        # Passages: the indexed chunks when a collection is there (same cut as dense search), else alinéa windows.
        self._passage_unit, passages = self._passages()
        self._bm25_passages = BM25([tokenize(p) for p in passages], k1, b, abbreviation_senses())

    def _passages(self) -> tuple[list[int], list[str]]:
        owners, texts = [], []
        if self.collection is not None:
            for _cid, text, meta in sorted(_all_rows(self.collection)):
                uid = str(meta["unit_id"])
                if uid in self._index_of:
                    unit = self._units[self._index_of[uid]]
                    owners.append(self._index_of[uid])
                    texts.append(f"{unit.title}\n{' '.join(unit.hierarchy[-2:])}\n{text}")
        else:
            for i, unit in enumerate(self._units):
                for start in range(0, len(unit.alineas), 3):
                    owners.append(i)
                    texts.append(f"{unit.title}\n{' '.join(unit.hierarchy[-2:])}\n" + "\n".join(unit.alineas[start : start + 4]))
        return owners, texts

    def idf(self, term: str) -> float:
        """Rarity of a (stemmed) term among passages; unknown terms count as rare."""
        return self._bm25_passages.idf.get(term, self._bm25_passages.max_idf)

    def _names_a_tribunal(self, query: str) -> bool:
        if not hasattr(self, "_tribunal_re"):
            names = {fold_accents(n).lower() for row in self.catalog.poles for n in (*row.tribunaux, row.siege)}
            self._tribunal_re = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")
        return bool(self._tribunal_re.search(fold_accents(query).lower().replace("saint ", "saint-")))

    def lexical(self, query: str, k: int) -> list[tuple[Unit, float]]:
        q = tokenize(lexical_query(query))
        unit_scores = self._bm25_units.scores(q)
        best_passage: dict[int, float] = defaultdict(float)
        for pi, s in self._bm25_passages.scores(q).items():
            owner = self._passage_unit[pi]
            best_passage[owner] = max(best_passage[owner], s)
        cfg = self.config
        subject_scores = self._bm25_subjects.scores(q)
        combined = {i: cfg.unit_bm25_weight * unit_scores.get(i, 0.0) + cfg.passage_bm25_weight * best_passage.get(i, 0.0)
                    + cfg.subject_bm25_weight * subject_scores.get(i, 0.0)
                    for i in set(unit_scores) | set(best_passage) | set(subject_scores)}
        best = sorted(combined.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(self._units[i], s) for i, s in best]

    def dense(self, query: str, k: int) -> list[tuple[Unit, float, str]]:
        if self.collection is None or self.embeddings is None:
            return []
        query_vectors: list[Sequence[float]] = [self.embeddings.embed_query(lexical_query(query))]
        collection = self.collection
        try:  # Chroma down or frozen: no dense hits, the answer is flagged degraded (assistant.resilience)
            res: Any = call_chroma(lambda: collection.query(
                query_embeddings=query_vectors, n_results=k, include=["metadatas", "distances", "documents"],
            ))
        except ChromaUnavailable:
            return []
        metadatas, distances, documents = res["metadatas"], res["distances"], res["documents"]
        if metadatas is None or distances is None or documents is None:
            raise RuntimeError("Chroma n'a pas renvoyé les champs demandés (metadatas, distances, documents).")
        seen: dict[str, tuple[float, str]] = {}
        for meta, dist, text in zip(metadatas[0], distances[0], documents[0], strict=True):
            uid = str(meta["unit_id"])
            if uid in self._index_of and uid not in seen:
                seen[uid] = (1.0 - float(dist), text)
        return [(self.catalog.unit(uid), sim, text) for uid, (sim, text) in seen.items()]

    def search(
        self, query: str, k: int = 10, include_abrogated: bool | None = None, analysis: QuestionAnalysis | None = None
    ) -> list[Hit]:
        """Ranked units for ``query``. Repealed blocks only when the question is about repeal or names them.

        With the question's ``analysis``, only the articles the question is *about* are pinned first; articles named
        as qualifiers (« infraction de l'article 706-73 ») instead favour the units that refer to them; enumeration
        articles give way to the articles that govern the act asked about; the act, the regime and the polarity
        (« avec » / « sans » consentement) of the question weigh on the order.
        """
        cfg = self.config
        hits: dict[str, Hit] = {}
        if cfg.use_lexical:
            for rank, (unit, s) in enumerate(self.lexical(query, cfg.lexical_candidates), start=1):
                h = hits.setdefault(unit.unit_id, Hit(unit, 0.0))
                h.lexical_rank, h.lexical_score = rank, s
                h.score += cfg.lexical_weight / (cfg.rrf_k + rank)
        if cfg.use_dense:
            for rank, (unit, sim, text) in enumerate(self.dense(query, cfg.dense_candidates), start=1):
                h = hits.setdefault(unit.unit_id, Hit(unit, 0.0))
                h.dense_rank, h.dense_score, h.best_chunk = rank, sim, text
                h.score += cfg.dense_weight / (cfg.rrf_k + rank)
        repeal = asks_about_repeal(query) if include_abrogated is None else include_abrogated
        if analysis is not None:
            self._rerank(hits, analysis)
        pinned = self._pinned(query, hits, with_abrogated=repeal, analysis=analysis)
        ranked = sorted((h for h in hits.values() if not h.pinned), key=lambda h: (-h.score, h.unit.position, h.unit.unit_id))
        if not repeal:
            ranked = [h for h in ranked if not h.unit.abrogated]
        if analysis is not None and self.ranker_weights:
            ranked = self._learned_order(query, ranked, analysis, self.ranker_weights)
        if analysis is not None:
            # Each rule may put a close candidate first; the order matters (the exception follows the act, which may
            # displace the offence list that the exception then hands back: 706-73-1 for the escroquerie en BO).
            ranked = self._named_thing_first(query, ranked)
            ranked = self._act_first(ranked, analysis)
            ranked = self._authority_first(ranked, analysis)
            ranked = self._definition_first(ranked, analysis)
            ranked = self._stage_first(ranked, analysis)
            ranked = self._recourse_first(ranked, analysis)  # (after the stage: « en flag, son ordonnance… appel ? »)
            ranked = self._excepting_first(query, ranked)
            ranked = self._circulaire_first(query, ranked)
            ranked = self._anchored_first(ranked, analysis)
            ranked = self._own_words_first(ranked, analysis)
            ranked = self._negation_first(ranked, analysis)
            ranked = self._affirmation_first(ranked, analysis)
        ordered = _live_before_repealed(pinned + ranked)
        return ordered[:k]

    def rank_features(self, query: str, hits: list[Hit], a: QuestionAnalysis) -> list[list[float]]:
        """The ranker's feature vectors of ``hits`` (also what ``evals/train_ranker.py`` learns from)."""
        return features(hits, lexical_query(query), a, self.catalog, self.idf, self._texts)

    def _learned_order(self, query: str, ranked: list[Hit], a: QuestionAnalysis, weights: Mapping[str, float]) -> list[Hit]:
        """The first ``RANK_DEPTH`` hits in the ranker's order; the others after them, their scores kept below."""
        head, tail = ranked[:RANK_DEPTH], ranked[RANK_DEPTH:]
        head = rerank(head, self.rank_features(query, head, a), weights)
        floor = min((h.score for h in head), default=0.0)
        for h in tail:
            h.score = min(h.score, floor * 0.99)
        return head + tail

    def _rerank(self, hits: dict[str, Hit], a: QuestionAnalysis) -> None:
        """Adjust fused scores by what the question asks (see ``search``); factors calibrated on evals/questions.jsonl."""
        voc = vocabulary()
        about_list = a.kind in ("list", "text", "status")
        qualifiers = set(a.qualifiers)
        for ref in a.named:  # a named article is weighed with the others, so it must be among them
            for unit in self.catalog.units_for_article(ref):
                hits.setdefault(unit.unit_id, Hit(unit, 0.0))
        named = set(a.named)
        for h in hits.values():
            u = h.unit
            text = self._texts.folded(u)
            factor = 1.0
            if not about_list and self.catalog.is_scope_list(u) and u.article not in a.subjects:
                factor *= ENUMERATION_FACTOR
            if qualifiers and (qualifiers & self.catalog.cites(u)) and u.article not in qualifiers:
                factor *= QUALIFIER_CITER_FACTOR
            if u.article in named:
                h.score = max(h.score, NAMED_FLOOR)  # among the ranker's candidates, which weighs it (feature « named »)
            if a.acts:
                factor *= ACT_FACTOR if any(voc.acts[x].search(text) for x in a.acts) else 1 / ACT_FACTOR
            if a.regimes and any(voc.regimes[x].search(self.catalog.scope_text(u)) for x in a.regimes):
                factor *= REGIME_FACTOR
            for concept, affirmed in a.polarity.items():
                state = self._polarity(u, concept)
                if state is not None and state != affirmed:
                    factor *= POLARITY_FACTOR
                elif state is not None:
                    factor /= POLARITY_FACTOR
            h.score *= factor


    def _stage_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« …au cours d'une information judiciaire ? »: when the first hit opens on another stage (« Si les nécessités
        de l'enquête préliminaire… », 706-90), or on none (706-28, night searches in drug premises), and a close
        sibling opens on the asked one (706-91; 706-90 for « en préliminaire »), the sibling leads."""
        if len(a.stages) != 1 or not ranked:
            return ranked
        asked, parent = a.stages[0], vocabulary().stage_parent
        first = self._texts.stage(ranked[0].unit)
        if first is not None and asked in (first, parent.get(first)):  # (« en enquête » covers the flagrance's article)
            return ranked
        for i, h in enumerate(ranked[1:STAGE_DEPTH], start=1):
            if self._texts.stage(h.unit) == asked:
                return _promoted(ranked, i)
        return ranked

    def _definition_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« C'est quoi une décision d'enquête européenne ? »: the candidate that opens by defining the notion asked
        (694-16 « Une décision d'enquête européenne est une décision judiciaire… ») answers, not the articles that
        only use it. The notion's words must all be the question's."""
        if a.kind != "definition" or not ranked:
            return ranked
        asked = set(content_terms(a.folded))
        defining = [(len(notion), -i) for i, h in enumerate(ranked) if (notion := self._texts.defines(h.unit)) and notion <= asked]
        if defining:
            best = -max(defining)[1]
            return _promoted(ranked, best) if best else ranked
        # No article opens on a definition: the one its section's others refer to sets the measure up (« la captation de
        # données informatiques »: 706-102-1, « le dispositif mentionné à l'article 706-102-1 » in 706-102-3).
        first = ranked[0].unit
        based = next((i for i, h in enumerate(ranked[1:DEFINITION_DEPTH], start=1)
                      if h.unit.article and h.unit.article in self.catalog.cites(first) and h.unit.hierarchy == first.hierarchy), None)
        return _promoted(ranked, based) if based else ranked

    def _negation_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« Demande d'extradition d'un Etat hors UE », « s'il ne consent pas »: among the first candidates, those that
        speak of a concept the question negates only affirmatively — themselves or through their section's opening
        article (the simplified extradition of 696-25 ff. is between States of the Union) — go after the others; then
        one that says it in the negative itself leads (« le PE décide de ne pas exercer sa compétence » → 696-134, not
        696-108, which does not speak of it)."""
        negated = [c for c, affirmed in a.polarity.items() if not affirmed]
        if not negated or len(ranked) < 2:
            return ranked
        head = ranked[:NEGATION_DEPTH]
        against = [h for h in head if any(self._scoped_polarity(h.unit, c) is True for c in negated)]
        if against and len(against) < len(head):
            kept = [h for h in head if h not in against]
            for h in against:
                h.score = min(h.score, kept[-1].score)  # (the answer composer's prior follows the order)
                h.against = True
            ranked = kept + against + ranked[NEGATION_DEPTH:]
        if any(self._polarity(ranked[0].unit, c) is not None for c in negated):
            return ranked  # the first speaks of it: it weighs the negation itself
        saying = [i for i, h in enumerate(ranked[1:NEGATION_DEPTH], start=1) if all(self._polarity(h.unit, c) is False for c in negated)]
        return _promoted(ranked, saying[0]) if saying else ranked

    def _affirmation_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« Et pour un ressortissant français ? » after a question on extradition: the first candidate speaks of the
        concept only in the negative (696-2, « toute personne n'ayant pas la nationalité française »), a close one
        affirms it (696-4, « lorsque la personne réclamée a la nationalité française »): that one answers."""
        affirmed = [c for c, yes in a.polarity.items() if yes and c in vocabulary().affirmation_decides]
        if not affirmed or len(ranked) < 2 or any(self._polarity(ranked[0].unit, c) is not False for c in affirmed):
            return ranked
        saying = next((i for i, h in enumerate(ranked[1:NEGATION_DEPTH], start=1)
                       if all(self._polarity(h.unit, c) is True for c in affirmed)), None)
        return _promoted(ranked, saying) if saying is not None else ranked

    def _anchored_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« Et peut-il être entendu dans la procédure sous cette identité ? » after an answer resting on 706-62-2: a
        follow-up that names nothing new stays in the section of the previous answer's article; a close candidate
        from that section leads rather than one from elsewhere (706-86, the undercover officer heard as a witness)."""
        if a.anchor is None or len(ranked) < 2:
            return ranked
        units = [u for u in self.catalog.units_for_article(a.anchor) if not u.abrogated]
        if a.refers_back and units:
            # « …contester ce décret ? »: the article that set out the decree, when it is among the first candidates
            at = next((i for i, h in enumerate(ranked[:REFERRED_DEPTH]) if h.unit.unit_id == units[0].unit_id), None)
            if at:
                return _promoted(ranked, at)
        if not units or ranked[0].unit.hierarchy == units[0].hierarchy:
            return ranked
        for i, h in enumerate(ranked[1:ANCHOR_DEPTH], start=1):
            if h.unit.hierarchy == units[0].hierarchy:
                promoted = _promoted(ranked, i)
                promoted[1].score *= ANCHOR_OUTSIDE_FACTOR  # (the answer composer's prior: the section's sentence answers)
                return promoted
        return ranked

    def _circulaire_first(self, query: str, ranked: list[Hit]) -> list[Hit]:
        """« La circulaire de 2025 m'impose-t-elle d'en informer quelqu'un ? »: the question asks what a circulaire says;
        a close circulaire section leads over the article of the code that governs the act itself (706-80-2)."""
        if len(ranked) < 2 or ranked[0].unit.kind != "code" or not CIRCULAIRE_ASKED.search(query):
            return ranked
        at = next((i for i, h in enumerate(ranked[1:CIRCULAIRE_DEPTH], start=1) if h.unit.kind == "circulaire"), None)
        return _promoted(ranked, at) if at else ranked

    def _named_thing_first(self, query: str, ranked: list[Hit]) -> list[Hit]:
        """« …l'applicatif SIROCCO, ça veut dire quoi ? »: a name written in capitals that only one or two units of the
        corpus hold (a platform, a file, a service) points at them; the first candidate that holds it leads."""
        names = [t for w in _CAPITALS.findall(query) if w.lower() not in ABBREVIATIONS for t in tokenize(w)]
        rare = [t for t in names if t in self._bm25_passages.idf and self.idf(t) >= NAMED_THING_IDF]
        if not rare or len(ranked) < 2 or any(t in self._texts.of(ranked[0].unit)[0] for t in rare):
            return ranked
        at = next((i for i, h in enumerate(ranked[1:NAMED_THING_DEPTH], start=1) if any(t in self._texts.of(h.unit)[0] for t in rare)), None)
        return _promoted(ranked, at) if at else ranked

    def _act_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« Dossier JIRS : un témoin menacé veut vivre sous un autre nom, qui peut l'autoriser ? »: a circulaire section
        first that never speaks of the act asked about (JIRS cooperation) gives way to a close article of the code that
        does (706-62-2, the witness's borrowed identity); so does an offence list (706-73) for a question that is not
        about the list. (Another article first keeps its place: the ranker weighed the act.)"""
        if not a.acts or len(ranked) < 2:
            return ranked
        acts = vocabulary().acts
        speaks = lambda h: any(acts[x].search(self._texts.folded(h.unit)) for x in a.acts)  # noqa: E731
        first = ranked[0].unit
        enumeration = self.catalog.is_scope_list(first) and a.kind not in ("list", "text", "status") and first.article not in a.subjects
        if (first.kind == "code" and not enumeration) or speaks(ranked[0]):
            return ranked
        at = next((i for i, h in enumerate(ranked[1:ACT_DEPTH], start=1) if h.unit.kind == "code" and speaks(h)), None)
        return _promoted(ranked, at) if at else ranked

    def _authority_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« Qui autorise une sonorisation ? »: the article that defines the act (706-96) names no one; a close
        candidate that speaks of the act and names who decides (706-95-12 « …autorisées… par le juge des libertés et
        de la détention ») answers. (A first hit that names an authority keeps its place.)"""
        if a.kind != "authority" or not a.acts or len(ranked) < 2 or AUTHORITY_S.search(ranked[0].unit.text):
            return ranked
        acts = vocabulary().acts
        at = next((i for i, h in enumerate(ranked[1:AUTHORITY_DEPTH], start=1)
                   if AUTHORITY_S.search(h.unit.text) and any(acts[x].search(self._texts.folded(h.unit)) for x in a.acts)), None)
        return _promoted(ranked, at) if at else ranked

    def _recourse_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« L'ordonnance qui autorise une perquisition de nuit est-elle susceptible d'appel ? »: the article that sets
        the measure up (706-89) says nothing of a recourse; a close candidate on the same act that does (706-92 « cette
        ordonnance, qui n'est pas susceptible d'appel ») answers. (A first hit that speaks of a recourse keeps its place.)"""
        if len(ranked) < 2 or not RECOURSE.search(a.folded) or RECOURSE.search(self._texts.folded(ranked[0].unit)):
            return ranked
        acts = vocabulary().acts
        at = next((i for i, h in enumerate(ranked[1:RECOURSE_DEPTH], start=1) if RECOURSE.search(self._texts.folded(h.unit))
                   and all(acts[x].search(self._texts.folded(h.unit)) for x in a.acts)), None)
        return _promoted(ranked, at) if at else ranked

    def _own_words_first(self, ranked: list[Hit], a: QuestionAnalysis) -> list[Hit]:
        """« Et qui délivre l'habilitation ? » after a question on who may be habilitated (D15-1-2): the follow-up's
        question carries the previous one's words, so the article that answered it stays first; a close sibling of
        the same section that holds the follow-up's own words far better (D15-1-3 « L'habilitation… est délivrée
        par… ») answers what is asked now."""
        if not a.follow_up or len(ranked) < 2:
            return ranked
        own = content_terms(expand_abbreviations(a.follow_up))
        first = ranked[0].unit
        weight = lambda unit: sum(self.idf(t) for t in own & self._texts.of(unit)[0])  # noqa: E731
        floor = max(OWN_WORDS_FACTOR * weight(first), OWN_WORDS_MIN)
        at = max(((weight(h.unit), -i) for i, h in enumerate(ranked[1:OWN_WORDS_DEPTH], start=1) if h.unit.hierarchy == first.hierarchy),
                 default=(0.0, 0))
        return _promoted(ranked, -at[1]) if at[0] >= floor else ranked

    def _scoped_polarity(self, unit: Unit, concept: str) -> bool | None:
        """``_polarity`` of the unit, or else of the article that sets its section's scope (``Catalog.section_scope``)."""
        state = self._polarity(unit, concept)
        if state is None and (opening := self.catalog.section_scope(unit)) is not None:
            state = self._polarity(opening, concept)
        return state

    def _excepting_first(self, query: str, ranked: list[Hit]) -> list[Hit]:
        """« Escroquerie en bande organisée : peut-on prolonger la GAV au-delà de 48 heures ? »: 706-73-1 extends the
        regime to that offence « à l'exception de l'article 706-88 ». When a close candidate excepts the first hit's
        article and names an offence of the question that the first hit's scope does not, the exception answers."""
        if len(ranked) < 2 or not ranked[0].unit.article:
            return ranked
        first = ranked[0].unit
        for i, h in enumerate(ranked[1:EXCEPTION_DEPTH], start=1):
            if not any(first.article in referenced_articles(m.group(0)) for m in _EXCEPTION_RE.finditer(h.unit.text)):
                continue
            scope = set(tokenize(self.catalog.scope_text(first)))  # (only for the rare exception that names it)
            body = self._texts.of(h.unit)[0]
            if any(t in body and t not in scope and self.idf(t) >= EXCEPTION_MIN_IDF for t in content_terms(query)):
                return _promoted(ranked, i)
        return ranked

    def _polarity(self, unit: Unit, concept: str) -> bool | None:
        """Whether the unit speaks of a concept affirmatively (True), only in the negative (False), or not at all
        (computed once per unit and concept: it is on the path of every question in the negative)."""
        cache = self.__dict__.setdefault("_polarity_cache", {})
        key = (unit.unit_id, concept)
        if key not in cache:
            cache[key] = concept_polarity(self._texts.folded(unit), concept)
        return cache[key]

    def _pinned(self, query: str, hits: dict[str, Hit], with_abrogated: bool, analysis: QuestionAnalysis | None = None) -> list[Hit]:
        out = []
        refs = analysis.subjects if analysis is not None else referenced_articles(query)
        if POLE_RE.search(query) and self._names_a_tribunal(query):
            refs.append(POLE_TABLE_ARTICLE)  # "pôle de l'instruction de <tribunal>" is answered by the D15-4-4 table
        for ref in refs:
            units = self.catalog.units_for_article(ref)  # live first, then repealed blocks
            named_only_as_repealed = units and all(u.abrogated for u in units)
            for unit in units:
                if unit.abrogated and not (with_abrogated or named_only_as_repealed):
                    continue
                h = hits.setdefault(unit.unit_id, Hit(unit, 0.0))
                h.pinned = True
                out.append(h)
        return out


NAMED_FLOOR = 0.02  # fused score of a named article at least (a first lexical rank weighs about 1 / (60 + 1))
ENUMERATION_FACTOR = 0.45
QUALIFIER_CITER_FACTOR = 1.3
ACT_FACTOR = 1.25
REGIME_FACTOR = 1.15
POLARITY_FACTOR = 0.75
EXCEPTION_DEPTH = 3  # the candidates whose « à l'exception de l'article X » can displace X
EXCEPTION_MIN_IDF = 3.0  # an offence's word, not a common one
_EXCEPTION_RE = re.compile(r"à l'exception (?:de l'article|des articles) [^,.;:]{1,60}")
STAGE_DEPTH = 3  # the siblings among which the asked stage decides the first
DEFINITION_DEPTH = 3  # the candidates among which the article a definition question's first one refers to leads
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]{3,}\b")  # « SIROCCO », « GENESIS », « OFAC »
NAMED_THING_IDF = 6.0  # a term this rare among the passages (one or two units hold it)
NAMED_THING_DEPTH = 10  # the candidates among which the unit holding a rare name written in capitals leads
ANCHOR_DEPTH = 2  # the candidates among which a follow-up's previous section decides the first
REFERRED_DEPTH = 3  # the candidates among which the article a follow-up points back at (« ce décret ») leads
ANCHOR_OUTSIDE_FACTOR = 0.5  # … and the prior of the candidate from elsewhere it displaces
CIRCULAIRE_DEPTH = 3  # the candidates among which a circulaire section leads when the question names the circulaire
RECOURSE_DEPTH = 3  # the candidates among which one that speaks of a recourse displaces a first hit that does not
AUTHORITY_DEPTH = 3  # the candidates among which one naming who decides displaces a first hit that names no one
ACT_DEPTH = 4  # the candidates among which an article on the act asked displaces a circulaire or an offence list that is not
OWN_WORDS_DEPTH = 3  # the candidates among which a follow-up's own words can decide the first…
OWN_WORDS_FACTOR = 2.0  # … when a sibling holds them (idf-weighted) this much better than the first…
OWN_WORDS_MIN = 3.5  # … and at least this much (a distinctive word, or two common ones: « ordonnance », « appel »)
NEGATION_DEPTH = 3  # the first candidates among which one that affirms what the question negates goes last

CHROMA_PAGE = 10_000  # an unpaged get() of more than 32 766 rows exceeds SQLite's variable limit (evals/bench)


def _all_rows(collection: Collection) -> list[tuple[str, str, Any]]:
    """Every chunk of the collection (id, text, metadata), read page by page."""
    rows: list[tuple[str, str, Any]] = []
    offset = 0
    while True:
        got = collection.get(include=["documents", "metadatas"], limit=CHROMA_PAGE, offset=offset)
        rows += list(zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True))
        if len(got["ids"]) < CHROMA_PAGE:
            return rows
        offset += CHROMA_PAGE


POLE_RE = re.compile(r"\bp[ôo]le", re.I)
POLE_TABLE_ARTICLE = "D15-4-4"


def _promoted(ranked: list[Hit], i: int) -> list[Hit]:
    """``ranked`` with its ``i``-th hit first, at the first hit's score (the answer composer's prior follows the order)."""
    ranked[i].score = ranked[0].score
    return [ranked[i], *ranked[:i], *ranked[i + 1 :]]


def _live_before_repealed(hits: list[Hit]) -> list[Hit]:
    """A repealed block never outranks the live unit with the same number: move it just after that unit."""
    out: list[Hit] = []
    deferred: dict[str, list[Hit]] = defaultdict(list)
    live_numbers = {h.unit.article for h in hits if not h.unit.abrogated and h.unit.article}
    placed_live: set[str] = set()
    for h in hits:
        art = h.unit.article
        if h.unit.abrogated and art in live_numbers and art not in placed_live:
            deferred[art].append(h)
            continue
        out.append(h)
        if art and not h.unit.abrogated:
            placed_live.add(art)
            out.extend(deferred.pop(art, []))
    for rest in deferred.values():
        out.extend(rest)
    return out


class HybridRetriever(BaseRetriever):
    """LangChain retriever over ``HybridSearch``: documents are whole units with their citation metadata (document,
    article or section, version date, status) plus ``doc_title`` and ``reference``, the label to cite
    (« CPP, art. 706-88 (version en vigueur au 15/08/2022) »)."""

    engine: Any
    k: int = 8

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        docs = []
        for h in self.engine.search(query, k=self.k):
            doc = h.to_document()
            u, info = h.unit, self.engine.catalog.document(h.unit.doc_id)
            title = info.short_title if u.kind == "circulaire" else info.title
            citation = Citation(doc_id=u.doc_id, doc_title=title, kind=u.kind, article=u.article, section=u.section,
                                version_date=u.version_date, quote="", abrogated=u.abrogated, unverified=u.unverified)
            doc.metadata |= {"doc_title": title, "reference": citation.label()}
            docs.append(doc)
        return docs
