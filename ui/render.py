"""HTML of the chat: answers with their citation cards, the refusal banner, tool results. Pure functions, French text.

Cards are ``<details>`` elements: the summary names the source (« CPP, art. 706-88-1 (version en vigueur au …) »),
the body gives the document, heading path, version date and the full text of the unit with the quoted passages
``<mark>``-ed. Every HTML fragment is a single line: inside a Markdown message a blank line would end the HTML block.
"""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.answer import Answer
from assistant.catalog import Catalog
from assistant.models import Citation, Unit, format_date_fr
from assistant.tools.poles import de
from assistant.tools.rules import basis_ref

CSS = """
.cpp-banner { border-left: 6px solid #b45309; background: #fff7ed; color: #7c2d12; padding: 10px 14px; margin: 0 0 10px 0;
  border-radius: 6px; font-weight: 600; }
.cpp-sources-title { font-weight: 700; margin: 12px 0 6px 0; }
.cpp-card { border: 1px solid #cbd5e1; border-radius: 8px; margin: 6px 0; background: #f8fafc; color: #0f172a; }
.cpp-card > summary { cursor: pointer; padding: 8px 12px; font-weight: 600; list-style-position: inside; }
.cpp-card[open] > summary { border-bottom: 1px solid #cbd5e1; }
.cpp-card .cpp-card-body { padding: 8px 12px; font-size: 0.95em; }
.cpp-card .cpp-meta { color: #334155; margin: 2px 0; }
.cpp-card .cpp-path { color: #475569; font-style: italic; margin: 2px 0 8px 0; }
.cpp-card .cpp-text p { margin: 0 0 6px 0; }
.cpp-card mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 2px; }
.cpp-renvoi > summary { font-weight: 500; }
.cpp-tool { border: 1px solid #93c5fd; background: #eff6ff; color: #0f172a; border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
.cpp-tool table { border-collapse: collapse; margin: 6px 0; }
.cpp-tool td, .cpp-tool th { border: 1px solid #bfdbfe; padding: 3px 6px; text-align: left; vertical-align: top; }
.cpp-tool .cpp-main { font-weight: 700; }
.cpp-error { border-left: 6px solid #b91c1c; background: #fef2f2; color: #7f1d1d; padding: 8px 12px; border-radius: 6px; }
.cpp-ok { border-left: 6px solid #15803d; background: #f0fdf4; color: #14532d; padding: 8px 12px; border-radius: 6px; }
"""

REFUSAL_BANNER = "Pas de réponse dans le corpus : l'assistant ne répond pas sans texte à l'appui."


def esc(text: str) -> str:
    return html.escape(text, quote=True)


# -- highlighting -------------------------------------------------------------------------------------


def quote_spans(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    """Where each quote occurs in ``text`` (whitespace-insensitive), merged and sorted."""
    spans: list[tuple[int, int]] = []
    for q in quotes:
        words = q.split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        m = re.search(pattern, text)
        if m:
            spans.append((m.start(), m.end()))
    spans.sort()
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
    found_all = all(quote_spans(text, [q]) for q in quotes if q.split())
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


# -- citation cards -------------------------------------------------------------------------------------


def _version(date: str | None) -> str:
    return f"version en vigueur au {format_date_fr(date)}" if date else "date de version non précisée"


def citation_card(citations: list[Citation], catalog: Catalog | None, open_: bool = False) -> str:
    """One card for one unit (all the quotes the answer takes from it)."""
    c = citations[0]
    unit = _unit(catalog, c.unit_id)
    classes = "cpp-card" + (" cpp-renvoi" if c.role == "renvoi" else "")
    summary = esc(c.label())  # the label already says « abrogé », « non vérifié », « hors du corpus »
    meta = [f'<div class="cpp-meta"><b>Document :</b> {esc(c.doc_title)}</div>']
    where = f"article {c.article}" if c.article else (f"section {c.section}" if c.section else "")
    if where:
        meta.append(f'<div class="cpp-meta"><b>{"Article" if c.article else "Section"} :</b> {esc(where.split(" ", 1)[1])}</div>')
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
        f'<details class="{classes}"{" open" if open_ else ""}><summary>{summary}</summary>'
        f'<div class="cpp-card-body">{"".join(meta)}<div class="cpp-text">{body}</div></div></details>'
    )


def citation_cards(citations: list[Citation], catalog: Catalog | None) -> str:
    """Cards of the sources (grouped by unit), then of the articles they refer to."""
    groups: dict[tuple[str, str], list[Citation]] = {}
    for c in citations:
        key = (c.role, c.unit_id or f"{c.doc_id}:{c.article or c.section}")
        groups.setdefault(key, []).append(c)
    sources = [g for (role, _), g in groups.items() if role == "source"]
    renvois = [g for (role, _), g in groups.items() if role == "renvoi"]
    out = []
    if sources:
        out.append('<div class="cpp-sources-title">Sources citées (ouvrir pour lire le texte intégral, passages surlignés)</div>')
        out += [citation_card(g, catalog) for g in sources]
    if renvois:
        out.append('<div class="cpp-sources-title">Articles mentionnés dans les passages cités</div>')
        out += [citation_card(g, catalog) for g in renvois]
    return "".join(out)


