"""HTML and plain text of the chat: answers laid out from their structured fields, tool results, source cards.

An answer reads top-down: the « Réponse » (``summary``, else the first paragraph of ``answer``), the « Fondement »
(each quote of a source, followed by its pinpoint reference « CPP, art. 706-88, al. 6 (version en vigueur au
15/08/2022) »), « Voir aussi » (the articles the sources refer to, references only), the tool result once (steps folded),
then one folded card per source unit: the full text with the quoted passages ``<mark>``-ed. Nothing is parsed out of
the answer's text. Every HTML fragment is a single line: inside a Markdown message a blank line would end the HTML block.
Colours come from CSS variables with a light and a dark set (Gradio puts ``.dark`` on the page in a dark system theme).
"""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.answer import Answer, ToolUse
from assistant.catalog import Catalog
from assistant.models import Citation, Unit, format_date_fr
from assistant.tools.poles import de
from assistant.tools.router import tool_headline
from assistant.tools.rules import basis_ref
from assistant.tools.view import ToolView, tool_view
from assistant.verbatim import find_quote

CSS = """
:root, .light {
  --cpp-text: #0f172a; --cpp-muted: #475569; --cpp-border: #cbd5e1; --cpp-card-bg: #f8fafc; --cpp-mark-bg: #fde68a;
  --cpp-mark-text: #0f172a; --cpp-reponse-bg: #eff6ff; --cpp-reponse-border: #1d4ed8; --cpp-tool-bg: #f0f9ff;
  --cpp-banner-bg: #fff7ed; --cpp-banner-text: #7c2d12; --cpp-banner-border: #b45309; --cpp-error-bg: #fef2f2;
  --cpp-error-text: #7f1d1d; --cpp-ok-bg: #f0fdf4; --cpp-ok-text: #14532d; --cpp-link: #1d4ed8;
}
.dark {
  --cpp-text: #e2e8f0; --cpp-muted: #cbd5e1; --cpp-border: #475569; --cpp-card-bg: #1e293b; --cpp-mark-bg: #854d0e;
  --cpp-mark-text: #fef9c3; --cpp-reponse-bg: #172554; --cpp-reponse-border: #93c5fd; --cpp-tool-bg: #0c1e33;
  --cpp-banner-bg: #431407; --cpp-banner-text: #fed7aa; --cpp-banner-border: #fb923c; --cpp-error-bg: #450a0a;
  --cpp-error-text: #fecaca; --cpp-ok-bg: #052e16; --cpp-ok-text: #bbf7d0; --cpp-link: #93c5fd;
}
#cpp-chat .message-wrap .prose.chatbot.md { opacity: 1; }  /* Gradio dims messages to 0.8: below 4.5:1 for grey text */
#cpp-tabs button.selected { color: #1d4ed8; }  /* the accent (blue-500) is 3.7:1 on white */
.dark #cpp-tabs button.selected { color: #93c5fd; }
.cpp-answer { color: var(--cpp-text); }
.cpp-answer h2, .cpp-answer h3 { margin: 10px 0 4px 0; font-size: 1em; font-weight: 700; color: var(--cpp-text); }
.cpp-reponse { border-left: 5px solid var(--cpp-reponse-border); background: var(--cpp-reponse-bg); color: var(--cpp-text);
  padding: 8px 12px; border-radius: 6px; font-size: 1.05em; }
.cpp-reponse h2 { margin: 0 0 2px 0; }
.cpp-reponse p { margin: 0; }
.cpp-fondement ul, .cpp-voir ul { margin: 0; padding-left: 1.2em; }
.cpp-fondement li { margin: 2px 0 6px 0; }
.cpp-fondement details > summary { cursor: pointer; color: var(--cpp-link); margin: 2px 0; }
.cpp-ref { color: var(--cpp-muted); font-weight: 600; white-space: nowrap; }
.cpp-note { color: var(--cpp-muted); font-size: 0.92em; margin: 6px 0 0 0; }
.cpp-banner { border-left: 6px solid var(--cpp-banner-border); background: var(--cpp-banner-bg); color: var(--cpp-banner-text);
  padding: 10px 14px; margin: 0 0 10px 0; border-radius: 6px; font-weight: 600; }
.cpp-card { border: 1px solid var(--cpp-border); border-radius: 8px; margin: 6px 0; background: var(--cpp-card-bg); color: var(--cpp-text); }
.cpp-card > summary { cursor: pointer; padding: 6px 12px; font-weight: 600; list-style-position: inside; color: var(--cpp-text); }
.cpp-card[open] > summary { border-bottom: 1px solid var(--cpp-border); }
.cpp-card .cpp-card-body { padding: 8px 12px; font-size: 0.95em; }
.cpp-card .cpp-meta { color: var(--cpp-muted); margin: 2px 0; }
.cpp-card .cpp-path { color: var(--cpp-muted); font-style: italic; margin: 2px 0 8px 0; }
.cpp-card .cpp-text p { margin: 0 0 6px 0; }
.cpp-answer mark, .cpp-card mark { background: var(--cpp-mark-bg); color: var(--cpp-mark-text); padding: 0 2px; border-radius: 2px; }
.cpp-tool { border: 1px solid var(--cpp-border); background: var(--cpp-tool-bg); color: var(--cpp-text); border-radius: 8px;
  padding: 8px 12px; margin: 8px 0; }
.cpp-tool table { border-collapse: collapse; margin: 6px 0; color: var(--cpp-text); }
.cpp-tool td, .cpp-tool th { border: 1px solid var(--cpp-border); padding: 3px 6px; text-align: left; vertical-align: top;
  background: transparent; color: var(--cpp-text); }
.cpp-tool .cpp-main { font-weight: 700; }
.cpp-tool details > summary { cursor: pointer; font-weight: 600; }
.cpp-error { border-left: 6px solid #b91c1c; background: var(--cpp-error-bg); color: var(--cpp-error-text); padding: 8px 12px; border-radius: 6px; }
.cpp-ok { border-left: 6px solid #15803d; background: var(--cpp-ok-bg); color: var(--cpp-ok-text); padding: 8px 12px; border-radius: 6px; }
.cpp-actions { margin: 8px 0 0 0; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.cpp-copy { border: 1px solid var(--cpp-border); border-radius: 6px; padding: 2px 10px; background: var(--cpp-card-bg);
  color: var(--cpp-text); cursor: pointer; font: inherit; font-size: 0.92em; }
.cpp-copy-text { display: none; }
.cpp-rated { color: var(--cpp-ok-text); background: var(--cpp-ok-bg); border-radius: 6px; padding: 2px 8px; font-size: 0.92em; }
"""



