"""The benchmark generator and the tier runner (small and quick: the big tiers are run by hand)."""

from __future__ import annotations

from benchmarks.generate_shifts import generate
from benchmarks.shift_tiers import TIERS, format_table, run_tier
from matching.shifts import parse_shift_problem


def test_generator_is_deterministic_and_valid():
    a = generate(200, 30, seed=9)
    assert a == generate(200, 30, seed=9) and a != generate(200, 30, seed=10)
    p = parse_shift_problem(a)
    assert len(p.volunteers) == 200 and len(p.shifts) == 30
    assert p.settings.timezone == "Asia/Shanghai"
    assert all(s.start.isoformat().startswith("2026-12-") for s in p.shifts)
    urgent = sum(1 for s in generate(2000, 400, seed=1)["shifts"] if s["urgency"] == 4)
    assert 20 <= urgent <= 70  # about 10 %


def test_tiers_and_a_community_row():
    assert TIERS == {"community": (300, 40), "street": (3000, 400), "district": (30000, 4000)}
    row = run_tier("community", seed=2, time_limit=3)
    assert row["checker"] == "ok" and row["status"] in ("OPTIMAL", "FEASIBLE")
    assert row["objective"] >= row["baseline_objective"]
    assert row["bound"] >= row["objective"] and row["peak_mem_mb"] > 0
    assert row["urgent_places"] >= row["urgent_filled"] and row["places"] >= row["filled"]
    assert "community" in format_table([row])