# -- tool results ------------------------------------------------------------------------------------------


def _de_b(name: str) -> str:
    """« de <b>Agen</b> » → « d'<b>Agen</b> » : the French elision, with the name in bold."""
    prep = de(name)[: -len(name)] if de(name).endswith(name) else "de "
    return f"{esc(prep)}<b>{esc(name)}</b>"


def _basis_html(basis: list[dict[str, Any]]) -> str:
    items = "".join(f"<li>« {esc(b.get('quote', ''))} » — {esc(basis_ref(b))}</li>" for b in basis)
    return f"<div><b>Fondement :</b><ul>{items}</ul></div>" if items else ""


def tool_result_html(name: str, result: dict[str, Any]) -> str:
    """A tool result as a card: the pôle, the juridictions, or the deadlines with the steps of the computation."""
    if name == "pole-instruction":
        if "tribunal" in result:
            head = (
                f"Tribunal judiciaire {_de_b(result['tribunal'])} → pôle de l'instruction {_de_b(result['pole'])} "
                f"(cour d'appel {esc(de(result['cour_appel']))})"
            )
        else:
            head = (
                f"Pôle de l'instruction {_de_b(result['pole'])} (cour d'appel {esc(de(result['cour_appel']))}) : "
                + esc(", ".join(result.get("tribunaux", [])))
            )
        return f'<div class="cpp-tool"><div class="cpp-main">{head}</div>{_basis_html(result.get("basis", []))}</div>'
    if name == "delai":
        return _delai_html(result)
    if name == "juridiction-specialisee":
        rows = "".join(
            f"<tr><td><b>{esc(a['authorities'])}</b></td><td>{esc(a['nature_label'])}</td><td>{esc(a['role'])}</td>"
            f"<td>{esc(a['detail'])}</td></tr>"
            for a in result.get("authorities", [])
        )
        return (
            f'<div class="cpp-tool"><div class="cpp-main">{esc(result.get("label", ""))}</div><p>{esc(result.get("summary", ""))}</p>'
            f"<table><tr><th>Juridiction</th><th>Compétence</th><th>Rôle</th><th>Précisions</th></tr>{rows}</table>"
            f"{_basis_html(result.get('basis', []))}</div>"
        )
    return ""


def _delai_html(result: dict[str, Any]) -> str:
    parts = [f'<div class="cpp-main">{esc(result["label"])}</div>']
    if result.get("start"):
        parts.append(f"<div>Point de départ ({esc(result['start']['event'])}) : {esc(result['start']['display'])}</div>")
    main = result.get("deadline")
    if main is not None:
        parts.append(
            f'<div class="cpp-main">➜ {esc(main["label"])} : {esc(main["kind_label"])} le {esc(main["display"])}</div>'
        )
    rows = "".join(
        f"<tr><td>{esc(d['label'])}{(' [' + esc(d['condition']) + ']') if d.get('condition') else ''}</td>"
        f"<td>{esc(d['kind_label'])}</td><td>{esc(d['display'])}</td><td>{esc(' ; '.join(dict.fromkeys(basis_ref(b) for b in d.get('basis', []))))}</td></tr>"
        for d in result.get("deadlines", [])
    )
    if rows:
        parts.append(f"<table><tr><th>Échéance</th><th>Nature</th><th>Date</th><th>Texte</th></tr>{rows}</table>")
    if result.get("steps"):
        parts.append("<div><b>Étapes du calcul :</b><ol>" + "".join(f"<li>{esc(s)}</li>" for s in result["steps"]) + "</ol></div>")
    if result.get("warnings"):
        parts.append("<div><b>Points d'attention :</b><ul>" + "".join(f"<li>{esc(w)}</li>" for w in result["warnings"]) + "</ul></div>")
    parts.append(_basis_html(result.get("basis", [])))
    return f'<div class="cpp-tool">{"".join(parts)}</div>'


# -- whole messages ------------------------------------------------------------------------------------------


def answer_message(answer: Answer, catalog: Catalog | None) -> str:
    """The chat message of an answer: refusal banner, the answer (Markdown), tool result, citation cards."""
    parts = []
    if answer.refused:
        parts.append(f'<div class="cpp-banner">⚠️ {esc(REFUSAL_BANNER)}</div>')
    parts.append(answer.answer)
    for t in answer.tool_calls:
        card = tool_result_html(t.name, t.result)
        if card:
            parts.append('<details class="cpp-card cpp-tool-card" open><summary>Résultat de l\'outil « ' + esc(t.name) + " »</summary>"
                         f'<div class="cpp-card-body">{card}</div></details>')
    cards = citation_cards(answer.citations, catalog)
    if cards:
        parts.append(cards)
    return "\n\n".join(parts)


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
