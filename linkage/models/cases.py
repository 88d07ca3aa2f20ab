"""Social workers' cases: a resident's professional needs worked from intake to closure, with
supervisors' approvals, notes and contacts, services delivered, referrals and transfers."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import EncryptedText, UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.matching import MatchRun
    from linkage.models.needs import Need
    from linkage.models.organizations import Organization
    from linkage.models.people import Resident, SocialWorker, User, Volunteer
    from linkage.models.shifts import Shift


class CaseStage(enum.Enum):
    intake = "intake"
    assessment = "assessment"
    plan = "plan"
    services = "services"
    review = "review"
    closure = "closure"

    @property
    def label(self):
        return CASE_STAGE_LABELS[self]


CASE_STAGE_LABELS = {
    CaseStage.intake: _l("Intake"),
    CaseStage.assessment: _l("Assessment"),
    CaseStage.plan: _l("Case plan"),
    CaseStage.services: _l("Services"),
    CaseStage.review: _l("Review"),
    CaseStage.closure: _l("Closure"),
}
STAGE_ORDER = list(CaseStage)


class CaseStatus(enum.Enum):
    open = "open"
    closed = "closed"

    @property
    def label(self):
        return {CaseStatus.open: _l("Case open"), CaseStatus.closed: _l("Case closed")}[self]


case_needs = sa.Table(
    "case_needs", db.metadata,
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("need_id", sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
)


class Case(db.Model):
    """One resident's case, owned by one social worker of one organization."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("social_workers.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    stage: Mapped[CaseStage] = mapped_column(
        sa.Enum(CaseStage, native_enum=False, length=16), default=CaseStage.intake)
    status: Mapped[CaseStatus] = mapped_column(
        sa.Enum(CaseStatus, native_enum=False, length=16), default=CaseStatus.open, index=True)
    match_run_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("match_runs.id"))
    opened_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The task of the stage the case is in: when it is due (set as the case enters the stage).
    assessment_due: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    plan_due: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    review_due: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    resident: Mapped[Resident] = relationship()
    organization: Mapped[Organization] = relationship()
    owner: Mapped[SocialWorker] = relationship()
    match_run: Mapped[Optional[MatchRun]] = relationship()
    opened_by: Mapped[Optional[User]] = relationship()
    needs: Mapped[list[Need]] = relationship(secondary=case_needs, order_by="Need.id")
    approvals: Mapped[list[CaseApproval]] = relationship(back_populates="case", order_by="CaseApproval.id")
    notes: Mapped[list[CaseNote]] = relationship(back_populates="case", order_by="CaseNote.happened_at")
    services: Mapped[list[CaseService]] = relationship(back_populates="case", order_by="CaseService.delivered_at")
    referrals: Mapped[list[CaseReferral]] = relationship(back_populates="case", order_by="CaseReferral.id")
    transfers: Mapped[list[CaseTransfer]] = relationship(back_populates="case", order_by="CaseTransfer.id")
    documents: Mapped[list[CaseDocument]] = relationship(back_populates="case", order_by="CaseDocument.id")

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.open

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.stage.value}>"


class Decision(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"

    @property
    def label(self):
        return {Decision.pending: _l("Waiting for approval"), Decision.approved: _l("Approved"),
                Decision.rejected: _l("Sent back")}[self]


class CaseApproval(db.Model):
    """A request for a supervisor's approval of the assessment, the case plan or the closure."""

    __tablename__ = "case_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stage: Mapped[CaseStage] = mapped_column(sa.Enum(CaseStage, native_enum=False, length=16))
    summary: Mapped[Optional[str]] = mapped_column("summary_encrypted", EncryptedText)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[Decision] = mapped_column(
        sa.Enum(Decision, native_enum=False, length=16), default=Decision.pending, index=True)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship(back_populates="approvals")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])


class NoteKind(enum.Enum):
    note = "note"
    visit = "visit"
    call = "call"

    @property
    def label(self):
        return {NoteKind.note: _l("Note"), NoteKind.visit: _l("Home visit"), NoteKind.call: _l("Phone call")}[self]


class CaseNote(db.Model):
    """A note or a contact (visit, call) on a case; the text is encrypted at rest."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoteKind] = mapped_column(sa.Enum(NoteKind, native_enum=False, length=16))
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[Optional[str]] = mapped_column("text_encrypted", EncryptedText)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


case_service_volunteers = sa.Table(
    "case_service_volunteers", db.metadata,
    sa.Column("service_id", sa.ForeignKey("case_services.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("volunteer_id", sa.ForeignKey("volunteers.id"), primary_key=True),
)


class CaseService(db.Model):
    """A service delivered on a case, possibly on a volunteer shift."""

    __tablename__ = "case_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.String(500))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shift_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shifts.id"))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="services")
    shift: Mapped[Optional[Shift]] = relationship()
    recorded_by: Mapped[User] = relationship()
    # The volunteers who helped: each held a place on ``shift``.
    volunteers: Mapped[list[Volunteer]] = relationship(secondary=case_service_volunteers, order_by="Volunteer.name")


class HandOver(enum.Enum):
    """Where a referral or a transfer stands."""
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    revoked = "revoked"

    @property
    def label(self):
        return {HandOver.pending: _l("Waiting for an answer"), HandOver.accepted: _l("Accepted"),
                HandOver.declined: _l("Declined"), HandOver.revoked: _l("Revoked")}[self]


class CaseReferral(db.Model):
    """Another social worker asked to help on a case; the owner keeps it."""

    __tablename__ = "case_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("social_workers.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[HandOver] = mapped_column(
        sa.Enum(HandOver, native_enum=False, length=16), default=HandOver.pending, index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship(back_populates="referrals")
    worker: Mapped[SocialWorker] = relationship()
    requested_by: Mapped[User] = relationship()


class CaseTransfer(db.Model):
    """Ownership of a case offered to another social worker, who accepts or declines."""

    __tablename__ = "case_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_worker_id: Mapped[int] = mapped_column(sa.ForeignKey("social_workers.id"))
    to_worker_id: Mapped[int] = mapped_column(sa.ForeignKey("social_workers.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[HandOver] = mapped_column(
        sa.Enum(HandOver, native_enum=False, length=16), default=HandOver.pending, index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship(back_populates="transfers")
    from_worker: Mapped[SocialWorker] = relationship(foreign_keys=[from_worker_id])
    to_worker: Mapped[SocialWorker] = relationship(foreign_keys=[to_worker_id])
    requested_by: Mapped[User] = relationship()


class CaseDocument(db.Model):
    """A document on a case (a signed consent, an assessment form, a doctor's letter): the file lives
    in the instance folder under ``stored_name`` (random), its bytes encrypted; every download is logged."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    file_name: Mapped[str] = mapped_column(sa.String(200))       # shown and offered on download only
    extension: Mapped[str] = mapped_column(sa.String(16))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="documents")
    uploaded_by: Mapped[User] = relationship()
