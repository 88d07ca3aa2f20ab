"""Project award: give each project at most one valid bid, maximizing the total bid score.

Rules (docs/contract.md §2): a bid is valid if its price is within the project's budget, its
organization's grade is at least the project's ``min_grade`` and the organization is not
blacklisted. Each project gets at most one valid bid; an organization's awarded workload stays
within its capacity; awarded prices sum to at most the funding pool (if given). Staff may pin bids
(they must be awarded) and forbid bids (they must not be).

Scores are integers in hundredths of a point, computed exactly from the numbers as written::

    round_half_up(100 × (technical_score + price_weight × 100 × lowest_valid_price / price))
"""

from __future__ import annotations

import datetime
import math
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from numbers import Real
from typing import Any, Callable, Iterable

from ortools.linear_solver import pywraplp
from ortools.math_opt.python import mathopt
from ortools.sat.python import cp_model
from ortools.util.python.solve_interrupter import SolveInterrupter

from matching.defaults import DEFAULT_TIME_LIMIT
from matching.errors import BadInput
from matching.native import stdout_to_stderr

MAX_DECIMALS = 6  # for prices, the funding pool, workloads and capacities (they enter the solver)
MIP_SOLVER = mathopt.SolverType.HIGHS  # branch and cut (proves what CP-SAT alone cannot)
EARLY_MIP_BIDS = 200  # from this many bids in a part, branch and cut starts before the start heuristics
MIP_SHARE = 0.7  # of a part's time; CP-SAT gets the rest from the best solution so far


# --------------------------------------------------------------------------- problem


@dataclass(frozen=True)
class AwardProject:
    id: Any
    budget: Real
    price_weight: Real = 0.3
    min_grade: int | None = None


@dataclass(frozen=True)
class AwardOrganization:
    id: Any
    grade: int
    capacity: Real
    blacklisted: bool = False


@dataclass(frozen=True)
class AwardBid:
    id: Any
    project: Any
    organization: Any
    price: Real
    technical_score: Real
    workload: Real


@dataclass(frozen=True)
class AwardProblem:
    funding_pool: Real | None
    projects: tuple[AwardProject, ...]
    organizations: tuple[AwardOrganization, ...]
    bids: tuple[AwardBid, ...]
    pins: tuple = ()
    forbids: tuple = ()


# --------------------------------------------------------------------------- exact numbers


def exact(value) -> Fraction:
    """The number as written: floats are read through their shortest repr (62.505 stays 62.505)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return Fraction(value)
    raise TypeError(f"not a number: {value!r}")


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def bid_score(technical_score, price_weight, lowest_valid_price, price) -> int:
    """Score of a bid in hundredths of a point, rounded half up, computed exactly."""
    ts, pw, low, p = exact(technical_score), exact(price_weight), exact(lowest_valid_price), exact(price)
    return round_half_up(100 * (ts + pw * 100 * low / p))


def _plain(value):
    """A JSON-friendly copy of a number: int when integral, else float."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    q = exact(value)
    return int(q) if q.denominator == 1 else float(q)


def _points(hundredths: int) -> float:
    return hundredths / 100


# --------------------------------------------------------------------------- validation


def _number(value, where: str, *, minimum=None, maximum=None, positive=False, decimals=None) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction)):
        raise BadInput(where, f"must be a number, got {value!r}"[:120])
    if isinstance(value, (float, Decimal)) and not math.isfinite(value):
        raise BadInput(where, f"must be a finite number, got {value}")
    q = exact(value)
    if positive and q <= 0:
        raise BadInput(where, f"must be greater than 0, got {_plain(value)}")
    if minimum is not None and q < minimum:
        raise BadInput(where, f"must be at least {minimum}, got {_plain(value)}")
    if maximum is not None and q > maximum:
        raise BadInput(where, f"must be at most {maximum}, got {_plain(value)}")
    if decimals is not None and (10**decimals) % q.denominator:
        raise BadInput(where, f"at most {decimals} decimal places")
    return q


