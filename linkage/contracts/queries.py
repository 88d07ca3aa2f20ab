"""Scoped selects for contracts, and the figures computed from the platform's own records: delivery
progress against targets, spending against budget, an organization's record."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l

from linkage import settings
from linkage.contracts import access
from linkage.extensions import db
from linkage.listing import matching_text
from linkage.models import (AuditEvent, Bid, BidStatus, ChangeRequest, Contract, ContractStatus, Document,
                            Evaluation, EvaluationKind, Feedback, HoursStatus, Installment, Need, NeedStatus,
                            Organization, Payment, Project, Region, Role, Shift, ShiftStatus, SignUp, User)
from linkage.organizations.services import add_years

DELIVERED = (NeedStatus.delivered, NeedStatus.closed)


def contract_of(project: Project) -> Optional[Contract]:
    return db.session.scalar(sa.select(Contract).where(Contract.project_id == project.id))


def contracts_visible_to(user: User):
    return (sa.select(Contract).join(Region, Region.id == Contract.region_id)
            .where(access.visible_contracts(user)).order_by(Contract.created_at.desc(), Contract.id.desc()))


def search_contracts(query: sa.Select, text: Optional[str], status: Optional[ContractStatus]) -> sa.Select:
    """The contracts of ``query`` whose project or organization is named like ``text``, in ``status``."""
    if text:
        query = matching_text(query.join(Project, Project.id == Contract.project_id)
                              .join(Organization, Organization.id == Contract.organization_id),
                              text, Project.title, Organization.name)
    if status is not None:
        query = query.where(Contract.status == status)
    return query


def documents_of(contract: Contract) -> list[Document]:
    return list(db.session.scalars(sa.select(Document).where(Document.contract_id == contract.id)
                                   .order_by(Document.uploaded_at.desc(), Document.id.desc())))


def change_requests_of(contract: Contract) -> list[ChangeRequest]:
    return list(db.session.scalars(sa.select(ChangeRequest).where(ChangeRequest.contract_id == contract.id)
                                   .order_by(ChangeRequest.requested_at.desc(), ChangeRequest.id.desc())))


def evaluator_choices(contract: Contract) -> list[User]:
    """Experts whose region contains the project's: the ones civil affairs may assign."""
    region = contract.project.region
    experts = db.session.scalars(sa.select(User).join(Region, Region.id == User.region_id)
                                 .where(User.role == Role.expert, sa.literal(region.path).startswith(Region.path))
                                 .order_by(User.display_name, User.id))
    return [user for user in experts if user.is_verified]


# --------------------------------------------------------------------------- progress


@dataclass
class Progress:
    """What the platform's records say the project delivered."""
    shifts_held: int
    hours: float
    needs_delivered: int
    residents: int
    ratings: int
    satisfaction: Optional[float]
    rows: list           # (label key, done, target, percent or None)

    @property
    def targets_met(self) -> float:
        """Mean share of the targets reached (each counted up to 100 %); 100 when no target is set."""
        shares = [min(done / target, 1.0) for _key, done, target, _pct in self.rows if target]
        return round(100 * sum(shares) / len(shares), 1) if shares else 100.0


def progress(project: Project, contract: Optional[Contract] = None) -> Progress:
    """Delivery so far: shifts held, approved volunteer hours, needs delivered (and their residents),
    the residents' ratings; against the contract's targets (the project's, before a contract)."""
    shifts_held = db.session.scalar(sa.select(sa.func.count(Shift.id)).where(
        Shift.project_id == project.id, Shift.status == ShiftStatus.done)) or 0
    minutes = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(SignUp.minutes), 0))
                                .join(Shift, Shift.id == SignUp.shift_id)
                                .where(Shift.project_id == project.id, SignUp.hours_status == HoursStatus.approved))
    delivered = sa.select(Need.id, Need.resident_id).where(Need.project_id == project.id,
                                                           Need.status.in_(DELIVERED)).subquery()
    needs_delivered, residents = db.session.execute(sa.select(
        sa.func.count(delivered.c.id), sa.func.count(sa.distinct(delivered.c.resident_id)))).one()
    ratings, mean = db.session.execute(
        sa.select(sa.func.count(Feedback.id), sa.func.avg(Feedback.rating))
        .join(Need, Need.id == Feedback.need_id).where(Need.project_id == project.id)).one()
    hours = round((minutes or 0) / 60, 1)
    targets = ((contract.target_residents, contract.target_visits, contract.target_hours) if contract is not None
               else (project.target_beneficiaries, project.target_visits, project.target_hours))
    rows = [(key, done, target, round(100 * done / target) if target else None)
            for key, done, target in zip(("residents", "visits", "hours"), (residents, shifts_held, hours), targets)]
    return Progress(shifts_held=shifts_held, hours=hours, needs_delivered=needs_delivered, residents=residents,
                    ratings=ratings, satisfaction=round(float(mean), 2) if mean is not None else None, rows=rows)


