"""The shift problem and its result as plain frozen dataclasses (docs/contract.md, section 1).

The lowest layer of the shift optimizer: it imports nothing of the solver, so the parser
(``matching.shifts``), the engine (``matching.shifts_core``) and the explanations
(``matching.shifts_explain``) all build on it without importing one another in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .geo import distance_units, haversine_km

__all__ = [
    "URGENCY_WEIGHT",
    "ShiftSettings",
    "Volunteer",
    "Slot",
    "Shift",
    "ShiftProblem",
    "ShiftAssignment",
    "UnfilledSlot",
    "ShiftResult",
    "score_assignment",
]

URGENCY_WEIGHT = {1: 1, 2: 2, 3: 4, 4: 8}


@dataclass(frozen=True)
class ShiftSettings:
    max_travel_km: float | None = None
    rest_minutes: int = 0
    timezone: str = "UTC"


@dataclass(frozen=True)
class Volunteer:
    id: Any
    skills: frozenset = frozenset()
    location: tuple = (0.0, 0.0)
    max_travel_km: float | None = None
    max_minutes: int | None = None
    availability: tuple = ()
    preferences: frozenset = frozenset()
    history: frozenset = frozenset()


@dataclass(frozen=True)
class Slot:
    skill: str | None = None
    count: int = 1


@dataclass(frozen=True)
class Shift:
    id: Any
    start: datetime
    end: datetime
    location: tuple
    urgency: int = 1
    min_volunteers: int = 1
    slots: tuple = ()
    residents: frozenset = frozenset()
    community: Any = None  # the community the shift serves (fairness floors); None: none


@dataclass(frozen=True)
class ShiftProblem:
    settings: ShiftSettings = field(default_factory=ShiftSettings)
    volunteers: tuple = ()
    shifts: tuple = ()
    pins: tuple = ()
    forbids: tuple = ()
    fairness: Any = None  # matching.fairness.FairnessOptions, or None: no fairness options


@dataclass(frozen=True)
class ShiftAssignment:
    volunteer: Any
    shift: Any
    slot: int
    reasons: tuple = ()

    def to_dict(self) -> dict:
        return {
            "volunteer": self.volunteer,
            "shift": self.shift,
            "slot": self.slot,
            "reasons": [r.text() for r in self.reasons],
            "reason_codes": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class UnfilledSlot:
    shift: Any
    slot: int
    missing: int
    reasons: tuple = ()

    def to_dict(self) -> dict:
        return {
            "shift": self.shift,
            "slot": self.slot,
            "missing": self.missing,
            "reasons": [r.text() for r in self.reasons],
            "reason_codes": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class ShiftResult:
    status: str
    objective: int
    bound: int
    seconds: float
    assignments: tuple = ()
    unfilled: tuple = ()
    unstaffed: tuple = ()
    stats: dict = field(default_factory=dict)
    conflicting_pins: tuple = ()
    fairness: dict | None = None  # with fairness options: coverage, hours and the price (fairness.py)

    def to_dict(self) -> dict:
        """The contract's result JSON (plus ``reason_codes`` next to each ``reasons`` list)."""
        out = {
            "status": self.status,
            "objective": int(self.objective),
            "bound": int(self.bound),
            "seconds": round(float(self.seconds), 3),
            "assignments": [a.to_dict() for a in self.assignments],
            "unfilled": [u.to_dict() for u in self.unfilled],
            "unstaffed": list(self.unstaffed),
            "stats": self.stats,
            "conflicting_pins": [list(p) for p in self.conflicting_pins],
        }
        if self.fairness is not None:
            out["fairness"] = self.fairness
        return out


def score_assignment(volunteer: Volunteer, shift: Shift) -> int:
    """The contract's score of one assignment: 1000×U + 50×preferred + 100×continuity − d."""
    d = distance_units(haversine_km(volunteer.location, shift.location))
    preferred = 1 if shift.id in volunteer.preferences else 0
    continuity = 1 if set(volunteer.history) & set(shift.residents) else 0
    return 1000 * URGENCY_WEIGHT[shift.urgency] + 50 * preferred + 100 * continuity - d
