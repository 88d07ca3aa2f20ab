"""What the needs forecast reads: monthly counts of reported needs, today's coverage gap, past unit costs.

Months are local calendar months (Asia/Shanghai) of a need's report (``created_at``). Merged duplicates are
left out (the need they were merged into counts once); every other reported need counts, the community's
past paper records included.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa

from linkage import timeutil
from linkage.extensions import db
from linkage.models import Need, NeedStatus, Project, ProjectStatus, Region, User
from linkage.models.projects import project_categories
from linkage.needs import access, served
from linkage.needs.targets import sector_map

# Projects whose budget was committed to the needs they cover: awarded, or further along.
COMMITTED = (ProjectStatus.awarded, ProjectStatus.contracted, ProjectStatus.in_progress,
             ProjectStatus.midterm_evaluated, ProjectStatus.completed, ProjectStatus.final_evaluated)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_start_utc(index: int) -> datetime:
    return timeutil.local_day_start(month_start(index))


def _community_of(regions: dict[int, Region]) -> dict[int, int]:
    """Region id -> the id of its community (a region above community level maps to itself)."""
    return {rid: region.community_area().id for rid, region in regions.items()}


@dataclass
class History:
    """Monthly counts of reported needs per (sector id, community id), months ``first``..``last``."""
    first: int
    last: int
    counts: dict[tuple[int, int], list[int]]

    def series(self, sector_id: Optional[int] = None, community_id: Optional[int] = None) -> list[int]:
        total = [0] * (self.last - self.first + 1)
        for (sector, community), values in self.counts.items():
            if (sector_id is None or sector == sector_id) and (community_id is None or community == community_id):
                total = [a + b for a, b in zip(total, values)]
        return total


def monthly_counts(condition, first: int, last: int) -> History:
    """Needs matching ``condition`` (a scope: ``linkage.needs.access.visible_needs`` of a reader, or a region's
    subtree), reported in months ``first``..``last`` (month indexes), counted per sector and community."""
    sector_of = sector_map()
    regions = {r.id: r for r in db.session.scalars(sa.select(Region))}
    community_of = _community_of(regions)
    rows = db.session.execute(sa.select(Need.created_at, Need.category_id, Need.region_id).where(
        condition, Need.status != NeedStatus.merged,
        Need.created_at >= month_start_utc(first), Need.created_at < month_start_utc(last + 1)))
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * (last - first + 1))
    for created_at, category_id, region_id in rows:
        month = month_index(timeutil.to_local(created_at).date())
        key = (sector_of.get(category_id, category_id), community_of[region_id])
        counts[key][month - first] += 1
    return History(first, last, dict(counts))


def first_month(condition) -> Optional[int]:
    """The month of the oldest need matching ``condition`` (None: no need at all)."""
    oldest = db.session.scalar(sa.select(sa.func.min(Need.created_at)).where(
        condition, Need.status != NeedStatus.merged))
    return month_index(timeutil.to_local(oldest).date()) if oldest is not None else None


@dataclass
class Gap:
    """Verified platform needs of a sector whose service was due, and how many were not served in time."""
    counted: int = 0
    late: int = 0

    @property
    def share(self) -> Optional[float]:
        return self.late / self.counted if self.counted else None


def coverage_gaps(user: User, now: Optional[datetime] = None, days: int = 365) -> dict[int, Gap]:
    """Per sector, of the needs ``user`` may see verified in the last ``days`` days: those the served-in-time
    rule counts (``linkage.needs.served``) and, of them, those not served within their service target."""
    now = now or timeutil.now()
    sector_of = sector_map()
    counted, in_time = served.sums(served.ServiceTargets.load(), now)
    rows = db.session.execute(sa.select(Need.category_id, counted, in_time).where(
        access.visible_needs(user), Need.verified_at >= now - timedelta(days=days)).group_by(Need.category_id))
    gaps: dict[int, Gap] = defaultdict(Gap)
    for category_id, needs, on_time in rows:
        if needs:
            gap = gaps[sector_of.get(category_id, category_id)]
            gap.counted += needs
            gap.late += needs - on_time
    return dict(gaps)


@dataclass
class UnitCost:
    """Budget committed per beneficiary, from awarded projects and the beneficiaries they set out to serve."""
    budget: Decimal = Decimal(0)
    beneficiaries: Decimal = Decimal(0)
    projects: int = 0

    @property
    def per_need(self) -> Optional[Decimal]:
        """Yuan per need served (a need is one beneficiary served), to the fen; None without a project."""
        return (self.budget / self.beneficiaries).quantize(Decimal("0.01")) if self.beneficiaries else None


def unit_costs() -> tuple[dict[int, UnitCost], UnitCost]:
    """Per sector and for all sectors: the budgets of projects awarded or further along over the beneficiaries
    they target (a project of several sectors shares both equally among them; one without a target of
    beneficiaries is left out). Read over every project, whoever asks: a price is not personal, and a small
    scope has too few projects of its own."""
    sector_of = sector_map()
    rows = db.session.execute(sa.select(Project.id, Project.budget, Project.target_beneficiaries,
                                        project_categories.c.category_id)
                              .join(project_categories, project_categories.c.project_id == Project.id)
                              .where(Project.status.in_(COMMITTED), Project.target_beneficiaries > 0)
                              .order_by(Project.id)).all()
    projects: dict[int, tuple[Decimal, int, set]] = {}
    for project_id, budget, beneficiaries, category_id in rows:
        entry = projects.setdefault(project_id, (Decimal(budget), beneficiaries, set()))
        entry[2].add(sector_of.get(category_id, category_id))
    per_sector: dict[int, UnitCost] = defaultdict(UnitCost)
    overall = UnitCost(projects=len(projects))
    for budget, beneficiaries, sectors in projects.values():
        overall.budget += budget
        overall.beneficiaries += beneficiaries
        for sector in sectors:
            cost = per_sector[sector]
            cost.budget += budget / len(sectors)
            cost.beneficiaries += Decimal(beneficiaries) / len(sectors)
            cost.projects += 1
    return dict(per_sector), overall