def esc(text: str) -> str:
    return html.escape(text, quote=True)


# -- highlighting -------------------------------------------------------------------------------------


def quote_spans(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    """Where each quote occurs in ``text`` (whitespace-insensitive), merged and sorted."""
    spans = sorted(span for q in quotes if (span := find_quote(text, q)) is not None)
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def highlighted_paragraphs(unit: Unit, quotes: list[str]) -> tuple[str, bool]:
    """The unit's text as ``<p>`` paragraphs with the quotes marked; the flag says whether every quote was found."""
    text = unit.text
    spans = quote_spans(text, quotes)
    found_all = all(find_quote(text, q) for q in quotes if q.split())
    out: list[str] = []
    pos = 0
    for s, e in spans:
        out.append(esc(text[pos:s]))
        out.append("<mark>" + esc(text[s:e]) + "</mark>")
        pos = e
    out.append(esc(text[pos:]))
    marked = "".join(out)
    # Paragraphs are separated by blank lines in Unit.text; a <mark> never spans two of them in practice, but close
    # and reopen it if it does so the HTML stays well formed.
    paragraphs = []
    open_mark = False
    for para in marked.split("\n\n"):
        body = ("<mark>" if open_mark else "") + para
        opens, closes = body.count("<mark>"), body.count("</mark>")
        open_mark = opens > closes
        if open_mark:
            body += "</mark>"
        paragraphs.append("<p>" + body.replace("\n", "<br>") + "</p>")
    return "".join(paragraphs), found_all


# -- references ------------------------------------------------------------------------------------------


def reference(c: Citation) -> str:
    """The pinpoint reference of a citation: ``Citation.label`` (« CPP, art. 706-88, al. 6 (version en vigueur au
    15/08/2022) », « code pénal, art. 324-1 (hors du corpus) », « Circulaire du 5 mars 2025 …, § 1.1 »)."""
    return c.label()


def unit_label(c: Citation) -> str:
    """The name of a whole unit (no alinéa): the title of its card."""
    return reference(Citation(**{**c.to_dict(), "alinea": None, "hierarchy": tuple(c.hierarchy)}))


def _sources(answer: Answer) -> list[Citation]:
    """The quoted passages under « Fondement »: every source but the one the « Réponse » already quotes."""
    sources = [c for c in answer.citations if c.role == "source"]
    if sources and answer.summary and sources[0].quote and sources[0].quote in answer.summary:
        return sources[1:]
    return sources


def _renvois(answer: Answer) -> list[Citation]:
    """The referred-to articles, once each, in order."""
    seen: dict[str, Citation] = {}
    for c in answer.citations:
        if c.role == "renvoi":
            seen.setdefault(reference(c), c)
    return list(seen.values())


# -- source cards ------------------------------------------------------------------------------------------


def _version(date: str | None) -> str:
    return f"version en vigueur au {format_date_fr(date)}" if date else "date de version non précisée"


def citation_card(citations: list[Citation], catalog: Catalog | None, open_: bool = False) -> str:
    """One card for one unit (all the quotes the answer takes from it), folded: the full text, passages marked."""
    c = citations[0]
    unit = _unit(catalog, c.unit_id)
    summary = esc(unit_label(c))  # the label already says « abrogé », « non vérifié », « hors du corpus »
    meta = [f'<div class="cpp-meta"><b>Document :</b> {esc(c.doc_title)}</div>']
    if c.section and not c.article:
        meta.append(f'<div class="cpp-meta"><b>Section :</b> {esc(c.section)}</div>')
    meta.append(f'<div class="cpp-meta"><b>Version :</b> {esc(_version(c.version_date))}</div>')
    if c.hierarchy:
        meta.append(f'<div class="cpp-path">{esc(" › ".join(c.hierarchy))}</div>')
    quotes = [x.quote for x in citations if x.quote]
    if unit is not None:
        body, found = highlighted_paragraphs(unit, quotes)
        if not found and quotes:
            body = "".join(f"<p><mark>{esc(q)}</mark></p>" for q in quotes) + "<p><i>Texte intégral :</i></p>" + body
    else:
        intro = "Passage qui mentionne cet article :" if not c.in_corpus else "Passage cité :"
        body = f"<p><i>{intro}</i></p>" + "".join(f"<p><mark>{esc(q)}</mark></p>" for q in quotes)
    return (
        f'<details class="cpp-card"{" open" if open_ else ""}><summary>{summary}</summary>'
        f'<div class="cpp-card-body">{"".join(meta)}<div class="cpp-text">{body}</div></div></details>'
    )


def source_cards(citations: list[Citation], catalog: Catalog | None) -> str:
    """One card per source unit (grouping every quote taken from it)."""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        if c.role == "source":
            groups.setdefault(c.unit_id or f"{c.doc_id}:{c.article or c.section}", []).append(c)
    if not groups:
        return ""
    return '<h3 class="cpp-sources-title">Textes intégraux (passages cités surlignés)</h3>' + "".join(
        citation_card(g, catalog) for g in groups.values()
    )


# -- tool results ------------------------------------------------------------------------------------------


def _de_b(name: str) -> str:
    """« de <b>Agen</b> » → « d'<b>Agen</b> » : the French elision, with the name in bold."""
    prep = de(name)[: -len(name)] if de(name).endswith(name) else "de "
    return f"{esc(prep)}<b>{esc(name)}</b>"


def _basis_html(v: ToolView, quotes: bool = True) -> str:
    """The legal basis of a tool result: quotes with references (forms), or references only (in an answer, whose
    « Fondement » already quotes them)."""
    if not quotes:
        return f"<div><b>Texte :</b> {esc(v.refs)}</div>" if v.refs else ""
    items = "".join(f"<li>« {esc(b.get('quote', ''))} » — {esc(basis_ref(b))}</li>" for b in v.basis)
    return f"<div><b>Fondement :</b><ul>{items}</ul></div>" if items else ""


def tool_result_html(name: str, result: dict[str, Any], quotes: bool = True) -> str:
    """A tool result as a card: the pôle, the juridictions, or the deadlines with the steps of the computation (folded)."""
    v = tool_view(name, result)
    if name == "pole-instruction":
        if v.tribunal is not None:
            head = (
                f"Tribunal judiciaire {_de_b(v.tribunal)} → pôle de l'instruction {_de_b(v.pole)} "
                f"(cour d'appel {esc(de(v.cour_appel))})"
            )
        else:
            head = f"Pôle de l'instruction {_de_b(v.pole)} (cour d'appel {esc(de(v.cour_appel))}) : " + esc(", ".join(v.tribunaux))
        return f'<div class="cpp-tool"><div class="cpp-main">{head}</div>{_basis_html(v, quotes)}</div>'
    if name == "delai":
        return _delai_html(v, quotes)
    if name == "juridiction-specialisee":
        rows = "".join(
            f"<tr><td><b>{esc(a.authorities)}</b></td><td>{esc(a.nature_label)}</td><td>{esc(a.role)}</td><td>{esc(a.detail)}</td></tr>"
            for a in v.authorities
        )
        return (
            f'<div class="cpp-tool"><div class="cpp-main">{esc(v.label)}</div><p>{esc(v.summary)}</p>'
            f"<table><tr><th>Juridiction</th><th>Compétence</th><th>Rôle</th><th>Précisions</th></tr>{rows}</table>"
            f"{_basis_html(v, quotes)}</div>"
        )
    return ""


def _delai_html(v: ToolView, quotes: bool = True) -> str:
    parts = [f'<div class="cpp-main">{esc(v.label)}</div>']
    if v.start:
        parts.append(f"<div>{esc(v.start)}</div>")
    if v.main is not None:
        parts.append(f'<div class="cpp-main">➜ {esc(v.main.label)} : {esc(v.main.when)}</div>')
    rows = "".join(
        f"<tr><td>{esc(d.labelled)}</td><td>{esc(d.kind_label)}</td><td>{esc(d.display)}</td><td>{esc(d.refs)}</td></tr>"
        for d in v.deadlines
    )
    if rows:
        parts.append(f"<table><tr><th>Échéance</th><th>Nature</th><th>Date</th><th>Texte</th></tr>{rows}</table>")
    if v.warnings:
        parts.append("<div><b>Points d'attention :</b><ul>" + "".join(f"<li>{esc(w)}</li>" for w in v.warnings) + "</ul></div>")
    if v.steps:
        parts.append("<details><summary>Étapes du calcul</summary><ol>" + "".join(f"<li>{esc(s)}</li>" for s in v.steps) + "</ol></details>")
    parts.append(_basis_html(v, quotes))
    return f'<div class="cpp-tool">{"".join(parts)}</div>'


# -- whole answers -------------------------------------------------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_MD_LINE_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?=\S))", re.M)
_TAG = re.compile(r"<[^>\n]+>")


def markdown_to_text(markdown: str) -> str:
    """Markdown (and stray HTML) as plain text: no ``**``, ``#``, ``>``, links or tags; paragraphs kept."""
    text = _TAG.sub("", markdown)
    text = _MD_LINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis (« ***x*** »)
        text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_LINE_PREFIX.sub("", text)
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()


def headline(answer: Answer) -> str:
    """The « Réponse » line: ``summary`` when the answer engine gives one; else the result of the tool the answer
    used (a dated deadline, a pôle), with its legal basis; else the answer's first paragraph that is not a lead-in."""
    if answer.summary:
        return answer.summary.strip()
    if not answer.refused:
        for t in answer.tool_calls:
            line = tool_headline(t.name, t.result)
            if line:
                return line
    paragraphs = [markdown_to_text(p) for p in re.split(r"\n\s*\n", answer.answer.strip())]
    paragraphs = [p for p in paragraphs if p]
    for p in paragraphs:
        if not p.endswith(":"):
            return p
    return paragraphs[0] if paragraphs else ""


REFUSAL_BANNER = "Pas de réponse dans le corpus : l'assistant ne répond pas sans texte à l'appui."
DEGRADED_PREFIX = "Réponse calculée en mode dégradé"
FONDEMENT_SHOWN = 3  # quotes shown under « Fondement »; the others are one click away


def answer_html(answer: Answer, catalog: Catalog | None, actions: str = "") -> str:
    """The chat message of an answer, from its structured fields: Réponse, Fondement, Voir aussi, tool result (once),
    source cards (once per unit), then ``actions`` (copy button, rating confirmation)."""
    parts = ['<div class="cpp-answer">']
    if answer.refused:
        parts.append(f'<div class="cpp-banner">⚠️ {esc(REFUSAL_BANNER)}</div>')
    if answer.degraded:
        parts.append(f'<p class="cpp-note">{esc(DEGRADED_PREFIX)} : {esc(answer.degraded)}</p>')
    first = headline(answer)
    if first:
        parts.append(f'<div class="cpp-reponse"><h2>Réponse</h2><p>{esc(first)}</p></div>')
    sources = _sources(answer)
    quoted = [f"<li>« {esc(c.quote)} » <span class=\"cpp-ref\">— {esc(reference(c))}</span></li>" for c in sources if c.quote]
    if quoted:
        more = quoted[FONDEMENT_SHOWN:]
        folded = (
            f"<details><summary>{len(more)} autre{'s' if len(more) > 1 else ''} passage{'s' if len(more) > 1 else ''} cité{'s' if len(more) > 1 else ''}</summary>"
            f"<ul>{''.join(more)}</ul></details>" if more else ""
        )
        parts.append(f'<div class="cpp-fondement"><h3>Fondement</h3><ul>{"".join(quoted[:FONDEMENT_SHOWN])}</ul>{folded}</div>')
    renvois = _renvois(answer)
    if renvois:
        parts.append('<div class="cpp-voir"><h3>Voir aussi</h3><ul>' + "".join(f"<li>{esc(reference(c))}</li>" for c in renvois) + "</ul></div>")
    for t in answer.tool_calls:
        card = tool_result_html(t.name, t.result, quotes=not sources)
        if card:
            parts.append(f'<details class="cpp-card cpp-tool-card"><summary>{esc(tool_view(t.name, t.result).title)}</summary><div class="cpp-card-body">{card}</div></details>')
    parts.append(source_cards(answer.citations, catalog))
    parts.append(actions)
    parts.append("</div>")
    return "".join(parts)


def answer_text(answer: Answer) -> str:
    """The answer as clean text for a note or a procès-verbal: Réponse, quotes with their references, Voir aussi, the
    tool's result. No Markdown, no HTML."""
    lines = []
    if answer.refused:
        lines += [REFUSAL_BANNER, ""]
    first = headline(answer)
    if first:
        lines.append(f"Réponse : {first}")
    sources = [c for c in _sources(answer) if c.quote]
    if sources:
        lines += ["", "Fondement :"] + [f"- « {c.quote} » ({reference(c)})" for c in sources]
    renvois = _renvois(answer)
    if renvois:
        lines += ["", "Voir aussi : " + " ; ".join(reference(c) for c in renvois)]
    for t in answer.tool_calls:
        lines += ["", *tool_text(t)]
    return "\n".join(lines).strip()


def tool_text(t: ToolUse) -> list[str]:
    """A tool result as plain lines (copy and export)."""
    v = tool_view(t.name, t.result)
    out = [v.title]
    if t.name == "delai":
        if v.start:
            out.append(v.start)
        out += [f"- {d.label} : {d.when}" for d in v.deadlines]
        out += [f"Attention : {w}" for w in v.warnings]
    elif t.name == "juridiction-specialisee":
        out += [f"- {a.authorities} ({a.nature_label}) : {a.role}" for a in v.authorities]
    if v.refs:
        out.append("Texte : " + v.refs)
    return out


def error_html(message: str) -> str:
    return f'<div class="cpp-error">{esc(message)}</div>'


def ok_html(inner_html: str) -> str:
    return f'<div class="cpp-ok">{inner_html}</div>'


def _unit(catalog: Catalog | None, unit_id: str) -> Unit | None:
    if catalog is None or not unit_id:
        return None
    try:
        return catalog.unit(unit_id)
    except KeyError:
        return None
