"""The optimizer's reason codes rendered in the reader's language.

The solver explains itself with stable codes and parameters (matching/reasons.py,
matching/award.py); here each code has a translatable sentence. Solver ids in the
parameters (v12, s5, b3, o2, r17, …) are replaced by the names they stand for, amounts of money
are shown in yuan, and time windows in the reader's language and time zone.
"""
from __future__ import annotations

from datetime import datetime

from babel.dates import format_skeleton
from flask_babel import format_time, get_locale, get_timezone, lazy_gettext as _l

from linkage.formats import money
from linkage.models import WorkerLevel

SHIFT_REASONS = {
    "has_skill": _l("has the skill %(skill)s"),
    "open_slot": _l("the place is open to anyone"),
    "distance": _l("%(km)s km away"),
    "preferred": _l("asked for this shift"),
    "continuity": _l("has visited %(resident)s before"),
    "urgency": _l("urgency %(level)s of 4"),
    "pinned": _l("pinned by staff"),
    "kept": _l("kept from the approved plan"),
    "no_volunteers": _l("there are no volunteers in this run"),
    "no_one_with_skill": _l("nobody with %(skill)s is free %(window)s"),
    "unavailable": _l("%(count)s volunteers with %(skill)s are not free for all of %(window)s"),
    "too_far": _l("%(count)s volunteers with %(skill)s are free but live beyond their travel limit "
                  "(nearest %(km)s km)"),
    "forbidden": _l("%(count)s volunteers with %(skill)s were excluded from this shift by staff"),
    "busy_elsewhere": _l("%(count)s volunteers with %(skill)s are free %(window)s within reach, but all are on "
                         "other shifts at that time (%(more_urgent)s of them on more urgent ones)"),
    "hour_limit": _l("%(count)s volunteers with %(skill)s could come but are at their weekly hour limit"),
    "could_fill": _l("%(count)s volunteers with %(skill)s were still free; the run stopped before placing them"),
    "min_staffing": _l("the shift needs at least %(needed)s volunteers to run; only %(possible)s could be placed"),
    "min_exceeds_slots": _l("the shift needs at least %(needed)s volunteers but has only %(places)s places"),
    "floor_beyond_reach": _l("too few eligible volunteers: at most %(reachable)s of its urgent places can be filled"),
    "floor_competing": _l("the volunteers who could fill its urgent places are needed elsewhere at the same time "
                          "(their hours, overlapping shifts, places already taken or other communities' floors)"),
}

AWARD_REASONS = {
    "score": _l("score %(score)s = technical %(technical_score)s + price %(price_points)s"),
    "pinned": _l("pinned by staff"),
    "highest_score": _l("highest score of %(valid_bids)s valid bids"),
    "higher_bid_capacity": _l("%(bid)s scores higher (%(score)s) but %(organization)s has no capacity left for it"),
    "higher_bid_pool": _l("%(bid)s scores higher (%(score)s) but the funding pool has no room for its price %(price)s"),
    "higher_bid_forbidden": _l("%(bid)s scores higher (%(score)s) but staff excluded it"),
    "higher_bid_not_chosen": _l("%(bid)s scores higher (%(score)s); the search ended before trying it here"),
    "no_valid_bid": _l("no valid bid (%(bids)s bids received)"),
    "over_budget": _l("%(bid)s: the price %(price)s is over the budget %(budget)s"),
    "grade_too_low": _l("%(bid)s: %(organization)s is grade %(grade)sA; the project needs %(min_grade)sA"),
    "blacklisted": _l("%(bid)s: %(organization)s may not bid (blacklisted or suspended)"),
    "forbidden": _l("%(bid)s: excluded by staff"),
    "capacity": _l("%(bid)s: %(organization)s has used %(used)s of its capacity %(capacity)s and the bid needs "
                   "%(workload)s"),
    "pool": _l("%(bid)s: the price %(price)s exceeds the %(remaining)s left in the funding pool %(funding_pool)s"),
    "lower_total_score": _l("awarding it would displace awards with a higher total score"),
    "not_searched": _l("the search ended before finding a place for it"),
    "pin_invalid": _l("pinned %(bid)s is not valid"),
    "pin_forbidden": _l("%(bid)s is both pinned and excluded"),
    "pins_same_project": _l("pins %(bids)s all take project %(project)s"),
    "pins_capacity": _l("pins %(bids)s need workload %(workload)s of %(organization)s, whose capacity is %(capacity)s"),
    "pins_pool": _l("pins %(bids)s cost %(price)s together, over the funding pool %(funding_pool)s"),
}

CASE_REASONS = {
    "case_level": _l("qualified as %(level)s"),
    "case_sector": _l("the organization serves %(sector)s"),
    "distance": _l("%(km)s km away"),
    "continuity": _l("already serves %(resident)s"),
    "pinned": _l("pinned by staff"),
    "case_no_workers": _l("no social worker is available in this area"),
    "case_level_too_low": _l("%(count)s social workers are below the required qualification (%(level)s)"),
    "case_not_qualified": _l("%(count)s social workers' organizations do not serve %(sector)s"),
    "case_too_far": _l("%(count)s social workers are too far away"),
    "case_caseload_full": _l("%(count)s qualified social workers have a full caseload"),
    "forbidden": _l("%(count)s pairings were excluded by staff"),
}

CATALOGS = {"shifts": SHIFT_REASONS, "award": AWARD_REASONS, "cases": CASE_REASONS}


MONEY = frozenset({"price", "budget", "remaining", "funding_pool"})


def when(start: datetime, end: datetime) -> str:
    """A time window in the reader's language and time zone, e.g. 12月10日周四 09:00–11:00."""
    zone, locale = get_timezone(), get_locale()
    start, end = start.astimezone(zone), end.astimezone(zone)
    day = format_skeleton("MMMEd", start, locale=locale)
    if end.date() != start.date():
        return (f"{day} {format_time(start, 'short')} – "
                f"{format_skeleton('MMMEd', end, locale=locale)} {format_time(end, 'short')}")
    return f"{day} {format_time(start, 'short')}–{format_time(end, 'short')}"


def _shown(key: str, value, names: dict, kind: str):
    if value is None:
        return _l("any skill") if key == "skill" else "—"
    if key in MONEY and isinstance(value, (int, float)):
        return money(value)
    if kind == "cases" and key == "level" and value in {level.value for level in WorkerLevel}:
        return WorkerLevel(value).label
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if key == "km":
            return f"{value:.1f}"
        return f"{int(value)}" if value == int(value) else f"{value:.2f}".rstrip("0")
    if isinstance(value, (list, tuple)):
        return "、".join(str(_shown(key, v, names, kind)) for v in value) if str(get_locale()).startswith("zh") \
            else ", ".join(str(_shown(key, v, names, kind)) for v in value)
    return names.get(value, value) if isinstance(value, str) else value


def _params(reason_code: dict, names: dict, kind: str) -> dict:
    params = dict(reason_code.get("params") or {})
    if "window" in params and params.get("start") and params.get("end"):
        params["window"] = when(datetime.fromisoformat(params["start"]), datetime.fromisoformat(params["end"]))
    return {key: (value if key == "window" else _shown(key, value, names, kind)) for key, value in params.items()}


def render(kind: str, reason_code: dict, names: dict) -> str:
    """One reason as a sentence in the current language ("" for a code this version does not know)."""
    template = CATALOGS[kind].get(reason_code["code"])
    if template is None:
        return ""
    try:
        return str(template) % _params(reason_code, names, kind)
    except (KeyError, TypeError, ValueError):
        return ""
