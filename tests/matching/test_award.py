"""Project award: validity, exact scores, capacity, funding pool, pins, reasons, and brute force."""

from __future__ import annotations

import copy
import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.award import (
    AwardBid,
    AwardOrganization,
    AwardProblem,
    AwardProject,
    bid_score,
    parse_award_problem,
    solve_award,
)
from matching.errors import BadInput
from tests.matching.checker_award import as_written, check_award, valid_scores
from tests.matching.contract import award_example


def solve(data: dict, **kwargs) -> dict:
    result = solve_award(parse_award_problem(data), time_limit=10, workers=1, **kwargs).to_dict()
    json.dumps(result, allow_nan=False)  # the result is plain JSON
    check_award(data, result, kwargs.get("pins", ()), kwargs.get("forbids", ()))
    return result


def codes(entry: dict) -> list[str]:
    return [c["code"] for c in entry["reason_codes"]]


def by_project(result: dict) -> dict:
    return {a["project"]: a for a in result["awards"]} | {u["project"]: u for u in result["unawarded"]}


def base() -> dict:
    data = award_example()
    data["organizations"].append({"id": "o2", "grade": 3, "capacity": 6})
    return data


# --------------------------------------------------------------------------- scores


@pytest.mark.parametrize(
    "technical, weight, lowest, price, expected",
    [
        (62.5, 0.3, 280000, 280000, 9250),  # 100 × (62.5 + 30)
        (70, 0.3, 200000, 280000, 9143),  # 100 × (70 + 30·5/7) = 9142.857… → 9143
        (60, 0.5, 100, 1600, 6313),  # 100 × (60 + 3.125) = 6312.5, a tie: half up
        (62.505, 0, 1, 1, 6251),  # 6250.5 exactly as written (the float is 62.50499…)
        (1.005, 0, 1, 1, 101),  # 100.5 as written; float arithmetic gives 100.49999…
        (10.00499, 0, 1, 1, 1000),  # 1000.499 rounds down
        (0, 1, 1, 3, 3333),  # 3333.33…
        (0, 1, 2, 3, 6667),  # 6666.66…
        (100, 1, 5, 5, 20000),
    ],
)
def test_bid_score_exact(technical, weight, lowest, price, expected):
    assert bid_score(technical, weight, lowest, price) == expected


def test_scores_in_result_use_lowest_valid_price_only():
    data = base()
    data["projects"][0]["price_weight"] = 0.5
    data["projects"][0]["budget"] = 1600
    data["organizations"].append({"id": "bad", "grade": 5, "capacity": 9, "blacklisted": True})
    data["bids"] = [
        {
            "id": "cheap",
            "project": "p1",
            "organization": "o1",
            "price": 100,
            "technical_score": 10,
            "workload": 1,
        },
        {
            "id": "dear",
            "project": "p1",
            "organization": "o2",
            "price": 1600,
            "technical_score": 60,
            "workload": 1,
        },
        # cheaper still, but blacklisted: it must not lower the reference price
        {
            "id": "black",
            "project": "p1",
            "organization": "bad",
            "price": 1,
            "technical_score": 99,
            "workload": 1,
        },
    ]
    result = solve(data)
    assert valid_scores(data) == {"cheap": 6000, "dear": 6313}
    (award,) = result["awards"]
    assert (award["bid"], award["score"], result["objective"]) == ("dear", 6313, 6313)
    assert codes(award) == ["score", "highest_score"]
    assert award["reason_codes"][1]["params"] == {"valid_bids": 2}


# --------------------------------------------------------------------------- validity


def test_price_equal_to_budget_and_grade_equal_to_minimum_are_valid():
    data = base()
    data["projects"][0]["budget"] = 280000
    data["organizations"][0]["grade"] = 3
    result = solve(data)
    assert [a["bid"] for a in result["awards"]] == ["b1"] and result["status"] == "OPTIMAL"


@pytest.mark.parametrize(
    "change, code, params",
    [
        (
            lambda d: d["bids"][0].update(price=300001),
            "over_budget",
            {"bid": "b1", "price": 300001, "budget": 300000},
        ),
        (
            lambda d: d["organizations"][0].update(grade=2),
            "grade_too_low",
            {"bid": "b1", "organization": "o1", "grade": 2, "min_grade": 3},
        ),
        (
            lambda d: d["organizations"][0].update(blacklisted=True),
            "blacklisted",
            {"bid": "b1", "organization": "o1"},
        ),
    ],
)
def test_invalid_bids_are_never_awarded_and_explained(change, code, params):
    data = base()
    change(data)
    result = solve(data)
    assert result["awards"] == [] and result["objective"] == 0
    (entry,) = result["unawarded"]
    assert codes(entry) == ["no_valid_bid", code]
    assert entry["reason_codes"][0]["params"] == {"bids": 1}
    assert entry["reason_codes"][1]["params"] == params