def _grade(value, where: str, *, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise BadInput(where, f"must be an integer grade 1–5 (1A–5A), got {value!r}"[:120])
    return value


def _check_id(value, where: str):
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise BadInput(where, f"must be a non-empty string or an integer, got {value!r}"[:120])


def _unique_ids(items, kind: str) -> dict:
    seen = {}
    for k, item in enumerate(items):
        _check_id(item.id, f"{kind}[{k}].id")
        if item.id in seen:
            raise BadInput(f"{kind}[{k}].id", f"duplicate id {item.id!r} (also {kind}[{seen[item.id]}])")
        seen[item.id] = k
    return seen


def validate_award_problem(problem: AwardProblem) -> None:
    """Check every field of an already built problem; raise BadInput naming the first bad one."""
    if problem.funding_pool is not None:
        _number(problem.funding_pool, "funding_pool", minimum=0, decimals=MAX_DECIMALS)
    project_index = _unique_ids(problem.projects, "projects")
    for k, p in enumerate(problem.projects):
        _number(p.budget, f"projects[{k}].budget", minimum=0)
        _number(p.price_weight, f"projects[{k}].price_weight", minimum=0, maximum=1)
        _grade(p.min_grade, f"projects[{k}].min_grade", optional=True)
    org_index = _unique_ids(problem.organizations, "organizations")
    for k, o in enumerate(problem.organizations):
        _grade(o.grade, f"organizations[{k}].grade")
        _number(o.capacity, f"organizations[{k}].capacity", minimum=0, decimals=MAX_DECIMALS)
        if not isinstance(o.blacklisted, bool):
            raise BadInput(
                f"organizations[{k}].blacklisted", f"must be true or false, got {o.blacklisted!r}"[:120]
            )
    bid_index = _unique_ids(problem.bids, "bids")
    for k, b in enumerate(problem.bids):
        if (
            isinstance(b.project, bool)
            or not isinstance(b.project, (str, int))
            or b.project not in project_index
        ):
            raise BadInput(f"bids[{k}].project", f"unknown project {b.project!r}"[:120])
        if (
            isinstance(b.organization, bool)
            or not isinstance(b.organization, (str, int))
            or b.organization not in org_index
        ):
            raise BadInput(f"bids[{k}].organization", f"unknown organization {b.organization!r}"[:120])
        _number(b.price, f"bids[{k}].price", positive=True, decimals=MAX_DECIMALS)
        _number(b.technical_score, f"bids[{k}].technical_score", minimum=0, maximum=100)
        _number(b.workload, f"bids[{k}].workload", minimum=0, decimals=MAX_DECIMALS)
    for name in ("pins", "forbids"):
        for k, bid in enumerate(getattr(problem, name)):
            if isinstance(bid, bool) or not isinstance(bid, (str, int)) or bid not in bid_index:
                raise BadInput(f"{name}[{k}]", f"unknown bid {bid!r}"[:120])


def _get(item: dict, key: str, where: str, default=KeyError):
    if key in item:
        return item[key]
    if default is KeyError:
        raise BadInput(f"{where}.{key}", "missing")
    return default


def _objects(data: dict, key: str, *, required=True) -> list:
    if key not in data:
        if required:
            raise BadInput(key, "missing")
        return []
    items = data[key]
    if not isinstance(items, list):
        raise BadInput(key, "must be a list")
    for k, item in enumerate(items):
        if key in ("pins", "forbids"):
            continue
        if not isinstance(item, dict):
            raise BadInput(f"{key}[{k}]", "must be an object")
    return items


def parse_award_problem(data: dict) -> AwardProblem:
    """Build and validate an :class:`AwardProblem` from its JSON form (docs/contract.md §2).

    Optional top-level ``pins`` and ``forbids`` hold bid ids the staff forced in or out.
    """
    if not isinstance(data, dict):
        raise BadInput("problem", "must be a JSON object")
    projects = tuple(
        AwardProject(
            id=_get(p, "id", f"projects[{k}]"),
            budget=_get(p, "budget", f"projects[{k}]"),
            price_weight=_get(p, "price_weight", f"projects[{k}]", 0.3),
            min_grade=_get(p, "min_grade", f"projects[{k}]", None),
        )
        for k, p in enumerate(_objects(data, "projects"))
    )
    organizations = tuple(
        AwardOrganization(
            id=_get(o, "id", f"organizations[{k}]"),
            grade=_get(o, "grade", f"organizations[{k}]"),
            capacity=_get(o, "capacity", f"organizations[{k}]"),
            blacklisted=_get(o, "blacklisted", f"organizations[{k}]", False),
        )
        for k, o in enumerate(_objects(data, "organizations"))
    )
    bids = tuple(
        AwardBid(
            id=_get(b, "id", f"bids[{k}]"),
            project=_get(b, "project", f"bids[{k}]"),
            organization=_get(b, "organization", f"bids[{k}]"),
            price=_get(b, "price", f"bids[{k}]"),
            technical_score=_get(b, "technical_score", f"bids[{k}]"),
            workload=_get(b, "workload", f"bids[{k}]"),
        )
        for k, b in enumerate(_objects(data, "bids"))
    )
    problem = AwardProblem(
        funding_pool=data.get("funding_pool"),
        projects=projects,
        organizations=organizations,
        bids=bids,
        pins=tuple(_objects(data, "pins", required=False)),
        forbids=tuple(_objects(data, "forbids", required=False)),
    )
    validate_award_problem(problem)
    return problem


# --------------------------------------------------------------------------- reasons

TEMPLATES = {
    # awards
    "score": "score {score:.2f} = technical {technical_score:.2f} + price {price_points:.2f}",
    "pinned": "pinned by staff",
    "highest_score": "highest score of {valid_bids} valid bid(s)",
    "higher_bid_capacity": "bid {bid} scores higher ({score:.2f}) but {organization} has no capacity left "
    "for it",
    "higher_bid_pool": "bid {bid} scores higher ({score:.2f}) but the funding pool has no room for its "
    "price {price}",
    "higher_bid_forbidden": "bid {bid} scores higher ({score:.2f}) but staff excluded it",
    "higher_bid_not_chosen": "bid {bid} scores higher ({score:.2f}); the search ended before trying it here",
    # unawarded
    "no_valid_bid": "no valid bid ({bids} bid(s) received)",
    "over_budget": "bid {bid}: price {price} is over the budget {budget}",
    "grade_too_low": "bid {bid}: {organization} is grade {grade}A, the project needs {min_grade}A",
    "blacklisted": "bid {bid}: {organization} is blacklisted",
    "forbidden": "bid {bid}: excluded by staff",
    "capacity": "bid {bid}: {organization} has used {used} of its capacity {capacity} and the bid needs "
    "{workload}",
    "pool": "bid {bid}: price {price} exceeds the {remaining} left in the funding pool {funding_pool}",
    "lower_total_score": "awarding it would displace awards with a higher total score",
    "not_searched": "the search ended before finding a place for it",
    # infeasible pins
    "pin_invalid": "pinned bid {bid} is not valid",
    "pin_forbidden": "bid {bid} is both pinned and excluded",
    "pins_same_project": "pins {bids} all take project {project}",
    "pins_capacity": "pins {bids} need workload {workload} of {organization}, whose capacity is {capacity}",
    "pins_pool": "pins {bids} cost {price} together, over the funding pool {funding_pool}",
}


def render(code: str, params: dict) -> str:
    """English text of a reason code (the web app translates the codes itself)."""
    shown = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in params.items()}
    return TEMPLATES[code].format(**shown)


def _reason(code: str, **params) -> dict:
    return {"code": code, "params": params}


def _pack(codes: list[dict]) -> dict:
    return {"reasons": [render(c["code"], c["params"]) for c in codes], "reason_codes": codes}


# --------------------------------------------------------------------------- result


