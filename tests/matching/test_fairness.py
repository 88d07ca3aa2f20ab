"""Fairness options in the shift problem (docs/contract.md, "Fairness"): off by default, floors and caps
hold on random small problems (independent checker), a floor changes the assignment, and the price of
fairness is the objective without the options minus the objective with them."""

from __future__ import annotations

import copy
import itertools
import math
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.errors import BadInput
from matching.shifts import parse_shift_problem, problem_to_dict, solve_shifts
from tests.matching.checker import check_shifts
from tests.matching.test_shifts_property import brute_force, small_problems

DAY = "2026-12-07"


def _t(hour: int) -> str:
    return f"{DAY}T{hour:02d}:00:00+08:00"


def _two_communities() -> dict:
    """Two volunteers, one morning: community A's shift is more urgent, so without a floor both go
    there and community B's urgent shift stays empty."""
    free = [[_t(8), _t(20)]]
    return {
        "settings": {"timezone": "Asia/Shanghai"},
        "volunteers": [{"id": "v1", "location": [31.23, 121.47], "availability": free},
                       {"id": "v2", "location": [31.23, 121.47], "availability": free}],
        "shifts": [
            {"id": "a1", "start": _t(9), "end": _t(11), "location": [31.23, 121.47], "urgency": 4,
             "community": "A", "slots": [{"count": 2}]},
            {"id": "b1", "start": _t(9), "end": _t(11), "location": [31.23, 121.471], "urgency": 3,
             "community": "B", "slots": [{"count": 2}]},
            {"id": "c1", "start": _t(12), "end": _t(16), "location": [31.23, 121.47], "urgency": 2,
             "community": "A", "slots": [{"count": 1}]},
        ],
    }


def _solve(data, limit=10):
    result = solve_shifts(parse_shift_problem(data), time_limit=limit, workers=1).to_dict()
    check_shifts(data, result)
    return result


def _pairs(result):
    return sorted((a["volunteer"], a["shift"]) for a in result["assignments"])


def test_without_options_nothing_changes():
    data = _two_communities()
    plain = _solve(data)
    assert "fairness" not in plain
    data["fairness"] = {}
    assert _pairs(_solve(data)) == _pairs(plain) and "fairness" not in _solve(data)


def test_a_floor_changes_the_assignment():
    data = _two_communities()
    plain = _solve(data)
    assert ("v1", "b1") not in _pairs(plain) and ("v2", "b1") not in _pairs(plain)  # B gets nobody
    data["fairness"] = {"urgent_floor": 0.5}
    fair = _solve(data)
    rows = {row["community"]: row for row in fair["fairness"]["communities"]}
    assert rows["B"]["urgent_filled"] == 1 and rows["B"]["required"] == 1 and rows["B"]["met"]
    assert rows["A"]["urgent_filled"] >= 1
    assert _pairs(fair) != _pairs(plain)
    assert fair["fairness"]["floor_unmet"] == []


def test_price_of_fairness_is_the_difference_of_the_two_objectives():
    data = _two_communities()
    plain = _solve(data)
    data["fairness"] = {"urgent_floor": 0.5, "hours_cap": 0.6}
    fair = _solve(data)
    price = fair["fairness"]["price"]
    assert price["objective_without"] == plain["objective"] == 18000
    assert price["objective_with"] == fair["objective"] == 11999
    assert price["price"] == plain["objective"] - fair["objective"] == 6001
    assert fair["fairness"]["hours_without"]["max_share"] == 0.75
    assert fair["fairness"]["hours"]["max_share"] <= 0.6


def test_a_floor_out_of_reach_is_reported_with_the_reason():
    data = _two_communities()
    data["volunteers"] = data["volunteers"][:1]
    data["fairness"] = {"urgent_floor": 1.0}
    fair = _solve(data)
    unmet = {row["community"]: row for row in fair["fairness"]["floor_unmet"]}
    assert set(unmet) == {"A", "B"}
    codes = {row["reason_codes"][0]["code"] for row in unmet.values()}
    assert codes == {"floor_beyond_reach"}
    assert all("too few eligible volunteers" in row["reasons"][0] for row in unmet.values())


def test_a_pinned_volunteer_is_not_held_to_the_cap():
    data = _two_communities()
    data["pins"] = [["v1", "a1"], ["v1", "c1"]]
    data["fairness"] = {"hours_cap": 0.5}
    fair = _solve(data)
    assert {("v1", "a1"), ("v1", "c1")} <= set(_pairs(fair))
    assert fair["status"] in ("OPTIMAL", "FEASIBLE")


