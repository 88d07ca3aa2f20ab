"""Projects and bids as each user may see them; needs to bundle; a project's coverage and satisfaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from linkage.extensions import db
from linkage.listing import matching_text
from linkage.models import (RUNNING_STATUSES, Bid, BidStatus, Category, Feedback, HoursStatus, Need,
                            NeedStatus, Organization, Project, ProjectStatus, Region, RegionLevel,
                            Role, Shift, SignUp, User)
from linkage.models.projects import project_categories
from linkage.projects import access

# Bids still in the competition after the deadline.
VALID_BID_STATUSES = (BidStatus.submitted, BidStatus.scored)
# Bids that stood through the evaluation: the valid ones, and after the award the winner and the others.
EVALUATED_BID_STATUSES = (*VALID_BID_STATUSES, BidStatus.won, BidStatus.lost)
# Need statuses shown in a project's coverage, in lifecycle order.
COVERAGE_STATUSES = (NeedStatus.open, NeedStatus.matched, NeedStatus.in_service, NeedStatus.delivered,
                     NeedStatus.closed)


# --------------------------------------------------------------------------- projects


def projects_visible_to(user: User, status: Optional[ProjectStatus] = None,
                        category_id: Optional[int] = None):
    """Projects ``user`` may read (see ``access.visible_projects``), newest first."""
    query = (sa.select(Project).join(Region, Project.region_id == Region.id)
             .options(joinedload(Project.region), selectinload(Project.categories))
             .where(access.visible_projects(user)))
    if status is not None:
        query = query.where(Project.status == status)
    if category_id:
        query = query.where(Project.id.in_(sa.select(project_categories.c.project_id).where(
            project_categories.c.category_id.in_(category_and_descendants(category_id)))))
    return query.order_by(Project.created_at.desc(), Project.id.desc())


def category_and_descendants(category_id: int):
    """Ids of a taxonomy node and everything under it (three levels: sector > category > sub-category)."""
    children = sa.select(Category.id).where(Category.parent_id == category_id)
    return sa.select(Category.id).where(sa.or_(
        Category.id == category_id, Category.parent_id == category_id, Category.parent_id.in_(children)))


def owner_region_choices(user: User, keep=()) -> list[Region]:
    """Regions a project of ``user``'s can belong to: their subtree, down to communities (not retired, but for
    ``keep``)."""
    levels = (RegionLevel.district, RegionLevel.street, RegionLevel.community)
    query = sa.select(Region).where(Region.level.in_(levels), Region.offered(keep)).order_by(Region.path)
    if user.role != Role.admin:
        if user.region is None:
            return []
        query = query.where(Region.path.startswith(user.region.path))
    return list(db.session.scalars(query))


# --------------------------------------------------------------------------- bids


def own_bid(project: Project, org: Organization) -> Optional[Bid]:
    return db.session.scalar(
        sa.select(Bid).where(Bid.project_id == project.id, Bid.organization_id == org.id))


def bids_visible_to(user: User, project: Project, at: datetime, status: Optional[BidStatus] = None,
                    text: Optional[str] = None) -> list[Bid]:
    """The bids of ``project`` that ``user`` may read (see ``access.visible_bids``), best first; while
    the prices are sealed, in the order they were made (an order by price would reveal them). Narrowed to one
    status and to organizations whose name holds ``text`` (never by price)."""
    query = (sa.select(Bid).where(Bid.project_id == project.id, access.visible_bids(user, project))
             .options(joinedload(Bid.organization), selectinload(Bid.team))
             .order_by(*sealed_safe_order(project, at)))
    if status is not None:
        query = query.where(Bid.status == status)
    if text:
        query = matching_text(query.join(Organization, Organization.id == Bid.organization_id), text,
                              Organization.name)
    return list(db.session.scalars(query))


def sealed_safe_order(project: Project, at: datetime) -> tuple:
    """Bids best first, or while the prices are sealed in the order they were made."""
    if access.bidding_sealed(project, at):
        return (Bid.id,)
    return (Bid.total_score.desc().nulls_last(), Bid.price, Bid.id)


def valid_bids(project: Project) -> list[Bid]:
    return _bids_in(project, VALID_BID_STATUSES)


def _bids_in(project: Project, statuses) -> list[Bid]:
    return list(db.session.scalars(
        sa.select(Bid).where(Bid.project_id == project.id, Bid.status.in_(statuses))
        .options(joinedload(Bid.organization)).execution_options(populate_existing=True)
        .order_by(Bid.total_score.desc().nulls_last(), Bid.price, Bid.id)))


def evaluated_bids(project: Project) -> list[Bid]:
    """The bids the panel scores: the valid ones, still counted once the award made them won or lost."""
    return _bids_in(project, EVALUATED_BID_STATUSES)


def bids_of_organization(org: Organization, viewer: User, status: Optional[BidStatus] = None,
                         text: Optional[str] = None):
    """The organization's bids on the projects ``viewer`` may read (see ``access.visible_projects``), drafts
    only to the organization itself (``access.not_anothers_draft``), newest first; narrowed to one status and
    to projects whose title holds ``text`` (never by price: it may be sealed)."""
    query = (sa.select(Bid).join(Project, Bid.project_id == Project.id)
             .join(Region, Project.region_id == Region.id)
             .where(Bid.organization_id == org.id, access.visible_projects(viewer), access.not_anothers_draft(viewer))
             .options(joinedload(Bid.project))
             .order_by(Bid.created_at.desc(), Bid.id.desc()))
    if status is not None:
        query = query.where(Bid.status == status)
    return matching_text(query, text, Project.title)


def bids_by_project(org: Organization, project_ids) -> dict[int, Bid]:
    """The organization's bids on the listed projects, by project id (one query for a list page)."""
    if not project_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Bid).where(Bid.organization_id == org.id, Bid.project_id.in_(project_ids)))
    return {bid.project_id: bid for bid in rows}