@dataclass
class AwardResult:
    status: str
    objective: int | None
    bound: int | None
    seconds: float
    awards: list[dict]
    unawarded: list[dict]
    stats: dict = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "seconds": round(self.seconds, 3),
            "awards": self.awards,
            "unawarded": self.unawarded,
            "conflicts": self.conflicts,
            "stats": self.stats,
        }


# --------------------------------------------------------------------------- solving


@dataclass
class _Bid:
    bid: AwardBid
    project: AwardProject
    org: AwardOrganization
    faults: list[dict]  # why the bid is invalid (empty if valid)
    score: int | None = None
    price_points: Fraction | None = None
    price_q: Fraction = Fraction(0)  # the price and workload as exact numbers
    workload_q: Fraction = Fraction(0)

    def __post_init__(self):
        self.price_q, self.workload_q = exact(self.bid.price), exact(self.bid.workload)


def _analyse(problem: AwardProblem) -> tuple[dict, dict]:
    """Per bid: validity faults and score; per project: its bids in input order."""
    projects = {p.id: p for p in problem.projects}
    orgs = {o.id: o for o in problem.organizations}
    bids = {}
    by_project = {p.id: [] for p in problem.projects}
    for b in problem.bids:
        p, o = projects[b.project], orgs[b.organization]
        faults = []
        if exact(b.price) > exact(p.budget):
            faults.append(_reason("over_budget", bid=b.id, price=_plain(b.price), budget=_plain(p.budget)))
        if p.min_grade is not None and o.grade < p.min_grade:
            faults.append(
                _reason("grade_too_low", bid=b.id, organization=o.id, grade=o.grade, min_grade=p.min_grade)
            )
        if o.blacklisted:
            faults.append(_reason("blacklisted", bid=b.id, organization=o.id))
        bids[b.id] = _Bid(b, p, o, faults)
        by_project[p.id].append(bids[b.id])
    for entries in by_project.values():
        valid = [e for e in entries if not e.faults]
        if not valid:
            continue
        low = min(exact(e.bid.price) for e in valid)
        for e in valid:
            e.price_points = exact(e.project.price_weight) * 100 * low / exact(e.bid.price)
            e.score = bid_score(e.bid.technical_score, e.project.price_weight, low, e.bid.price)
    return bids, by_project


def _scale(values: Iterable[Fraction]) -> int:
    scale = 1
    for v in values:
        scale = math.lcm(scale, v.denominator)
    return scale


def _pin_conflicts(problem, bids, pins, forbids) -> list[dict]:
    """Pins hold together iff the pinned bids alone obey every rule (all else can stay unawarded)."""
    conflicts = []
    for b in pins:
        e = bids[b]
        if e.faults:
            conflicts.append({"pins": [b], **_pack([_reason("pin_invalid", bid=b)] + e.faults)})
        if b in forbids:
            conflicts.append({"pins": [b], **_pack([_reason("pin_forbidden", bid=b)])})
    by_project, by_org = {}, {}
    for b in pins:
        by_project.setdefault(bids[b].project.id, []).append(b)
        by_org.setdefault(bids[b].org.id, []).append(b)
    for project, group in by_project.items():
        if len(group) > 1:
            conflicts.append(
                {"pins": group, **_pack([_reason("pins_same_project", bids=group, project=project)])}
            )
    for org_id, group in by_org.items():
        org = bids[group[0]].org
        load = sum(exact(bids[b].bid.workload) for b in group)
        if load > exact(org.capacity):
            conflicts.append(
                {
                    "pins": group,
                    **_pack(
                        [
                            _reason(
                                "pins_capacity",
                                bids=group,
                                workload=_plain(load),
                                organization=org_id,
                                capacity=_plain(org.capacity),
                            )
                        ]
                    ),
                }
            )
    if problem.funding_pool is not None and pins:
        total = sum(exact(bids[b].bid.price) for b in pins)
        if total > exact(problem.funding_pool):
            conflicts.append(
                {
                    "pins": list(pins),
                    **_pack(
                        [
                            _reason(
                                "pins_pool",
                                bids=list(pins),
                                price=_plain(total),
                                funding_pool=_plain(problem.funding_pool),
                            )
                        ]
                    ),
                }
            )
    return conflicts


def solve_award(
    problem: AwardProblem,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    seed: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
    pins: Iterable = (),
    forbids: Iterable = (),
    started: float | None = None,
) -> AwardResult:
    """Award projects to bids maximizing the total score; see the module docstring for the rules.

    ``pins`` and ``forbids`` are bid ids (added to the problem's own). Pins that cannot all hold
    give status INFEASIBLE with ``conflicts`` naming them.
    """
    started = time.monotonic() if started is None else started
    pins, forbids, bids, by_project, stats, conflicts = prepare_award(problem, pins, forbids)
    if conflicts:
        return AwardResult("INFEASIBLE", None, None, time.monotonic() - started, [], [], stats, conflicts)

    candidates = [e for e in bids.values() if not e.faults and e.bid.id not in forbids]
    upper = sum(
        max((e.score for e in entries if e.score is not None and e.bid.id not in forbids), default=0)
        for entries in by_project.values()
    )
    chosen, status, bound = _search(
        candidates, pins, bids, problem, time_limit=time_limit, started=started, workers=workers, seed=seed,
        progress=progress,
    )
    chosen = _complete(problem, candidates, chosen, bids)
    objective = sum(bids[b].score for b in chosen)
    bound = min(upper, bound)
    if status == "OPTIMAL":
        bound = objective
    return award_result(problem, bids, by_project, chosen, pins, forbids, status=status,
                        objective=objective, bound=bound, stats=stats, started=started)


