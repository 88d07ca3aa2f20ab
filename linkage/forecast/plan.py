"""The needs forecast of a reader's scope for next quarter and the purchases it suggests.

Next quarter is the calendar quarter after the current one; the history is every complete month up to the
last one (the current month is left out: it is not over). Each series (the scope's total, each sector, each
community) is forecast by ``linkage.forecast.model``; a suggested budget per sector is

    needs expected × coverage gap = needs to buy for;  needs to buy for × unit cost = budget,

with the coverage gap and the unit cost from ``linkage.forecast.queries`` (the sector's own unit cost, or the
average of all sectors when the sector has no awarded project covering needs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

import sqlalchemy as sa

from linkage import timeutil
from linkage.community.access import community_scope
from linkage.extensions import db
from linkage.forecast import model, queries, store
from linkage.models import Category, Region, RegionLevel, User
from linkage.needs import access
from linkage.needs.targets import sectors

# At most this many months of history are read (five years): older seasons say little of the next.
MAX_MONTHS = 60


@dataclass
class Line:
    """One series: what it counts, its monthly counts, the forecast and back-test (None: being fitted)."""
    subject: object                 # a Category (sector), a Region (community) or None (the whole scope)
    counts: list[int]
    forecast: Optional[model.QuarterForecast]
    back_test: Optional[model.BackTest]

    @property
    def last_three_months(self) -> int:
        return sum(self.counts[-3:])


@dataclass
class Purchase:
    sector: Category
    expected: float
    high: float
    gap: queries.Gap
    unit_cost: Optional[Decimal]
    own_cost: bool                  # the sector's own unit cost (else the average of all sectors)
    needs: int = 0
    budget: Optional[Decimal] = None
    high_needs: int = 0
    high_budget: Optional[Decimal] = None


@dataclass
class Report:
    scope: Optional[Region]
    quarter: tuple[int, int]        # (year, 1..4)
    quarter_start: date
    quarter_end: date              # the first day of its last month
    first_month: Optional[date]
    last_month: Optional[date]
    total: Optional[Line]
    by_sector: list[Line]
    by_community: list[Line]
    purchases: list[Purchase]
    overall_cost: queries.UnitCost


def next_quarter(today: date) -> tuple[int, int, int]:
    """(year, quarter, index of its first month) of the calendar quarter after the one ``today`` is in."""
    start = queries.month_index(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)) + 3
    return start // 12, (start % 12) // 3 + 1, start


def needs_to_buy(expected: float, gap_share: float) -> int:
    """The needs expected that today's coverage would leave unserved, rounded to whole needs."""
    return int(Decimal(str(expected * gap_share)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def suggest(purchase: Purchase) -> Purchase:
    """Fill in the needs to buy for and the budget (at the expected number and at the band's top)."""
    share = purchase.gap.share
    if share is None:
        return purchase
    purchase.needs = needs_to_buy(purchase.expected, share)
    purchase.high_needs = needs_to_buy(purchase.high, share)
    if purchase.unit_cost is not None:
        purchase.budget = purchase.unit_cost * purchase.needs
        purchase.high_budget = purchase.unit_cost * purchase.high_needs
    return purchase


@dataclass
class ScopeSeries:
    """The series of a scope's history: the total, each sector with needs, each community."""
    year: int
    quarter: int
    start: int                      # month index of next quarter's first month
    first: Optional[int]            # month indexes of the history read (None: no need at all)
    last: int
    ahead: int                      # months between the history's last month and next quarter
    total: list[int]
    by_sector: list[tuple[Category, list[int]]]
    by_community: list[tuple[Region, list[int]]]

    def all_counts(self) -> list[list[int]]:
        return [self.total, *(c for _s, c in self.by_sector), *(c for _r, c in self.by_community)]


def _communities(scope: Optional[Region]) -> list[Region]:
    if scope is None:
        return list(db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.community)
                                       .order_by(Region.code)))
    if scope.level.value >= RegionLevel.community.value:
        return []
    return list(db.session.scalars(Region.select_in(scope, RegionLevel.community)))


def scope_series(condition, scope: Optional[Region], today: date) -> Optional[ScopeSeries]:
    """The series of the needs matching ``condition`` (the scope's), for the quarter after ``today``'s."""
    year, quarter, start = next_quarter(today)
    last = queries.month_index(today) - 1
    first = queries.first_month(condition)
    if first is None or first > last:
        return ScopeSeries(year, quarter, start, None, last, start - (last + 1), [], [], [])
    first = max(first, last - MAX_MONTHS + 1)
    history = queries.monthly_counts(condition, first, last)
    present = {sector for sector, _community in history.counts}
    return ScopeSeries(year, quarter, start, first, last, start - (last + 1), history.series(),
                       [(s, history.series(sector_id=s.id)) for s in sectors() if s.id in present],
                       [(c, history.series(community_id=c.id)) for c in _communities(scope)])


def report(user: User, today: Optional[date] = None) -> Report:
    """The forecast of the needs ``user`` may see, for the quarter after the one ``today`` is in. Series
    whose model fit is not stored yet come back without a forecast (``Line.forecast`` None)."""
    today = today or timeutil.today()
    scope = community_scope(user)
    series = scope_series(access.visible_needs(user), scope, today)
    per_sector, overall = queries.unit_costs()
    report = Report(scope, (series.year, series.quarter), queries.month_start(series.start),
                    queries.month_start(series.start + 2), None, None, None, [], [], [], overall)
    if series.first is None:
        return report
    found = store.stored({store.key(counts, series.ahead) for counts in series.all_counts()})

    def make(subject, counts):
        return Line(subject, counts, *(store.result(counts, series.ahead, found) or (None, None)))

    report.first_month, report.last_month = queries.month_start(series.first), queries.month_start(series.last)
    report.total = make(None, series.total)
    report.by_sector = [make(sector, counts) for sector, counts in series.by_sector]
    report.by_community = [make(community, counts) for community, counts in series.by_community]
    gaps = queries.coverage_gaps(user)
    report.purchases = [suggest(Purchase(line.subject, line.forecast.expected, line.forecast.high,
                                         gaps.get(line.subject.id, queries.Gap()),
                                         (per_sector.get(line.subject.id) or overall).per_need or overall.per_need,
                                         per_sector.get(line.subject.id) is not None))
                        for line in report.by_sector if line.forecast is not None]
    return report


def waiting(report: Report) -> bool:
    """Whether some series of ``report`` waits for its model fit."""
    lines = [report.total, *report.by_sector, *report.by_community] if report.total else []
    return any(line.forecast is None for line in lines)


def report_for_page(user: User) -> tuple[Report, bool]:
    """The report and whether some series still wait for their fit; when they do, the fits are asked for
    first (they open their own transactions, one writer at a time on SQLite, so the page's read ends here)."""
    found = report(user)
    if not waiting(found):
        return found, False
    db.session.rollback()
    if store.ask_for_fits():
        found = report(user)
    return found, waiting(found)
