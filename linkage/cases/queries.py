"""Selects of cases, in one place: caseloads, the lists of a social worker's pages, tasks from due dates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from linkage import settings
from linkage.extensions import db
from linkage.listing import matching_text
from linkage.models import (HOLDING_STATUSES, Case, CaseApproval, CaseDocument, CaseReferral, CaseService, CaseStage,
                            CaseStatus, CaseTransfer, Decision, HandOver, Need, NeedStatus, Organization, OrgStatus,
                            Project, Resident, Shift, ShiftStatus, SignUp, SocialWorker, Volunteer)
from linkage.models.projects import Bid, BidStatus, RUNNING_STATUSES
from linkage.timeutil import now


def open_case_counts(worker_ids: Optional[Iterable[int]] = None) -> dict[int, int]:
    """Open cases per social worker id (those without any are left out)."""
    query = (sa.select(Case.owner_id, sa.func.count(Case.id)).where(Case.status == CaseStatus.open)
             .group_by(Case.owner_id))
    if worker_ids is not None:
        query = query.where(Case.owner_id.in_(list(worker_ids) or [0]))
    return dict(db.session.execute(query).all())


def remaining_caseload(worker: SocialWorker, counts: Optional[dict[int, int]] = None) -> int:
    """How many more cases ``worker`` may take: their limit less their open cases (never below 0).
    Opening a case and the case run's capacities both ask this."""
    counts = open_case_counts([worker.id]) if counts is None else counts
    return max(0, worker.caseload_limit - counts.get(worker.id, 0))


def open_case_of(resident_id: int) -> Optional[Case]:
    """The resident's open case, if any (a resident has at most one)."""
    return db.session.scalar(sa.select(Case).where(Case.resident_id == resident_id, Case.status == CaseStatus.open)
                             .order_by(Case.id).limit(1))


def case_for_page(case_id: int) -> Optional[Case]:
    return db.session.scalar(sa.select(Case).where(Case.id == case_id).options(
        selectinload(Case.needs),
        selectinload(Case.approvals).selectinload(CaseApproval.decided_by),
        selectinload(Case.approvals).selectinload(CaseApproval.requested_by),
        selectinload(Case.services).selectinload(CaseService.shift),
        selectinload(Case.services).selectinload(CaseService.volunteers),
        selectinload(Case.referrals).selectinload(CaseReferral.worker),
        selectinload(Case.transfers).selectinload(CaseTransfer.to_worker)))


def _listed(query: sa.Select, status: Optional[CaseStatus], text: Optional[str]) -> sa.Select:
    """A case list narrowed to one status and to cases whose title or resident's name holds ``text``, open
    cases first, then the newest."""
    if status is not None:
        query = query.where(Case.status == status)
    if text:
        query = matching_text(query.join(Resident, Resident.id == Case.resident_id), text, Case.title, Resident.name)
    return query.options(selectinload(Case.owner)).order_by(Case.status, Case.opened_at.desc(), Case.id.desc())


def owned_cases(owner_ids: Iterable[int], status: Optional[CaseStatus] = None, text: Optional[str] = None):
    """The cases of the social workers ``owner_ids`` (the reader and those they supervise), for a page."""
    return _listed(sa.select(Case).where(Case.owner_id.in_(list(owner_ids) or [0])), status, text)


def referred_cases(worker: SocialWorker) -> list[CaseReferral]:
    """Referrals naming ``worker`` that are waiting or accepted, newest first."""
    return list(db.session.scalars(sa.select(CaseReferral).where(
        CaseReferral.worker_id == worker.id, CaseReferral.status.in_((HandOver.pending, HandOver.accepted)))
        .options(selectinload(CaseReferral.case)).order_by(CaseReferral.id.desc())))


def transfers_offered(worker: SocialWorker) -> list[CaseTransfer]:
    return list(db.session.scalars(sa.select(CaseTransfer).where(
        CaseTransfer.to_worker_id == worker.id, CaseTransfer.status == HandOver.pending)
        .options(selectinload(CaseTransfer.case), selectinload(CaseTransfer.from_worker))
        .order_by(CaseTransfer.id)))


def supervised_workers(supervisor: SocialWorker) -> list[SocialWorker]:
    """Active social workers of lower level in the supervisor's organization."""
    return list(db.session.scalars(sa.select(SocialWorker).where(
        SocialWorker.organization_id == supervisor.organization_id, SocialWorker.id != supervisor.id,
        SocialWorker.active.is_(True)).order_by(SocialWorker.name)))


def _supervised_ids(supervisor: SocialWorker) -> list[int]:
    if not supervisor.active:
        return []
    return [w.id for w in supervised_workers(supervisor) if w.level.value < supervisor.level.value]


