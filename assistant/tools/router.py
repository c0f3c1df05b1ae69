"""Deterministic router of the default (no-LLM) mode: recognise a tool question in French, and summarise a result.

``route`` only answers when the question *asks for what a tool computes* (the question analysis says which kind
of answer is asked) and it is confident (one tribunal, one rule and one dated event, one matter); otherwise it
returns None and the chain answers by retrieval. A compétence word in a question about something else (« peut-on
saisir le JLD… », « ce délit relève-t-il de l'article 706-73-1 ? ») never fires a tool.
``describe_result`` writes the French Markdown summary, ``tool_headline`` the « Réponse » line, both from ``view.tool_view``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.analysis import RECOURSE, QuestionAnalysis, analyze
from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.french import expand_abbreviations, with_abroad
from assistant.text import fold
from assistant.tools import DELAI, JURIDICTION_SPECIALISEE, POLE_INSTRUCTION
from assistant.tools.competence import find_matter
from assistant.tools.dates import has_clock_time, search_dates_fr
from assistant.tools.poles import city_keys, de
from assistant.tools.rules import DelaiRule, load_delai_rules
from assistant.tools.view import ToolView, tool_view


@dataclass(frozen=True)
class ToolCall:
    """A tool to run and its arguments (the shape of ``tool_calls`` in the API)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


# Specialised pôles that are matters of ``juridiction-specialisee``, not the pôle de l'instruction of D15-4-4.
_SPECIALISED_POLE = re.compile(
    r"sante publique|accidents? collectifs?|environnement|economique|financier|cold case|crimes? seriels?|"
    r"antiterroriste|terroris|jirs|junalco"
)
_REVERSE_POLE = re.compile(
    r"\b(?:quels|quelles|liste[rz]?|lesquels|combien)\b.*\b(?:tribunaux|tj|juridictions)\b|"
    r"\btribunaux\b.*\b(?:relev|rattach|couvert|depend|compris|ressort)|\bressort du pole\b|\bcouvre\b"
)
_STAGES = (
    (re.compile(r"application des peines|\bjap\b|\btap\b|amenagement de peine|apres (?:sa )?condamnation"), "application_des_peines"),
    (re.compile(r"\bmandat d arret europeen\b|\bmae\b|\bextradition\b"), "entraide"),
    (re.compile(r"\binstruction\b|\binformation judiciaire\b|\bjuge d instruction\b"), "instruction"),
    (re.compile(r"\bjugement\b|\bjuger\b|\bjuge(?:s|e)?\b(?! d)|\bcour d assises\b|\btribunal correctionnel\b"), "jugement"),
    (re.compile(r"\benquete\b"), "enquete"),
)
# « quelle juridiction peut être saisie ? »: a court seized of a case, not the seizure of assets (matter « saisie »)
_SEIZED_COURT = re.compile(r"\b(?:etre|est|sont|soit|sera|seront|etait|a ete|ont ete) saisie?s?\b|\bse saisir\b")
_NO_CONSENT = re.compile(r"ne consent (?:pas|plus)|ne pas consent|n a pas consenti|sans (?:son )?consentement|refus\w*|s oppos\w*|pas de consentement")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# Facts of the question that select an option of the rule (first match wins for each option).
_OPTION_HINTS: tuple[tuple[str, object, re.Pattern[str]], ...] = (
    ("obligation", "changement-adresse", re.compile(r"demenag|changement d adresse|nouvelle adresse")),
    ("obligation", "deplacement", re.compile(r"deplacement|voyage|se rendre a l etranger")),
    ("saisie", "immobiliere", re.compile(r"immobili|maison|appartement|immeuble|terrain")),
    ("saisie", "compte", re.compile(r"\bcompte|bancaire")),
    ("saisie", "incorporels", re.compile(r"incorporel|creance|parts sociales|contrat d assurance")),
    ("saisie", "patrimoine", re.compile(r"patrimoine")),
    ("nouvelle_date", True, re.compile(r"nouvelle date|force majeure")),
    ("nouvelle_date", False, re.compile(r"definiti|notifi")),
    ("detenu", True, re.compile(r"\bdetenue?s?\b|en detention")),
    ("matiere", "criminelle", re.compile(r"matiere criminelle|\bcrime\b")),
    ("matiere", "correctionnelle", re.compile(r"matiere correctionnelle|\bdelit\b")),
)
# Which procedural step a date refers to, for rules whose option « etape » chooses the starting event.
_ETAPE_HINTS = (
    ("reception-dossier", re.compile(r"reception du dossier|dossier (?:est |a ete )?recu")),
    ("notification", re.compile(r"\bnotifi")),
    ("signification", re.compile(r"\bsignifi")),
    ("avis", re.compile(r"\bavis(?:e|ee|es|ees)?\b")),
)


