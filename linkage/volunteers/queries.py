"""A volunteer's own sign-ups and hours; one query per list, no query per row."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from linkage import settings
from linkage.extensions import db
from linkage.listing import matching_text, within_days
from linkage.models import HoursStatus, Region, Role, Shift, SignUp, SupervisionNote, User, Volunteer


def _mine(volunteer: Volunteer):
    return (sa.select(SignUp).join(Shift, Shift.id == SignUp.shift_id).where(SignUp.volunteer_id == volunteer.id)
            .options(joinedload(SignUp.shift).joinedload(Shift.region), joinedload(SignUp.slot)))


def upcoming_sign_ups(volunteer: Volunteer, *, now: datetime):
    """Sign-ups for shifts that have not ended, soonest first."""
    return _mine(volunteer).where(Shift.end > now).order_by(Shift.start, SignUp.id)


def past_sign_ups(volunteer: Volunteer, *, now: datetime):
    return _mine(volunteer).where(Shift.end <= now).order_by(Shift.start.desc(), SignUp.id.desc())


def hours_entries(volunteer: Volunteer, status: Optional[HoursStatus] = None, text: Optional[str] = None,
                  since: Optional[date] = None, until: Optional[date] = None):
    """Every attendance record with minutes (approved, pending or declined), newest first; narrowed to one
    status, shifts whose title holds ``text`` and shifts starting on the days ``since`` to ``until``."""
    query = _mine(volunteer).where(SignUp.hours_status.is_not(None))
    if status is not None:
        query = query.where(SignUp.hours_status == status)
    query = within_days(matching_text(query, text, Shift.title), Shift.start, since, until)
    return query.order_by(Shift.start.desc(), SignUp.id.desc())


def minutes_by_status(volunteer: Volunteer) -> dict[HoursStatus, int]:
    rows = db.session.execute(
        sa.select(SignUp.hours_status, sa.func.coalesce(sa.func.sum(SignUp.minutes), 0))
        .where(SignUp.volunteer_id == volunteer.id, SignUp.hours_status.is_not(None))
        .group_by(SignUp.hours_status))
    totals = {status: 0 for status in HoursStatus}
    totals.update({status: int(minutes) for status, minutes in rows})
    return totals


def notes_on(volunteer: Volunteer):
    """Supervision notes on the volunteer, newest first, with their authors."""
    return (sa.select(SupervisionNote).where(SupervisionNote.volunteer_id == volunteer.id)
            .options(joinedload(SupervisionNote.author))
            .order_by(SupervisionNote.written_at.desc(), SupervisionNote.id.desc()))
def minors_in(user: User, today: date) -> list[Volunteer]:
    """Volunteers of the account's area under the adult age today, youngest first. Birth dates are
    encrypted (read from the ID number), so ages are worked out here rather than in SQL."""
    query = (sa.select(Volunteer).where(Volunteer.id_number_encrypted.is_not(None))
             .options(selectinload(Volunteer.consents), joinedload(Volunteer.region)))
    if user.role != Role.admin:
        if user.region is None:
            return []
        query = query.where(Region.subtree_clause(Volunteer.region_id, user.region))
    adult = int(settings.get("ADULT_AGE"))
    found = [v for v in db.session.scalars(query) if (v.age_on(today) or adult) < adult]
    return sorted(found, key=lambda v: (v.birth_date, v.id), reverse=True)
