"""Volunteers with approved hours, for the record tests."""
from __future__ import annotations

from datetime import timedelta

from linkage.extensions import db
from linkage.models import HoursStatus, SignUp, SignUpStatus
from tests.factories import make_shift, now


def approved_entry(world, volunteer=None, *, minutes=120, title="Companionship visits", days_ago=3, decided_by=None):
    """A past shift of community 1 led by social worker A, with ``volunteer``'s approved ``minutes``."""
    volunteer = volunteer or world.volunteer
    start = (now() - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    shift = make_shift(volunteer.region, lead=world.worker, start=start, hours=max(2, -(-minutes // 60)), title=title)
    shift.created_by = world["worker"]
    record = SignUp(shift=shift, volunteer=volunteer, slot=shift.slots[0], status=SignUpStatus.checked_out,
                    checked_in_at=start, checked_out_at=start + timedelta(minutes=minutes), minutes=minutes,
                    hours_status=HoursStatus.approved, hours_decided_at=start + timedelta(hours=3),
                    hours_decided_by_id=(decided_by or world["worker"]).id)
    db.session.add(record)
    db.session.flush()
    return record
