"""Read the table of article D15-4-4 (pôles de l'instruction) into rows: cour d'appel, siège, tribunaux du ressort.

In the export the table is a run of alinéas: column headers, then per cour d'appel a "Cour d'appel de X" line
followed by alternating "Siège." / "Tribunal, Tribunal." lines; two zone titles (outre-mer) restart the headers.
Any line that does not fit this shape is an error naming its line.
"""

from __future__ import annotations

import re

from assistant.errors import CorpusError
from assistant.models import PoleRow

TABLE_INTRO = "Pour l'application des dispositions de l'article 52-1"
COUR_RE = re.compile(r"^f?Cour d'appel (?:de la |de l'|d'|de |du )(?P<name>.+?)\s*$")
HEADER_WORDS = ("SIÈGE", "COMPÉTENCE TERRITORIALE", "RESSORT", "s'étendant", "des tribunaux judiciaires de")
ZONES = {"Départements d'outre-mer": "départements d'outre-mer", "Collectivités d'outre-mer": "collectivités d'outre-mer"}


def is_pole_table(first_alinea: str) -> bool:
    return first_alinea.startswith(TABLE_INTRO)


def _names(line: str) -> list[str]:
    return [n.strip() for n in line.strip().rstrip(".").split(",") if n.strip()]


def parse_pole_table(lines: list[tuple[int, str]], file_name: str) -> tuple[list[PoleRow], list[list[int]]]:
    """Rows of the table from ``(line number, text)`` pairs (the table alinéas, intro excluded).

    Also returns the table's lines grouped by block (headers, then one group per cour d'appel) so that the
    unit text can keep one readable alinéa per cour d'appel.
    """
    rows: list[PoleRow] = []
    groups: list[list[int]] = [[]]
    zone = "métropole"
    cour: str | None = None
    pending_seat: tuple[int, str] | None = None
    for lineno, text in lines:
        t = text.strip()
        zone_key = next((z for z in ZONES if t.startswith(z)), None)
        if zone_key:
            zone, cour, pending_seat = ZONES[zone_key], None, None
            groups.append([lineno])
            continue
        m = COUR_RE.match(t)
        if m:
            if pending_seat:
                raise CorpusError(f"{file_name}, ligne {pending_seat[0]} : siège de pôle sans liste de tribunaux.")
            cour = m.group("name")
            groups.append([lineno])
            continue
        groups[-1].append(lineno)
        if cour is None:
            if any(t.startswith(w) for w in HEADER_WORDS) or t in ("SIÈGE",):
                continue
            raise CorpusError(f"{file_name}, ligne {lineno} : ligne inattendue dans le tableau de l'article D15-4-4 : « {t[:80]} ».")
        if pending_seat is None:
            names = _names(t)
            if len(names) != 1:
                raise CorpusError(f"{file_name}, ligne {lineno} : siège de pôle attendu, trouvé « {t[:80]} ».")
            pending_seat = (lineno, names[0])
        else:
            rows.append(PoleRow(cour_appel=cour, siege=pending_seat[1], tribunaux=tuple(_names(t)), zone=zone, line=pending_seat[0]))
            pending_seat = None
    if pending_seat:
        raise CorpusError(f"{file_name}, ligne {pending_seat[0]} : siège de pôle sans liste de tribunaux.")
    return rows, [g for g in groups if g]
