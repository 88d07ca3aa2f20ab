"""First come, first served baseline: obeys the rules, follows arrival order, loses to the optimizer."""

from __future__ import annotations

import json
import math
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.generate_shifts import generate
from matching.award import parse_award_problem, solve_award
from matching.baseline import first_come, first_come_award, first_come_cases
from matching.cases import CaseNeed, CaseProblem, CaseWorker, solve_cases
from matching.errors import BadInput
from matching.shifts import parse_shift_problem, solve_shifts
from tests.matching.checker import check_shifts
from tests.matching.checker_award import check_award
from tests.matching.test_award import award_problems
from tests.matching.test_shifts import problem, shift, vol


def test_baseline_on_a_generated_community_obeys_the_rules_and_loses():
    data = generate(300, 40, seed=1)
    p = parse_shift_problem(data)
    base = first_come(p).to_dict()
    check_shifts(data, base)
    assert base["status"] == "FEASIBLE" and base["bound"] == base["objective"]
    ours = solve_shifts(p, time_limit=8).to_dict()
    check_shifts(data, ours)
    assert ours["objective"] >= base["objective"]


def test_arrival_order_decides_and_preferences_come_first():
    data = problem(
        [vol("early", prefs=["b"]), vol("late")],
        [shift("a", "09:00", "11:00", urgency=4), shift("b", "10:00", "12:00", urgency=1)],
    )
    p = parse_shift_problem(data)
    base = first_come(p).to_dict()
    check_shifts(data, base)
    assert {(a["volunteer"], a["shift"]) for a in base["assignments"]} == {("early", "b"), ("late", "a")}
    one_place = problem([vol("v1"), vol("v2")], [shift("only")])
    q = parse_shift_problem(one_place)
    assert [a["volunteer"] for a in first_come(q).to_dict()["assignments"]] == ["v1"]
    flipped = first_come(q, order=["v2", "v1"]).to_dict()
    check_shifts(one_place, flipped)
    assert [a["volunteer"] for a in flipped["assignments"]] == ["v2"]


def test_first_come_takes_everything_it_can_and_leaves_urgent_needs_open():
    # the early bird takes the first shift on the sheet; the urgent one later in the sheet goes empty
    data = problem(
        [vol("v1", minutes=120), vol("v2", windows=(("13:00", "18:00"),))],
        [shift("chat", "09:00", "11:00", urgency=1), shift("care", "09:30", "11:30", urgency=4)],
    )
    p = parse_shift_problem(data)
    base = first_come(p).to_dict()
    ours = solve_shifts(p, time_limit=20).to_dict()
    check_shifts(data, base)
    check_shifts(data, ours)
    assert base["stats"]["coverage_by_urgency"]["4"] == [0, 1]
    assert ours["stats"]["coverage_by_urgency"]["4"] == [1, 1]


def test_baseline_empties_understaffed_shifts():
    data = problem([vol("v1"), vol("v2", windows=())], [shift("s", min_volunteers=2, slots=((None, 2),))])
    base = first_come(parse_shift_problem(data)).to_dict()
    check_shifts(data, base)
    assert base["assignments"] == [] and base["unstaffed"] == ["s"]


def test_unknown_volunteer_in_order():
    p = parse_shift_problem(problem([vol("v1")], [shift("s")]))
    with pytest.raises(BadInput) as err:
        first_come(p, order=["v1", "ghost"])
    assert err.value.field == "order[1]"


def test_first_come_places_pins_outside_availability_and_travel_limit():
    far = (31.2304 + 0.45, 121.4737)  # about 50 km away, the travel limit is 5 km
    data = problem(
        [vol("v", windows=()), vol("far", loc=far), vol("w")],
        [shift("night", "03:00", "05:00"), shift("s", urgency=4), shift("t", "12:00", "13:00")],
        pins=[("v", "night"), ("far", "s")],
    )
    base = first_come(parse_shift_problem(data)).to_dict()
    check_shifts(data, base)
    got = {(a["volunteer"], a["shift"]) for a in base["assignments"]}
    assert base["status"] == "FEASIBLE" and {("v", "night"), ("far", "s"), ("w", "t")} <= got
    flags = {a["volunteer"]: c["params"] for a in base["assignments"] for c in a["reason_codes"]
             if c["code"] == "pinned"}
    assert flags == {"v": {"outside_availability": True, "beyond_travel_limit": False},
                     "far": {"outside_availability": False, "beyond_travel_limit": True}}


