"""The deadline verdict: whether something finished within a target counted from its start.

A thing with a start, a finish (None while unfinished) and a target in hours is *in time* when it finished
no later than the target after its start, *late* when it finished after that, or has not finished by now
although the target has passed, and *not yet due* while it has not finished and the target has not passed.
Two rules of a need read it, each with its own start, finish and target: responded on time
(``linkage.needs.ontime``: from filing to the community's response, the response target) and served in time
(``linkage.needs.served``: from verification to being taken up, the service target). ``verdict`` judges one
thing in Python, ``verdict_sql`` builds the same verdict as SQL conditions for sums in a query; the two agree.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from linkage.database import elapsed_hours
from linkage.models.types import UTCDateTime


def verdict(start: datetime, finish: Optional[datetime], hours: float, now: datetime) -> Optional[bool]:
    """True in time, False late, None not yet due."""
    due = start + timedelta(hours=hours)
    if finish is not None:
        return finish <= due
    return False if now >= due else None


def verdict_sql(start, finish, hours, now: datetime, eligible):
    """SQL: (counted, in time) as two conditions, the verdict ``verdict`` gives one row, of the rows that
    meet ``eligible``; ``start``, ``finish`` and ``hours`` are SQL expressions (``finish`` NULL while
    unfinished)."""
    waited = elapsed_hours(sa.literal(now, UTCDateTime()), start)
    counted = sa.and_(eligible, sa.or_(finish.is_not(None), waited >= hours))
    in_time = sa.and_(eligible, finish.is_not(None), elapsed_hours(finish, start) <= hours)
    return counted, in_time


def sums(counted, in_time):
    """SQL aggregates of ``verdict_sql``'s two conditions: (rows counted, rows in time)."""
    return (sa.func.coalesce(sa.func.sum(sa.case((counted, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((in_time, 1), else_=0)), 0))
