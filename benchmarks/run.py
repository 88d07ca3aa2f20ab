"""Optimizer benchmarks: print markdown tables for GAP (known optima), the shift tiers and awards.

    python benchmarks/run.py [--only gap|gap-types|shifts|award] [--quick] [--gap-time-limit S] [--workers N]
    python benchmarks/run.py --only gap-types [--types-time-limit S] [--types-seed K]
        [--types-sizes 10x200,...]

GAP: every instance of ``known_values.csv`` — OR-Library gap1–gap12 in both senses and the
Chu–Beasley A/B/C instances (minimization) — against its proven optimum, with the time to reach
within 0.5 % of it and the time to reach it. ``--quick``: gap1–gap12 minimized and the 5×100 and
10×100 Chu–Beasley instances only. GAP types C, D, E (``gap-types``): fresh instances of
``benchmarks.gap_instances``, ours against the textbook CP-SAT model in the same run, one after the other
per instance, at the same time limit and workers. Shifts: one row per tier of ``benchmarks.shift_tiers``.
Award: generated district and city problems (``benchmarks.generate_award``) on seeds not used while
tuning, our solver then plain CP-SAT on each, same time limit (5 s district, 60 s city) and workers.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python benchmarks/run.py` as well as `python -m benchmarks.run`
    sys.path.insert(0, str(ROOT))

DEFAULT_DATA = Path(os.environ.get("LINKAGE_GAP_DATA", ROOT.parent / "shared" / "benchmarks" / "gap"))


def machine() -> list[str]:
    """Lines describing the machine: uname, CPU model, cores, Python and OR-Tools versions."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    try:
        import ortools

        ortools_version = ortools.__version__
    except ImportError:  # pragma: no cover
        ortools_version = "missing"
    try:
        uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):  # pragma: no cover - no uname
        uname = " ".join(platform.uname())
    try:
        with open("/proc/loadavg", encoding="utf-8") as handle:
            load = " ".join(handle.read().split()[:3])
    except OSError:  # pragma: no cover
        load = "unknown"
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- uname -a: `{uname}`",
        f"- CPU: {model}; {os.cpu_count()} logical cores, {usable} usable by this process",
        f"- Python {platform.python_version()}, OR-Tools {ortools_version}",
        f"- load average at start (1, 5, 15 min): {load} — other jobs share these cores",
    ]


def gap_rows(data: Path, quick: bool, time_limit: float, workers: int, seed: int, match: str | None = None):
    from matching.gap import read_orlib, solve_gap

    with open(data / "known_values.csv", newline="") as handle:
        known = list(csv.DictReader(handle))
    cache = {}
    for row in known:
        if match and match not in row["file"]:
            continue
        chu = row["file"].startswith("chu")
        senses = [s for s in ("min", "max") if row[f"{s}_optimum"]]
        if quick:
            if chu and int(row["jobs"]) > 100:
                continue
            senses = ["min"]
        if row["file"] not in cache:
            cache[row["file"]] = read_orlib(data / row["file"])
        instance = cache[row["file"]][int(row["index_in_file"]) - 1]
        for sense in senses:
            optimum = int(row[f"{sense}_optimum"])
            maximize = sense == "max"
            reached = {}

            def progress(objective, bound, seconds, optimum=optimum, maximize=maximize, reached=reached):
                gap = (optimum - objective if maximize else objective - optimum) / optimum
                if gap <= 0.005:
                    reached.setdefault("near", seconds)
                if objective == optimum:
                    reached.setdefault("optimum", seconds)

            started, cpu = time.monotonic(), time.process_time()
            result = solve_gap(
                instance,
                maximize=maximize,
                time_limit=time_limit,
                workers=workers,
                seed=seed,
                progress=progress,
                started=started,
            )
            objective = result.objective
            gap_pct = None if objective is None else 100 * abs(objective - optimum) / optimum
            yield {
                "file": row["file"],
                "index": int(row["index_in_file"]),
                "size": f"{instance.agents}×{instance.jobs}",
                "sense": sense,
                "status": result.status,
                "objective": objective,
                "known": optimum,
                "bound": result.bound,
                "gap_pct": gap_pct,
                "seconds": result.seconds,
                "cpu": time.process_time() - cpu,
                "near": reached.get("near"),
                "optimum": reached.get("optimum"),
            }


