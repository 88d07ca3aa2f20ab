"""Volunteer shift assignment: rules, edge cases, reasons, repair mode, parsing."""

from __future__ import annotations

import copy
import math
import os
import threading
import time

import pytest

from benchmarks.generate_shifts import generate
from matching.errors import BadInput
from matching.geo import distance_units, haversine_km
from matching.shifts import (
    Reason,
    ShiftProblem,
    ShiftResult,
    parse_shift_problem,
    problem_to_dict,
    score_assignment,
    solve_shifts,
)
from tests.matching.checker import check_shifts
from tests.matching.contract import shift_example

BASE = (31.2304, 121.4737)
DAY = "2026-12-07"


def vol(
    vid,
    *,
    skills=("general",),
    loc=BASE,
    travel=None,
    minutes=None,
    windows=(("08:00", "18:00"),),
    prefs=(),
    history=(),
):
    return {
        "id": vid,
        "skills": list(skills),
        "location": list(loc),
        "max_travel_km": travel,
        "max_minutes": minutes,
        "availability": [[f"{DAY}T{a}:00+08:00", f"{DAY}T{b}:00+08:00"] for a, b in windows],
        "preferences": list(prefs),
        "history": list(history),
    }


def shift(
    sid,
    start="09:00",
    end="11:00",
    *,
    loc=BASE,
    urgency=1,
    min_volunteers=1,
    slots=((None, 1),),
    residents=(),
):
    return {
        "id": sid,
        "start": f"{DAY}T{start}:00+08:00",
        "end": f"{DAY}T{end}:00+08:00",
        "location": list(loc),
        "urgency": urgency,
        "min_volunteers": min_volunteers,
        "slots": [{"skill": k, "count": c} for k, c in slots],
        "residents": list(residents),
    }


def problem(volunteers, shifts, *, pins=(), forbids=(), travel=5.0, rest=30, tz="Asia/Shanghai"):
    return {
        "settings": {"max_travel_km": travel, "rest_minutes": rest, "timezone": tz},
        "volunteers": volunteers,
        "shifts": shifts,
        "pins": [list(p) for p in pins],
        "forbids": [list(p) for p in forbids],
    }


def run(data, *, time_limit=20.0, **kw) -> dict:
    result = solve_shifts(parse_shift_problem(data), time_limit=time_limit, **kw)
    assert isinstance(result, ShiftResult)
    out = result.to_dict()
    check_shifts(data, out)
    return out


def pairs(result) -> set:
    return {(a["volunteer"], a["shift"]) for a in result["assignments"]}


# ---------------------------------------------------------------------------------------------
# basics
# ---------------------------------------------------------------------------------------------


def test_empty_problem_is_optimal_zero():
    out = run({"settings": {}, "volunteers": [], "shifts": []})
    assert out["status"] == "OPTIMAL" and out["objective"] == 0 and out["bound"] == 0
    assert out["assignments"] == [] and out["stats"]["candidate_pairs"] == 0


def test_contract_example_scores_and_reasons():
    data = shift_example()  # plus a second volunteer without skills, 1 km north
    data["volunteers"].append({
        "id": "v2", "skills": [], "location": [31.2404, 121.4737], "max_travel_km": None, "max_minutes": None,
        "availability": [["2026-12-07T08:00:00+08:00", "2026-12-07T12:00:00+08:00"]],
        "preferences": [], "history": [],
    })
    out = run(data)
    assert out["status"] == "OPTIMAL"
    assert pairs(out) == {("v1", "s1"), ("v2", "s1")}
    by_v = {a["volunteer"]: a for a in out["assignments"]}
    assert by_v["v1"]["slot"] == 0 and by_v["v2"]["slot"] == 1
    d1 = distance_units(haversine_km((31.2304, 121.4737), (31.2310, 121.4700)))
    d2 = distance_units(haversine_km((31.2404, 121.4737), (31.2310, 121.4700)))
    assert out["objective"] == (8000 + 50 + 100 - d1) + (8000 - d2)
    assert by_v["v1"]["reasons"][:4] == [
        "has elder_care",
        "0.4 km away",
        "asked for this shift",
        "visited r17 before",
    ]
    codes = [c["code"] for c in by_v["v1"]["reason_codes"]]
    assert codes[:4] == ["has_skill", "distance", "preferred", "continuity"] and "pinned" in codes
    assert out["unfilled"] == [
        {
            "shift": "s1",
            "slot": 1,
            "missing": 1,
            "reasons": out["unfilled"][0]["reasons"],
            "reason_codes": out["unfilled"][0]["reason_codes"],
        }
    ]
    assert out["stats"]["coverage_by_urgency"] == {"4": [2, 3]}


def test_score_assignment_and_distance_units():
    p = parse_shift_problem(
        problem(
            [vol("v", prefs=["s"], history=["r"])],
            [shift("s", urgency=3, residents=["r"], loc=(31.2404, 121.4737))],
        )
    )
    d = distance_units(haversine_km(BASE, (31.2404, 121.4737)))
    assert score_assignment(p.volunteers[0], p.shifts[0]) == 4000 + 50 + 100 - d
    assert distance_units(2.34) == 23 and distance_units(2.35) == 24 and distance_units(0.05) == 1
    assert distance_units(0.15) == 2 and distance_units(2.25) == 23 and distance_units(0.0) == 0


