"""Who may see and work a case: the one place for these checks.

Case notes are the most sensitive data of the platform: only the case's owner, the supervisors of the
owner (social workers of a higher level in the same organization) and the social workers a live
referral (or a transfer waiting for its answer) names may open a case. Nobody else may, whatever their
role: other social workers of the organization, its admin, community staff, civil affairs and site
admins all get 403. Organization admins see their organization's caseload (titles and stages, never
notes) and open cases for their social workers.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (Case, CaseReferral, CaseTransfer, HandOver, Role, SocialWorker, User)
from linkage.shifts.access import social_worker_of

__all__ = ["social_worker_of", "can_open_cases", "can_read", "can_work", "can_supervise", "is_supervisor_of",
           "can_see_caseload", "supervisors_of"]


def _active_worker(user: User) -> Optional[SocialWorker]:
    if user is None or not user.is_authenticated or user.role != Role.social_worker or not user.is_verified:
        return None
    worker = social_worker_of(user)
    return worker if worker is not None and worker.active else None


def is_supervisor_of(supervisor: Optional[SocialWorker], worker: SocialWorker) -> bool:
    """An active social worker of a higher level in the same organization."""
    return (supervisor is not None and supervisor.active and supervisor.id != worker.id
            and supervisor.organization_id == worker.organization_id
            and supervisor.level.value > worker.level.value)


def supervisors_of(worker: SocialWorker) -> list[SocialWorker]:
    """The social workers who may approve ``worker``'s assessments, plans and closures."""
    others = db.session.scalars(sa.select(SocialWorker).where(
        SocialWorker.organization_id == worker.organization_id, SocialWorker.active.is_(True),
        SocialWorker.id != worker.id).order_by(SocialWorker.name))
    return [other for other in others if is_supervisor_of(other, worker)]


def _named_by_referral(worker: SocialWorker, case: Case) -> bool:
    return db.session.scalar(sa.select(sa.func.count(CaseReferral.id)).where(
        CaseReferral.case_id == case.id, CaseReferral.worker_id == worker.id,
        CaseReferral.status.in_((HandOver.pending, HandOver.accepted)))) > 0


def _offered_transfer(worker: SocialWorker, case: Case) -> bool:
    return db.session.scalar(sa.select(sa.func.count(CaseTransfer.id)).where(
        CaseTransfer.case_id == case.id, CaseTransfer.to_worker_id == worker.id,
        CaseTransfer.status == HandOver.pending)) > 0


def can_read(user: User, case: Case) -> bool:
    """The owner, the owner's supervisors, and those a live referral or a pending transfer names."""
    worker = _active_worker(user)
    if worker is None:
        return False
    return (case.owner_id == worker.id or is_supervisor_of(worker, case.owner)
            or _named_by_referral(worker, case) or _offered_transfer(worker, case))


def is_owner(user: User, case: Case) -> bool:
    worker = _active_worker(user)
    return worker is not None and case.owner_id == worker.id


def can_work(user: User, case: Case) -> bool:
    """Stages, services, referrals and transfers: the owner of an open case."""
    return case.is_open and is_owner(user, case)


def can_write_notes(user: User, case: Case) -> bool:
    """Notes and contacts: the owner, and a social worker whose referral was accepted, on an open case."""
    if not case.is_open:
        return False
    worker = _active_worker(user)
    if worker is None:
        return False
    return case.owner_id == worker.id or db.session.scalar(sa.select(sa.func.count(CaseReferral.id)).where(
        CaseReferral.case_id == case.id, CaseReferral.worker_id == worker.id,
        CaseReferral.status == HandOver.accepted)) > 0


def can_supervise(user: User, case: Case) -> bool:
    """Decide the case's approval requests: a supervisor of its owner."""
    return is_supervisor_of(_active_worker(user), case.owner)


def can_open_cases(user: User) -> bool:
    """Social workers (for themselves) and organization admins (for their social workers)."""
    if user.role == Role.social_worker:
        return _active_worker(user) is not None
    return user.role == Role.org_admin and user.is_verified and user.organization_id is not None


def can_reassign(user: User, worker: SocialWorker) -> bool:
    """Hand the open cases of ``worker`` (once no longer active) to another social worker: the admin of
    their organization, or one of their supervisors."""
    if user.role == Role.org_admin:
        return user.is_verified and user.organization_id is not None and user.organization_id == worker.organization_id
    return is_supervisor_of(_active_worker(user), worker)


def can_see_caseload(user: User) -> bool:
    return user.role in (Role.social_worker, Role.org_admin)


def may_own(user: User, worker: SocialWorker) -> bool:
    """Whom ``user`` may open a case for: a social worker themself, an organization admin any active
    social worker of their organization."""
    if not worker.active:
        return False
    if user.role == Role.social_worker:
        own = _active_worker(user)
        return own is not None and own.id == worker.id
    return user.role == Role.org_admin and worker.organization_id == user.organization_id
