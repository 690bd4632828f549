"""Texts in English and Dutch: day and month names, kinds of help, reasons, headings.

A base-layer module: every layer may import it (plan summaries, reasons,
explanations, calendars, rosters, messages, reports). English is the default
everywhere in the API; ``lang="nl"`` gives Dutch. Templates name ids, days and
times only; the callers that may show names (a volunteer's own calendar and
message) pass them in.

Examples
--------
>>> from datetime import date
>>> date_text(date(2026, 12, 1), "nl")
'dinsdag 1 december'
>>> text("covered", "nl", covered=3, tasks=4, share=number(0.75, "nl", percent=True))
'taken gedekt       3 van 4 (75,0%)'
"""

from __future__ import annotations

from datetime import date
from typing import Any

from matchkracht.errors import InvalidSettingsError

__all__ = [
    "DAY_ABBR",
    "DAY_NAMES",
    "FUNDER_LABELS",
    "FUNDER_TITLES",
    "KIND_NAMES",
    "LANGS",
    "MONTH_NAMES",
    "REASON_TITLES",
    "check_lang",
    "date_text",
    "day_abbr",
    "kind_name",
    "number",
    "plural_text",
    "reason_sentence",
    "text",
    "when_text",
]

#: Languages with texts.
LANGS = ("en", "nl")

#: Weekday names, Monday first.
DAY_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
}
DAY_ABBR: dict[str, tuple[str, ...]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
}
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ),
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni", "juli",
        "augustus", "september", "oktober", "november", "december",
    ),
}  # fmt: skip
#: The kinds of help of the data contract, as words.
KIND_NAMES: dict[str, dict[str, str]] = {
    "en": {"ride": "ride", "visit": "visit", "meal": "meal", "chore": "chore", "other": "help"},
    "nl": {"ride": "rit", "visit": "bezoek", "meal": "maaltijd", "chore": "klus", "other": "hulp"},
}
#: Reason codes of ``plan.unmatched`` as a short title.
REASON_TITLES: dict[str, dict[str, str]] = {
    "en": {
        "no_skill": "nobody with the required skills",
        "no_language": "nobody who speaks the language",
        "too_far": "nobody close enough",
        "not_available": "nobody available at that time",
        "excluded": "the resident excludes the volunteers who could come",
        "continuity": "no familiar volunteer (strict continuity)",
        "capacity": "volunteers at their weekly cap",
        "conflict": "volunteers busy with other tasks",
    },
    "nl": {
        "no_skill": "niemand met de gevraagde vaardigheden",
        "no_language": "niemand die de taal spreekt",
        "too_far": "niemand dichtbij genoeg",
        "not_available": "niemand beschikbaar op dat moment",
        "excluded": "de bewoner sluit de vrijwilligers uit die kunnen",
        "continuity": "geen bekende vrijwilliger (strikte continuïteit)",
        "capacity": "vrijwilligers zitten aan hun weekmaximum",
        "conflict": "vrijwilligers zijn dan al met andere taken bezig",
    },
}

#: The funder report's totals, in report order, with their labels.
FUNDER_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "period_start": "from", "period_end": "to", "help_given": "help given (volunteer × task)",
        "tasks": "tasks done", "hours_of_help": "hours of help",
        "volunteer_hours": "volunteer hours incl. travel", "residents_helped": "residents helped",
        "volunteers_active": "volunteers active", "rides": "rides", "ride_km": "km driven for rides",
        "km_total": "km travelled in total", "rate_per_km": "mileage rate (€/km)",
        "reimbursement": "mileage reimbursement (€)", "unmet_tasks": "requests not met",
    },
    "nl": {
        "period_start": "van", "period_end": "tot en met",
        "help_given": "hulp gegeven (vrijwilliger × taak)", "tasks": "taken uitgevoerd",
        "hours_of_help": "uren hulp", "volunteer_hours": "vrijwilligersuren incl. reistijd",
        "residents_helped": "bewoners geholpen", "volunteers_active": "actieve vrijwilligers",
        "rides": "ritten", "ride_km": "km gereden voor ritten", "km_total": "km gereisd in totaal",
        "rate_per_km": "kilometervergoeding (€/km)", "reimbursement": "kilometervergoeding (€)",
        "unmet_tasks": "verzoeken niet vervuld",
    },
}  # fmt: skip
#: The funder report's headings and note.
FUNDER_TITLES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Help given: report for the funder", "totals": "Totals",
        "by_month": "By month", "by_kind": "By kind of help", "by_village": "By village",
        "unmet": "Requests not met, by reason", "map": "Map of the week",
        "hours_month": "Hours of help per month", "tasks_kind": "Tasks by kind of help",
        "unmet_reason": "Requests not met, by reason", "note": (
            "Aggregates and ids only. Kilometres of past weeks are estimated from the "
            "registry's locations; mileage is reimbursed for {kinds} at € {rate} per km."
        ),
    },
    "nl": {
        "title": "Gegeven hulp: verslag voor de financier", "totals": "Totalen",
        "by_month": "Per maand", "by_kind": "Per soort hulp", "by_village": "Per dorp",
        "unmet": "Niet vervulde verzoeken, per reden", "map": "Kaart van de week",
        "hours_month": "Uren hulp per maand", "tasks_kind": "Taken per soort hulp",
        "unmet_reason": "Niet vervulde verzoeken, per reden", "note": (
            "Alleen totalen en ids. Kilometers van eerdere weken zijn geschat uit de "
            "locaties in het register; kilometervergoeding voor {kinds} à € {rate} per km."
        ),
    },
}  # fmt: skip