def test_reason_text_and_codes():
    r = Reason(
        "busy_elsewhere", {"count": 3, "more_urgent": 2, "skill": None, "window": "Mon 07 Dec 09:00–11:00"}
    )
    assert r.text().startswith("3 volunteers are free Mon 07 Dec 09:00–11:00 within reach")
    assert (
        Reason("too_far", {"count": 1, "skill": "first_aid", "km": 2.345}).text().endswith("(nearest 2.3 km)")
    )
    assert Reason("has_skill", {"skill": "legal"}).to_dict() == {
        "code": "has_skill",
        "params": {"skill": "legal"},
    }


# ---------------------------------------------------------------------------------------------
# the rules, at their edges
# ---------------------------------------------------------------------------------------------


def test_nobody_available_leaves_slots_unfilled_with_reason():
    data = problem(
        [vol("v1", windows=(("13:00", "18:00"),)), vol("v2", windows=())],
        [shift("s1", "09:00", "11:00", slots=(("first_aid", 1), (None, 2)))],
    )
    out = run(data)
    assert out["status"] == "OPTIMAL" and out["assignments"] == [] and out["unstaffed"] == ["s1"]
    codes = {c["code"] for u in out["unfilled"] for c in u["reason_codes"]}
    assert "no_one_with_skill" in codes
    first_aid = [u for u in out["unfilled"] if u["slot"] == 0][0]
    assert first_aid["reason_codes"][0]["params"]["skill"] == "first_aid"
    assert "09:00–11:00" in first_aid["reasons"][0]


def test_distance_limit_exact_is_allowed_and_one_ulp_beyond_is_not():
    far = (31.2504, 121.4837)
    d = haversine_km(BASE, far)
    ok = run(problem([vol("v", travel=d)], [shift("s", loc=far)], travel=None))
    assert pairs(ok) == {("v", "s")}
    beyond = run(problem([vol("v", travel=math.nextafter(d, 0.0))], [shift("s", loc=far)], travel=None))
    assert beyond["assignments"] == []
    assert any(c["code"] == "too_far" for c in beyond["unfilled"][0]["reason_codes"])
    # the global limit applies too (the smaller of the two)
    capped = run(problem([vol("v", travel=10.0)], [shift("s", loc=far)], travel=math.nextafter(d, 0.0)))
    assert capped["assignments"] == []


def test_touching_windows_are_merged_but_a_gap_is_not():
    touching = run(
        problem([vol("v", windows=(("10:00", "12:00"), ("08:00", "10:00")))], [shift("s", "09:00", "11:00")])
    )
    assert pairs(touching) == {("v", "s")}
    gap = run(
        problem([vol("v", windows=(("08:00", "10:00"), ("10:01", "12:00")))], [shift("s", "09:00", "11:00")])
    )
    assert gap["assignments"] == []
    overlapping = run(
        problem([vol("v", windows=(("08:00", "10:30"), ("10:00", "12:00")))], [shift("s", "09:00", "11:00")])
    )
    assert pairs(overlapping) == {("v", "s")}


def test_rest_exactly_rest_minutes_is_allowed():
    shifts = [shift("a", "09:00", "10:00"), shift("b", "10:30", "11:30")]
    assert pairs(run(problem([vol("v")], shifts, rest=30))) == {("v", "a"), ("v", "b")}
    short = run(problem([vol("v")], shifts, rest=31))
    assert len(short["assignments"]) == 1
    assert any(c["code"] == "busy_elsewhere" for u in short["unfilled"] for c in u["reason_codes"])


def test_overlapping_shifts_and_hour_limit():
    shifts = [
        shift("a", "09:00", "11:00", urgency=2),
        shift("b", "10:00", "12:00", urgency=3),
        shift("c", "13:00", "15:00", urgency=1),
        shift("d", "15:30", "17:30", urgency=1),
    ]
    out = run(problem([vol("v", minutes=240)], shifts))
    assert pairs(out) == {("v", "b"), ("v", "c")} or pairs(out) == {("v", "b"), ("v", "d")}
    assert out["status"] == "OPTIMAL"
    hours = [u for u in out["unfilled"] if u["shift"] in ("c", "d")][0]
    assert any(c["code"] == "hour_limit" for c in hours["reason_codes"])


def test_skill_slots_and_one_slot_per_volunteer():
    vols = [
        vol("v1", skills=("elder_care",)),
        vol("v2", skills=()),
        vol("v3", skills=("elder_care", "general")),
    ]
    out = run(problem(vols, [shift("s", slots=(("elder_care", 1), ("general", 1), (None, 1)), urgency=4)]))
    assert len(out["assignments"]) == 3
    slot_of = {a["volunteer"]: a["slot"] for a in out["assignments"]}
    assert slot_of == {"v1": 0, "v3": 1, "v2": 2}


def test_min_staffing_empty_rather_than_understaffed():
    data = problem(
        [vol("v1"), vol("v2", windows=(("13:00", "14:00"),))],
        [shift("s", min_volunteers=2, slots=((None, 3),), urgency=4)],
    )
    out = run(data)
    assert out["assignments"] == [] and out["unstaffed"] == ["s"]
    assert any(c["code"] == "min_staffing" for c in out["unfilled"][0]["reason_codes"])
    # min_volunteers above the places is accepted and explained
    data = problem([vol("v1"), vol("v2")], [shift("s", min_volunteers=3, slots=((None, 2),))])
    out = run(data)
    assert out["assignments"] == [] and out["stats"]["min_exceeds_places"] == ["s"]
    assert out["unfilled"][0]["reason_codes"][0]["code"] == "min_exceeds_slots"


def test_min_staffing_staffed_when_possible():
    out = run(
        problem(
            [vol("v1"), vol("v2"), vol("v3", windows=())], [shift("s", min_volunteers=2, slots=((None, 3),))]
        )
    )
    assert pairs(out) == {("v1", "s"), ("v2", "s")}


