"""Scale-out solving: split a shift problem into parts, solve them apart, merge (matching/split.py)."""
from __future__ import annotations

import copy
from collections import Counter

import pytest

from benchmarks.generate_shifts import generate
from matching.shifts import parse_shift_problem, solve_shifts
from matching.split import merge_results, solve_split, split_problem
from tests.matching.checker import check_shifts, objective_of


def districts(*seeds, volunteers=60, shifts=12) -> dict:
    """Several small generated areas 50 km apart, in one problem: nobody can serve two of them."""
    merged = {"volunteers": [], "shifts": [], "pins": [], "forbids": []}
    for k, seed in enumerate(seeds):
        area = generate(volunteers, shifts, seed)
        merged["settings"] = area["settings"]
        rename = {}
        for v in area["volunteers"]:
            rename[v["id"]] = f"a{k}{v['id']}"
            v["id"] = rename[v["id"]]
            v["location"][0] += 0.45 * k
            v["preferences"] = [f"a{k}{s}" for s in v["preferences"]]
        for s in area["shifts"]:
            s["id"] = f"a{k}{s['id']}"
            s["location"][0] += 0.45 * k
        merged["volunteers"] += area["volunteers"]
        merged["shifts"] += area["shifts"]
        merged["pins"] += [[rename[v], f"a{k}{s}"] for v, s in area.get("pins", [])]
        merged["forbids"] += [[rename[v], f"a{k}{s}"] for v, s in area.get("forbids", [])]
    return merged


def owners(split) -> Counter:
    """How many parts each volunteer is in."""
    return Counter(v.id for part in split.parts for v in part.problem.volunteers)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_components_merge_into_the_unsplit_optimum(seed):
    data = districts(seed, seed + 10, seed + 20)
    problem = parse_shift_problem(data)
    whole = solve_shifts(problem, time_limit=20).to_dict()
    assert whole["status"] == "OPTIMAL"
    split = split_problem(problem, parts=3)
    assert split.stats["cut_components"] == 0 and split.stats["cross_volunteers"] == 0
    assert split.stats["parts"] >= 2
    assert all(part.exact for part in split.parts)
    merged = solve_split(problem, parts=3, time_limit=20)
    check_shifts(data, merged)
    assert merged["status"] == "OPTIMAL"
    assert merged["objective"] == whole["objective"] == merged["bound"]
    assert merged["objective"] == objective_of(data, [(a["volunteer"], a["shift"]) for a in merged["assignments"]])
    assert merged["stats"]["coverage_by_urgency"] == whole["stats"]["coverage_by_urgency"]


def test_every_shift_is_in_exactly_one_part_and_no_volunteer_in_two():
    data = districts(4, 5)
    problem = parse_shift_problem(data)
    split = split_problem(problem, parts=4, max_pairs=1)  # every component is cut by street
    shifts = Counter(s.id for part in split.parts for s in part.problem.shifts)
    assert set(shifts) == {s["id"] for s in data["shifts"]} and set(shifts.values()) == {1}
    assert owners(split) and max(owners(split).values()) == 1
    assert split.stats["cut_components"] >= 1 and split.stats["cross_volunteers"] > 0
    assert split.stats["cross_pairs"] > 0


def test_a_cut_merges_into_a_valid_result_with_a_true_bound():
    """Cut by street, the merged result keeps every rule (nobody double-booked across parts) and its
    bound is still a bound of the whole problem: at least the unsplit optimum."""
    data = districts(6, volunteers=80, shifts=16)
    problem = parse_shift_problem(data)
    whole = solve_shifts(problem, time_limit=20).to_dict()
    assert whole["status"] == "OPTIMAL"
    merged = solve_split(problem, parts=3, max_pairs=1, cell_km=0.5, time_limit=20)
    check_shifts(data, merged)
    assert merged["status"] == "FEASIBLE"  # a cut is never called optimal
    assert merged["stats"]["split"]["cross_volunteers"] > 0
    assert merged["objective"] <= whole["objective"] <= merged["bound"]
    booked = Counter((a["volunteer"], a["shift"]) for a in merged["assignments"])
    assert set(booked.values()) == {1}


def test_a_volunteer_pinned_in_two_streets_keeps_both_places():
    data = districts(7, volunteers=40, shifts=10)
    problem = parse_shift_problem(data)
    whole = solve_shifts(problem, time_limit=20).to_dict()
    by_volunteer: dict = {}
    for a in whole["assignments"]:
        by_volunteer.setdefault(a["volunteer"], []).append(a["shift"])
    volunteer, shifts = max(by_volunteer.items(), key=lambda kv: len(kv[1]))
    assert len(shifts) >= 2
    data["pins"] = [[volunteer, s] for s in shifts]
    units = {s["id"]: s["id"] for s in data["shifts"]}  # every shift a street of its own
    problem = parse_shift_problem(data)
    split = split_problem(problem, parts=4, max_pairs=1, units=units)
    mine = [part for part in split.parts if any(v.id == volunteer for v in part.problem.volunteers)]
    assert len(mine) == 1 and {s for _v, s in mine[0].problem.pins} >= set(shifts)
    merged = solve_split(problem, parts=4, max_pairs=1, units=units, time_limit=20)
    check_shifts(data, merged)
    assert {(volunteer, s) for s in shifts} <= {(a["volunteer"], a["shift"]) for a in merged["assignments"]}


def test_pins_that_cannot_hold_make_the_merged_result_infeasible():
    data = districts(8, 9, volunteers=30, shifts=6)
    volunteer = data["volunteers"][0]["id"]
    shift = data["shifts"][-1]["id"]  # in the other area
    data["forbids"].append([volunteer, shift])
    data["pins"].append([volunteer, shift])  # pinned and forbidden: rule 4 breaks
    problem = parse_shift_problem(data)
    merged = solve_split(problem, parts=2, time_limit=10)
    check_shifts(data, merged)
    assert merged["status"] == "INFEASIBLE" and [volunteer, shift] in merged["conflicting_pins"]


def test_merge_says_unknown_when_a_part_found_nothing_and_infeasible_when_a_part_clashes():
    data = districts(10, 11, volunteers=30, shifts=6)
    problem = parse_shift_problem(data)
    split = split_problem(problem, parts=2)
    results = [solve_shifts(p.problem, time_limit=10).to_dict() for p in split.parts]
    lost = copy.deepcopy(results)
    lost[1] = {**lost[1], "status": "UNKNOWN", "objective": 0, "assignments": []}
    merged = merge_results(problem, split.parts, lost, split_stats=split.stats)
    check_shifts(data, merged)
    assert merged["status"] == "UNKNOWN" and merged["assignments"] == [] and merged["objective"] == 0
    clash = copy.deepcopy(results)
    clash[0] = {**clash[0], "status": "INFEASIBLE", "assignments": [], "conflicting_pins": [["x", "y"]]}
    assert merge_results(problem, split.parts, clash)["conflicting_pins"] == [["x", "y"]]
    with pytest.raises(ValueError):
        merge_results(problem, split.parts, results[:1])


def test_repair_mode_keeps_approved_pairs_in_their_part():
    data = districts(12, 13, volunteers=50, shifts=10)
    problem = parse_shift_problem(data)
    first = solve_shifts(problem, time_limit=20).to_dict()
    approved = [(a["volunteer"], a["shift"]) for a in first["assignments"]]
    merged = solve_split(problem, parts=2, time_limit=20, previous=approved)
    check_shifts(data, merged)
    assert merged["stats"]["kept"] == len(approved) and merged["stats"]["changed"] == 0
