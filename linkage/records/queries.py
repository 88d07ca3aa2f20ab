"""The selects of volunteers' records, scoped: the one place per list."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from linkage.extensions import db
from linkage.models import (Certificate, CertificateStatus, CorrectionStatus, HoursCorrection, HoursStatus, Region,
                            Role, Shift, SignUp, User, Volunteer, VolunteerComplaint, VolunteerNumber)
from linkage.records import access
from linkage.shifts.access import can_run, volunteer_of


def correctable_entries(user: User) -> list[SignUp]:
    """Approved entries the user may ask to correct: their own (a volunteer) or on shifts they run."""
    query = (sa.select(SignUp).join(Shift, Shift.id == SignUp.shift_id)
             .where(SignUp.hours_status == HoursStatus.approved)
             .options(joinedload(SignUp.shift), joinedload(SignUp.volunteer)).order_by(Shift.start.desc(), SignUp.id))
    if user.role == Role.volunteer:
        volunteer = volunteer_of(user)
        return list(db.session.scalars(query.where(SignUp.volunteer_id == (volunteer.id if volunteer else 0))))
    if user.role != Role.social_worker:
        return []
    return [r for r in db.session.scalars(query.limit(500)) if can_run(user, r.shift)]


def corrections_to_decide(user: User) -> list[HoursCorrection]:
    rows = db.session.scalars(
        sa.select(HoursCorrection).where(HoursCorrection.status == CorrectionStatus.pending)
        .options(joinedload(HoursCorrection.sign_up).joinedload(SignUp.shift).joinedload(Shift.region),
                 joinedload(HoursCorrection.sign_up).joinedload(SignUp.volunteer),
                 joinedload(HoursCorrection.filed_by))
        .order_by(HoursCorrection.created_at)).all()
    return [c for c in rows if access.can_decide_correction(user, c)]


def corrections_of(volunteer: Volunteer) -> list[HoursCorrection]:
    return list(db.session.scalars(
        sa.select(HoursCorrection).join(SignUp, SignUp.id == HoursCorrection.sign_up_id)
        .where(SignUp.volunteer_id == volunteer.id)
        .options(joinedload(HoursCorrection.sign_up).joinedload(SignUp.shift))
        .order_by(HoursCorrection.created_at.desc())))


def approved_entries(volunteer: Volunteer, limit: int = 50) -> list[SignUp]:
    return list(db.session.scalars(
        sa.select(SignUp).join(Shift, Shift.id == SignUp.shift_id)
        .where(SignUp.volunteer_id == volunteer.id, SignUp.hours_status == HoursStatus.approved)
        .options(joinedload(SignUp.shift)).order_by(Shift.start.desc(), SignUp.id.desc()).limit(limit)))


def certificates_of(volunteer: Volunteer) -> list[Certificate]:
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.volunteer_id == volunteer.id)
                                   .order_by(Certificate.requested_at.desc())))


def complaints_about(volunteer: Volunteer) -> list[VolunteerComplaint]:
    return list(db.session.scalars(sa.select(VolunteerComplaint).where(VolunteerComplaint.volunteer_id == volunteer.id)
                                   .options(joinedload(VolunteerComplaint.recorded_by))
                                   .order_by(VolunteerComplaint.created_at.desc())))


def on_notice() -> list[Certificate]:
    """Certificates on public notice, for the public page (names and numbers only)."""
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.status == CertificateStatus.notice)
                                   .options(joinedload(Certificate.volunteer), joinedload(Certificate.region))
                                   .order_by(Certificate.requested_at.desc()).limit(200)))


def to_issue(user: User) -> list[Certificate]:
    """Certificates on notice in the staff member's area (whether their notice is over or not)."""
    query = (sa.select(Certificate).join(Region, Region.id == Certificate.region_id)
             .where(Certificate.status == CertificateStatus.notice)
             .options(joinedload(Certificate.volunteer), joinedload(Certificate.region))
             .order_by(Certificate.notice_until))
    if user.role != Role.admin:
        scope = user.region
        if scope is None:
            return []
        query = query.where(Region.path.startswith(scope.path))
    return list(db.session.scalars(query.limit(200)))


def volunteers_for_export(user: User) -> list[tuple[Volunteer, Optional[str], int]]:
    """The volunteers of ``user``'s area, each with their number and approved minutes, by number."""
    minutes = (sa.select(SignUp.volunteer_id, sa.func.sum(SignUp.minutes).label("minutes"))
               .where(SignUp.hours_status == HoursStatus.approved).group_by(SignUp.volunteer_id).subquery())
    query = (sa.select(Volunteer, VolunteerNumber.number, sa.func.coalesce(minutes.c.minutes, 0))
             .outerjoin(VolunteerNumber, VolunteerNumber.volunteer_id == Volunteer.id)
             .outerjoin(minutes, minutes.c.volunteer_id == Volunteer.id)
             .where(access.visible_volunteers(user))
             .options(joinedload(Volunteer.region), selectinload(Volunteer.skills))
             .order_by(VolunteerNumber.number, Volunteer.id))
    return [(v, number, int(m or 0)) for v, number, m in db.session.execute(query).unique()]


def approved_hours_for_export(user: User) -> list[tuple[SignUp, Optional[str]]]:
    """Approved service entries of the volunteers of ``user``'s area, each with the volunteer's number,
    newest shift first."""
    query = (sa.select(SignUp, VolunteerNumber.number).join(Shift, Shift.id == SignUp.shift_id)
             .join(Volunteer, Volunteer.id == SignUp.volunteer_id)
             .outerjoin(VolunteerNumber, VolunteerNumber.volunteer_id == Volunteer.id)
             .where(SignUp.hours_status == HoursStatus.approved, access.visible_volunteers(user))
             .options(joinedload(SignUp.shift).joinedload(Shift.region), joinedload(SignUp.volunteer))
             .order_by(Shift.start.desc(), SignUp.id.desc()))
    return [(sign_up, number) for sign_up, number in db.session.execute(query).unique()]