def test_spread_keeps_the_objective_and_lightens_the_heaviest_load():
    free = [[_t(8), _t(20)]]
    data = {"settings": {"timezone": "Asia/Shanghai"},
            "volunteers": [{"id": f"v{i}", "location": [31.23, 121.47], "availability": free} for i in range(2)],
            "shifts": [{"id": f"s{k}", "start": _t(9 + 2 * k), "end": _t(10 + 2 * k), "location": [31.23, 121.47],
                        "urgency": 2, "slots": [{"count": 1}]} for k in range(4)]}
    plain = _solve(data)
    data["fairness"] = {"spread": True}
    fair = _solve(data)
    assert fair["objective"] == plain["objective"] and fair["fairness"]["price"]["price"] == 0
    assert fair["fairness"]["hours"]["max_minutes"] == 120  # four one-hour shifts, two each


@pytest.mark.parametrize("fairness, field", [
    ({"urgent_floor": 1.5}, "fairness.urgent_floor"),
    ({"urgent_floor": 0}, "fairness.urgent_floor"),
    ({"hours_cap": "half"}, "fairness.hours_cap"),
    ({"hours_cap": float("nan")}, "fairness.hours_cap"),
    ({"urgent_from": 5}, "fairness.urgent_from"),
    ({"spread": "yes"}, "fairness.spread"),
    ({"floor": 0.5}, "fairness.floor"),
    ([0.5], "fairness"),
])
def test_bad_options_name_the_field(fairness, field):
    data = _two_communities()
    data["fairness"] = fairness
    with pytest.raises(BadInput) as err:
        parse_shift_problem(data)
    assert err.value.field == field


def test_community_must_be_an_id():
    data = _two_communities()
    data["shifts"][0]["community"] = ["A"]
    with pytest.raises(BadInput) as err:
        parse_shift_problem(data)
    assert err.value.field == "shifts[0].community"


def test_options_survive_the_round_trip():
    data = _two_communities()
    data["fairness"] = {"urgent_floor": 0.25, "urgent_from": 2, "hours_cap": 0.5, "spread": True}
    again = problem_to_dict(parse_shift_problem(data))
    assert again["fairness"] == data["fairness"]
    assert [s.get("community") for s in again["shifts"]] == ["A", "B", "A"]


