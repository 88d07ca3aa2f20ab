"""Linkage's optimizer: volunteer shifts, project award and generalized assignment (GAP).

A pure library — plain data (dataclasses, JSON on the command line) in and out; it never imports
Flask, SQLAlchemy or the web app. The contract: docs/contract.md; the design: docs/matching.md;
``python -m matching --help``.
"""

from matching.award import AwardProblem, AwardResult, bid_score, parse_award_problem, solve_award
from matching.errors import BadInput
from matching.gap import GapInstance, GapResult, read_orlib, solve_gap
from matching.shifts import ShiftProblem, ShiftResult, parse_shift_problem, solve_shifts

__all__ = [
    "AwardProblem",
    "AwardResult",
    "BadInput",
    "GapInstance",
    "GapResult",
    "ShiftProblem",
    "ShiftResult",
    "bid_score",
    "parse_award_problem",
    "parse_shift_problem",
    "read_orlib",
    "solve_award",
    "solve_gap",
    "solve_shifts",
]
