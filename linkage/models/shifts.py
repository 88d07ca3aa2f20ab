"""Volunteer shifts, their skill slots, and volunteers' sign-ups."""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.needs import Need
    from linkage.models.people import SocialWorker, User, Volunteer
    from linkage.models.projects import Project
    from linkage.models.regions import Region
    from linkage.models.taxonomy import Skill


class ShiftStatus(enum.Enum):
    open = "open"
    staffed = "staffed"
    under_way = "under_way"
    done = "done"
    cancelled = "cancelled"

    @property
    def label(self):
        return {
            ShiftStatus.open: _l("Open"), ShiftStatus.staffed: _l("Staffed"),
            ShiftStatus.under_way: _l("Under way"), ShiftStatus.done: _l("Done"),
            ShiftStatus.cancelled: _l("Cancelled"),
        }[self]


# A shift that takes sign-ups and can still be changed or cancelled.
OPEN_STATUSES = (ShiftStatus.open, ShiftStatus.staffed)
# A shift on whose roster nothing more happens.
FINISHED_STATUSES = (ShiftStatus.done, ShiftStatus.cancelled)


shift_needs = sa.Table(
    "shift_needs", db.metadata,
    sa.Column("shift_id", sa.ForeignKey("shifts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("need_id", sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
)


class ShiftSeries(db.Model):
    """A weekly pattern of shifts: on ``weekdays`` (ISO numbers, 1 Monday to 7 Sunday, comma-separated) at
    ``start_time`` local time for ``minutes``, from ``first_date`` to ``last_date``, except ``skipped``
    (ISO dates: left out when the series was made, or an occurrence cancelled later). Each occurrence is an
    ordinary shift pointing here."""

    __tablename__ = "shift_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekdays: Mapped[str] = mapped_column(sa.String(20))
    start_time: Mapped[time] = mapped_column(sa.Time)
    minutes: Mapped[int] = mapped_column(sa.Integer)
    first_date: Mapped[date] = mapped_column(sa.Date)
    last_date: Mapped[date] = mapped_column(sa.Date)
    skipped: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[Optional[User]] = relationship()
    shifts: Mapped[list["Shift"]] = relationship(back_populates="series", order_by="Shift.start")

    @property
    def weekday_numbers(self) -> list[int]:
        return sorted(int(n) for n in self.weekdays.split(",") if n)

    @property
    def skipped_dates(self) -> list[date]:
        return sorted(date.fromisoformat(d) for d in (self.skipped or []))

    def __repr__(self) -> str:
        return f"<ShiftSeries {self.id}>"


class Shift(db.Model):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    project_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)  # the community
    lead_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("social_workers.id"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(255), default="")
    latitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    longitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    urgency: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    min_volunteers: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    # First come, first served sign-up; otherwise sign-ups are requests that a match run decides.
    first_come: Mapped[bool] = mapped_column(default=True)
    # A training session: confirmed attendance grants this skill (linkage/skills/services.py).
    trains_skill_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("skills.id"))
    requires_insurance: Mapped[bool] = mapped_column(default=False)
    insurance_note: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[ShiftStatus] = mapped_column(
        sa.Enum(ShiftStatus, native_enum=False, length=16), default=ShiftStatus.open, index=True)
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every sign-up change, so a match run can tell that its input went stale.
    version: Mapped[int] = mapped_column(default=1)
    # The weekly series this shift is one occurrence of, if any.
    series_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shift_series.id"), index=True)

    project: Mapped[Optional[Project]] = relationship()
    region: Mapped[Region] = relationship()
    lead: Mapped[Optional[SocialWorker]] = relationship()
    trains_skill: Mapped[Optional[Skill]] = relationship()
    slots: Mapped[list[ShiftSlot]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="ShiftSlot.position")
    needs: Mapped[list[Need]] = relationship(secondary=shift_needs, order_by="Need.id")
    sign_ups: Mapped[list[SignUp]] = relationship(back_populates="shift", order_by="SignUp.created_at")
    created_by: Mapped[Optional[User]] = relationship()
    series: Mapped[Optional[ShiftSeries]] = relationship(back_populates="shifts")

    @property
    def capacity(self) -> int:
        return sum(slot.count for slot in self.slots)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def has_started(self, now: datetime) -> bool:
        """From its start on, a shift takes no sign-ups or withdrawals, and absences and check-outs
        can be recorded."""
        return now >= self.start

    def __repr__(self) -> str:
        return f"<Shift {self.id}>"


class ShiftSlot(db.Model):
    """``count`` places on a shift for volunteers holding ``skill`` (none: anyone)."""

    __tablename__ = "shift_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    skill_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("skills.id"))
    count: Mapped[int] = mapped_column(sa.SmallInteger, default=1)

    shift: Mapped[Shift] = relationship(back_populates="slots")
    skill: Mapped[Optional[Skill]] = relationship()


