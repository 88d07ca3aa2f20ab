"""Case assignment: needs that call for a professional, to social workers.

Rules: a need goes to at most one worker; a worker takes at most ``capacity`` new cases (their
caseload limit minus open cases); a pair is allowed only if the worker's level is at least the
need's ``min_level``, the worker is qualified for the need's sector (``sectors`` empty = any),
the distance is within min(worker ``max_travel_km``, problem ``max_travel_km``), and it is not
forbidden. Pins must hold.

Objective (maximize, integers): Σ over assignments [ 1000 × U(urgency) + 100 × continuity − d ]
with U(1..4) = 1, 2, 4, 8, continuity = 1 if the worker already serves the need's resident, and
d the distance in 100 m units rounded half up — the same scale as the shift objective.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matching.defaults import DEFAULT_TIME_LIMIT
from matching.errors import BadInput
from matching.geo import distance_units, haversine_km
from matching.reasons import Reason

URGENCY_WEIGHT = {1: 1, 2: 2, 3: 4, 4: 8}


@dataclass(frozen=True)
class CaseNeed:
    id: str
    urgency: int
    location: tuple[float, float]
    sector: str | None = None
    min_level: int = 1
    resident: str | None = None


@dataclass(frozen=True)
class CaseWorker:
    id: str
    level: int
    location: tuple[float, float]
    capacity: int
    sectors: frozenset = frozenset()
    max_travel_km: float | None = None
    residents: frozenset = frozenset()


@dataclass(frozen=True)
class CaseProblem:
    needs: tuple
    workers: tuple
    max_travel_km: float | None = 10.0
    pins: tuple = ()
    forbids: tuple = ()


@dataclass(frozen=True)
class CaseAssignment:
    need: str
    worker: str
    reasons: tuple

    def to_dict(self) -> dict:
        return {"need": self.need, "worker": self.worker, "reasons": [r.text() for r in self.reasons],
                "reason_codes": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True)
class UnassignedNeed:
    need: str
    reasons: tuple

    def to_dict(self) -> dict:
        return {"need": self.need, "reasons": [r.text() for r in self.reasons],
                "reason_codes": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True)
class CaseResult:
    status: str
    objective: int
    bound: int
    seconds: float
    assignments: tuple = ()
    unassigned: tuple = ()
    conflicting_pins: tuple = ()
    stats: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"status": self.status, "objective": self.objective, "bound": self.bound,
                "seconds": round(self.seconds, 3), "assignments": [a.to_dict() for a in self.assignments],
                "unassigned": [u.to_dict() for u in self.unassigned],
                "conflicting_pins": [list(p) for p in self.conflicting_pins], "stats": self.stats}


def _location(value, where):
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise BadInput(where, "must be [latitude, longitude]")
    lat, lon = value
    for number in (lat, lon):
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise BadInput(where, "must hold two finite numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadInput(where, "latitude or longitude out of range")
    return (float(lat), float(lon))


def _int(value, where, low, high=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise BadInput(where, f"must be an integer ≥ {low}" + (f" and ≤ {high}" if high is not None else ""))
    return value


def parse_case_problem(data: dict) -> CaseProblem:
    """Validate plain data (JSON) into a CaseProblem; BadInput names the offending field."""
    if not isinstance(data, dict):
        raise BadInput("problem", "must be an object")
    needs, workers, seen = [], [], set()
    for i, raw in enumerate(data.get("needs") or []):
        where = f"needs[{i}]"
        ident = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(ident, str) or not ident:
            raise BadInput(f"{where}.id", "missing")
        if ("need", ident) in seen:
            raise BadInput(f"{where}.id", f"duplicate id {ident!r}")
        seen.add(("need", ident))
        needs.append(CaseNeed(ident, _int(raw.get("urgency", 1), f"{where}.urgency", 1, 4),
                              _location(raw.get("location"), f"{where}.location"), raw.get("sector"),
                              _int(raw.get("min_level", 1), f"{where}.min_level", 1, 3), raw.get("resident")))
    for i, raw in enumerate(data.get("workers") or []):
        where = f"workers[{i}]"
        ident = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(ident, str) or not ident:
            raise BadInput(f"{where}.id", "missing")
        if ("worker", ident) in seen:
            raise BadInput(f"{where}.id", f"duplicate id {ident!r}")
        seen.add(("worker", ident))
        travel = raw.get("max_travel_km")
        if travel is not None and (isinstance(travel, bool) or not isinstance(travel, (int, float))
                                   or not math.isfinite(travel) or travel < 0):
            raise BadInput(f"{where}.max_travel_km", "must be a finite number ≥ 0")
        workers.append(CaseWorker(ident, _int(raw.get("level", 1), f"{where}.level", 1, 3),
                                  _location(raw.get("location"), f"{where}.location"),
                                  _int(raw.get("capacity", 0), f"{where}.capacity", 0),
                                  frozenset(raw.get("sectors") or ()), travel,
                                  frozenset(raw.get("residents") or ())))
    need_ids = {n.id for n in needs}
    worker_ids = {w.id for w in workers}
    pairs = {}
    for key in ("pins", "forbids"):
        pairs[key] = []
        for i, pair in enumerate(data.get(key) or []):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise BadInput(f"{key}[{i}]", "must be [need, worker]")
            if pair[0] not in need_ids:
                raise BadInput(f"{key}[{i}]", f"unknown need {pair[0]!r}")
            if pair[1] not in worker_ids:
                raise BadInput(f"{key}[{i}]", f"unknown worker {pair[1]!r}")
            pairs[key].append((pair[0], pair[1]))
    limit = data.get("max_travel_km", 10.0)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float))
                              or not math.isfinite(limit) or limit < 0):
        raise BadInput("max_travel_km", "must be a finite number ≥ 0")
    return CaseProblem(tuple(needs), tuple(workers), limit, tuple(pairs["pins"]), tuple(pairs["forbids"]))


def _limit(problem: CaseProblem, worker: CaseWorker) -> float:
    limits = [x for x in (problem.max_travel_km, worker.max_travel_km) if x is not None]
    return min(limits) if limits else math.inf


def pair_score(need: CaseNeed, worker: CaseWorker) -> int:
    km = haversine_km(need.location, worker.location)
    continuity = 1 if need.resident is not None and need.resident in worker.residents else 0
    return 1000 * URGENCY_WEIGHT[need.urgency] + 100 * continuity - distance_units(km)


def solve_cases(
    problem: CaseProblem,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    seed: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
    started: float | None = None,
) -> CaseResult:
    """Assign needs to social workers maximizing the objective in the module docstring."""
    t0 = time.monotonic() if started is None else started
    allowed, exclusions = allowed_pairs(problem)
    bad_pins = tuple(pin for pin in problem.pins if pin not in allowed)
    if bad_pins:
        return CaseResult("INFEASIBLE", 0, 0, time.monotonic() - t0, conflicting_pins=bad_pins,
                          stats={"needs": len(problem.needs), "workers": len(problem.workers),
                                 "coverage_by_urgency": {}})

    model, x = _case_model(problem, allowed)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit - (time.monotonic() - t0))
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed

    class _Callback(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            if progress is not None:
                progress(int(self.ObjectiveValue()), int(self.BestObjectiveBound()), time.monotonic() - t0)

    status = solver.Solve(model, _Callback())
    stats = {"needs": len(problem.needs), "workers": len(problem.workers), "candidate_pairs": len(allowed)}
    if status == cp_model.INFEASIBLE:
        return CaseResult("INFEASIBLE", 0, 0, time.monotonic() - t0, conflicting_pins=tuple(problem.pins),
                          stats={**stats, "coverage_by_urgency": {}})
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CaseResult("UNKNOWN", 0, int(solver.BestObjectiveBound()), time.monotonic() - t0,
                          stats={**stats, "coverage_by_urgency": coverage_by_urgency(problem, ())})

    chosen = [pair for pair, var in x.items() if solver.Value(var)]
    objective = int(round(solver.ObjectiveValue())) if chosen else 0
    bound = int(round(solver.BestObjectiveBound())) if x else 0
    status_name = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
    return case_result(problem, allowed, exclusions, chosen, status=status_name, objective=objective,
                       bound=max(bound, objective), stats=stats, t0=t0)


def case_result(problem: CaseProblem, allowed: dict, exclusions: dict, chosen: list, *, status: str,
                objective: int, bound: int, stats: dict, t0: float) -> CaseResult:
    """The result for the chosen (need, worker) pairs: assignments and unassigned needs with their
    reasons, and ``stats`` completed with the coverage by urgency."""
    assignments = _assignments(problem, chosen)
    unassigned = _unassigned(problem, allowed, exclusions, assignments)
    stats = {**stats, "coverage_by_urgency": coverage_by_urgency(problem, [need for need, _ in chosen])}
    return CaseResult(status, objective, bound, time.monotonic() - t0,
                      tuple(sorted(assignments, key=lambda a: a.need)), tuple(unassigned), stats=stats)


def coverage_by_urgency(problem: CaseProblem, assigned_needs) -> dict:
    """Assigned needs against all needs, per urgency (most urgent first): {"4": [assigned, total], …},
    the shape of the shift results' places per urgency."""
    assigned = set(assigned_needs)
    cov: dict[str, list[int]] = {}
    for need in problem.needs:
        cur = cov.setdefault(str(need.urgency), [0, 0])
        cur[0] += int(need.id in assigned)
        cur[1] += 1
    return {k: cov[k] for k in sorted(cov, reverse=True)}