def test_forbid_is_respected():
    out = run(
        problem([vol("v1"), vol("v2", loc=(31.25, 121.48))], [shift("s", urgency=4)], forbids=[("v1", "s")])
    )
    assert pairs(out) == {("v2", "s")}


def test_urgent_shift_wins_the_contested_volunteer():
    out = run(
        problem(
            [vol("v")],
            [
                shift("low", "09:00", "11:00", urgency=1, loc=BASE),
                shift("high", "10:00", "12:00", urgency=4, loc=(31.26, 121.49)),
            ],
        )
    )
    assert pairs(out) == {("v", "high")}
    low = out["unfilled"][0]
    busy = [c for c in low["reason_codes"] if c["code"] == "busy_elsewhere"][0]
    assert busy["params"]["count"] == 1 and busy["params"]["more_urgent"] == 1


# ---------------------------------------------------------------------------------------------
# pins
# ---------------------------------------------------------------------------------------------


def test_pin_that_breaks_rest_is_infeasible_and_named():
    data = problem(
        [vol("v"), vol("w")],
        [shift("a", "09:00", "10:00"), shift("b", "10:15", "11:00")],
        pins=[("v", "a"), ("v", "b")],
        rest=30,
    )
    out = run(data)
    assert out["status"] == "INFEASIBLE" and out["assignments"] == []
    assert sorted(map(tuple, out["conflicting_pins"])) == [("v", "a"), ("v", "b")]


def _pin_reason(result, v, s) -> dict:
    (a,) = [a for a in result["assignments"] if (a["volunteer"], a["shift"]) == (v, s)]
    (pin,) = [c for c in a["reason_codes"] if c["code"] == "pinned"]
    return pin["params"]


def test_pin_at_3am_outside_every_availability_window_is_assigned_and_the_rest_solved():
    data = problem(
        [vol("v", windows=(("08:00", "18:00"),)), vol("w"), vol("nobody_free", windows=())],
        [shift("night", "03:00", "05:00", urgency=2), shift("a", "09:00", "11:00", urgency=4),
         shift("b", "12:00", "14:00", urgency=3), shift("c", "03:00", "05:00")],
        pins=[("v", "night"), ("nobody_free", "c")],
    )
    out = run(data)
    assert out["status"] == "OPTIMAL"
    # the pins hold, and the rest is solved as usual: a and b are covered by v and w
    assert {("v", "night"), ("nobody_free", "c")} <= pairs(out)
    assert sorted(a["shift"] for a in out["assignments"]) == ["a", "b", "c", "night"]
    assert _pin_reason(out, "v", "night") == {"outside_availability": True, "beyond_travel_limit": False}
    text = next(a["reasons"] for a in out["assignments"] if a["shift"] == "night")[-1]
    assert text.startswith("kept: signed up by themselves or fixed by staff") and "free" in text
    # without the pin, nobody could take the night shift: it is the pin alone that places v there
    data["pins"] = []
    assert ("v", "night") not in pairs(run(data))


def test_pin_50_km_away_is_assigned_and_its_distance_counts():
    far = (BASE[0] + 0.45, BASE[1])  # about 50 km north, the travel limit is 5 km
    data = problem([vol("v", loc=far), vol("w")], [shift("s", urgency=3), shift("t", "12:00", "13:00")],
                   pins=[("v", "s")])
    out = run(data)
    km = haversine_km(far, BASE)
    assert 49.0 < km < 51.0
    assert out["status"] == "OPTIMAL" and ("v", "s") in pairs(out) and ("w", "t") in pairs(out)
    (mine,) = [a for a in out["assignments"] if a["volunteer"] == "v"]
    assert mine["reason_codes"][1] == {"code": "distance", "params": {"km": round(km, 1)}}
    assert _pin_reason(out, "v", "s") == {"outside_availability": False, "beyond_travel_limit": True}
    # objective −d: the pinned pair scores 1000×4 − d with d the distance in 100 m units
    assert out["objective"] == (4000 - distance_units(km)) + score_assignment_of(data, "w", "t")


def score_assignment_of(data, v, s) -> int:
    p = parse_shift_problem(data)
    (volunteer,) = [x for x in p.volunteers if x.id == v]
    (sh,) = [x for x in p.shifts if x.id == s]
    return score_assignment(volunteer, sh)


def test_pin_on_a_slot_whose_skill_the_volunteer_lacks_is_infeasible_and_named():
    data = problem(
        [vol("v", skills=("general",), windows=()), vol("w")],
        [shift("s", slots=(("first_aid", 1),)), shift("t", "12:00", "13:00")],
        pins=[("w", "t"), ("v", "s")],
    )
    out = run(data)
    assert out["status"] == "INFEASIBLE" and out["assignments"] == []
    assert [tuple(p) for p in out["conflicting_pins"]] == [("v", "s")]


def test_two_overlapping_pins_outside_availability_are_still_infeasible_and_named():
    data = problem(
        [vol("v", windows=())],
        [shift("x", "02:00", "04:00"), shift("y", "03:00", "05:00"), shift("z", "09:00", "10:00")],
        pins=[("v", "x"), ("v", "y")],
    )
    out = run(data)
    assert out["status"] == "INFEASIBLE" and out["assignments"] == []
    assert sorted(map(tuple, out["conflicting_pins"])) == [("v", "x"), ("v", "y")]