def _search(candidates, pins, bids, problem, *, time_limit, started, workers, seed, progress) -> tuple:
    """Presolve, then each independent part on its own (smallest first, each with its share of the
    time left): (chosen bid ids, status, proven bound)."""
    deadline = started + time_limit
    parts, decided = _reduce(problem, candidates, pins, bids)
    fixed = sum(bids[b].score for b in pins) + sum(bids[b].score for b in decided)
    chosen = set(pins) | decided
    values = [0] * len(parts)
    bounds = [_part_upper(part) for part in parts]
    proven_all = True
    sizes = [len(p.entries) for p in parts]
    for k, part in enumerate(parts):
        share = sizes[k] / sum(sizes[k:])
        part_deadline = time.monotonic() + share * max(0.0, deadline - time.monotonic())

        def report(value, bound, k=k):
            values[k] = max(values[k], value)
            bounds[k] = min(bounds[k], bound)
            if progress is not None:
                progress(fixed + sum(values), fixed + sum(bounds), time.monotonic() - started)

        picked, bounds[k], proven = _solve_part(part, deadline=part_deadline, workers=workers, seed=seed,
                                                progress=report)
        values[k] = _part_score(part, picked)
        chosen |= picked
        proven_all = proven_all and proven
    if progress is not None and not parts:
        progress(fixed, fixed, time.monotonic() - started)
    return chosen, "OPTIMAL" if proven_all else "FEASIBLE", fixed + sum(bounds)


def prepare_award(problem: AwardProblem, pins: Iterable = (), forbids: Iterable = ()) -> tuple:
    """Validate the problem with the extra ``pins`` and ``forbids``; return (pins, forbids, bids,
    by_project, stats, conflicts): all pins in order, all forbids as a set, each bid's validity and
    score, each project's bids in input order, the problem's counts, and the pins that cannot hold."""
    pins, forbids = tuple(pins), tuple(forbids)
    validate_award_problem(
        AwardProblem(
            problem.funding_pool, problem.projects, problem.organizations, problem.bids, pins, forbids
        )
    )
    pins = list(dict.fromkeys(problem.pins + pins))
    forbids = set(problem.forbids) | set(forbids)
    bids, by_project = _analyse(problem)
    stats = {
        "projects": len(problem.projects),
        "organizations": len(problem.organizations),
        "bids": len(problem.bids),
        "valid_bids": sum(1 for e in bids.values() if not e.faults),
    }
    return pins, forbids, bids, by_project, stats, _pin_conflicts(problem, bids, pins, forbids)


def award_result(
    problem, bids, by_project, chosen, pins, forbids, *, status, objective, bound, stats, started
) -> AwardResult:
    """The result for the chosen bids: awards and unawarded projects with their reasons, and
    ``stats`` completed with how many projects were awarded, their total score and price."""
    awards, unawarded = _explain(problem, bids, by_project, chosen, pins, forbids, status)
    stats = {
        **stats,
        "awarded": len(awards),
        "total_score": objective,
        "awarded_price": _plain(sum((exact(bids[b].bid.price) for b in chosen), Fraction(0))),
    }
    return AwardResult(status, objective, bound, time.monotonic() - started, awards, unawarded, stats)


def _usage(chosen, bids) -> tuple[dict, Fraction]:
    used = {}
    for b in chosen:
        e = bids[b]
        used[e.org.id] = used.get(e.org.id, 0) + exact(e.bid.workload)
    return used, sum((exact(bids[b].bid.price) for b in chosen), Fraction(0))


def _fits(problem, e, used, spent) -> bool:
    if used.get(e.org.id, 0) + exact(e.bid.workload) > exact(e.org.capacity):
        return False
    return problem.funding_pool is None or spent + exact(e.bid.price) <= exact(problem.funding_pool)


def _complete(problem, candidates, chosen, bids, order=lambda e: -e.score) -> set:
    """Add, for every project left out, the first bid in ``order`` that still fits.

    Never lowers the score."""
    chosen = set(chosen)
    used, spent = _usage(chosen, bids)
    taken = {bids[b].project.id for b in chosen}
    for e in sorted(candidates, key=order):
        if e.project.id not in taken and _fits(problem, e, used, spent):
            chosen.add(e.bid.id)
            taken.add(e.project.id)
            used[e.org.id] = used.get(e.org.id, 0) + exact(e.bid.workload)
            spent += exact(e.bid.price)
    return chosen


def _explain(problem, bids, by_project, chosen, pins, forbids, status) -> tuple[list, list]:
    used, spent = _usage(chosen, bids)
    pool = None if problem.funding_pool is None else exact(problem.funding_pool)
    awarded = {bids[b].project.id: bids[b] for b in chosen}
    awards, unawarded = [], []
    for project in problem.projects:
        entries = by_project[project.id]
        valid = [e for e in entries if not e.faults]
        if project.id in awarded:
            e = awarded[project.id]
            codes = _award_reasons(e, valid, used, spent, pool, pins, forbids)
            awards.append(
                {
                    "project": project.id,
                    "bid": e.bid.id,
                    "organization": e.org.id,
                    "price": _plain(e.bid.price),
                    "score": e.score,
                    **_pack(codes),
                }
            )
            continue
        if not valid:
            codes = [_reason("no_valid_bid", bids=len(entries))]
        else:
            codes = _not_awarded_reasons(problem, valid, used, spent, pool, forbids)
        for e in entries:
            codes.extend(e.faults)
        unawarded.append({"project": project.id, **_pack(codes)})
    return awards, unawarded


def _award_reasons(e, valid, used, spent, pool, pins, forbids) -> list[dict]:
    """Why this bid won its project: its score, a pin, and for each higher-scoring bid why not it."""
    codes = [
        _reason(
            "score",
            score=_points(e.score),
            technical_score=float(exact(e.bid.technical_score)),
            price_points=float(e.price_points),
        )
    ]
    if e.bid.id in pins:
        codes.append(_reason("pinned", bid=e.bid.id))
    better = [o for o in valid if o.score > e.score]
    if not better:
        codes.append(_reason("highest_score", valid_bids=len(valid)))
    for o in sorted(better, key=lambda o: -o.score):
        codes.append(_why_not_better(e, o, used, spent, pool, forbids))
    return codes


