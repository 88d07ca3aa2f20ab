"""Queries about shifts and sign-ups, scoped to the reader; views and the JSON API reuse them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from linkage.extensions import db
from linkage.listing import matching_text, within_days
from linkage.models import (Bid, BidStatus, HoursStatus, Need, NeedStatus, Project, Region, RegionLevel,
                            RUNNING_STATUSES, TAKEN_STATUSES, Role, Shift, ShiftSlot, ShiftStatus, SignUp, SignUpStatus,
                            SocialWorker, User, Volunteer)
from linkage.shifts import access, eligibility
from linkage.timeutil import local_day_start
from matching.geo import haversine_km

# Needs a shift can still serve.
SERVABLE_NEED_STATUSES = (NeedStatus.open, NeedStatus.matched, NeedStatus.in_service)


def _won_projects(organization_id: int):
    return sa.select(Bid.project_id).where(Bid.organization_id == organization_id, Bid.status == BidStatus.won)


def _with_list_details(query):
    return query.options(selectinload(Shift.slots).joinedload(ShiftSlot.skill), joinedload(Shift.region),
                         joinedload(Shift.project), joinedload(Shift.lead))


def shifts_visible_to(user: User, volunteer: Optional[Volunteer] = None, *, now: datetime):
    """Shifts ``user`` may list (see ``access.visible_shifts``)."""
    return _with_list_details(sa.select(Shift)).where(access.visible_shifts(user, volunteer, now=now))


@dataclass
class ShiftFilters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    community_id: Optional[int] = None
    skill_id: Optional[int] = None
    urgency: Optional[int] = None    # at least this urgent
    status: Optional[ShiftStatus] = None
    when: str = "upcoming"      # upcoming, past or all
    # A volunteer's search: at most this far from home (km), and only shifts the eligibility rule lets them take.
    within_km: Optional[float] = None
    fits: bool = False


# How many upcoming shifts a volunteer's search reads before the rule and the distance filter them (a street's
# shifts for the coming weeks; beyond that, narrow the dates).
SEARCH_WINDOW = 400


def apply_filters(query, filters: ShiftFilters, *, now: datetime):
    if filters.date_from:
        query = query.where(Shift.start >= local_day_start(filters.date_from))
    if filters.date_to:
        query = query.where(Shift.start < local_day_start(filters.date_to + timedelta(days=1)))
    if filters.community_id:
        query = query.where(Shift.region_id == filters.community_id)
    if filters.skill_id:
        query = query.where(Shift.slots.any(ShiftSlot.skill_id == filters.skill_id))
    if filters.urgency:
        query = query.where(Shift.urgency >= filters.urgency)
    if filters.status is not None:
        query = query.where(Shift.status == filters.status)
    if filters.when == "past":
        return query.where(Shift.end <= now).order_by(Shift.start.desc(), Shift.id.desc())
    if filters.when == "upcoming":
        query = query.where(Shift.end > now)
    return query.order_by(Shift.start, Shift.id)


def distance_km(volunteer: Volunteer, shift: Shift) -> Optional[float]:
    """How far the shift is from the volunteer's home (great-circle km); None when either has no location."""
    if None in (volunteer.latitude, volunteer.longitude, shift.latitude, shift.longitude):
        return None
    return haversine_km((volunteer.latitude, volunteer.longitude), (shift.latitude, shift.longitude))


def search(query, volunteer: Volunteer, filters: ShiftFilters, *, now: datetime, locale: str) -> list[Shift]:
    """A volunteer's search: the shifts of ``query`` (filtered and sorted by start in SQL, at most
    SEARCH_WINDOW) that are within ``filters.within_km`` of home and, with ``filters.fits``, that the
    eligibility rule lets them take (skills, clashes with places held, rest, weekly limit …), in one pass
    with a bounded number of queries. A shift without a location, or a volunteer without one, is kept:
    its distance is unknown, not too far."""
    shifts = list(db.session.scalars(query.limit(SEARCH_WINDOW)).unique())
    if filters.within_km is not None:
        shifts = [s for s in shifts if (d := distance_km(volunteer, s)) is None or d <= filters.within_km]
    if filters.fits:
        reasons = eligibility.check_many(volunteer, shifts, now=now, self_service=True, locale=locale)
        shifts = [s for s in shifts if reasons[s.id] is None]
    return shifts


@dataclass
class Places:
    """How full a shift is: holding sign-ups, waiting list, requests."""
    capacity: int
    taken: int = 0
    waitlisted: int = 0
    requested: int = 0

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.taken >= self.capacity


def places(shifts) -> dict[int, Places]:
    """Places for many shifts in one grouped query (slots must be loaded)."""
    result = {shift.id: Places(capacity=shift.capacity) for shift in shifts}
    if not result:
        return result
    rows = db.session.execute(
        sa.select(SignUp.shift_id, SignUp.status, sa.func.count(SignUp.id))
        .where(SignUp.shift_id.in_(list(result))).group_by(SignUp.shift_id, SignUp.status))
    for shift_id, status, count in rows:
        entry = result[shift_id]
        if status in TAKEN_STATUSES:      # an offered place is held for the one it is offered to
            entry.taken += count
        elif status == SignUpStatus.waitlisted:
            entry.waitlisted += count
        elif status == SignUpStatus.requested:
            entry.requested += count
    return result


def sign_ups_of(volunteer: Volunteer, shift_ids) -> dict[int, SignUp]:
    """A volunteer's sign-ups on the given shifts, by shift id."""
    ids = list(shift_ids)
    if volunteer is None or not ids:
        return {}
    rows = db.session.scalars(sa.select(SignUp).where(
        SignUp.volunteer_id == volunteer.id, SignUp.shift_id.in_(ids)))
    return {row.shift_id: row for row in rows}