def test_pin_still_obeys_forbids_and_hours():
    data = problem([vol("v", minutes=60, windows=())], [shift("s", "03:00", "05:00")], pins=[("v", "s")])
    out = run(data)
    assert out["status"] == "INFEASIBLE" and [tuple(p) for p in out["conflicting_pins"]] == [("v", "s")]
    data = problem([vol("v", windows=())], [shift("s", "03:00", "05:00")], pins=[("v", "s")],
                   forbids=[("v", "s")])
    out = run(data)
    assert out["status"] == "INFEASIBLE" and [tuple(p) for p in out["conflicting_pins"]] == [("v", "s")]


def test_pins_that_only_clash_through_min_staffing():
    # s1 needs two people, only v1 and v2 can come; v2 is pinned to an overlapping shift
    data = problem(
        [vol("v1"), vol("v2")],
        [shift("s1", "09:00", "11:00", min_volunteers=2, slots=((None, 2),)), shift("s2", "10:00", "12:00")],
        pins=[("v1", "s1"), ("v2", "s2")],
    )
    out = run(data)
    assert out["status"] == "INFEASIBLE"
    assert {tuple(p) for p in out["conflicting_pins"]} <= {("v1", "s1"), ("v2", "s2")}
    assert out["conflicting_pins"]


def test_pin_is_kept_even_when_worse():
    data = problem(
        [vol("v")],
        [shift("low", "09:00", "11:00", urgency=1), shift("high", "10:00", "12:00", urgency=4)],
        pins=[("v", "low")],
    )
    out = run(data)
    assert out["status"] == "OPTIMAL" and pairs(out) == {("v", "low")}


# ---------------------------------------------------------------------------------------------
# time zones
# ---------------------------------------------------------------------------------------------


def test_same_instant_in_offset_z_and_naive_forms():
    a = problem([vol("v")], [shift("s", "09:00", "11:00")])
    b = copy.deepcopy(a)
    b["volunteers"][0]["availability"] = [["2026-12-07T00:00:00Z", "2026-12-07T10:00:00Z"]]
    b["shifts"][0]["start"] = "2026-12-07T01:00:00Z"
    b["shifts"][0]["end"] = "2026-12-07T03:00:00Z"
    c = copy.deepcopy(a)
    c["volunteers"][0]["availability"] = [["2026-12-07T08:00:00", "2026-12-07T18:00:00"]]
    c["shifts"][0]["start"] = "2026-12-07T09:00:00"
    c["shifts"][0]["end"] = "2026-12-07T11:00:00"
    ra, rb, rc = run(a), run(b), run(c)
    assert pairs(ra) == pairs(rb) == pairs(rc) == {("v", "s")}
    assert ra["objective"] == rb["objective"] == rc["objective"]
    # naive strings in UTC settings mean another instant: 09:00 UTC is 17:00 in Shanghai
    d = copy.deepcopy(c)
    d["settings"]["timezone"] = "UTC"
    d["volunteers"][0]["availability"] = [["2026-12-07T08:00:00+08:00", "2026-12-07T12:00:00+08:00"]]
    assert run(d)["assignments"] == []


# ---------------------------------------------------------------------------------------------
# repair mode, progress, determinism
# ---------------------------------------------------------------------------------------------


def test_repair_keeps_unaffected_pairs():
    data = generate(60, 12, seed=3)
    first = run(data)
    before = pairs(first)
    assert before
    gone = sorted(before)[0][0]
    data2 = copy.deepcopy(data)
    data2["volunteers"] = [v for v in data2["volunteers"] if v["id"] != gone]
    data2["pins"] = [p for p in data2["pins"] if p[0] != gone]
    data2["forbids"] = [p for p in data2["forbids"] if p[0] != gone]
    second = solve_shifts(parse_shift_problem(data2), time_limit=20, previous=sorted(before)).to_dict()
    check_shifts(data2, second)
    survivors = {p for p in before if p[0] != gone}
    assert survivors <= pairs(second)
    assert second["stats"]["kept"] == len(survivors)
    assert second["stats"]["changed"] == len(before) - len(survivors) + len(pairs(second) - before)
    assert any(c["code"] == "kept" for a in second["assignments"] for c in a["reason_codes"])


def test_progress_reports_improving_objectives():
    seen = []
    out = solve_shifts(
        parse_shift_problem(generate(120, 16, seed=2)),
        time_limit=5,
        progress=lambda o, b, t: seen.append((o, b, t)),
    ).to_dict()
    assert seen
    objs = [o for o, _, _ in seen]
    assert objs == sorted(objs) and len(set(objs)) == len(objs)
    assert all(b >= o for o, b, _ in seen)
    assert objs[-1] <= out["objective"]


def test_started_counts_reading_time():
    import time

    started = time.monotonic() - 0.5
    out = solve_shifts(parse_shift_problem(problem([vol("v")], [shift("s")])), time_limit=5, started=started)
    assert out.seconds >= 0.5


def test_deterministic_with_seed():
    data = generate(150, 20, seed=5)
    a = run(data, seed=7)
    b = run(data, seed=7)
    assert a["objective"] == b["objective"] and a["stats"]["seed"] == 7