def _why_not_better(e, o, used, spent, pool, forbids) -> dict:
    """Would swapping award ``e`` for the better bid ``o`` fit, all other awards kept?"""
    o_used = used.get(o.org.id, 0) - (exact(e.bid.workload) if o.org.id == e.org.id else 0)
    if o.bid.id in forbids:
        return _reason("higher_bid_forbidden", bid=o.bid.id, score=_points(o.score))
    if o_used + exact(o.bid.workload) > exact(o.org.capacity):
        return _reason("higher_bid_capacity", bid=o.bid.id, score=_points(o.score), organization=o.org.id)
    if pool is not None and spent - exact(e.bid.price) + exact(o.bid.price) > pool:
        return _reason("higher_bid_pool", bid=o.bid.id, score=_points(o.score), price=_plain(o.bid.price))
    return _reason("higher_bid_not_chosen", bid=o.bid.id, score=_points(o.score))


def _not_awarded_reasons(problem, valid, used, spent, pool, forbids) -> list[dict]:
    """Why a project with valid bids stays unawarded: exclusions, capacities, the pool, or the search."""
    codes = []
    blocked = False
    for e in sorted(valid, key=lambda e: -e.score):
        if e.bid.id in forbids:
            codes.append(_reason("forbidden", bid=e.bid.id))
            continue
        if used.get(e.org.id, 0) + exact(e.bid.workload) > exact(e.org.capacity):
            blocked = True
            codes.append(
                _reason(
                    "capacity",
                    bid=e.bid.id,
                    organization=e.org.id,
                    workload=_plain(e.bid.workload),
                    used=_plain(used.get(e.org.id, 0)),
                    capacity=_plain(e.org.capacity),
                )
            )
        if pool is not None and spent + exact(e.bid.price) > pool:
            blocked = True
            codes.append(
                _reason(
                    "pool",
                    bid=e.bid.id,
                    price=_plain(e.bid.price),
                    remaining=_plain(pool - spent),
                    funding_pool=_plain(problem.funding_pool),
                )
            )
    if blocked:
        codes.append(_reason("lower_total_score"))
    elif not codes:
        codes.append(_reason("not_searched"))
    return codes


# --------------------------------------------------------------------------- structure


@dataclass
class _Part:
    """An independent piece of the problem after presolve: its bids, the organizations whose
    capacity can still bind (residual capacity), and the residual pool if it can still bind."""

    entries: list
    capacity: dict  # org id -> residual capacity (only organizations whose capacity can bind)
    pool: Fraction | None


def _reduce(problem, candidates, pins, bids) -> tuple[list[_Part], set]:
    """Presolve: take the pins out (their projects, workload and price), drop bids that cannot
    score or fit, drop dominated bids, and split what is left into independent parts.

    Bid ``b`` dominates bid ``a`` of the same project when it scores at least as much, costs no
    more (unless the pool cannot bind) and uses capacity that cannot bind — of an organization
    whose every remaining bid fits together — or the same organization's with no more workload:
    swapping ``a`` for ``b`` in any solution keeps it feasible and its score at least as high. Ties
    are broken by a strict order, so one of equal bids always stays. Parts: projects linked by an
    organization whose capacity can bind; all one part while the pool can bind.
    Returns the parts and the bids of projects decided outright (a single bid that cannot be blocked).
    """
    pinned_projects = {bids[b].project.id for b in pins}
    capacity = {o.id: exact(o.capacity) for o in problem.organizations}
    pool = None if problem.funding_pool is None else exact(problem.funding_pool)
    for b in pins:
        capacity[bids[b].org.id] -= bids[b].workload_q
        if pool is not None:
            pool -= bids[b].price_q
    rank = {id(e): k for k, e in enumerate(candidates)}
    entries = [
        e
        for e in candidates
        if e.project.id not in pinned_projects
        and e.score > 0
        and e.workload_q <= capacity[e.org.id]
        and (pool is None or e.price_q <= pool)
    ]
    while True:
        free, pool, kept = _drop_dominated(entries, capacity, pool, rank)
        if len(kept) == len(entries):
            break
        entries = kept
    entries.sort(key=lambda e: rank[id(e)])
    return _split(entries, capacity, free, pool)


def _drop_dominated(entries, capacity, pool, rank) -> tuple[set, Fraction | None, list]:
    """One round: (organizations whose capacity cannot bind, the pool or None if it cannot bind,
    the bids no other bid dominates)."""
    load = {}
    for e in entries:
        load[e.org.id] = load.get(e.org.id, 0) + e.workload_q
    free = {o for o, used in load.items() if used <= capacity[o]}
    by_project = {}
    for e in entries:
        by_project.setdefault(e.project.id, []).append(e)
    most = sum((max(e.price_q for e in group) for group in by_project.values()), Fraction(0))
    if pool is not None and most <= pool:
        pool = None
    kept = []
    for group in by_project.values():
        group.sort(key=lambda e: (-e.score, e.price_q, e.workload_q, rank[id(e)]))
        for k, a in enumerate(group):
            if not any(_dominates(b, a, free, pool) for b in group[:k]):
                kept.append(a)
    return free, pool, kept


def _split(entries, capacity, free, pool) -> tuple[list[_Part], set]:
    """Projects linked by an organization whose capacity can bind (or all, by a binding pool) form
    a part; a project left with one bid that nothing can block is decided outright."""
    parent = {}

    def find(p):
        while parent.setdefault(p, p) != p:
            parent[p] = parent.setdefault(parent[p], parent[p])
            p = parent[p]
        return p

    first_of_org = {}
    for e in entries:
        find(e.project.id)
        if e.org.id in free and pool is None:
            continue
        key = "pool" if pool is not None else e.org.id
        if key in first_of_org:
            parent[find(e.project.id)] = find(first_of_org[key])
        else:
            first_of_org[key] = e.project.id
    groups = {}
    for e in entries:
        groups.setdefault(find(e.project.id), []).append(e)
    parts, decided = [], set()
    for group in groups.values():
        if len(group) == 1 and (group[0].org.id in free and pool is None):
            decided.add(group[0].bid.id)
            continue
        orgs = {e.org.id for e in group if e.org.id not in free}
        parts.append(_Part(group, {o: capacity[o] for o in orgs}, pool))
    parts.sort(key=lambda part: len(part.entries))
    return parts, decided


