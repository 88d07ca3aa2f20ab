"""Fairness in the shift problem (docs/contract.md, "Fairness"): a floor on each community's urgent
coverage, a cap on any volunteer's share of the week's hours, and an even spread of hours.

All three are off unless the problem carries a ``fairness`` object; without it nothing here runs and
results are exactly those of the engine in ``shifts_core``. With it, ``solve_fair`` solves twice:

1. the problem **without** the options, by the engine itself (a third of the time): the objective a
   run would reach if fairness were not asked for;
2. the problem **with** the options, as one CP-SAT model built from the engine's own candidate pairs
   and rules (``_BlockModel``), hinted with the first solution:

   * **floor** (soft, lexicographically first): community c's urgent places are the places of its
     shifts with urgency ≥ ``urgent_from``; it needs ``ceil(urgent_floor × places)`` of them filled.
     The model maximizes  objective − W × Σ shortfall  with W larger than any objective, so every
     floor that can be met together with the rules is met, and otherwise the total shortfall (in
     places) is as small as the rules allow; the result names each community left short and why;
   * **cap** (hard): a volunteer's assigned minutes ≤ ``hours_cap`` × all assigned minutes, except
     a volunteer who carries only pinned places (a person's own decision outranks the cap);
   * **spread** (lexicographically last): among solutions with the best value found, the heaviest
     volunteer's minutes are made as small as possible.

The **price of fairness** is the objective without the options minus the objective with them.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from functools import reduce

import numpy as np
from ortools.sat.python import cp_model

from .errors import BadInput
from .reasons import Reason
from .shift_types import ShiftResult
from .shifts_core import (
    Compiled,
    State,
    SubResult,
    _BlockModel,
    _repair_bonus,
    build_pairs,
    build_result,
    pin_conflicts,
)

__all__ = ["FairnessOptions", "parse_fairness", "validate_fairness", "fairness_to_dict", "solve_fair",
           "is_active", "hours_of", "SHARE_STEPS"]

SHARE_STEPS = 10_000  # shares are used in steps of 1/10,000, rounded towards the stricter side
PLAIN_SHARE = 1 / 3   # of the time limit, for the solve without the options


@dataclass(frozen=True)
class FairnessOptions:
    urgent_floor: float | None = None  # share 0–1 of each community's urgent places to fill
    urgent_from: int = 3               # urgency from which a shift counts as urgent (1–4)
    hours_cap: float | None = None     # share 0–1 of the week's assigned minutes one volunteer may carry
    spread: bool = False               # make the heaviest load as light as possible, after the objective


def is_active(options) -> bool:
    return options is not None and (
        options.urgent_floor is not None or options.hours_cap is not None or bool(options.spread))


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------


def _share(value, where: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(where, f"must be a share between 0 and 1, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0 or value > 1:
        raise BadInput(where, f"must be more than 0 and at most 1, got {value!r}")
    return value


def parse_fairness(data) -> FairnessOptions | None:
    """The ``fairness`` object of a problem (absent or null: no options); BadInput names the field."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise BadInput("fairness", "must be an object")
    unknown = sorted(set(data) - {"urgent_floor", "urgent_from", "hours_cap", "spread"})
    if unknown:
        raise BadInput(f"fairness.{unknown[0]}", "unknown option")
    spread = data.get("spread", False)
    if not isinstance(spread, bool):
        raise BadInput("fairness.spread", f"must be true or false, got {spread!r}")
    urgent_from = data.get("urgent_from", 3)
    if isinstance(urgent_from, float) and urgent_from.is_integer():
        urgent_from = int(urgent_from)
    if isinstance(urgent_from, bool) or not isinstance(urgent_from, int) or not 1 <= urgent_from <= 4:
        raise BadInput("fairness.urgent_from", f"must be an urgency from 1 to 4, got {urgent_from!r}")
    return FairnessOptions(
        urgent_floor=_share(data.get("urgent_floor"), "fairness.urgent_floor"),
        urgent_from=urgent_from,
        hours_cap=_share(data.get("hours_cap"), "fairness.hours_cap"),
        spread=spread,
    )