def _fmt(value, digits=2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_gap(args) -> None:
    print("## Generalized assignment (known optima)\n")
    print(
        f"Time limit {args.gap_time_limit:g} s per instance, {args.workers} workers, seed {args.seed}. "
        "Seconds (wall) include model building and the start heuristic; CPU s is this process's CPU time "
        "(both threads); 'to 0.5 %' and 'to optimum' are the wall times the first solution that close / at "
        "the optimum was found.\n"
    )
    print(
        "| file | # | m×n | sense | status | objective | known optimum | gap % | seconds | CPU s | to 0.5 % "
        "| to optimum |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for row in gap_rows(args.data, args.quick, args.gap_time_limit, args.workers, args.seed, args.match):
        rows.append(row)
        print(
            f"| {row['file']} | {row['index']} | {row['size']} | {row['sense']} | {row['status']} | "
            f"{_fmt(row['objective'])} | {row['known']} | {_fmt(row['gap_pct'], 3)} | "
            f"{_fmt(row['seconds'])} | {_fmt(row['cpu'])} | "
            f"{_fmt(row['near'])} | {_fmt(row['optimum'])} |",
            flush=True,
        )
    at_optimum = [r for r in rows if r["objective"] == r["known"]]
    proven = [r for r in rows if r["status"] == "OPTIMAL"]
    print()
    print(f"**{len(at_optimum)}/{len(rows)} instances at the known optimum, {len(proven)} proven optimal.**")
    for label, key in (
        ("time to within 0.5 %", "near"),
        ("time to the optimum", "optimum"),
        ("total seconds (incl. proof)", "seconds"),
    ):
        timed = [r for r in rows if r[key] is not None]
        if timed:
            worst = max(timed, key=lambda r: r[key])
            print(f"- worst {label}: {worst[key]:.2f} s ({worst['file']} #{worst['index']} {worst['sense']})")
    for group, test in (
        ("OR-Library gap1–gap12", lambda r: r["file"].startswith("gap")),
        ("Chu–Beasley", lambda r: r["file"].startswith("chu")),
    ):
        part = [r for r in rows if test(r)]
        if part:
            print(
                f"- {group}: {sum(r['objective'] == r['known'] for r in part)}/{len(part)} at optimum, "
                f"sum of seconds {sum(r['seconds'] for r in part):.1f}"
            )
    print()


TYPE_SIZES = "10x200,40x400,60x900,80x1600"


def gap_type_rows(kinds, sizes, time_limit: float, workers: int, seed: int, solver_seed: int):
    """Per instance: ours and the textbook model, one after the other, with the same limit and workers."""
    from benchmarks.gap_instances import generate
    from matching.gap import solve_gap, solve_gap_plain

    for agents, jobs in sizes:
        for kind in kinds:
            instance = generate(kind, agents, jobs, seed)
            ours = solve_gap(instance, time_limit=time_limit, workers=workers, seed=solver_seed)
            load_between = _load()
            plain = solve_gap_plain(instance, time_limit=time_limit, workers=workers, seed=solver_seed)
            yield {"instance": instance, "ours": ours, "plain": plain, "load": load_between}


def _load() -> str:
    try:
        with open("/proc/loadavg", encoding="utf-8") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:  # pragma: no cover
        return "unknown"


def _gap_to(objective, bound) -> float | None:
    if objective is None or bound is None or bound == 0:
        return None
    return 100 * (objective - bound) / abs(bound)


def print_gap_types(args) -> None:
    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in args.types_sizes.split(",")]
    print("## Generalized assignment, types C, D, E: ours against the textbook CP-SAT model\n")
    print(
        f"Fresh instances (`benchmarks/gap_instances.py`, seed {args.types_seed}), minimization; "
        f"{args.types_time_limit:g} s and {args.workers} workers for each method, ours first then the "
        "textbook model on each instance. 'gap %' is to our lower bound (the best of the Lagrangian "
        "bounds and our CP-SAT rounds'); 'won' compares the objectives (lower is better). "
        "The load average is "
        "read between the two runs of each instance.\n"
    )
    print(
        "| instance | m×n | ours | ours gap % | ours status | textbook CP-SAT | textbook gap % | "
        "textbook's own bound | won | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for row in gap_type_rows(
        "cde", sizes, args.types_time_limit, args.workers, args.types_seed, args.seed
    ):
        inst, ours, plain = row["instance"], row["ours"], row["plain"]
        lower = ours.bound  # our own proven lower bound
        ours_gap, plain_gap = _gap_to(ours.objective, lower), _gap_to(plain.objective, lower)
        if plain.objective is None or (ours.objective is not None and ours.objective < plain.objective):
            won = "ours"
        elif ours.objective is None or plain.objective < ours.objective:
            won = "textbook"
        else:
            won = "tie"
        rows.append((inst, ours_gap, plain_gap, won))
        print(
            f"| {inst.name} | {inst.agents}×{inst.jobs} | {_fmt(ours.objective)} | {_fmt(ours_gap, 3)} | "
            f"{ours.status} | {_fmt(plain.objective)} | {_fmt(plain_gap, 3)} | {_fmt(plain.bound)} | {won} | "
            f"{row['load']} |",
            flush=True,
        )
    print()
    ours_gaps = [g for _, g, _, _ in rows if g is not None]
    plain_gaps = [g for _, _, g, _ in rows if g is not None]
    if ours_gaps:
        mean = sum(ours_gaps) / len(ours_gaps)
        print(f"- ours: mean gap to our bound {mean:.3f} %, worst {max(ours_gaps):.3f} %")
    if plain_gaps:
        print(
            f"- textbook CP-SAT: mean gap to our bound {sum(plain_gaps) / len(plain_gaps):.3f} % over "
            f"{len(plain_gaps)} instances with a solution, worst {max(plain_gaps):.3f} %"
        )
    for label in ("ours", "textbook", "tie"):
        print(f"- {label}: {sum(w == label for *_, w in rows)} of {len(rows)}")
    print(f"- load average at the end: {_load()}")
    print()


def print_shifts(args) -> None:
    print("## Volunteer shifts (tiers): ours against the textbook CP-SAT model and first come\n")
    from benchmarks import shift_tiers

    names = args.tiers.split(",") if args.tiers else list(shift_tiers.TIERS)
    if args.quick:
        names = names[:1]
    print(
        f"Each tier's instance (seed {args.seed}) is solved by each method in turn, in a child process "
        f"(reading the file inside the timed call; peak MB is the child's RSS), {args.workers} workers, "
        "the tier's time limit (or `--shift-time-limit`). *ours*: `matching.shifts.solve_shifts`; "
        "*plain*: the textbook CP-SAT model (`benchmarks/plain_shifts.py`: one Boolean per volunteer, "
        "shift and slot, pairwise overlap constraints, default parameters); *first_come*: "
        "`matching.baseline.first_come`. Every solution is checked by `tests/matching/checker.py`. "
        "Load avg: the machine's load average (1, 5, 15 min) when the method started.\n",
        flush=True,
    )
    rows = []
    for name in names:
        got = shift_tiers.compare_tier(
            name.strip(), seed=args.seed or 1, time_limit=args.shift_time_limit, workers=args.workers
        )
        rows.extend(got)
        for r in got:
            print("   ", {k: r.get(k) for k in ("tier", "method", "status", "objective", "bound", "seconds")},
                  file=sys.stderr, flush=True)
    print(shift_tiers.format_compare(rows))
    print()


def print_award(args) -> None:
    from benchmarks import award_tiers

    sizes = ["street"] if args.quick else ["district", "city"]
    seeds = {"street": args.award_seeds, "district": args.award_seeds, "city": args.award_seeds[:2]}
    print("## Project award (generated district and city problems)\n")
    print(
        f"{args.workers} workers each. Ours, then plain CP-SAT (one Boolean per valid bid, at most one per "
        "project, capacity and pool sums, no start) on the same instance with the same time limit. "
        "'to proof' is the wall time at which optimality was proven (— if not proven in the limit); "
        "gap % is (bound − objective) / objective.\n"
    )
    print("| size | seed | projects / orgs / bids | solver | limit s | load before | status | objective "
          "| bound | gap % | to proof s | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in award_tiers.rows(sizes, seeds, args.workers):
        gap = None
        if row["objective"]:
            gap = 100 * (row["bound"] - row["objective"]) / row["objective"]
        proof = row["seconds"] if row["status"] == "OPTIMAL" else None
        print(
            f"| {row['size']} | {row['seed']} | {row['projects']} / {row['organizations']} / {row['bids']} | "
            f"{row['solver']} | {row['time_limit']:g} | {row['load']} | {row['status']} | "
            f"{_fmt(row['objective'])} | {_fmt(row['bound'])} | {_fmt(gap, 3)} | {_fmt(proof)} | "
            f"{_fmt(row['seconds'])} |",
            flush=True,
        )
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["gap", "gap-types", "shifts", "award"])
    parser.add_argument("--quick", action="store_true", help="a fast subset")
    parser.add_argument(
        "--gap-time-limit", type=float, default=60.0, metavar="S", help="seconds per GAP instance (60)"
    )
    parser.add_argument("--workers", type=int, default=2, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiers", help="shift tiers, comma-separated (default: all of benchmarks.shift_tiers)")
    parser.add_argument(
        "--shift-time-limit", type=float, default=None, metavar="S", help="seconds per shift solve (tier default)"
    )
    parser.add_argument(
        "--match", metavar="TEXT", help="only GAP files whose name contains TEXT (e.g. chu1997)"
    )
    parser.add_argument(
        "--types-time-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds per method per instance (60)",
    )
    parser.add_argument("--types-seed", type=int, default=2027, metavar="K", help="instance seed (2027)")
    parser.add_argument(
        "--types-sizes", default=TYPE_SIZES, metavar="MxN,...", help=f"agents×jobs per type ({TYPE_SIZES})"
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="GAP data folder (with known_values.csv)"
    )
    parser.add_argument(
        "--award-seeds", type=lambda text: [int(s) for s in text.split(",")], default=[2026, 2027, 2028],
        metavar="K,K", help="award problem seeds (city takes the first two)",
    )
    args = parser.parse_args(argv)
    print("# Optimizer benchmarks\n")
    print("\n".join(machine()))
    print(f"- command: `python benchmarks/run.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    if args.only in (None, "gap"):
        print_gap(args)
    if args.only in (None, "gap-types"):
        print_gap_types(args)
    if args.only in (None, "shifts"):
        print_shifts(args)
    if args.only in (None, "award"):
        print_award(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