def test_generated_community_is_feasible_and_checked():
    data = generate(300, 40, seed=1)
    out = run(data, time_limit=8)
    assert out["status"] in ("OPTIMAL", "FEASIBLE")
    assert out["stats"]["volunteers"] == 300 and out["stats"]["shifts"] == 40
    assert out["bound"] >= out["objective"] > 0
    assert out["stats"]["greedy_objective"] <= out["objective"]


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def _bad(mutate) -> BadInput:
    data = problem([vol("v1"), vol("v2")], [shift("s1"), shift("s2", "12:00", "13:00")])
    mutate(data)
    with pytest.raises(BadInput) as err:
        parse_shift_problem(data)
    return err.value


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d["shifts"][1].update(end=d["shifts"][1]["start"]), "shifts[1].end"),
        (lambda d: d["shifts"][0].update(end="2026-12-07T08:00:00+08:00"), "shifts[0].end"),
        (lambda d: d["volunteers"][1].pop("id"), "volunteers[1].id"),
        (lambda d: d["volunteers"][1].update(id="v1"), "volunteers[1].id"),
        (lambda d: d["shifts"][1].update(id="s1"), "shifts[1].id"),
        (lambda d: d["volunteers"][0].update(location=[float("nan"), 121.0]), "volunteers[0].location[0]"),
        (lambda d: d["volunteers"][0].update(location=[91.0, 121.0]), "volunteers[0].location[0]"),
        (lambda d: d["shifts"][0].update(location=[31.0, 181.0]), "shifts[0].location[1]"),
        (lambda d: d["volunteers"][0].update(max_travel_km=float("inf")), "volunteers[0].max_travel_km"),
        (lambda d: d["volunteers"][0].update(max_minutes=-5), "volunteers[0].max_minutes"),
        (lambda d: d["shifts"][0]["slots"][0].update(count=-1), "shifts[0].slots[0].count"),
        (lambda d: d["shifts"][0].update(min_volunteers=-1), "shifts[0].min_volunteers"),
        (lambda d: d["shifts"][0].update(urgency=5), "shifts[0].urgency"),
        (lambda d: d["shifts"][0].update(urgency=0), "shifts[0].urgency"),
        (lambda d: d["shifts"][0].update(start="next tuesday"), "shifts[0].start"),
        (
            lambda d: d["volunteers"][0]["availability"][0].__setitem__(1, "2026-12-06T00:00:00+08:00"),
            "volunteers[0].availability[0][1]",
        ),
        (lambda d: d.update(pins=[["v1", "s1"], ["nobody", "s1"]]), "pins[1][0]"),
        (lambda d: d.update(forbids=[["v1", "s9"]]), "forbids[0][1]"),
        (lambda d: d["settings"].update(timezone="Mars/Base"), "settings.timezone"),
        (lambda d: d["settings"].update(max_travel_km=float("nan")), "settings.max_travel_km"),
        (lambda d: d["settings"].update(rest_minutes=-1), "settings.rest_minutes"),
        (lambda d: d["shifts"][0].pop("location"), "shifts[0].location"),
        (lambda d: d["shifts"][0].update(urgency=True), "shifts[0].urgency"),
    ],
)
def test_bad_input_names_the_field(mutate, field):
    assert _bad(mutate).field == field


def test_solve_validates_dataclass_problems():
    p = parse_shift_problem(problem([vol("v1")], [shift("s1")]))
    broken = ShiftProblem(settings=p.settings, volunteers=p.volunteers + p.volunteers, shifts=p.shifts)
    with pytest.raises(BadInput) as err:
        solve_shifts(broken, time_limit=1)
    assert err.value.field == "volunteers[1].id"


def test_problem_to_dict_round_trips():
    data = generate(40, 6, seed=4)
    p = parse_shift_problem(data)
    assert parse_shift_problem(problem_to_dict(p)) == p


def test_pin_the_greedy_cannot_staff_is_still_proven_optimal():
    # the greedy leaves the pinned shift under-staffed; CP-SAT repairs it and proves the optimum
    data = problem([vol("v0"), vol("v1", windows=()), vol("v2")],
                   [shift("s0", "09:00", "09:30", min_volunteers=2, slots=((None, 2),)),
                    shift("s1", "09:00", "09:30", urgency=2)],
                   pins=[("v0", "s0")])
    out = run(data)
    assert out["status"] == "OPTIMAL" and pairs(out) == {("v0", "s0"), ("v2", "s0")}


def test_the_flow_start_beats_the_greedy_when_volunteers_are_scarce(monkeypatch):
    """On a large component the flow relaxation's pairs, made to keep every rule, start the search
    ahead of the greedy (which spends scarce volunteers on the first shifts it meets)."""
    from matching import shifts_core

    monkeypatch.setattr(shifts_core, "WHOLE_MODEL_PAIRS", 0)  # the large-component path
    data = generate(250, 100, 1)  # 2.5 volunteers a shift: tight supply
    result = solve_shifts(parse_shift_problem(data), time_limit=10, workers=1, seed=1).to_dict()
    check_shifts(data, result)
    stats = result["stats"]
    assert stats["flow_starts"] == 1
    assert stats["greedy_objective"] < stats["flow_start_objective"] <= result["objective"] <= result["bound"]


