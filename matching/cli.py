"""Command line: ``python -m matching shifts|award|gap FILE`` (docs/contract.md, "Command line").

Prints the result as JSON on stdout (gap: one object per instance, one per line). Exit status:
0 solved or proven infeasible, 1 no solution found within the time limit (UNKNOWN),
2 bad input — with one line on stderr naming the offending field.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from matching.award import parse_award_problem, solve_award
from matching.defaults import DEFAULT_TIME_LIMIT
from matching.errors import BadInput
from matching.gap import read_orlib, solve_gap
from matching.shifts import parse_shift_problem, solve_shifts


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other bad input
        raise BadInput("arguments", message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m matching", description="Linkage optimizer: shifts, project award, GAP.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    helps = {
        "shifts": "volunteer shift assignment (JSON problem)",
        "award": "project award (JSON problem)",
        "gap": "generalized assignment (OR-Library file)",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("file", metavar="FILE")
        p.add_argument(
            "--time-limit",
            type=float,
            default=DEFAULT_TIME_LIMIT,
            metavar="S",
            help=f"seconds per problem ({DEFAULT_TIME_LIMIT:g})",
        )
        p.add_argument("--workers", type=int, default=2, metavar="N", help="solver threads (2)")
        p.add_argument("--seed", type=int, default=0, metavar="K", help="random seed (0)")
        if name == "gap":
            p.add_argument("--maximize", action="store_true", help="maximize the total cost instead")
    return parser


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput("file", f"cannot read {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput("file", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _emit(data: dict) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")


def run(argv=None) -> int:
    started = time.monotonic()
    args = _parser().parse_args(argv)
    if not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise BadInput("--time-limit", f"must be a positive number of seconds, got {args.time_limit}")
    if args.workers < 1:
        raise BadInput("--workers", f"must be at least 1, got {args.workers}")
    options = {"time_limit": args.time_limit, "workers": args.workers, "seed": args.seed}

    if args.command == "gap":
        instances = read_orlib(args.file)
        code = 0
        for k, instance in enumerate(instances):
            # The first instance's time includes reading the file; each instance gets the full limit.
            result = solve_gap(
                instance, maximize=args.maximize, started=started if k == 0 else None, **options
            )
            _emit(result.to_dict())
            sys.stdout.flush()
            code = max(code, 1 if result.status == "UNKNOWN" else 0)
        return code

    data = _read_json(args.file)
    if args.command == "award":
        result = solve_award(parse_award_problem(data), started=started, **options)
    else:
        result = solve_shifts(parse_shift_problem(data), started=started, **options)
    _emit(result.to_dict())
    return 1 if result.status == "UNKNOWN" else 0


def main(argv=None) -> int:
    """Run the command line; bad input becomes one line on stderr and exit status 2."""
    try:
        return run(argv)
    except BadInput as exc:
        line = f"error: {exc.field}: {exc.message}".replace("\r", " ").replace("\n", " ")
        print(line, file=sys.stderr)
        return 2
