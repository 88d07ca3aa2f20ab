"""How many needs a series of monthly counts expects in a coming quarter: plain numbers in, numbers out.

The model is Holt-Winters exponential smoothing (statsmodels' ``ExponentialSmoothing``: a level, a damped
additive trend and an additive twelve-month season) fitted to the monthly counts. Its band is the spread of
simulated futures of the fitted model (``INTERVAL`` of them fall inside), summed over the quarter's months.

The baseline is the naive seasonal forecast, "the same quarter last year". A series too short to show a
season twice (``MIN_MONTHS``) or too sparse for a season to stand out of chance (a monthly mean under
``MIN_MEAN`` or more than ``MAX_ZERO_SHARE`` of its months without a need) gets the baseline instead; its
band is the baseline's own past error on the series (or chance alone, a Poisson count, with too few past
quarters to judge).

The back-test is rolling-origin: for each of the last ``BACK_TEST_QUARTERS`` quarters of the history, fit on
the months before it (as far ahead as the real forecast looks) and compare the quarter's forecast with what
happened, for the model (with its fallback) and the baseline alike.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

import numpy as np

SEASON = 12
QUARTER = 3
MIN_MONTHS = 2 * SEASON
MIN_MEAN = 3.0
MAX_ZERO_SHARE = 0.25
INTERVAL = 0.80
SIMULATIONS = 400
BACK_TEST_QUARTERS = 4

MODEL = "holt_winters"
NAIVE = "naive_seasonal"
RECENT = "recent_mean"          # under a year of history: the last three months again

SHORT = "short"
SPARSE = "sparse"
FAILED = "failed"


@dataclass(frozen=True)
class QuarterForecast:
    method: str                  # MODEL, NAIVE or RECENT
    fallback: Optional[str]      # why not the model: SHORT, SPARSE or FAILED; None for the model
    expected: float              # needs expected in the quarter
    low: float                   # the band: INTERVAL of outcomes between low and high
    high: float
    months: tuple[float, ...]    # expected needs in each month of the quarter
    same_quarter_last_year: Optional[int]


@dataclass(frozen=True)
class BackTest:
    quarters: int                # how many past quarters were forecast
    model_mae: Optional[float]
    model_smape: Optional[float]  # percent
    naive_mae: Optional[float]
    naive_smape: Optional[float]

    @property
    def model_better(self) -> Optional[bool]:
        if self.model_mae is None or self.naive_mae is None:
            return None
        return self.model_mae < self.naive_mae


def fallback_reason(counts: Sequence[int]) -> Optional[str]:
    """Why ``counts`` (monthly, oldest first) get the baseline rather than the model; None: the model."""
    if len(counts) < MIN_MONTHS:
        return SHORT
    recent = counts[-MIN_MONTHS:]
    if sum(recent) / len(recent) < MIN_MEAN or sum(1 for c in recent if c == 0) > MAX_ZERO_SHARE * len(recent):
        return SPARSE
    return None


def naive_quarter(counts: Sequence[int], ahead: int) -> Optional[int]:
    """The needs of the same quarter a year before the one starting ``ahead`` months after the history."""
    start = len(counts) + ahead - SEASON
    if start < 0 or start + QUARTER > len(counts):
        return None
    return int(sum(counts[start:start + QUARTER]))


def _naive_errors(counts: Sequence[int], ahead: int) -> list[float]:
    """The baseline's errors on every past quarter it could have forecast (same lead time)."""
    errors = []
    for end in range(SEASON, len(counts) - ahead - QUARTER + 1):
        guess = naive_quarter(counts[:end], ahead)
        if guess is not None:
            errors.append(sum(counts[end + ahead:end + ahead + QUARTER]) - guess)
    return errors


def _z() -> float:
    from statistics import NormalDist
    return NormalDist().inv_cdf(0.5 + INTERVAL / 2)


def _baseline(counts: Sequence[int], ahead: int, fallback: Optional[str]) -> QuarterForecast:
    last_year = naive_quarter(counts, ahead)
    if last_year is not None:
        method, expected = NAIVE, float(last_year)
        errors = _naive_errors(counts, ahead)
    else:
        recent = counts[-QUARTER:] or [0]
        method, expected, errors = RECENT, QUARTER * sum(recent) / len(recent), []
    if len(errors) >= 3:
        spread = math.sqrt(sum(e * e for e in errors) / len(errors))
    else:
        spread = math.sqrt(max(expected, 1.0))  # chance alone: a Poisson count's spread
    low, high = max(0.0, expected - _z() * spread), expected + _z() * spread
    return QuarterForecast(method, fallback, expected, low, high, (expected / QUARTER,) * QUARTER, last_year)


