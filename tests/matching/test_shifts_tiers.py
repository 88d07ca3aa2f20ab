"""The benchmark generator and the tier runner (small and quick: the big tiers are run by hand)."""

from __future__ import annotations

from benchmarks.generate_shifts import generate
from benchmarks.plain_shifts import solve_plain
from benchmarks.shift_tiers import TIERS, compare_tier, format_compare, format_table, run_tier
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
    assert {k: TIERS[k] for k in ("community", "street", "district")} == {
        "community": (300, 40), "street": (3000, 400), "district": (30000, 4000)}
    assert TIERS["street_tight"] == (2000, 800) and TIERS["district_tight"] == (20000, 8000)
    row = run_tier("community", seed=2, time_limit=3)
    assert row["checker"] == "ok" and row["status"] in ("OPTIMAL", "FEASIBLE")
    assert row["objective"] >= row["baseline_objective"]
    assert row["bound"] >= row["objective"] and row["peak_mem_mb"] > 0
    assert row["urgent_places"] >= row["urgent_filled"] and row["places"] >= row["filled"]
    assert "community" in format_table([row])


def test_comparison_rows_for_ours_the_textbook_model_and_first_come():
    rows = compare_tier("community", seed=3, time_limit=20)
    assert [r["method"] for r in rows] == ["ours", "plain", "first_come"]
    ours, plain, first = rows
    assert all(r["checker"] == "ok" for r in rows)
    assert ours["status"] == "OPTIMAL" and ours["bound"] == ours["objective"]
    # both exact methods reach the same optimum on a community; first come does not beat it
    if plain["status"] == "OPTIMAL":
        assert plain["objective"] == ours["objective"]
    assert first["objective"] <= ours["objective"] and first["bound"] is None
    assert ours["peak_mem_mb"] > 0 and ours["load_at_start"]
    assert "plain" in format_compare(rows)


def test_textbook_model_is_exact_on_a_small_problem():
    from tests.matching.checker import check_shifts
    from tests.matching.test_shifts_property import brute_force

    data = generate(12, 3, seed=4)
    result = solve_plain(parse_shift_problem(data), time_limit=20, workers=1)
    check_shifts(data, result)
    assert result["status"] == "OPTIMAL" and result["objective"] == brute_force(data)
