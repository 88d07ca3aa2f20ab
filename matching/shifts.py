"""Volunteer shift assignment (docs/contract.md §1): data model, input parsing, solver entry point.

Pure Python + OR-Tools CP-SAT. ``parse_shift_problem`` turns contract JSON into the frozen
dataclasses of ``shift_types`` (raising ``BadInput`` naming the field), ``solve_shifts`` returns a
``ShiftResult`` whose ``to_dict()`` is the contract's result JSON. Imports run one way:
``shift_types`` ← ``availability`` ← ``shifts_explain`` ← ``shifts_core`` ← this module. The model
lives in ``shifts_core``, the explanations in ``shifts_explain``; ``docs/matching.md`` ("Shift
assignment") explains the design.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .defaults import DEFAULT_TIME_LIMIT
from .errors import BadInput
from .fairness import fairness_to_dict, is_active, parse_fairness, solve_fair, validate_fairness
from .geo import distance_units, haversine_km
from .reasons import Reason
from .shift_types import (
    URGENCY_WEIGHT,
    Shift,
    ShiftAssignment,
    ShiftProblem,
    ShiftResult,
    ShiftSettings,
    Slot,
    UnfilledSlot,
    Volunteer,
    score_assignment,
)
from .shifts_core import solve

__all__ = [
    "ShiftSettings",
    "Volunteer",
    "Slot",
    "Shift",
    "ShiftProblem",
    "Reason",
    "ShiftAssignment",
    "UnfilledSlot",
    "ShiftResult",
    "parse_shift_problem",
    "problem_to_dict",
    "solve_shifts",
    "score_assignment",
    "haversine_km",
    "distance_units",
    "URGENCY_WEIGHT",
]

# --------------------------------------------------------------------------------------------
# parsing and validation
# --------------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value, where: str, *, minimum: float | None = None, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not _is_number(value):
        raise BadInput(where, f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise BadInput(where, f"must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise BadInput(where, f"must be at least {minimum:g}, got {value:g}")
    return value


def _integer(
    value, where: str, *, minimum: int | None = None, maximum: int | None = None, allow_none: bool = False
):
    if value is None and allow_none:
        return None
    if not _is_number(value):
        raise BadInput(where, f"must be an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise BadInput(where, f"must be an integer, got {value!r}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise BadInput(where, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise BadInput(where, f"must be at most {maximum}, got {value}")
    return value


def _ident(value, where: str):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadInput(where, f"must be a string or an integer id, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise BadInput(where, "must not be empty")
    return value


def _list(value, where: str, *, default=None):
    if value is None and default is not None:
        return default
    if not isinstance(value, (list, tuple)):
        raise BadInput(where, f"must be a list, got {type(value).__name__}")
    return value


def _strings(value, where: str) -> frozenset:
    items = _list(value, where, default=[])
    out = []
    for k, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise BadInput(f"{where}[{k}]", f"must be a string, got {item!r}")
        out.append(item)
    return frozenset(out)


def _location(value, where: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise BadInput(where, "must be [latitude, longitude]")
    lat = _number(value[0], f"{where}[0]")
    lon = _number(value[1], f"{where}[1]")
    if not -90.0 <= lat <= 90.0:
        raise BadInput(f"{where}[0]", f"latitude {lat:g} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise BadInput(f"{where}[1]", f"longitude {lon:g} is outside -180..180")
    return (lat, lon)


def _zone(name: str, where: str):
    if not isinstance(name, str) or not name:
        raise BadInput(where, f"must be a time zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadInput(where, f"unknown time zone {name!r}") from None


def _datetime(value, where: str, zone) -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadInput(where, f"not an ISO 8601 date and time: {value!r}") from None
    else:
        raise BadInput(where, f"must be an ISO 8601 string, got {value!r}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=zone)
    return dt


def _settings(data, zone_default="UTC") -> ShiftSettings:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadInput("settings", "must be an object")
    tz = data.get("timezone", zone_default)
    _zone(tz, "settings.timezone")
    return ShiftSettings(
        max_travel_km=_number(
            data.get("max_travel_km"), "settings.max_travel_km", minimum=0.0, allow_none=True
        ),
        rest_minutes=_integer(data.get("rest_minutes", 0), "settings.rest_minutes", minimum=0),
        timezone=tz,
    )


def parse_shift_problem(data: dict) -> ShiftProblem:
    """Validate contract JSON (a dict) and build a ShiftProblem; BadInput names the bad field."""
    if not isinstance(data, dict):
        raise BadInput("problem", "must be a JSON object")
    settings = _settings(data.get("settings"))
    zone = ZoneInfo(settings.timezone)
    volunteers, seen_v = _parse_rows(
        data, "volunteers", "volunteer", lambda row, where, vid: _parse_volunteer(row, where, vid, zone),
        required=("location",),
    )
    shifts, seen_s = _parse_rows(
        data, "shifts", "shift", lambda row, where, sid: _parse_shift(row, where, sid, zone),
        required=("start", "end", "location"),
    )
    return ShiftProblem(
        settings=settings,
        volunteers=volunteers,
        shifts=shifts,
        pins=_parse_pairs(data, "pins", seen_v, seen_s),
        forbids=_parse_pairs(data, "forbids", seen_v, seen_s),
        fairness=parse_fairness(data.get("fairness")),
    )


def _parse_rows(data: dict, name: str, kind: str, build, *, required: tuple) -> tuple[tuple, dict]:
    """Each row of ``data[name]`` built by ``build(row, where, id)``; ids unique; required keys present.

    Returns the rows and {id: position}."""
    out = []
    seen: dict = {}
    for i, row in enumerate(_list(data.get(name), name, default=[])):
        where = f"{name}[{i}]"
        if not isinstance(row, dict):
            raise BadInput(where, "must be an object")
        if "id" not in row or row["id"] is None:
            raise BadInput(f"{where}.id", "missing")
        rid = _ident(row["id"], f"{where}.id")
        if rid in seen:
            raise BadInput(f"{where}.id", f"duplicate {kind} id {rid!r} (also {name}[{seen[rid]}])")
        seen[rid] = i
        for key in required:
            if key not in row:
                raise BadInput(f"{where}.{key}", "missing")
        out.append(build(row, where, rid))
    return tuple(out), seen


def _parse_volunteer(row: dict, where: str, vid, zone) -> Volunteer:
    windows = _windows(row, where, zone)
    return Volunteer(
        id=vid,
        skills=_strings(row.get("skills"), f"{where}.skills"),
        location=_location(row["location"], f"{where}.location"),
        max_travel_km=_number(
            row.get("max_travel_km"), f"{where}.max_travel_km", minimum=0.0, allow_none=True
        ),
        max_minutes=_integer(row.get("max_minutes"), f"{where}.max_minutes", minimum=0, allow_none=True),
        availability=windows,
        preferences=_strings(row.get("preferences"), f"{where}.preferences"),
        history=_strings(row.get("history"), f"{where}.history"),
    )


def _windows(row: dict, where: str, zone) -> tuple:
    windows = []
    for k, w in enumerate(_list(row.get("availability"), f"{where}.availability", default=[])):
        ww = f"{where}.availability[{k}]"
        if not isinstance(w, (list, tuple)) or len(w) != 2:
            raise BadInput(ww, "must be [start, end]")
        a = _datetime(w[0], f"{ww}[0]", zone)
        b = _datetime(w[1], f"{ww}[1]", zone)
        if b < a:
            raise BadInput(f"{ww}[1]", "window ends before it starts")
        windows.append((a, b))
    return tuple(windows)


def _parse_shift(row: dict, where: str, sid, zone) -> Shift:
    start = _datetime(row["start"], f"{where}.start", zone)
    end = _datetime(row["end"], f"{where}.end", zone)
    if end <= start:
        raise BadInput(f"{where}.end", "must be after start (shifts cannot be empty or reversed)")
    slots = _slots(row, where)
    return Shift(
        id=sid,
        start=start,
        end=end,
        location=_location(row["location"], f"{where}.location"),
        urgency=_integer(row.get("urgency", 1), f"{where}.urgency", minimum=1, maximum=4),
        min_volunteers=_integer(row.get("min_volunteers", 1), f"{where}.min_volunteers", minimum=0),
        slots=slots,
        residents=_strings(row.get("residents"), f"{where}.residents"),
        community=None if row.get("community") is None else _ident(row["community"], f"{where}.community"),
    )


def _slots(row: dict, where: str) -> tuple:
    slots = []
    for k, slot in enumerate(_list(row.get("slots"), f"{where}.slots", default=[])):
        sw = f"{where}.slots[{k}]"
        if not isinstance(slot, dict):
            raise BadInput(sw, "must be an object")
        skill = slot.get("skill")
        if skill is not None and (isinstance(skill, bool) or not isinstance(skill, (str, int))):
            raise BadInput(f"{sw}.skill", f"must be a skill name or null, got {skill!r}")
        if skill == "":
            skill = None
        slots.append(Slot(skill=skill, count=_integer(slot.get("count", 1), f"{sw}.count", minimum=0)))
    return tuple(slots)


def _parse_pairs(data: dict, name: str, seen_v: dict, seen_s: dict) -> tuple:
    """``pins`` or ``forbids``: [volunteer id, shift id] pairs of known ids, repeats dropped."""
    out = []
    for k, pair in enumerate(_list(data.get(name), name, default=[])):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise BadInput(f"{name}[{k}]", "must be [volunteer id, shift id]")
        v, s = pair
        if isinstance(v, bool) or not isinstance(v, (str, int)) or v not in seen_v:
            raise BadInput(f"{name}[{k}][0]", f"unknown volunteer {v!r}")
        if isinstance(s, bool) or not isinstance(s, (str, int)) or s not in seen_s:
            raise BadInput(f"{name}[{k}][1]", f"unknown shift {s!r}")
        out.append((v, s))
    return tuple(dict.fromkeys(out))  # drop repeats, keep order


def validate_problem(problem: ShiftProblem) -> ShiftProblem:
    """Check a ShiftProblem built in code (not through parse_shift_problem); same BadInput fields."""
    if not isinstance(problem, ShiftProblem):
        raise BadInput("problem", "must be a ShiftProblem")
    settings = problem.settings or ShiftSettings()
    _zone(settings.timezone, "settings.timezone")
    _number(settings.max_travel_km, "settings.max_travel_km", minimum=0.0, allow_none=True)
    _integer(settings.rest_minutes, "settings.rest_minutes", minimum=0)
    seen_v: set = set()
    for i, v in enumerate(problem.volunteers):
        _check_id(v, f"volunteers[{i}]", seen_v, "volunteer")
        _validate_volunteer(v, f"volunteers[{i}]", settings)
    seen_s: set = set()
    for j, s in enumerate(problem.shifts):
        _check_id(s, f"shifts[{j}]", seen_s, "shift")
        _validate_shift(s, f"shifts[{j}]", settings)
    for name in ("pins", "forbids"):
        for k, (v, s) in enumerate(getattr(problem, name)):
            if v not in seen_v:
                raise BadInput(f"{name}[{k}][0]", f"unknown volunteer {v!r}")
            if s not in seen_s:
                raise BadInput(f"{name}[{k}][1]", f"unknown shift {s!r}")
    validate_fairness(problem.fairness)
    return problem


def _check_id(row, where: str, seen: set, kind: str) -> None:
    if row.id is None:
        raise BadInput(f"{where}.id", "missing")
    if row.id in seen:
        raise BadInput(f"{where}.id", f"duplicate {kind} id {row.id!r}")
    seen.add(row.id)


def _validate_volunteer(v: Volunteer, where: str, settings: ShiftSettings) -> None:
    _location(v.location, f"{where}.location")
    _number(v.max_travel_km, f"{where}.max_travel_km", minimum=0.0, allow_none=True)
    _integer(v.max_minutes, f"{where}.max_minutes", minimum=0, allow_none=True)
    for k, w in enumerate(v.availability):
        if len(w) != 2 or not all(isinstance(t, datetime) for t in w):
            raise BadInput(f"{where}.availability[{k}]", "must be a (start, end) pair of datetimes")
        if _aware(w[1], settings) < _aware(w[0], settings):
            raise BadInput(f"{where}.availability[{k}][1]", "window ends before it starts")


def _validate_shift(s: Shift, where: str, settings: ShiftSettings) -> None:
    if not isinstance(s.start, datetime):
        raise BadInput(f"{where}.start", "must be a datetime")
    if not isinstance(s.end, datetime):
        raise BadInput(f"{where}.end", "must be a datetime")
    if _aware(s.end, settings) <= _aware(s.start, settings):
        raise BadInput(f"{where}.end", "must be after start (shifts cannot be empty or reversed)")
    _location(s.location, f"{where}.location")
    _integer(s.urgency, f"{where}.urgency", minimum=1, maximum=4)
    _integer(s.min_volunteers, f"{where}.min_volunteers", minimum=0)
    for k, slot in enumerate(s.slots):
        _integer(slot.count, f"{where}.slots[{k}].count", minimum=0)
    if len({slot.skill for slot in s.slots}) > 62:
        raise BadInput(f"{where}.slots", "at most 62 different skills per shift")


def _aware(dt: datetime, settings: ShiftSettings) -> datetime:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=ZoneInfo(settings.timezone))
    return dt


def problem_to_dict(problem: ShiftProblem) -> dict:
    """The contract JSON of a problem (what the checker and the command line read)."""
    s = problem.settings

    def iso(dt):
        return _aware(dt, s).isoformat()

    return {
        "settings": {
            "max_travel_km": s.max_travel_km,
            "rest_minutes": s.rest_minutes,
            "timezone": s.timezone,
        },
        "volunteers": [
            {
                "id": v.id,
                "skills": sorted(v.skills, key=str),
                "location": list(v.location),
                "max_travel_km": v.max_travel_km,
                "max_minutes": v.max_minutes,
                "availability": [[iso(a), iso(b)] for a, b in v.availability],
                "preferences": sorted(v.preferences, key=str),
                "history": sorted(v.history, key=str),
            }
            for v in problem.volunteers
        ],
        "shifts": [
            {
                "id": sh.id,
                "start": iso(sh.start),
                "end": iso(sh.end),
                "location": list(sh.location),
                "urgency": sh.urgency,
                "min_volunteers": sh.min_volunteers,
                "slots": [{"skill": sl.skill, "count": sl.count} for sl in sh.slots],
                "residents": sorted(sh.residents, key=str),
                **({"community": sh.community} if sh.community is not None else {}),
            }
            for sh in problem.shifts
        ],
        "pins": [list(p) for p in problem.pins],
        "forbids": [list(p) for p in problem.forbids],
        **({"fairness": fairness_to_dict(problem.fairness)} if problem.fairness is not None else {}),
    }


# --------------------------------------------------------------------------------------------
# solving
# --------------------------------------------------------------------------------------------


def solve_shifts(
    problem: ShiftProblem,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    seed: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
    previous: Iterable[tuple[Any, Any]] | None = None,
    started: float | None = None,
) -> ShiftResult:
    """Assign volunteers to shift slots maximizing the contract objective within ``time_limit`` s.

    ``progress(objective, bound, seconds)`` is called on each improving solution. ``previous``
    (pairs already approved) turns on repair mode: keep as many as possible. ``started`` is the
    ``time.monotonic()`` when the caller began reading input, so the limit covers parsing too.
    """
    t0 = time.monotonic() if started is None else started
    validate_problem(problem)
    if time_limit is None or not math.isfinite(time_limit) or time_limit <= 0:
        raise BadInput("time_limit", f"must be a positive number of seconds, got {time_limit!r}")
    if workers is None or int(workers) < 1:
        raise BadInput("workers", f"must be at least 1, got {workers!r}")
    prev = None
    if previous is not None:
        prev = []
        for k, pair in enumerate(previous):
            try:
                v, s = pair
            except (TypeError, ValueError):
                raise BadInput(f"previous[{k}]", "must be a (volunteer id, shift id) pair") from None
            prev.append((v, s))  # people or shifts that left cannot be kept; they count as changes
    if is_active(problem.fairness):
        return solve_fair(problem, time_limit=float(time_limit), workers=int(workers), seed=int(seed),
                          progress=progress, previous=prev, t0=t0, solve_plain=solve)
    return solve(
        problem,
        time_limit=float(time_limit),
        workers=int(workers),
        seed=int(seed),
        progress=progress,
        previous=prev,
        t0=t0,
    )