@pytest.mark.parametrize(
    "shifts, pins, named",
    [
        # the volunteer lacks the slot's skill
        ([shift("s", slots=(("first_aid", 1),))], [("v", "s")], [("v", "s")]),
        # two pins of one volunteer overlap (both outside the volunteer's availability)
        ([shift("x", "02:00", "04:00"), shift("y", "03:00", "05:00")], [("v", "x"), ("v", "y")],
         [("v", "x"), ("v", "y")]),
    ],
)
def test_first_come_names_pins_that_break_a_hard_rule(shifts, pins, named):
    data = problem([vol("v", windows=()), vol("w")], shifts + [shift("t", "12:00", "13:00")], pins=pins)
    base = first_come(parse_shift_problem(data)).to_dict()
    check_shifts(data, base)
    assert base["status"] == "INFEASIBLE" and base["assignments"] == []
    assert sorted(map(tuple, base["conflicting_pins"])) == named


# --------------------------------------------------------------------------- project award


def award_data(projects, bids, organizations=None, **extra) -> dict:
    data = {
        "projects": [{"id": p, "budget": 100, "price_weight": 0.3} for p in projects],
        "organizations": organizations or [{"id": "o1", "grade": 3, "capacity": 10},
                                           {"id": "o2", "grade": 3, "capacity": 10}],
        "bids": [{"id": b, "project": p, "organization": o, "price": price, "technical_score": ts,
                  "workload": 1} for b, p, o, price, ts in bids],
    }
    data.update(extra)
    return data


def first_come_award_checked(data: dict, **kwargs) -> dict:
    result = first_come_award(parse_award_problem(data), **kwargs).to_dict()
    json.dumps(result, allow_nan=False)
    check_award(data, result, kwargs.get("pins", ()), kwargs.get("forbids", ()))
    assert result["status"] in ("FEASIBLE", "INFEASIBLE") and result["bound"] == result["objective"]
    return result


def solve_award_checked(data: dict) -> dict:
    result = solve_award(parse_award_problem(data), time_limit=5, workers=1).to_dict()
    check_award(data, result)
    return result


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(award_problems())
def test_award_baseline_obeys_the_rules_and_never_beats_the_solver(data):
    base = first_come_award_checked(data)
    ours = solve_award_checked(data)
    assert base["status"] == "INFEASIBLE" if ours["status"] == "INFEASIBLE" else base["status"] == "FEASIBLE"
    if base["status"] == "FEASIBLE":
        assert ours["objective"] >= base["objective"]
        for result in (base, ours):
            assert result["stats"]["awarded"] == len(result["awards"])
            assert result["stats"]["total_score"] == sum(a["score"] for a in result["awards"])


def test_award_baseline_takes_the_first_bid_and_the_pool_runs_dry():
    # p1's first bid is expensive and scores lower; paying it leaves no room in the pool for p2
    data = award_data(
        ["p1", "p2"],
        [("dear", "p1", "o1", 90, 60), ("cheap", "p1", "o2", 40, 70), ("p2bid", "p2", "o1", 50, 80)],
        funding_pool=100,
    )
    base = first_come_award_checked(data)
    ours = solve_award_checked(data)
    assert [(a["project"], a["bid"]) for a in base["awards"]] == [("p1", "dear")]
    assert sorted((a["project"], a["bid"]) for a in ours["awards"]) == [("p1", "cheap"), ("p2", "p2bid")]
    assert ours["objective"] > base["objective"]
    assert base["stats"]["awarded"] == 1 and ours["stats"]["awarded"] == 2
    assert base["stats"]["total_score"] == base["objective"] < ours["stats"]["total_score"]
    [left] = base["unawarded"]
    assert left["project"] == "p2" and [c["code"] for c in left["reason_codes"]] == ["pool"]


def test_award_baseline_skips_bids_that_do_not_fit_and_explains_unawarded_projects():
    data = award_data(
        ["p1", "p2", "p3"],
        [("a", "p1", "o1", 50, 50), ("b", "p2", "o1", 50, 50), ("c", "p2", "o2", 60, 40),
         ("bad", "p3", "o2", 500, 90)],
        organizations=[{"id": "o1", "grade": 3, "capacity": 1}, {"id": "o2", "grade": 3, "capacity": 5}],
    )
    base = first_come_award_checked(data)
    assert sorted((a["project"], a["bid"]) for a in base["awards"]) == [("p1", "a"), ("p2", "c")]
    [left] = base["unawarded"]
    assert left["project"] == "p3"
    assert [c["code"] for c in left["reason_codes"]] == ["no_valid_bid", "over_budget"]