def approvals_waiting_for(supervisor: SocialWorker) -> list[CaseApproval]:
    """Pending approval requests on cases of the social workers ``supervisor`` supervises, oldest first."""
    ids = _supervised_ids(supervisor)
    return list(db.session.scalars(sa.select(CaseApproval).join(Case).where(
        CaseApproval.decision == Decision.pending, Case.owner_id.in_(ids or [0]))
        .options(selectinload(CaseApproval.case).selectinload(Case.owner)).order_by(CaseApproval.requested_at)))


@dataclass(frozen=True)
class Task:
    """What is due on an open case: the assessment, the plan or the review, and when."""
    case: Case
    kind: CaseStage
    due: datetime

    @property
    def overdue(self) -> bool:
        return now() > self.due


def task_of(case: Case) -> Optional[Task]:
    if not case.is_open:
        return None
    if case.stage in (CaseStage.intake, CaseStage.assessment) and case.assessment_due:
        return Task(case, CaseStage.assessment, case.assessment_due)
    if case.stage == CaseStage.plan and case.plan_due:
        return Task(case, CaseStage.plan, case.plan_due)
    if case.stage in (CaseStage.services, CaseStage.review) and case.review_due:
        return Task(case, CaseStage.review, case.review_due)
    return None


def tasks_for(worker: SocialWorker) -> list[Task]:
    """The tasks of ``worker``'s open cases, soonest due first."""
    cases = db.session.scalars(sa.select(Case).where(Case.owner_id == worker.id, Case.status == CaseStatus.open))
    return sorted((t for t in map(task_of, cases) if t is not None), key=lambda t: (t.due, t.case.id))


def overdue_for_supervisor(supervisor: SocialWorker) -> list[Task]:
    """Overdue tasks on the open cases of the social workers ``supervisor`` supervises."""
    ids = _supervised_ids(supervisor)
    cases = db.session.scalars(sa.select(Case).where(Case.owner_id.in_(ids or [0]), Case.status == CaseStatus.open)
                               .options(selectinload(Case.owner)))
    return sorted((t for t in map(task_of, cases) if t is not None and t.overdue), key=lambda t: t.due)


def unanswered_since() -> datetime:
    """Referrals asked before this moment and still unanswered are flagged."""
    return now() - timedelta(days=settings.get("CASE_REFERRAL_ANSWER_DAYS"))


def is_unanswered_too_long(referral: CaseReferral) -> bool:
    return referral.status == HandOver.pending and referral.requested_at < unanswered_since()


def stale_referrals(owner_ids: Iterable[int]) -> list[CaseReferral]:
    """Referrals on the cases of ``owner_ids`` nobody answered within CASE_REFERRAL_ANSWER_DAYS."""
    return list(db.session.scalars(sa.select(CaseReferral).join(Case).where(
        Case.owner_id.in_(list(owner_ids) or [0]), Case.status == CaseStatus.open,
        CaseReferral.status == HandOver.pending, CaseReferral.requested_at < unanswered_since())
        .options(selectinload(CaseReferral.case), selectinload(CaseReferral.worker))
        .order_by(CaseReferral.requested_at)))


def supervised_ids(supervisor: SocialWorker) -> list[int]:
    return _supervised_ids(supervisor)


def organization_caseload(org_id: int) -> list[tuple[SocialWorker, int]]:
    """Each social worker of the organization with their open cases."""
    workers = list(db.session.scalars(sa.select(SocialWorker).where(SocialWorker.organization_id == org_id)
                                      .order_by(SocialWorker.name)))
    counts = open_case_counts(w.id for w in workers)
    return [(w, counts.get(w.id, 0)) for w in workers]


def organization_cases(org_id: int, status: Optional[CaseStatus] = None, text: Optional[str] = None,
                       owner_id: Optional[int] = None):
    """The organization's cases, of one of its social workers if ``owner_id`` is given, for a page."""
    query = sa.select(Case).where(Case.organization_id == org_id)
    if owner_id is not None:
        query = query.where(Case.owner_id == owner_id)
    return _listed(query, status, text)


def holding_organization_id(need: Need) -> Optional[int]:
    """The organization that holds the need's project (its bid won and the project runs)."""
    if need.project_id is None:
        return None
    return db.session.scalar(sa.select(Bid.organization_id).join(Project, Project.id == Bid.project_id).where(
        Bid.project_id == need.project_id, Bid.status == BidStatus.won, Project.status.in_(RUNNING_STATUSES))
        .limit(1))


OPENABLE_NEED_STATUSES = (NeedStatus.open, NeedStatus.matched, NeedStatus.in_service)


