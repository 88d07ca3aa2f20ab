"""Joint meetings of the four forces (community, social organizations, social workers, volunteers) for a
community or a street: an agenda drafted from the platform's data, minutes, and decisions with an owner
and a due date that the next meeting follows up (linkage/meetings/)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.people import User
    from linkage.models.regions import Region


class MeetingStatus(enum.Enum):
    planned = "planned"
    held = "held"
    cancelled = "cancelled"

    @property
    def label(self):
        return {MeetingStatus.planned: _l("Planned"), MeetingStatus.held: _l("Held"),
                MeetingStatus.cancelled: _l("Cancelled")}[self]


class AgendaKind(enum.Enum):
    """Where an agenda item comes from: the data the platform drafts it from, or a participant."""
    overdue_need = "overdue_need"          # a need past its response target
    unserved_need = "unserved_need"        # verified, still without a service after a while
    short_shift = "short_shift"            # an upcoming shift short of volunteers
    project_behind = "project_behind"      # a running project behind its targets
    low_rating = "low_rating"              # a service rated low by the resident
    follow_up = "follow_up"                # an open decision of an earlier meeting
    other = "other"                        # added by hand

    @property
    def label(self):
        return {AgendaKind.overdue_need: _l("Need past its response target"),
                AgendaKind.unserved_need: _l("Need still without a service"),
                AgendaKind.short_shift: _l("Shift short of volunteers"),
                AgendaKind.project_behind: _l("Project behind its targets"),
                AgendaKind.low_rating: _l("Service rated low"),
                AgendaKind.follow_up: _l("Follow-up of an earlier decision"),
                AgendaKind.other: _l("Other item")}[self]


class DecisionStatus(enum.Enum):
    open = "open"
    done = "done"

    @property
    def label(self):
        return {DecisionStatus.open: _l("Open"), DecisionStatus.done: _l("Done")}[self]


meeting_participants = sa.Table(
    "meeting_participants", db.metadata,
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)  # a community or a street
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        sa.Enum(MeetingStatus, native_enum=False, length=20), default=MeetingStatus.planned)
    minutes_text: Mapped[str] = mapped_column(sa.Text, default="")
    convened_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    convened_by: Mapped[Optional[User]] = relationship(foreign_keys=[convened_by_id])
    participants: Mapped[list[User]] = relationship(secondary=meeting_participants, order_by="User.id")
    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.position",
                                                   cascade="all, delete-orphan")
    decisions: Mapped[list[MeetingDecision]] = relationship(
        back_populates="meeting", order_by="MeetingDecision.id", foreign_keys="MeetingDecision.meeting_id")


class AgendaItem(db.Model):
    """One item: its kind, the record it is about (traceable to the data), and its words when drafted."""
    __tablename__ = "meeting_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    kind: Mapped[AgendaKind] = mapped_column(sa.Enum(AgendaKind, native_enum=False, length=20))
    subject_type: Mapped[str] = mapped_column(sa.String(40), default="")   # Need, Shift, Project, MeetingDecision
    subject_id: Mapped[Optional[int]] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text, default="")                 # the record's title, or typed words

    meeting: Mapped[Meeting] = relationship(back_populates="items")


class MeetingDecision(db.Model):
    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    responsible_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[DecisionStatus] = mapped_column(
        sa.Enum(DecisionStatus, native_enum=False, length=20), default=DecisionStatus.open)
    done_note: Mapped[str] = mapped_column(sa.Text, default="")
    done_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions", foreign_keys=[meeting_id])
    responsible: Mapped[User] = relationship(foreign_keys=[responsible_id])
