"""The needs forecast's back-test on the demo district: the seasonal model against the naive baseline.

Seeds the demo district (``flask seed-demo``: the communities' past paper records and the platform's needs)
into a throw-away SQLite database (or ``--database`` URL, which must be empty), then for every series a
reader of the district sees (all needs, each sector, each community) and for each community's own sectors
prints the rolling-origin back-test of ``linkage.forecast.model`` over the last four quarters, at the same
lead time as the page's forecast of next quarter: mean absolute error (needs per quarter) and symmetric
mean absolute percentage error of the method used (the model, or the baseline where the series falls
back), beside the baseline "same quarter last year". It also times the fits.

    python -m benchmarks.forecast
    python -m benchmarks.forecast --today 2026-11-30      # as of another day (the seed is relative to today)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from statistics import mean

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from linkage import create_app  # noqa: E402
from linkage.extensions import db  # noqa: E402
from linkage.forecast import model, plan  # noqa: E402
from linkage.models import Need, Region, RegionLevel  # noqa: E402
from linkage.seed import seed_demo  # noqa: E402


def _row(name: str, counts: list[int], ahead: int) -> tuple:
    started = time.perf_counter()
    forecast = model.forecast_quarter(counts, ahead)
    test = model.back_test(counts, ahead)
    seconds = time.perf_counter() - started
    return name, sum(counts) / len(counts), forecast, test, seconds


def _fmt(value, pattern="{:.1f}"):
    return "—" if value is None else pattern.format(value)


def _print(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    print(f"{'series':<34}{'mean/mo':>8} {'method':<16}{'MAE':>7}{'sMAPE':>8}{'naive MAE':>11}{'naive sMAPE':>12}"
          f"{'fit s':>7}")
    for name, monthly, forecast, test, seconds in rows:
        method = forecast.method + (f" ({forecast.fallback})" if forecast.fallback else "")
        print(f"{name[:33]:<34}{monthly:>8.1f} {method:<16}{_fmt(test.model_mae):>7}"
              f"{_fmt(test.model_smape, '{:.0f}%'):>8}{_fmt(test.naive_mae):>11}{_fmt(test.naive_smape, '{:.0f}%'):>12}"
              f"{seconds:>7.2f}")


def _summary(label: str, rows: list[tuple]) -> None:
    fitted = [r for r in rows if r[2].method == model.MODEL]
    if not fitted:
        print(f"{label}: no series fitted by the model")
        return
    wins = sum(r[3].model_better for r in fitted)
    print(f"{label}: model on {len(fitted)} of {len(rows)} series; better than the baseline on {wins}; "
          f"mean MAE {mean(r[3].model_mae for r in fitted):.2f} vs naive {mean(r[3].naive_mae for r in fitted):.2f}; "
          f"mean sMAPE {mean(r[3].model_smape for r in fitted):.1f}% vs naive "
          f"{mean(r[3].naive_smape for r in fitted):.1f}%; fit and back-test {mean(r[4] for r in fitted):.2f} s a series")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--today", type=date.fromisoformat, help="forecast as of this day (default: today)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="linkage-forecast-")
    url = args.database or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench",
                      "DATA_KEY": "bench", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "TESTING": True})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        seed_demo()
        db.session.commit()
        print(f"demo seeded in {time.perf_counter() - started:.1f} s; "
              f"{db.session.scalar(sa.select(sa.func.count(Need.id)))} needs")
        today = args.today or date.today()
        district = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.district))
        series = plan.scope_series(Region.subtree_clause(Need.region_id, district), district, today)
        print(f"next quarter {series.year} Q{series.quarter}; history {series.last - series.first + 1} months; "
              f"lead time {series.ahead} months after the last complete month")
        district_rows = [_row("All needs of the district", series.total, series.ahead)]
        district_rows += [_row(s.name_en, c, series.ahead) for s, c in series.by_sector]
        district_rows += [_row(c.name_en or c.name, counts, series.ahead) for c, counts in series.by_community]
        _print("District scope (what civil affairs staff of the district read)", district_rows)
        community_rows = []
        for community in db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.community)
                                            .order_by(Region.code)):
            own = plan.scope_series(Region.subtree_clause(Need.region_id, community), community, today)
            community_rows += [_row(f"{community.name_en or community.name}: {s.name_en}", c, own.ahead)
                               for s, c in own.by_sector]
        _print("Community scope: each community's sectors (what community staff read)",
               [r for r in community_rows if r[2].method == model.MODEL])
        print()
        _summary("District scope", district_rows)
        _summary("Community scope", community_rows)
        print(f"community series falling back to the baseline: "
              f"{sum(r[2].method != model.MODEL for r in community_rows)} of {len(community_rows)}")


if __name__ == "__main__":
    main()
