"""Independent checker for shift assignment results (docs/contract.md, section 1).

Deliberately shares no code with ``matching``: it re-reads the contract JSON, re-implements the
haversine distance, the window merging, the distance units and the objective, and checks all
nine rules (a pinned pair is exempt from rules 1 and 2 only). ``check_shifts(problem, result)``
raises AssertionError naming the broken rule.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

URGENCY = {1: 1, 2: 2, 3: 4, 4: 8}
STATUSES = {"OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"}


def _dt(text, zone) -> datetime:
    dt = datetime.fromisoformat(text) if isinstance(text, str) else text
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=zone)
    return dt


def _haversine(a, b) -> float:
    lat1 = math.radians(a[0])
    lat2 = math.radians(b[0])
    dlat = lat2 - lat1
    dlon = math.radians(b[1]) - math.radians(a[1])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def _units(km: float) -> int:
    return int((Decimal(repr(float(km))) * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _merged(windows):
    out = []
    for a, b in sorted(windows):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _limit(vol, settings):
    opts = [x for x in (vol.get("max_travel_km"), settings.get("max_travel_km")) if x is not None]
    return min(opts) if opts else math.inf


def score(vol, shift, settings=None) -> int:
    """The contract's score of one assignment."""
    d = _units(_haversine(vol["location"], shift["location"]))
    preferred = 1 if shift["id"] in vol.get("preferences", []) else 0
    continuity = 1 if set(vol.get("history", [])) & set(shift.get("residents", [])) else 0
    return 1000 * URGENCY[shift.get("urgency", 1)] + 50 * preferred + 100 * continuity - d


def allowed(vol, shift, settings, forbids, zone, *, pinned: bool = False) -> str | None:
    """None if rules 1–4 allow the pair (ignoring the slot's skill), else the broken rule.

    A pinned pair is a person's decision: rules 1 and 2 (availability, distance) do not apply to it.
    """
    if not pinned:
        a, b = _dt(shift["start"], zone), _dt(shift["end"], zone)
        windows = _merged([(_dt(x, zone), _dt(y, zone)) for x, y in vol.get("availability", [])])
        if not any(x <= a and b <= y for x, y in windows):
            return "rule 1 (availability)"
        if _haversine(vol["location"], shift["location"]) > _limit(vol, settings):
            return "rule 2 (distance)"
    if (vol["id"], shift["id"]) in forbids:
        return "rule 4 (forbidden)"
    return None