def allowed_pairs(problem: CaseProblem) -> tuple[dict, dict]:
    """The allowed (need, worker) pairs with their scores; per need, how many workers each rule
    kept out (the first rule that does)."""
    forbidden = set(problem.forbids)
    allowed: dict[tuple[str, str], int] = {}
    exclusions: dict[str, dict[str, int]] = {
        n.id: {"level": 0, "sector": 0, "too_far": 0, "forbidden": 0} for n in problem.needs
    }
    for need in problem.needs:
        for worker in problem.workers:
            if worker.level < need.min_level:
                exclusions[need.id]["level"] += 1
            elif worker.sectors and need.sector not in worker.sectors:
                exclusions[need.id]["sector"] += 1
            elif haversine_km(need.location, worker.location) > _limit(problem, worker):
                exclusions[need.id]["too_far"] += 1
            elif (need.id, worker.id) in forbidden:
                exclusions[need.id]["forbidden"] += 1
            else:
                allowed[(need.id, worker.id)] = pair_score(need, worker)
    return allowed, exclusions


def _case_model(problem: CaseProblem, allowed: dict) -> tuple[cp_model.CpModel, dict]:
    """One need per worker at most, caseloads, pins; maximize the total score."""
    model = cp_model.CpModel()
    x = {pair: model.NewBoolVar(f"x_{pair[0]}_{pair[1]}") for pair in allowed}
    by_need: dict[str, list] = {}
    by_worker: dict[str, list] = {}
    for (need_id, worker_id), var in x.items():
        by_need.setdefault(need_id, []).append(var)
        by_worker.setdefault(worker_id, []).append(var)
    for variables in by_need.values():
        model.AddAtMostOne(variables)
    capacity = {w.id: w.capacity for w in problem.workers}
    for worker_id, variables in by_worker.items():
        model.Add(sum(variables) <= capacity[worker_id])
    for pin in problem.pins:
        model.Add(x[pin] == 1)
    model.Maximize(sum(score * x[pair] for pair, score in allowed.items()))
    return model, x


