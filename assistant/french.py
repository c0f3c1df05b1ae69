"""French lexical analysis for retrieval: accent folding, elisions, stop words, Snowball stemming.

Article numbers (``706-73``, ``D15-4-4``, ``D. 15-4-4``, ``R. 170``) are kept as whole tokens so that a question
naming an article matches that article's references exactly.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

# Determiners, pronouns, auxiliaries and question words: they carry no legal meaning in a question.
STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle elles en et est etre eu il ils je la le les leur leurs lui ma mais me
    meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses si son sont sur ta te tes toi ton tu un une
    vos votre vous y l d j m n s t c qu jusqu lorsqu puisqu quoi quel quelle quels quelles quand comment combien dont ou
    ai as avons avez ont suis es sommes etes etait etaient sera seront serait peut peuvent doit doivent faut fait faire
    cela ca ceci celui celle ceux celles tout tous toute toutes autre autres plus moins tres bien alors donc aussi ainsi
    article articles art cpp code procedure penale alinea dit dire prevoit prevu prevue quoi est-ce lequel laquelle
    """.split()
)

_ELISION_RE = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.I)
_ARTICLE_RE = re.compile(r"\b(?:([RDA])\s?\.?\s?)?(\d{2,3}(?:-\d+)+|\d{1,3})\b", re.I)
_TOKEN_RE = re.compile(r"[a-z]\d+(?:-\d+)*|\d+(?:-\d+)*|[a-z]+")
_stemmer = snowballstemmer.stemmer("french")


# Abbreviations magistrates use, expanded to the words of the texts (the corpus never uses the short forms).
ABBREVIATIONS = {
    "gav": "garde à vue",
    "mae": "mandat d'arrêt européen",
    "jld": "juge des libertés et de la détention",
    "ji": "juge d'instruction",
    "jap": "juge de l'application des peines",
    "tj": "tribunal judiciaire",
    "pg": "procureur général",
    "opj": "officier de police judiciaire",
    "apj": "agent de police judiciaire",
    "pnat": "procureur de la République antiterroriste",
    "pnf": "procureur de la République financier",
    "jirs": "juridiction interrégionale spécialisée JIRS",
    "junalco": "juridiction nationale chargée de la lutte contre la criminalité organisée JUNALCO",
    "civi": "commission d'indemnisation des victimes d'infractions",
    "dee": "décision d'enquête européenne",
    "fijais": "fichier judiciaire national automatisé des auteurs d'infractions sexuelles ou violentes",
    "agrasc": "agence de gestion et de recouvrement des avoirs saisis et confisqués",
    "stups": "stupéfiants",
    "stup": "stupéfiants",
    "cpi": "Cour pénale internationale",
    "ecp": "équipe commune d'enquête",
    "ece": "équipe commune d'enquête",
    "cri": "commission rogatoire internationale",
    "depi": "demande d'entraide pénale internationale",
    "itf": "interdiction du territoire français",
    "oqtf": "obligation de quitter le territoire français",
    "ue": "Union européenne",
    "parquet européen": "Parquet européen procureur européen délégué",
}
# Everyday words for legal notions, mapped to the wording of the texts (a small legal thesaurus).
THESAURUS = {
    "drogue": "stupéfiants",
    "drogues": "stupéfiants",
    "dealer": "trafic de stupéfiants",
    "deal": "trafic de stupéfiants",
    "acheter": "acquérir acquisition",
    "achat": "acquisition",
    "société": "personne morale",
    "entreprise": "personne morale",
    "ressortissant": "nationalité française",
    "ressortissants": "nationalité française",
    "extrader": "extradition",
    "extradé": "extradition",
    "terro": "terrorisme",
    "crim org": "criminalité organisée délinquance organisée bande organisée",
    "écoutes": "interception des correspondances émises par la voie des communications électroniques",
    "écoute": "interception des correspondances émises par la voie des communications électroniques",
    "balise": "géolocalisation",
    "de nuit": "en dehors des heures prévues à l'article 59",
    "douanes": "agents des douanes",
    "douane": "agents des douanes",
    "rançongiciel": "système de traitement automatisé de données",
    "cyberattaque": "système de traitement automatisé de données",
    "piratage": "système de traitement automatisé de données",
    "indemniser": "indemnisation réparation",
    "indemnisée": "indemnisation réparation",
    "indemnisé": "indemnisation réparation",
    "mineur": "mineur mineurs",
    "prolonger": "prolongation",
    "prolonge": "prolongation",
    "renouveler": "renouvellement renouvelable",
}
_THESAURUS_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(THESAURUS, key=len, reverse=True)) + r")\b", re.I)
_ABBREV_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b", re.I)


def expand_abbreviations(text: str) -> str:
    """Append the long form after each abbreviation or everyday word: « GAV » → « GAV (garde à vue) »."""
    text = _ABBREV_RE.sub(lambda m: f"{m.group(0)} ({ABBREVIATIONS[m.group(0).lower()]})", text)
    return _THESAURUS_RE.sub(lambda m: f"{m.group(0)} ({THESAURUS[m.group(0).lower()]})", text)


def fold_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


def _join_article_numbers(text: str) -> str:
    """``D. 15-4-4`` → ``d15-4-4`` so the tokenizer keeps it whole; plain numbers are left as they are."""
    return re.sub(r"\b([RDAL])\s?\.\s?(\d)", lambda m: m.group(1) + m.group(2), text, flags=re.I)


_stemmer_lock = threading.Lock()  # snowball stemmers are not thread-safe (API threads stem concurrently)


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    with _stemmer_lock:
        return _stemmer.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded, elision-stripped, stemmed content tokens; article numbers kept whole."""
    text = text.replace("’", "'").replace("\u2011", "-").replace("\u2013", "-")
    text = _ELISION_RE.sub(" ", text)
    text = _join_article_numbers(text)
    text = fold_accents(text).lower()
    out = []
    for tok in _TOKEN_RE.findall(text):
        if tok in STOP_WORDS:
            continue
        if tok[0].isalpha() and not any(ch.isdigit() for ch in tok):
            if len(tok) < 2:
                continue
            out.append(stem(tok))
        else:
            out.append(tok)
    return out


def content_terms(text: str) -> set[str]:
    """The distinct stemmed words of a text, numbers excluded: used to measure how much of a question a unit covers."""
    return {t for t in tokenize(text) if t[0].isalpha() and not t[1:2].isdigit()}
