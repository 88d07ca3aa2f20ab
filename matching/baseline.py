"""First come, first served: what coordinators do today, as the benchmark the optimizer must beat.

Volunteers sign up in arrival order. Each takes the shifts they asked for, then any other shift
they are allowed on, in the order of the sign-up sheet (the input order of shifts), as long as
every rule holds: a free slot they qualify for, no overlap or short rest, within their hours.
Pins are honoured first (and their shifts staffed first); like the optimizer, a pin holds outside
the volunteer's availability and travel limit, and pins that break another rule (skill, forbid,
overlap or rest, hours, slot counts) make the result INFEASIBLE naming them (docs/contract.md,
"Pins"). A shift that ends below its minimum
staffing is emptied at the end (its volunteers are not re-offered other shifts — they have
already chosen).
"""

from __future__ import annotations

import time

import numpy as np

from .errors import BadInput
from .shift_types import ShiftProblem, ShiftResult
from .shifts import validate_problem
from .shifts_core import Compiled, State, build_pairs, build_result, infeasible_result, pin_conflicts


def first_come(problem: ShiftProblem, order=None) -> ShiftResult:
    """First-come-first-served sign-up; ``order`` is the volunteers' arrival order (ids)."""
    t0 = time.monotonic()
    validate_problem(problem)
    cp = Compiled(problem)
    pr = build_pairs(cp)
    arrival = _arrival(cp, order)
    stats = {"volunteers": cp.V, "shifts": cp.S, "candidate_pairs": int(pr.P), "method": "first_come"}
    pin_pairs, bad_pins = pin_conflicts(cp, pr)
    if bad_pins:
        return infeasible_result(cp, bad_pins, stats, t0)
    state = State(cp, pr)
    pinned = np.zeros(pr.P, dtype=bool)
    for p in pin_pairs:
        if state.place(p):
            pinned[p] = True
    _staff_pinned_shifts(state, pinned, arrival)
    for v in arrival:
        _sign_up(state, v)
    _empty_understaffed(state, pinned)
    objective = state.objective()
    return build_result(
        cp,
        pr,
        state,
        pinned=pinned,
        bonus=np.zeros(pr.P, dtype=np.int64),
        status="FEASIBLE",
        objective=objective,
        bound=objective,
        stats=stats,
        phase={},
        t0=t0,
    )


def _arrival(cp: Compiled, order) -> list[int]:
    """Volunteer indices in arrival order: ``order`` (ids) first, the others in input order."""
    if order is None:
        return list(range(cp.V))
    arrival = []
    seen = set()
    for k, vid in enumerate(order):
        if vid not in cp.vindex:
            raise BadInput(f"order[{k}]", f"unknown volunteer {vid!r}")
        i = cp.vindex[vid]
        if i not in seen:
            seen.add(i)
            arrival.append(i)
    return arrival + [i for i in range(cp.V) if i not in seen]  # late arrivals keep input order


def _staff_pinned_shifts(state: State, pinned: np.ndarray, arrival: list[int]) -> None:
    """A coordinator first staffs the shifts they pinned someone to, up to their minimum (arrival order)."""
    cp, pr = state.cp, state.pairs
    rank = {v: k for k, v in enumerate(arrival)}
    for s in sorted({int(pr.ps[p]) for p in np.nonzero(pinned)[0].tolist()}):
        for p in sorted(pr.of_shift(s).tolist(), key=lambda q: rank[int(pr.pv[q])]):
            if state.count[s] >= cp.sminv[s]:
                break
            state.place(p)


def _sign_up(state: State, v: int) -> None:
    """Volunteer v takes the shifts they asked for, then any other, each in sign-up sheet order."""
    cp, pr = state.cp, state.pairs
    mine = pr.of_volunteer(v)
    if not len(mine):
        return
    shifts = pr.ps[mine]
    preferred = np.array([sid in cp.prefers[v] for sid in (cp.sid[s] for s in shifts.tolist())], dtype=bool)
    for p in mine[np.lexsort((shifts, ~preferred))].tolist():
        state.place(p)


def _empty_understaffed(state: State, pinned: np.ndarray) -> None:
    """Shifts below their minimum staffing are emptied, unless someone is pinned there."""
    cp = state.cp
    for s in range(cp.S):
        if 0 < state.count[s] < cp.sminv[s]:
            members = state.members(s)
            if not any(pinned[p] for p in members):
                for p in members:
                    state.remove(p)
