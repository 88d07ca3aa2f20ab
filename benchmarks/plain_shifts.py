"""The textbook CP-SAT model of the shift problem, as the yardstick for ``matching.shifts``.

One Boolean per (volunteer, shift, slot) the volunteer may fill (rules 1–4: the same candidate pairs
the optimizer uses, so the comparison is about the model and the search, not the data), and the
rules written the plain way: one slot per volunteer and shift, slot counts, every pair of
overlapping or too-close shifts of a volunteer excluded pairwise, the hour limit, a staffed
literal per shift for the minimum, pins fixed; CP-SAT with its default parameters (presolve on)
on the whole problem, the time limit covering the model building. No decomposition, no start
solution, no relaxation.

``solve_plain(problem, time_limit=, workers=)`` returns a contract result dict (assignments with
empty reasons; ``unfilled`` left out) that ``tests/matching/checker.py`` checks like any other.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from matching.shifts_core import Compiled, build_pairs

_STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


def solve_plain(problem, *, time_limit: float, workers: int = 2, seed: int = 0, started: float | None = None) -> dict:
    t0 = time.monotonic() if started is None else started
    cp = Compiled(problem)
    pr = build_pairs(cp)
    m = cp_model.CpModel()
    shifts = problem.shifts
    xs: list[list[tuple[int, object]]] = [[] for _ in range(pr.P)]  # per pair: (slot index, literal)
    per_slot: dict[tuple[int, int], list] = {}
    per_shift: list[list] = [[] for _ in range(cp.S)]
    objective = []
    end = t0 + time_limit
    for p in range(pr.P):
        if p % 5000 == 0 and time.monotonic() > end:
            return _result(cp, pr, "UNKNOWN", 0, None, [], t0, note="model building used the whole time limit")
        v, s = int(pr.pv[p]), int(pr.ps[p])
        skills = cp.vskills[v]
        for k, slot in enumerate(shifts[s].slots):
            if slot.count <= 0 or (slot.skill is not None and slot.skill not in skills):
                continue
            lit = m.new_bool_var("")
            xs[p].append((k, lit))
            per_slot.setdefault((s, k), []).append(lit)
            per_shift[s].append(lit)
            objective.append((lit, int(pr.score[p])))
        if len(xs[p]) > 1:
            m.add_at_most_one([lit for _, lit in xs[p]])
    for (s, k), lits in per_slot.items():
        m.add(sum(lits) <= int(shifts[s].slots[k].count))
    for s in range(cp.S):
        lits = per_shift[s]
        if not lits:
            continue
        staffed = m.new_bool_var("")
        m.add(sum(lits) >= max(1, int(cp.sminv[s])) * staffed)
        m.add(sum(lits) <= len(lits) * staffed)
    for v in range(cp.V):
        if v % 1000 == 0 and time.monotonic() > end:
            return _result(cp, pr, "UNKNOWN", 0, None, [], t0, note="model building used the whole time limit")
        mine = pr.of_volunteer(v).tolist()
        if not mine:
            continue
        for a in range(len(mine)):
            for b in range(a + 1, len(mine)):
                if cp.conflict(int(pr.ps[mine[a]]), int(pr.ps[mine[b]])):
                    m.add(sum(lit for _, lit in xs[mine[a]]) + sum(lit for _, lit in xs[mine[b]]) <= 1)
        if cp.vmax[v] >= 0:
            minutes = [int(cp.sdur[pr.ps[p]]) // 60_000_000 for p in mine]
            if sum(minutes) > cp.vmax[v] // 60_000_000:
                m.add(
                    sum(mn * lit for p, mn in zip(mine, minutes) for _, lit in xs[p])
                    <= int(cp.vmax[v] // 60_000_000)
                )
    for v, s in cp.pins:
        p = pr.find(v, s)
        if p is None or not xs[p]:
            m.add_bool_or([])
        else:
            m.add(sum(lit for _, lit in xs[p]) == 1)
    m.maximize(sum(c * lit for lit, c in objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    left = t0 + time_limit - time.monotonic()
    if left <= 0.01:
        return _result(cp, pr, "UNKNOWN", 0, None, [], t0, note="model building used the whole time limit")
    solver.parameters.max_time_in_seconds = left
    status = solver.solve(m)
    name = _STATUS.get(status, "UNKNOWN")
    chosen = []
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for p in range(pr.P):
            for k, lit in xs[p]:
                if solver.boolean_value(lit):
                    chosen.append((p, k))
        bound = int(np.floor(solver.best_objective_bound + 1e-6))
    else:
        bound = None  # no solution: CP-SAT's bound is not reported
    return _result(cp, pr, name, None, bound, chosen, t0)


def _result(cp, pr, status, objective, bound, chosen, t0, note=None) -> dict:
    assignments = [
        {"volunteer": cp.vid[int(pr.pv[p])], "shift": cp.sid[int(pr.ps[p])], "slot": k, "reasons": []}
        for p, k in chosen
    ]
    obj = int(sum(int(pr.score[p]) for p, _ in chosen))
    count = np.zeros(cp.S, dtype=np.int64)
    for p, _ in chosen:
        count[pr.ps[p]] += 1
    cov: dict[str, list[int]] = {}
    for s in range(cp.S):
        cur = cov.setdefault(str(int(cp.surg[s])), [0, 0])
        cur[0] += int(count[s])
        cur[1] += int(cp.scap[s])
    stats = {
        "volunteers": cp.V,
        "shifts": cp.S,
        "candidate_pairs": int(pr.P),
        "coverage_by_urgency": {k: cov[k] for k in sorted(cov, reverse=True)},
        "filled": int(count.sum()),
        "places": int(cp.scap.sum()),
        "method": "plain_cp_sat",
    }
    if note:
        stats["note"] = note
    if status == "OPTIMAL":
        bound = obj
    return {
        "status": status,
        "objective": obj,
        "bound": max(obj, bound) if bound is not None else None,
        "seconds": time.monotonic() - t0,
        "assignments": assignments,
        "stats": stats,
    }
