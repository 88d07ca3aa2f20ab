"""Residents' needs and the feedback on services received."""
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
    from linkage.models.people import Resident, SocialWorker, User
    from linkage.models.projects import Project
    from linkage.models.regions import Region
    from linkage.models.shifts import Shift
    from linkage.models.taxonomy import Category, Skill


class NeedStatus(enum.Enum):
    submitted = "submitted"
    open = "open"                # verified by the community, ready to be served
    matched = "matched"          # bundled into a project and/or served by a shift
    in_service = "in_service"
    delivered = "delivered"      # confirmed by the community or a social worker
    closed = "closed"            # rated
    rejected = "rejected"
    withdrawn = "withdrawn"
    expired = "expired"
    merged = "merged"            # a duplicate: closed, its requesters follow the need it was merged into

    @property
    def label(self):
        return NEED_STATUS_LABELS[self]


# Where each decision on a need may start: the services enforce these, the pages offer a button only then.
REJECTABLE = (NeedStatus.submitted, NeedStatus.open)
WITHDRAWABLE = (NeedStatus.submitted, NeedStatus.open)
DELIVERABLE = (NeedStatus.open, NeedStatus.matched, NeedStatus.in_service)
# Nobody has taken it up yet: such a need expires (its time window ended, or it waited too long).
EXPIRABLE = (NeedStatus.submitted, NeedStatus.open)


NEED_STATUS_LABELS = {
    NeedStatus.submitted: _l("Submitted"),
    NeedStatus.open: _l("Verified, open"),
    NeedStatus.matched: _l("Matched"),
    NeedStatus.in_service: _l("In service"),
    NeedStatus.delivered: _l("Delivered"),
    NeedStatus.closed: _l("Rated and closed"),
    NeedStatus.rejected: _l("Rejected"),
    NeedStatus.withdrawn: _l("Withdrawn"),
    NeedStatus.expired: _l("Expired"),
    NeedStatus.merged: _l("Merged into another need"),
}
# Still waiting or being served: a new request like one of these joins it rather than repeating it.
OPEN_STATUSES = (NeedStatus.submitted, NeedStatus.open, NeedStatus.matched, NeedStatus.in_service)
# A duplicate is merged only while nobody has taken it up.
MERGEABLE = (NeedStatus.submitted, NeedStatus.open)


class NeedChannel(enum.Enum):
    """How a need reached the platform."""
    staff_on_behalf = "staff_on_behalf"   # community staff, at the desk or on a visit
    resident_self = "resident_self"       # the resident's own form
    grid_worker = "grid_worker"           # a grid worker on their rounds
    hotline = "hotline"                   # staff taking a call
    spreadsheet = "spreadsheet"           # community staff importing a spreadsheet of requests
    paper_record = "paper_record"         # from the community's paper ledger kept before the platform

    @property
    def label(self):
        return NEED_CHANNEL_LABELS[self]


NEED_CHANNEL_LABELS = {
    NeedChannel.staff_on_behalf: _l("Community staff for the resident"),
    NeedChannel.resident_self: _l("Resident's own request"),
    NeedChannel.grid_worker: _l("Grid worker"),
    NeedChannel.hotline: _l("By phone"),
    NeedChannel.spreadsheet: _l("Imported from a spreadsheet"),
    NeedChannel.paper_record: _l("Past paper record"),
}

URGENCY_LABELS = {1: _l("Routine"), 2: _l("Soon"), 3: _l("Urgent"), 4: _l("Critical")}


class Recurrence(enum.Enum):
    once = "once"
    weekly = "weekly"
    biweekly = "biweekly"
    monthly = "monthly"

    @property
    def label(self):
        return {Recurrence.once: _l("Once"), Recurrence.weekly: _l("Weekly"),
                Recurrence.biweekly: _l("Every two weeks"), Recurrence.monthly: _l("Monthly")}[self]


