"""Scale-out solving of volunteer shifts: split a problem into independent parts, merge their results.

A district's week is too big for one solver call on one machine in the time people wait, but most of
it does not interact: a volunteer can only serve shifts that pass rules 1–4 (free, near enough, a
skill that fits, not forbidden), so the **candidate graph** (volunteer — shift, one edge per eligible
pair, pins included) falls apart into connected components that share nobody. Solving each component
alone and adding the results up gives exactly the optimum of the whole.

``split_problem`` builds the parts:

1. the connected components of the candidate graph (``shifts_core.components``); shifts without any
   candidate are single items, so they are still listed as unfilled; volunteers without any candidate
   are left out (nobody could give them a place);
2. a component with more candidate pairs than ``max_pairs`` is **cut by street** (``units``: shift id
   → street; by default a grid of ``cell_km`` squares, about a street's size). A volunteer whose
   candidate shifts lie in several streets (a *cross-street volunteer*) is given to exactly one of
   them, by this rule: the street of their pins (streets joined when pins span several), else the
   street of their approved pairs in repair mode, else the street where the solver's greedy start,
   run on the whole component, places them (the street that needs them most), else — when the greedy
   leaves them out — the street where the sum of their candidate scores is highest (ties: the first
   street in sorted order). They are left out of every other
   part, so **no volunteer is ever in two parts and cannot be double-booked**; the pairs they lose
   (``stats["cross_pairs"]``) are the price of the cut, measured by ``benchmarks/split.py``;
3. the items (whole components and street pieces) are packed into ``parts`` bins, largest first into
   the lightest bin (by candidate pairs), so the jobs take about equal time.

Each part is an ordinary ``ShiftProblem``: its volunteers, its shifts, the pins, forbids and approved
pairs between them. ``merge_results`` adds the parts' results (contract dicts) into one result for the
whole problem: assignments, unfilled slots and unstaffed shifts side by side, objectives and coverage
summed. The merged status is ``OPTIMAL`` only when every part is and nothing was cut; its bound is a
proven bound of the whole problem: a part of whole components contributes its own bound, a part with
street pieces the bound of its shifts filled by their best candidates of the whole problem
(``trivial_bound``), since a cut can leave out a volunteer that the unsplit optimum uses there.
An ``INFEASIBLE`` part (pins that clash) makes the whole ``INFEASIBLE`` naming those pins; an
``UNKNOWN`` part (no solution in time) the whole ``UNKNOWN`` with nobody assigned.

The reasons of an unfilled slot speak of the volunteers of its part: with exact components these are
all who could come; after a cut, a cross-street volunteer given to another street is not counted.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping

import numpy as np

from .defaults import DEFAULT_TIME_LIMIT
from .shift_types import ShiftProblem
from .shifts import problem_to_dict, solve_shifts, validate_problem
from .shifts_core import Compiled, State, build_pairs, components, greedy, pin_conflicts, trivial_bound

__all__ = ["Part", "Split", "split_problem", "merge_results", "solve_split", "DEFAULT_CELL_KM"]

DEFAULT_CELL_KM = 3.0  # the default street: a square of about 3 km (a Shanghai street is 2–5 km across)
KM_PER_DEG_LAT = 111.195
CUT_ABOVE = 1.5  # by default a component is cut when it holds 1.5 times a fair share of the pairs
_NONE = object()  # no street chosen yet (a street key may itself be falsy)


@dataclass(frozen=True)
class Part:
    """One independent piece of the problem, with the facts ``merge_results`` needs."""

    problem: ShiftProblem
    pairs: int  # candidate pairs inside the part
    exact: bool  # only whole components: its own bound is a bound of the whole problem there
    trivial_bound: int  # its shifts filled by their best candidates of the whole problem

    def to_dict(self) -> dict:
        return {"problem": problem_to_dict(self.problem), "pairs": self.pairs, "exact": self.exact,
                "trivial_bound": self.trivial_bound}


@dataclass(frozen=True)
class Split:
    parts: tuple = ()
    stats: dict = field(default_factory=dict)


@dataclass
class _Item:
    """A whole component or a street's piece of a cut one: shifts and volunteers as indices."""

    shifts: list
    volunteers: set
    pairs: int
    exact: bool


# --------------------------------------------------------------------------------------------
# splitting
# --------------------------------------------------------------------------------------------


