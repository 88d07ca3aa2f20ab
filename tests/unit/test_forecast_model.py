"""The needs forecast's model (``linkage.forecast.model``) and the arithmetic of planned purchases."""
from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal

from linkage.forecast import model
from linkage.forecast.plan import Purchase, needs_to_buy, next_quarter, suggest
from linkage.forecast.queries import Gap


def seasonal(months: int, seed: int = 7, level: float = 40, amplitude: float = 15, noise: float = 3.0):
    """Monthly counts with a twelve-month season peaking in the series' first month of each year, and noise."""
    rng = random.Random(seed)
    truth = [level + amplitude * math.cos(2 * math.pi * (m % 12) / 12) for m in range(months)]
    return [max(0, round(value + rng.gauss(0, noise))) for value in truth], truth


def test_the_model_recovers_the_season_of_a_seasonal_series():
    counts, _truth = seasonal(48)
    # The quarter starting 1 month after the history: months 49..51 of the season (0-based 49 % 12 = 1..3).
    forecast = model.forecast_quarter(counts, ahead=1)
    assert forecast.method == model.MODEL and forecast.fallback is None
    expected = [40 + 15 * math.cos(2 * math.pi * (m % 12) / 12) for m in (49, 50, 51)]
    for got, true in zip(forecast.months, expected):
        assert abs(got - true) < 6, (forecast.months, expected)
    assert forecast.months[0] > forecast.months[2]          # falling from the peak, as the season does
    # The season's trough half a year later is forecast as a trough.
    trough = model.forecast_quarter(counts, ahead=4)         # months 52..54: 4..6, around the trough
    assert trough.expected < forecast.expected - 30


def test_the_band_covers_held_out_quarters():
    counts, _truth = seasonal(60, seed=11)
    covered = 0
    origins = range(36, 57, 3)
    for end in origins:
        forecast = model.forecast_quarter(counts[:end], ahead=0)
        actual = sum(counts[end:end + 3])
        assert forecast.low <= forecast.expected <= forecast.high
        covered += forecast.low <= actual <= forecast.high
    # An 80 % band: most held-out quarters fall inside (all 7 by chance 21 %; at least 5 of 7 by chance 85 %).
    assert covered >= 5, covered


def test_the_model_beats_the_naive_baseline_on_a_seasonal_series_with_growth():
    rng = random.Random(3)
    counts = [max(0, round(30 + 0.8 * m + 12 * math.cos(2 * math.pi * m / 12) + rng.gauss(0, 2))) for m in range(48)]
    test = model.back_test(counts, ahead=2)
    assert test.quarters == 4
    assert test.model_mae < test.naive_mae and test.model_better


def test_a_short_series_falls_back_to_the_same_quarter_last_year():
    counts = [10, 12, 9, 11, 14, 13, 10, 9, 12, 11, 10, 15, 13, 12, 11]   # fifteen months
    forecast = model.forecast_quarter(counts, ahead=0)
    assert forecast.method == model.NAIVE and forecast.fallback == model.SHORT
    assert forecast.expected == sum(counts[3:6]) == forecast.same_quarter_last_year
    assert forecast.low <= forecast.expected <= forecast.high


def test_under_a_year_of_history_repeats_the_last_three_months():
    forecast = model.forecast_quarter([4, 5, 6, 7, 8], ahead=1)
    assert forecast.method == model.RECENT and forecast.fallback == model.SHORT
    assert forecast.expected == 3 * (6 + 7 + 8) / 3 and forecast.same_quarter_last_year is None


def test_a_sparse_series_falls_back_though_it_is_long():
    counts = [0, 1, 0, 2, 0, 0, 1, 0, 3, 0, 1, 0] * 3
    forecast = model.forecast_quarter(counts, ahead=2)
    assert forecast.method == model.NAIVE and forecast.fallback == model.SPARSE
    assert model.is_cheap(counts) and not model.is_cheap(seasonal(36)[0])
    test = model.back_test(counts, ahead=2)
    assert test.model_mae == test.naive_mae   # the fallback is the baseline itself


def test_a_stored_result_reads_back_the_same():
    counts = seasonal(36)[0]
    forecast, test = model.forecast_quarter(counts, 2), model.back_test(counts, 2)
    assert model.from_dict(model.as_dict(forecast, test)) == (forecast, test)


def test_next_quarter_is_the_calendar_quarter_after_today():
    assert next_quarter(date(2026, 11, 30))[:2] == (2027, 1)
    assert next_quarter(date(2026, 1, 1))[:2] == (2026, 2)
    assert next_quarter(date(2026, 9, 30))[:2] == (2026, 4)


def test_planned_purchase_arithmetic():
    assert needs_to_buy(120.0, 0.75) == 90 and needs_to_buy(10.5, 0.5) == 5 and needs_to_buy(3.0, 0.5) == 2
    purchase = suggest(Purchase(sector=None, expected=120.4, high=150.2, gap=Gap(counted=8, late=6),
                                unit_cost=Decimal("1800.00"), own_cost=True))
    assert purchase.needs == 90 and purchase.budget == Decimal("162000.00")
    assert purchase.high_needs == 113 and purchase.high_budget == Decimal("203400.00")
    unmeasured = suggest(Purchase(None, 50.0, 60.0, Gap(), Decimal("10"), False))
    assert unmeasured.budget is None and unmeasured.needs == 0
    unpriced = suggest(Purchase(None, 50.0, 60.0, Gap(counted=4, late=2), None, False))
    assert unpriced.needs == 25 and unpriced.budget is None