need_skills = sa.Table(
    "need_skills", db.metadata,
    sa.Column("need_id", sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("skill_id", sa.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Need(db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    urgency: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    status: Mapped[NeedStatus] = mapped_column(
        sa.Enum(NeedStatus, native_enum=False, length=16), default=NeedStatus.submitted, index=True)
    status_note: Mapped[str] = mapped_column(sa.Text, default="")
    recurrence: Mapped[Recurrence] = mapped_column(
        sa.Enum(Recurrence, native_enum=False, length=16), default=Recurrence.once)
    window_start: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    window_end: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    latitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    longitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    # Needs a professional (a social worker's case) rather than volunteers only.
    needs_professional: Mapped[bool] = mapped_column(default=False)
    project_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    case_worker_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("social_workers.id"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    matched_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Past its response target: flagged to the community; a second period later, escalated to the street.
    overdue_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    escalated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    channel: Mapped[NeedChannel] = mapped_column(
        sa.Enum(NeedChannel, native_enum=False, length=24), default=NeedChannel.staff_on_behalf,
        server_default=NeedChannel.staff_on_behalf.value, index=True)
    # A call to the hotline: the number the caller gave (pages show its last four digits).
    caller_phone: Mapped[Optional[str]] = mapped_column(sa.String(32))
    # Merged as a duplicate of another need (status merged); that need lists this one.
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    # Its personal details were removed (the resident asked, or the retention period passed); category,
    # region, status and dates stay for the statistics.
    anonymized_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)

    resident: Mapped[Resident] = relationship()
    category: Mapped[Category] = relationship()
    region: Mapped[Region] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=need_skills, order_by="Skill.code")
    project: Mapped[Optional[Project]] = relationship(back_populates="needs")
    case_worker: Mapped[Optional[SocialWorker]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    feedback: Mapped[Optional[Feedback]] = relationship(back_populates="need", uselist=False)
    # The shifts serving this need; read-only here, the shifts area writes the link (Shift.needs).
    shifts: Mapped[list[Shift]] = relationship(secondary="shift_needs", viewonly=True, order_by="Shift.start")
    duplicate_of: Mapped[Optional[Need]] = relationship(remote_side=[id], back_populates="duplicates")
    duplicates: Mapped[list[Need]] = relationship(back_populates="duplicate_of", order_by="Need.id")
    followers: Mapped[list[NeedFollower]] = relationship(back_populates="need", order_by="NeedFollower.id",
                                                         foreign_keys="NeedFollower.need_id",
                                                         cascade="all, delete-orphan")
    photos: Mapped[list[NeedPhoto]] = relationship(back_populates="need", order_by="NeedPhoto.id",
                                                   cascade="all, delete-orphan")

    @property
    def masked_caller_phone(self) -> str:
        phone = self.caller_phone or ""
        return f"{'*' * max(len(phone) - 4, 0)}{phone[-4:]}" if phone else ""

    @property
    def is_served(self) -> bool:
        """A project, a social worker's case or a shift that was not cancelled serves this need."""
        return (self.project_id is not None or self.case_worker_id is not None
                or any(shift.status.value != "cancelled" for shift in self.shifts))

    @property
    def urgency_label(self):
        return URGENCY_LABELS.get(self.urgency, self.urgency)

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status.value}>"


class NeedFollower(db.Model):
    """Another resident with the same request: they joined it (instead of filing a duplicate), or their
    own need was merged into it. They are told of its progress like its requester."""

    __tablename__ = "need_followers"
    __table_args__ = (sa.UniqueConstraint("need_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    # The need of theirs merged into this one (None: they joined it).
    merged_need_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("needs.id"))
    added_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped[Need] = relationship(back_populates="followers", foreign_keys=[need_id])
    resident: Mapped[Resident] = relationship()
    merged_need: Mapped[Optional[Need]] = relationship(foreign_keys=[merged_need_id], viewonly=True)


class NeedPhoto(db.Model):
    """A photo attached to a need when it was filed; stored outside the database (``linkage.uploads``)."""

    __tablename__ = "need_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(32), unique=True)
    extension: Mapped[str] = mapped_column(sa.String(8))
    size: Mapped[int] = mapped_column(sa.Integer)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped[Need] = relationship(back_populates="photos")


class Feedback(db.Model):
    """A resident's rating of a delivered service (1–5), given by them or by staff on their behalf."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), unique=True)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    on_behalf: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped[Need] = relationship(back_populates="feedback")


class ResponseTarget(db.Model):
    """How many hours a need of a sector and urgency may wait for the community's response (verified or
    turned down); a sector and urgency without a row use the default setting of the urgency."""

    __tablename__ = "response_targets"
    __table_args__ = (sa.UniqueConstraint("category_id", "urgency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    urgency: Mapped[int] = mapped_column(sa.SmallInteger)
    hours: Mapped[int] = mapped_column(sa.Integer)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
