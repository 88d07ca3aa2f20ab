"""Visits (a shift that took place, serving a need), their ratings, the follow-ups, and the averages.

A visit is a shift closed as done, on which at least one volunteer attended (checked out), that served
the need (``Shift.needs``). Averages are shown only from ``RATING_MIN_COUNT`` ratings on, so that one
resident's rating cannot be read from a shift's or a small project's figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage import settings
from linkage.community.access import community_scope
from linkage.extensions import db
from linkage.models import (Bid, BidStatus, FollowUp, FollowUpStatus, Need, Organization, Project, Region, Resident,
                            Shift, ShiftStatus, SignUp, SignUpStatus, User, VisitRating)
from linkage.models.shifts import shift_needs
from linkage.needs.access import visible_needs


def _attended():
    return sa.exists().where(SignUp.shift_id == Shift.id, SignUp.status == SignUpStatus.checked_out)


def took_place():
    """SQL condition on ``Shift``: closed as done with someone attending."""
    return sa.and_(Shift.status == ShiftStatus.done, _attended())


def is_visit(shift: Shift, need: Need) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(shift_needs).join(Shift).where(
        shift_needs.c.shift_id == shift.id, shift_needs.c.need_id == need.id, took_place())) > 0


@dataclass
class Visit:
    shift: Shift
    need: Need
    rating: Optional[VisitRating]


def _visits(condition, limit: Optional[int] = None) -> list[Visit]:
    query = (sa.select(Shift, Need, VisitRating)
             .join(shift_needs, shift_needs.c.shift_id == Shift.id)
             .join(Need, Need.id == shift_needs.c.need_id)
             .outerjoin(VisitRating, sa.and_(VisitRating.shift_id == Shift.id, VisitRating.need_id == Need.id))
             .where(took_place(), condition)
             .options(joinedload(Need.resident), joinedload(VisitRating.created_by))
             .order_by(VisitRating.id.is_not(None), Shift.start.desc(), Need.id))
    if limit:
        query = query.limit(limit)
    return [Visit(shift, need, rating) for shift, need, rating in db.session.execute(query).unique()]


def own_visits(user: User) -> list[Visit]:
    """A resident's visits, those waiting for a rating first."""
    return _visits(Need.resident_id.in_(sa.select(Resident.id).where(Resident.user_id == user.id)))


def community_visits(user: User, limit: int = 100) -> list[Visit]:
    """The visits to the needs ``user`` may see (their community), unrated first."""
    return _visits(visible_needs(user), limit)


def visit_or_none(shift_id: int, need_id: int) -> Optional[tuple[Shift, Need]]:
    """The shift and need of a visit that took place, or None."""
    shift, need = db.session.get(Shift, shift_id), db.session.get(Need, need_id)
    if shift is None or need is None or not is_visit(shift, need):
        return None
    return shift, need


def rating_of(shift: Shift, need: Need) -> Optional[VisitRating]:
    return db.session.scalar(sa.select(VisitRating).where(VisitRating.shift_id == shift.id,
                                                          VisitRating.need_id == need.id))


def follow_ups_for(user: User, *, status: Optional[FollowUpStatus] = None, limit: int = 50) -> list[FollowUp]:
    """The follow-ups of ``user``'s community (admins: all), open ones first, newest first."""
    query = sa.select(FollowUp).options(joinedload(FollowUp.rating).joinedload(VisitRating.need))
    scope = community_scope(user)
    if scope is not None:
        query = query.where(Region.subtree_clause(FollowUp.region_id, scope))
    if status is not None:
        query = query.where(FollowUp.status == status)
    return list(db.session.scalars(query.order_by(FollowUp.status != FollowUpStatus.open,
                                                  FollowUp.created_at.desc()).limit(limit)))


# --- averages ------------------------------------------------------------------------------------------

@dataclass
class Rollup:
    count: int
    average: Optional[float]   # None while fewer than the minimum count were given
    minimum: int

    @property
    def shown(self) -> bool:
        return self.average is not None


def as_rollup(count, average, minimum: Optional[int] = None) -> Rollup:
    """The figure as pages show it: the average only from ``RATING_MIN_COUNT`` ratings on."""
    minimum = int(settings.get("RATING_MIN_COUNT")) if minimum is None else minimum
    shown = (count or 0) >= minimum and average is not None
    return Rollup(count=count or 0, average=round(float(average), 1) if shown else None, minimum=minimum)


def _rollup(condition) -> Rollup:
    count, average = db.session.execute(
        sa.select(sa.func.count(VisitRating.id), sa.func.avg(VisitRating.rating))
        .join(Shift, Shift.id == VisitRating.shift_id).where(condition)).one()
    return as_rollup(count, average)


def sums_by(group, condition) -> list[tuple]:
    """(value of ``group``, count, sum of ratings) of the visit ratings whose shift and rating meet
    ``condition``, grouped by ``group`` (a column of ``Shift`` or ``VisitRating``): sums that fold into larger
    areas before ``as_rollup`` makes the figure."""
    return [tuple(row) for row in db.session.execute(
        sa.select(group, sa.func.count(VisitRating.id), sa.func.sum(VisitRating.rating))
        .join(Shift, Shift.id == VisitRating.shift_id).where(condition).group_by(group))]


def for_shift(shift: Shift) -> Rollup:
    return _rollup(Shift.id == shift.id)


def for_project(project: Project) -> Rollup:
    return _rollup(Shift.project_id == project.id)


def for_organization(organization: Organization) -> Rollup:
    """The visits of the projects the organization won."""
    won = sa.select(Bid.project_id).where(Bid.organization_id == organization.id, Bid.status == BidStatus.won)
    return _rollup(Shift.project_id.in_(won))


def for_region(region: Region) -> Rollup:
    """The visits of the shifts held in ``region``'s subtree (a community, a street, the district)."""
    return _rollup(Region.subtree_clause(Shift.region_id, region))
