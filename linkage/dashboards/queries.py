"""Every figure of the dashboards, each one SQL aggregate over the reader's scope, area and period.

Percentiles are taken from one sorted column SQL returns (SQLite has no percentile function); regions
are folded into their community from aggregated rows by their path, never row by row over records.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa

from linkage.dashboards.access import ORGANIZATION, OWN, Scope
from linkage.database import elapsed_hours, local_week
from linkage.extensions import db
from linkage.models import (Category, Contract, Installment, MatchKind, MatchRun, MatchStatus, Need, Payment,
                            Project, Region, RegionLevel, Shift, SignUp, SignUpStatus, SocialWorker, VisitRating)
from linkage.models.shifts import HoursStatus, shift_needs
from linkage.models.types import UTCDateTime
from linkage.needs import ontime, served
from linkage.needs.targets import sector_map
from linkage.ratings import queries as ratings

# Sign-ups that were expected to come: the base of the no-show rate.
EXPECTED_TO_COME = (SignUpStatus.checked_in, SignUpStatus.checked_out, SignUpStatus.no_show)


@dataclass(frozen=True)
class Filters:
    """The reader's scope, the area chosen within it (None: the whole scope) and the period [start, end)."""
    scope: Scope
    area: Optional[Region]
    start: datetime
    end: datetime

    @property
    def region(self) -> Optional[Region]:
        return self.area or self.scope.region

    def during(self, column):
        return sa.and_(column >= sa.literal(self.start, UTCDateTime()), column < sa.literal(self.end, UTCDateTime()))


# --- the scope as SQL conditions, per table --------------------------------------------------------------

def _organization_projects(organization_id: int):
    return sa.select(Contract.project_id).where(Contract.organization_id == organization_id)


def _organization_workers(organization_id: int):
    return sa.select(SocialWorker.id).where(SocialWorker.organization_id == organization_id)


def _in_region(column, f: Filters):
    return Region.subtree_clause(column, f.region) if f.region is not None else sa.true()


def needs_in(f: Filters):
    """SQL on ``Need``: in the area, of the scope's work (merged duplicates left out: they are counted once,
    in the need they joined)."""
    condition = sa.and_(_in_region(Need.region_id, f), Need.duplicate_of_id.is_(None))
    if f.scope.kind == ORGANIZATION:
        return sa.and_(condition, sa.or_(Need.project_id.in_(_organization_projects(f.scope.organization_id)),
                                         Need.case_worker_id.in_(_organization_workers(f.scope.organization_id))))
    if f.scope.kind == OWN:
        led = sa.select(shift_needs.c.need_id).join(Shift, Shift.id == shift_needs.c.shift_id).where(
            Shift.lead_id == f.scope.worker_id)
        return sa.and_(condition, sa.or_(Need.case_worker_id == f.scope.worker_id, Need.id.in_(led)))
    return condition


def shifts_in(f: Filters):
    """SQL on ``Shift``: held in the area, of the scope's work (any time: callers add the period)."""
    condition = _in_region(Shift.region_id, f)
    if f.scope.kind == ORGANIZATION:
        return sa.and_(condition, sa.or_(Shift.project_id.in_(_organization_projects(f.scope.organization_id)),
                                         Shift.lead_id.in_(_organization_workers(f.scope.organization_id))))
    if f.scope.kind == OWN:
        return sa.and_(condition, Shift.lead_id == f.scope.worker_id)
    return condition


def projects_in(f: Filters):
    """SQL on ``Project``: owned in the area or serving a need there, of the scope's work, its service period
    meeting the period."""
    condition = sa.and_(Project.service_start <= f.end.date(), Project.service_end >= f.start.date())
    if f.region is not None:
        serving = sa.select(Need.project_id).where(Region.subtree_clause(Need.region_id, f.region),
                                                   Need.project_id.is_not(None))
        condition = sa.and_(condition, sa.or_(Region.subtree_clause(Project.region_id, f.region),
                                              Project.id.in_(serving)))
    if f.scope.kind == ORGANIZATION:
        return sa.and_(condition, Project.id.in_(_organization_projects(f.scope.organization_id)))
    if f.scope.kind == OWN:
        return sa.and_(condition, Project.id.in_(sa.select(Shift.project_id).where(Shift.lead_id == f.scope.worker_id)))
    return condition


