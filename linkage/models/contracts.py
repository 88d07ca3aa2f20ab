"""Contracts of awarded projects: installments and their payments, evaluations, the delivery
workspace's documents and change requests."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.organizations import Organization
    from linkage.models.people import SocialWorker, User
    from linkage.models.projects import Bid, Project


class ContractStatus(enum.Enum):
    draft = "draft"        # drawn up by civil affairs, waiting for the organization to sign
    signed = "signed"

    @property
    def label(self):
        return {ContractStatus.draft: _l("Waiting for signature"), ContractStatus.signed: _l("Signed")}[self]


class Milestone(enum.Enum):
    signing = "signing"
    midterm = "midterm"    # a passed mid-term check
    final = "final"        # a passed final evaluation

    @property
    def label(self):
        return MILESTONE_LABELS[self]


MILESTONE_LABELS = {
    Milestone.signing: _l("On signing"),
    Milestone.midterm: _l("After a passed mid-term check"),
    Milestone.final: _l("After a passed final evaluation"),
}


class EvaluationKind(enum.Enum):
    midterm = "midterm"
    final = "final"

    @property
    def label(self):
        return {EvaluationKind.midterm: _l("Mid-term check"), EvaluationKind.final: _l("Final evaluation")}[self]


# The social workers who deliver the contract: the winning bid's team when it is drawn up, then as
# approved change requests make it.
contract_team = sa.Table(
    "contract_team", db.metadata,
    sa.Column("contract_id", sa.ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("social_worker_id", sa.ForeignKey("social_workers.id", ondelete="CASCADE"), primary_key=True),
)
# The team a change request asks for.
change_request_team = sa.Table(
    "change_request_team", db.metadata,
    sa.Column("change_request_id", sa.ForeignKey("change_requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("social_worker_id", sa.ForeignKey("social_workers.id", ondelete="CASCADE"), primary_key=True),
)


class Contract(db.Model):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)  # the project's
    status: Mapped[ContractStatus] = mapped_column(
        sa.Enum(ContractStatus, native_enum=False, length=16), default=ContractStatus.draft, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    term_start: Mapped[date] = mapped_column(sa.Date)
    term_end: Mapped[date] = mapped_column(sa.Date)
    renewals: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    renewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    target_residents: Mapped[int] = mapped_column(default=0)
    target_visits: Mapped[int] = mapped_column(default=0)
    target_hours: Mapped[int] = mapped_column(default=0)
    evaluator_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    signed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    bid: Mapped[Bid] = relationship()
    organization: Mapped[Organization] = relationship()
    evaluator: Mapped[Optional[User]] = relationship(foreign_keys=[evaluator_id])
    signed_by: Mapped[Optional[User]] = relationship(foreign_keys=[signed_by_id])
    installments: Mapped[list[Installment]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Installment.position")
    evaluations: Mapped[list[Evaluation]] = relationship(back_populates="contract", order_by="Evaluation.id")
    team: Mapped[list[SocialWorker]] = relationship(secondary=contract_team, order_by="SocialWorker.id")

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.status.value}>"


class Installment(db.Model):
    """A share of the contract amount, due when its milestone is reached."""

    __tablename__ = "installments"
    __table_args__ = (sa.UniqueConstraint("contract_id", "milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    milestone: Mapped[Milestone] = mapped_column(sa.Enum(Milestone, native_enum=False, length=16))
    percent: Mapped[int] = mapped_column(sa.SmallInteger)
    amount: Mapped[Decimal] = mapped_column(Money)
    released_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)   # the milestone was reached

    contract: Mapped[Contract] = relationship(back_populates="installments")
    payment: Mapped[Optional[Payment]] = relationship(back_populates="installment", uselist=False)

    @property
    def released(self) -> bool:
        return self.released_at is not None


class Payment(db.Model):
    """The money paid for one installment, with who approved it and when."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    installment_id: Mapped[int] = mapped_column(sa.ForeignKey("installments.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    approved_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    installment: Mapped[Installment] = relationship(back_populates="payment")
    approved_by: Mapped[Optional[User]] = relationship()


class Evaluation(db.Model):
    """A mid-term check or final evaluation: the figures computed from the platform's records when it
    was entered, the evaluator's judgement, and the verdict."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[EvaluationKind] = mapped_column(sa.Enum(EvaluationKind, native_enum=False, length=16))
    evaluator_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    targets_met: Mapped[float] = mapped_column(sa.Float, default=0.0)         # percent, 0..100
    satisfaction: Mapped[Optional[float]] = mapped_column(sa.Float)            # mean rating 1..5
    ratings: Mapped[int] = mapped_column(default=0)
    spent_share: Mapped[float] = mapped_column(sa.Float, default=0.0)         # paid ÷ amount, percent
    financial_note: Mapped[str] = mapped_column(sa.Text, default="")
    score: Mapped[float] = mapped_column(sa.Float)                            # the evaluator's, 0..100
    passed: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="evaluations")
    evaluator: Mapped[Optional[User]] = relationship()


class DocumentKind(enum.Enum):
    report = "report"
    document = "document"

    @property
    def label(self):
        return {DocumentKind.report: _l("Progress report"), DocumentKind.document: _l("Other document")}[self]


class Document(db.Model):
    """A report or document the organization uploaded: the file lives in the instance folder under
    ``stored_name`` (random), never under a name the user chose."""

    __tablename__ = "contract_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(sa.Enum(DocumentKind, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(sa.String(200))
    file_name: Mapped[str] = mapped_column(sa.String(200))       # shown and offered on download only
    extension: Mapped[str] = mapped_column(sa.String(16))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    uploaded_by: Mapped[Optional[User]] = relationship()


class ChangeKind(enum.Enum):
    team = "team"
    schedule = "schedule"

    @property
    def label(self):
        return {ChangeKind.team: _l("Team"), ChangeKind.schedule: _l("Schedule")}[self]


class ChangeStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    declined = "declined"

    @property
    def label(self):
        return {ChangeStatus.pending: _l("Waiting for a decision"), ChangeStatus.approved: _l("Approved"),
                ChangeStatus.declined: _l("Declined")}[self]


class ChangeRequest(db.Model):
    """The organization asks to change the team (``team``: the team it asks for) or the schedule
    (``new_end``: the day the service is to end); civil affairs decide, and an approval makes the change."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(sa.Enum(ChangeKind, native_enum=False, length=16))
    description: Mapped[str] = mapped_column(sa.Text)
    new_end: Mapped[Optional[date]] = mapped_column(sa.Date)
    status: Mapped[ChangeStatus] = mapped_column(
        sa.Enum(ChangeStatus, native_enum=False, length=16), default=ChangeStatus.pending)
    requested_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")

    contract: Mapped[Contract] = relationship()
    requested_by: Mapped[Optional[User]] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
    team: Mapped[list[SocialWorker]] = relationship(secondary=change_request_team, order_by="SocialWorker.id")