def used_capacity(org: Organization) -> int:
    """Workload the organization's running projects take from its capacity."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Bid.workload), 0)).join(Project, Bid.project_id == Project.id)
        .where(Bid.organization_id == org.id, Bid.status == BidStatus.won,
               Project.status.in_(RUNNING_STATUSES))) or 0


# --------------------------------------------------------------------------- needs


def available_needs(user: User, *, category_id: Optional[int] = None, community_id: Optional[int] = None,
                    project: Optional[Project] = None):
    """Open (verified) needs in ``user``'s scope not bundled into another project, most urgent first."""
    query = (sa.select(Need).where(Need.status == NeedStatus.open)
             .options(joinedload(Need.category), joinedload(Need.region)))
    free = Need.project_id.is_(None)
    query = query.where(sa.or_(free, Need.project_id == project.id) if project is not None else free)
    if user.role != Role.admin:
        if user.region is None:
            return query.where(sa.false())
        query = query.where(Region.subtree_clause(Need.region_id, user.region))
    if category_id:
        query = query.where(Need.category_id.in_(category_and_descendants(category_id)))
    if community_id:
        community = db.session.get(Region, community_id)
        if community is not None:
            query = query.where(Region.subtree_clause(Need.region_id, community))
    return query.order_by(Need.urgency.desc(), Need.created_at, Need.id)


def project_needs(project: Project):
    return (sa.select(Need).where(Need.project_id == project.id)
            .options(joinedload(Need.category), joinedload(Need.region)).order_by(Need.id))


@dataclass
class Coverage:
    """How far a project's needs got, how residents rated them and the volunteer hours on its shifts."""

    by_status: dict
    total: int
    delivered: int
    rating_average: Optional[float]
    rating_count: int
    volunteer_minutes: int

    @property
    def delivered_share(self) -> Optional[float]:
        return self.delivered / self.total if self.total else None

    @property
    def volunteer_hours(self) -> float:
        return round(self.volunteer_minutes / 60, 1)


def coverage(project: Project) -> Coverage:
    counts = dict(db.session.execute(
        sa.select(Need.status, sa.func.count(Need.id)).where(Need.project_id == project.id)
        .group_by(Need.status)).all())
    by_status = {status: counts.get(status, 0) for status in COVERAGE_STATUSES}
    average, count = db.session.execute(
        sa.select(sa.func.avg(Feedback.rating), sa.func.count(Feedback.id))
        .join(Need, Feedback.need_id == Need.id).where(Need.project_id == project.id)).one()
    minutes = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(SignUp.minutes), 0)).join(Shift, SignUp.shift_id == Shift.id)
        .where(Shift.project_id == project.id, SignUp.hours_status == HoursStatus.approved))
    # Needs a resident withdrew (or staff rejected) no longer count against the project.
    total = sum(n for status, n in counts.items()
                if status not in (NeedStatus.withdrawn, NeedStatus.rejected))
    return Coverage(by_status=by_status, total=total,
                    delivered=counts.get(NeedStatus.delivered, 0) + counts.get(NeedStatus.closed, 0),
                    rating_average=round(float(average), 2) if average is not None else None,
                    rating_count=count or 0, volunteer_minutes=int(minutes or 0))