def test_project_without_bids():
    data = base()
    data["projects"].append({"id": "p2", "budget": 10})
    result = solve(data)
    assert by_project(result)["p2"]["reason_codes"] == [{"code": "no_valid_bid", "params": {"bids": 0}}]
    assert by_project(result)["p2"]["reasons"] == ["no valid bid (0 bid(s) received)"]


# --------------------------------------------------------------------------- capacity and pool


def two_projects_one_org() -> dict:
    return {
        "projects": [
            {"id": "p1", "budget": 100, "price_weight": 0},
            {"id": "p2", "budget": 100, "price_weight": 0},
        ],
        "organizations": [{"id": "o1", "grade": 5, "capacity": 3}, {"id": "o2", "grade": 5, "capacity": 3}],
        "bids": [
            {
                "id": "a",
                "project": "p1",
                "organization": "o1",
                "price": 50,
                "technical_score": 90,
                "workload": 2,
            },
            {
                "id": "b",
                "project": "p2",
                "organization": "o1",
                "price": 50,
                "technical_score": 80,
                "workload": 2,
            },
            {
                "id": "c",
                "project": "p1",
                "organization": "o2",
                "price": 50,
                "technical_score": 85,
                "workload": 2,
            },
        ],
    }


def test_capacity_moves_a_project_to_its_second_best_bid():
    result = solve(two_projects_one_org())
    awards = by_project(result)
    # a (90) + b (80) would need workload 4 of o1's 3; c (85) + b (80) = 165 beats a alone.
    assert (awards["p1"]["bid"], awards["p2"]["bid"], result["objective"]) == ("c", "b", 16500)
    assert codes(awards["p1"]) == ["score", "higher_bid_capacity"]
    assert awards["p1"]["reason_codes"][1]["params"] == {"bid": "a", "score": 90.0, "organization": "o1"}


def test_capacity_leaves_a_project_unawarded_with_reasons():
    data = two_projects_one_org()
    data["bids"].pop()  # without c, only one of a, b fits o1
    result = solve(data)
    entry = by_project(result)["p2"]
    assert [a["bid"] for a in result["awards"]] == ["a"]
    assert codes(entry) == ["capacity", "lower_total_score"]
    assert entry["reason_codes"][0]["params"] == {
        "bid": "b",
        "organization": "o1",
        "workload": 2,
        "used": 2,
        "capacity": 3,
    }


def test_funding_pool_limits_total_price():
    data = two_projects_one_org()
    data["organizations"][0]["capacity"] = 10
    data["funding_pool"] = 99
    data["bids"][1]["price"] = 49.5
    result = solve(data)
    assert [a["bid"] for a in result["awards"]] == ["a"]
    entry = by_project(result)["p2"]
    assert codes(entry) == ["pool", "lower_total_score"]
    assert entry["reason_codes"][0]["params"] == {
        "bid": "b",
        "price": 49.5,
        "remaining": 49,
        "funding_pool": 99,
    }
    data["funding_pool"] = 100
    assert len(solve(data)["awards"]) == 2


def test_decimal_workloads_and_capacity():
    data = two_projects_one_org()
    data["organizations"][0]["capacity"] = 0.3
    data["bids"][0]["workload"] = 0.1
    data["bids"][1]["workload"] = 0.2
    result = solve(data)
    assert sorted(a["bid"] for a in result["awards"]) == ["a", "b"]
    data["bids"][1]["workload"] = 0.200001
    assert sorted(a["bid"] for a in solve(data)["awards"]) == ["b", "c"]


# --------------------------------------------------------------------------- pins and forbids


def test_pin_overrides_the_best_bid():
    result = solve(two_projects_one_org(), pins=["b"], forbids=["c"])
    awards = by_project(result)
    assert awards["p2"]["bid"] == "b" and "pinned" in codes(awards["p2"])
    # with b pinned and c forbidden, a does not fit o1 any more
    assert codes(awards["p1"]) == ["capacity", "forbidden", "lower_total_score"]


