"""Who may do what with a shift: the checks views (and the JSON API later) share."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from linkage import settings
from linkage.auth.access import can_see_region
from linkage.extensions import db
from linkage.models import (FINISHED_STATUSES, LIVE_STATUSES, OPEN_STATUSES, RUNNING_STATUSES, Bid,
                            BidStatus, HoursStatus, Project, Region, Role, Shift, ShiftStatus,
                            SignUp, SignUpStatus, SocialWorker, User, Volunteer)

# Roles that can open the shift list at all (each sees its own scope).
LIST_ROLES = (Role.volunteer, Role.community_staff, Role.social_worker, Role.org_admin, Role.civil_affairs,
              Role.observer)
# Roles that create shifts: project shifts (social workers and admins of the winning organization) and
# community activities (community staff).
PROJECT_CREATORS = (Role.social_worker, Role.org_admin)


def winning_organization_id(project: Optional[Project]) -> Optional[int]:
    """The organization whose bid won ``project`` (None for community activities or no winner)."""
    if project is None:
        return None
    return db.session.scalar(sa.select(Bid.organization_id).where(
        Bid.project_id == project.id, Bid.status == BidStatus.won).limit(1))


def social_worker_of(user: User) -> Optional[SocialWorker]:
    """The social-worker record of an account, if it has one."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(sa.select(SocialWorker).where(SocialWorker.user_id == user.id))


def volunteer_of(user: User, *, with_skills: bool = False) -> Optional[Volunteer]:
    """The volunteer record of an account, if it has one; ``with_skills``: in the same query, their skills
    (what the eligibility rule reads) and their region's parent (the street whose shifts they see)."""
    if user is None or not user.is_authenticated:
        return None
    query = sa.select(Volunteer).where(Volunteer.user_id == user.id)
    if with_skills:
        query = query.options(sa.orm.joinedload(Volunteer.skills), sa.orm.joinedload(Volunteer.consents),
                              sa.orm.joinedload(Volunteer.exceptions),
                              sa.orm.joinedload(Volunteer.region).joinedload(Region.parent))
    return db.session.scalars(query).unique().first()


def can_create_for_project(user: User, project: Project) -> bool:
    """Social workers and admins of the organization that won a running project; site admins."""
    if project.status not in RUNNING_STATUSES:
        return False
    if user.role == Role.admin:
        return winning_organization_id(project) is not None
    return (user.role in PROJECT_CREATORS and user.organization_id is not None
            and winning_organization_id(project) == user.organization_id)


def can_create_community_activity(user: User) -> bool:
    return user.role == Role.admin or (user.role == Role.community_staff and user.region is not None)


def _is_org_manager(user: User, shift: Shift) -> bool:
    """The org admin of the organization that won the shift's project."""
    return (user.role == Role.org_admin and user.organization_id is not None and shift.project is not None
            and winning_organization_id(shift.project) == user.organization_id)


def _is_lead_or_creator(user: User, shift: Shift) -> bool:
    if shift.created_by_id == user.id:
        return True
    return shift.lead is not None and shift.lead.user_id == user.id


def runnable_shifts(user: User):
    """SQL condition on ``Shift``: the shifts whose roster and hours ``user`` keeps, the same ones
    :func:`can_run` allows (the lead or creator, the winning organization's admin, the community's staff,
    site admins)."""
    if not user.is_authenticated:
        return sa.false()
    if user.role == Role.admin:
        return sa.true()
    leads = sa.select(SocialWorker.id).where(SocialWorker.user_id == user.id)
    mine = sa.or_(Shift.created_by_id == user.id, Shift.lead_id.in_(leads))
    if user.role == Role.org_admin and user.organization_id is not None:
        won = sa.select(Bid.project_id).where(Bid.organization_id == user.organization_id, Bid.status == BidStatus.won)
        return sa.or_(mine, Shift.project_id.in_(won))
    if user.role == Role.community_staff and user.region_id is not None:
        return sa.or_(mine, Shift.region_id == user.region_id)
    return mine


def _in_charge(user: User, shift: Shift) -> bool:
    """Site admins, the shift's creator or lead, the winning organization's admin."""
    return user.is_authenticated and (user.role == Role.admin or _is_lead_or_creator(user, shift)
                                      or _is_org_manager(user, shift))


def _community_staff_of(user: User, shift: Shift) -> bool:
    return user.is_authenticated and user.role == Role.community_staff and user.region_id == shift.region_id


def can_edit(user: User, shift: Shift) -> bool:
    """Edit and cancel: creator, lead, the winning organization's admin, the community's staff for
    community activities, site admins."""
    return _in_charge(user, shift) or (shift.project_id is None and _community_staff_of(user, shift))


def can_run(user: User, shift: Shift) -> bool:
    """Roster, check-in/out, no-shows, hours: the lead (or creator), the community's staff, the winning
    organization's admin, site admins."""
    return _in_charge(user, shift) or _community_staff_of(user, shift)


def can_view(user: User, shift: Shift, volunteer: Optional[Volunteer] = None) -> bool:
    """Volunteers: open shifts in their street, or ones they signed up for. Staff: their scope.
    Organizations: their projects' shifts and shifts their social workers lead."""
    if not user.is_authenticated:
        return False
    if user.role == Role.admin or can_run(user, shift) or can_edit(user, shift):
        return True
    if user.role == Role.volunteer:
        if volunteer is None:
            return False
        street = volunteer_street(volunteer)
        if (shift.status in (ShiftStatus.open, ShiftStatus.staffed)
                and street is not None and street.contains(shift.region)):
            return True
        return db.session.scalar(sa.select(SignUp.id).where(
            SignUp.shift_id == shift.id, SignUp.volunteer_id == volunteer.id)) is not None
    if user.role in (Role.community_staff, Role.civil_affairs, Role.observer):
        return can_see_region(user, shift.region)
    if user.role in PROJECT_CREATORS and user.organization_id is not None:
        if shift.project is not None and winning_organization_id(shift.project) == user.organization_id:
            return True
        return shift.lead is not None and shift.lead.organization_id == user.organization_id
    return False