def _holt_winters(counts: Sequence[int], ahead: int) -> QuarterForecast:
    y = np.asarray(counts, dtype=float)
    # The optimizer's convergence notes, and the library's own notes on the versions of its dependencies
    # (raised on import), are not the reader's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        fit = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=SEASON,
                                   initialization_method="estimated").fit()
        horizon = ahead + QUARTER
        points = np.clip(fit.forecast(horizon)[ahead:], 0, None)
        paths = fit.simulate(horizon, repetitions=SIMULATIONS, error="add", anchor="end",
                             random_state=np.random.RandomState(len(y)))
    paths = np.clip(np.asarray(paths).reshape(horizon, SIMULATIONS)[ahead:], 0, None).sum(axis=0)
    if not np.all(np.isfinite(points)) or not np.all(np.isfinite(paths)):
        raise ArithmeticError("the fit gave no finite forecast")
    tail = (1 - INTERVAL) / 2
    low, high = np.quantile(paths, [tail, 1 - tail])
    expected = float(points.sum())
    return QuarterForecast(MODEL, None, expected, float(min(low, expected)), float(max(high, expected)),
                           tuple(float(p) for p in points), naive_quarter(counts, ahead))


@lru_cache(maxsize=4096)
def _forecast(counts: tuple[int, ...], ahead: int) -> QuarterForecast:
    reason = fallback_reason(counts)
    if reason is not None:
        return _baseline(counts, ahead, reason)
    try:
        return _holt_winters(counts, ahead)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        return _baseline(counts, ahead, FAILED)


def forecast_quarter(counts: Sequence[int], ahead: int = 0) -> QuarterForecast:
    """The needs expected in the quarter starting ``ahead`` months after the last month of ``counts``
    (monthly counts, oldest first, complete months only). The same counts give the same answer (cached)."""
    return _forecast(tuple(int(c) for c in counts), int(ahead))


def _smape(pairs: list[tuple[float, float]]) -> float:
    terms = [0.0 if f == a == 0 else 2 * abs(f - a) / (abs(f) + abs(a)) for f, a in pairs]
    return 100 * sum(terms) / len(terms)


def _mae(pairs: list[tuple[float, float]]) -> float:
    return sum(abs(f - a) for f, a in pairs) / len(pairs)


@lru_cache(maxsize=4096)
def _back_test(counts: tuple[int, ...], ahead: int, quarters: int) -> BackTest:
    model, naive = [], []
    for k in range(quarters):
        end = len(counts) - ahead - QUARTER * (k + 1)
        if end < QUARTER:
            break
        train, actual = counts[:end], sum(counts[end + ahead:end + ahead + QUARTER])
        model.append((forecast_quarter(train, ahead).expected, actual))
        guess = naive_quarter(train, ahead)
        if guess is not None:
            naive.append((float(guess), actual))
    return BackTest(len(model), _mae(model) if model else None, _smape(model) if model else None,
                    _mae(naive) if naive else None, _smape(naive) if naive else None)


def back_test(counts: Sequence[int], ahead: int = 0, quarters: int = BACK_TEST_QUARTERS) -> BackTest:
    """Rolling-origin back-test over the last ``quarters`` quarters of ``counts``: mean absolute error and
    symmetric mean absolute percentage error of the quarter's needs, the model (with its fallback) beside
    the naive "same quarter last year"."""
    return _back_test(tuple(int(c) for c in counts), int(ahead), int(quarters))


VERSION = 1  # of the method above: stored results of another version are not reused


def as_dict(forecast: QuarterForecast, test: BackTest) -> dict:
    """A forecast and its back-test as plain JSON-able values (stored by the background job)."""
    return {"forecast": {**forecast.__dict__, "months": list(forecast.months)}, "back_test": dict(test.__dict__)}


def from_dict(values: dict) -> tuple[QuarterForecast, BackTest]:
    forecast = dict(values["forecast"])
    forecast["months"] = tuple(forecast["months"])
    return QuarterForecast(**forecast), BackTest(**values["back_test"])


def is_cheap(counts: Sequence[int]) -> bool:
    """Whether the forecast of ``counts`` and its back-test need no model fit (the series falls back to the
    baseline at every origin of the back-test too): then a page may compute them on the spot."""
    return fallback_reason(counts) is not None and fallback_reason(counts[:max(0, len(counts) - QUARTER)]) is not None
