"""Evaluation of a project's bids by an expert panel, and complaints against an award.

A project's technical side is split into criteria with weights (``ProjectCriterion``). Civil affairs
assign experts to the project's panel (``PanelMember``); each expert declares any conflict of interest
before scoring; their ties to organizations are kept (``ExpertTie``) for every later panel. Every score
an expert gives one bid on one criterion is a ``PanelScore``. After the award notice a bidding
organization may file a ``Complaint``, which civil affairs answer.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.organizations import Organization
    from linkage.models.people import User
    from linkage.models.projects import Bid, Project


class ProjectCriterion(db.Model):
    """One criterion of a project's technical evaluation; the weights of a project's criteria add up
    to 100 (per cent of the technical side)."""
    __tablename__ = "project_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    # A default criterion has a code and is shown in the reader's language; staff's own have a name.
    code: Mapped[str] = mapped_column(sa.String(32), default="")
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    weight: Mapped[int] = mapped_column(sa.SmallInteger)

    project: Mapped[Project] = relationship(back_populates="criteria")

    @property
    def label(self):
        return DEFAULT_CRITERIA.get(self.code, (self.name, 0))[0] if self.code else self.name


# The technical criteria a new project starts with: code → (name, weight in % of the technical side).
DEFAULT_CRITERIA = {
    "plan": (_l("Service plan and methods"), 40),
    "team": (_l("Team and qualifications"), 30),
    "record": (_l("Experience and track record"), 20),
    "budget": (_l("Soundness of the budget"), 10),
}


class PanelStatus(enum.Enum):
    assigned = "assigned"      # chosen by civil affairs; has not declared yet
    joined = "joined"          # declared no conflict of interest: scores the bids
    recused = "recused"        # declared or found a tie to a bidder: may not score
    removed = "removed"        # taken off the panel by civil affairs

    @property
    def label(self):
        return PANEL_STATUS_LABELS[self]


PANEL_STATUS_LABELS = {
    PanelStatus.assigned: _l("Assigned, declaration pending"),
    PanelStatus.joined: _l("On the panel"),
    PanelStatus.recused: _l("Recused (conflict of interest)"),
    PanelStatus.removed: _l("Removed"),
}


class PanelMember(db.Model):
    __tablename__ = "panel_members"
    __table_args__ = (sa.UniqueConstraint("project_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[PanelStatus] = mapped_column(
        sa.Enum(PanelStatus, native_enum=False, length=16), default=PanelStatus.assigned, index=True)
    assigned_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    declaration: Mapped[str] = mapped_column(sa.Text, default="")   # the expert's own words
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")

    project: Mapped[Project] = relationship(back_populates="panel")
    expert: Mapped[User] = relationship(foreign_keys=[expert_id])
    assigned_by: Mapped[Optional[User]] = relationship(foreign_keys=[assigned_by_id])
    scores: Mapped[list[PanelScore]] = relationship(back_populates="member", order_by="PanelScore.id")


class ExpertTie(db.Model):
    """An expert's declared tie to an organization (employment, membership, family, money): they never
    sit on the panel of a project that organization bids on."""
    __tablename__ = "expert_ties"
    __table_args__ = (sa.UniqueConstraint("expert_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()


class PanelScore(db.Model):
    """One expert's score (0–100) of one bid on one criterion."""
    __tablename__ = "panel_scores"
    __table_args__ = (sa.UniqueConstraint("member_id", "bid_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("panel_members.id"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("project_criteria.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(sa.Float)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[PanelMember] = relationship(back_populates="scores")
    bid: Mapped[Bid] = relationship()
    criterion: Mapped[ProjectCriterion] = relationship()


class ComplaintStatus(enum.Enum):
    open = "open"
    upheld = "upheld"          # the award is set aside and the evaluation reopens
    dismissed = "dismissed"

    @property
    def label(self):
        return COMPLAINT_STATUS_LABELS[self]


COMPLAINT_STATUS_LABELS = {
    ComplaintStatus.open: _l("Under review"),
    ComplaintStatus.upheld: _l("Upheld"),
    ComplaintStatus.dismissed: _l("Dismissed"),
}


class Complaint(db.Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    status: Mapped[ComplaintStatus] = mapped_column(
        sa.Enum(ComplaintStatus, native_enum=False, length=16), default=ComplaintStatus.open, index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    filed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    organization: Mapped[Organization] = relationship()
    filed_by: Mapped[Optional[User]] = relationship(foreign_keys=[filed_by_id])
    answered_by: Mapped[Optional[User]] = relationship(foreign_keys=[answered_by_id])