def test_the_largest_components_flow_is_priced_on_hours_by_a_smaller_flow(monkeypatch):
    """Above FINISH_WHOLE_PAIRS one flow over all pairs is all the time allows: its prices on the
    volunteers' hours come from subgradient steps on a flow over each shift's best candidates, and
    its pairs then make a start that beats both the greedy and the same flow unpriced."""
    from matching import shifts_core

    monkeypatch.setattr(shifts_core, "WHOLE_MODEL_PAIRS", 0)
    monkeypatch.setattr(shifts_core, "FINISH_WHOLE_PAIRS", 0)  # the largest-component path
    calls = []
    flow_bound = shifts_core.flow_bound

    def spy(cp, pr, idx, points, **kw):
        given = kw.get("prices") or {}
        priced = any(v > 0 for v in (given.get("lam") or {}).values())
        out = flow_bound(cp, pr, idx, points, **kw)
        calls.append((len(idx), kw.get("max_iter"), priced, kw.get("schedules", True)))
        return out

    monkeypatch.setattr(shifts_core, "flow_bound", spy)
    data = generate(250, 100, 1)  # 2.5 volunteers a shift: the hour limits bind
    result = solve_shifts(parse_shift_problem(data), time_limit=10, workers=1, seed=1).to_dict()
    check_shifts(data, result)
    (small, steps, _, small_bounds), (whole, once, priced, priced_bounds), *again = calls
    assert small < whole == result["stats"]["largest_component_pairs"]
    assert steps == shifts_core.PRICE_ITERATIONS and once == 1 and priced
    assert not small_bounds and not priced_bounds  # neither is the bound: no schedules priced
    # time left: the flow at λ = 0 again, for the bound, with the schedules at its slot prices
    assert again == [(whole, 1, False, True)]
    stats = result["stats"]
    assert stats["flow_starts"] == 1
    assert stats["greedy_objective"] < stats["flow_start_objective"] <= result["objective"] <= result["bound"]

    monkeypatch.setattr(shifts_core, "PRICE_SHARE", 0.0)  # no time for prices: the flow at λ = 0
    unpriced = solve_shifts(parse_shift_problem(data), time_limit=10, workers=1, seed=1).to_dict()
    assert unpriced["stats"].get("flow_start_objective", 0) < stats["flow_start_objective"]


def test_a_flow_start_not_taken_leaves_no_trace_in_the_stats(monkeypatch):
    """The greedy start is already optimal here: the flow start is built and checked on its own trial
    assignment, left aside, and the stats name neither the flow starts nor their objective."""
    from matching import shifts_core

    monkeypatch.setattr(shifts_core, "WHOLE_MODEL_PAIRS", 0)  # the large-component path
    tried = []
    flow_start = shifts_core._ComponentSearch._flow_start

    def spy(search, c, flow_pairs):
        flow_start(search, c, flow_pairs)
        tried.append((search.flow_starts, search.flow_start_objective))

    monkeypatch.setattr(shifts_core._ComponentSearch, "_flow_start", spy)
    data = generate(40, 6, seed=4)
    result = solve_shifts(parse_shift_problem(data), time_limit=5, workers=1, seed=1).to_dict()
    check_shifts(data, result)
    stats = result["stats"]
    assert tried == [(0, None)]
    assert stats["greedy_objective"] == result["objective"] == result["bound"]
    assert "flow_starts" not in stats and "flow_start_objective" not in stats


def _solve_mid_size(monkeypatch, *, shared_below: float, time_limit: float, workers: int) -> dict:
    """Solve a mid-size component (LNS, then the whole model) with the "shared machine" threshold at
    ``shared_below`` (0: quiet; above 1: shared), whatever else runs on this machine; the result,
    checked by the checker."""
    from matching import shifts_core

    monkeypatch.setattr(shifts_core, "WHOLE_MODEL_PAIRS", 0)  # the mid-size path: LNS, then the whole
    monkeypatch.setattr(shifts_core, "SHARED_BELOW", shared_below)
    monkeypatch.setattr(shifts_core, "OTHERS_SHARED", 1e9)
    data = generate(250, 100, 1)
    result = solve_shifts(parse_shift_problem(data), time_limit=time_limit, workers=workers, seed=1).to_dict()
    check_shifts(data, result)
    return result


def _lns_share_taken(monkeypatch, *, shared_below: float) -> tuple[dict, list]:
    """``_solve_mid_size`` on one worker; the result and the LNS end times asked for, as shares of the
    component's time."""
    from matching import shifts_core

    seen = []
    lns = shifts_core._lns

    def spy(state, shifts, end, **kw):
        seen.append(end - time.monotonic())
        return lns(state, shifts, end, **kw)

    monkeypatch.setattr(shifts_core, "_lns", spy)
    return _solve_mid_size(monkeypatch, shared_below=shared_below, time_limit=4, workers=1), seen


def test_on_a_shared_machine_lns_gets_most_of_a_mid_size_components_time(monkeypatch):
    """No thread gets more than a whole core: with the threshold above one the machine reads as
    shared, and LNS gets nine tenths of the component's time before the whole model."""
    from matching import shifts_core

    result, seen = _lns_share_taken(monkeypatch, shared_below=1.01)
    stats = result["stats"]
    assert stats["lns_share_before_whole"] == shifts_core.LNS_SHARE_WHEN_SHARED == 0.9
    assert 0 < stats["core_share"] <= 1.0 and stats["other_cores_busy"] >= 0.0
    assert len(seen) == 1 and seen[0] > 1.0  # most of the ~3 s left, not a tenth of it


def test_on_a_quiet_machine_lns_gets_a_fiftieth_and_the_whole_model_the_rest(monkeypatch):
    from matching import shifts_core

    result, seen = _lns_share_taken(monkeypatch, shared_below=0.0)
    assert result["stats"]["lns_share_before_whole"] == shifts_core.LNS_SHARE_BEFORE_WHOLE == 0.02
    assert len(seen) == 1 and seen[0] < 0.2


def test_the_core_share_is_this_threads_cpu_over_the_wall_time():
    from matching.machine import Clock

    clock = Clock()
    clock.wall -= 10.0
    clock.thread -= 2.5  # a quarter of a core over ten seconds
    assert 0.24 < clock.core_share() < 0.3
    clock.thread -= 7.5
    assert clock.core_share() == pytest.approx(1.0, abs=0.02)


