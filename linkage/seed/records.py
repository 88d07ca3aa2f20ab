"""The demo volunteer's service record: every Saturday of the demo's history at the elderly home (enough approved
hours for a star), one certificate issued and one on public notice; every volunteer numbered. Each step
runs through the services as of its moment (``demo.later``), like the rest of the demo's history."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa

from linkage import audit

from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import AuditEvent, HoursStatus, Region, SignUp, SignUpStatus, User, Volunteer, VolunteerNumber
from linkage.records import numbers, services as record_services
from linkage.shifts import places, services as shift_services
from linkage.timeutil import LOCAL_TZ, local_to_utc

SERVICE_HOURS = 7           # 09:00-16:00 every Saturday of the demo's history: over 100 hours, one star
SERVICE_TITLE = "敬老院周末陪伴日"


def _saturdays(since: datetime, now: datetime) -> list[datetime]:
    """09:00 local of every Saturday from a week after ``since`` to two weeks before ``now``."""
    today = now.astimezone(LOCAL_TZ).date()
    last = today - timedelta(days=(today.weekday() - 5) % 7 + 14)
    first = since.astimezone(LOCAL_TZ).date() + timedelta(days=7)
    days = []
    while last >= first:
        days.append(local_to_utc(datetime.combine(last, time(9))))
        last -= timedelta(weeks=1)
    return days[::-1]


def plan(demo) -> None:
    """Put the demo volunteer's service days and certificates into the demo's history (which starts after
    the last event already written)."""
    me = demo.demo_volunteer
    community = demo.communities[0]
    staff_id = demo.staff_of[community.id]
    audit.append_pending()  # the events recorded so far join the chain, so the newest can be read
    latest = db.session.scalar(sa.select(sa.func.max(AuditEvent.at)))
    since = max(latest, me["created_at"]) if latest is not None else me["created_at"]
    for start in _saturdays(since, demo.now):
        holder: dict = {}
        demo.later(start - timedelta(days=6), lambda h=holder, s=start: _create(h, community, s, staff_id))
        demo.later(start - timedelta(days=5), lambda h=holder: _sign_up(h, me["id"], staff_id))
        demo.later(start - timedelta(minutes=5), lambda h=holder: _step(h, places.check_in, staff_id))
        demo.later(start + timedelta(hours=SERVICE_HOURS), lambda h=holder: _step(h, places.check_out, staff_id))
        demo.later(start + timedelta(hours=SERVICE_HOURS, minutes=40), lambda h=holder: _close(h, staff_id))
        demo.later(start + timedelta(days=1), lambda h=holder: _approve(h, staff_id))
    demo.later(demo.now - timedelta(days=12), lambda: _request(me["id"]))
    demo.later(demo.now - timedelta(days=3), lambda: _issue(me["id"], staff_id))
    demo.later(demo.now - timedelta(days=2), lambda: _request(me["id"]))


def _create(holder: dict, community: Region, start: datetime, staff_id: int) -> None:
    staff = db.session.get(User, staff_id)
    data = shift_services.ShiftData(
        title=f"{community.name}·{SERVICE_TITLE}", community=community, place=f"{community.name}敬老院",
        start=start, end=start + timedelta(hours=SERVICE_HOURS), min_volunteers=1, slots=[(None, 4)],
        description="陪伴老人聊天、读报、做手工。", latitude=community.latitude, longitude=community.longitude)
    holder["shift"] = shift_services.create_shift(data, project=None, actor=staff)


def _sign_up(holder: dict, volunteer_id: int, staff_id: int) -> None:
    volunteer = db.session.get(Volunteer, volunteer_id)
    try:
        holder["sign_up"] = places.sign_up(holder["shift"], volunteer, actor=volunteer.user)
    except Refused:   # another shift of theirs that week: the morning passes without them
        holder["sign_up"] = None


def _held(holder: dict) -> Optional[SignUp]:
    record = holder.get("sign_up")
    return record if record is not None and record.status != SignUpStatus.waitlisted else None


def _step(holder: dict, action, staff_id: int) -> None:
    if _held(holder) is not None:
        action(holder["sign_up"], actor=db.session.get(User, staff_id))


def _close(holder: dict, staff_id: int) -> None:
    places.close_shift(holder["shift"], actor=db.session.get(User, staff_id))


def _approve(holder: dict, staff_id: int) -> None:
    record = _held(holder)
    if record is not None and record.hours_status == HoursStatus.pending:
        places.decide_hours([record], approve=True, actor=db.session.get(User, staff_id))


def _request(volunteer_id: int) -> None:
    volunteer = db.session.get(Volunteer, volunteer_id)
    record_services.request_certificate(volunteer, actor=volunteer.user)


def _issue(volunteer_id: int, staff_id: int) -> None:
    from linkage.models import Certificate, CertificateStatus
    certificate = db.session.scalar(sa.select(Certificate).where(
        Certificate.volunteer_id == volunteer_id, Certificate.status == CertificateStatus.notice))
    staff = db.session.get(User, staff_id)
    record_services.issue_certificate(certificate, person_in_charge="李建国", contact=staff.phone or "021-63210000",
                                      actor=staff)


def number_volunteers() -> int:
    """Give every volunteer without a number theirs, in the order they registered."""
    missing = db.session.scalars(sa.select(Volunteer).where(~sa.exists().where(
        VolunteerNumber.volunteer_id == Volunteer.id)).order_by(Volunteer.created_at, Volunteer.id)).all()
    numbers.assign_all(missing)
    return len(missing)