def grid_units(problem: ShiftProblem, cell_km: float = DEFAULT_CELL_KM) -> dict:
    """Shift id → a grid square of ``cell_km`` containing it: the stand-in for a street."""
    out = {}
    for s in problem.shifts:
        lat, lon = float(s.location[0]), float(s.location[1])
        dlat = cell_km / KM_PER_DEG_LAT
        dlon = cell_km / (KM_PER_DEG_LAT * max(0.01, math.cos(math.radians(lat))))
        out[s.id] = (math.floor(lat / dlat), math.floor(lon / dlon))
    return out


def split_problem(
    problem: ShiftProblem,
    *,
    parts: int = 4,
    max_pairs: int | None = None,
    units: Mapping[Any, Hashable] | None = None,
    cell_km: float = DEFAULT_CELL_KM,
    previous=None,
    cut_above: int = 0,
) -> Split:
    """Split ``problem`` into at most ``parts`` independent parts (see the module's description).

    ``max_pairs``: a component with more candidate pairs is cut by street (default: 1.5 × the total
    divided by ``parts``, so components of about equal size stay whole and one giant component still
    spreads over the parts). ``units``: street of each
    shift id (default ``grid_units(problem, cell_km)``). ``previous``: approved pairs in repair mode.
    ``cut_above``: never cut a component of fewer pairs than this, whatever ``max_pairs`` says.
    """
    t0 = time.monotonic()
    validate_problem(problem)
    parts = max(1, int(parts))
    cp = Compiled(problem)
    pr = build_pairs(cp)
    total = int(pr.P)
    if pin_conflicts(cp, pr)[1]:  # pins that cannot hold: the whole problem, so the solver names them
        whole = Part(problem, total, True, int(trivial_bound(cp, pr, np.arange(cp.S, dtype=np.int64))))
        return Split(parts=(whole,), stats={"parts": 1, "components": 0, "cut_components": 0,
                                            "cross_volunteers": 0, "cross_pairs": 0, "candidate_pairs": total,
                                            "max_pairs": total, "part_pairs": [total],
                                            "seconds": round(time.monotonic() - t0, 3)})
    limit = max_pairs if max_pairs is not None else max(1, math.ceil(CUT_ABOVE * total / parts))
    limit = max(limit, int(cut_above))
    street = _street_index(cp, units if units is not None else grid_units(problem, cell_km))
    items, cut, cross_v, cross_p = [], 0, 0, 0
    for comp in components(cp, pr):
        item = _component_item(pr, comp)
        if item.pairs > limit and len({street[s] for s in item.shifts}) > 1:
            pieces, moved, lost = _cut(cp, pr, item, street, previous)
            items.extend(pieces)
            cut, cross_v, cross_p = cut + 1, cross_v + moved, cross_p + lost
        else:
            items.append(item)
    lonely = np.nonzero(pr.ptr_s[1:] == pr.ptr_s[:-1])[0].tolist()  # shifts nobody could serve
    items.extend(_Item([s], set(), 0, True) for s in lonely)
    bins = _pack(items, parts)
    built = tuple(_part(cp, pr, b, previous) for b in bins if b)
    stats = {"parts": len(built), "components": sum(1 for i in items if i.exact and i.pairs),
             "cut_components": cut, "cross_volunteers": cross_v, "cross_pairs": cross_p,
             "candidate_pairs": total, "max_pairs": limit,
             "part_pairs": [p.pairs for p in built], "seconds": round(time.monotonic() - t0, 3)}
    return Split(parts=built, stats=stats)


def _street_index(cp: Compiled, units: Mapping) -> list:
    """Street of each shift index; a shift the mapping lacks is a street of its own."""
    return [units.get(sid, ("shift", str(sid))) for sid in cp.sid]


def _component_item(pr, comp: np.ndarray) -> _Item:
    shifts = comp.tolist()
    volunteers: set = set()
    pairs = 0
    for s in shifts:
        vs = pr.pv[pr.ptr_s[s]:pr.ptr_s[s + 1]]
        volunteers.update(vs.tolist())
        pairs += len(vs)
    return _Item(shifts, volunteers, pairs, True)


