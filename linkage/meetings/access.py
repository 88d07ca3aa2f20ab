"""Who may convene, see and run a joint meeting: the one place for these rules."""
from __future__ import annotations

from linkage.auth.access import can_see_region
from linkage.models import Meeting, MeetingDecision, Region, RegionLevel, Role, User

# Community staff convene for their community; civil affairs staff for a community or street of their area.
CONVENERS = (Role.community_staff, Role.civil_affairs)
# Who may take part: the four forces and the government side.
PARTICIPANT_ROLES = (Role.community_staff, Role.grid_worker, Role.org_admin, Role.social_worker, Role.volunteer,
                     Role.civil_affairs)
MEETING_LEVELS = (RegionLevel.community, RegionLevel.street)


def can_convene(user: User) -> bool:
    return user.is_authenticated and user.role in CONVENERS


def can_convene_for(user: User, region: Region) -> bool:
    """Community staff: their own community; civil affairs staff: a community or street in their area."""
    if not can_convene(user) or region is None or region.level not in MEETING_LEVELS:
        return False
    if user.role == Role.community_staff:
        return user.region_id == region.id
    return can_see_region(user, region)


def can_run(user: User, meeting: Meeting) -> bool:
    """Record minutes and decisions, change the agenda: the conveners of the meeting's place."""
    return can_convene_for(user, meeting.region) or (user.role == Role.admin)


def is_participant(user: User, meeting: Meeting) -> bool:
    return any(person.id == user.id for person in meeting.participants)


def can_view(user: User, meeting: Meeting) -> bool:
    """Those who run it, its participants, and the government side of its area (observers included)."""
    if not user.is_authenticated:
        return False
    if can_run(user, meeting) or is_participant(user, meeting):
        return True
    return user.role in (Role.civil_affairs, Role.observer) and can_see_region(user, meeting.region)


def decision_owners(meeting: Meeting) -> list[User]:
    """Who may be given a decision to carry out: the participants and the convener."""
    people = list(meeting.participants)
    if meeting.convened_by is not None and all(p.id != meeting.convened_by_id for p in people):
        people.append(meeting.convened_by)
    return people


def can_close_decision(user: User, decision: MeetingDecision) -> bool:
    """The decision's owner, or those who run its meeting."""
    return decision.responsible_id == user.id or can_run(user, decision.meeting)