def _dominates(b, a, free, pool) -> bool:
    if b.score < a.score or (pool is not None and b.price_q > a.price_q):
        return False
    return b.org.id in free or (b.org.id == a.org.id and b.workload_q <= a.workload_q)


def _part_fill(part: _Part, chosen: set, order) -> set:
    """Add to ``chosen`` (bid ids of the part) the bids in ``order`` that still fit."""
    chosen = set(chosen)
    used, spent, taken = {}, Fraction(0), set()
    for e in part.entries:
        if e.bid.id in chosen:
            used[e.org.id] = used.get(e.org.id, 0) + e.workload_q
            spent += e.price_q
            taken.add(e.project.id)
    for e in sorted(part.entries, key=order):
        if e.project.id in taken:
            continue
        limit = part.capacity.get(e.org.id)
        if limit is not None and used.get(e.org.id, 0) + e.workload_q > limit:
            continue
        if part.pool is not None and spent + e.price_q > part.pool:
            continue
        chosen.add(e.bid.id)
        taken.add(e.project.id)
        used[e.org.id] = used.get(e.org.id, 0) + e.workload_q
        spent += e.price_q
    return chosen


class _Moves:
    """Local search from a solution of a part, in exact integers: a project takes a better bid,
    possibly after giving up one other award — of the same organization when its capacity is full,
    any when the pool is — whose project then takes its best bid that still fits, if the total
    score rises."""

    def __init__(self, part: _Part, chosen: set):
        self.part = part
        wk = _scale([e.workload_q for e in part.entries] + list(part.capacity.values()))
        pk = _scale([e.price_q for e in part.entries] + ([part.pool] if part.pool is not None else []))
        self.w = {id(e): int(e.workload_q * wk) for e in part.entries}
        self.p = {id(e): int(e.price_q * pk) for e in part.entries}
        self.capacity = {o: math.floor(c * wk) for o, c in part.capacity.items()}
        self.pool = None if part.pool is None else math.floor(part.pool * pk)
        self.award, self.used, self.spent = {}, {}, 0
        for e in part.entries:
            if e.bid.id in chosen:
                self._set(e.project.id, e)
        self.by_project = {}
        for e in sorted(part.entries, key=lambda e: -e.score):
            self.by_project.setdefault(e.project.id, []).append(e)

    def _fits(self, e, freed: tuple = ()) -> bool:
        if self.capacity.get(e.org.id) is not None and not self._fits_capacity(e, freed):
            return False
        if self.pool is None:
            return True
        return self.spent - sum(self.p[id(f)] for f in freed) + self.p[id(e)] <= self.pool

    def _set(self, project, e) -> None:
        old = self.award.pop(project, None)
        if old is not None:
            self.used[old.org.id] -= self.w[id(old)]
            self.spent -= self.p[id(old)]
        if e is not None:
            self.award[project] = e
            self.used[e.org.id] = self.used.get(e.org.id, 0) + self.w[id(e)]
            self.spent += self.p[id(e)]

    def _try(self, e) -> bool:
        current = self.award.get(e.project.id)
        gain = e.score - (current.score if current else 0)
        if gain <= 0:
            return False
        freed = (current,) if current else ()
        if self._fits(e, freed):
            self._set(e.project.id, e)
            return True
        full = self.capacity.get(e.org.id) is not None and not self._fits_capacity(e, freed)
        for victim in sorted(self.award.values(), key=lambda v: v.score):
            if victim.score >= gain + self._best_score(victim.project.id):
                continue
            if victim is current or (full and victim.org.id != e.org.id):
                continue
            if not self._fits(e, freed + (victim,)):
                continue
            self._set(victim.project.id, None)
            self._set(e.project.id, e)
            replacement = next(
                (o for o in self.by_project[victim.project.id] if o is not victim and self._fits(o)), None
            )
            if gain - victim.score + (replacement.score if replacement else 0) > 0:
                self._set(victim.project.id, replacement)
                return True
            self._set(e.project.id, current)  # undo: it does not pay
            self._set(victim.project.id, victim)
        return False

    def _fits_capacity(self, e, freed) -> bool:
        room = self.capacity[e.org.id] - self.used.get(e.org.id, 0)
        room += sum(self.w[id(f)] for f in freed if f.org.id == e.org.id)
        return self.w[id(e)] <= room

    def _best_score(self, project) -> int:
        return self.by_project[project][0].score

    def run(self, deadline: float) -> set:
        improved = True
        while improved and time.monotonic() < deadline:
            improved = False
            for e in self.part.entries:
                if time.monotonic() > deadline:
                    break
                if self._try(e):
                    improved = True
        return {e.bid.id for e in self.award.values()}


def _part_score(part: _Part, chosen) -> int:
    return sum(e.score for e in part.entries if e.bid.id in chosen)