def check_shifts(problem: dict, result: dict) -> None:
    """Raise AssertionError if the result breaks any rule or misstates its objective."""
    settings = problem.get("settings") or {}
    zone = ZoneInfo(settings.get("timezone", "UTC"))
    rest = settings.get("rest_minutes", 0) * 60
    vols = {v["id"]: v for v in problem.get("volunteers", [])}
    shifts = {s["id"]: s for s in problem.get("shifts", [])}
    forbids = {tuple(p) for p in problem.get("forbids", [])}
    pins = [tuple(p) for p in problem.get("pins", [])]
    status = result["status"]
    assert status in STATUSES, f"unknown status {status!r}"
    for key in ("objective", "bound", "seconds", "assignments"):
        assert key in result, f"result lacks {key!r}"
    assert isinstance(result["objective"], int), "objective must be an integer"
    if status == "UNKNOWN" and not result["assignments"]:
        assert result["objective"] == 0, "UNKNOWN without assignments must report objective 0"
        return
    if status == "INFEASIBLE":
        assert not result["assignments"], "an INFEASIBLE result must not assign anyone"
        if pins:
            named = [tuple(p) for p in result.get("conflicting_pins", [])]
            assert named, "INFEASIBLE with pins must name the conflicting pins"
            assert all(p in pins for p in named), f"conflicting_pins {named} are not pins"
        return

    seen_pairs = set()
    per_slot: dict = {}
    per_shift: dict = {}
    per_vol: dict = {}
    total = 0
    for k, a in enumerate(result["assignments"]):
        v, s, slot = a["volunteer"], a["shift"], a["slot"]
        where = f"assignment {k} ({v}, {s}, slot {slot})"
        assert v in vols, f"{where}: unknown volunteer"
        assert s in shifts, f"{where}: unknown shift"
        vol, sh = vols[v], shifts[s]
        slots = sh.get("slots", [])
        assert isinstance(slot, int) and 0 <= slot < len(slots), f"{where}: no such slot"
        broken = allowed(vol, sh, settings, forbids, zone, pinned=(v, s) in pins)
        assert broken is None, f"{where}: breaks {broken}"
        skill = slots[slot].get("skill")
        assert skill is None or skill in vol.get("skills", []), f"{where}: breaks rule 3 (needs {skill})"
        assert (v, s) not in seen_pairs, f"{where}: breaks rule 5 (two slots in one shift)"
        seen_pairs.add((v, s))
        per_slot[(s, slot)] = per_slot.get((s, slot), 0) + 1
        per_shift[s] = per_shift.get(s, 0) + 1
        per_vol.setdefault(v, []).append(sh)
        total += score(vol, sh)
        assert "reasons" in a and isinstance(a["reasons"], list), f"{where}: no reasons"
    for (s, slot), n in per_slot.items():
        cap = shifts[s]["slots"][slot].get("count", 1)
        assert n <= cap, f"shift {s} slot {slot}: {n} assigned, count {cap} (rule 5)"
    for v, mine in per_vol.items():
        spans = sorted((_dt(sh["start"], zone), _dt(sh["end"], zone), sh["id"]) for sh in mine)
        for i in range(len(spans)):
            for j in range(i + 1, len(spans)):
                a0, a1, sa = spans[i]
                b0, b1, sb = spans[j]
                gap = (b0 - a1).total_seconds()
                assert gap >= rest, (
                    f"volunteer {v}: shifts {sa} and {sb} overlap or are {gap / 60:g} min apart, "
                    f"rest is {rest / 60:g} (rule 6)"
                )
        limit = vols[v].get("max_minutes")
        if limit is not None:
            used = sum((b - a).total_seconds() for a, b, _ in spans)
            assert used <= limit * 60, f"volunteer {v}: {used / 60:g} min > max_minutes {limit} (rule 7)"
    for s, n in per_shift.items():
        need = shifts[s].get("min_volunteers", 1)
        assert n >= need, f"shift {s}: {n} assigned, min_volunteers {need} (rule 8)"
    for v, s in pins:
        assert (v, s) in seen_pairs, f"pin ({v}, {s}) not assigned (rule 9)"
    assert total == result["objective"], f"objective {result['objective']} but the assignments score {total}"
    if status == "OPTIMAL":
        assert result["bound"] == result["objective"], "OPTIMAL with bound != objective"
    else:
        assert result["bound"] >= result["objective"], "bound below objective"

    # the bookkeeping lists agree with the assignments
    if "unfilled" in result:
        missing = {}
        for s, sh in shifts.items():
            for k, slot in enumerate(sh.get("slots", [])):
                gap = slot.get("count", 1) - per_slot.get((s, k), 0)
                if gap > 0:
                    missing[(s, k)] = gap
        listed = {(u["shift"], u["slot"]): u["missing"] for u in result["unfilled"]}
        assert listed == missing, f"unfilled list {listed} does not match the assignments {missing}"
    if "unstaffed" in result:
        for s in result["unstaffed"]:
            assert per_shift.get(s, 0) == 0, f"shift {s} listed unstaffed but has volunteers"
    cov = (result.get("stats") or {}).get("coverage_by_urgency")
    if cov is not None:
        for u, (filled, places) in cov.items():
            want_f = sum(n for s, n in per_shift.items() if str(shifts[s].get("urgency", 1)) == u)
            want_p = sum(
                sl.get("count", 1)
                for sh in shifts.values()
                if str(sh.get("urgency", 1)) == u
                for sl in sh.get("slots", [])
            )
            assert (filled, places) == (
                want_f,
                want_p,
            ), f"coverage_by_urgency[{u}] {filled, places} != {want_f, want_p}"
    opts = problem.get("fairness") or {}
    if opts.get("urgent_floor") is not None or opts.get("hours_cap") is not None or opts.get("spread"):
        check_fairness(problem, result)