def test_forbidden_best_bid_is_explained_on_the_winner():
    data = two_projects_one_org()
    data["forbids"] = ["a"]
    result = solve(data)
    assert by_project(result)["p1"]["bid"] == "c"
    assert "higher_bid_forbidden" in codes(by_project(result)["p1"])


@pytest.mark.parametrize(
    "pins, forbids, change, conflict",
    [
        (["a", "c"], [], None, ("pins_same_project", ["a", "c"])),
        (["a", "b"], [], None, ("pins_capacity", ["a", "b"])),
        (["a"], ["a"], None, ("pin_forbidden", ["a"])),
        (
            ["a"],
            [],
            lambda d: d["organizations"][0].update(grade=1) or d["projects"][0].update(min_grade=2),
            ("pin_invalid", ["a"]),
        ),
        (
            ["a", "b"],
            [],
            lambda d: d["organizations"][0].update(capacity=9) or d.update(funding_pool=99),
            ("pins_pool", ["a", "b"]),
        ),
    ],
)
def test_pins_that_cannot_hold_are_named(pins, forbids, change, conflict):
    data = two_projects_one_org()
    if change:
        change(data)
    result = solve(data, pins=pins, forbids=forbids)
    assert result["status"] == "INFEASIBLE" and result["objective"] is None
    assert [(c["reason_codes"][0]["code"], c["pins"]) for c in result["conflicts"]] == [conflict]


def test_pins_in_the_problem_file_are_read():
    data = two_projects_one_org()
    data["pins"] = ["b"]
    problem = parse_award_problem(data)
    assert problem.pins == ("b",)
    assert by_project(solve(data))["p2"]["bid"] == "b"


# --------------------------------------------------------------------------- bad input


def _mutations():
    def drop(path, key):
        return lambda d: d[path[0]][path[1]].pop(key)

    def setv(path, key, value):
        return lambda d: d[path[0]][path[1]].__setitem__(key, value)

    def dup_org(d):
        d["organizations"][1]["id"] = "o1"

    return [
        (drop(("projects", 0), "id"), "projects[0].id"),
        (drop(("bids", 0), "price"), "bids[0].price"),
        (dup_org, "organizations[1].id"),
        (lambda d: d["bids"].append(dict(d["bids"][0])), "bids[1].id"),
        (setv(("bids", 0), "project", "nope"), "bids[0].project"),
        (setv(("bids", 0), "organization", "nope"), "bids[0].organization"),
        (setv(("bids", 0), "price", math.nan), "bids[0].price"),
        (setv(("bids", 0), "price", math.inf), "bids[0].price"),
        (setv(("bids", 0), "price", 0), "bids[0].price"),
        (setv(("bids", 0), "price", "12"), "bids[0].price"),
        (setv(("bids", 0), "price", True), "bids[0].price"),
        (setv(("bids", 0), "price", 1.0000001), "bids[0].price"),
        (setv(("bids", 0), "workload", -1), "bids[0].workload"),
        (setv(("bids", 0), "technical_score", 100.01), "bids[0].technical_score"),
        (setv(("bids", 0), "technical_score", -0.5), "bids[0].technical_score"),
        (setv(("projects", 0), "price_weight", 1.5), "projects[0].price_weight"),
        (setv(("projects", 0), "price_weight", -0.1), "projects[0].price_weight"),
        (setv(("projects", 0), "budget", -1), "projects[0].budget"),
        (setv(("projects", 0), "min_grade", 6), "projects[0].min_grade"),
        (setv(("organizations", 0), "grade", 0), "organizations[0].grade"),
        (setv(("organizations", 0), "grade", 3.0), "organizations[0].grade"),
        (setv(("organizations", 0), "capacity", math.nan), "organizations[0].capacity"),
        (setv(("organizations", 0), "blacklisted", "no"), "organizations[0].blacklisted"),
        (lambda d: d.update(funding_pool=-5), "funding_pool"),
        (lambda d: d.update(funding_pool=math.inf), "funding_pool"),
        (lambda d: d.update(pins=["zz"]), "pins[0]"),
        (lambda d: d.update(forbids=["b1", "zz"]), "forbids[1]"),
        (lambda d: d.pop("bids"), "bids"),
        (lambda d: d.update(projects={"id": "p1"}), "projects"),
        (lambda d: d["bids"].__setitem__(0, "b1"), "bids[0]"),
        (lambda d: d["projects"][0].update(id=""), "projects[0].id"),
    ]