# --------------------------------------------------------------------------- money


@dataclass
class Spending:
    budget: Decimal
    amount: Optional[Decimal]     # the contract amount (None: no contract yet)
    released: Decimal             # installments whose milestone was reached
    paid: Decimal

    def share(self, part: Decimal, of: Optional[Decimal]) -> int:
        return int(round(100 * part / of)) if of else 0

    @property
    def paid_of_budget(self) -> int:
        return self.share(self.paid, self.budget)

    @property
    def paid_of_amount(self) -> int:
        return self.share(self.paid, self.amount)


def spending(project: Project, contract: Optional[Contract] = None) -> Spending:
    """A project's money at a glance: budget, contract amount, released and paid installments."""
    contract = contract if contract is not None else contract_of(project)
    if contract is None:
        return Spending(project.budget, None, Decimal(0), Decimal(0))
    released = sum((i.amount for i in contract.installments if i.released), Decimal(0))
    paid = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))
                             .join(Installment, Installment.id == Payment.installment_id)
                             .where(Installment.contract_id == contract.id))
    return Spending(project.budget, contract.amount, released, Decimal(paid or 0))


# --------------------------------------------------------------------------- the organization's record


def evaluations_of(org: Organization) -> list[Evaluation]:
    return list(db.session.scalars(sa.select(Evaluation).where(Evaluation.organization_id == org.id)
                                   .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())))


def bar_reason(org: Organization, day: date):
    """Why a failed final evaluation keeps ``org`` from bidding on ``day`` (``FAILED_EVALUATION_BAR_YEARS``),
    or None."""
    years = settings.get("FAILED_EVALUATION_BAR_YEARS")
    failed = failed_final_evaluation(org, day, years)
    if failed is None:
        return None
    return _l("A final evaluation of your organization failed on %(day)s; it may not bid for %(years)s years "
              "after that.", day=failed.created_at.date().isoformat(), years=years)


def failed_final_evaluation(org: Organization, day: date, years: int) -> Optional[Evaluation]:
    """The organization's latest final evaluation that failed within ``years`` before ``day`` (0: none counts).
    The one rule behind the bar on bidding after a failed final evaluation."""
    if not years:
        return None
    failed = db.session.scalars(sa.select(Evaluation).where(
        Evaluation.organization_id == org.id, Evaluation.kind == EvaluationKind.final,
        Evaluation.passed.is_(False)).order_by(Evaluation.created_at.desc(), Evaluation.id.desc()))
    for evaluation in failed:
        if add_years(evaluation.created_at.date(), years) > day:
            return evaluation
    return None


@dataclass
class OrganizationRecord:
    """What an organization's profile shows of its past work: grades, evaluations, residents' satisfaction."""
    grades: list          # (day, grade label), newest first
    evaluations: list     # Evaluation, newest first
    satisfaction: Optional[float]
    ratings: int


def _grade_history(org: Organization) -> list:
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "Organization", AuditEvent.subject_id == org.id)
        .order_by(AuditEvent.id.desc()))
    history = []
    for event in events:
        after, before = event.after or {}, event.before or {}
        if "grade" in after and (not before or before.get("grade") != after["grade"]):
            grade = int(after["grade"] or 0)
            history.append((after.get("grade_awarded_on") or event.at.date().isoformat(),
                            f"{grade}A" if grade else "—"))
    if not history and org.grade:
        history.append(((org.grade_awarded_on or org.created_at.date()).isoformat(), org.grade_label))
    return history


def organization_record(org: Organization) -> OrganizationRecord:
    won = sa.select(Bid.project_id).where(Bid.organization_id == org.id, Bid.status == BidStatus.won)
    ratings, mean = db.session.execute(
        sa.select(sa.func.count(Feedback.id), sa.func.avg(Feedback.rating))
        .join(Need, Need.id == Feedback.need_id).where(Need.project_id.in_(won))).one()
    return OrganizationRecord(grades=_grade_history(org), evaluations=evaluations_of(org),
                              satisfaction=round(float(mean), 2) if mean is not None else None, ratings=ratings)
