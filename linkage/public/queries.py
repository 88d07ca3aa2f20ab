"""What the public page reads: projects once published (never a draft), the award notice's ranking with
the prices it publishes, evaluation results, and the district's figures as SQL aggregates.

Nothing here names a person: organizations (legal entities) are named, residents, volunteers, social
workers and evaluators never are."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa

from linkage.contracts.queries import contract_of
from linkage.extensions import db
from linkage.models import (Bid, BidStatus, Contract, ContractStatus, Evaluation, HoursStatus, Installment,
                            Payment, Project, ProjectStatus, SignUp)
from linkage.projects import access, services

DONE_STATUSES = (ProjectStatus.completed, ProjectStatus.final_evaluated)


def public_condition():
    """SQL condition on ``Project``: never a draft; a cancelled project only if it had been published."""
    return sa.and_(Project.status != ProjectStatus.draft,
                   sa.or_(Project.status != ProjectStatus.cancelled, Project.published_at.is_not(None)))


def is_public(project: Project) -> bool:
    return project.status != ProjectStatus.draft and (
        project.status != ProjectStatus.cancelled or project.published_at is not None)


def published_on(project: Project) -> datetime:
    """When the project was published (its creation, for a project published before this was recorded)."""
    return project.published_at or project.created_at


def public_project(project_id: int) -> Optional[Project]:
    return db.session.scalar(sa.select(Project).where(Project.id == project_id, public_condition()))


def projects_in(*statuses: ProjectStatus) -> list[Project]:
    """Public projects in ``statuses``, the newest publication first."""
    return list(db.session.scalars(sa.select(Project).where(public_condition(), Project.status.in_(statuses))
                                   .order_by(Project.id.desc())))


def open_projects(at: datetime) -> list[Project]:
    """Published projects whose bidding is still open."""
    return [p for p in projects_in(ProjectStatus.published) if p.bidding_open(at)]


def awarded_projects() -> list[Project]:
    return projects_in(*access.AWARDED_STATUSES)


def completed_projects() -> list[Project]:
    return projects_in(*DONE_STATUSES)


def ranking(project: Project, at: datetime) -> list[tuple[int, Bid]]:
    """The award notice's ranking (rank, bid), only of bids whose price the notice publishes; empty
    before the award and always before the bidding deadline."""
    bids = [b for b in db.session.scalars(sa.select(Bid).where(
        Bid.project_id == project.id, Bid.status.in_((BidStatus.won, BidStatus.lost))))
        if access.bid_price_public(b, at)]
    return list(enumerate(services.ranked(bids), 1))


def bid_count(project: Project, at: datetime) -> Optional[int]:
    """How many bids came in (submitted, then scored, won, lost or disqualified): known after the deadline."""
    if access.bidding_sealed(project, at):
        return None
    return db.session.scalar(sa.select(sa.func.count(Bid.id)).where(
        Bid.project_id == project.id, Bid.submitted_at.is_not(None),
        Bid.status.not_in((BidStatus.draft, BidStatus.withdrawn)))) or 0


def evaluations(project: Project) -> list[Evaluation]:
    """The mid-term check and final evaluation of the project's signed contract."""
    contract = contract_of(project)
    if contract is None or contract.status != ContractStatus.signed:
        return []
    return list(db.session.scalars(sa.select(Evaluation).where(Evaluation.contract_id == contract.id)
                                   .order_by(Evaluation.created_at, Evaluation.id)))


def signed_contract(project: Project) -> Optional[Contract]:
    contract = contract_of(project)
    return contract if contract is not None and contract.status == ContractStatus.signed else None


# --------------------------------------------------------------------------- the district's figures


@dataclass
class DistrictFigures:
    by_status: list            # (ProjectStatus, count), in the lifecycle's order
    budget: Decimal            # of every public project
    contracted: Decimal        # signed contracts' amounts
    paid: Decimal              # payments on them
    volunteer_hours: float     # approved hours of every shift

    @property
    def paid_of_contracted(self) -> int:
        return int(round(100 * self.paid / self.contracted)) if self.contracted else 0

    @property
    def contracted_of_budget(self) -> int:
        return int(round(100 * self.contracted / self.budget)) if self.budget else 0


def district_figures() -> DistrictFigures:
    counts = dict(db.session.execute(sa.select(Project.status, sa.func.count(Project.id))
                                     .where(public_condition()).group_by(Project.status)).all())
    budget = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Project.budget), 0)).where(public_condition()))
    contracted = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Contract.amount), 0))
                                   .where(Contract.status == ContractStatus.signed))
    paid = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0))
                             .join(Installment, Installment.id == Payment.installment_id)
                             .join(Contract, Contract.id == Installment.contract_id)
                             .where(Contract.status == ContractStatus.signed))
    minutes = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(SignUp.minutes), 0))
                                .where(SignUp.hours_status == HoursStatus.approved))
    return DistrictFigures(by_status=[(s, counts[s]) for s in ProjectStatus if s in counts],
                           budget=Decimal(budget or 0), contracted=Decimal(contracted or 0), paid=Decimal(paid or 0),
                           volunteer_hours=round((minutes or 0) / 60, 1))