class SignUpStatus(enum.Enum):
    requested = "requested"      # a preference, to be decided by a match run
    assigned = "assigned"
    waitlisted = "waitlisted"
    offered = "offered"          # next on the waiting list: a freed place is held for them until a deadline
    checked_in = "checked_in"
    checked_out = "checked_out"
    cancelled = "cancelled"
    no_show = "no_show"

    @property
    def label(self):
        return {
            SignUpStatus.requested: _l("Requested"), SignUpStatus.assigned: _l("Assigned"),
            SignUpStatus.waitlisted: _l("Waitlisted"), SignUpStatus.offered: _l("Place offered"),
            SignUpStatus.checked_in: _l("Checked in"),
            SignUpStatus.checked_out: _l("Checked out"), SignUpStatus.cancelled: _l("Cancelled"),
            SignUpStatus.no_show: _l("No-show"),
        }[self]


# Sign-ups that hold a place on the shift.
HOLDING_STATUSES = (SignUpStatus.assigned, SignUpStatus.checked_in, SignUpStatus.checked_out)
# Sign-ups that take a place away from others: held places and places offered from the waiting list.
TAKEN_STATUSES = (*HOLDING_STATUSES, SignUpStatus.offered)
# Sign-ups still waiting for the shift to happen: they can be given up and are told of changes.
LIVE_STATUSES = (SignUpStatus.requested, SignUpStatus.assigned, SignUpStatus.waitlisted, SignUpStatus.offered)


class HoursStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    declined = "declined"

    @property
    def label(self):
        return {HoursStatus.pending: _l("Pending"), HoursStatus.approved: _l("Approved"),
                HoursStatus.declined: _l("Declined")}[self]


class SignUp(db.Model):
    __tablename__ = "sign_ups"
    __table_args__ = (sa.UniqueConstraint("shift_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)
    slot_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shift_slots.id"))
    status: Mapped[SignUpStatus] = mapped_column(
        sa.Enum(SignUpStatus, native_enum=False, length=16), index=True)
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Check-out was missing and defaulted to the planned end: flagged for the lead.
    checkout_defaulted: Mapped[bool] = mapped_column(default=False)
    minutes: Mapped[Optional[int]] = mapped_column()
    hours_status: Mapped[Optional[HoursStatus]] = mapped_column(
        sa.Enum(HoursStatus, native_enum=False, length=16))
    hours_manual: Mapped[bool] = mapped_column(default=False)
    hours_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Who approved or declined the hours, and when (declined entries are kept, never deleted).
    hours_decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    hours_decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # A place offered from the waiting list: answered by this deadline, else it passes on; the offer's
    # e-mail and the reminder before the deadline are each sent once (when they were sent).
    offer_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    offer_emailed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    offer_reminded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The id of the shift code (QR) the volunteer checked in or out with (None: by hand), so the same code
    # cannot be used by them again (linkage/shifts/codes.py).
    check_in_code: Mapped[Optional[str]] = mapped_column(sa.String(32))
    check_out_code: Mapped[Optional[str]] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    shift: Mapped[Shift] = relationship(back_populates="sign_ups")
    volunteer: Mapped[Volunteer] = relationship()
    slot: Mapped[Optional[ShiftSlot]] = relationship()

    @property
    def hours_reason(self):
        """Why the hours stand as they do, in the reader's language: the lead's words, or, for hours the
        attendance rule declined (no one decided them), what was attended."""
        if self.hours_note:
            return self.hours_note
        if self.hours_status == HoursStatus.declined and self.hours_decided_by_id is None and self.minutes is not None:
            return _l("Attended %(attended)s of %(planned)s minutes: too little for the hours to count.",
                      attended=self.minutes, planned=self.shift.minutes)
        return ""

    def __repr__(self) -> str:
        return f"<SignUp {self.id} {self.status.value}>"


class ReminderKind(enum.Enum):
    """Which reminder before a shift: a day before (REMINDER_FIRST_HOURS) or shortly before
    (REMINDER_SECOND_MINUTES)."""
    first = "first"
    second = "second"


class ShiftReminder(db.Model):
    """A reminder sent for a place on a shift: one per sign-up, kind and start time, so a rerun of the
    reminder job never sends it twice (a moved shift is reminded of again, for its new start)."""

    __tablename__ = "shift_reminders"
    __table_args__ = (sa.UniqueConstraint("sign_up_id", "kind", "shift_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sign_up_id: Mapped[int] = mapped_column(sa.ForeignKey("sign_ups.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(sa.Enum(ReminderKind, native_enum=False, length=16))
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the e-mail went out (None: not sent: no SMTP server configured, no address, or it failed).
    emailed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    email_error: Mapped[str] = mapped_column(sa.String(255), default="")

    sign_up: Mapped[SignUp] = relationship()