def validate_fairness(options) -> None:
    """Check options built in code (not parsed): the same fields and messages."""
    if options is None:
        return
    if not isinstance(options, FairnessOptions):
        raise BadInput("fairness", "must be FairnessOptions")
    parse_fairness(fairness_to_dict(options))


def fairness_to_dict(options) -> dict | None:
    if options is None:
        return None
    return {"urgent_floor": options.urgent_floor, "urgent_from": options.urgent_from,
            "hours_cap": options.hours_cap, "spread": options.spread}


def _steps(share: float) -> int:
    """A share in steps of 1/SHARE_STEPS (rounded down: a cap never allows more than asked)."""
    return int(math.floor(share * SHARE_STEPS + 1e-9))


def required_places(floor: float, places: int) -> int:
    """The places a floor asks for: ceil(floor × places), exactly."""
    steps = int(math.ceil(floor * SHARE_STEPS - 1e-9))
    return -(-steps * places // SHARE_STEPS)


# --------------------------------------------------------------------------------------------
# solving
# --------------------------------------------------------------------------------------------


def solve_fair(problem, *, time_limit: float, workers: int, seed: int, progress, previous, t0: float,
               solve_plain) -> ShiftResult:
    """The fair solution, with the price of fairness; ``solve_plain`` is the engine's ``solve``."""
    options = problem.fairness
    deadline = t0 + time_limit
    plain_problem = dataclasses.replace(problem, fairness=None)
    plain_start = time.monotonic()
    plain = solve_plain(plain_problem, time_limit=max(0.2, time_limit * PLAIN_SHARE - (plain_start - t0)),
                        workers=workers, seed=seed, progress=None, previous=previous, t0=plain_start)
    cp = Compiled(problem)
    pr = build_pairs(cp)
    if plain.status == "INFEASIBLE":  # the pins cannot hold: nothing to be fair about
        return dataclasses.replace(plain, seconds=time.monotonic() - t0,
                                   fairness=_report(cp, pr, None, options, plain))
    pin_pairs, _bad = pin_conflicts(cp, pr)
    pinned = np.zeros(pr.P, dtype=bool)
    pinned[pin_pairs] = True
    bonus, big = _repair_bonus(cp, pr, previous)
    start = _state_of(cp, pr, plain)
    if options.hours_cap is not None:
        _within_cap(start, pinned, _steps(options.hours_cap))
    model = _FairModel(start, pinned, bonus, options)
    reserve = min(0.2 * time_limit, 0.3)
    spread_share = 0.3 if options.spread else 0.0
    main_end = time.monotonic() + (deadline - reserve - time.monotonic()) * (1 - spread_share)
    res = model.solve_main(end=main_end, workers=workers, seed=seed)
    if res.status not in ("OPTIMAL", "FEASIBLE") and _keeps_rules(start, pinned, options):
        res = SubResult("FEASIBLE", {int(p): int(start.g[p]) for p in np.nonzero(start.x)[0].tolist()},
                        None, None)  # no better plan in time: the plan without options, cut to the cap
    if res.status not in ("OPTIMAL", "FEASIBLE"):
        state, status, objective = State(cp, pr), "UNKNOWN", 0
    else:
        state = _state_from(cp, pr, res.chosen)
        status = res.status
        if options.spread:
            spread = (model.solve_spread(res, end=deadline - reserve, workers=workers, seed=seed)
                      if res.objective is not None else None)
            if spread is not None:
                state = _state_from(cp, pr, spread.chosen)
                status = "OPTIMAL" if res.status == "OPTIMAL" and spread.status == "OPTIMAL" else "FEASIBLE"
        objective = state.objective()
    if progress is not None and status != "UNKNOWN":
        progress(objective, max(objective, plain.bound), round(time.monotonic() - t0, 3))
    stats = dict(plain.stats)
    for key in ("kept", "dropped", "added", "changed", "phase_seconds", "unexplained_shifts", "lns_rounds"):
        stats.pop(key, None)
    # an upper bound on the fair objective: the fair solution is also a solution without the options
    bound = objective if status == "OPTIMAL" and not bonus.any() else max(objective, plain.bound)
    result = build_result(cp, pr, state, pinned=pinned, bonus=bonus, status=status, objective=objective,
                          bound=bound, stats=stats, phase={"without_fairness": plain.stats.get("phase_seconds")},
                          t0=t0, previous=previous, deadline=deadline + 0.5)
    return dataclasses.replace(result, fairness=_report(cp, pr, state, options, plain))


def _state_of(cp: Compiled, pr, result: ShiftResult) -> State:
    """The engine's result as a State over the same pairs (the fair model's hint)."""
    state = State(cp, pr)
    for a in result.assignments:
        p = pr.find(cp.vindex[a.volunteer], cp.sindex[a.shift])
        if p is not None:
            state.place(p, check=False)
    return state


def _within_cap(state: State, pinned, steps: int) -> None:
    """Cut a plan down until every volunteer keeps the cap (the fair model's start): from whoever is
    furthest over it, drop their lowest-scoring place beyond their pins, unless that leaves a shift with
    fewer than its minimum and pins on it."""
    cp, pr = state.cp, state.pairs
    while True:
        total = int(state.used.sum())
        worst, excess = None, 0
        for v in np.nonzero(state.used)[0].tolist():
            over = SHARE_STEPS * int(state.used[v]) - steps * total
            if over > excess and any(not pinned[p] for p in state.sched[v]):
                worst, excess = v, over
        if worst is None:
            return
        free = sorted((p for p in state.sched[worst] if not pinned[p]), key=lambda p: int(pr.score[p]))
        dropped = False
        for p in free:
            s = int(pr.ps[p])
            members = state.members(s)
            if len(members) - 1 >= cp.sminv[s] or len(members) == 1:
                state.remove(p)
                dropped = True
                break
            if not any(pinned[q] for q in members):  # the shift falls below its minimum: empty it
                for q in members:
                    state.remove(q)
                dropped = True
                break
        if not dropped:
            return


def _keeps_rules(state: State, pinned, options: FairnessOptions) -> bool:
    """The plan staffs each shift it touches, keeps every pin and the cap (what a cut plan may have lost)."""
    cnt, cp = state.count, state.cp
    if not (np.all((cnt == 0) | (cnt >= cp.sminv)) and np.all(state.x[pinned])):
        return False
    if options.hours_cap is None:
        return True
    steps, total = _steps(options.hours_cap), int(state.used.sum())
    return all(SHARE_STEPS * int(state.used[v]) <= steps * total or all(pinned[p] for p in state.sched[v])
               for v in range(cp.V))


def _state_from(cp: Compiled, pr, chosen: dict) -> State:
    state = State(cp, pr)
    state.set_block(range(cp.S), chosen)
    return state


class _FairModel:
    """The engine's whole model of the problem plus the floors, the cap and the spread."""

    def __init__(self, start: State, pinned, bonus, options: FairnessOptions):
        cp, pr = start.cp, start.pairs
        self.cp, self.pr, self.options = cp, pr, options
        self.idx = np.arange(pr.P, dtype=np.int64)
        self.block = _BlockModel(start, self.idx, pinned=pinned, pin_assumptions=False)
        for s in range(cp.S):
            self.block.add_shift(s)
        if pr.P:
            self.block.add_volunteer_limits(self.idx, {})
        self.m, self.x = self.block.m, self.block.x
        self.bonus = bonus
        durations = [int(d) for d in cp.sdur.tolist()] or [1]
        self.unit = reduce(math.gcd, durations) or 1
        self.loads = self._loads()
        # all assigned time as one variable, so that each volunteer's cap is a short row
        every = sum(self._dur(s) * len(pr.of_shift(s)) for s in range(cp.S))
        self.total = self.m.new_int_var(0, every, "")
        self.m.add(self.total == cp_model.LinearExpr.weighted_sum(
            [self.x[p] for p in range(pr.P)], [self._dur(int(pr.ps[p])) for p in range(pr.P)]))
        self.penalty = 0
        self.shortfall = []
        if options.hours_cap is not None:
            self._add_cap(pinned)
        if options.urgent_floor is not None:
            self._add_floors()
        self.value = cp_model.LinearExpr.weighted_sum(
            [self.x[p] for p in range(pr.P)], (pr.score + bonus).tolist()) if pr.P else 0
        weight = int(np.abs(pr.score + bonus).sum()) + 1 if pr.P else 1
        self.goal = self.value - weight * sum(self.shortfall) if self.shortfall else self.value
        self.m.maximize(self.goal)
        self.block.add_hint(self.idx)

    def _dur(self, s: int) -> int:
        return int(self.cp.sdur[s]) // self.unit

    def _loads(self) -> dict:
        pr = self.pr
        loads = {}
        for v in range(self.cp.V):
            ps_ = pr.of_volunteer(v).tolist()
            if ps_:
                loads[v] = ps_
        return loads

    def _load(self, v: int):
        return sum(self._dur(int(self.pr.ps[p])) * self.x[p] for p in self.loads[v])

    def _add_cap(self, pinned) -> None:
        steps = _steps(self.options.hours_cap)
        for v, ps_ in self.loads.items():
            free = [p for p in ps_ if not pinned[p]]
            if not free:
                continue  # only pinned places: a person's own decision, exempt
            cap = SHARE_STEPS * self._load(v) <= steps * self.total
            if len(free) < len(ps_):  # pins and more: either nothing beyond the pins, or within the cap
                within = self.m.new_bool_var("")
                self.m.add(cap).only_enforce_if(within)
                self.m.add(sum(self.x[p] for p in free) == 0).only_enforce_if(~within)
            else:
                self.m.add(cap)

    def _add_floors(self) -> None:
        cp, pr, opts = self.cp, self.pr, self.options
        for community, shifts in urgent_shifts(cp.problem, opts.urgent_from).items():
            places = sum(int(cp.scap[cp.sindex[s]]) for s in shifts)
            need = required_places(opts.urgent_floor, places)
            if need <= 0:
                continue
            filled = [self.x[p] for s in shifts for p in pr.of_shift(cp.sindex[s]).tolist()]
            short = self.m.new_int_var(0, need, "")
            self.m.add(short >= need - sum(filled))
            self.shortfall.append(short)

    def _solver(self, end: float, workers: int, seed: int) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, end - time.monotonic())
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.random_seed = int(seed)
        return solver

    def solve_main(self, *, end: float, workers: int, seed: int):
        """The floors first, then the objective, under the cap (CP-SAT's presolve on: the cap's rows
        over all pairs need it to find plans at all)."""
        solver = self._solver(end, workers, seed)
        status = solver.solve(self.m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return SubResult("UNKNOWN", {}, None, None)
        return SubResult("OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE",
                         self.block._chosen(solver.boolean_value, self.idx), int(round(solver.objective_value)),
                         int(math.floor(solver.best_objective_bound + 1e-6)))

    def solve_spread(self, main, *, end: float, workers: int, seed: int):
        """Keep the value found, make the heaviest load as light as possible."""
        if not self.loads or time.monotonic() >= end:
            return None
        m = self.m
        m.add(self.goal >= int(main.objective))
        top = sum(self._dur(s) for s in range(self.cp.S))
        heaviest = m.new_int_var(0, max(top, 0), "")
        for v in self.loads:
            m.add(heaviest >= self._load(v))
        m.minimize(heaviest)
        m.clear_hints()
        for p in range(self.pr.P):
            m.add_hint(self.x[p], p in main.chosen)
        solver = self._solver(end, workers, seed)
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return SubResult("OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE",
                          self.block._chosen(solver.boolean_value, self.idx), main.objective, main.bound)


# --------------------------------------------------------------------------------------------
# the report: coverage per community, hours, the price
# --------------------------------------------------------------------------------------------


def urgent_shifts(problem, urgent_from: int) -> dict:
    """community → ids of its shifts with urgency ≥ ``urgent_from`` (shifts of no community: none)."""
    out: dict = {}
    for s in problem.shifts:
        if s.community is not None and s.urgency >= urgent_from:
            out.setdefault(s.community, []).append(s.id)
    return out


def hours_of(minutes: dict) -> dict:
    """The spread of assigned minutes among the volunteers who have any."""
    values = sorted(minutes.values())
    total = sum(values)
    if not values:
        return {"total_minutes": 0, "volunteers": 0, "max_minutes": 0, "min_minutes": 0, "mean_minutes": 0.0,
                "max_share": 0.0, "spread_minutes": 0}
    return {"total_minutes": total, "volunteers": len(values), "max_minutes": values[-1], "min_minutes": values[0],
            "mean_minutes": round(total / len(values), 1), "max_share": round(values[-1] / total, 4) if total else 0.0,
            "spread_minutes": values[-1] - values[0]}


def _minutes(problem, assignments) -> dict:
    length = {s.id: int(round((s.end - s.start).total_seconds() / 60)) for s in problem.shifts}
    out: dict = {}
    for a in assignments:
        out[a.volunteer] = out.get(a.volunteer, 0) + length[a.shift]
    return out


def _report(cp: Compiled, pr, state: State | None, options: FairnessOptions, plain: ShiftResult) -> dict:
    problem = cp.problem
    report = {"options": fairness_to_dict(options)}
    if state is None:
        report.update(communities=[], floor_unmet=[], hours=hours_of({}), hours_by_volunteer={},
                      price=None)
        return report
    filled = {cp.sid[s]: int(state.count[s]) for s in range(cp.S)}
    ours = _minutes_state(cp, state)
    report["communities"], report["floor_unmet"] = _communities(cp, pr, filled, options)
    report["hours"] = hours_of(ours)
    report["hours_by_volunteer"] = {str(v): m for v, m in ours.items()}
    report["hours_without"] = hours_of(_minutes(problem, plain.assignments))
    objective = state.objective()
    report["price"] = {"objective_without": int(plain.objective), "objective_with": objective,
                       "price": int(plain.objective) - objective, "status_without": plain.status,
                       "bound_without": int(plain.bound),
                       "share": round((int(plain.objective) - objective) / plain.objective, 4)
                       if plain.objective else 0.0}
    return report


def _minutes_state(cp: Compiled, state: State) -> dict:
    pr = state.pairs
    out: dict = {}
    for p in np.nonzero(state.x)[0].tolist():
        v = cp.vid[int(pr.pv[p])]
        out[v] = out.get(v, 0) + int(cp.sdur[int(pr.ps[p])]) // 60_000_000
    return out


def _communities(cp: Compiled, pr, filled: dict, options: FairnessOptions) -> tuple[list, list]:
    """Per community: urgent places, filled, share, the floor's requirement; and the floors left short."""
    pr_count = [int(pr.ptr_s[s + 1] - pr.ptr_s[s]) for s in range(cp.S)]
    rows, unmet = [], []
    for community, shifts in sorted(urgent_shifts(cp.problem, options.urgent_from).items(), key=lambda i: str(i[0])):
        places = sum(int(cp.scap[cp.sindex[s]]) for s in shifts)
        got = sum(filled[s] for s in shifts)
        row = {"community": community, "urgent_places": places, "urgent_filled": got,
               "share": round(got / places, 4) if places else 1.0}
        if options.urgent_floor is not None:
            need = required_places(options.urgent_floor, places)
            row["required"] = need
            row["met"] = got >= need
            if got < need:
                reachable = sum(min(int(cp.scap[cp.sindex[s]]), pr_count[cp.sindex[s]]) for s in shifts)
                reason = (Reason("floor_beyond_reach", {"reachable": reachable}) if reachable < need
                          else Reason("floor_competing", {}))
                unmet.append({"community": community, "required": need, "filled": got,
                              "reasons": [reason.text()], "reason_codes": [reason.to_dict()]})
        rows.append(row)
    return rows, unmet

