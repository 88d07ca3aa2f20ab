"""Shift assignment benchmark tiers: the optimizer against first come, first served.

    python -m benchmarks.shift_tiers [--tiers community,street,district] [--seed 1] [--workers 2]
                                     [--time-limit S] [--json]

Each tier's problem comes from ``benchmarks.generate_shifts``. The solve runs in a child process
(reading the JSON file is inside the timed call, as on the command line) so its peak memory can be
measured on its own; the result is checked by ``tests/matching/checker.py`` and compared with the
first-come baseline on the same problem.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIERS = {
    "community": (300, 40),
    "street": (3000, 400),
    "district": (30000, 4000),
    "street_tight": (2000, 800),  # tight supply: about 2.5 volunteers per shift, many left unfilled
    "district_tight": (20000, 8000),
}
DEFAULT_LIMITS = {"community": 10.0, "street": 30.0, "district": 60.0, "street_tight": 60.0, "district_tight": 60.0}
U = {"1": 1, "2": 2, "3": 4, "4": 8}


def _child_solve(path: str, out: str, time_limit: float, workers: int, seed: int, method: str = "ours") -> None:
    """Runs in the child: read, parse, solve (timed from before reading), write result + peak RSS.

    ``method``: ``ours`` (``matching.shifts.solve_shifts``), ``plain`` (the textbook CP-SAT model of
    ``benchmarks.plain_shifts``) or ``first_come`` (``matching.baseline.first_come``)."""
    import resource

    started = time.monotonic()
    from matching.shifts import parse_shift_problem, solve_shifts

    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    problem = parse_shift_problem(data)
    if method == "plain":
        from benchmarks.plain_shifts import solve_plain

        result = solve_plain(problem, time_limit=time_limit, workers=workers, seed=seed, started=started)
    elif method == "first_come":
        from matching.baseline import first_come

        result = first_come(problem).to_dict()
        result["seconds"] = time.monotonic() - started
    else:
        result = solve_shifts(
            problem, time_limit=time_limit, workers=workers, seed=seed, started=started
        ).to_dict()
    result["peak_mem_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


def _run_child(path: str, out: str, limit: float, workers: int, seed: int, method: str) -> dict | None:
    """One solve in a child process; its result dict (with ``peak_mem_mb``), or None if it died."""
    code = (
        "import sys; from benchmarks.shift_tiers import _child_solve; "
        "_child_solve(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if os.path.exists(out):
        os.remove(out)
    done = subprocess.run(
        [sys.executable, "-c", code, path, out, str(limit), str(workers), str(seed), method], cwd=ROOT, env=env
    )
    if done.returncode != 0 or not os.path.exists(out):
        return None
    with open(out, encoding="utf-8") as fh:
        return json.load(fh)


def _load() -> str:
    try:
        with open("/proc/loadavg", encoding="utf-8") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:  # pragma: no cover - not Linux
        return "unknown"


METHODS = ("ours", "plain", "first_come")


def compare_tier(
    name: str, *, seed: int = 1, time_limit: float | None = None, workers: int = 2, check: bool = True,
    methods=METHODS,
) -> list[dict]:
    """One instance of the tier solved by each method in turn (child processes, same limit and
    workers): ours, the textbook CP-SAT model, first come. One row per method, each checked."""
    from benchmarks.generate_shifts import generate

    n_v, n_s = TIERS[name]
    limit = DEFAULT_LIMITS[name] if time_limit is None else float(time_limit)
    data = generate(n_v, n_s, seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "problem.json")
        out = os.path.join(tmp, "result.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        for method in methods:
            load = _load()
            t = time.monotonic()
            res = _run_child(path, out, limit, workers, seed, method)
            wall = time.monotonic() - t
            rows.append(_compare_row(name, data, method, res, limit, workers, load, wall, check))
    base = next((r for r in rows if r["method"] == "first_come" and r["weighted_coverage"] is not None), None)
    for r in rows:
        if base and base["weighted_coverage"] and r["weighted_coverage"] is not None:
            r["weighted_coverage_vs_first_come"] = round(r["weighted_coverage"] / base["weighted_coverage"], 4)
        else:
            r["weighted_coverage_vs_first_come"] = None
    return rows


def _compare_row(name, data, method, res, limit, workers, load, wall, check) -> dict:
    n_v, n_s = len(data["volunteers"]), len(data["shifts"])
    row = {"tier": name, "size": f"{n_v}×{n_s}", "method": method, "time_limit": limit, "workers": workers,
           "load_at_start": load, "process_seconds": round(wall, 1)}
    if res is None:
        row.update(status="died", objective=None, bound=None, gap_pct=None, seconds=None, peak_mem_mb=None,
                   candidate_pairs=None, weighted_coverage=None, checker="—")
        return row
    checked = "skipped"
    if check and res.get("status") in ("OPTIMAL", "FEASIBLE"):
        sys.path.insert(0, ROOT)
        from tests.matching.checker import check_shifts

        check_shifts(data, res)
        checked = "ok"
    obj, bound = res.get("objective"), res.get("bound")
    if method == "first_come":
        bound = None
    gap = round(100.0 * (bound - obj) / bound, 3) if bound and obj is not None else None
    row.update(
        status=res["status"],
        objective=obj,
        bound=bound,
        gap_pct=gap,
        seconds=round(res["seconds"], 2),
        peak_mem_mb=res.get("peak_mem_mb"),
        candidate_pairs=res.get("stats", {}).get("candidate_pairs"),
        weighted_coverage=(
            round(_weighted(res.get("stats", {}).get("coverage_by_urgency", {})), 4)
            if res["status"] in ("OPTIMAL", "FEASIBLE") else None
        ),
        checker=checked,
    )
    return row


COMPARE_COLUMNS = [
    ("tier", "tier"), ("size", "volunteers×shifts"), ("candidate_pairs", "pairs"), ("method", "method"),
    ("status", "status"), ("objective", "objective"), ("bound", "bound"), ("gap_pct", "gap %"),
    ("seconds", "s"), ("time_limit", "limit s"), ("peak_mem_mb", "peak MB"), ("load_at_start", "load avg"),
    ("weighted_coverage_vs_first_come", "U-cov / first come"), ("checker", "check"),
]


def format_compare(rows: list[dict]) -> str:
    heads = [h for _, h in COMPARE_COLUMNS]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        lines.append("| " + " | ".join("—" if r.get(k) is None else str(r.get(k)) for k, _ in COMPARE_COLUMNS) + " |")
    return "\n".join(lines)


def _weighted(cov: dict) -> float:
    num = sum(U[u] * f for u, (f, _) in cov.items())
    den = sum(U[u] * p for u, (_, p) in cov.items())
    return num / den if den else 0.0


def run_tier(
    name: str, *, seed: int = 1, time_limit: float | None = None, workers: int = 2, check: bool = True
) -> dict:
    """Generate, solve (child process), check, run the baseline; one table row as a dict."""
    from benchmarks.generate_shifts import generate
    from matching.baseline import first_come
    from matching.shifts import parse_shift_problem

    n_v, n_s = TIERS[name]
    limit = DEFAULT_LIMITS[name] if time_limit is None else float(time_limit)
    data = generate(n_v, n_s, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "problem.json")
        out = os.path.join(tmp, "result.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        t = time.monotonic()
        ours = _run_child(path, out, limit, workers, seed, "ours")
        wall = time.monotonic() - t
        if ours is None:
            raise RuntimeError(f"the {name} tier's solve did not finish")
    checked = "skipped"
    if check:
        sys.path.insert(0, ROOT)
        from tests.matching.checker import check_shifts

        check_shifts(data, ours)
        checked = "ok"
    base = first_come(parse_shift_problem(data)).to_dict()
    if check:
        check_shifts(data, base)
    cov, bcov = ours["stats"].get("coverage_by_urgency", {}), base["stats"].get("coverage_by_urgency", {})
    u4 = cov.get("4", [0, 0])
    bu4 = bcov.get("4", [0, 0])
    obj, bound = ours["objective"], ours["bound"]
    w_ours, w_base = _weighted(cov), _weighted(bcov)
    return {
        "tier": name,
        "volunteers": n_v,
        "shifts": n_s,
        "candidate_pairs": ours["stats"].get("candidate_pairs"),
        "status": ours["status"],
        "objective": obj,
        "bound": bound,
        "gap_pct": round(100.0 * (bound - obj) / bound, 3) if bound else 0.0,
        "seconds": ours["seconds"],
        "time_limit": limit,
        "process_seconds": round(wall, 2),
        "peak_mem_mb": ours.get("peak_mem_mb"),
        "greedy_objective": ours["stats"].get("greedy_objective"),
        "baseline_objective": base["objective"],
        "urgent_filled": u4[0],
        "urgent_filled_baseline": bu4[0],
        "urgent_places": u4[1],
        "filled": ours["stats"].get("filled"),
        "filled_baseline": base["stats"].get("filled"),
        "places": ours["stats"].get("places"),
        "weighted_coverage": round(w_ours, 4),
        "weighted_coverage_baseline": round(w_base, 4),
        "weighted_coverage_ratio": round(w_ours / w_base, 4) if w_base else None,
        "checker": checked,
        "seed": seed,
        "workers": workers,
    }


COLUMNS = [
    ("tier", "tier"),
    ("volunteers", "vols"),
    ("shifts", "shifts"),
    ("candidate_pairs", "pairs"),
    ("status", "status"),
    ("objective", "objective"),
    ("bound", "bound"),
    ("gap_pct", "gap %"),
    ("seconds", "s"),
    ("peak_mem_mb", "MB"),
    ("baseline_objective", "FCFS obj"),
    ("urgent", "urgent ours/FCFS/all"),
    ("all", "filled ours/FCFS/all"),
    ("weighted_coverage_ratio", "U-cov ours/FCFS"),
    ("checker", "check"),
]


def format_table(rows: list[dict]) -> str:
    lines = []
    cells = []
    for r in rows:
        r = dict(r)
        r["urgent"] = f"{r['urgent_filled']}/{r['urgent_filled_baseline']}/{r['urgent_places']}"
        r["all"] = f"{r['filled']}/{r['filled_baseline']}/{r['places']}"
        cells.append([str(r[k]) for k, _ in COLUMNS])
    heads = [h for _, h in COLUMNS]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells:
        lines.append("| " + " | ".join(x.ljust(w) for x, w in zip(c, widths)) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Shift assignment tiers: optimizer vs first come, first served")
    ap.add_argument("--tiers", default=",".join(TIERS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON lines instead of a table")
    args = ap.parse_args(argv)
    rows = []
    for name in args.tiers.split(","):
        row = run_tier(name.strip(), seed=args.seed, time_limit=args.time_limit, workers=args.workers)
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
    if not args.json:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
