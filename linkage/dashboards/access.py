"""Who reads which dashboard, and over what.

Civil affairs staff (a district or a street), observers and community staff read the figures of their
region subtree (``linkage.community.access.community_scope``); an organization admin, and a supervising
social worker, those of their organization's work; a social worker those of their own work (the shifts
they lead, the needs of their cases). The area filter narrows within the reader's region by the one
subtree rule regions have (``Region.contains``); an area outside it is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa

from linkage.community.access import community_scope
from linkage.extensions import db
from linkage.models import Organization, Region, Role, SocialWorker, User, WorkerLevel
from linkage.shifts.access import social_worker_of

DASHBOARD_ROLES = (Role.civil_affairs, Role.observer, Role.community_staff, Role.org_admin, Role.social_worker)
AREA, ORGANIZATION, OWN = "area", "organization", "own"


@dataclass(frozen=True)
class Scope:
    """What one reader's dashboard covers: a region subtree (None: everywhere), narrowed to an organization's
    or one social worker's work."""
    kind: str
    region: Optional[Region]
    organization_id: Optional[int] = None
    worker_id: Optional[int] = None
    user_id: Optional[int] = None


def can_read_dashboard(user: User) -> bool:
    return user.role in DASHBOARD_ROLES or user.role == Role.admin


def supervises(worker: SocialWorker) -> bool:
    """A social worker with colleagues of a lower level in their organization (the cases' supervision rule)."""
    return worker.active and db.session.scalar(sa.select(sa.func.count()).select_from(SocialWorker).where(
        SocialWorker.organization_id == worker.organization_id, SocialWorker.active.is_(True),
        SocialWorker.level.in_([level for level in WorkerLevel if level.value < worker.level.value]))) > 0


def _district_of(organization: Organization) -> Optional[Region]:
    region = organization.region
    return region.district_area() if region is not None else None


def scope_for(user: User, view: Optional[str] = None) -> Optional[Scope]:
    """The scope of ``user``'s dashboard (a supervisor chooses ``view`` "own" or "organization"); None when
    they have none (no region, organization or social-worker record)."""
    if user.role == Role.admin:
        return Scope(AREA, None)
    if user.role in (Role.civil_affairs, Role.observer, Role.community_staff):
        region = community_scope(user)
        return Scope(AREA, region) if region is not None else None
    if user.role == Role.org_admin:
        organization = db.session.get(Organization, user.organization_id) if user.organization_id else None
        return Scope(ORGANIZATION, _district_of(organization), organization_id=organization.id) if organization else None
    if user.role == Role.social_worker:
        worker = social_worker_of(user)
        if worker is None:
            return None
        region = _district_of(worker.organization)
        if view == ORGANIZATION and supervises(worker):
            return Scope(ORGANIZATION, region, organization_id=worker.organization_id)
        return Scope(OWN, region, worker_id=worker.id, user_id=user.id)
    return None


def views_offered(user: User) -> list[str]:
    """The views a reader may switch between (a supervisor: their own work and their organization's)."""
    if user.role == Role.social_worker:
        worker = social_worker_of(user)
        if worker is not None and supervises(worker):
            return [OWN, ORGANIZATION]
    return []


def can_read_area(scope: Scope, region: Optional[Region]) -> bool:
    """An area filter within the scope's region subtree."""
    return region is not None and (scope.region is None or scope.region.contains(region))
