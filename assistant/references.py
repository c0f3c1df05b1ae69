"""Article references in a text (a question, a quoted passage): which number, of which code, as printed.

The one detector of article numbers for questions and answers. A reference followed by « du code pénal » or
« du code minier » belongs to that code and is never labelled CPP; its number is kept as printed (« L. 512-2 »).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import normalize_article_ref
from assistant.text import ARTICLE_NUMBER, fold

# "article 706-88", "art. D. 15-4-4", "l'article 695-11", "706-88 CPP", "D15-4-4", "L. 512-2": explicit references.
ARTICLE_REF_RE = re.compile(
    rf"(?:\bart(?:icle|\.)?s?\s+(?P<a>[LRDA]\s?\.?\s?{ARTICLE_NUMBER}|{ARTICLE_NUMBER}))"
    r"|(?P<b>\b[LRDA]\s?\.?\s?\d+(?:-\d+)+\b)"
    r"|(?P<c>(?<![\d-])\d{3}(?:-\d+)+\b)",
    re.I,
)
# What may follow a reference before the name of its text: other numbers of the same list, an alinéa, a paragraph.
_LIST_TAIL = re.compile(
    rf"(?:\s*(?:,\s*et|,\s*ou|,|et|à|ou)\s*(?:(?:[LRDA]\s?\.?\s?)?{ARTICLE_NUMBER}(?:\s*(?:bis|ter|quater))?)"
    r"|\s*,?\s*(?:[IVX]+|\d+°|(?:premier|deuxième|troisième|quatrième|dernier)\s+alinéa|al\.\s*\d+|paragraphe\s+\d+|§\s*\d+))*",
    re.I,
)
_SAME_TEXT = re.compile(r"\s+(?:du|de la)\s+même\s+(?:code|loi|ordonnance|texte|statut|convention)\b", re.I)
# « …de l'article 25 et du 5 de l'article 27 du règlement (UE)… »: one list, named once.
_LIST_GAP = re.compile(r"\s*(?:,|et|à|ou)\s*(?:(?:du|au|le)\s+\d+°?\s+de\s+)?(?:l['’]article\s+|articles?\s+|l['’])?", re.I)
_TEXT_NAME = re.compile(
    r"\s+(?:du|de la|de l['’]|des)\s+(?P<name>(?:code|loi|ordonnance|décret|statut|convention|règlement|directive|traité)\b"
    r"(?:\s+(?!et\b|qui\b|ou\b|dans\b|pour\b|lorsque\b|sont\b|est\b)[\w'’°()/-]+){0,8})",
    re.I,
)
_CPP_NAMES = ("code de procédure pénale", "cpp")
# A code's usual abbreviation after the number (« art. 222-23 CP », « art. 472 C. civ. »); « CPP » is not « CP ».
_CODE_ABBREVIATION = re.compile(r"\s*,?\s*(?:du\s+)?(CP|C\.\s?pén|C\.\s?civ|C\.\s?com)(?![\w])", re.I)
_BARE_GAP = re.compile(r"[ ,]*")  # between a number and a code named without « du »
_CODE_ABBREVIATIONS = {"cp": "code pénal", "c.pén": "code pénal", "c.civ": "code civil", "c.com": "code de commerce"}
KNOWN_CODES = (
    "code pénal", "code civil", "code minier", "code monétaire et financier", "code de la santé publique",
    "code de l'environnement", "code des douanes", "code de la sécurité intérieure", "code de la défense",
    "code de justice militaire", "code de l'entrée et du séjour des étrangers et du droit d'asile", "code de commerce", "code des procédures civiles d'exécution",
    "code du travail", "code de la route", "code général des impôts", "code des transports",
    "code de l'organisation judiciaire", "code de la consommation", "code rural et de la pêche maritime",
    "code du patrimoine", "code électoral", "code de la propriété intellectuelle", "code de l'action sociale et des familles",
    "code des postes et des communications électroniques", "code de la justice pénale des mineurs", "code forestier",
    "code du sport", "code de l'aviation civile", "code des assurances", "code de l'urbanisme", "code de la sécurité sociale",
    "code des juridictions financières", "code de la construction et de l'habitation", "code général des collectivités territoriales",
)
_LONGEST_FIRST = sorted(KNOWN_CODES, key=len, reverse=True)  # « code de la santé publique » before « code de la »…
# The known codes as a regex alternation over folded text (« code monetaire et financier »), longest first, and back.
KNOWN_CODES_FOLDED = "(?:" + "|".join(re.escape(fold(c)) for c in _LONGEST_FIRST) + ")"
CODE_BY_FOLDED_NAME = {fold(c): c for c in KNOWN_CODES}


@dataclass(frozen=True)
class Reference:
    """An article named in a text: ``number`` normalized for the CPP (``706-88``), as printed for another text."""

    number: str
    code: str | None  # None: the CPP; else the text's name (« code pénal », « loi du 29 juillet 1881 »…)
    start: int
    end: int


def _known_code_at(text: str, start: int) -> str | None:
    """A known code named at ``start``, read whole (the text name stops before « et »: « code monétaire et financier »)."""
    return _known_code(text[start : start + 90].replace("’", "'").lower())


def _known_code(low: str) -> str | None:
    """The known code a (lower-case) name starts with."""
    return next((code for code in _LONGEST_FIRST if low.startswith(code)), None)


_TRAILING = frozenset({"du", "de", "des", "la", "le", "l'", "d'", "à", "au", "aux"})  # not the end of a text's name


def _text_name(raw: str) -> str | None:
    name = re.sub(r"\s+", " ", raw.replace("’", "'")).strip(" ,.;:")
    low = name.lower()
    if low.startswith(_CPP_NAMES) or low in ("code", "présent code"):
        return None  # « l'article 999-1 du code » in a CPP passage: the CPP itself
    known = _known_code(low)
    if known is not None:
        return known
    words = name.split()[:4] if low.startswith("code") else name.split()[:6]
    while len(words) > 1 and words[-1].lower() in _TRAILING:
        words.pop()  # « règlement (UE) 2017/1939 du Conseil du » → « … du Conseil »
    return " ".join(words)


_CODE_NAME = re.compile(r"\b(?:du|de la|de l['’])\s+(code\s+[\w'’ -]{2,80})", re.I)


def _last_code_named(text: str) -> str | None:
    """The last code a text names before a « même code » (« … défini au livre II du code pénal ; … »)."""
    names = [_text_name(m.group(1)) for m in _CODE_NAME.finditer(text)]
    known = [n for n in names if n is not None]
    return known[-1] if known else None


def find_references(text: str) -> list[Reference]:
    """Every article reference of ``text``, in order, with the code it belongs to."""
    text = text.replace("\u2011", "-").replace("\u2013", "-")
    matches = list(ARTICLE_REF_RE.finditer(text))
    out: list[Reference] = []
    last_named: str | None = None  # the last text named after a reference (None: the CPP)
    for i, m in enumerate(matches):
        raw = m.group("a") or m.group("b") or m.group("c")
        # The text a list of references belongs to is named once, after its last number.
        j = i
        while j + 1 < len(matches) and _LIST_GAP.fullmatch(text[matches[j].end() : matches[j + 1].start()]):
            j += 1
        tail = _LIST_TAIL.match(text, matches[j].end())
        after = tail.end() if tail else matches[j].end()
        named = _TEXT_NAME.match(text, after)
        code = (_known_code_at(text, named.start("name")) or _text_name(named.group("name"))) if named else None
        if named is None and _SAME_TEXT.match(text, after):
            # « l'article 421-2-1 du même code », after « 421-1 du code pénal » or « … du livre II du code pénal »
            code = last_named or _last_code_named(text[: m.start()])  # none named before: the passage's own code
        if re.match(r"\s*(?:CPP\b|du code de procédure pénale)", text[matches[j].end():], re.I):
            code = None
        abbreviated = _CODE_ABBREVIATION.match(text, after)
        if named is None and abbreviated:
            code = _CODE_ABBREVIATIONS[abbreviated.group(1).replace(" ", "").lower()]  # « art. 222-23 CP »
        elif named is None and (gap := _BARE_GAP.match(text, after)) and (bare := _known_code_at(text, gap.end())) is not None:
            code = bare  # « art. 414 code des douanes », « (222-23 code pénal) »: a known code named without « du »
        if code is None and named is None:
            # « l'application du même article 122-1 » after « l'article 122-1 du code pénal »: the same article.
            code = next((r.code for r in reversed(out) if r.code and r.number == re.sub(r"\s+", " ", raw).strip()), None)
        if code is None:
            number = normalize_article_ref(raw)
            if number is None or number.startswith("L"):
                # « L. 512-2 » without a code name: not a CPP number either; keep it as printed.
                number, code = re.sub(r"\s+", " ", raw).strip(), code or "texte non précisé"
        else:
            number = re.sub(r"\s+", " ", raw).strip()
        out.append(Reference(number, code, m.start(), m.end()))
        if named is not None:
            last_named = code
    return out


def referenced_articles(text: str) -> list[str]:
    """CPP article numbers explicitly named in a text, normalized, in order of first mention (other codes left out)."""
    return list(dict.fromkeys(r.number for r in find_references(text) if r.code is None))