def runs_in(f: Filters):
    """SQL on ``MatchRun``: the area's runs (a social worker: those they started); none for an organization."""
    if f.scope.kind == ORGANIZATION:
        return sa.false()
    condition = _in_region(MatchRun.region_id, f)
    if f.scope.kind == OWN:
        condition = sa.and_(condition, MatchRun.created_by_id == f.scope.user_id)
    return condition


# --- regions: folding into communities ------------------------------------------------------------------

@dataclass
class Place:
    id: int
    name: str
    name_en: str
    latitude: Optional[float]
    longitude: Optional[float]
    path: str

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name


def communities() -> tuple[dict[int, Place], dict[int, int]]:
    """The communities (id → Place) and, for every region, the community it lies in (grids fold upward)."""
    rows = db.session.execute(sa.select(Region.id, Region.level, Region.path, Region.name, Region.name_en,
                                        Region.latitude, Region.longitude)).all()
    places = {r.id: Place(r.id, r.name, r.name_en, r.latitude, r.longitude, r.path)
              for r in rows if r.level == RegionLevel.community}
    community_of = {}
    for row in rows:
        ids = [int(part) for part in row.path.strip("/").split("/") if part]
        community_of[row.id] = next((i for i in ids if i in places), None)
    return places, community_of


def _by_community(rows, community_of) -> dict[int, list]:
    """Sum aggregated rows (region id, numbers...) into their community."""
    totals: dict[int, list] = {}
    for region_id, *numbers in rows:
        community = community_of.get(region_id)
        if community is None:
            continue
        sums = totals.setdefault(community, [0] * len(numbers))
        for index, number in enumerate(numbers):
            sums[index] += number or 0
    return totals


# --- needs --------------------------------------------------------------------------------------------

def needs_by_sector(f: Filters) -> list[tuple[Category, int]]:
    """Needs filed in the period, per sector (the top of the taxonomy), most first."""
    sector_of = sector_map()
    rows = db.session.execute(sa.select(Need.category_id, sa.func.count(Need.id))
                              .where(needs_in(f), f.during(Need.created_at)).group_by(Need.category_id)).all()
    counts: dict[int, int] = {}
    for category_id, count in rows:
        sector = sector_of.get(category_id, category_id)
        counts[sector] = counts.get(sector, 0) + count
    sectors = {c.id: c for c in db.session.scalars(sa.select(Category).where(Category.id.in_(list(counts))))}
    return sorted(((sectors[s], n) for s, n in counts.items()), key=lambda pair: (-pair[1], pair[0].code))


def needs_by_community(f: Filters, places, community_of) -> list[tuple[Place, list[int]]]:
    """Needs filed in the period per community, counted per urgency 1–4 (a list of four)."""
    urgency = [sa.func.sum(sa.case((Need.urgency == level, 1), else_=0)) for level in (1, 2, 3, 4)]
    rows = db.session.execute(sa.select(Need.region_id, *urgency).where(needs_in(f), f.during(Need.created_at))
                              .group_by(Need.region_id)).all()
    totals = _by_community(rows, community_of)
    return sorted(((places[c], counts) for c, counts in totals.items()), key=lambda pair: pair[0].path)


# --- coverage: served within the service target ------------------------------------------------------

@dataclass
class Coverage:
    key: object
    counted: int
    on_time: int
    minimum: int

    @property
    def shown(self) -> bool:
        return ontime.share_shown(self.counted, self.minimum)

    @property
    def share(self) -> Optional[float]:
        return self.on_time / self.counted if self.shown else None


def _coverage_rows(f: Filters, group, now: datetime):
    return db.session.execute(sa.select(group, *served.sums(served.ServiceTargets.load(), now))
                              .where(needs_in(f), f.during(Need.created_at)).group_by(group)).all()


def coverage_by_urgency(f: Filters, now: datetime) -> list[Coverage]:
    """Per urgency, most urgent first: the needs filed in the period that the served-in-time rule
    (``linkage.needs.served``) counts, and those served within their service target; a share shown from
    ``ON_TIME_MIN_COUNT`` needs counted on."""
    minimum = ontime.min_count()
    rows = {urgency: (counted, on_time) for urgency, counted, on_time in _coverage_rows(f, Need.urgency, now)}
    return [Coverage(level, *rows.get(level, (0, 0)), minimum) for level in (4, 3, 2, 1)]