@pytest.mark.parametrize("change, field", _mutations())
def test_bad_input_names_the_field(change, field):
    data = base()
    change(data)
    with pytest.raises(BadInput) as info:
        parse_award_problem(data)
    assert info.value.field == field
    assert str(info.value).startswith(field + ": ")


def test_not_an_object():
    with pytest.raises(BadInput) as info:
        parse_award_problem([1, 2])
    assert info.value.field == "problem"


def test_dataclasses_are_validated_too():
    problem = AwardProblem(
        funding_pool=None,
        projects=(AwardProject("p1", 100),),
        organizations=(AwardOrganization("o1", 3, 2),),
        bids=(AwardBid("b1", "p1", "o1", float("nan"), 50, 1),),
    )
    with pytest.raises(BadInput) as info:
        solve_award(problem)
    assert info.value.field == "bids[0].price"
    good = AwardProblem(
        None, problem.projects, problem.organizations, (AwardBid("b1", "p1", "o1", 80, 50, 1),)
    )
    with pytest.raises(BadInput) as info:
        solve_award(good, pins=["b9"])
    assert info.value.field == "pins[0]"
    result = solve_award(good)
    assert (result.status, result.objective) == ("OPTIMAL", 8000)


def test_progress_callback_and_timing():
    seen = []
    result = solve_award(parse_award_problem(two_projects_one_org()), progress=lambda *a: seen.append(a))
    assert seen and seen[-1][0] == result.objective
    assert 0 <= result.seconds < 5


# --------------------------------------------------------------------------- against brute force


@st.composite
def award_problems(draw):
    n_projects = draw(st.integers(1, 4))
    n_orgs = draw(st.integers(1, 3))
    money = st.one_of(st.integers(1, 60), st.integers(100, 6000).map(lambda c: c / 100))
    projects = [
        {
            "id": f"p{k}",
            "budget": draw(money),
            "price_weight": draw(st.sampled_from([0, 0.25, 0.3, 0.5, 1])),
            "min_grade": draw(st.one_of(st.none(), st.integers(1, 5))),
        }
        for k in range(n_projects)
    ]
    organizations = [
        {
            "id": f"o{k}",
            "grade": draw(st.integers(1, 5)),
            "capacity": draw(st.integers(0, 5)),
            "blacklisted": draw(st.booleans()),
        }
        for k in range(n_orgs)
    ]
    bids = [
        {
            "id": f"b{k}",
            "project": f"p{draw(st.integers(0, n_projects - 1))}",
            "organization": f"o{draw(st.integers(0, n_orgs - 1))}",
            "price": draw(money),
            "technical_score": draw(st.integers(0, 1000)) / 10,
            "workload": draw(st.integers(0, 3)),
        }
        for k in range(draw(st.integers(0, 8)))
    ]
    data = {"projects": projects, "organizations": organizations, "bids": bids}
    if draw(st.booleans()):
        data["funding_pool"] = draw(st.integers(0, 150))
    ids = [b["id"] for b in bids]
    if ids and draw(st.integers(0, 3)) == 0:
        data["pins"] = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    if ids and draw(st.integers(0, 3)) == 0:
        data["forbids"] = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    return data


def brute_force(data: dict) -> int | None:
    """Best total score over every way to give each project at most one bid; None if pins cannot hold."""
    scores = valid_scores(data)
    pins, forbids = set(data.get("pins", [])), set(data.get("forbids", []))
    bids = {b["id"]: b for b in data["bids"]}
    capacity = {o["id"]: o["capacity"] for o in data["organizations"]}
    options = [
        [None]
        + [
            b["id"]
            for b in data["bids"]
            if b["project"] == p["id"] and b["id"] in scores and b["id"] not in forbids
        ]
        for p in data["projects"]
    ]
    best = None
    for choice in itertools.product(*options):
        chosen = [b for b in choice if b is not None]
        if not pins <= set(chosen):
            continue
        load = {}
        for b in chosen:
            load[bids[b]["organization"]] = load.get(bids[b]["organization"], 0) + bids[b]["workload"]
        if any(load[o] > capacity[o] for o in load):
            continue
        if (
            "funding_pool" in data
            and sum(as_written(bids[b]["price"]) for b in chosen) > data["funding_pool"]
        ):
            continue
        total = sum(scores[b] for b in chosen)
        best = total if best is None else max(best, total)
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(award_problems())
def test_matches_brute_force(data):
    original = copy.deepcopy(data)
    result = solve(data)
    assert data == original  # the input is not changed
    expected = brute_force(data)
    if expected is None:
        assert result["status"] == "INFEASIBLE"
    else:
        assert result["status"] == "OPTIMAL"
        assert result["objective"] == expected == result["bound"]


