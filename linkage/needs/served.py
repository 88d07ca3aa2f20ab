"""Served in time: the one rule for whether a need was served within its service target.

A verified need is *taken up* when a project, a shift or a case took it on (``matched_at``; a need delivered
without a recorded match counts from ``delivered_at``). It is *served in time* when it was taken up within the
service target of its urgency after it was verified, and *late* when it was taken up after that, or has not
been taken up by now although the target has passed. A need whose target has not passed and that is not yet
taken up is not counted (not yet due). Needs never verified, withdrawn or merged into another, and past paper
records (no times of service were kept on paper) are not counted at all.

The service target of each urgency is a locality setting (``SERVICE_HOURS_*``, on the settings page,
audited). The defaults, counted from verification:

- critical, 24 hours: a need that cannot wait (no heating, no food, a person alone and unwell) is met the
  next day at the latest, the pace of the community's own duty rota;
- urgent, 72 hours: three days, time to find a volunteer or a worker for a shift this week;
- soon, 168 hours: one week, one round of the weekly shift planning;
- routine, 336 hours: two weeks, the interval after which a verified need still unserved goes on the joint
  meeting's agenda (``MEETING_UNSERVED_DAYS``): past it, the need is by the platform's own measure waiting
  too long.

This is serving, not responding: how fast the community verified or turned a need down is the response
target (``linkage.needs.targets``, ``linkage.needs.ontime``), a different measure. The dashboards' coverage
and the forecast's coverage gap both read this rule: ``verdict`` for one need, ``verdict_sql`` for sums in
a query; the two agree need by need. Both are the deadline verdict (``linkage.needs.deadline``) the response
rule reads too, from verification to being taken up, against the service target.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from linkage import settings
from linkage.models import Need, NeedChannel, NeedStatus
from linkage.needs import deadline

SETTINGS = {1: "SERVICE_HOURS_ROUTINE", 2: "SERVICE_HOURS_SOON", 3: "SERVICE_HOURS_URGENT",
            4: "SERVICE_HOURS_CRITICAL"}
# Needs that asked for nothing more (withdrawn) or are counted in another (merged).
LEFT_OUT = (NeedStatus.withdrawn, NeedStatus.merged)


@dataclass(frozen=True)
class ServiceTargets:
    """The service target in hours of each urgency 1–4."""
    hours_by_urgency: dict

    @classmethod
    def load(cls) -> ServiceTargets:
        return cls({urgency: int(settings.get(name)) for urgency, name in SETTINGS.items()})

    def hours(self, urgency: int) -> int:
        return self.hours_by_urgency.get(urgency, self.hours_by_urgency[1])


def taken_up_at(need) -> Optional[datetime]:
    """When a project, a shift or a case took the need up (its delivery if no match was recorded)."""
    return need.matched_at if need.matched_at is not None else need.delivered_at


def verdict(need, targets: ServiceTargets, now: datetime) -> Optional[bool]:
    """True served in time, False late, None not counted (not verified, withdrawn, merged, a paper record,
    or not yet due)."""
    if need.verified_at is None or need.status in LEFT_OUT or need.channel == NeedChannel.paper_record:
        return None
    return deadline.verdict(need.verified_at, taken_up_at(need), targets.hours(need.urgency), now)


def target_hours_sql(targets: ServiceTargets):
    """SQL on ``Need``: its service target in hours."""
    return sa.case(targets.hours_by_urgency, value=Need.urgency, else_=targets.hours(1))


def verdict_sql(targets: ServiceTargets, now: datetime):
    """SQL on ``Need``: (counted, served in time) as two conditions, the verdict ``verdict`` gives one need,
    for sums in a query."""
    eligible = sa.and_(Need.verified_at.is_not(None), Need.status.not_in(LEFT_OUT),
                       Need.channel != NeedChannel.paper_record)
    return deadline.verdict_sql(Need.verified_at, sa.func.coalesce(Need.matched_at, Need.delivered_at),
                                target_hours_sql(targets), now, eligible)


def sums(targets: ServiceTargets, now: datetime):
    """SQL aggregates: (needs counted, needs served in time)."""
    return deadline.sums(*verdict_sql(targets, now))
