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

The same plain approach exists for the two other kinds, for the same comparison:
``first_come_award`` (projects in the order given, each to its first submitted bid that still
fits) and ``first_come_cases`` (needs in arrival order, each to the nearest qualified social worker
with room in their caseload). Both honour pins first and never use a forbidden pair, and return the
solvers' own result types with ``status`` FEASIBLE (INFEASIBLE if the pins cannot hold) and
``bound`` = ``objective``.
"""

from __future__ import annotations

import time

import numpy as np

from .award import AwardProblem, AwardResult, _fits, _usage, award_result, exact, prepare_award, render
from .cases import CaseProblem, CaseResult, allowed_pairs, case_result
from .errors import BadInput
from .geo import haversine_km
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


# --------------------------------------------------------------------------- project award


def first_come_award(problem: AwardProblem, *, pins=(), forbids=()) -> AwardResult:
    """Projects in the order given, each awarded to its first submitted valid bid (bids in the
    order given, scores ignored) that the organization's capacity and the funding pool still allow.

    Staff pins are awarded first (pins that cannot all hold give INFEASIBLE naming them, as the
    solver does); forbidden bids are never awarded. ``pins`` and ``forbids`` are bid ids added to the
    problem's own, as for ``solve_award``."""
    started = time.monotonic()
    pins, forbids, bids, by_project, stats, conflicts = prepare_award(problem, pins, forbids)
    stats["method"] = "first_come"
    if conflicts:
        return AwardResult("INFEASIBLE", None, None, time.monotonic() - started, [], [], stats, conflicts)
    chosen = set(pins)
    used, spent = _usage(chosen, bids)
    taken = {bids[b].project.id for b in chosen}
    for project in problem.projects:
        if project.id in taken:
            continue
        for e in by_project[project.id]:
            if not e.faults and e.bid.id not in forbids and _fits(problem, e, used, spent):
                chosen.add(e.bid.id)
                used[e.org.id] = used.get(e.org.id, 0) + exact(e.bid.workload)
                spent += exact(e.bid.price)
                break
    objective = sum(bids[b].score for b in chosen)
    result = award_result(problem, bids, by_project, chosen, pins, forbids, status="FEASIBLE",
                          objective=objective, bound=objective, stats=stats, started=started)
    result.unawarded = [_without_search_reasons(u) for u in result.unawarded]
    return result


def _without_search_reasons(entry: dict) -> dict:
    """First come weighs no totals: a project left out is explained by capacity, pool or exclusion
    alone."""
    codes = [c for c in entry["reason_codes"] if c["code"] != "lower_total_score"]
    return {**entry, "reasons": [render(c["code"], c["params"]) for c in codes], "reason_codes": codes}


# --------------------------------------------------------------------------- case assignment


def first_come_cases(problem: CaseProblem) -> CaseResult:
    """Needs in arrival (input) order, each to the nearest social worker allowed on it (level,
    sector, distance and forbids as for the solver) who still has room in their caseload; ties go
    to the worker listed first. Pins are placed first; pins that are not allowed, that give one need
    two workers or that overfill a caseload make the result INFEASIBLE naming them."""
    t0 = time.monotonic()
    allowed, exclusions = allowed_pairs(problem)
    stats = {"needs": len(problem.needs), "workers": len(problem.workers), "candidate_pairs": len(allowed),
             "method": "first_come"}
    pins = list(dict.fromkeys(tuple(pin) for pin in problem.pins))
    bad_pins = _case_pin_conflicts(problem, allowed, pins)
    if bad_pins:
        return CaseResult("INFEASIBLE", 0, 0, time.monotonic() - t0, conflicting_pins=tuple(bad_pins),
                          stats={**stats, "coverage_by_urgency": {}})
    left = {w.id: w.capacity for w in problem.workers}
    chosen = dict(pins)
    for _, worker_id in pins:
        left[worker_id] -= 1
    options: dict = {}
    for need_id, worker_id in allowed:  # per need, the workers in input order
        options.setdefault(need_id, []).append(worker_id)
    workers = {w.id: w for w in problem.workers}
    for need in problem.needs:
        free = [w for w in options.get(need.id, ()) if left[w] > 0]
        if need.id in chosen or not free:
            continue
        nearest = min(free, key=lambda w: haversine_km(need.location, workers[w].location))
        chosen[need.id] = nearest
        left[nearest] -= 1
    pairs = list(chosen.items())
    objective = sum(allowed[pair] for pair in pairs)
    return case_result(problem, allowed, exclusions, pairs, status="FEASIBLE", objective=objective,
                       bound=objective, stats=stats, t0=t0)


def _case_pin_conflicts(problem: CaseProblem, allowed: dict, pins: list) -> list:
    """Pins that cannot all hold: not allowed, several on one need, or more than a caseload takes."""
    bad = [pin for pin in pins if pin not in allowed]
    by_need: dict = {}
    by_worker: dict = {}
    for pin in pins:
        by_need.setdefault(pin[0], []).append(pin)
        by_worker.setdefault(pin[1], []).append(pin)
    capacity = {w.id: w.capacity for w in problem.workers}
    groups = [g for g in by_need.values() if len(g) > 1]
    groups += [g for w, g in by_worker.items() if len(g) > capacity[w]]
    for group in groups:
        bad.extend(pin for pin in group if pin not in bad)
    return bad