def _assignments(problem: CaseProblem, chosen: list) -> list:
    """The chosen pairs with their reasons."""
    workers_by_id = {w.id: w for w in problem.workers}
    needs_by_id = {n.id: n for n in problem.needs}
    assignments = []
    for need_id, worker_id in chosen:
        need, worker = needs_by_id[need_id], workers_by_id[worker_id]
        reasons = [Reason("case_level", {"level": worker.level})]
        if need.sector and worker.sectors:
            reasons.append(Reason("case_sector", {"sector": need.sector}))
        reasons.append(Reason("distance", {"km": round(haversine_km(need.location, worker.location), 1)}))
        if need.resident is not None and need.resident in worker.residents:
            reasons.append(Reason("continuity", {"resident": need.resident}))
        if (need_id, worker_id) in problem.pins:
            reasons.append(Reason("pinned", {}))
        assignments.append(CaseAssignment(need_id, worker_id, tuple(reasons)))
    return assignments


def _unassigned(problem: CaseProblem, allowed: dict, exclusions: dict, assignments: list) -> list:
    """Every need left without a worker, with what kept each worker out."""
    taken: dict = {}
    for a in assignments:
        taken[a.worker] = taken.get(a.worker, 0) + 1
    assigned = {a.need for a in assignments}
    unassigned = []
    for need in problem.needs:
        if need.id in assigned:
            continue
        counts = exclusions[need.id]
        candidates = [w for w in problem.workers if (need.id, w.id) in allowed]
        reasons = []
        if not problem.workers:
            reasons.append(Reason("case_no_workers", {}))
        if counts["level"]:
            reasons.append(Reason("case_level_too_low", {"count": counts["level"], "level": need.min_level}))
        if counts["sector"]:
            reasons.append(Reason("case_not_qualified", {"count": counts["sector"], "sector": need.sector}))
        if counts["too_far"]:
            reasons.append(Reason("case_too_far", {"count": counts["too_far"]}))
        if counts["forbidden"]:
            reasons.append(Reason("forbidden", {"count": counts["forbidden"], "skill": None}))
        full = [w for w in candidates if taken.get(w.id, 0) >= w.capacity]
        if full:
            reasons.append(Reason("case_caseload_full", {"count": len(full)}))
        if not reasons:
            reasons.append(Reason("case_no_workers", {}))
        unassigned.append(UnassignedNeed(need.id, tuple(reasons)))
    return unassigned
