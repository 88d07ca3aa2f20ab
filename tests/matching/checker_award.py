"""Independent checkers for award and GAP results (docs/contract.md §2, §3).

Written from the contract alone — nothing here imports the solver — so a solver bug cannot hide
behind a shared helper. Each function checks every rule, recomputes the objective and raises
AssertionError with a message naming what is wrong; it returns the recomputed objective.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

STATUSES = {"OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"}


def as_written(value) -> Fraction:
    """A JSON number as its decimal text says (floats via their shortest repr)."""
    assert not isinstance(value, bool), f"boolean where a number belongs: {value!r}"
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        assert math.isfinite(value), f"non-finite number {value!r}"
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Fraction):
        return value
    return Fraction(Decimal(str(value)))


def score_hundredths(technical_score, price_weight, lowest_price, price) -> int:
    """100 × (technical_score + price_weight × 100 × lowest / price), rounded half up."""
    exact = 100 * (
        as_written(technical_score)
        + as_written(price_weight) * 100 * as_written(lowest_price) / as_written(price)
    )
    whole, rest = divmod(exact.numerator, exact.denominator)
    return whole + (1 if 2 * rest >= exact.denominator else 0)


def bid_problems(problem: dict) -> dict:
    """For each bid id: (bid, project, organization, list of broken validity rules)."""
    projects = {p["id"]: p for p in problem["projects"]}
    orgs = {o["id"]: o for o in problem["organizations"]}
    out = {}
    for b in problem["bids"]:
        p, o = projects[b["project"]], orgs[b["organization"]]
        broken = []
        if as_written(b["price"]) > as_written(p["budget"]):
            broken.append("over budget")
        if p.get("min_grade") is not None and o["grade"] < p["min_grade"]:
            broken.append("grade too low")
        if o.get("blacklisted", False):
            broken.append("blacklisted")
        out[b["id"]] = (b, p, o, broken)
    return out


def valid_scores(problem: dict) -> dict:
    """Score (hundredths) of every valid bid; lowest valid price taken per project."""
    info = bid_problems(problem)
    lowest = {}
    for b, p, _o, broken in info.values():
        if not broken:
            price = as_written(b["price"])
            lowest[p["id"]] = min(lowest.get(p["id"], price), price)
    return {
        bid_id: score_hundredths(
            b["technical_score"], p.get("price_weight", 0.3), lowest[p["id"]], b["price"]
        )
        for bid_id, (b, p, _o, broken) in info.items()
        if not broken
    }


def _reasons_ok(entry: dict, what: str) -> None:
    assert isinstance(entry.get("reasons"), list) and entry["reasons"], f"{what}: no reasons"
    assert all(isinstance(r, str) and r for r in entry["reasons"]), f"{what}: reasons must be strings"
    codes = entry.get("reason_codes")
    assert isinstance(codes, list) and len(codes) == len(entry["reasons"]), (
        f"{what}: reason_codes must match reasons one to one"
    )
    for c in codes:
        assert isinstance(c, dict) and isinstance(c.get("code"), str) and isinstance(c.get("params"), dict), (
            f"{what}: bad reason code {c!r}"
        )


def pins_can_hold(problem: dict, pins, forbids) -> bool:
    """Pins hold iff the pinned bids alone obey every rule (everything else may stay unawarded)."""
    info = bid_problems(problem)
    if any(info[b][3] for b in pins) or set(pins) & set(forbids):
        return False
    projects = [info[b][0]["project"] for b in pins]
    if len(projects) != len(set(projects)):
        return False
    load = {}
    for b in pins:
        org = info[b][2]
        load[org["id"]] = load.get(org["id"], 0) + as_written(info[b][0]["workload"])
        if load[org["id"]] > as_written(org["capacity"]):
            return False
    pool = problem.get("funding_pool")
    return pool is None or sum((as_written(info[b][0]["price"]) for b in pins), Fraction(0)) <= as_written(
        pool
    )


def check_award(problem: dict, result: dict, pins=(), forbids=()) -> int | None:
    """Check an award result against its JSON problem; returns the recomputed objective."""
    pins = list(problem.get("pins", [])) + list(pins)
    forbids = set(problem.get("forbids", [])) | set(forbids)
    assert result["status"] in STATUSES, f"unknown status {result['status']!r}"
    assert isinstance(result["seconds"], (int, float)) and result["seconds"] >= 0, "seconds missing"
    if result["status"] == "INFEASIBLE":
        assert not pins_can_hold(problem, pins, forbids), "INFEASIBLE although the pins can all hold"
        assert result.get("conflicts"), "INFEASIBLE without naming the conflicting pins"
        for c in result["conflicts"]:
            assert c["pins"] and set(c["pins"]) <= set(pins), f"conflict names non-pins: {c['pins']}"
        assert not result["awards"], "INFEASIBLE result with awards"
        return None
    if result["status"] == "UNKNOWN":
        return None

    info = bid_problems(problem)
    scores = valid_scores(problem)
    orgs = {o["id"]: o for o in problem["organizations"]}
    seen_projects, load, spent, total = set(), {}, Fraction(0), 0
    for a in result["awards"]:
        bid_id = a["bid"]
        assert bid_id in info, f"award of unknown bid {bid_id!r}"
        b, p, o, broken = info[bid_id]
        assert a["project"] == p["id"], f"bid {bid_id} is for {p['id']}, awarded to {a['project']}"
        assert a["organization"] == o["id"], f"bid {bid_id} belongs to {o['id']}, not {a['organization']}"
        assert as_written(a["price"]) == as_written(b["price"]), (
            f"bid {bid_id}: price {a['price']} != {b['price']}"
        )
        assert not broken, f"bid {bid_id} awarded but invalid: {', '.join(broken)}"
        assert bid_id not in forbids, f"forbidden bid {bid_id} awarded"
        assert p["id"] not in seen_projects, f"project {p['id']} awarded twice"
        seen_projects.add(p["id"])
        assert a["score"] == scores[bid_id], (
            f"bid {bid_id}: score {a['score']} != recomputed {scores[bid_id]}"
        )
        _reasons_ok(a, f"award {p['id']}")
        load[o["id"]] = load.get(o["id"], 0) + as_written(b["workload"])
        spent += as_written(b["price"])
        total += scores[bid_id]
    for org_id, used in load.items():
        assert used <= as_written(orgs[org_id]["capacity"]), (
            f"organization {org_id}: workload {used} over capacity {orgs[org_id]['capacity']}"
        )
    if problem.get("funding_pool") is not None:
        assert spent <= as_written(problem["funding_pool"]), (
            f"awarded {spent} over the pool {problem['funding_pool']}"
        )
    awarded_bids = {a["bid"] for a in result["awards"]}
    for b in pins:
        assert b in awarded_bids, f"pinned bid {b} not awarded"
    unawarded = [u["project"] for u in result["unawarded"]]
    expected = [p["id"] for p in problem["projects"] if p["id"] not in seen_projects]
    assert sorted(map(str, unawarded)) == sorted(map(str, expected)), (
        f"unawarded {unawarded} should be exactly the projects without award {expected}"
    )
    for u in result["unawarded"]:
        _reasons_ok(u, f"unawarded {u['project']}")
    assert result["objective"] == total, f"objective {result['objective']} != recomputed {total}"
    if result["bound"] is not None:
        assert result["bound"] >= total, f"bound {result['bound']} below the objective {total}"
    if result["status"] == "OPTIMAL":
        assert result["bound"] == total, f"OPTIMAL but bound {result['bound']} != objective {total}"
    return total


def _field(instance, name):
    return instance[name] if isinstance(instance, dict) else getattr(instance, name)


def check_gap(instance, result, maximize: bool | None = None) -> int | None:
    """Check a GAP result (dict or object with ``to_dict``); returns the recomputed total cost."""
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    cost, resource, capacity = (
        _field(instance, "cost"),
        _field(instance, "resource"),
        _field(instance, "capacity"),
    )
    m, n = len(capacity), len(cost[0])
    assert result["status"] in STATUSES, f"unknown status {result['status']!r}"
    if maximize is None:
        maximize = result.get("sense") == "max"
    if result["status"] in ("INFEASIBLE", "UNKNOWN"):
        assert result["assignment"] is None, f"{result['status']} with an assignment"
        return None
    assignment = result["assignment"]
    assert len(assignment) == n, f"assignment has {len(assignment)} jobs, instance has {n}"
    load = [0] * m
    total = 0
    for j, i in enumerate(assignment):
        assert isinstance(i, int) and 0 <= i < m, f"job {j}: agent {i!r} out of range"
        load[i] += resource[i][j]
        total += cost[i][j]
    for i in range(m):
        assert load[i] <= capacity[i], f"agent {i}: load {load[i]} over capacity {capacity[i]}"
    assert result["objective"] == total, f"objective {result['objective']} != recomputed {total}"
    if result["bound"] is not None:
        if maximize:
            assert result["bound"] >= total, f"bound {result['bound']} below objective {total} (max)"
        else:
            assert result["bound"] <= total, f"bound {result['bound']} above objective {total} (min)"
    if result["status"] == "OPTIMAL":
        assert result["bound"] == total, f"OPTIMAL but bound {result['bound']} != objective {total}"
    return total
