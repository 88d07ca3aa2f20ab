"""Who may see and manage which project and bid: the one place for these rules.

Views turn a False into 403; the list queries take their filter from here."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from linkage.auth.access import can_see_region
from linkage.extensions import db
from linkage.organizations import access as org_access
from linkage.models import (Bid, BidStatus, Complaint, PanelMember, PanelStatus, Project, ProjectStatus, Region,
                            Role, User)

# Roles that only read projects (never drafts): observers their region subtree, experts the projects
# whose panel they sit on.
READERS = (Role.expert, Role.observer)
# Panel members who still sit on the panel (an expert who recused or was removed no longer reads it).
SITTING = (PanelStatus.assigned, PanelStatus.joined)
ORG_ROLES = (Role.org_admin, Role.social_worker)
# A project's results (winner, prices, scores) are public once it is awarded.
AWARDED_STATUSES = (ProjectStatus.awarded, ProjectStatus.contracted, ProjectStatus.in_progress,
                    ProjectStatus.midterm_evaluated, ProjectStatus.completed, ProjectStatus.final_evaluated)


def visible_projects(user: User):
    """SQL condition on ``Project`` joined with its ``Region``: the projects ``user`` may read.

    Civil affairs: their subtree. Organizations: published projects whose region is an ancestor or a
    descendant of their service area, plus every project they bid on or run. Experts: the projects
    whose panel they sit on. Observers: their subtree, drafts excepted. Admins: all.
    """
    if user.role == Role.admin:
        return sa.true()
    if user.role == Role.civil_affairs and user.region is not None:
        return Region.path.startswith(user.region.path)
    if user.role == Role.expert:
        return sa.and_(Project.status != ProjectStatus.draft, Project.id.in_(
            sa.select(PanelMember.project_id).where(PanelMember.expert_id == user.id,
                                                    PanelMember.status.in_(SITTING))))
    if user.role in READERS and user.region is not None:
        return sa.and_(Region.path.startswith(user.region.path), Project.status != ProjectStatus.draft)
    if user.role in ORG_ROLES and user.organization is not None:
        org = user.organization
        return sa.or_(sa.and_(Project.status == ProjectStatus.published, org_access.overlapping(org.region)),
                      Project.id.in_(sa.select(Bid.project_id).where(Bid.organization_id == org.id)))
    return sa.false()


def can_manage_project(user: User, project: Project) -> bool:
    """Civil affairs staff whose scope contains the project's owner region (and admins)."""
    return user.role == Role.admin or (
        user.role == Role.civil_affairs and can_see_region(user, project.region))


def can_create_project(user: User) -> bool:
    """Civil affairs staff (and admins) bundle open needs into projects."""
    return user.role in (Role.civil_affairs, Role.admin)


def can_edit_project(user: User, project: Project) -> bool:
    """A draft, by the civil affairs staff who manage it."""
    return project.status == ProjectStatus.draft and can_manage_project(user, project)


def can_view_project(user: User, project: Project) -> bool:
    if can_manage_project(user, project):
        return True
    if user.role == Role.expert:
        return panel_seat(user, project) is not None
    if user.role in READERS:
        return project.status != ProjectStatus.draft and can_see_region(user, project.region)
    org = user.organization if user.role in ORG_ROLES else None
    if org is None:
        return False
    if project.status == ProjectStatus.published and org_access.serves(org, project.region):
        return True
    return db.session.scalar(sa.select(Bid.id).where(
        Bid.project_id == project.id, Bid.organization_id == org.id).limit(1)) is not None


def can_bid(user: User, project: Project) -> bool:
    """Coarse check for the bid pages: an organization admin who may see the project."""
    return user.role == Role.org_admin and user.organization is not None and can_view_project(user, project)


def can_submit_bid(user: User, project: Project, now: datetime) -> bool:
    """The bid button: an organization admin who may see the project, while the bidding is open."""
    return project.bidding_open(now) and can_bid(user, project)


def can_withdraw_bid(user: User, project: Project, own: Optional[Bid], now: datetime) -> bool:
    """The organization's own submitted bid, while the bidding is open."""
    return own is not None and own.status == BidStatus.submitted and can_submit_bid(user, project, now)


def results_public(project: Project) -> bool:
    return project.status in AWARDED_STATUSES


def visible_bids(user: User, project: Project):
    """SQL condition on ``Bid`` for the bids of ``project`` that ``user`` may read: the one rule for every
    list of bids.

    A draft (never submitted, or sent back by a change of the terms) is its organization's alone. Beyond
    that, civil affairs see every bid; after the award everyone sees the ranked results; before it an
    organization sees only its own bid (and other readers none)."""
    if can_manage_project(user, project):
        return not_anothers_draft(user)
    if results_public(project):
        return Bid.status.in_((BidStatus.won, BidStatus.lost))
    if user.role in ORG_ROLES and user.organization_id is not None:
        return Bid.organization_id == user.organization_id
    return sa.false()


