"""Scale-out solving measured: the unsplit solve against the same problem split into parts.

    python -m benchmarks.split [--tiers street,district] [--seeds 1,2] [--parts 3] [--time-limit S]
                               [--cell-km 3] [--workers 2] [--cut-above PAIRS]

For each tier and seed a fresh problem comes from ``benchmarks.generate_shifts``. The unsplit solve
and every part get the same time limit. "wall if parallel" is the split time plus the slowest part
(what a run takes with one worker per part); "sum" the split time plus all parts one after another
(in-process mode). The cost of the cut: the candidate pairs that cross-street volunteers lose
(they serve in one street's part only), and the objective the merged proposal loses against the
unsplit one. Each merged result is checked by ``tests/matching/checker.py``. The generated problems
have no streets: a grid of ``--cell-km`` squares stands in for them (``matching.split.grid_units``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TIERS = {"street": (3000, 400), "district": (30000, 4000)}
LIMITS = {"street": 10.0, "district": 30.0}


def row(tier: str, seed: int, *, parts: int, time_limit: float | None, cell_km: float, workers: int,
        cut_above: int = 0) -> dict:
    from benchmarks.generate_shifts import generate
    from matching.shifts import parse_shift_problem, solve_shifts
    from matching.split import merge_results, split_problem
    from tests.matching.checker import check_shifts

    limit = time_limit or LIMITS[tier]
    data = generate(*TIERS[tier], seed)
    problem = parse_shift_problem(data)
    whole = solve_shifts(problem, time_limit=limit, workers=workers).to_dict()
    t0 = time.monotonic()
    split = split_problem(problem, parts=parts, cell_km=cell_km, cut_above=cut_above)
    split_seconds = time.monotonic() - t0
    results, took = [], []
    for part in split.parts:
        started = time.monotonic()
        results.append(solve_shifts(part.problem, time_limit=limit, workers=workers).to_dict())
        took.append(time.monotonic() - started)
    merged = merge_results(problem, split.parts, results, split_stats=split.stats)
    check_shifts(data, merged)
    loss = whole["objective"] - merged["objective"]
    return {"tier": tier, "seed": seed, "size": f"{len(problem.volunteers)}×{len(problem.shifts)}",
            "limit": limit, "whole_status": whole["status"], "whole": whole["objective"],
            "whole_bound": whole["bound"], "whole_s": whole["seconds"], "parts": len(split.parts),
            "cut": split.stats["cut_components"], "cross_v": split.stats["cross_volunteers"],
            "cross_pairs": split.stats["cross_pairs"], "pairs": split.stats["candidate_pairs"],
            "split_status": merged["status"], "split": merged["objective"], "split_bound": merged["bound"],
            "split_s": split_seconds, "parallel_s": split_seconds + max(took), "sum_s": split_seconds + sum(took),
            "loss": loss, "loss_pct": 100.0 * loss / max(1, whole["objective"])}


def table(rows: list[dict]) -> str:
    head = ("| tier | seed | volunteers×shifts | limit s | unsplit objective | unsplit bound | unsplit s | parts | "
            "cut components | cross-street volunteers | pairs lost / all | split objective | merged bound | "
            "split s | wall if parallel s | sum s | objective lost |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['tier']} | {r['seed']} | {r['size']} | {r['limit']:g} | {r['whole']} ({r['whole_status']}) | "
            f"{r['whole_bound']} | {r['whole_s']:.1f} | {r['parts']} | {r['cut']} | {r['cross_v']} | "
            f"{r['cross_pairs']} / {r['pairs']} | {r['split']} ({r['split_status']}) | {r['split_bound']} | "
            f"{r['split_s']:.1f} | {r['parallel_s']:.1f} | {r['sum_s']:.1f} | {r['loss']} ({r['loss_pct']:.2f} %) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="street,district")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--parts", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--cell-km", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cut-above", type=int, default=0,
                        help="never cut a component of fewer candidate pairs (the app: LINKAGE_MATCH_CUT_PAIRS)")
    args = parser.parse_args(argv)
    from benchmarks.run import machine

    print("\n".join(machine()))
    print(f"- command: `python -m benchmarks.split {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    rows = []
    for tier in args.tiers.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            rows.append(row(tier, seed, parts=args.parts, time_limit=args.time_limit, cell_km=args.cell_km,
                            workers=args.workers, cut_above=args.cut_above))
            print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