def _part_lp(part: _Part, seconds: float):
    """The LP relaxation (GLOP): (x values by bid id, pool price, organizations' prices) or None."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        return None
    x = {e.bid.id: solver.NumVar(0.0, 1.0, "") for e in part.entries}
    projects, orgs = {}, {}
    for e in part.entries:
        projects.setdefault(e.project.id, []).append(x[e.bid.id])
        if e.org.id in part.capacity:
            orgs.setdefault(e.org.id, []).append(float(e.workload_q) * x[e.bid.id])
    for group in projects.values():
        solver.Add(solver.Sum(group) <= 1)
    rows = {o: solver.Add(solver.Sum(terms) <= float(part.capacity[o])) for o, terms in orgs.items()}
    pool_row = None
    if part.pool is not None:
        pool_row = solver.Add(
            solver.Sum([float(e.price_q) * x[e.bid.id] for e in part.entries]) <= float(part.pool)
        )
    solver.Maximize(solver.Sum([e.score * x[e.bid.id] for e in part.entries]))
    solver.SetTimeLimit(int(max(0.05, seconds) * 1000))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    values = {b: v.solution_value() for b, v in x.items()}
    price = abs(pool_row.dual_value()) if pool_row is not None else 0.0
    return values, price, {o: abs(row.dual_value()) for o, row in rows.items()}


def _reduced_profits(part: _Part, price: Fraction, org_prices: dict) -> tuple[Fraction, dict]:
    """The Lagrangian bound for these prices of the pool and capacities (exact: any prices ≥ 0 give
    a valid upper bound) and each bid's profit net of them."""
    profit = {
        e.bid.id: e.score - price * e.price_q - org_prices.get(e.org.id, 0) * e.workload_q
        for e in part.entries
    }
    best = {}
    for e in part.entries:
        best[e.project.id] = max(best.get(e.project.id, Fraction(0)), profit[e.bid.id])
    bound = sum(best.values(), Fraction(0)) + sum(
        (org_prices.get(o, 0) * c for o, c in part.capacity.items()), Fraction(0)
    )
    if part.pool is not None:
        bound += price * part.pool
    return bound, profit, best


def _part_upper(part: _Part) -> int:
    """Every project's best bid: a bound no solution of the part can pass."""
    best = {}
    for e in part.entries:
        best[e.project.id] = max(best.get(e.project.id, 0), e.score)
    return sum(best.values())


def _part_start(part: _Part, seconds: float) -> tuple[set, int, set, set]:
    """Greedy passes and the LP: (best start, proven bound, bids that cannot be in any solution
    scoring at least the start, projects every such solution awards).

    Passes: by score; by score per price and per share of capacity (when those bind); in the order
    of the LP solution, then of the profit net of the pool's and capacities' LP prices. Fixing by
    reduced cost uses the exact Lagrangian bound of those prices."""
    orders = [lambda e: -e.score]
    if part.pool is not None:
        orders.append(lambda e: -e.score / e.price_q)
    if part.capacity:
        orders.append(
            lambda e: -e.score
            / (1 + e.workload_q / max(part.capacity.get(e.org.id, 1), Fraction(1)))
        )
    lp = _part_lp(part, seconds) if len(part.entries) > 1 else None
    bound = _part_upper(part)
    if lp is not None:
        values, price, org_prices = lp
        lagrangian, profit, best = _reduced_profits(
            part, Fraction(price), {o: Fraction(v) for o, v in org_prices.items()}
        )
        orders.append(lambda e: (-round(values[e.bid.id], 6), -profit[e.bid.id]))
        orders.append(lambda e: -profit[e.bid.id])
        bound = min(bound, math.floor(lagrangian))
    chosen = max((_part_fill(part, set(), order) for order in orders), key=lambda c: _part_score(part, c))
    better = _Moves(part, chosen).run(time.monotonic() + seconds)
    if _part_score(part, better) > _part_score(part, chosen):
        chosen = better
    incumbent = _part_score(part, chosen)
    out, forced = set(), set()
    if lp is not None and incumbent < bound:
        out = {
            e.bid.id for e in part.entries if lagrangian - best[e.project.id] + profit[e.bid.id] < incumbent
        }
        forced = {p for p, top in best.items() if lagrangian - top < incumbent}
    return chosen, bound, out, forced


