"""Served in time, with a controlled clock: one need at a time, the Python verdict and the SQL verdict give the
same answer; the target is the administrator's setting of the need's urgency, counted from verification."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from linkage import settings
from linkage.extensions import db
from linkage.models import AuditEvent, Need, NeedChannel, NeedStatus
from linkage.needs import served
from tests.factories import make_need

VERIFIED = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
HOURS = {1: 336, 2: 168, 3: 72, 4: 24}


def sql_verdict(need, targets, now):
    counted, in_time = served.verdict_sql(targets, now)
    row = db.session.execute(sa.select(sa.case((counted, 1), else_=0), sa.case((in_time, 1), else_=0))
                             .where(Need.id == need.id)).one()
    return None if not row[0] else bool(row[1])


def need(world, urgency=4, matched=None, delivered=None, status=NeedStatus.matched, **fields):
    made = make_need(world.resident, world.visits, status=status, urgency=urgency)
    made.verified_at = VERIFIED
    made.matched_at = VERIFIED + timedelta(hours=matched) if matched is not None else None
    made.delivered_at = VERIFIED + timedelta(hours=delivered) if delivered is not None else None
    for name, value in fields.items():
        setattr(made, name, value)
    db.session.commit()
    return made


def both(made, now, targets=None):
    targets = targets or served.ServiceTargets.load()
    python, sql = served.verdict(made, targets, now), sql_verdict(made, targets, now)
    assert python == sql, (python, sql)
    return python


def test_the_default_targets_are_the_settings_of_each_urgency(world):
    assert served.ServiceTargets.load().hours_by_urgency == HOURS
    assert all(settings.get(name) == HOURS[urgency] for urgency, name in served.SETTINGS.items())


@pytest.mark.parametrize("urgency", [1, 2, 3, 4])
def test_taken_up_within_the_target_after_verification_is_served_in_time(world, urgency):
    target, later = HOURS[urgency], VERIFIED + timedelta(days=60)
    assert both(need(world, urgency, matched=target - 1), later) is True
    assert both(need(world, urgency, matched=target), later) is True          # at the target: still in time
    assert both(need(world, urgency, matched=target + 1), later) is False     # taken up after: late
    # Delivered with no match recorded: the delivery is when it was taken up.
    assert both(need(world, urgency, delivered=target - 2, status=NeedStatus.delivered), later) is True
    assert both(need(world, urgency, delivered=target + 2, status=NeedStatus.delivered), later) is False
    # The match counts, not a later delivery.
    assert both(need(world, urgency, matched=1, delivered=target + 50, status=NeedStatus.delivered), later) is True


def test_not_taken_up_is_not_yet_due_until_the_target_passes_then_late(world):
    waiting = need(world, 4, status=NeedStatus.open)
    assert both(waiting, VERIFIED + timedelta(hours=23)) is None
    assert both(waiting, VERIFIED + timedelta(hours=24)) is False
    assert both(waiting, VERIFIED + timedelta(days=30)) is False
    expired = need(world, 1, status=NeedStatus.expired)
    assert both(expired, VERIFIED + timedelta(hours=335)) is None
    assert both(expired, VERIFIED + timedelta(hours=337)) is False


def test_paper_records_withdrawn_merged_and_unverified_needs_are_not_counted(world):
    later = VERIFIED + timedelta(days=60)
    assert both(need(world, 4, channel=NeedChannel.paper_record, status=NeedStatus.delivered, delivered=100),
                later) is None
    assert both(need(world, 4, matched=1, status=NeedStatus.withdrawn), later) is None
    assert both(need(world, 4, status=NeedStatus.withdrawn), later) is None
    assert both(need(world, 4, status=NeedStatus.merged), later) is None
    assert both(need(world, 4, status=NeedStatus.submitted, verified_at=None), later) is None
    assert both(need(world, 4, status=NeedStatus.rejected, verified_at=None), later) is None


def test_the_administrator_moves_the_target_and_the_verdict_follows(world):
    made = need(world, 4, matched=30)
    later = VERIFIED + timedelta(days=60)
    assert both(made, later) is False
    settings.change("SERVICE_HOURS_CRITICAL", "48", actor=world["admin"])
    db.session.commit()
    assert served.ServiceTargets.load().hours(4) == 48
    assert both(made, later) is True
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "setting.change"))
    assert event.after == {"name": "SERVICE_HOURS_CRITICAL", "value": 48}