# --------------------------------------------------------------------------- presolve and parts


@st.composite
def linked_award_problems(draw):
    """Up to 7 projects in chains of organizations: some with capacity to spare (presolve treats
    their bids as unblockable and drops what they dominate), some tight (they link projects into
    parts), pins taking capacity and pool first, sometimes a pool that binds."""
    n_projects = draw(st.integers(1, 7))
    n_orgs = draw(st.integers(1, 5))
    organizations = [
        {
            "id": f"o{k}",
            "grade": 3,
            "capacity": draw(st.sampled_from([0, 1, 2, 3, 4, 100])),
            "blacklisted": False,
        }
        for k in range(n_orgs)
    ]
    projects = [
        {"id": f"p{k}", "budget": 100, "price_weight": draw(st.sampled_from([0, 0.3, 1]))}
        for k in range(n_projects)
    ]
    bids = []
    for k in range(draw(st.integers(0, 12))):
        bids.append(
            {
                "id": f"b{k}",
                "project": f"p{draw(st.integers(0, n_projects - 1))}",
                "organization": f"o{draw(st.integers(0, n_orgs - 1))}",
                "price": draw(st.sampled_from([10, 20, 25, 40, 50])),
                "technical_score": draw(st.sampled_from([0, 10, 30, 30, 50, 70])),
                "workload": draw(st.sampled_from([0, 1, 1, 2, 3])),
            }
        )
    data = {"projects": projects, "organizations": organizations, "bids": bids}
    if draw(st.booleans()):
        data["funding_pool"] = draw(st.sampled_from([0, 30, 60, 100, 150, 1000]))
    ids = [b["id"] for b in bids]
    if ids and draw(st.booleans()):
        data["pins"] = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    if ids and draw(st.integers(0, 2)) == 0:
        data["forbids"] = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_award_problems())
def test_presolve_and_parts_keep_the_brute_force_optimum(data):
    result = solve(data)
    expected = brute_force(data)
    if expected is None:
        assert result["status"] == "INFEASIBLE"
    else:
        assert result["status"] == "OPTIMAL"
        assert result["objective"] == expected == result["bound"]


def _copies(data: dict, n: int) -> dict:
    """``n`` copies of a problem with renamed ids (no pool): independent parts with equal optima."""
    out = {"projects": [], "organizations": [], "bids": []}
    for k in range(n):
        for key in out:
            for item in data[key]:
                item = dict(item, id=f"{item['id']}_{k}")
                if key == "bids":
                    item["project"] = f"{item['project']}_{k}"
                    item["organization"] = f"{item['organization']}_{k}"
                out[key].append(item)
    return out


def test_independent_parts_are_each_solved_within_their_own_capacities():
    # one part: o1 (capacity 2) is wanted by both projects, o2 is the fallback
    one = {
        "projects": [{"id": "p1", "budget": 100}, {"id": "p2", "budget": 100}, {"id": "p3", "budget": 100}],
        "organizations": [
            {"id": "o1", "grade": 3, "capacity": 2},
            {"id": "o2", "grade": 3, "capacity": 1},
            {"id": "free", "grade": 3, "capacity": 50},
        ],
        "bids": [
            {"id": "a", "project": "p1", "organization": "o1",
             "price": 100, "technical_score": 60, "workload": 2},
            {"id": "b", "project": "p2", "organization": "o1",
             "price": 100, "technical_score": 55, "workload": 2},
            {"id": "c", "project": "p2", "organization": "o2",
             "price": 100, "technical_score": 50, "workload": 1},
            {"id": "d", "project": "p1", "organization": "o2",
             "price": 100, "technical_score": 20, "workload": 1},
            # p3: the free organization's bid dominates the tight one's
            {"id": "e", "project": "p3", "organization": "free",
             "price": 100, "technical_score": 40, "workload": 9},
            {"id": "f", "project": "p3", "organization": "o2",
             "price": 100, "technical_score": 30, "workload": 1},
        ],
    }
    single = solve(one)
    assert sorted(a["bid"] for a in single["awards"]) == ["a", "c", "e"]
    many = _copies(one, 5)
    result = solve(many)
    assert result["status"] == "OPTIMAL"
    assert result["objective"] == 5 * single["objective"]
    assert sorted(a["bid"] for a in result["awards"]) == sorted(f"{b}_{k}" for b in "ace" for k in range(5))


