"""Dates for the deadline tool: parsing a start (ISO or French), calendar arithmetic, French display.

All instants live in Europe/Paris (``zoneinfo``); hours are counted as elapsed real time, so a period
crossing a change of legal time (last Sunday of March / October) keeps its true length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from assistant.errors import InvalidToolInputError
from assistant.text import MONTHS_FR

PARIS = ZoneInfo("Europe/Paris")

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# Presence of a clock time in a French or ISO string ("10h", "9 h 30", "10:00", "T10:00").
_HAS_TIME = re.compile(r"(?:\d{1,2}\s*h(?:\s*\d{2})?\b|\d{1,2}:\d{2}|T\d{2})", re.I)
# "9 h 30" / "09h00" / "10 h" → "9:30" / "09:00" / "10:00": dateparser reads the colon form reliably.
_FR_CLOCK = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b", re.I)
_YEAR = re.compile(r"\b\d{4}\b")
_ISO_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
# Where a date may be written in a sentence (only to locate it; dateparser does the parsing).
_DATE_SPAN = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}(?:er)?\s+[a-zéû]+\.?\s+\d{4})(?:\s+(?:à\s+)?\d{1,2}:\d{2})?",
    re.I,
)


def has_clock_time(text: str) -> bool:
    """Whether a French or ISO date string also gives a time of day (« 10h », « 9 h 30 », « 10:00 », « T10:00 »)."""
    return bool(_HAS_TIME.search(text))


@dataclass(frozen=True)
class StartInstant:
    """The parsed start of a deadline: an aware datetime in Europe/Paris, and whether a clock time was given."""

    at: datetime
    has_time: bool
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _attach_paris(naive: datetime, field_name: str) -> tuple[datetime, list[str]]:
    """Give a wall-clock time its Paris offset; refuse a time that does not exist, flag one that exists twice."""
    warnings: list[str] = []
    aware = naive.replace(tzinfo=PARIS, fold=0)
    back = aware.astimezone(UTC).astimezone(PARIS)
    if back.replace(tzinfo=None) != naive:
        raise InvalidToolInputError(
            field_name,
            f"l'heure {naive:%H:%M} du {format_date(naive.date())} n'existe pas à Paris "
            "(passage à l'heure d'été) ; indiquez une heure valide.",
        )
    other = naive.replace(tzinfo=PARIS, fold=1)
    if other.utcoffset() != aware.utcoffset():
        warnings.append(
            f"L'heure {naive:%H:%M} du {format_date(naive.date())} existe deux fois (passage à l'heure d'hiver) : "
            "la première occurrence (heure d'été) a été retenue."
        )
    return aware, warnings


MIN_YEAR = 1900
MAX_YEAR = 2200
"""Starts outside these years are refused (a French 422 naming the field): every rule's arithmetic stays in range."""


def parse_start(value: object, field_name: str = "start") -> StartInstant:
    """Parse a start given as an ISO 8601 string or a French date ("23 octobre 2026 à 10h", "05/05/2026 09:30").

    The year must be written out: relative dates ("hier", "demain") are refused, since a deadline must not
    depend on the day the question is asked. Only years ``MIN_YEAR`` to ``MAX_YEAR`` are accepted.
    """
    try:
        start = _parse_start(value, field_name)
    except (OverflowError, ValueError):  # a date library failing on an extreme value: never a 500
        raise InvalidToolInputError(field_name, _out_of_range()) from None
    if not MIN_YEAR <= start.at.year <= MAX_YEAR:
        raise InvalidToolInputError(field_name, _out_of_range())
    return start


def _out_of_range() -> str:
    return f"date hors de la plage acceptée (années {MIN_YEAR} à {MAX_YEAR})."


