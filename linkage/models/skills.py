"""Proof of a skill (a certificate a volunteer uploads, or attendance at a training session) and the
supervision notes social workers keep on volunteers."""
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
    from linkage.models.people import User, Volunteer
    from linkage.models.shifts import Shift
    from linkage.models.taxonomy import Skill


class ProofStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"

    @property
    def label(self):
        return {ProofStatus.pending: _l("Waiting for a social worker"), ProofStatus.approved: _l("Approved"),
                ProofStatus.rejected: _l("Rejected")}[self]


class ProofSource(enum.Enum):
    upload = "upload"        # the volunteer uploaded a certificate; a social worker decided it
    training = "training"    # granted by confirmed attendance at a training session

    @property
    def label(self):
        return {ProofSource.upload: _l("Uploaded certificate"), ProofSource.training: _l("Training session")}[self]


class SkillCertificate(db.Model):
    """A volunteer's proof of a skill that needs one (``Skill.is_certificate``). Uploaded certificates
    wait for a social worker, who approves them with an expiry date or rejects them with a reason; a
    training session's confirmed attendance grants one, approved. The file lives in the instance folder
    under ``stored_name`` (random), its bytes encrypted."""

    __tablename__ = "skill_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skills.id"), index=True)
    source: Mapped[ProofSource] = mapped_column(sa.Enum(ProofSource, native_enum=False, length=16))
    status: Mapped[ProofStatus] = mapped_column(sa.Enum(ProofStatus, native_enum=False, length=16), index=True)
    file_name: Mapped[str] = mapped_column(sa.String(200), default="")
    extension: Mapped[str] = mapped_column(sa.String(16), default="")
    stored_name: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    size: Mapped[Optional[int]] = mapped_column()
    # The training session whose attendance granted it.
    shift_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    # The last day it counts (approved certificates only).
    expires_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()
    skill: Mapped[Skill] = relationship()
    shift: Mapped[Optional[Shift]] = relationship()
    decided_by: Mapped[Optional[User]] = relationship()

    def is_expired(self, day: date) -> bool:
        """Approved, but its last day is before ``day``."""
        return self.status == ProofStatus.approved and self.expires_on is not None and self.expires_on < day

    def __repr__(self) -> str:
        return f"<SkillCertificate {self.id} {self.status.value}>"


class SupervisionNote(db.Model):
    """A dated note a social worker keeps on a volunteer they supervise; social workers and staff of the
    volunteer's area read it, the volunteer does not."""

    __tablename__ = "supervision_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text)

    volunteer: Mapped[Volunteer] = relationship()
    author: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<SupervisionNote {self.id}>"
