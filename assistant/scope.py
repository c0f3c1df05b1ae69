"""What the corpus does not cover, said up front: other branches of law and the general rules of criminal procedure.

The corpus is Livre IV of the CPP ("De quelques procédures particulières"), some D articles and three circulaires.
A question on ordinary custody, appeals, prescription, sentencing, civil or labour law has no answer in it, even
when retrieval finds passages with the same words (a special regime that derogates from the general rule). Such a
question is refused — unless it also names one of the special regimes the corpus does cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class OutOfScope:
    label: str  # French, shown to the user
    pattern: re.Pattern[str]


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.I)


OUT_OF_SCOPE: tuple[OutOfScope, ...] = (
    OutOfScope("le droit civil (famille, successions, contrats, logement)", _p(
        r"\bdivorc|\bsuccession|r[ée]serve h[ée]r[ée]ditaire|\bh[ée]ritier|pension alimentaire|\bmariage|\bpacs\b|"
        r"autorit[ée] parentale|\bbail\b|\bloyer|tr[êe]ve hivernale|\bexpulsion locative|code civil")),
    OutOfScope("le droit du travail", _p(r"licenciement|\bpr[ée]avis\b|code du travail|prud.?hom|contrat de travail")),
    OutOfScope("le droit routier et administratif", _p(
        r"retrait de points|permis de conduire|code de la route|exc[èe]s de vitesse|taux d'alcool|alcool[ée]mie|"
        r"conduite (sous l'empire|en [ée]tat)")),
    OutOfScope("le droit pénal général et les peines du code pénal", _p(
        r"l[ée]gitime d[ée]fense|\bpeine encourue|quelle peine|combien (d'ann[ée]es|de prison)|\bencour(t|ue)\b.*\b(vol|escroquerie|meurtre|viol)\b|"
        r"\bvol simple|simple vol|vol à l'[ée]talage|\bcirconstances? att[ée]nuantes?|\bsursis\b|\br[ée]cidive l[ée]gale|"
        r"travail d'int[ée]r[êe]t g[ée]n[ée]ral|\btig\b|amende forfaitaire")),
    OutOfScope("les règles générales de la procédure pénale (hors Livre IV)", _p(
        r"droit commun|\bprescription de l'action publique|\bd[ée]lai (d'|de )?appel\b|\bappel (d'un|du) jugement|"
        r"comparution imm[ée]diate|\bcrpc\b|comparution sur reconnaissance|contr[ôo]le d'identit[ée]|\bjur[ée]s\b|"
        r"\bcasier judiciaire|\bbulletin n° ?2|\bqpc\b|question prioritaire|d[ée]tention provisoire.*\bcorrectionnel|"
        r"r[ée]paration (de la|d'une) d[ée]tention|sais\w* (de la cour de cassation )?pour avis|bureaux? d'aide aux victimes|\brétention administrative|\bcra\b|"
        r"ordonnance p[ée]nale|composition p[ée]nale|\bcontraventions?\b|\bcjpm\b|justice p[ée]nale des mineurs|"
        r"cabinet d'(un )?avocat")),
)

# Special regimes of Livre IV (and topics of the D articles and circulaires): a question naming one is in scope.
SPECIAL_REGIME = _p(
    r"terror|stup[ée]fiant|\bstups?\b|bande organis[ée]e|criminalit[ée] organis[ée]e|crim org|\b706-|\bjirs\b|junalco|"
    r"mandat d'arr[êe]t europ[ée]en|\bmae\b|extradition|entraide|cour p[ée]nale internationale|\bcpi\b|militaire|"
    r"fijai|\bcivi\b|irresponsabilit[ée]|sant[ée] publique|accident collectif|pollution|\bpnf\b|financier|"
    r"parquet europ[ée]en|proxén[ée]tisme|repenti|infiltr|intercept|sonorisation|g[ée]olocalisation|agrasc|"
    r"r[ée]tention de s[ûu]ret[ée]|surveillance judiciaire|personne morale|majeur prot[ée]g[ée]|p[ôo]le de l'instruction|"
    r"d[ée]tenus? [ée]trangers?|[ée]tranger d[ée]tenu|fournisseurs?|circulaire|cybercriminalit|syst[èe]mes? de traitement automatis"
)


def out_of_scope(question: str) -> OutOfScope | None:
    """The out-of-corpus topic a question is about, or None (in scope, or naming a special regime)."""
    if SPECIAL_REGIME.search(question):
        return None
    return next((topic for topic in OUT_OF_SCOPE if topic.pattern.search(question)), None)
