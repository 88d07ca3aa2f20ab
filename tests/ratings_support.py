"""Visits (a shift closed as done, someone attended, serving a need) for the rating tests."""
from __future__ import annotations

from datetime import timedelta

from linkage.extensions import db
from linkage.models import NeedStatus, ShiftStatus, SignUp, SignUpStatus
from tests.factories import make_need, make_shift, now


def make_visit(world, need=None, *, region=None, project=None, lead=None, title="Home visit", days_ago=3,
               done=True, volunteer=None):
    """A past shift in ``region`` (community 1) serving ``need`` (a new open need of the world's resident),
    with ``volunteer`` checked out; closed as done unless ``done`` is False. Returns (shift, need)."""
    region = region or world.c1
    need = need or make_need(world.resident, world.visits, status=NeedStatus.in_service, title=f"{title} need")
    start = (now() - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    shift = make_shift(region, project=project, lead=lead, start=start, title=title)
    shift.needs.append(need)
    shift.status = ShiftStatus.done if done else ShiftStatus.under_way
    db.session.add(SignUp(shift=shift, volunteer=volunteer or world.volunteer, slot=shift.slots[0],
                          status=SignUpStatus.checked_out, checked_in_at=start,
                          checked_out_at=start + timedelta(hours=2), minutes=120))
    db.session.flush()
    return shift, need