def test_award_baseline_honours_pins_first_and_never_uses_forbidden_bids():
    data = award_data(
        ["p1", "p2"],
        [("first", "p1", "o1", 50, 50), ("second", "p1", "o2", 50, 60), ("third", "p1", "o2", 50, 70),
         ("only", "p2", "o1", 50, 50)],
        pins=["third"], forbids=["first"],
    )
    base = first_come_award_checked(data)
    assert sorted((a["project"], a["bid"]) for a in base["awards"]) == [("p1", "third"), ("p2", "only")]
    assert "pinned" in [c["code"] for c in base["awards"][0]["reason_codes"]]
    one = award_data(["p1"], [("first", "p1", "o1", 50, 50), ("second", "p1", "o2", 50, 60)])
    extra = first_come_award_checked(one, forbids=["first"])
    assert [a["bid"] for a in extra["awards"]] == ["second"]
    clash = first_come_award_checked(data, pins=["second"])
    assert clash["status"] == "INFEASIBLE" and clash["objective"] is None and clash["awards"] == []
    assert [c["reason_codes"][0]["code"] for c in clash["conflicts"]] == ["pins_same_project"]


# --------------------------------------------------------------------------- case assignment

HERE = (31.23, 121.47)


def _km(a, b) -> float:
    """Great-circle distance, radius 6371.0 km, written again here."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def check_cases(problem: CaseProblem, result: dict) -> int | None:
    """Every assignment allowed, each need once, caseloads kept, pins held, objective and coverage
    recomputed; returns the objective."""
    needs = {n.id: n for n in problem.needs}
    workers = {w.id: w for w in problem.workers}
    if result["status"] == "INFEASIBLE":
        assert result["assignments"] == [] and result["conflicting_pins"]
        assert {tuple(p) for p in result["conflicting_pins"]} <= {tuple(p) for p in problem.pins}
        return None
    load, total, seen = {}, 0, set()
    for a in result["assignments"]:
        need, worker = needs[a["need"]], workers[a["worker"]]
        assert need.id not in seen, f"need {need.id} assigned twice"
        seen.add(need.id)
        km = _km(need.location, worker.location)
        limit = min([x for x in (problem.max_travel_km, worker.max_travel_km) if x is not None] + [math.inf])
        assert worker.level >= need.min_level, (need.id, worker.id, "level")
        assert not worker.sectors or need.sector in worker.sectors, (need.id, worker.id, "sector")
        assert km <= limit, (need.id, worker.id, "distance")
        assert (need.id, worker.id) not in set(problem.forbids), (need.id, worker.id, "forbidden")
        assert a["reasons"] and len(a["reasons"]) == len(a["reason_codes"])
        load[worker.id] = load.get(worker.id, 0) + 1
        tenths = Decimal(repr(km)) * 10
        total += ({1: 1, 2: 2, 4: 8, 3: 4}[need.urgency] * 1000
                  + 100 * (need.resident is not None and need.resident in worker.residents)
                  - int(tenths.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    for worker_id, count in load.items():
        assert count <= workers[worker_id].capacity, f"worker {worker_id} over caseload"
    held = {(a["need"], a["worker"]) for a in result["assignments"]}
    assert {tuple(p) for p in problem.pins} <= held, "a pin not held"
    assert sorted(u["need"] for u in result["unassigned"]) == sorted(set(needs) - seen)
    assert all(u["reasons"] for u in result["unassigned"])
    assert result["objective"] == total and result["bound"] >= total
    coverage = {}
    for n in problem.needs:
        coverage.setdefault(str(n.urgency), [0, 0])
        coverage[str(n.urgency)][0] += n.id in seen
        coverage[str(n.urgency)][1] += 1
    assert result["stats"]["coverage_by_urgency"] == coverage
    assert list(result["stats"]["coverage_by_urgency"]) == sorted(coverage, reverse=True)
    return total


def random_cases(rng: random.Random) -> CaseProblem:
    def spot():
        return (31.20 + rng.random() * 0.08, 121.44 + rng.random() * 0.08)

    needs = tuple(CaseNeed(f"n{i}", rng.randint(1, 4), spot(), sector=rng.choice([None, "elderly", "youth"]),
                           min_level=rng.randint(1, 3), resident=rng.choice([None, "r1", "r2"]))
                  for i in range(rng.randint(1, 12)))
    workers = tuple(CaseWorker(f"w{i}", rng.randint(1, 3), spot(), rng.randint(0, 3),
                               sectors=frozenset(rng.sample(["elderly", "youth"], rng.randint(0, 2))),
                               max_travel_km=rng.choice([None, 3.0, 6.0]),
                               residents=frozenset(rng.sample(["r1", "r2"], rng.randint(0, 2))))
                    for i in range(rng.randint(1, 6)))
    pairs = [(n.id, w.id) for n in needs for w in workers]
    return CaseProblem(needs, workers, max_travel_km=rng.choice([None, 5.0, 8.0]),
                       pins=tuple(rng.sample(pairs, min(len(pairs), rng.choice([0, 0, 0, 0, 0, 1, 2])))),
                       forbids=tuple(rng.sample(pairs, min(len(pairs), rng.choice([0, 0, 1, 3])))))


@pytest.mark.parametrize("seed", range(40))
def test_case_baseline_obeys_the_rules_and_never_beats_the_solver(seed):
    problem = random_cases(random.Random(seed))
    base = first_come_cases(problem).to_dict()
    ours = solve_cases(problem, time_limit=5, workers=1).to_dict()
    check_cases(problem, base)
    check_cases(problem, ours)
    assert (base["status"] == "INFEASIBLE") == (ours["status"] == "INFEASIBLE")
    if base["status"] != "INFEASIBLE":
        assert base["status"] == "FEASIBLE" and base["bound"] == base["objective"]
        assert ours["status"] == "OPTIMAL" and ours["objective"] >= base["objective"]


def test_case_baseline_lets_the_nearest_senior_take_a_routine_need_and_the_urgent_one_waits():
    near = (31.2305, 121.47)  # about 50 m from the routine need; the junior is about 1 km away
    problem = CaseProblem(
        needs=(CaseNeed("routine", 1, HERE), CaseNeed("urgent", 4, (31.232, 121.47), min_level=3)),
        workers=(CaseWorker("junior", 1, (31.239, 121.47), 1), CaseWorker("senior", 3, near, 1)))
    base = first_come_cases(problem).to_dict()
    ours = solve_cases(problem, time_limit=5, workers=1).to_dict()
    check_cases(problem, base)
    check_cases(problem, ours)
    assert [(a["need"], a["worker"]) for a in base["assignments"]] == [("routine", "senior")]
    assert [(a["need"], a["worker"]) for a in ours["assignments"]] == [
        ("routine", "junior"), ("urgent", "senior")]
    assert base["stats"]["coverage_by_urgency"] == {"4": [0, 1], "1": [1, 1]}
    assert ours["stats"]["coverage_by_urgency"] == {"4": [1, 1], "1": [1, 1]}
    assert ours["objective"] > base["objective"]
    [left] = base["unassigned"]
    assert left["need"] == "urgent" and {c["code"] for c in left["reason_codes"]} == {
        "case_level_too_low", "case_caseload_full"}


def test_case_baseline_places_pins_first_and_never_uses_forbidden_pairs():
    problem = CaseProblem(
        needs=(CaseNeed("a", 2, HERE), CaseNeed("b", 2, HERE)),
        workers=(CaseWorker("near", 2, HERE, 1), CaseWorker("far", 2, (31.25, 121.47), 1),
                 CaseWorker("farther", 2, (31.26, 121.47), 1)),
        pins=(("b", "near"),), forbids=(("a", "far"),))
    base = first_come_cases(problem).to_dict()
    check_cases(problem, base)
    got = {(a["need"], a["worker"]) for a in base["assignments"]}
    assert got == {("a", "farther"), ("b", "near")}
    pinned = [a for a in base["assignments"] if a["need"] == "b"][0]
    assert "pinned" in [c["code"] for c in pinned["reason_codes"]]


@pytest.mark.parametrize("pins, named", [
    ((("a", "junior"),), [("a", "junior")]),  # not allowed: the need wants level 2
    ((("b", "senior"), ("c", "senior")), [("b", "senior"), ("c", "senior")]),  # caseload of one
    ((("b", "senior"), ("b", "junior")), [("b", "senior"), ("b", "junior")]),  # one need, two workers
])
def test_case_baseline_names_pins_that_cannot_hold(pins, named):
    problem = CaseProblem(
        needs=(CaseNeed("a", 2, HERE, min_level=2), CaseNeed("b", 1, HERE), CaseNeed("c", 1, HERE)),
        workers=(CaseWorker("junior", 1, HERE, 3), CaseWorker("senior", 2, HERE, 1)), pins=pins)
    base = first_come_cases(problem).to_dict()
    check_cases(problem, base)
    assert base["status"] == "INFEASIBLE" and [tuple(p) for p in base["conflicting_pins"]] == named
    assert solve_cases(problem, time_limit=5, workers=1).status == "INFEASIBLE"