def coverage_by_community(f: Filters, now: datetime, community_of) -> dict[int, Coverage]:
    """The same per community (the map's colour)."""
    minimum = ontime.min_count()
    totals = _by_community(_coverage_rows(f, Need.region_id, now), community_of)
    return {c: Coverage(c, counted, on_time, minimum) for c, (counted, on_time) in totals.items()}


# --- response times ----------------------------------------------------------------------------------

@dataclass
class Spread:
    leg: str
    count: int
    median: Optional[float]
    p90: Optional[float]


def percentile(ordered: list[float], share: float) -> Optional[float]:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(ordered: list[float]) -> Optional[float]:
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


RESPONSE_LEGS = (("matched", Need.created_at, Need.matched_at), ("delivered", Need.matched_at, Need.delivered_at),
                 ("whole", Need.created_at, Need.delivered_at))


def response_times(f: Filters) -> list[Spread]:
    """Hours from filing to matched, matched to delivered and filing to delivered, for the needs filed in the
    period that got that far: median and 90th percentile."""
    spreads = []
    for leg, begin, finish in RESPONSE_LEGS:
        hours = elapsed_hours(finish, begin)
        ordered = [float(h) for h in db.session.scalars(
            sa.select(hours).where(needs_in(f), f.during(Need.created_at), begin.is_not(None), finish.is_not(None))
            .order_by(hours))]
        spreads.append(Spread(leg, len(ordered), median(ordered), percentile(ordered, 0.9)))
    return spreads


# --- volunteers ---------------------------------------------------------------------------------------

def _approved_hours():
    return sa.func.coalesce(sa.func.sum(SignUp.minutes), 0) / 60.0


def hours_by_week(f: Filters) -> list[tuple[str, float]]:
    """Approved volunteer hours per week (Monday's date) of the shifts held in the period."""
    week = local_week(Shift.start)
    rows = db.session.execute(sa.select(week, _approved_hours()).join(Shift, Shift.id == SignUp.shift_id)
                              .where(shifts_in(f), f.during(Shift.start), SignUp.hours_status == HoursStatus.approved)
                              .group_by(week).order_by(week)).all()
    return [(str(monday), float(hours)) for monday, hours in rows]


def hours_by_community(f: Filters, places, community_of) -> list[tuple[Place, float]]:
    rows = db.session.execute(sa.select(Shift.region_id, sa.func.coalesce(sa.func.sum(SignUp.minutes), 0))
                              .join(Shift, Shift.id == SignUp.shift_id)
                              .where(shifts_in(f), f.during(Shift.start), SignUp.hours_status == HoursStatus.approved)
                              .group_by(Shift.region_id)).all()
    totals = _by_community(rows, community_of)
    return sorted(((places[c], minutes / 60.0) for c, (minutes,) in totals.items()), key=lambda pair: pair[0].path)


@dataclass
class Attendance:
    place: Place
    expected: int
    no_shows: int

    @property
    def rate(self) -> Optional[float]:
        return self.no_shows / self.expected if self.expected else None


def no_shows_by_community(f: Filters, places, community_of) -> list[Attendance]:
    """Of the sign-ups expected to come to the shifts of the period (checked in, out, or not come), those
    that did not come."""
    rows = db.session.execute(
        sa.select(Shift.region_id, sa.func.count(SignUp.id),
                  sa.func.sum(sa.case((SignUp.status == SignUpStatus.no_show, 1), else_=0)))
        .join(Shift, Shift.id == SignUp.shift_id)
        .where(shifts_in(f), f.during(Shift.start), SignUp.status.in_(EXPECTED_TO_COME))
        .group_by(Shift.region_id)).all()
    totals = _by_community(rows, community_of)
    return sorted((Attendance(places[c], expected, no_shows) for c, (expected, no_shows) in totals.items()),
                  key=lambda row: row.place.path)


# --- satisfaction ---------------------------------------------------------------------------------------

def satisfaction_by_community(f: Filters, places, community_of) -> list[tuple[Place, ratings.Rollup]]:
    """Visit ratings given in the period, per community of the shift; the average shown from the rating
    roll-ups' minimum count on (``RATING_MIN_COUNT``)."""
    sums = _by_community(ratings.sums_by(Shift.region_id, sa.and_(shifts_in(f), f.during(VisitRating.created_at))),
                         community_of)
    return sorted(((places[c], ratings.as_rollup(count, total / count if count else None))
                   for c, (count, total) in sums.items()), key=lambda pair: pair[0].path)


