"""Residents' ratings of the visits they received, and the follow-ups a low rating opens."""
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
    from linkage.models.needs import Need
    from linkage.models.people import User
    from linkage.models.regions import Region
    from linkage.models.shifts import Shift


class VisitRating(db.Model):
    """One visit (a shift that served a need and took place) rated 1–5 by the resident, or by community
    staff on their behalf (``on_behalf``, with who in ``created_by``); once per shift and need."""

    __tablename__ = "visit_ratings"
    __table_args__ = (sa.UniqueConstraint("shift_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    on_behalf: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shift: Mapped[Shift] = relationship()
    need: Mapped[Need] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    follow_up: Mapped[Optional[FollowUp]] = relationship(back_populates="rating", uselist=False)


class FollowUpStatus(enum.Enum):
    open = "open"
    done = "done"

    @property
    def label(self):
        return {FollowUpStatus.open: _l("Open"), FollowUpStatus.done: _l("Done")}[self]


class FollowUp(db.Model):
    """What the community does about a low rating: open until its staff close it with a note."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("visit_ratings.id"), unique=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)  # the community
    status: Mapped[FollowUpStatus] = mapped_column(
        sa.Enum(FollowUpStatus, native_enum=False, length=16), default=FollowUpStatus.open, index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    rating: Mapped[VisitRating] = relationship(back_populates="follow_up")
    region: Mapped[Region] = relationship()
    closed_by: Mapped[Optional[User]] = relationship()
