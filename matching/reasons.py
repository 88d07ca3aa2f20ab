"""Explanations as stable codes with parameters; English text is rendered only at the edge.

The web app translates ``Reason.code`` with ``Reason.params``; ``Reason.text()`` is the English
fallback used in the JSON ``reasons`` lists. Codes (parameters):

Why an assignment was made
    has_skill (skill)                 the slot needs this skill and the volunteer has it
    open_slot ()                      the slot is open to anyone
    distance (km)                     travel distance, one decimal
    preferred ()                      the volunteer asked for this shift
    continuity (resident)             the volunteer visited this resident before
    urgency (level)                   the shift's urgency, 1–4
    pinned (outside_availability, beyond_travel_limit)
                                      a person decided the pair: the volunteer signed up by
                                      themselves or staff fixed it; it holds even outside the
                                      volunteer's availability or beyond their travel limit,
                                      and the two flags say whether it does
    kept ()                           kept from the previously approved plan (repair run)

Why a slot stayed (partly) empty — each tells the coordinator what to change. ``window`` is
rendered English ('Mon 07 Dec 09:00–11:00', settings' time zone); reasons that carry it also carry
``start`` and ``end`` (ISO 8601) so the app can format the window in the reader's language.
    no_volunteers ()                              the problem has no volunteers at all
    no_one_with_skill (skill, window)             nobody holding the skill is free in the window
    unavailable (count, skill, window)            holders of the skill not free for the whole window
    too_far (count, skill, km)                    free holders beyond their travel limit; km = nearest
    forbidden (count, skill)                      excluded from this shift by a coordinator
    busy_elsewhere (count, more_urgent, skill, window)
                                                  could come, but are on other shifts at that time
                                                  (more_urgent of them on more urgent shifts)
    hour_limit (count, skill)                     could come, but would pass their weekly hour limit
    could_fill (count, skill)                     were still free: the run stopped before placing them
    min_staffing (needed, possible)               the shift needs `needed` to run; only `possible` fit
    min_exceeds_slots (needed, places)            min_volunteers is larger than the number of places

Why a community's urgent floor was not met (matching/fairness.py)
    floor_beyond_reach (reachable)                even with everyone free, at most `reachable` of
                                                  its urgent places could be filled
    floor_competing ()                            enough volunteers could come, but not all at once:
                                                  their hours, overlapping shifts, pins or the other
                                                  communities' floors
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _who(count: int, skill) -> str:
    noun = "volunteer" if count == 1 else "volunteers"
    return f"{count} {noun} with {skill}" if skill else f"{count} {noun}"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _km(value) -> str:
    return f"{float(value):.1f}"


def _pinned(p) -> str:
    if "outside_availability" not in p:  # a case or an award pinned by staff
        return "pinned by staff"
    text = "kept: signed up by themselves or fixed by staff"
    beyond = []
    if p.get("outside_availability"):
        beyond.append("outside the times they gave as free")
    if p.get("beyond_travel_limit"):
        beyond.append("beyond their travel limit")
    return f"{text} ({'; '.join(beyond)})" if beyond else text


_TEMPLATES = {
    "has_skill": lambda p: f"has {p['skill']}",
    "open_slot": lambda p: "slot open to anyone",
    "distance": lambda p: f"{_km(p['km'])} km away",
    "preferred": lambda p: "asked for this shift",
    "continuity": lambda p: f"visited {p['resident']} before",
    "urgency": lambda p: f"urgency {p['level']} of 4",
    "pinned": lambda p: _pinned(p),
    "kept": lambda p: "kept from the approved plan",
    "no_volunteers": lambda p: "there are no volunteers in this run",
    "no_one_with_skill": lambda p: (
        f"nobody with {p['skill']} is free {p['window']}"
        if p.get("skill")
        else f"nobody is free {p['window']}"
    ),
    "unavailable": lambda p: (
        f"{_who(p['count'], p.get('skill'))} {_are(p['count'])} not free for all of {p['window']}"),
    "too_far": lambda p: (
        f"{_who(p['count'], p.get('skill'))} {_are(p['count'])} free but beyond their travel limit "
        f"(nearest {_km(p['km'])} km)"
    ),
    "forbidden": lambda p: (
        f"{_who(p['count'], p.get('skill'))} {_are(p['count'])} excluded from this shift by a coordinator"),
    "busy_elsewhere": lambda p: (
        f"{_who(p['count'], p.get('skill'))} {_are(p['count'])} free {p['window']} within reach; "
        f"all are assigned to other shifts at that time ({p['more_urgent']} to more urgent ones)"
    ),
    "hour_limit": lambda p: (
        f"{_who(p['count'], p.get('skill'))} could come but {_are(p['count'])} at the weekly hour limit"),
    "could_fill": lambda p: (
        f"{_who(p['count'], p.get('skill'))} {'was' if p['count'] == 1 else 'were'} still free; "
        "the run stopped before placing them"
    ),
    "min_staffing": lambda p: (
        f"the shift needs at least {p['needed']} volunteers to run; only {p['possible']} could be placed"
    ),
    "min_exceeds_slots": lambda p: (
        f"the shift needs at least {p['needed']} volunteers but has only {p['places']} "
        f"{'place' if p['places'] == 1 else 'places'}"
    ),
    "floor_beyond_reach": lambda p: (
        f"too few eligible volunteers: at most {p['reachable']} of its urgent places can be filled"),
    "floor_competing": lambda p: (
        "the volunteers who could fill its urgent places are needed elsewhere at the same time "
        "(hours, overlapping shifts, pins or other communities' floors)"),
    # case assignment (matching/cases.py)
    "case_level": lambda p: f"qualification level {p['level']}",
    "case_sector": lambda p: f"the organization serves {p['sector']}",
    "case_no_workers": lambda p: "no social worker is available in this area",
    "case_level_too_low": lambda p: f"{p['count']} social workers are below the required level {p['level']}",
    "case_not_qualified": lambda p: f"{p['count']} social workers' organizations do not serve {p['sector']}",
    "case_too_far": lambda p: f"{p['count']} social workers are too far away",
    "case_caseload_full": lambda p: f"{p['count']} qualified social workers have a full caseload",
}

CODES = frozenset(_TEMPLATES)


@dataclass(frozen=True)
class Reason:
    """One explanation: a stable ``code`` and its ``params`` (JSON-ready values)."""

    code: str
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        """The English sentence for this reason."""
        render = _TEMPLATES.get(self.code)
        if render is None:
            return self.code
        return render(self.params)

    def to_dict(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}

    def __hash__(self):  # params is a dict: hash by its sorted items
        return hash((self.code, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))
