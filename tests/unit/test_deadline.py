"""The deadline verdict both need rules read (responded on time, served in time): in time, late or not yet
due, the same in Python and in SQL; and the response rule, now built on it, agrees with itself need by need
as the service rule does (tests/unit/test_served.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Need, NeedStatus
from linkage.models.types import UTCDateTime
from linkage.needs import deadline, ontime
from linkage.needs.targets import Targets
from tests.factories import make_need

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
HOURS = 24

# (hours after the start it finished, or None; hours after the start it is now) → the verdict.
CASES = [
    (23, 100, True),       # finished before the target
    (24, 100, True),       # at the target: still in time
    (25, 100, False),      # after: late
    (25, 10, False),       # late is late whenever it is asked (the finish is what counts)
    (None, 23, None),      # not finished, target not passed: not yet due
    (None, 24, False),     # not finished when the target passes: late
    (None, 500, False),
]


def at(hours):
    return START + timedelta(hours=hours) if hours is not None else None


def sql_verdict(finish, now, eligible=sa.true()):
    start = sa.literal(START, UTCDateTime())
    end = sa.literal(at(finish), UTCDateTime())
    counted, in_time = deadline.verdict_sql(start, end, sa.literal(HOURS), at(now), eligible)
    row = db.session.execute(sa.select(sa.case((counted, 1), else_=0), sa.case((in_time, 1), else_=0))).one()
    return None if not row[0] else bool(row[1])


@pytest.mark.parametrize("finish,now,expected", CASES)
def test_in_time_late_or_not_yet_due_alike_in_python_and_sql(app, finish, now, expected):
    assert deadline.verdict(START, at(finish), HOURS, at(now)) is expected
    assert sql_verdict(finish, now) is expected


def test_rows_not_eligible_are_not_counted(app):
    assert sql_verdict(1, 100, eligible=sa.false()) is None
    counted, in_time = deadline.verdict_sql(sa.literal(START, UTCDateTime()), sa.literal(at(1), UTCDateTime()),
                                            sa.literal(HOURS), at(100), sa.true())
    assert db.session.execute(sa.select(*deadline.sums(counted, in_time))).one() == (1, 1)


def test_the_response_rule_gives_one_verdict_in_python_and_in_sql(world):
    """Filed at START with a 24-hour response target (urgency 3): each need's verdict from ``ontime``'s
    Python rule and its SQL conditions, at several moments."""
    made = []
    for status, answered in ((NeedStatus.open, 10), (NeedStatus.open, 30), (NeedStatus.submitted, None),
                             (NeedStatus.rejected, 20), (NeedStatus.rejected, 40), (NeedStatus.withdrawn, None),
                             (NeedStatus.withdrawn, 5)):
        need = make_need(world.resident, world.visits, status=status, urgency=3)
        need.created_at = START
        if status == NeedStatus.rejected:
            need.closed_at = at(answered)
        elif answered is not None:
            need.verified_at = at(answered)
        made.append(need)
    db.session.commit()
    targets = Targets.load()
    assert targets.hours(world.visits.id, 3) == HOURS
    for now in (10, 23, 24, 30, 100):
        counted, on_time = ontime.verdict_sql(targets, at(now))
        rows = dict((need_id, None if not c else bool(o)) for need_id, c, o in db.session.execute(
            sa.select(Need.id, sa.case((counted, 1), else_=0), sa.case((on_time, 1), else_=0))
            .where(Need.id.in_([n.id for n in made]))))
        python = [ontime._counted(need, targets, at(now)) for need in made]
        assert python == [rows[need.id] for need in made], now
        if now == 23:
            assert python == [True, False, None, True, False, None, None]
        if now == 100:
            assert python == [True, False, False, True, False, None, None]