def _cut(cp: Compiled, pr, item: _Item, street: list, previous) -> tuple[list, int, int]:
    """A component cut by street: each volunteer in exactly one street's piece (the rule above).

    Returns the pieces, the number of cross-street volunteers and the candidate pairs they lose."""
    joined = _join_pinned_streets(cp, item, street)
    home = {s: joined(street[s]) for s in item.shifts}
    approved = {(cp.vindex[v], cp.sindex[s]) for v, s in (previous or ())
                if v in cp.vindex and s in cp.sindex}
    pinned = {}
    for v, s in cp.pins:
        if s in home:
            pinned.setdefault(v, home[s])
    pieces: dict = {}
    for s in item.shifts:
        pieces.setdefault(home[s], _Item([], set(), 0, False)).shifts.append(s)
    placed = _greedy_streets(cp, pr, item, home)
    moved = lost = 0
    for v in sorted(item.volunteers):
        mine = pr.of_volunteer(v)
        where = [home[int(pr.ps[p])] for p in mine.tolist()]
        choice = pinned[v] if v in pinned else _approved_street(pr, v, mine, home, approved)
        if choice is _NONE:
            choice = placed[v] if v in placed else _best_street(pr, mine, where)
        keep = [w == choice for w in where]
        if len(set(where)) > 1:
            moved += 1
            lost += keep.count(False)
        piece = pieces[choice]
        piece.volunteers.add(v)
        piece.pairs += keep.count(True)
    return [p for _k, p in sorted(pieces.items(), key=lambda kv: str(kv[0]))], moved, lost