def waitlist_order():
    """The waiting list's order, the one definition: who asked first (a renewed sign-up asks afresh)."""
    return (SignUp.created_at, SignUp.id)


def waitlist_position(sign_up: SignUp) -> int:
    """1 for the next in line."""
    return waitlist_positions([sign_up]).get(sign_up.id, 0)


def waitlist_positions(sign_ups) -> dict[int, int]:
    """Position on the waiting list (1 = next) for each waitlisted sign-up among ``sign_ups``."""
    shift_ids = {s.shift_id for s in sign_ups if s.status == SignUpStatus.waitlisted}
    if not shift_ids:
        return {}
    rows = db.session.execute(sa.select(SignUp.id, SignUp.shift_id).where(
        SignUp.shift_id.in_(shift_ids), SignUp.status == SignUpStatus.waitlisted).order_by(*waitlist_order()))
    positions, counters = {}, {}
    for sign_up_id, shift_id in rows:
        counters[shift_id] = counters.get(shift_id, 0) + 1
        positions[sign_up_id] = counters[shift_id]
    wanted = {s.id for s in sign_ups}
    return {k: v for k, v in positions.items() if k in wanted}


def roster(shift: Shift) -> list[SignUp]:
    """Every sign-up of a shift with its volunteer: places first, then the waiting list in its order,
    cancelled ones last."""
    order = sa.case({SignUpStatus.cancelled.value: 2, SignUpStatus.waitlisted.value: 1}, value=SignUp.status,
                    else_=0)
    return list(db.session.scalars(
        sa.select(SignUp).where(SignUp.shift_id == shift.id)
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user), joinedload(SignUp.slot))
        .order_by(order, *waitlist_order())))


def hours_to_approve(user: User, text: Optional[str] = None, since: Optional[date] = None,
                     until: Optional[date] = None):
    """Hours waiting for approval on the shifts whose roster ``user`` keeps (see ``access.runnable_shifts``),
    oldest shift first; narrowed to volunteers' names or shift titles holding ``text`` and to shifts starting
    on the days ``since`` to ``until``."""
    query = (sa.select(SignUp).join(Shift, Shift.id == SignUp.shift_id)
             .join(Volunteer, Volunteer.id == SignUp.volunteer_id)
             .where(SignUp.hours_status == HoursStatus.pending, access.runnable_shifts(user))
             .options(joinedload(SignUp.volunteer), joinedload(SignUp.shift).joinedload(Shift.region)))
    query = within_days(matching_text(query, text, Volunteer.name, Shift.title), Shift.start, since, until)
    return query.order_by(Shift.start, Shift.id, SignUp.id)


def shift_for_page(shift_id: int) -> Optional[Shift]:
    return db.session.scalar(_with_list_details(sa.select(Shift)).where(Shift.id == shift_id)
                             .options(selectinload(Shift.needs)))


def shift_to_sign_up(shift_id: int) -> Optional[Shift]:
    """The shift with what the view check reads (its region and lead); the sign-up itself re-reads it
    under the shift lock, so its slots and needs are not loaded here."""
    return db.session.scalar(sa.select(Shift).where(Shift.id == shift_id)
                             .options(joinedload(Shift.region), joinedload(Shift.lead)))


def creatable_projects(user: User):
    """Running projects that ``user``'s organization won (admins: every running project with a winner)."""
    query = (sa.select(Project).where(Project.status.in_(RUNNING_STATUSES))
             .options(joinedload(Project.region)).order_by(Project.title))
    if user.role == Role.admin:
        return query.where(Project.id.in_(sa.select(Bid.project_id).where(Bid.status == BidStatus.won)))
    if user.organization_id is None:
        return query.where(sa.false())
    return query.where(Project.id.in_(_won_projects(user.organization_id)))


def communities_for(user: User, project: Optional[Project]):
    """Communities a new shift may be placed in: the project's region, or the staff member's community."""
    query = (sa.select(Region).where(Region.level == RegionLevel.community, Region.active.is_(True))
             .order_by(Region.code))
    if project is not None:
        return query.where(Region.path.startswith(project.region.path))
    if user.role == Role.admin:
        return query
    return query.where(Region.id == user.region_id)


def lead_candidates(project: Optional[Project], community: Optional[Region], organization_id: Optional[int]):
    """Active social workers who may lead: the winning organization's for a project shift; for a community
    activity, those of organizations running a project that covers the community."""
    query = sa.select(SocialWorker).where(SocialWorker.active.is_(True)).order_by(SocialWorker.name)
    if project is not None:
        return query.where(SocialWorker.organization_id == organization_id)
    if community is None:
        return query.where(sa.false())
    covering = (sa.select(Bid.organization_id).join(Project, Project.id == Bid.project_id)
                .join(Region, Region.id == Project.region_id)
                .where(Bid.status == BidStatus.won, Project.status.in_(RUNNING_STATUSES),
                       sa.literal(community.path).startswith(Region.path)))
    return query.where(SocialWorker.organization_id.in_(covering))


def servable_needs(project: Optional[Project], community: Optional[Region]):
    """Needs a shift may serve: the project's open needs, or open needs in the community."""
    query = (sa.select(Need).where(Need.status.in_(SERVABLE_NEED_STATUSES))
             .options(joinedload(Need.category)).order_by(Need.urgency.desc(), Need.id))
    if project is not None:
        return query.where(Need.project_id == project.id)
    if community is None:
        return query.where(sa.false())
    return query.where(Region.subtree_clause(Need.region_id, community)).limit(200)