def _solve_part(part: _Part, *, deadline: float, workers: int, seed: int, progress) -> tuple[set, int, bool]:
    """(chosen bid ids, proven upper bound, proven optimal) for one part: the start, branch and cut
    (HiGHS) and CP-SAT. With two workers or more, HiGHS runs in a thread next to the rest — on a big
    part from the outset, on the whole part; else after the start, on what reduced-cost fixing leaves
    — and whichever proves first stops CP-SAT. With one worker, one after the other."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, workers - 1)
    solver.parameters.random_seed = seed
    mip, thread = None, None
    if workers >= 2 and len(part.entries) >= EARLY_MIP_BIDS:
        mip = _PartMip(part, part.entries, set(), set())
        thread = threading.Thread(target=mip.run, args=(deadline, solver.StopSearch), daemon=True)
        thread.start()
    chosen, bound, out, forced = _part_start(part, 0.3 * max(0.05, deadline - time.monotonic()))
    incumbent = _part_score(part, chosen)
    if progress is not None:
        progress(incumbent, bound)
    entries = [e for e in part.entries if e.bid.id not in out]
    model, x = _part_model(part, entries, forced, chosen, incumbent, bound)
    callback = _PartProgress(progress) if progress is not None else None
    code = cp_model.UNKNOWN
    if mip is None and incumbent < bound:
        mip = _PartMip(part, entries, forced, chosen)
        if workers >= 2:
            thread = threading.Thread(target=mip.run, args=(deadline, solver.StopSearch), daemon=True)
            thread.start()
        else:
            mip.run(time.monotonic() + MIP_SHARE * max(0.0, deadline - time.monotonic()))
            if not mip.proven and mip.solution is not None and _part_score(part, mip.solution) > incumbent:
                model.ClearHints()
                for b, v in x.items():
                    model.AddHint(v, b in mip.solution)
    if incumbent < bound and not (mip is not None and mip.proven):
        solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
        code = solver.Solve(model, callback)
    if thread is not None:
        if thread.is_alive():
            mip.interrupt()
        thread.join()
    if code == cp_model.MODEL_INVALID:
        raise BadInput("problem", "numbers too large for the solver: " + model.Validate())
    for solution, proven in _part_outcomes(mip, solver, code, x):
        if _part_score(part, solution) > _part_score(part, chosen):
            chosen = solution
        bound = min(bound, proven)
    value = _part_score(part, chosen)
    return chosen, max(value, bound), value >= bound


def _part_outcomes(mip, solver, code, x):
    """(solution, proven bound) of the branch and cut and of CP-SAT, those that ended with one."""
    if mip is not None and (mip.solution is not None or mip.bound is not None):
        yield mip.solution or set(), mip.bound if mip.bound is not None else math.inf
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solution = {b for b, v in x.items() if solver.BooleanValue(v)}
        proven = int(math.floor(solver.BestObjectiveBound() + 1e-6))
        if code == cp_model.OPTIMAL:
            proven = min(proven, int(round(solver.ObjectiveValue())))
        yield solution, proven


class _PartMip:
    """Branch and cut (HiGHS, through MathOpt) on a part. The MIP works in floating point, so its
    solution is kept only if it obeys every rule in exact arithmetic; its bound, on integer scores,
    is rounded down. When its time runs out it still returns its best solution and bound."""

    def __init__(self, part: _Part, entries, forced, chosen):
        self.part, self.entries = part, entries
        self.solution, self.bound, self.proven = None, None, False
        self.interrupter = SolveInterrupter()
        self.model = model = mathopt.Model() if entries else None
        if model is None:
            return
        self.x = x = {e.bid.id: model.add_binary_variable() for e in entries}
        by_project = {}
        for e in entries:
            by_project.setdefault(e.project.id, []).append(x[e.bid.id])
        for p, group in by_project.items():
            if p in forced:
                model.add_linear_constraint(mathopt.fast_sum(group) == 1)
            else:
                model.add_linear_constraint(mathopt.fast_sum(group) <= 1)
        for terms, limit in _part_rows(part, entries):
            model.add_linear_constraint(mathopt.fast_sum(float(c) * x[b] for c, b in terms) <= float(limit))
        model.maximize(mathopt.fast_sum(e.score * x[e.bid.id] for e in entries))

    def run(self, deadline: float, when_proven: Callable[[], None] = lambda: None) -> None:
        seconds = deadline - time.monotonic()
        if self.model is None or seconds < 0.05:
            return
        parameters = mathopt.SolveParameters(
            time_limit=datetime.timedelta(seconds=seconds),
            relative_gap_tolerance=0.0,
            absolute_gap_tolerance=0.0,
            enable_output=False,
        )
        try:
            with stdout_to_stderr():
                result = mathopt.solve(
                    self.model, MIP_SOLVER, params=parameters, interrupter=self.interrupter
                )
        except (RuntimeError, ValueError):  # no such solver in this OR-Tools: CP-SAT carries on alone
            return
        if result.has_primal_feasible_solution():
            values = result.variable_values()
            solution = {b for b, v in self.x.items() if values[v] > 0.5}
            if _part_obeys(self.part, self.entries, solution):
                self.solution = solution
        bound = result.termination.objective_bounds.dual_bound
        if math.isfinite(bound):
            self.bound = math.floor(bound + 1e-6)
            if self.solution is not None and _part_score(self.part, self.solution) >= self.bound:
                self.proven = True
                when_proven()

    def interrupt(self) -> None:
        self.interrupter.interrupt()


def _part_obeys(part: _Part, entries, solution) -> bool:
    """Every rule, in exact arithmetic: one bid per project, capacities, the pool."""
    chosen = [e for e in entries if e.bid.id in solution]
    if len({e.project.id for e in chosen}) != len(chosen):
        return False
    used = {}
    for e in chosen:
        used[e.org.id] = used.get(e.org.id, 0) + e.workload_q
    if any(u > part.capacity[o] for o, u in used.items() if o in part.capacity):
        return False
    return part.pool is None or sum((e.price_q for e in chosen), Fraction(0)) <= part.pool


class _PartProgress(cp_model.CpSolverSolutionCallback):
    """Reports each CP-SAT solution of a part: (its score, the part's proven bound)."""

    def __init__(self, callback):
        super().__init__()
        self._callback = callback

    def on_solution_callback(self):
        self._callback(int(round(self.ObjectiveValue())), int(math.floor(self.BestObjectiveBound() + 1e-6)))


def _part_rows(part: _Part, entries) -> Iterable[tuple[list[tuple[int, Any]], int]]:
    """The capacity and pool rows that can bind, in exact integers: (coefficient, bid id) terms and
    the limit. Each row is scaled to integers, divided by its coefficients' common divisor and its
    limit rounded down, which every integer solution obeys exactly as the row it comes from."""
    by_org = {}
    for e in entries:
        if e.org.id in part.capacity:
            by_org.setdefault(e.org.id, []).append((e.workload_q, e.bid.id))
    rows = [(terms, part.capacity[o]) for o, terms in by_org.items()]
    if part.pool is not None:
        rows.append(([(e.price_q, e.bid.id) for e in entries], part.pool))
    for terms, limit in rows:
        if sum(w for w, _ in terms) <= limit:
            continue  # cannot bind
        k = _scale([w for w, _ in terms] + [limit])
        whole = [(int(w * k), b) for w, b in terms]
        divisor = math.gcd(*(c for c, _ in whole)) or 1
        yield [(c // divisor, b) for c, b in whole if c], math.floor(limit * k / divisor)


def _part_model(part: _Part, entries, forced, chosen, incumbent, bound) -> tuple[cp_model.CpModel, dict]:
    """The part as CP-SAT: at most (for ``forced`` projects exactly) one bid per project, binding
    capacities and pool in exact integers, score at least the incumbent; hinted with ``chosen``."""
    model = cp_model.CpModel()
    x = {e.bid.id: model.NewBoolVar(f"x_{n}") for n, e in enumerate(entries)}
    by_project = {}
    for e in entries:
        by_project.setdefault(e.project.id, []).append(x[e.bid.id])
    for p, literals in by_project.items():
        if p in forced:
            model.AddExactlyOne(literals)
        elif len(literals) > 1:
            model.AddAtMostOne(literals)
    for terms, limit in _part_rows(part, entries):
        model.Add(sum(c * x[b] for c, b in terms) <= limit)
    objective = sum(e.score * x[e.bid.id] for e in entries)
    model.Add(objective >= incumbent)
    model.Add(objective <= bound)
    model.Maximize(objective)
    for b, v in x.items():
        model.AddHint(v, b in chosen)
    return model, x