_TEXTS: dict[str, dict[str, str]] = {
    # plan summary
    "plan_head": {
        "en": "matchkracht plan for {horizon} ({status}, {seconds:.2f} s, engine {engine})",
        "nl": "matchkracht-planning voor {horizon} ({status}, {seconds:.2f} s, engine {engine})",
    },
    "covered": {
        "en": "tasks covered      {covered} of {tasks} ({share})",
        "nl": "taken gedekt       {covered} van {tasks} ({share})",
    },
    "weighted": {
        "en": "weighted coverage  {share} (proven bound {bound})",
        "nl": "gewogen dekking    {share} (bewezen grens {bound})",
    },
    "continuity_line": {
        "en": "continuity         {share} of assignments by a familiar volunteer",
        "nl": "continuïteit       {share} van de toewijzingen door een bekende vrijwilliger",
    },
    "travel_line": {"en": "travel             {km} km", "nl": "reisafstand        {km} km"},
    "load_line": {
        "en": "load               max {load} of a weekly cap (busiest week {week}), gini {gini}",
        "nl": "belasting          max {load} van een weekmaximum (drukste week {week}), gini {gini}",
    },
    "unmatched_line": {"en": "unmatched          ", "nl": "niet gedekt        "},
    "and_more": {
        "en": "... and {n} more (see plan.unmatched)",
        "nl": "... en nog {n} (zie plan.unmatched)",
    },
    "n_a": {"en": "n/a", "nl": "n.v.t."},
    # calendars, rosters and messages
    "with_client": {"en": "{kind} with {client}", "nl": "{kind} bij {client}"},
    "ride_for": {"en": "ride for {client}", "nl": "rit met {client}"},
    "event_when": {
        "en": "{kind} from {start} to {end}; leave home {depart}, back {back} ({km} km).",
        "nl": "{kind} van {start} tot {end}; vertrek {depart}, terug {back} ({km} km).",
    },
    "event_ride": {
        "en": "Pick up at home, appointment at the destination {start}-{end}, and back.",
        "nl": "Ophalen bij huis, afspraak op de bestemming {start}-{end}, en terug.",
    },
    "event_team": {
        "en": "Together with {n} other volunteer(s).",
        "nl": "Samen met {n} andere vrijwilliger(s).",
    },
    "address": {"en": "Address: {value}", "nl": "Adres: {value}"},
    "phone": {"en": "Phone: {value}", "nl": "Telefoon: {value}"},
    "destination": {"en": "Destination: {value}", "nl": "Bestemming: {value}"},
    "outing_line": {
        "en": "Outing {trip}, {depart}-{back}: {stops}.",
        "nl": "Rit {trip}, {depart}-{back}: {stops}.",
    },
    "stop_pickup_home": {"en": "{at} pick up {client}", "nl": "{at} {client} ophalen"},
    "stop_dropoff_dest": {
        "en": "{at} drop {client} at {dest}",
        "nl": "{at} {client} afzetten bij {dest}",
    },
    "stop_pickup_dest": {
        "en": "{at} pick up {client} at {dest}",
        "nl": "{at} {client} ophalen bij {dest}",
    },
    "stop_dropoff_home": {"en": "{at} take {client} home", "nl": "{at} {client} thuisbrengen"},
    "the_destination": {"en": "the destination", "nl": "de bestemming"},
    "cancelled": {"en": "Cancelled: {summary}", "nl": "Vervallen: {summary}"},
    "msg_hello": {"en": "Hello {name},", "nl": "Hallo {name},"},
    "msg_week": {
        "en": "this is your help for {period}:",
        "nl": "dit is je hulp voor {period}:",
    },
    "msg_none": {
        "en": "you have no tasks for {period}. Thank you for being there!",
        "nl": "je hebt geen taken voor {period}. Bedankt dat je er bent!",
    },
    "msg_line": {
        "en": "- {day} {start}-{end}: {what} (leave {depart}, back {back})",
        "nl": "- {day} {start}-{end}: {what} (vertrek {depart}, terug {back})",
    },
    "msg_end": {
        "en": "Can't make it? Please let the coordinator know as soon as you can. Thank you!",
        "nl": "Lukt het niet? Laat het de coördinator zo snel mogelijk weten. Bedankt!",
    },
    "msg_client_hello": {"en": "Dear {name},", "nl": "Beste {name},"},
    "msg_client_week": {
        "en": "this is the help planned for you for {period}:",
        "nl": "dit is de hulp die voor u gepland is voor {period}:",
    },
    "msg_client_none": {
        "en": "no help could be planned for you for {period}; the coordinator will contact you.",
        "nl": "voor {period} kon nog geen hulp voor u gepland worden; de coördinator neemt contact met u op.",
    },
    "msg_client_ride": {
        "en": "- {day} {start}: {helper} drives you to {dest} (picks you up around {pickup})",
        "nl": "- {day} {start}: {helper} rijdt u naar {dest} (haalt u op rond {pickup})",
    },
    "msg_client_help": {
        "en": "- {day} {start}-{end}: {helper} comes for {what}",
        "nl": "- {day} {start}-{end}: {helper} komt voor {what}",
    },
    "msg_client_help_team": {
        "en": "- {day} {start}-{end}: {helper} come for {what}",
        "nl": "- {day} {start}-{end}: {helper} komen voor {what}",
    },
    "msg_client_open": {
        "en": "- {day} {start}: {what} is not arranged yet",
        "nl": "- {day} {start}: {what} is nog niet geregeld",
    },
    "msg_client_end": {
        "en": "Questions? Please call the coordinator.",
        "nl": "Vragen? Bel gerust de coördinator.",
    },
    "your_appointment": {"en": "your appointment", "nl": "uw afspraak"},
    "a_volunteer": {"en": "a volunteer", "nl": "een vrijwilliger"},
    "and": {"en": "and", "nl": "en"},
    "period": {"en": "{first} to {last}", "nl": "{first} t/m {last}"},
    # explanations (matchkracht.advice.explain)
    "funnel_skills": {"en": "{n} with {skills}", "nl": "{n} met {skills}"},
    "funnel_languages": {"en": "{n} speak {languages}", "nl": "{n} spreken {languages}"},
    "funnel_distance": {"en": "{n} within their max_km", "nl": "{n} binnen hun max_km"},
    "funnel_availability": {
        "en": "{n} free {when} incl. travel",
        "nl": "{n} vrij {when} incl. reistijd",
    },
    "funnel_exclusions": {
        "en": "{n} not excluded by the client",
        "nl": "{n} niet uitgesloten door de bewoner",
    },
    "funnel_declined": {
        "en": "{n} who did not decline it",
        "nl": "{n} die de taak niet weigerden",
    },
    "funnel_exclusions_declined": {
        "en": "{n} not excluded by the client and who did not decline it",
        "nl": "{n} niet uitgesloten door de bewoner en die de taak niet weigerden",
    },
    "funnel_continuity": {
        "en": "{n} who helped before (strict continuity)",
        "nl": "{n} die eerder hielpen (strikte continuïteit)",
    },
    "funnel_split": {
        "en": "; of these {at_cap} at their weekly cap, {busy} busy at that time, {free} free",
        "nl": "; daarvan {at_cap} aan hun weekmaximum, {busy} dan bezig, {free} vrij",
    },
    "or": {"en": " or ", "nl": " of "},
    "at_cap_with": {"en": "at cap with", "nl": "aan hun maximum met"},
    "busy_with": {"en": "busy with", "nl": "bezig met"},
    "priority": {"en": "priority", "nl": "prioriteit"},
    "and_n_more": {"en": "; and {n} more", "nl": "; en nog {n}"},
    # fixes (matchkracht.advice.fixes): ids, days and times only
    "be_one": {"en": "is", "nl": "is"},
    "be_many": {"en": "are", "nl": "zijn"},
    "take_one": {"en": "takes", "nl": "neemt"},
    "take_many": {"en": "take", "nl": "nemen"},
    "can_one": {"en": "can", "nl": "kan"},
    "can_many": {"en": "can", "nl": "kunnen"},
    "fix_assign": {
        "en": "{ids} {be} free for {who} in this plan: assign at {at}; nothing else changes.",
        "nl": "{ids} {be} vrij voor {who} in deze planning: plan in om {at}; verder verandert er niets.",
    },
    "fix_cap": {
        "en": "Raise a weekly cap: {what}; then {ids} {take} {who} at {at}; nothing else moves.",
        "nl": "Verhoog een weekmaximum: {what}; dan {take} {ids} {who} om {at}; verder schuift er niets.",
    },
    "fix_cap_change": {
        "en": "{vol}: {more} a week ({column} {old} -> {new})",
        "nl": "{vol}: {more} per week ({column} {old} -> {new})",
    },
    "one_more_task": {"en": "one more task", "nl": "één taak meer"},
    "one_more_hour": {"en": "one more hour", "nl": "één uur meer"},
    "fix_continuity": {
        "en": "Set continuity of {need} from strict to prefer; then {ids} can take {who} at {at}.",
        "nl": "Zet de continuïteit van {need} van strict op prefer; dan {can} {ids} {who} om {at} doen.",
    },
    "fix_widen": {
        "en": "Allow {need} to start {n} minutes {side} (window {old} -> {new}); then {ids} can take {task} at {at}; nothing else moves.",
        "nl": "Laat {need} {n} minuten {side} beginnen (venster {old} -> {new}); dan {can} {ids} {task} om {at} doen; verder schuift er niets.",
    },
    "earlier": {"en": "earlier", "nl": "eerder"},
    "later": {"en": "later", "nl": "later"},
    "fix_move": {
        "en": "Move {other} (priority {priority}) from {vol} to {to} at {other_at}; then {vol} takes {task} at {at}. The registry stays as it is.",
        "nl": "Verplaats {other} (prioriteit {priority}) van {vol} naar {to} om {other_at}; dan neemt {vol} {task} om {at}. Het register blijft zoals het is.",
    },
    "fix_recruit": {
        "en": "Recruit {need}{skills}{languages}, living near client {client}, free {availability} (max_km {max_km}); they can take {task} at {at}.",
        "nl": "Werf {need}{skills}{languages}, wonend bij bewoner {client}, vrij {availability} (max_km {max_km}); die kan {task} om {at} doen.",
    },
    "recruit_one": {"en": "a volunteer", "nl": "een vrijwilliger"},
    "recruit_many": {"en": "{k} volunteers", "nl": "{k} vrijwilligers"},
    "recruit_skills": {"en": " with {skills}", "nl": " met {skills}"},
    "recruit_languages": {"en": ", speaking {languages}", "nl": ", die {languages} spreekt"},
    "fix_none": {
        "en": "No fix found within the searched changes ({searched}, a new volunteer near the client).",
        "nl": "Geen oplossing gevonden binnen de gezochte wijzigingen ({searched}, een nieuwe vrijwilliger bij de bewoner).",
    },
    "fix_searched": {
        "en": "assign as is, relaxed continuity, +1 task/+1 h caps, window ±{steps}",
        "nl": "inplannen zoals het is, versoepelde continuïteit, +1 taak/+1 uur maximum, venster ±{steps}",
    },
    "fix_searched_move": {"en": ", moving one task", "nl": ", één taak verplaatsen"},
    # recruitment advice (matchkracht.advice.signals)
    "advice_line": {
        "en": "One more {skill} free {weekday} {part}s {where} covers {gain} more {tasks} a week (+{share} weighted coverage).",
        "nl": "Nog één {skill} vrij op {weekday}{part}en {where} dekt {gain} {tasks} per week meer (+{share} gewogen dekking).",
    },
    "advice_volunteer": {"en": "volunteer", "nl": "vrijwilliger"},
    "no_skills": {"en": "no skills", "nl": "geen vaardigheden"},
    "advice_skilled": {"en": "{skill} volunteer", "nl": "vrijwilliger met {skill}"},
    "advice_near": {"en": "near {village}", "nl": "bij {village}"},
    "advice_near_unmet": {"en": "near the unmet clients", "nl": "bij de bewoners zonder hulp"},
    "advice_task_one": {"en": "task", "nl": "taak"},
    "advice_task_many": {"en": "tasks", "nl": "taken"},
    "morning": {"en": "morning", "nl": "ochtend"},
    "afternoon": {"en": "afternoon", "nl": "middag"},
    "evening": {"en": "evening", "nl": "avond"},
    # the signals report (matchkracht.advice.report)
    "rep_title": {"en": "matchkracht signals report", "nl": "matchkracht-signalenrapport"},
    "rep_summary": {"en": "Summary", "nl": "Samenvatting"},
    "rep_head": {
        "en": "Horizon {horizon}: {covered} of {tasks} tasks covered ({share}), weighted coverage {weighted}; {unmatched} unmatched.",
        "nl": "Periode {horizon}: {covered} van {tasks} taken gedekt ({share}), gewogen dekking {weighted}; {unmatched} niet gedekt.",
    },
    "rep_signals": {
        "en": "Unmet demand by skill, weekday, part of day and village",
        "nl": "Onvervulde vraag per vaardigheid, weekdag, dagdeel en dorp",
    },
    "rep_signals_text": {
        "en": "Groups with at least one unmet task, largest priority weight first.",
        "nl": "Groepen met minstens één niet gedekte taak, grootste prioriteitsgewicht eerst.",
    },
    "rep_advice": {"en": "Recruitment advice", "nl": "Wervingsadvies"},
    "rep_advice_text": {
        "en": "Each recruit is a synthetic volunteer; the gain is measured on a verified plan (re-solve, or the current plan with the recruit added, whichever is better).",
        "nl": "Elke rekruut is een denkbeeldige vrijwilliger; de winst is gemeten op een gecontroleerde planning (opnieuw oplossen, of de huidige planning met de rekruut erbij, wat beter is).",
    },
    "rep_explain": {
        "en": "Why each task is unmatched, and what would fix it",
        "nl": "Waarom elke taak niet gedekt is, en wat zou helpen",
    },
    "rep_explain_text": {
        "en": "{fixed} of {total} unmatched tasks have a verified fix.",
        "nl": "{fixed} van de {total} niet gedekte taken hebben een gecontroleerde oplossing.",
    },
    "rep_trend": {"en": "Trend", "nl": "Verloop"},
    "rep_trend_text": {
        "en": "Past weeks are estimates: history holds only help given, so a past week's unmet count is the current needs' occurrences that week minus the history rows.",
        "nl": "Eerdere weken zijn schattingen: de historie bevat alleen gegeven hulp, dus het aantal niet gedekte taken van een eerdere week is het aantal keren dat de huidige hulpvragen die week voorkomen min de historieregels.",
    },
    "rep_timings": {"en": "Timings", "nl": "Rekentijden"},
    "rep_timings_text": {"en": "Wall-clock seconds.", "nl": "Seconden (wandkloktijd)."},
    "rep_none": {"en": "none", "nl": "geen"},
}


