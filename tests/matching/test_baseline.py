"""First come, first served baseline: obeys the rules, follows arrival order, loses to the optimizer."""

from __future__ import annotations

import pytest

from benchmarks.generate_shifts import generate
from matching.baseline import first_come
from matching.errors import BadInput
from matching.shifts import parse_shift_problem, solve_shifts
from tests.matching.checker import check_shifts
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