def test_command_line_prints_the_price(tmp_path):
    data = _two_communities()
    data["fairness"] = {"urgent_floor": 0.5, "hours_cap": 0.6}
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data))
    out = subprocess.run([sys.executable, "-m", "matching", "shifts", str(path), "--time-limit", "5"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    check_shifts(data, result)
    assert result["fairness"]["price"]["price"] == 6001
    bad = dict(data, fairness={"hours_cap": 2})
    path.write_text(json.dumps(bad))
    out = subprocess.run([sys.executable, "-m", "matching", "shifts", str(path)], capture_output=True, text=True)
    assert out.returncode == 2 and "fairness.hours_cap" in out.stderr


@st.composite
def fair_problems(draw):
    data = draw(small_problems())
    for shift in data["shifts"]:
        shift["community"] = draw(st.sampled_from(["A", "B", None]))
    data["fairness"] = {
        "urgent_floor": draw(st.sampled_from([None, 0.3, 0.5, 1.0])),
        "urgent_from": draw(st.integers(1, 4)),
        "hours_cap": draw(st.sampled_from([None, 0.4, 0.5, 0.75, 1.0])),
        "spread": draw(st.booleans()),
    }
    return data


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fair_problems())
def test_random_problems_with_options_keep_every_rule_floor_and_cap(data):
    result = _solve(data, limit=20)
    if brute_force({k: v for k, v in data.items() if k != "fairness"}) is None:
        assert result["status"] == "INFEASIBLE"
        return
    assert result["status"] == "OPTIMAL"
    opts = data["fairness"]
    if opts["urgent_floor"] is None and opts["hours_cap"] is None and not opts["spread"]:
        assert "fairness" not in result  # all off: the plain engine's result
        return
    price = result["fairness"]["price"]
    assert price["status_without"] == "OPTIMAL"
    plain = _solve({k: v for k, v in data.items() if k != "fairness"}, limit=20)
    assert price["objective_without"] == plain["objective"]
    assert price["price"] == plain["objective"] - result["objective"] >= 0
    if data["fairness"]["hours_cap"] is None and data["fairness"]["urgent_floor"] is None:
        assert price["price"] == 0  # the spread alone never costs objective


def test_checker_catches_a_broken_cap():
    data = _two_communities()
    data["fairness"] = {"hours_cap": 0.6}
    fair = _solve(data)
    broken = copy.deepcopy(fair)
    broken["fairness"]["hours_by_volunteer"] = {}
    with pytest.raises(AssertionError):
        check_shifts(data, broken)
    plain = _solve({k: v for k, v in data.items() if k != "fairness"})
    forged = copy.deepcopy(plain)
    forged["fairness"] = fair["fairness"]
    with pytest.raises(AssertionError, match="cap"):
        check_shifts(data, forged)



def _fair_brute_force(data):
    """The best (fewest places short of the floors, then highest objective) over every plan keeping the
    nine rules and the cap; None if the pins cannot hold."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.matching.checker import allowed, score
    from tests.matching.test_shifts_property import _fits_slots

    zone = ZoneInfo("Asia/Shanghai")
    s_ = data["settings"]
    rest = s_["rest_minutes"] * 60
    vols, shifts = data["volunteers"], data["shifts"]
    forbids, pins = {tuple(p) for p in data["forbids"]}, {tuple(p) for p in data["pins"]}
    opts = data["fairness"]
    span = {sh["id"]: (datetime.fromisoformat(sh["start"]).astimezone(zone),
                       datetime.fromisoformat(sh["end"]).astimezone(zone)) for sh in shifts}
    minutes = {k: int((b - a).total_seconds() // 60) for k, (a, b) in span.items()}
    choices = []
    for v in vols:
        ok = [sh for sh in shifts
              if allowed(v, sh, s_, forbids, zone, pinned=(v["id"], sh["id"]) in pins) is None
              and any(sl["count"] > 0 and (sl["skill"] is None or sl["skill"] in v["skills"]) for sl in sh["slots"])]
        mine = []
        for r in range(len(ok) + 1):
            for combo in itertools.combinations(ok, r):
                spans = sorted(span[sh["id"]] for sh in combo)
                if any((spans[k + 1][0] - spans[k][1]).total_seconds() < rest for k in range(len(spans) - 1)):
                    continue
                if v["max_minutes"] is not None and sum(minutes[sh["id"]] for sh in combo) > v["max_minutes"]:
                    continue
                mine.append([sh["id"] for sh in combo])
        choices.append(mine)
    steps = None if opts["hours_cap"] is None else int(opts["hours_cap"] * 10_000 + 1e-9)
    best = None
    for choice in itertools.product(*choices):
        chosen = {(v["id"], sid) for v, sids in zip(vols, choice) for sid in sids}
        if not pins <= chosen:
            continue
        members = {sh["id"]: [v for v, sids in zip(vols, choice) if sh["id"] in sids] for sh in shifts}
        if any(m and (len(m) < sh["min_volunteers"] or not _fits_slots(m, sh["slots"]))
               for sh, m in ((sh, members[sh["id"]]) for sh in shifts)):
            continue
        load = {v["id"]: sum(minutes[s] for s in sids) for v, sids in zip(vols, choice)}
        total = sum(load.values())
        if steps is not None and any(
                10_000 * load[v["id"]] > steps * total and not all((v["id"], s) in pins for s in sids)
                for v, sids in zip(vols, choice)):
            continue
        short = 0
        if opts["urgent_floor"] is not None:
            by_community: dict = {}
            for sh in shifts:
                if sh.get("community") is not None and sh["urgency"] >= opts["urgent_from"]:
                    row = by_community.setdefault(sh["community"], [0, 0])
                    row[0] += len(members[sh["id"]])
                    row[1] += sum(sl["count"] for sl in sh["slots"])
            for filled, places in by_community.values():
                need = -(-int(math.ceil(opts["urgent_floor"] * 10_000 - 1e-9)) * places // 10_000)
                short += max(0, need - filled)
        value = sum(score(v, next(sh for sh in shifts if sh["id"] == sid)) for v, sids in zip(vols, choice)
                    for sid in sids)
        key = (-short, value)
        best = key if best is None else max(best, key)
    return best


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fair_problems())
def test_random_problems_with_options_reach_the_brute_force_optimum(data):
    opts = data["fairness"]
    if opts["urgent_floor"] is None and opts["hours_cap"] is None and not opts["spread"]:
        opts["spread"] = True
    result = _solve(data, limit=20)
    best = _fair_brute_force(data)
    if best is None:
        assert result["status"] == "INFEASIBLE"
        return
    assert result["status"] == "OPTIMAL"
    short = sum(row["required"] - row["filled"] for row in result["fairness"]["floor_unmet"])
    assert (-short, result["objective"]) == best