def check_lang(lang: str) -> str:
    """``lang`` if it has texts, else an :class:`~matchkracht.errors.InvalidSettingsError`."""
    if lang not in LANGS:
        raise InvalidSettingsError(
            f"The 'lang' parameter must be one of {', '.join(LANGS)}; got {lang!r} instead."
        )
    return lang


def text(key: str, lang: str = "en", **values: Any) -> str:
    """The template ``key`` in ``lang``, filled with ``values``."""
    return _TEXTS[key][check_lang(lang)].format(**values)


def number(value: float, lang: str = "en", digits: int = 1, percent: bool = False) -> str:
    """``value`` with a decimal point (en) or comma (nl); ``percent`` multiplies by 100.

    >>> number(0.753, "nl", percent=True)
    '75,3%'
    """
    out = f"{value * 100 if percent else value:.{digits}f}"
    if lang == "nl":
        out = out.replace(".", ",")
    return out + ("%" if percent else "")


def plural_text(n: int, word: str, lang: str = "en") -> str:
    """``"1 volunteer"``, ``"2 volunteers"``; in Dutch ``"1 vrijwilliger"``, ``"2 vrijwilligers"``."""
    if lang == "nl" and word == "volunteer":
        return f"{n} vrijwilliger{'' if n == 1 else 's'}"
    return f"{n} {word}{'' if n == 1 else 's'}"


