"""The on-time share of needs per sector and community, as city 311 services report theirs.

A need counts once its response is due or given: on time when the community responded (verified it or
turned it down, ``linkage.needs.targets.responded_at``) by its target, late when it responded after, or
has not responded by now (still waiting, or expired unanswered). Withdrawn needs asked for nothing and
needs not yet due are left out, and so are past paper records (no response time was kept on paper). A share
is shown only for a sector and community with at least
``ON_TIME_MIN_COUNT`` needs counted; with fewer, chance says more than the service.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from linkage import settings, sheets, timeutil
from linkage.extensions import db
from linkage.models import Category, Need, NeedChannel, NeedStatus, Region, User
from linkage.needs import access, deadline
from linkage.needs.targets import URGENCIES, Targets, default_hours, responded_at


@dataclass
class Row:
    community: Region
    sector: Category
    counted: int = 0
    on_time: int = 0
    shown: bool = False

    @property
    def share(self) -> Optional[float]:
        """On time / counted, 0..1; None when too few needs were counted to report it."""
        return self.on_time / self.counted if self.shown and self.counted else None


def min_count() -> int:
    """``ON_TIME_MIN_COUNT``: the fewest needs counted for which an on-time share is shown."""
    return int(settings.get("ON_TIME_MIN_COUNT"))


def share_shown(counted: int, minimum: int) -> bool:
    """Whether an on-time share of ``counted`` needs is shown: at least ``minimum`` (``min_count``) and at
    least one; with fewer, chance says more than the service. The on-time report and the dashboards'
    coverage both ask this."""
    return counted > 0 and counted >= minimum


def _counted(need: Need, targets: Targets, now: datetime) -> Optional[bool]:
    """True on time, False late, None not counted."""
    if need.status == NeedStatus.withdrawn:
        return None
    hours = targets.hours(need.category_id, need.urgency)
    return deadline.verdict(need.created_at, responded_at(need), hours, now)


def target_hours_sql(targets: Targets):
    """SQL on ``Need``: its response target in hours, as ``Targets.hours`` gives it."""
    otherwise = sa.case({u: default_hours(u) for u in URGENCIES}, value=Need.urgency, else_=default_hours(1))
    whens = []
    for (sector, urgency), hours in sorted(targets.rows.items()):
        categories = [c for c, s in targets.sector_of.items() if s == sector]
        whens.append((sa.and_(Need.urgency == urgency, Need.category_id.in_(categories)), hours))
    return sa.case(*whens, else_=otherwise) if whens else otherwise


def responded_at_sql():
    """SQL on ``Need``: ``linkage.needs.targets.responded_at``."""
    return sa.case((Need.verified_at.is_not(None), Need.verified_at),
                   (Need.status == NeedStatus.rejected, Need.closed_at))


def verdict_sql(targets: Targets, now: datetime):
    """SQL on ``Need``: (counted, on time) as two conditions, the same verdict as ``_counted`` gives one need,
    for sums in a query."""
    return deadline.verdict_sql(Need.created_at, responded_at_sql(), target_hours_sql(targets), now,
                                Need.status != NeedStatus.withdrawn)


def report(user: User, now: Optional[datetime] = None) -> list[Row]:
    """Rows per community and sector of the needs ``user`` may see, ordered by community and sector."""
    now = now or timeutil.now()
    targets = Targets.load()
    minimum = min_count()
    regions = {r.id: r for r in db.session.scalars(sa.select(Region))}
    categories = {c.id: c for c in db.session.scalars(sa.select(Category))}
    needs = db.session.scalars(sa.select(Need).where(access.visible_needs(user),
                                                     Need.channel != NeedChannel.paper_record)
                               .execution_options(yield_per=1000))
    rows: dict[tuple[int, int], Row] = {}
    for need in needs:
        verdict = _counted(need, targets, now)
        if verdict is None:
            continue
        community = regions[need.region_id].community_area()
        sector = categories[targets.sector_of.get(need.category_id, need.category_id)]
        row = rows.setdefault((community.id, sector.id), Row(community, sector))
        row.counted += 1
        row.on_time += verdict
    for row in rows.values():
        row.shown = share_shown(row.counted, minimum)
    return sorted(rows.values(), key=lambda r: (r.community.path, r.sector.code))


def as_csv(rows: list[Row], locale: str) -> str:
    """The report as CSV (UTF-8 with a byte order mark, so spreadsheet programs read the Chinese)."""
    headers = [_("Community"), _("Sector"), _("Needs counted"), _("Responded on time"), _("On-time share (%)")]
    return sheets.to_csv(headers, ([row.community.display_name(locale), row.sector.display_name(locale),
                                    row.counted, row.on_time if row.shown else "",
                                    f"{row.share * 100:.1f}" if row.shown else _("Too few to report")]
                                   for row in rows)).decode("utf-8")
