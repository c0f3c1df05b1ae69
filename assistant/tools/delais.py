"""The ``delai`` tool: compute the deadlines of a rule of ``rules/delais_*.toml`` from a start date.

Counting conventions (each one stated in the result's steps):
- hours: elapsed real time in Europe/Paris (a change of legal time does not shorten or lengthen the period);
- days, weeks: calendar days, the day of the start event not counted; the period ends at midnight of its last day;
- jours ouvrables: every day except Sundays and public holidays (``holidays``, France): the national calendar, or
  that of the place given (tribunal or department: Alsace-Moselle, overseas), named in the result (``calendar``);
- months, years: same day number, or the last day of a shorter month.
No rule from outside the corpus is applied silently: when the last day of a deadline is a Saturday, a Sunday
or a public holiday, a warning says that the extension of article 801 (not in the corpus) was not applied.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process

from assistant.catalog import Catalog
from assistant.errors import InvalidToolInputError
from assistant.text import fold
from assistant.tools import dates
from assistant.tools.places import NATIONAL, Calendar, calendar_for
from assistant.tools.rules import DelaiRule, Milestone, RuleOption, load_delai_rules

KIND_LABELS = {
    "limite": "au plus tard",
    "plus_tot": "au plus tôt",
    "fin": "fin de la durée maximale",
    "echeance": "échéance",
}
_UNIT_WORDS = {
    "heures": ("heure", "heures"),
    "jours": ("jour", "jours"),
    "jours_ouvrables": ("jour ouvrable", "jours ouvrables"),
    "semaines": ("semaine", "semaines"),
    "mois": ("mois", "mois"),
    "ans": ("an", "ans"),
}
_RESERVED_ARGS = {"rule", "start", "options", "place"}

WARNING_ART_801 = (
    "Le dernier jour de ce délai ({day}) est {what}. L'article 801 du code de procédure pénale (hors corpus), "
    "qui proroge au premier jour ouvrable suivant un délai expirant un samedi, un dimanche ou un jour férié ou chômé, "
    "n'a pas été appliqué : vérifiez si la prorogation joue."
)
WARNING_DIES_A_QUO = (
    "Le texte ne dit pas « à compter de » : le jour de l'événement de départ n'a pas été compté, selon la règle "
    "usuelle de computation des délais (hors corpus)."
)


def find_rule(rule_id: object) -> DelaiRule:
    """The rule with that id (tolerant to case and accents); ``InvalidToolInputError("rule")`` with near ids otherwise."""
    rules = load_delai_rules()
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise InvalidToolInputError("rule", "indiquez l'identifiant d'une règle de délai (voir GET /v1/tools).")
    if rule_id in rules:
        return rules[rule_id]
    key = fold(rule_id).replace(" ", "-")
    for rid, rule in rules.items():
        if key in (rid, fold(rule.label).replace(" ", "-")):
            return rule
    near = process.extract(key, list(rules), scorer=fuzz.WRatio, limit=4, score_cutoff=70)
    hint = f" Règles proches : {', '.join(n[0] for n in near)}." if near else ""
    raise InvalidToolInputError("rule", f"règle de délai inconnue : « {rule_id} ».{hint}")


def _parse_option(rule: DelaiRule, option: RuleOption, value: object) -> object:
    field_name = option.name
    if option.type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and fold(value) in ("oui", "true", "vrai", "1", "yes"):
            return True
        if isinstance(value, str) and fold(value) in ("non", "false", "faux", "0", "no"):
            return False
        raise InvalidToolInputError(field_name, f"valeur attendue : true ou false (reçu « {value} »).")
    allowed = [c for c, _ in option.choices]
    if str(value) in allowed:
        return str(value)
    raise InvalidToolInputError(field_name, f"valeur « {value} » invalide ; valeurs possibles : {', '.join(allowed)}.")


def collect_options(rule: DelaiRule, arguments: dict[str, Any]) -> dict[str, object]:
    """Options given at the top level of the arguments or inside ``options``; unknown names are refused."""
    raw: dict[str, Any] = {}
    nested = arguments.get("options")
    if nested is not None:
        if not isinstance(nested, dict):
            raise InvalidToolInputError("options", "un objet {nom: valeur} est attendu.")
        raw.update(nested)
    raw.update({k: v for k, v in arguments.items() if k not in _RESERVED_ARGS})
    known = {o.name: o for o in rule.options}
    values: dict[str, object] = {}
    for name, value in raw.items():
        if value is None:
            continue
        if name not in known:
            listed = ", ".join(known) if known else "aucune"
            raise InvalidToolInputError(name, f"option inconnue pour la règle « {rule.id} » (options : {listed}).")
        values[name] = _parse_option(rule, known[name], value)
    return values


def _amount_words(amount: int, unit: str) -> str:
    one, many = _UNIT_WORDS[unit]
    return f"{amount} {one if amount == 1 else many}"


def _applies(m: Milestone, options: dict[str, object]) -> tuple[bool, list[str]]:
    """Whether the milestone applies to the given options; unknown options keep it, as a condition to show."""
    pending = []
    for name, expected in m.when:
        if name in options:
            if options[name] != expected:
                return False, []
        else:
            pending.append((name, expected))
    return True, [f"{name}={expected}" for name, expected in pending]


def compute(
    rule: DelaiRule, start: dates.StartInstant | None, options: dict[str, object], calendar: Calendar = NATIONAL,
) -> dict[str, Any]:
    """Compute every applicable milestone of ``rule``: ISO datetime, French display, steps, warnings, basis."""
    steps: list[str] = []
    warnings: list[str] = list(rule.warnings)
    if start is not None:
        warnings.extend(start.warnings)
        steps.append(
            f"Point de départ ({rule.start}) : {dates.format_datetime(start.at) if start.has_time else dates.format_date(start.at.date())}"
            + (f", {dates.utc_offset_label(start.at)}." if start.has_time else ".")
        )
    for name, value in options.items():
        opt = rule.option(name)
        if opt:
            steps.append(f"Option retenue : {opt.describe_value(value)}.")

    computed: dict[str, tuple[datetime, date, bool]] = {}  # id -> (instant, day, hour-precise)
    results: list[dict[str, Any]] = []
    pending_options: set[str] = set()
    for m in rule.milestones:
        ok, pending = _applies(m, options)
        if not ok or (m.origin != "start" and m.origin not in computed):
            continue
        condition = None
        if pending:
            descriptions = []
            for name, expected in m.when:
                if name not in options:
                    opt = rule.option(name)
                    pending_options.add(name)
                    descriptions.append(opt.describe_value(expected) if opt else f"{name} = {expected}")
            condition = " ; ".join(descriptions)
        instant, day, precise, step = _compute_milestone(rule, m, start, computed, calendar)
        computed[m.id] = (instant, day, precise)
        prefix = f"[{condition}] " if condition else ""
        steps.append(prefix + step)
        if m.note:
            steps.append(prefix + m.note)
        warnings.extend(m.warnings)
        warnings.extend(_milestone_warnings(m, day, precise, calendar))
        display = dates.format_datetime(instant) if precise else dates.format_date(day)
        if not precise:
            display += " (à partir de 0 h 00)" if m.kind == "plus_tot" else " (jusqu'à minuit)"
        results.append(
            {
                "id": m.id,
                "label": m.label,
                "kind": m.kind,
                "kind_label": KIND_LABELS[m.kind],
                "condition": condition,
                "main": m.main,
                "iso": instant.isoformat(),
                "date": day.isoformat(),
                "display": display,
                "basis": [b.to_dict() for b in m.basis],
            }
        )

    for name in sorted(pending_options):
        opt = rule.option(name)
        if opt:
            warnings.append(
                f"Option « {name} » non précisée ({opt.label}) : les échéances de chaque hypothèse sont données."
            )
    if any(m.unit == "jours_ouvrables" for m in rule.milestones if m.id in computed):
        steps.append(f"Jours fériés : {calendar.label}.")
    mains = [r for r in results if r["main"]]
    deadline = mains[0] if len(mains) == 1 else (results[-1] if not mains and len(results) == 1 else None)
    if deadline is None and not mains and results:
        deadline = results[-1]
    return {
        "rule": rule.id,
        "label": rule.label,
        "category": rule.category,
        "start": (
            {
                "iso": start.at.isoformat(),
                "display": dates.format_datetime(start.at) if start.has_time else dates.format_date(start.at.date()),
                "event": rule.start,
            }
            if start is not None
            else None
        ),
        "options": {k: v for k, v in options.items()},
        "calendar": calendar.to_dict(),
        "deadline": deadline,
        "deadlines": results,
        "steps": steps,
        "warnings": list(dict.fromkeys(warnings)),
        "basis": [b.to_dict() for b in rule.basis],
    }


def _compute_milestone(
    rule: DelaiRule,
    m: Milestone,
    start: dates.StartInstant | None,
    computed: dict[str, tuple[datetime, date, bool]],
    calendar: Calendar = NATIONAL,
) -> tuple[datetime, date, bool, str]:
    """(instant, day, hour-precise, French step) of one milestone."""
    refs = " ; ".join(dict.fromkeys(b.ref for b in m.basis))
    if m.fixed_date is not None:
        day = m.fixed_date
        step = f"{m.label} : date fixée par le texte, {dates.format_date(day)} ({refs})."
        if start is not None:
            delta = (day - start.at.date()).days
            step += f" Soit {abs(delta)} jour(s) {'après' if delta >= 0 else 'avant'} la date indiquée."
        return dates.end_of_day(day), day, False, step

    if m.origin == "start":
        assert start is not None
        base_instant, base_day, base_precise = start.at, start.at.date(), start.has_time
        origin_label = "le point de départ"
    else:
        base_instant, base_day, base_precise = computed[m.origin]
        origin_label = f"l'échéance « {next(x.label for x in rule.milestones if x.id == m.origin)} »"
    sign = 1 if m.direction == "apres" else -1
    amount = _amount_words(m.amount, m.unit)
    verb = "après" if sign > 0 else "avant"

    if m.unit == "heures":
        instant = dates.add_hours(base_instant, sign * m.amount)
        step = (
            f"{m.label} : {amount} de temps réel {verb} {origin_label} → {dates.format_datetime(instant)}"
            f", {dates.utc_offset_label(instant)} ({refs})."
        )
        if instant.utcoffset() != base_instant.utcoffset():
            step += " Le changement d'heure survenu entre-temps est pris en compte (durée réelle écoulée)."
        return instant, instant.date(), base_precise, step

    day, skipped = _shift_day(base_day, m, sign, calendar)
    counted_from = dates.format_date(base_day)
    if sign > 0:
        how = "le jour de départ n'est pas compté" if m.unit in ("jours", "semaines", "jours_ouvrables") else "même quantième"
        step = f"{m.label} : {amount} {verb} {origin_label} ({counted_from} ; {how})"
        if m.unit == "jours_ouvrables":
            step += ", dimanches et jours fériés exclus"
            if skipped:
                step += f" (jours non comptés : {', '.join(skipped)})"
        if m.unit in ("mois", "ans") and day.day != base_day.day:
            step += " ; le mois d'arrivée étant plus court, le dernier jour du mois est retenu"
    else:
        step = f"{m.label} : {amount} {verb} {origin_label} ({counted_from}, non compté)"
        if m.unit == "jours_ouvrables":
            step += ", dimanches et jours fériés exclus"
            if skipped:
                step += f" (jours non comptés : {', '.join(skipped)})"
    ends = "à partir du" if m.kind == "plus_tot" else "→"
    step += f" {ends} {dates.format_date(day)} ({refs})."
    instant = dates.start_of_day(day) if m.kind == "plus_tot" else dates.end_of_day(day)
    return instant, day, False, step


def _shift_day(base_day: date, m: Milestone, sign: int, calendar: Calendar) -> tuple[date, list[str]]:
    """The day ``m.amount`` calendar units after (``sign`` 1) or before (-1) ``base_day``, and the working days'
    skipped days (Sundays and public holidays of the calendar) when the unit is ``jours_ouvrables``."""
    if m.unit == "jours":
        return base_day + timedelta(days=sign * m.amount), []
    if m.unit == "semaines":
        return base_day + timedelta(days=sign * 7 * m.amount), []
    if m.unit == "mois":
        return dates.add_months(base_day, sign * m.amount), []
    if m.unit == "ans":
        return dates.add_years(base_day, sign * m.amount), []
    if sign > 0:  # jours_ouvrables
        return dates.add_jours_ouvrables(base_day, m.amount, calendar.subdivision)
    return dates.subtract_jours_ouvrables(base_day, m.amount, calendar.subdivision)


def _milestone_warnings(m: Milestone, day: date, precise: bool, calendar: Calendar = NATIONAL) -> list[str]:
    out: list[str] = []
    if precise or m.fixed_date is not None:
        return out
    if m.counting == "de" and m.direction == "apres" and m.unit in ("jours", "semaines", "jours_ouvrables"):
        out.append(WARNING_DIES_A_QUO)
    if m.kind == "limite" and m.direction == "apres":
        holiday = dates.holiday_name(day, calendar.subdivision)
        what = None
        if holiday:
            what = f"un jour férié ({holiday})"
        elif day.weekday() == 5:
            what = "un samedi"
        elif day.weekday() == 6:
            what = "un dimanche"
        if what:
            out.append(WARNING_ART_801.format(day=dates.format_date(day), what=what))
    return out


def run_delai(arguments: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """Entry point of the ``delai`` tool: validate the arguments, parse the start, compute (``catalog``: the D15-4-4
    table, to find the department of a tribunal given as ``place``)."""
    rule = find_rule(arguments.get("rule"))
    calendar = calendar_for(catalog, arguments.get("place"))
    options = collect_options(rule, arguments)
    start = None
    raw_start = arguments.get("start")
    if rule.needs_start:
        if raw_start is None or (isinstance(raw_start, str) and not raw_start.strip()):
            raise InvalidToolInputError("start", f"date de départ manquante ({rule.start}).")
        start = dates.parse_start(raw_start, "start")
        if rule.needs_time and not start.has_time:
            raise InvalidToolInputError(
                "start",
                f"ce délai se compte en heures : indiquez aussi l'heure de départ ({rule.start}), "
                "par exemple « 23 octobre 2026 à 10h ».",
            )
    elif raw_start not in (None, ""):
        start = dates.parse_start(raw_start, "start")
    return compute(rule, start, options, calendar)