def day_abbr(weekday: int, lang: str = "en") -> str:
    """Short weekday name (0 = Monday)."""
    return DAY_ABBR[check_lang(lang)][weekday % 7]


def date_text(day: date, lang: str = "en", short: bool = False) -> str:
    """``"Tuesday 1 December"`` / ``"dinsdag 1 december"`` (``short``: ``"di 1 dec"``)."""
    check_lang(lang)
    if short:
        return f"{DAY_ABBR[lang][day.weekday()]} {day.day} {MONTH_NAMES[lang][day.month - 1][:3]}"
    return f"{DAY_NAMES[lang][day.weekday()]} {day.day} {MONTH_NAMES[lang][day.month - 1]}"


def kind_name(kind: str, lang: str = "en") -> str:
    """A kind of help as a word (``ride`` → ``rit``)."""
    return KIND_NAMES[check_lang(lang)].get(kind, kind)


def when_text(weekday: int, lo: str, hi: str, lang: str = "en") -> str:
    """``"Thu 09:00-11:00"`` / ``"do 09:00-11:00"``."""
    return f"{day_abbr(weekday, lang)} {lo}-{hi}"


_NL_FUNNEL = {
    "no_skill": "{only} van de {before} {has} alle gevraagde vaardigheden ({skills}).",
    "no_language": "{before} {has_b} de vaardigheden, maar {only} {speaks} {languages}.",
    "too_far": "{before} {has_b} de vaardigheden en talen, maar {only} {lives} binnen hun max_km van {place}.",
    "not_available": "{before} {could} komen, maar {only} {is_} {when} beschikbaar voor de hele tijd inclusief reistijd (beschikbaarheid en afwezige dagen).",
    "excluded": "{before} {is_b} beschikbaar, maar de bewoner sluit {them} uit.",
    "continuity": "continuïteit is strikt: {only} van de vrijwilligers die deze bewoner eerder hielpen {is_} geschikt (van {before} die verder geschikt zijn).",
}


