"""Project award at district and city size: our solver against plain CP-SAT, same limits.

Plain CP-SAT is the textbook model: one Boolean per valid, non-forbidden bid, at most one per project,
a capacity sum per organization and the pool sum, maximize the total score; no start, no presolve of
our own. Both get the same time limit and workers, and run one after the other on each instance.

    python -m benchmarks.award_tiers [--sizes district,city] [--seeds 101] [--workers 2]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate_award import SIZES, generate_size  # noqa: E402
from matching.award import exact, parse_award_problem, prepare_award, solve_award  # noqa: E402

TIME_LIMITS = {"street": 5.0, "district": 5.0, "city": 60.0}


def plain_cp_sat(problem, *, time_limit: float, workers: int, seed: int = 0) -> dict:
    """The textbook CP-SAT model on the contract's scores; objective, bound, status, seconds."""
    from ortools.sat.python import cp_model

    started = time.monotonic()
    pins, forbids, bids, _by_project, _stats, conflicts = prepare_award(problem)
    assert not conflicts and not pins
    candidates = [e for e in bids.values() if not e.faults and e.bid.id not in forbids]
    model = cp_model.CpModel()
    x = {e.bid.id: model.NewBoolVar("") for e in candidates}
    by_project, by_org = {}, {}
    for e in candidates:
        by_project.setdefault(e.project.id, []).append(x[e.bid.id])
        by_org.setdefault(e.org.id, []).append(e)

    def scale(values):
        out = 1
        for v in values:
            out = math.lcm(out, v.denominator)
        return out

    for literals in by_project.values():
        model.AddAtMostOne(literals)
    for entries in by_org.values():
        org = entries[0].org
        k = scale([exact(e.bid.workload) for e in entries] + [exact(org.capacity)])
        workload = sum(int(exact(e.bid.workload) * k) * x[e.bid.id] for e in entries)
        model.Add(workload <= int(exact(org.capacity) * k))
    if problem.funding_pool is not None:
        pool = exact(problem.funding_pool)
        k = scale([exact(e.bid.price) for e in candidates] + [pool])
        model.Add(sum(int(exact(e.bid.price) * k) * x[e.bid.id] for e in candidates) <= int(pool * k))
    model.Maximize(sum(e.score * x[e.bid.id] for e in candidates))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit - (time.monotonic() - started))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.Solve(model)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {
        "status": solver.StatusName(code),
        "objective": int(round(solver.ObjectiveValue())) if found else None,
        "bound": int(math.floor(solver.BestObjectiveBound() + 1e-6)) if found else None,
        "seconds": time.monotonic() - started,
    }


def ours(problem, *, time_limit: float, workers: int, seed: int = 0) -> dict:
    started = time.monotonic()
    result = solve_award(problem, time_limit=time_limit, workers=workers, seed=seed, started=started)
    return {
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "seconds": time.monotonic() - started,
    }


def load_average() -> str:
    try:
        with open("/proc/loadavg", encoding="utf-8") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:  # pragma: no cover - not Linux
        return "unknown"


def rows(sizes, seeds, workers: int, time_limits=None):
    """One row per (size, seed, solver): ours then plain CP-SAT on the same instance, each row with
    the load average just before its run."""
    time_limits = {**TIME_LIMITS, **(time_limits or {})}
    for size in sizes:
        for seed in seeds[size] if isinstance(seeds, dict) else seeds:
            data = generate_size(size, seed=seed)
            problem = parse_award_problem(data)
            limit = time_limits[size]
            for name, run in (("ours", ours), ("plain CP-SAT", plain_cp_sat)):
                load = load_average()
                row = run(problem, time_limit=limit, workers=workers)
                yield {
                    "size": size,
                    "seed": seed,
                    "projects": len(data["projects"]),
                    "organizations": len(data["organizations"]),
                    "bids": len(data["bids"]),
                    "solver": name,
                    "time_limit": limit,
                    "load": load,
                    **row,
                }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="district,city")
    parser.add_argument("--seeds", default="101")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s in SIZES]
    seeds = [int(s) for s in args.seeds.split(",")]
    for row in rows(sizes, seeds, args.workers):
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