STEPS = 10_000  # shares are counted in steps of 1/10,000 (docs/contract.md, "Fairness")


def _minutes(shift, zone) -> int:
    return int((_dt(shift["end"], zone) - _dt(shift["start"], zone)).total_seconds() // 60)


def check_fairness(problem: dict, result: dict) -> None:
    """The fairness options of a result: every cap holds (a volunteer carrying only pinned places is
    exempt), every floor the result calls met is met and every other one is listed as unmet, the
    reported coverage, hours and price agree with the assignments."""
    opts = problem["fairness"]
    zone = ZoneInfo((problem.get("settings") or {}).get("timezone", "UTC"))
    shifts = {s["id"]: s for s in problem.get("shifts", [])}
    pins = {tuple(p) for p in problem.get("pins", [])}
    report = result.get("fairness")
    assert report is not None, "a result with fairness options lacks the fairness report"
    if result["status"] in ("INFEASIBLE", "UNKNOWN") and not result["assignments"]:
        return
    minutes: dict = {}
    only_pins: dict = {}
    filled: dict = {}
    for a in result["assignments"]:
        v, s = a["volunteer"], a["shift"]
        minutes[v] = minutes.get(v, 0) + _minutes(shifts[s], zone)
        only_pins[v] = only_pins.get(v, True) and (v, s) in pins
        filled[s] = filled.get(s, 0) + 1
    total = sum(minutes.values())
    cap = opts.get("hours_cap")
    if cap is not None:
        steps = int(math.floor(cap * STEPS + 1e-9))
        for v, m in minutes.items():
            assert only_pins[v] or STEPS * m <= steps * total, (
                f"volunteer {v}: {m} of {total} min is more than the cap {cap}")
    assert report["hours"]["total_minutes"] == total, "hours total does not match the assignments"
    assert report["hours"]["max_minutes"] == max(minutes.values(), default=0), "hours max does not match"
    assert {str(k): v for k, v in minutes.items()} == report["hours_by_volunteer"], "hours by volunteer differ"
    urgent_from = opts.get("urgent_from", 3)
    communities: dict = {}
    for s in shifts.values():
        if s.get("community") is not None and s.get("urgency", 1) >= urgent_from:
            row = communities.setdefault(s["community"], [0, 0])
            row[0] += filled.get(s["id"], 0)
            row[1] += sum(sl.get("count", 1) for sl in s.get("slots", []))
    listed = {row["community"]: row for row in report["communities"]}
    assert set(listed) == set(communities), f"communities {sorted(listed)} != {sorted(communities)}"
    unmet = {row["community"] for row in report["floor_unmet"]}
    floor = opts.get("urgent_floor")
    for c, (got, places) in communities.items():
        row = listed[c]
        assert (row["urgent_filled"], row["urgent_places"]) == (got, places), f"community {c}: coverage differs"
        if floor is not None:
            need = -(-int(math.ceil(floor * STEPS - 1e-9)) * places // STEPS)
            assert row["required"] == need, f"community {c}: requires {need}, reported {row['required']}"
            if got >= need:
                assert row["met"] and c not in unmet, f"community {c}: floor met but reported unmet"
            else:
                assert not row["met"] and c in unmet, f"community {c}: floor not met and not reported"
    price = report["price"]
    assert price["objective_with"] == result["objective"], "price: objective with the options differs"
    assert price["price"] == price["objective_without"] - price["objective_with"], "price is not the difference"


def objective_of(problem: dict, pairs) -> int:
    """Contract objective of a set of (volunteer, shift) pairs (for brute force in tests)."""
    vols = {v["id"]: v for v in problem.get("volunteers", [])}
    shifts = {s["id"]: s for s in problem.get("shifts", [])}
    return sum(score(vols[v], shifts[s]) for v, s in pairs)


try:
    from tests.matching.checker_award import check_award, check_gap  # noqa: E402,F401
except ImportError:
    pass