def not_anothers_draft(user: Optional[User]):
    """SQL condition on ``Bid``: not a draft, unless it is ``user``'s organization's own (None: nobody's).
    A draft is not a bid yet: until it is submitted only its organization knows of it."""
    own = user.organization_id if user is not None and user.role in ORG_ROLES else None
    if own is None:
        return Bid.status != BidStatus.draft
    return sa.or_(Bid.status != BidStatus.draft, Bid.organization_id == own)


def bidding_sealed(project: Project, now: datetime) -> bool:
    """Before the bidding deadline every bid's price is sealed, from civil affairs too."""
    return now < project.bidding_deadline


def can_see_bid_price(user: User, bid: Bid, now: datetime) -> bool:
    """The one rule for a bid's price and the scores derived from it, on every page and export.

    The bidding organization always sees its own bid. Nobody else sees a price before the bidding
    deadline. After it, the civil affairs staff who manage the project (and the experts assigned to
    score it) see every bid; after the award the results (winner and losers) are public to whoever
    may read the project."""
    project = bid.project
    if user.role in ORG_ROLES and user.organization_id is not None and user.organization_id == bid.organization_id:
        return True
    if bidding_sealed(project, now):
        return False
    if can_manage_project(user, project) or can_enter_scores(user, project):
        return True
    return bid_price_public(bid, now) and can_view_project(user, project)


def bid_price_public(bid: Bid, now: datetime) -> bool:
    """A price the award notice publishes, to anyone (the public page, open contracting data): a ranked
    bid (won or lost) of an awarded project, never before the bidding deadline."""
    return (not bidding_sealed(bid.project, now) and results_public(bid.project)
            and bid.status in (BidStatus.won, BidStatus.lost))


# A project whose bidding has closed and whose evaluation is not over.
SCORING_STATUSES = (ProjectStatus.bidding_closed, ProjectStatus.evaluated)


def panel_seat(user: User, project: Project) -> Optional[PanelMember]:
    """The expert's seat on the project's panel while they sit on it (assigned or joined), else None."""
    if user.role != Role.expert or project.status == ProjectStatus.draft:
        return None
    return db.session.scalar(sa.select(PanelMember).where(
        PanelMember.project_id == project.id, PanelMember.expert_id == user.id, PanelMember.status.in_(SITTING)))


def is_assigned_expert(user: User, project: Project) -> bool:
    """An expert evaluator reads the projects whose panel civil affairs assigned them to."""
    return panel_seat(user, project) is not None


def can_declare(user: User, project: Project, now: datetime) -> bool:
    """An assigned expert declares conflicts of interest once the bidders are known (after the deadline)."""
    seat = panel_seat(user, project)
    return seat is not None and not bidding_sealed(project, now) and project.status in SCORING_STATUSES


def can_panel_score(user: User, project: Project) -> bool:
    """An expert who joined the panel (no conflict declared), while the evaluation is open."""
    seat = panel_seat(user, project)
    return seat is not None and seat.status == PanelStatus.joined and project.status in SCORING_STATUSES


def can_enter_scores(user: User, project: Project) -> bool:
    """Civil affairs staff who manage the project (any time: the page says when scoring is open), and
    the experts who joined its panel once the bidding deadline has passed and until the evaluation is over."""
    if can_manage_project(user, project):
        return True
    return can_panel_score(user, project)


def can_see_panel_record(user: User, project: Project) -> bool:
    """The panel's record (who scored what, when): the civil affairs staff who manage the project."""
    return can_manage_project(user, project)


def can_amend_project(user: User, project: Project, now: datetime) -> bool:
    """A published project's terms, while the bidding is open, by the civil affairs staff who manage it."""
    return project.bidding_open(now) and can_manage_project(user, project)


def can_see_award_notice(user: User, project: Project) -> bool:
    """The award notice: once awarded, to whoever may read the project."""
    return results_public(project) and can_view_project(user, project)


def can_complain(user: User, project: Project, org_bid: Optional[Bid]) -> bool:
    """The admin of an organization that bid (a submitted bid, not a draft) on an awarded project."""
    return (user.role == Role.org_admin and org_bid is not None and org_bid.status != BidStatus.draft
            and project.status in AWARDED_STATUSES)


def can_read_complaints(user: User, project: Project, org_bid: Optional[Bid]) -> bool:
    """The complaints page: the managers, a bidder's admin after the award, and an organization that
    complained (it reads the answer even after an upheld complaint set the award aside)."""
    if can_manage_project(user, project) or can_complain(user, project, org_bid):
        return True
    return user.role == Role.org_admin and org_bid is not None and db.session.scalar(
        sa.select(Complaint.id).where(Complaint.project_id == project.id,
                                      Complaint.organization_id == org_bid.organization_id).limit(1)) is not None