def _contains(folded: str, keyword: str) -> bool:
    """A keyword (folded) at a word start of the folded question: a prefix (« présent » ⊂ « présentée »), or a
    whole word for short keywords (« mae », « civi », « dee » must not match « civile »)."""
    key = fold(keyword)
    tail = r"(?![a-z0-9])" if len(key) <= 4 else ""
    return re.search(r"(?<![a-z0-9])" + re.escape(key) + tail, folded) is not None


def _cities_in(folded: str, names: dict[str, str]) -> list[str]:
    """Canonical names (values of ``names``, keyed by city key) found as whole words, longest first, no overlap."""
    found: list[tuple[int, int, str]] = []
    padded = f" {folded} "
    for key, name in names.items():
        for m in re.finditer(rf"(?<= ){re.escape(key)}(?= )", padded):
            found.append((m.start(), m.end(), name))
    found.sort(key=lambda t: t[0] - t[1])
    kept: list[tuple[int, int, str]] = []
    for s, e, name in found:
        if all(e <= ks or s >= ke for ks, ke, _ in kept):
            kept.append((s, e, name))
    return list(dict.fromkeys(name for _, _, name in sorted(kept)))


def _route_pole(folded: str, catalog: Catalog) -> ToolCall | None:
    if not re.search(r"\bpoles?\b", folded) or _SPECIALISED_POLE.search(folded):
        return None
    if _REVERSE_POLE.search(folded):
        seats = _cities_in(folded, {k: p.siege for p in catalog.poles for k in city_keys(p.siege)})
        if len(seats) == 1:
            return ToolCall(POLE_INSTRUCTION, {"pole": seats[0]})
        return None
    tribunaux = _cities_in(folded, {k: t for p in catalog.poles for t in p.tribunaux for k in city_keys(t)})
    if len(tribunaux) == 1:
        return ToolCall(POLE_INSTRUCTION, {"tribunal": tribunaux[0]})
    if not tribunaux:
        # « Quel est le pôle de l'instruction du TJ de Pontarlier ? » : let the tool answer that the name is absent.
        # (« le tribunal qui n'a pas de pôle » names no tribunal)
        m = re.search(r"\b(?:tj|tribunal judiciaire|tribunal)\s+(?:de la |de l |du |des |de |d )?"
                      r"(?!(?:qui|ou|dont|que|qu|ne|n|sans|dans|ayant|saisi|competent|concerne|voisin|le plus|tribunal)\b)([a-z][a-z ]{1,40}?)\s*$", folded)
        if m:
            return ToolCall(POLE_INSTRUCTION, {"tribunal": m.group(1).strip().title()})
    return None


def _rule_matches(rule: DelaiRule, folded: str) -> tuple[int, int]:
    """(keyword groups matched, keywords matched); (0, 0) when a group, or a negative « ! » group, fails."""
    if not rule.keywords:
        return (0, 0)
    groups = hits = 0
    for group in rule.keywords:
        negatives = [k[1:] for k in group if k.startswith("!")]
        positives = [k for k in group if not k.startswith("!")]
        if any(_contains(folded, k) for k in negatives):
            return (0, 0)
        if positives:
            matched = sum(_contains(folded, k) for k in positives)
            if not matched:
                return (0, 0)
            groups += 1
            hits += matched
    return (groups, hits)


def _keywords_found(rule: DelaiRule, folded: str) -> int:
    """How many of the rule's (positive) keywords a text holds, whichever group they belong to."""
    return sum(_contains(folded, k) for group in rule.keywords for k in group if not k.startswith("!")) if folded else 0