def needs_to_open(org_id: int) -> list[Need]:
    """Professional needs a case may be opened from by ``org_id``: in a project it holds, or assigned to
    one of its social workers by a case run, and in no open case yet."""
    in_open_case = (sa.select(Need.id).join(Case.needs).where(Case.status == CaseStatus.open))
    holds = (sa.select(Bid.project_id).join(Project, Project.id == Bid.project_id).where(
        Bid.organization_id == org_id, Bid.status == BidStatus.won, Project.status.in_(RUNNING_STATUSES)))
    own_workers = sa.select(SocialWorker.id).where(SocialWorker.organization_id == org_id)
    return list(db.session.scalars(sa.select(Need).where(
        Need.needs_professional.is_(True), Need.status.in_(OPENABLE_NEED_STATUSES), Need.id.not_in(in_open_case),
        sa.or_(Need.project_id.in_(holds), Need.case_worker_id.in_(own_workers)))
        .options(selectinload(Need.resident)).order_by(Need.urgency.desc(), Need.id)))


def owner_choices(org_id: int) -> list[SocialWorker]:
    return list(db.session.scalars(sa.select(SocialWorker).join(Organization).where(
        SocialWorker.organization_id == org_id, SocialWorker.active.is_(True), Organization.status == OrgStatus.active)
        .order_by(SocialWorker.name)))


def referral_choices(case: Case) -> list[SocialWorker]:
    """Active social workers of active organizations other than the owner (referrals may cross organizations)."""
    return list(db.session.scalars(sa.select(SocialWorker).join(Organization).where(
        SocialWorker.active.is_(True), SocialWorker.user_id.is_not(None), Organization.status == OrgStatus.active,
        SocialWorker.id != case.owner_id).options(selectinload(SocialWorker.organization))
        .order_by(Organization.name, SocialWorker.name)))


def transfer_choices(case: Case) -> list[SocialWorker]:
    """Active social workers of the case's organization other than its owner."""
    return list(db.session.scalars(sa.select(SocialWorker).where(
        SocialWorker.organization_id == case.organization_id, SocialWorker.active.is_(True),
        SocialWorker.user_id.is_not(None), SocialWorker.id != case.owner_id).order_by(SocialWorker.name)))


def service_shifts(case: Case) -> list[Shift]:
    """Shifts a service on the case may name: the owner's, or of projects the case's organization holds,
    not cancelled, from the last 90 days up to now."""
    holds = (sa.select(Bid.project_id).where(Bid.organization_id == case.organization_id,
                                             Bid.status == BidStatus.won))
    moment = now()
    return list(db.session.scalars(sa.select(Shift).where(
        sa.or_(Shift.lead_id == case.owner_id, Shift.project_id.in_(holds)), Shift.status != ShiftStatus.cancelled,
        Shift.start <= moment, Shift.start >= moment - timedelta(days=90)).order_by(Shift.start.desc()).limit(50)))


def service_helpers(shifts: list[Shift]) -> list[tuple[Volunteer, Shift]]:
    """The volunteers who held a place on ``shifts`` (the ones a service may name), by shift and name."""
    if not shifts:
        return []
    by_id = {shift.id: shift for shift in shifts}
    rows = db.session.execute(sa.select(SignUp.shift_id, Volunteer).join(Volunteer, Volunteer.id == SignUp.volunteer_id)
                              .where(SignUp.shift_id.in_(list(by_id)), SignUp.status.in_(HOLDING_STATUSES))
                              .order_by(SignUp.shift_id.desc(), Volunteer.name))
    return [(volunteer, by_id[shift_id]) for shift_id, volunteer in rows]


def documents_of(case: Case) -> list[CaseDocument]:
    return list(db.session.scalars(sa.select(CaseDocument).where(CaseDocument.case_id == case.id)
                                   .options(selectinload(CaseDocument.uploaded_by))
                                   .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())))


def cases_of_run(run_id: int) -> list[Case]:
    """The cases a case run's approval opened, in the order they were opened."""
    return list(db.session.scalars(sa.select(Case).where(Case.match_run_id == run_id)
                                   .options(selectinload(Case.owner)).order_by(Case.id)))


def open_cases_of(worker: SocialWorker, *, lock: bool = False) -> list[Case]:
    query = sa.select(Case).where(Case.owner_id == worker.id, Case.status == CaseStatus.open).order_by(Case.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def left_with_open_cases(org_id: int) -> list[tuple[SocialWorker, int]]:
    """Social workers of the organization no longer active who still own open cases, with how many."""
    workers = list(db.session.scalars(sa.select(SocialWorker).where(
        SocialWorker.organization_id == org_id, SocialWorker.active.is_(False)).order_by(SocialWorker.name)))
    counts = open_case_counts(w.id for w in workers)
    return [(w, counts[w.id]) for w in workers if counts.get(w.id)]


def reassign_choices(worker: SocialWorker) -> list[SocialWorker]:
    """Who may take over ``worker``'s cases: active social workers of the organization with a log-in."""
    return list(db.session.scalars(sa.select(SocialWorker).where(
        SocialWorker.organization_id == worker.organization_id, SocialWorker.active.is_(True),
        SocialWorker.user_id.is_not(None), SocialWorker.id != worker.id).order_by(SocialWorker.name)))