def test_the_cores_others_kept_busy_are_the_machines_busy_time_less_ours():
    from matching.machine import Clock, _machine_busy_seconds

    assert _machine_busy_seconds() > 0  # Linux: /proc/stat
    clock = Clock()
    clock.wall -= 10.0
    clock.busy -= 20.0  # twenty busy core-seconds in ten seconds, none of them ours: two cores
    assert 1.9 < clock.others_cores() < 2.3
    clock.process -= 10.0  # ten of them ours: one core
    assert 0.9 < clock.others_cores() < 1.3
    clock.busy = None  # not Linux
    assert clock.others_cores() == 0.0


def test_a_child_process_of_the_solve_that_has_ended_is_not_another_process():
    """HiGHS searches in child processes (matching.mip): their CPU time is the solve's own, so a
    finished search does not make the machine read as shared."""
    import subprocess
    import sys

    from matching.machine import own_cpu_seconds

    before = own_cpu_seconds()
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n    pass"
    subprocess.run([sys.executable, "-c", burn], check=True)
    assert own_cpu_seconds() - before >= 0.45


def test_other_processes_keeping_a_core_busy_make_the_machine_shared(monkeypatch):
    """The solving thread may get a whole core while the search's second thread would share the
    other: cores kept busy by other processes count too."""
    from matching import shifts_core
    from matching.machine import Clock

    search = shifts_core._ComponentSearch.__new__(shifts_core._ComponentSearch)
    search.clock = Clock()
    search.clock.wall -= 10.0
    search.clock.thread -= 10.0  # this thread: a whole core
    monkeypatch.setattr(search.clock, "others_cores", lambda: 1.0)
    assert search.lns_share_before_whole() == shifts_core.LNS_SHARE_WHEN_SHARED
    assert search.lns_share[1:] == (1.0, 1.0)
    monkeypatch.setattr(search.clock, "others_cores", lambda: 0.1)
    assert search.lns_share_before_whole() == shifts_core.LNS_SHARE_BEFORE_WHOLE


def _whole_model_searches(monkeypatch, *, shared_below: float, time_limit: float) -> tuple[dict, list]:
    """``_solve_mid_size`` on two workers; the result and, in order, each HiGHS twin started ("twin",
    its threads) and each CP-SAT search ("cp-sat", its workers, the nice value of the thread it ran on)."""
    from matching import shifts_core

    monkeypatch.setattr(shifts_core, "LNS_SHARE_BEFORE_WHOLE", 0.0)
    calls = []
    beside = shifts_core.MipTwin.beside.__func__

    def spy_beside(cls, proto, seconds, on_proven, threads=1):
        calls.append(("twin", threads))
        return beside(cls, proto, seconds, on_proven, threads=threads)

    class Recording(shifts_core.cp_model.CpSolver):
        def solve(self, model, callback=None):
            nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            calls.append(("cp-sat", self.parameters.num_workers, nice))
            return super().solve(model, callback)

    monkeypatch.setattr(shifts_core.MipTwin, "beside", classmethod(spy_beside))
    monkeypatch.setattr(shifts_core.cp_model, "CpSolver", Recording)
    return _solve_mid_size(monkeypatch, shared_below=shared_below, time_limit=time_limit, workers=2), calls


