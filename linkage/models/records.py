"""A volunteer's service record in the national format: the volunteer number, corrections of approved
hours, service certificates and complaints about a volunteer (linkage/records/)."""
from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.people import User, Volunteer
    from linkage.models.regions import Region
    from linkage.models.shifts import SignUp


class VolunteerNumber(db.Model):
    """A volunteer's number (never the ID number): the six-digit division code of the district they
    registered in, an eight-digit sequence within it and a check character (linkage/records/numbers.py)."""

    __tablename__ = "volunteer_numbers"

    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    division: Mapped[str] = mapped_column(sa.String(6), index=True)
    sequence: Mapped[int] = mapped_column()
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[Volunteer] = relationship()


class CorrectionStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"

    @property
    def label(self):
        return {CorrectionStatus.pending: _l("Waiting for a decision"), CorrectionStatus.approved: _l("Approved"),
                CorrectionStatus.rejected: _l("Rejected")}[self]


class HoursCorrection(db.Model):
    """A request to change approved (locked) hours, filed by the volunteer or the shift's lead and decided
    by a social worker or community staff; kept whatever the decision."""

    __tablename__ = "hours_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    sign_up_id: Mapped[int] = mapped_column(sa.ForeignKey("sign_ups.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    minutes_before: Mapped[int] = mapped_column()
    minutes_requested: Mapped[int] = mapped_column()
    status: Mapped[CorrectionStatus] = mapped_column(
        sa.Enum(CorrectionStatus, native_enum=False, length=16), default=CorrectionStatus.pending, index=True)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sign_up: Mapped[SignUp] = relationship()
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])


class CertificateStatus(enum.Enum):
    notice = "notice"      # posted publicly, not yet issued
    issued = "issued"

    @property
    def label(self):
        return {CertificateStatus.notice: _l("Public notice"), CertificateStatus.issued: _l("Issued")}[self]


class Certificate(db.Model):
    """A volunteer service certificate: requested by the volunteer, on public notice until
    ``notice_until``, then issued with a verification code. Hours and content are fixed at the request."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)  # the issuing community
    status: Mapped[CertificateStatus] = mapped_column(
        sa.Enum(CertificateStatus, native_enum=False, length=16), default=CertificateStatus.notice, index=True)
    minutes: Mapped[int] = mapped_column()
    content: Mapped[str] = mapped_column(sa.Text, default="")
    period_from: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    period_to: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notice_until: Mapped[datetime] = mapped_column(UTCDateTime)
    issuer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    person_in_charge: Mapped[str] = mapped_column(sa.String(100), default="")
    handler_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact: Mapped[str] = mapped_column(sa.String(100), default="")
    issued_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    # The verification code, encrypted (it is printed on the certificate again whenever it is downloaded).
    code_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)

    volunteer: Mapped[Volunteer] = relationship()
    region: Mapped[Region] = relationship()


class VolunteerComplaint(db.Model):
    """A complaint about a volunteer, recorded by staff; the volunteer may answer it."""

    __tablename__ = "volunteer_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()
    recorded_by: Mapped[User] = relationship()


# --- approved hours are locked --------------------------------------------------------------------------

_UNLOCKED = "linkage_hours_unlocked"
LOCKED_FIELDS = ("minutes", "hours_status", "checked_in_at", "checked_out_at", "hours_manual")


@contextmanager
def hours_unlocked(record: SignUp) -> Iterator[None]:
    """Let an approved correction change ``record``'s locked hours inside the block (and its flush)."""
    unlocked = db.session.info.setdefault(_UNLOCKED, set())
    unlocked.add(record.id)
    try:
        yield
    finally:
        unlocked.discard(record.id)


def _was_approved(record: SignUp) -> bool:
    from linkage.models.shifts import HoursStatus
    history = sa.inspect(record).attrs.hours_status.history
    before = history.deleted[0] if history.deleted else (None if history.added else record.hours_status)
    return before == HoursStatus.approved


@sa.event.listens_for(Session, "before_flush")
def _refuse_changes_to_approved_hours(session, _context, _instances) -> None:
    """Approved hours change only through an approved correction request (MCA order 67): any other
    change of an approved entry is refused and nothing is written."""
    from linkage.errors import Refused
    from linkage.models.shifts import SignUp
    unlocked = session.info.get(_UNLOCKED, set())
    for record in session.dirty:
        if not isinstance(record, SignUp) or record.id in unlocked or not _was_approved(record):
            continue
        state = sa.inspect(record)
        if any(state.attrs[name].history.has_changes() for name in LOCKED_FIELDS):
            raise Refused(_l("Approved hours are locked: ask for a correction instead."))