def visible_shifts(user: User, volunteer: Optional[Volunteer] = None, *, now: datetime):
    """SQL condition on ``Shift``: the shifts ``user`` may list. Volunteers: open, future shifts in the
    street they live in. Staff: their region. Organizations: their won projects' shifts, shifts their
    social workers lead, shifts they created. Admins: all."""
    if user.role == Role.admin:
        return sa.true()
    if user.role == Role.volunteer:
        region = volunteer_street(volunteer) if volunteer is not None else None
        if region is None and user.region is not None:
            region = user.region.street_area()
        if region is None:
            return sa.false()
        return sa.and_(Region.subtree_clause(Shift.region_id, region), Shift.status.in_(OPEN_STATUSES),
                       Shift.start > now)
    if user.role in (Role.community_staff, Role.civil_affairs, Role.observer):
        if user.region is None:
            return sa.false()
        return Region.subtree_clause(Shift.region_id, user.region)
    if user.role in PROJECT_CREATORS and user.organization_id is not None:
        won = sa.select(Bid.project_id).where(Bid.organization_id == user.organization_id,
                                              Bid.status == BidStatus.won)
        leads = sa.select(SocialWorker.id).where(SocialWorker.organization_id == user.organization_id)
        return sa.or_(Shift.project_id.in_(won), Shift.lead_id.in_(leads), Shift.created_by_id == user.id)
    return sa.false()


def volunteer_street(volunteer: Volunteer):
    """The street (sub-district) around a volunteer's home: the area whose shifts they browse."""
    region = volunteer.region
    if region is None:
        return None
    return region.street_area()


# --- what the pages offer -----------------------------------------------------------------------------
# The services enforce the same rules; these flags only decide which buttons a page shows.



def can_add_shifts(user: User) -> bool:
    """Project shifts (the winning organization's people) or community activities (community staff)."""
    return user.role in PROJECT_CREATORS or can_create_community_activity(user)


def can_change(user: User, shift: Shift, now: datetime) -> bool:
    """Edit: an open or staffed shift that has not started, by those who may edit it."""
    return shift.status in OPEN_STATUSES and not shift.has_started(now) and can_edit(user, shift)


def can_cancel(user: User, shift: Shift) -> bool:
    return shift.status in OPEN_STATUSES and can_edit(user, shift)


def can_sign_up(user: User, shift: Shift, volunteer: Optional[Volunteer], mine: Optional[SignUp],
                now: datetime) -> bool:
    """A volunteer without a live sign-up, on an open or staffed shift that has not started."""
    return (user.is_authenticated and user.role == Role.volunteer and volunteer is not None
            and (mine is None or mine.status == SignUpStatus.cancelled)
            and shift.status in OPEN_STATUSES and not shift.has_started(now))


def cancel_cutoff(shift: Shift) -> datetime:
    """Until when a volunteer may give up a held place by themselves: CANCEL_CUTOFF_HOURS before the start
    (the waiting list and an offer can be left until the start)."""
    return shift.start - timedelta(hours=int(settings.get("CANCEL_CUTOFF_HOURS")))


def can_withdraw(user: User, record: Optional[SignUp], now: datetime) -> bool:
    """The volunteer's own live sign-up, before the shift starts; a held place before the cut-off. An offer is
    declined instead (:func:`can_answer_offer`)."""
    if (record is None or not user.is_authenticated or record.volunteer.user_id != user.id
            or record.status not in LIVE_STATUSES or record.status == SignUpStatus.offered
            or record.shift.has_started(now)):
        return False
    return record.status != SignUpStatus.assigned or now < cancel_cutoff(record.shift)


def can_answer_offer(user: User, record: Optional[SignUp], now: datetime) -> bool:
    """The volunteer's own offer of a place, before its deadline and the shift's start."""
    return (record is not None and user.is_authenticated and record.volunteer.user_id == user.id
            and record.status == SignUpStatus.offered and record.offer_expires_at is not None
            and now < record.offer_expires_at and not record.shift.has_started(now))


def row_actions(shift: Shift, record: SignUp, now: datetime) -> set[str]:
    """What a roster row offers for ``record`` by its state: check in, no-show, check out, decide hours."""
    live, started = shift.status not in FINISHED_STATUSES, shift.has_started(now)
    offered = {"check_in": live and record.status == SignUpStatus.assigned,
               "no_show": live and record.status == SignUpStatus.assigned and started,
               "check_out": live and record.status == SignUpStatus.checked_in and started,
               # Checked in early: the page says check-out opens at the start (never before it).
               "check_out_at_start": live and record.status == SignUpStatus.checked_in and not started,
               "decide_hours": record.hours_status == HoursStatus.pending}
    return {action for action, allowed in offered.items() if allowed}


def roster_actions(user: User, shift: Shift, records, now: datetime) -> dict[int, set[str]]:
    """The buttons each roster row shows: none unless ``user`` runs the shift (checked once)."""
    runs = can_run(user, shift)
    return {record.id: row_actions(shift, record, now) if runs else set() for record in records}


def can_close(user: User, shift: Shift, now: datetime) -> bool:
    return shift.status not in FINISHED_STATUSES and shift.has_started(now) and can_run(user, shift)
