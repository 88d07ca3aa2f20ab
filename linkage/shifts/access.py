"""Who may do what with a shift: the checks views (and the JSON API later) share."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (Bid, BidStatus, Project, RUNNING_STATUSES, Role, Shift, ShiftStatus, SignUp,
                            SocialWorker, User, Volunteer)

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


def volunteer_of(user: User) -> Optional[Volunteer]:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))


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


def can_edit(user: User, shift: Shift) -> bool:
    """Edit and cancel: creator, lead, the winning organization's admin, the community's staff for
    community activities, site admins."""
    if not user.is_authenticated:
        return False
    if user.role == Role.admin:
        return True
    if _is_lead_or_creator(user, shift) or _is_org_manager(user, shift):
        return True
    return (shift.project_id is None and user.role == Role.community_staff
            and user.region_id == shift.region_id)


def can_run(user: User, shift: Shift) -> bool:
    """Roster, check-in/out, no-shows, hours: the lead (or creator), the community's staff, the winning
    organization's admin, site admins."""
    if not user.is_authenticated:
        return False
    if user.role == Role.admin:
        return True
    if _is_lead_or_creator(user, shift) or _is_org_manager(user, shift):
        return True
    return user.role == Role.community_staff and user.region_id == shift.region_id


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
        mine = db.session.scalar(sa.select(SignUp.id).where(
            SignUp.shift_id == shift.id, SignUp.volunteer_id == volunteer.id))
        if mine is not None:
            return True
        street = volunteer_street(volunteer)
        return (shift.status in (ShiftStatus.open, ShiftStatus.staffed)
                and street is not None and street.contains(shift.region))
    if user.role in (Role.community_staff, Role.civil_affairs, Role.observer):
        return user.can_see_region(shift.region)
    if user.role in PROJECT_CREATORS and user.organization_id is not None:
        if shift.project is not None and winning_organization_id(shift.project) == user.organization_id:
            return True
        return shift.lead is not None and shift.lead.organization_id == user.organization_id
    return False


def volunteer_street(volunteer: Volunteer):
    """The street (sub-district) around a volunteer's home: the area whose shifts they browse."""
    from linkage.models import RegionLevel

    region = volunteer.region
    if region is None:
        return None
    return region.ancestor_at(RegionLevel.street) or region