def _parse_start(value: object, field_name: str) -> StartInstant:
    if isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise InvalidToolInputError(field_name, "une date (texte) est attendue, par exemple « 23 octobre 2026 à 10h ».")
    if not text:
        raise InvalidToolInputError(field_name, "la date de départ est vide.")
    if len(text) > 100:
        raise InvalidToolInputError(field_name, "la date de départ est trop longue (100 caractères au plus).")

    if _ISO_LIKE.match(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidToolInputError(field_name, f"« {text} » n'est pas une date ISO 8601 valide.") from None
        has_time = "T" in text or " " in text.strip()
        if parsed.tzinfo is not None:
            return StartInstant(parsed.astimezone(PARIS), has_time)
        aware, warnings = _attach_paris(parsed, field_name)
        return StartInstant(aware, has_time, tuple(warnings))

    if not _YEAR.search(text):
        raise InvalidToolInputError(
            field_name,
            f"« {text} » : indiquez une date complète avec l'année (par exemple « 23 octobre 2026 à 10h ») ; "
            "les dates relatives ne sont pas acceptées.",
        )
    found = _dateparser_parse(_FR_CLOCK.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", text))
    if found is None:
        raise InvalidToolInputError(
            field_name,
            f"date illisible : « {text} ». Exemples acceptés : « 23 octobre 2026 à 10h », « 23/10/2026 10:00 », "
            "« 2026-10-23T10:00 ».",
        )
    aware, warnings = _attach_paris(found, field_name)
    return StartInstant(aware, has_clock_time(text), tuple(warnings))


@lru_cache(maxsize=1)
def _date_parser():  # type: ignore[no-untyped-def]
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]

    return DateDataParser(
        languages=["fr"],
        settings={
            "DATE_ORDER": "DMY",
            "TIMEZONE": "Europe/Paris",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DAY_OF_MONTH": "first",
            "REQUIRE_PARTS": ["day", "month", "year"],
        },
    )


def _dateparser_parse(text: str) -> datetime | None:
    data = _date_parser().get_date_data(text)
    if data.date_obj is None or data.period not in (None, "day", "time"):
        return None
    return data.date_obj.replace(tzinfo=None, microsecond=0)


def search_dates_fr(text: str) -> list[tuple[str, datetime]]:
    """Complete dates (day, month, year, optional time) written in a French sentence, as (matched text, naive datetime).

    Date-like spans are located first (« 5 mai 2026 à 9h », « 05/05/2026 9:30 ») and parsed by dateparser; when
    none is found, dateparser's own search is used, keeping only matches that are complete dates (a bare « 2026 »
    or « février » is never taken for a date).
    """
    prepared = _FR_CLOCK.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", text)
    prepared = re.sub(r"\b1er\b", "1", prepared, flags=re.I)
    results: list[tuple[str, datetime]] = []
    for m in _DATE_SPAN.finditer(prepared):
        parsed = _dateparser_parse(m.group(0))
        if parsed is not None:
            results.append((m.group(0), parsed))
    if results:
        return results
    from dateparser.search import search_dates  # type: ignore[import-untyped]

    found = search_dates(
        prepared,
        languages=["fr"],
        settings={"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False},
    )
    return [(s, d.replace(tzinfo=None)) for s, d in (found or []) if _DATE_SPAN.search(s)]


# -- arithmetic ---------------------------------------------------------------------------------


def add_hours(start: datetime, hours: int) -> datetime:
    """Elapsed real time: UTC arithmetic, shown back in Paris time (right across DST changes)."""
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(PARIS)


def add_months(d: date, months: int) -> date:
    """Same day number ``months`` later, or the last day of a shorter month (31 January + 1 month → 28/29 February)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, _days_in_month(year, month)))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def _days_in_month(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


@lru_cache(maxsize=256)
def _french_holidays(year: int, subdivision: str | None) -> dict[date, str]:
    import holidays

    return dict(holidays.France(years=year, subdiv=subdivision, language="fr").items())


def holiday_name(d: date, subdivision: str | None = None) -> str | None:
    """Name of the French public holiday falling on ``d``, if any (`holidays` library): the national list, or that of a
    subdivision of ``holidays.France`` (« 57 », « 6AE » for Alsace-Moselle, « 971 »… overseas) which adds its own."""
    return _french_holidays(d.year, subdivision).get(d)


def is_jour_ouvrable(d: date, subdivision: str | None = None) -> bool:
    """Every day except Sunday and public holidays."""
    return d.weekday() != 6 and holiday_name(d, subdivision) is None


def add_jours_ouvrables(d: date, n: int, subdivision: str | None = None) -> tuple[date, list[str]]:
    """The ``n``-th jour ouvrable after ``d`` (``d`` itself not counted); also the days skipped, described in French."""
    return _step_jours_ouvrables(d, n, timedelta(days=1), subdivision)


def subtract_jours_ouvrables(d: date, n: int, subdivision: str | None = None) -> tuple[date, list[str]]:
    """The ``n``-th jour ouvrable before ``d`` (``d`` itself not counted); also the days skipped."""
    return _step_jours_ouvrables(d, n, timedelta(days=-1), subdivision)


def _step_jours_ouvrables(d: date, n: int, step: timedelta, subdivision: str | None) -> tuple[date, list[str]]:
    skipped: list[str] = []
    current, counted = d, 0
    while counted < n:
        current += step
        if is_jour_ouvrable(current, subdivision):
            counted += 1
        else:
            name = holiday_name(current, subdivision)
            skipped.append(f"{format_date(current)} ({name.lower() if name else 'dimanche'})")
    return current, skipped


def end_of_day(d: date) -> datetime:
    """Last second of a day in Paris: a deadline counted in days runs until the end of its last day."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=PARIS)


def start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=PARIS)


# -- display ------------------------------------------------------------------------------------


def format_date(d: date) -> str:
    """``2026-10-27`` → ``mardi 27 octobre 2026`` (``1er`` for the first day of a month)."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{_WEEKDAYS[d.weekday()]} {day} {MONTHS_FR[d.month - 1]} {d.year}"


def format_datetime(dt: datetime) -> str:
    """``lundi 27 octobre 2026 à 09 h 00`` (Paris time)."""
    local = dt.astimezone(PARIS)
    return f"{format_date(local.date())} à {local:%H} h {local:%M}"


def utc_offset_label(dt: datetime) -> str:
    """``heure d'été (UTC+2)`` or ``heure d'hiver (UTC+1)``."""
    offset = dt.astimezone(PARIS).utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    return f"heure d'{'été' if hours == 2 else 'hiver'} (UTC+{hours})"