# --- money ----------------------------------------------------------------------------------------------

@dataclass
class Spending:
    title: str
    budget: Decimal
    contracted: Decimal
    paid: Decimal


def spending(f: Filters) -> list[Spending]:
    """The contracted projects whose service period meets the period: budget, contract amount, and what was
    paid until the period's end."""
    paid = (sa.select(Installment.contract_id, sa.func.sum(Payment.amount).label("paid"))
            .join(Payment, Payment.installment_id == Installment.id)
            .where(Payment.approved_at < sa.literal(f.end, UTCDateTime())).group_by(Installment.contract_id).subquery())
    rows = db.session.execute(
        sa.select(Project.title, Project.budget, Contract.amount, sa.func.coalesce(paid.c.paid, 0))
        .join(Contract, Contract.project_id == Project.id).outerjoin(paid, paid.c.contract_id == Contract.id)
        .where(projects_in(f)).order_by(Project.service_start, Project.title)).all()
    return [Spending(title, Decimal(budget or 0), Decimal(amount or 0), Decimal(spent or 0))
            for title, budget, amount, spent in rows]


# --- match runs --------------------------------------------------------------------------------------

@dataclass
class RunCoverage:
    created_at: datetime
    kind: MatchKind
    region: str
    region_en: str
    status: MatchStatus
    total: int
    ours: int
    first_come: int

    def region_name(self, locale: str) -> str:
        return self.region_en if locale.startswith("en") and self.region_en else self.region


def match_runs(f: Filters) -> list[RunCoverage]:
    """The period's proposed and approved runs: needs or shift places covered by the optimizer and by first
    come, first served on the same problem (the run's stored baseline), summed over urgencies. The two sums
    are read from the runs' stored JSON, which SQL cannot add up the same way on both databases."""
    rows = db.session.execute(
        sa.select(MatchRun.created_at, MatchRun.kind, Region.name, Region.name_en, MatchRun.status, MatchRun.result,
                  MatchRun.baseline)
        .join(Region, Region.id == MatchRun.region_id)
        .where(runs_in(f), f.during(MatchRun.created_at), MatchRun.kind.in_((MatchKind.shifts, MatchKind.cases)),
               MatchRun.status.in_((MatchStatus.proposed, MatchStatus.approved)))
        .order_by(MatchRun.created_at)).all()
    runs = []
    for created_at, kind, name, name_en, status, result, baseline in rows:
        ours = ((result or {}).get("stats") or {}).get("coverage_by_urgency", {})
        theirs = (baseline or {}).get("coverage_by_urgency", {})
        total = sum(int(pair[1]) for pair in ours.values())
        runs.append(RunCoverage(created_at, kind, name, name_en, status, total,
                                sum(int(pair[0]) for pair in ours.values()),
                                sum(int(pair[0]) for pair in theirs.values())))
    return runs


@dataclass
class Dashboard:
    """Every figure of one dashboard."""
    needs_by_sector: list = field(default_factory=list)
    needs_by_community: list = field(default_factory=list)
    coverage: list = field(default_factory=list)
    coverage_by_community: dict = field(default_factory=dict)
    response_times: list = field(default_factory=list)
    hours_by_week: list = field(default_factory=list)
    hours_by_community: list = field(default_factory=list)
    spending: list = field(default_factory=list)
    satisfaction: list = field(default_factory=list)
    no_shows: list = field(default_factory=list)
    match_runs: list = field(default_factory=list)
    places: dict = field(default_factory=dict)


def dashboard(f: Filters, now: datetime) -> Dashboard:
    places, community_of = communities()
    return Dashboard(
        needs_by_sector=needs_by_sector(f), needs_by_community=needs_by_community(f, places, community_of),
        coverage=coverage_by_urgency(f, now), coverage_by_community=coverage_by_community(f, now, community_of),
        response_times=response_times(f), hours_by_week=hours_by_week(f),
        hours_by_community=hours_by_community(f, places, community_of), spending=spending(f),
        satisfaction=satisfaction_by_community(f, places, community_of),
        no_shows=no_shows_by_community(f, places, community_of), match_runs=match_runs(f), places=places)