def _best_rule(folded: str, own: str = "") -> DelaiRule | None:
    """The délai rule whose keywords the question matches best, if one stands out. ``own``: a follow-up's own words
    (folded), whose keywords count first: « Et s'il consent, la chambre statue en combien de temps ? » after a
    question on the presentation to the procureur général asks the chambre's délai, not the presentation's again."""
    # A question that asks the délai of a recourse (« le parquet peut contester dans quel délai ? ») is not asking how
    # long a measure lasts: a rule that speaks of no recourse does not answer it.
    recourse = bool(RECOURSE.search(folded))
    scored = [
        (((m := _rule_matches(r, folded))[0], _keywords_found(r, own), m[1]), r) for r in load_delai_rules().values()
        if not recourse or RECOURSE.search(fold(f"{r.label} {r.summary}"))
    ]
    scored.sort(key=lambda t: t[0], reverse=True)
    scored = [(s, r) for s, r in scored if s[0] > 0]
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def rule_for(question: str, own: str = "") -> DelaiRule | None:
    """The délai rule a question is about, even without a date to compute from (its basis then guides retrieval).
    ``own``: a follow-up's own words, when ``question`` is the follow-up made self-contained."""
    return _best_rule(fold(expand_abbreviations(question)), fold(expand_abbreviations(own)) if own else "")


def _route_delai(question: str, folded: str, analysis: QuestionAnalysis) -> ToolCall | None:
    """A dated deadline: a question that gives the date a délai runs from (« Entre quelles dates… ? », « peut-elle
    encore saisir la CIVI ? »), never one that asks who, which court, or the text of an article."""
    if analysis.kind in ("text", "status", "list", "penalty", "definition", "competence", "authority"):
        return None
    rule = _best_rule(folded)
    if rule is None or not rule.needs_start:
        return None
    found = [(text, dt) for text, dt in search_dates_fr(question) if _YEAR.search(text)]
    # Not confident when the question holds several dated events, or dates dateparser did not all recognise.
    if len(found) != 1 or len(_YEAR.findall(question)) != 1:
        return None
    text, dt = found[0]
    has_time = has_clock_time(text)
    if rule.needs_time and not has_time:
        return None
    args: dict[str, Any] = {"rule": rule.id, "start": f"{dt:%Y-%m-%dT%H:%M}" if has_time else f"{dt:%Y-%m-%d}"}
    etape = rule.option("etape")
    if etape is not None:
        choices = {c for c, _ in etape.choices}
        for step, pattern in _ETAPE_HINTS:
            if step in choices and pattern.search(folded):
                args["etape"] = step
                break
    for name, hint, pattern in _OPTION_HINTS:
        option = rule.option(name)
        if option is not None and name not in args and pattern.search(folded):
            if option.type == "bool" or hint in {c for c, _ in option.choices}:
                args[name] = hint
    args.update(known_case(rule, folded))
    return ToolCall(DELAI, args)


def known_case(rule: DelaiRule, folded: str, own: str = "") -> dict[str, object]:
    """The options of ``rule`` that the (folded) question settles: « refuse son extradition devant le PG » is consent
    false. A follow-up's own words (``own``, folded) first: « Et s'il consent ? » after a refusal is consent true."""
    if rule.option("consent") is not None:
        for text in (own, folded):
            if _NO_CONSENT.search(text):
                return {"consent": False}
            if _contains(text, "consent"):
                return {"consent": True}
    return {}


def _route_competence(folded: str, analysis: QuestionAnalysis) -> ToolCall | None:
    """Which courts or prosecutors are competent for a matter: only for a question that asks exactly that."""
    if analysis.kind != "competence":
        return None
    try:
        matter = find_matter(_SEIZED_COURT.sub(" ", folded))
    except InvalidToolInputError:
        return None
    args: dict[str, Any] = {"matter": matter.id}
    if re.search(r"\bmineurs?\b", folded):
        args["minor"] = True
    stages_of_matter = {s for a in matter.authorities for s in a.stages}
    for pattern, stage in _STAGES:
        if pattern.search(folded) and stage in stages_of_matter:
            args["stage"] = stage
            break
    return ToolCall(JURIDICTION_SPECIALISEE, args)


