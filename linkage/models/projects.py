"""Government-purchased service projects and the bids on them."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.people import WorkerLevel
from linkage.models.types import Money, UTCDateTime, setting_default, utcnow

if TYPE_CHECKING:
    from linkage.models.needs import Need
    from linkage.models.organizations import Organization
    from linkage.models.panels import PanelMember, ProjectCriterion
    from linkage.models.people import SocialWorker, User
    from linkage.models.regions import Region
    from linkage.models.taxonomy import Category


class ProjectStatus(enum.Enum):
    draft = "draft"
    published = "published"            # bidding window open
    bidding_closed = "bidding_closed"
    evaluated = "evaluated"            # expert scores entered
    awarded = "awarded"
    contracted = "contracted"
    in_progress = "in_progress"
    midterm_evaluated = "midterm_evaluated"
    completed = "completed"
    final_evaluated = "final_evaluated"
    cancelled = "cancelled"
    failed = "failed"                  # no valid bid

    @property
    def label(self):
        return PROJECT_STATUS_LABELS[self]


PROJECT_STATUS_LABELS = {
    ProjectStatus.draft: _l("Draft"),
    ProjectStatus.published: _l("Open for bids"),
    ProjectStatus.bidding_closed: _l("Bidding closed"),
    ProjectStatus.evaluated: _l("Evaluated"),
    ProjectStatus.awarded: _l("Awarded"),
    ProjectStatus.contracted: _l("Contracted"),
    ProjectStatus.in_progress: _l("In progress"),
    ProjectStatus.midterm_evaluated: _l("Mid-term evaluated"),
    ProjectStatus.completed: _l("Completed"),
    ProjectStatus.final_evaluated: _l("Final evaluated"),
    ProjectStatus.cancelled: _l("Cancelled"),
    ProjectStatus.failed: _l("Failed (no valid bid)"),
}

# Statuses in which the winning organization runs the project (creates shifts, serves needs).
RUNNING_STATUSES = (ProjectStatus.awarded, ProjectStatus.contracted, ProjectStatus.in_progress,
                    ProjectStatus.midterm_evaluated)

project_categories = sa.Table(
    "project_categories", db.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)  # owner scope
    status: Mapped[ProjectStatus] = mapped_column(
        sa.Enum(ProjectStatus, native_enum=False, length=24), default=ProjectStatus.draft, index=True)
    budget: Mapped[Decimal] = mapped_column(Money)
    service_start: Mapped[date] = mapped_column(sa.Date)
    service_end: Mapped[date] = mapped_column(sa.Date)
    bidding_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    price_weight: Mapped[float] = mapped_column(sa.Float, default=setting_default("DEFAULT_PRICE_WEIGHT"))
    min_grade: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    min_years: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    required_workers: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    required_worker_level: Mapped[WorkerLevel] = mapped_column(
        sa.Enum(WorkerLevel, native_enum=False, length=16), default=WorkerLevel.assistant)
    target_beneficiaries: Mapped[int] = mapped_column(default=0)
    target_hours: Mapped[int] = mapped_column(default=0)
    target_visits: Mapped[int] = mapped_column(default=0)
    # Social-worker time this project takes from the winner's capacity (workload units).
    workload: Mapped[int] = mapped_column(default=1)
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    awarded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)   # the award notice's publication
    # A failed project published again is a new project; it points back to the one that failed.
    republished_from_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("projects.id"))

    region: Mapped[Region] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary=project_categories, order_by="Category.code")
    needs: Mapped[list[Need]] = relationship(back_populates="project", order_by="Need.id")
    bids: Mapped[list[Bid]] = relationship(back_populates="project", order_by="Bid.id")
    created_by: Mapped[Optional[User]] = relationship()
    criteria: Mapped[list[ProjectCriterion]] = relationship(
        back_populates="project", order_by="ProjectCriterion.position", cascade="all, delete-orphan")
    panel: Mapped[list[PanelMember]] = relationship(back_populates="project", order_by="PanelMember.id")
    republished_from: Mapped[Optional[Project]] = relationship(remote_side=[id])

    def bidding_open(self, now: datetime) -> bool:
        return self.status == ProjectStatus.published and now < self.bidding_deadline

    @property
    def status_reason_text(self):
        """The reason for the status, in the reader's language: the words staff wrote, or the rule's."""
        if self.status_reason:
            return self.status_reason
        return _l("No valid bid.") if self.status == ProjectStatus.failed else ""

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.status.value}>"


class BidStatus(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    scored = "scored"
    won = "won"
    lost = "lost"
    withdrawn = "withdrawn"
    disqualified = "disqualified"

    @property
    def label(self):
        return BID_STATUS_LABELS[self]


BID_STATUS_LABELS = {
    BidStatus.draft: _l("Draft"),
    BidStatus.submitted: _l("Submitted"),
    BidStatus.scored: _l("Scored"),
    BidStatus.won: _l("Won"),
    BidStatus.lost: _l("Lost"),
    BidStatus.withdrawn: _l("Withdrawn"),
    BidStatus.disqualified: _l("Disqualified"),
}

bid_team = sa.Table(
    "bid_team", db.metadata,
    sa.Column("bid_id", sa.ForeignKey("bids.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("social_worker_id", sa.ForeignKey("social_workers.id", ondelete="CASCADE"), primary_key=True),
)


class Bid(db.Model):
    __tablename__ = "bids"
    __table_args__ = (sa.UniqueConstraint("project_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    status: Mapped[BidStatus] = mapped_column(
        sa.Enum(BidStatus, native_enum=False, length=16), default=BidStatus.draft, index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    proposal: Mapped[str] = mapped_column(sa.Text, default="")
    workload: Mapped[int] = mapped_column(default=1)
    no_violation_declared: Mapped[bool] = mapped_column(default=False)
    technical_score: Mapped[Optional[float]] = mapped_column(sa.Float)
    price_score: Mapped[Optional[float]] = mapped_column(sa.Float)
    total_score: Mapped[Optional[float]] = mapped_column(sa.Float)
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="bids")
    organization: Mapped[Organization] = relationship()
    team: Mapped[list[SocialWorker]] = relationship(secondary=bid_team,
                                                       order_by="(SocialWorker.name, SocialWorker.id)")

    @property
    def status_reason_text(self):
        """The reason for the status, in the reader's language: the words staff wrote, or the rule's
        (a bid disqualified with no words was disqualified when bidding closed)."""
        if self.status_reason:
            return self.status_reason
        if self.status == BidStatus.disqualified:
            return _l("The organization was not active when bidding closed.")
        if self.status == BidStatus.draft and self.submitted_at is not None:
            return _l("The project's terms changed after this bid came in: confirm it again before the deadline, "
                      "or it does not count.")
        return ""

    def __repr__(self) -> str:
        return f"<Bid {self.id} {self.status.value}>"