def test_parts_are_disjoint_and_keep_every_binding_capacity_in_one_part():
    from benchmarks.generate_award import generate_award
    from matching.award import _reduce, prepare_award

    one = generate_award(40, 12, 140, seed=3, pool_share=None)
    data = _copies(one, 3)
    problem = parse_award_problem(data)
    pins, forbids, bids, _by_project, _stats, _conflicts = prepare_award(problem)
    candidates = [e for e in bids.values() if not e.faults]
    parts, decided = _reduce(problem, candidates, pins, bids)
    assert len(parts) >= 3
    seen_projects, seen_orgs = set(), set()
    for part in parts:
        projects = {e.project.id for e in part.entries}
        assert not projects & seen_projects
        seen_projects |= projects
        assert not set(part.capacity) & seen_orgs
        seen_orgs |= set(part.capacity)
        assert part.pool is None
        mine = {e.bid.id for e in part.entries}
        for other in parts:  # a tight organization's bids all sit in its part
            assert other is part or not any(e.org.id in part.capacity for e in other.entries)
        assert all(e.bid.id in mine for e in part.entries if e.org.id in part.capacity)
    assert not {bids[b].project.id for b in decided} & seen_projects
    assert solve(data)["objective"] == 3 * solve(one)["objective"]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("pool_share", [0.8, None])
def test_generated_problems_pass_the_checker_and_match_plain_cp_sat(seed, pool_share):
    from benchmarks.award_tiers import plain_cp_sat
    from benchmarks.generate_award import generate_award

    data = generate_award(30, 9, 105, seed=seed, pool_share=pool_share)
    ours = solve(data)
    plain = plain_cp_sat(parse_award_problem(data), time_limit=20, workers=1)
    assert ours["status"] == "OPTIMAL" and ours["objective"] >= plain["objective"]
    if plain["status"] == "OPTIMAL":
        assert ours["objective"] == plain["objective"]


def test_generator_is_seeded_and_realistic():
    from benchmarks.generate_award import generate_size

    data = generate_size("district", seed=7)
    assert data == generate_size("district", seed=7) and data != generate_size("district", seed=8)
    assert (len(data["projects"]), len(data["organizations"]), len(data["bids"])) == (400, 120, 1400)
    problem = parse_award_problem(data)  # valid input
    assert data["funding_pool"] < sum(p["budget"] for p in data["projects"])
    assert len({b["project"] for b in data["bids"]}) > 300
    assert problem.bids


def test_benchmark_prints_ours_and_plain_cp_sat_for_each_instance(capsys):
    from benchmarks.run import main

    assert main(["--only", "award", "--quick", "--award-seeds", "5"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| street |")]
    assert [row.split(" | ")[3] for row in rows] == ["ours", "plain CP-SAT"]
    assert "load average" in out and "| OPTIMAL |" in rows[0]


def test_native_output_during_branch_and_cut_goes_to_standard_error(capfd):
    import os

    from matching.native import stdout_to_stderr

    with stdout_to_stderr():
        with stdout_to_stderr():
            os.write(1, b"native progress line\n")
        os.write(1, b"second line\n")
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert out == "after\n"
    assert err == "native progress line\nsecond line\n"


def test_command_line_prints_only_json_on_a_generated_problem(tmp_path):
    import subprocess
    import sys

    from benchmarks.generate_award import generate_award

    data = generate_award(80, 24, 280, seed=4)
    path = tmp_path / "award.json"
    path.write_text(json.dumps(data))
    done = subprocess.run(
        [sys.executable, "-m", "matching", "award", str(path), "--time-limit", "10", "--workers", "2"],
        capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout)
    check_award(data, result)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_award_problems())
def test_local_search_keeps_every_rule_and_never_lowers_the_score(data):
    import time

    from matching.award import _Moves, _part_fill, _part_obeys, _part_score, _reduce, prepare_award

    problem = parse_award_problem(data)
    pins, forbids, bids, _by_project, _stats, conflicts = prepare_award(problem)
    if conflicts:
        return
    candidates = [e for e in bids.values() if not e.faults and e.bid.id not in forbids]
    parts, _decided = _reduce(problem, candidates, pins, bids)
    for part in parts:
        for order in (lambda e: e.score, lambda e: -e.score):  # a poor start and a good one
            start = _part_fill(part, set(), order)
            better = _Moves(part, start).run(time.monotonic() + 5)
            assert _part_obeys(part, part.entries, better)
            assert _part_score(part, better) >= _part_score(part, start)