def test_on_a_quiet_machine_highs_takes_both_workers_and_cp_sat_searches_at_the_lowest_priority(monkeypatch):
    """The whole model's HiGHS gets every worker; CP-SAT searches beside it on one worker, on a thread
    at nice 19 (what HiGHS leaves idle); the caller's own priority is as it was."""
    from matching.machine import LOWEST_PRIORITY

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    result, calls = _whole_model_searches(monkeypatch, shared_below=0.0, time_limit=30)
    assert result["status"] == "OPTIMAL" and result["stats"]["lns_share_before_whole"] == 0.0
    at = calls.index(("twin", 2))
    assert calls[at + 1] == ("cp-sat", 1, LOWEST_PRIORITY)
    assert [c for c in calls if c[0] == "twin"] == [("twin", 2)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_on_a_shared_machine_highs_keeps_one_worker_and_cp_sat_searches_on_the_other_as_before(monkeypatch):
    """LNS is asked to end at nine tenths of the time and here returns at once, so that the whole
    model's finish (which needs more than a second left) runs however fast this machine is."""
    from matching import shifts_core

    monkeypatch.setattr(shifts_core, "_lns", lambda state, shifts, end, **kw: 0)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    result, calls = _whole_model_searches(monkeypatch, shared_below=1.01, time_limit=4)
    assert result["stats"]["lns_share_before_whole"] == 0.9
    at = calls.index(("twin", 1))
    assert calls[at + 1] == ("cp-sat", 1, own)
    assert [c for c in calls if c[0] == "twin"] == [("twin", 1)]


def test_work_at_the_lowest_priority_runs_on_a_thread_of_its_own_at_nice_19_and_hands_back_its_outcome():
    from matching.machine import LOWEST_PRIORITY, at_lowest_priority

    caller = threading.get_native_id()
    own = os.getpriority(os.PRIO_PROCESS, caller)
    seen = at_lowest_priority(lambda: (threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
    assert seen[0] != caller and seen[1] == LOWEST_PRIORITY
    assert os.getpriority(os.PRIO_PROCESS, caller) == own

    def fails():
        raise ValueError("from the work")

    with pytest.raises(ValueError, match="from the work"):
        at_lowest_priority(fails)


def _small_block(started: bool = False):
    """A 250 × 100 generated problem as one block for ``solve_block``: (state, its shifts, no pins,
    no bonus); with ``started``, the state holds the greedy start."""
    import numpy as np

    from matching import shifts_core

    cp = shifts_core.Compiled(parse_shift_problem(generate(250, 100, 1)))
    pr = shifts_core.build_pairs(cp)
    state = shifts_core.State(cp, pr)
    none, zero = np.zeros(pr.P, dtype=bool), np.zeros(pr.P, dtype=np.int64)
    if started:
        shifts_core.greedy(state, np.arange(cp.S), none, zero)
    return state, np.arange(cp.S), none, zero


def test_cp_sat_is_told_to_stop_earlier_by_a_share_of_its_models_build_time(monkeypatch):
    """CP-SAT returns some time after its limit, more for larger models: the limit it is given is the
    time left less ``STOP_LATENCY_PER_BUILD`` × the seconds its model took to build."""
    from matching import shifts_core

    limits = []

    class Recording(shifts_core.cp_model.CpSolver):
        def solve(self, model, callback=None):
            limits.append(self.parameters.max_time_in_seconds)
            return super().solve(model, callback)

    monkeypatch.setattr(shifts_core.cp_model, "CpSolver", Recording)
    state, shifts, none, zero = _small_block()

    def limit_given(share: float) -> tuple[float, float]:
        monkeypatch.setattr(shifts_core, "STOP_LATENCY_PER_BUILD", share)
        res = shifts_core.solve_block(state, shifts, pinned=none, bonus=zero, time_limit=30, workers=1, seed=1)
        return limits[-1], res.build_seconds

    plain, build = limit_given(0.0)
    assert 29.0 < plain <= 30.0 and build > 0
    early, build = limit_given(1_000.0 / build)  # a latency of about a thousand seconds: the floor
    assert early == 0.01


def test_the_mip_twins_report_is_awaited_until_a_grace_past_the_end_however_late_cp_sat_returns(monkeypatch):
    """When CP-SAT returns unproven, the HiGHS twin beside it may report until ``TWIN_GRACE`` past
    the model's end: a CP-SAT that returned late leaves it only what is left of that (none here, where
    it returned after it), so a solve never overruns its limit by CP-SAT's latency and the grace."""
    import time

    from ortools.sat.python import cp_model

    from matching import mip, shifts_core

    graces = []

    class Recorded(mip.MipTwin):
        def stop(self, grace: float = 0.0) -> None:
            graces.append(grace)
            super().stop(grace)

    late_by = []

    class FirstSolution(cp_model.CpSolver):
        def solve(self, model, callback=None):
            self.parameters.stop_after_first_solution = True
            status = super().solve(model, callback)
            if late_by:
                time.sleep(max(0.0, late_by[0] - time.monotonic()))
            return status

    monkeypatch.setattr(shifts_core, "MipTwin", Recorded)
    monkeypatch.setattr(shifts_core.cp_model, "CpSolver", FirstSolution)
    state, shifts, none, zero = _small_block(started=True)

    def grace_given(seconds: float, late: bool) -> float:
        end = time.monotonic() + seconds
        late_by[:] = [end + shifts_core.TWIN_GRACE + 0.2] if late else []
        res = shifts_core.solve_block(state, shifts, pinned=none, bonus=zero, time_limit=60, workers=2, seed=1,
                                      deadline=end, twin=True)
        assert res.status in ("OPTIMAL", "FEASIBLE")
        return graces[-1]

    assert grace_given(2.0, late=True) == 0.0
    assert 0.0 < grace_given(30.0, late=False) <= 30.0 + shifts_core.TWIN_GRACE


def test_the_whole_models_mip_twin_proves_and_its_solution_is_taken_when_cp_sat_stops_short(monkeypatch):
    """After LNS a mid-size component's whole model is searched by CP-SAT and by HiGHS beside it
    (matching.mip). Here CP-SAT stops at its first solution (the hint): HiGHS's optimum is taken,
    checked by the independent checker, and equals what CP-SAT proves alone."""
    from ortools.sat.python import cp_model

    from matching import shifts_core

    data = generate(250, 100, 1)
    monkeypatch.setattr(shifts_core, "WHOLE_MODEL_PAIRS", 0)  # every component through LNS and the finish
    monkeypatch.setattr(shifts_core, "LNS_SHARE_BEFORE_WHOLE", 0.0)
    monkeypatch.setattr(shifts_core, "SHARED_BELOW", 0.0)
    monkeypatch.setattr(shifts_core, "OTHERS_SHARED", 99.0)
    alone = solve_shifts(parse_shift_problem(data), time_limit=60, workers=2, seed=1).to_dict()
    assert alone["status"] == "OPTIMAL"

    class FirstSolutionOnly(cp_model.CpSolver):
        def solve(self, model, callback=None):
            self.parameters.stop_after_first_solution = True
            return super().solve(model, callback)

    monkeypatch.setattr(shifts_core.cp_model, "CpSolver", FirstSolutionOnly)
    result = solve_shifts(parse_shift_problem(data), time_limit=60, workers=2, seed=1).to_dict()
    check_shifts(data, result)
    assert result["stats"]["whole_model_solution_from"] == "HiGHS"
    assert result["status"] == "OPTIMAL" and result["objective"] == result["bound"] == alone["objective"]
    monkeypatch.setattr(shifts_core, "FINISH_WITH_TWIN", False)
    short = solve_shifts(parse_shift_problem(data), time_limit=60, workers=2, seed=1).to_dict()
    assert "whole_model_solution_from" not in short["stats"] and short["objective"] < alone["objective"]