def route(question: str, catalog: Catalog, analysis: QuestionAnalysis | None = None) -> ToolCall | None:
    """The tool call a French question asks for, or None when it asks for something else or is ambiguous."""
    if not question or len(question) > 2000:
        return None
    analysis = analysis or analyze(question)
    if analysis.kind in ("text", "status", "list"):
        return None  # the text of an article, its status or the offences a list holds: retrieval answers
    folded = fold(expand_abbreviations(question))
    # A matter is looked for in the magistrate's own words (« PNAT » must not become a five-word synonym that wins),
    # a place abroad read as « à l'étranger ».
    return _route_pole(folded, catalog) or _route_delai(question, folded, analysis) or _route_competence(fold(with_abroad(question)), analysis)


def route_follow_up(question: str, previous: str, catalog: Catalog) -> ToolCall | None:
    """« Et pour Mamoudzou ? » after a pôle question: the same tool with the follow-up's tribunal."""
    before = route(previous, catalog)
    if before is None or before.name != POLE_INSTRUCTION or "tribunal" not in before.arguments:
        return None
    tribunaux = _cities_in(fold(question), {k: t for p in catalog.poles for t in p.tribunaux for k in city_keys(t)})
    return ToolCall(POLE_INSTRUCTION, {"tribunal": tribunaux[0]}) if len(tribunaux) == 1 else None


# -- summaries (laid out from ``view.tool_view``) -------------------------------------------------------------


def tool_headline(name: str, result: dict[str, Any]) -> str:
    """The main result of a tool as one plain sentence with its references (the « Réponse » line), or "" when it has
    no single main result (a table of competent courts, several deadlines)."""
    v = tool_view(name, result)
    if name == DELAI and v.main is not None:
        where = v.main.refs or v.refs  # the deadline's own basis when it has one
        return f"{v.main.label} : {v.main.when}" + (f" ({where})" if where else "") + "."
    if name == POLE_INSTRUCTION and v.tribunal:
        return (f"Le pôle de l'instruction compétent pour le tribunal judiciaire {de(v.tribunal)} est celui "
                f"{de(v.pole)} (cour d'appel {de(v.cour_appel)})" + (f" — {v.refs}" if v.refs else "") + ".")
    if name == JURIDICTION_SPECIALISEE and v.summary:
        return v.summary
    return ""


def describe_result(call: ToolCall, result: dict[str, Any]) -> str:
    """A short French Markdown summary of a tool result, with its legal basis (« CPP, art. 706-88 »)."""
    v = tool_view(call.name, result)
    if call.name == POLE_INSTRUCTION:
        if v.tribunal is not None:
            return (
                f"Le tribunal judiciaire {de(v.tribunal)} relève du **pôle de l'instruction {de(v.pole)}** "
                f"(cour d'appel {de(v.cour_appel)}). Source : {v.refs}."
            )
        return (
            f"Le **pôle de l'instruction {de(v.pole)}** (cour d'appel {de(v.cour_appel)}) couvre le ressort "
            f"des tribunaux judiciaires suivants : {', '.join(v.tribunaux)}. Source : {v.refs}."
        )
    if call.name == DELAI:
        return _describe_delai(v)
    if call.name == JURIDICTION_SPECIALISEE:
        lines = [f"**{v.label}**", "", v.summary, ""]
        lines += [f"- **{a.authorities}** — {a.nature_label} ({a.role}). {a.detail} ({a.refs})" for a in v.authorities]
        if v.notes:
            lines += [""] + [f"- {n}" for n in v.notes]
        return "\n".join(lines)
    return ""


def _describe_delai(v: ToolView) -> str:
    lines = [f"**{v.label}**"]
    if v.start:
        lines.append(f"{v.start}.")
    if v.main is not None:
        lines.append(f"**{v.main.label}** : {v.main.kind_label} le **{v.main.display}** ({v.main.refs}).")
    if v.others:
        lines.append("")
        lines.append("Échéances :" if v.main is None else "Autres échéances :")
        lines += [f"- {d.labelled} : {d.when} ({d.refs})" for d in v.others]
    if v.steps:
        lines += ["", "Calcul :"] + [f"- {s}" for s in v.steps]
    if v.warnings:
        lines += ["", "Points d'attention :"] + [f"- {w}" for w in v.warnings]
    lines += ["", f"Fondement : {v.refs}."]
    return "\n".join(lines)


__all__ = ["ToolCall", "route", "route_follow_up", "describe_result", "tool_headline"]