def _join_pinned_streets(cp: Compiled, item: _Item, street: list) -> Callable:
    """Streets joined (union–find) where one volunteer is pinned to shifts in several of them."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members = set(item.shifts)
    by_volunteer: dict = {}
    for v, s in cp.pins:
        if s in members:
            by_volunteer.setdefault(v, []).append(street[s])
    for streets in by_volunteer.values():
        for other in streets[1:]:
            a, b = find(streets[0]), find(other)
            if a != b:
                parent[max(a, b, key=str)] = min(a, b, key=str)
    return find


def _greedy_streets(cp: Compiled, pr, item: _Item, home: dict) -> dict:
    """Volunteer → the street where the solver's greedy start, run on the whole component, gives
    them their best-scoring places (the streets that need them, not only those near them)."""
    state = State(cp, pr)
    pinned = np.zeros(pr.P, dtype=bool)
    for v, s in cp.pins:
        p = pr.find(v, s)
        if p is not None:
            pinned[p] = True
    greedy(state, np.array(item.shifts, dtype=np.int64), pinned, np.zeros(pr.P, dtype=np.int64))
    totals: dict = {}
    for p in np.nonzero(state.x)[0].tolist():
        v, street = int(pr.pv[p]), home[int(pr.ps[p])]
        mine = totals.setdefault(v, {})
        mine[street] = mine.get(street, 0) + int(pr.score[p])
    return {v: min(streets, key=lambda w: (-streets[w], str(w))) for v, streets in totals.items()}


def _approved_street(pr, v: int, mine: np.ndarray, home: dict, approved: set):
    for p in mine.tolist():
        s = int(pr.ps[p])
        if (v, s) in approved:
            return home[s]
    return _NONE


def _best_street(pr, mine: np.ndarray, where: list):
    totals: dict = {}
    for p, w in zip(mine.tolist(), where):
        totals[w] = totals.get(w, 0) + max(0, int(pr.score[p]))
    return min(totals, key=lambda w: (-totals[w], str(w)))


def _pack(items: list, parts: int) -> list:
    """Items into ``parts`` bins: largest first, each into the bin with the fewest pairs so far."""
    bins: list = [[] for _ in range(parts)]
    load = [0] * parts
    for item in sorted(items, key=lambda i: (-i.pairs, min(i.shifts))):
        k = min(range(parts), key=lambda b: (load[b], b))
        bins[k].append(item)
        load[k] += max(item.pairs, 1)
    return bins


def _part(cp: Compiled, pr, items: list, previous) -> Part:
    problem = cp.problem
    shift_idx = sorted(s for i in items for s in i.shifts)
    vol_idx = sorted(v for i in items for v in i.volunteers)
    sids = {cp.sid[s] for s in shift_idx}
    vids = {cp.vid[v] for v in vol_idx}
    sub = ShiftProblem(
        settings=problem.settings,
        volunteers=tuple(problem.volunteers[v] for v in vol_idx),
        shifts=tuple(problem.shifts[s] for s in shift_idx),
        pins=tuple(p for p in problem.pins if p[0] in vids and p[1] in sids),
        forbids=tuple(p for p in problem.forbids if p[0] in vids and p[1] in sids),
    )
    exact = all(i.exact for i in items)
    bound = trivial_bound(cp, pr, np.array(shift_idx, dtype=np.int64))
    return Part(problem=sub, pairs=sum(i.pairs for i in items), exact=exact, trivial_bound=int(bound))


def previous_of(part: ShiftProblem, previous) -> list | None:
    """The approved pairs (repair mode) that lie inside ``part``."""
    if previous is None:
        return None
    vids = {v.id for v in part.volunteers}
    sids = {s.id for s in part.shifts}
    return [(v, s) for v, s in previous if v in vids and s in sids]


# --------------------------------------------------------------------------------------------
# merging
# --------------------------------------------------------------------------------------------


def merge_results(problem: ShiftProblem, parts, results: list, *, split_stats: dict | None = None,
                  seconds: float | None = None) -> dict:
    """One contract result (dict) for ``problem`` from the results (dicts) of its ``parts``, in order.

    ``parts`` are ``Part`` objects or their ``to_dict()``; see the module's description for the status
    and the bound."""
    parts = [p.to_dict() if isinstance(p, Part) else p for p in parts]
    if len(parts) != len(results):
        raise ValueError(f"{len(parts)} parts but {len(results)} results")
    statuses = {r["status"] for r in results}
    stats = _merged_stats(problem, results, split_stats)
    took = seconds if seconds is not None else max([r.get("seconds", 0.0) for r in results] + [0.0])
    if "INFEASIBLE" in statuses:
        clash = [p for r in results if r["status"] == "INFEASIBLE" for p in r.get("conflicting_pins", [])]
        return _empty("INFEASIBLE", 0, took, stats, clash)
    bound = sum(int(r["bound"]) if p["exact"] else max(int(p["trivial_bound"]), int(r["objective"]))
                for p, r in zip(parts, results))
    if "UNKNOWN" in statuses:
        return _empty("UNKNOWN", bound, took, stats, [])
    objective = sum(int(r["objective"]) for r in results)
    exact = all(p["exact"] for p in parts)
    status = "OPTIMAL" if statuses <= {"OPTIMAL"} and exact else "FEASIBLE"
    if status == "OPTIMAL":
        bound = objective
    return {
        "status": status, "objective": objective, "bound": max(bound, objective), "seconds": round(took, 3),
        "assignments": [a for r in results for a in r.get("assignments", [])],
        "unfilled": [u for r in results for u in r.get("unfilled", [])],
        "unstaffed": [s for r in results for s in r.get("unstaffed", [])],
        "stats": stats,
        "conflicting_pins": [],
    }


def _empty(status: str, bound: int, seconds: float, stats: dict, clash: list) -> dict:
    stats = {**stats, "coverage_by_urgency": {}, "filled": 0}
    return {"status": status, "objective": 0, "bound": int(bound), "seconds": round(seconds, 3), "assignments": [],
            "unfilled": [], "unstaffed": [], "stats": stats, "conflicting_pins": [list(p) for p in clash]}


def _merged_stats(problem: ShiftProblem, results: list, split_stats: dict | None) -> dict:
    coverage: dict = {}
    for s in problem.shifts:
        cur = coverage.setdefault(str(int(s.urgency)), [0, 0])
        cur[1] += sum(int(slot.count) for slot in s.slots if slot.count > 0)
    for r in results:
        for u, (filled, _places) in ((r.get("stats") or {}).get("coverage_by_urgency") or {}).items():
            coverage.setdefault(u, [0, 0])[0] += int(filled)
    stats = {
        "volunteers": len(problem.volunteers), "shifts": len(problem.shifts),
        "candidate_pairs": sum(int((r.get("stats") or {}).get("candidate_pairs", 0)) for r in results),
        "coverage_by_urgency": {k: coverage[k] for k in sorted(coverage, reverse=True)},
        "places": sum(c[1] for c in coverage.values()), "filled": sum(c[0] for c in coverage.values()),
        "split": dict(split_stats or {}, statuses=[r["status"] for r in results]),
    }
    for key in ("kept", "dropped", "added", "changed"):
        if any(key in (r.get("stats") or {}) for r in results):
            stats[key] = sum(int((r.get("stats") or {}).get(key, 0)) for r in results)
    return stats


# --------------------------------------------------------------------------------------------
# all in one process (tests, benchmarks, the command line's equal)
# --------------------------------------------------------------------------------------------


def solve_split(problem: ShiftProblem, *, parts: int = 4, time_limit: float = DEFAULT_TIME_LIMIT,
                workers: int = 2, seed: int = 0, max_pairs: int | None = None, units=None,
                cell_km: float = DEFAULT_CELL_KM, previous=None) -> dict:
    """Split, solve the parts one after another (each with the whole ``time_limit``), merge."""
    t0 = time.monotonic()
    split = split_problem(problem, parts=parts, max_pairs=max_pairs, units=units, cell_km=cell_km,
                          previous=previous)
    results = [solve_shifts(p.problem, time_limit=time_limit, workers=workers, seed=seed,
                            previous=previous_of(p.problem, previous)).to_dict() for p in split.parts]
    return merge_results(problem, split.parts, results, split_stats=split.stats, seconds=time.monotonic() - t0)
