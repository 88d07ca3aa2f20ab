"""Joint meetings as each person may see them, and the data an agenda is drafted from."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from linkage import settings
from linkage.contracts import queries as contract_queries
from linkage.extensions import db
from linkage.organizations import queries as org_queries
from linkage.meetings.access import CONVENERS, MEETING_LEVELS, PARTICIPANT_ROLES
from linkage.models import (HOLDING_STATUSES, AccountStatus, Contract, ContractStatus, DecisionStatus, Feedback,
                            Meeting, MeetingDecision, Need, NeedStatus, Region, Role, Shift, ShiftStatus,
                            SignUp, User, VisitRating)
from linkage.models.meetings import meeting_participants

RATINGS_SINCE_DAYS = 90  # ratings given within this many days
ITEMS_PER_KIND = 10      # the agenda lists at most this many records of each kind


def meetings_visible_to(user: User):
    """Meetings ``user`` may open, soonest-planned first then the latest held."""
    query = (sa.select(Meeting).options(joinedload(Meeting.region))
             .order_by(Meeting.starts_at.desc(), Meeting.id.desc()))
    if user.role == Role.admin:
        return query
    mine = Meeting.id.in_(sa.select(meeting_participants.c.meeting_id)
                          .where(meeting_participants.c.user_id == user.id))
    if user.role in (Role.civil_affairs, Role.observer) and user.region is not None:
        return query.where(sa.or_(mine, Region.subtree_clause(Meeting.region_id, user.region)))
    if user.role in CONVENERS and user.region_id is not None:
        return query.where(sa.or_(mine, Meeting.region_id == user.region_id))
    return query.where(mine)


def meeting_for_page(meeting_id: int):
    return db.session.scalar(sa.select(Meeting).where(Meeting.id == meeting_id).options(
        joinedload(Meeting.region), selectinload(Meeting.participants), selectinload(Meeting.items),
        selectinload(Meeting.decisions).joinedload(MeetingDecision.responsible)))


def region_choices(user: User) -> list[Region]:
    """Communities and streets ``user`` may convene a meeting for."""
    if user.region is None and user.role != Role.admin:
        return []
    if user.role == Role.community_staff:
        return [user.region] if user.region.level in MEETING_LEVELS else []
    query = sa.select(Region).where(Region.level.in_(MEETING_LEVELS)).order_by(Region.path)
    if user.role != Role.admin:
        query = query.where(Region.path.startswith(user.region.path))
    return list(db.session.scalars(query))


def participant_choices(region: Region) -> list[User]:
    """Active people of the four forces around ``region``: those whose place lies in its street (or in the
    region itself), the civil affairs staff whose area holds it, and the admins of the organizations serving
    it (by the organization's service area, not the admin's own account)."""
    street = region.street_area()
    above, node = [], region
    while node is not None:
        above.append(node.id)
        node = node.parent
    near = sa.or_(sa.and_(User.role != Role.org_admin, Region.subtree_clause(User.region_id, street)),
                  sa.and_(User.role == Role.civil_affairs, User.region_id.in_(above)),
                  User.id.in_(org_queries.admins_serving(region)))
    return list(db.session.scalars(sa.select(User).where(
        User.status == AccountStatus.active, User.role.in_(PARTICIPANT_ROLES), near)
        .order_by(User.role, User.display_name, User.id)))


def open_decisions(region: Region, *, before: datetime | None = None) -> list[MeetingDecision]:
    """Decisions of earlier meetings of this place still open: the next meeting follows them up."""
    query = (sa.select(MeetingDecision).join(Meeting, Meeting.id == MeetingDecision.meeting_id)
             .where(Meeting.region_id == region.id, MeetingDecision.status == DecisionStatus.open)
             .options(joinedload(MeetingDecision.responsible)).order_by(MeetingDecision.due_on, MeetingDecision.id))
    if before is not None:
        query = query.where(Meeting.starts_at < before)
    return list(db.session.scalars(query))


def decisions_due(user: User, until) -> list[MeetingDecision]:
    """Open decisions ``user`` owns, due on or before ``until``."""
    return list(db.session.scalars(sa.select(MeetingDecision).where(
        MeetingDecision.responsible_id == user.id, MeetingDecision.status == DecisionStatus.open,
        MeetingDecision.due_on <= until).order_by(MeetingDecision.due_on, MeetingDecision.id)))


# --- what an agenda is drafted from ----------------------------------------------------------------------

def overdue_needs(region: Region) -> list[Need]:
    return list(db.session.scalars(sa.select(Need).where(
        Region.subtree_clause(Need.region_id, region), Need.status == NeedStatus.submitted, Need.overdue_at.is_not(None))
        .order_by(Need.overdue_at, Need.id).limit(ITEMS_PER_KIND)))


def unserved_needs(region: Region, moment: datetime) -> list[Need]:
    since = moment - timedelta(days=int(settings.get("MEETING_UNSERVED_DAYS")))
    return list(db.session.scalars(sa.select(Need).where(
        Region.subtree_clause(Need.region_id, region), Need.status == NeedStatus.open, Need.created_at <= since)
        .order_by(Need.urgency.desc(), Need.created_at, Need.id).limit(ITEMS_PER_KIND)))


def short_shifts(region: Region, moment: datetime) -> list[Shift]:
    """Open shifts starting within the look-ahead that hold fewer volunteers than their minimum."""
    until = moment + timedelta(days=int(settings.get("MEETING_LOOKAHEAD_DAYS")))
    holding = (sa.select(sa.func.count(SignUp.id)).where(SignUp.shift_id == Shift.id,
                                                         SignUp.status.in_(HOLDING_STATUSES))
               .correlate(Shift).scalar_subquery())
    return list(db.session.scalars(sa.select(Shift).where(
        Region.subtree_clause(Shift.region_id, region), Shift.status.in_((ShiftStatus.open, ShiftStatus.staffed)),
        Shift.start >= moment, Shift.start < until, holding < Shift.min_volunteers)
        .order_by(Shift.start, Shift.id).limit(ITEMS_PER_KIND)))


def projects_behind(region: Region, moment: datetime) -> list[tuple[Contract, float, float]]:
    """Signed contracts of the place whose targets met lag the share of their term gone by more than
    ten points: (contract, targets met %, term gone %)."""
    contracts = db.session.scalars(sa.select(Contract).where(
        Region.subtree_clause(Contract.region_id, region), Contract.status == ContractStatus.signed)
        .options(joinedload(Contract.project)).order_by(Contract.id)).all()
    today = moment.date()
    behind = []
    for contract in contracts:
        days = (contract.term_end - contract.term_start).days or 1
        gone = max(0.0, min(1.0, (today - contract.term_start).days / days)) * 100
        met = contract_queries.progress(contract.project, contract).targets_met
        if met + 10 < gone:
            behind.append((contract, met, round(gone, 1)))
    return behind[:ITEMS_PER_KIND]


def low_ratings(region: Region, moment: datetime) -> list[Need]:
    """Needs whose service, or one of whose visits, the resident rated low (``RATING_FOLLOW_UP_AT``, the
    rating that opens a follow-up) within the last months."""
    since, low = moment - timedelta(days=RATINGS_SINCE_DAYS), int(settings.get("RATING_FOLLOW_UP_AT"))
    rated = sa.union(
        sa.select(Feedback.need_id.label("need_id")).where(Feedback.rating <= low, Feedback.created_at >= since),
        sa.select(VisitRating.need_id.label("need_id")).where(VisitRating.rating <= low,
                                                              VisitRating.created_at >= since)).subquery()
    return list(db.session.scalars(sa.select(Need).where(Region.subtree_clause(Need.region_id, region), Need.id.in_(
        sa.select(rated.c.need_id))).order_by(Need.id).limit(ITEMS_PER_KIND)))