def reason_sentence(
    code: str,
    lang: str,
    *,
    when: str,
    needed: int,
    before: int = 0,
    after: int = 0,
    skills: frozenset[str] = frozenset(),
    languages: frozenset[str] = frozenset(),
    kind: str = "other",
    eligible: int = 0,
    at_cap: int = 0,
    busy: int = 0,
    free: int = 0,
    team_full: int = 0,
) -> str:
    """The reason of an unmatched task in ``lang`` (ids, counts, day and time only).

    English reasons are made in :mod:`matchkracht.plan.reasons`; this gives the
    same facts in the other languages.
    """
    check_lang(lang)
    if lang == "en":  # pragma: no cover - the plan layer writes English itself
        return REASON_TITLES["en"].get(code, code)
    who = f"er zijn {needed} vrijwilligers tegelijk nodig; " if needed > 1 else ""

    def verb(n: int, one: str, many: str) -> str:
        return one if n == 1 else many

    if code in _NL_FUNNEL:
        s = _NL_FUNNEL[code].format(
            only=f"slechts {after}" if after else "geen",
            before=plural_text(before, "volunteer", "nl"),
            has=verb(after, "heeft", "hebben"),
            has_b=verb(before, "heeft", "hebben"),
            speaks=verb(after, "spreekt", "spreken"),
            lives=verb(after, "woont", "wonen"),
            could=verb(before, "kan", "kunnen"),
            is_=verb(after, "is", "zijn"),
            is_b=verb(before, "is", "zijn"),
            skills=", ".join(sorted(skills)),
            languages=" of ".join(sorted(languages)),
            place="de bewoner en de bestemming" if kind == "ride" else "de bewoner",
            when=when,
            them="ze allemaal" if after == 0 else f"ze op {after} na allemaal",
        )
    else:
        s = (
            f"{plural_text(eligible, 'volunteer', 'nl')} {verb(eligible, 'kan', 'kunnen')} "
            f"het doen ({when}), maar in deze planning {verb(at_cap, 'zit', 'zitten')} {at_cap} "
            f"aan hun weekmaximum en {verb(busy, 'is', 'zijn')} {busy} dan met andere taken bezig"
        )
        if team_full:
            s += (
                f"; {team_full} zou een nieuw gezicht zijn in een zorgteam dat al vol is (max_team)"
            )
        if free:
            s += (
                f"; {free} vrij is niet genoeg op één gezamenlijke starttijd"
                if needed > 1
                else f"; {free} {verb(free, 'is', 'zijn')} vrij maar het oplossen stopte voordat ze werden ingezet"
            )
        s += "."
    s = who + s
    return s[0].upper() + s[1:]
