"""Who may see and manage which organization and its social workers: the one place for these rules."""
from __future__ import annotations

import sqlalchemy as sa

from linkage.auth.access import can_see_region
from linkage.models import Organization, OrgStatus, Region, Role, User

# Roles that read the organization register (civil affairs manage it; observers only read).
REGISTER_READERS = (Role.civil_affairs, Role.observer, Role.admin)
# Statuses in which the organization's admin may still correct the registration data.
CORRECTABLE_STATUSES = (OrgStatus.registered, OrgStatus.rejected)


def visible_organizations(user: User):
    """SQL condition on ``Organization``: those whose service area lies in ``user``'s scope (admins: all)."""
    if user.role == Role.admin:
        return sa.true()
    if user.role not in REGISTER_READERS or user.region is None:
        return sa.false()
    return Region.subtree_clause(Organization.region_id, user.region)


def overlapping(region: Region):
    """SQL condition on ``Region``: it holds ``region`` or lies within it."""
    return sa.or_(Region.path.startswith(region.path), sa.literal(region.path).startswith(Region.path))


def serving(region: Region):
    """SQL condition on ``Organization`` joined with its service area (``Region``): the organization serves
    ``region``. The one rule for "organizations serving a street or community": the projects an
    organization is told of and may bid on, and the joint meetings its admin is asked to."""
    return overlapping(region)


def serves(org: Organization, region: Region) -> bool:
    """``serving`` for one organization: its service area holds ``region`` or lies within it."""
    return org.region.contains(region) or region.contains(org.region)


def is_member(user: User, org: Organization) -> bool:
    """The user is an admin or social worker of ``org``."""
    return user.role in (Role.org_admin, Role.social_worker) and user.organization_id == org.id


def can_view_organization(user: User, org: Organization) -> bool:
    if is_member(user, org):
        return True
    return user.role in REGISTER_READERS and can_see_region(user, org.region)


def can_manage_organization(user: User, org: Organization) -> bool:
    """Civil affairs staff whose scope covers the organization's service area (and admins)."""
    return user.role == Role.admin or (user.role == Role.civil_affairs and can_see_region(user, org.region))


def can_see_bids_of(user: User, org: Organization) -> bool:
    """Bids stay between the organization and civil affairs until an award makes them public."""
    return can_manage_organization(user, org) or is_member(user, org)


def can_register_organization(user: User) -> bool:
    """Organization admins register one organization, pending or verified, before they have one."""
    return user.role == Role.org_admin and user.organization_id is None


def can_correct_registration(user: User, org: Organization) -> bool:
    """The organization's admin, while civil affairs have not verified it (or rejected it)."""
    return can_manage_workers(user, org) and org.status in CORRECTABLE_STATUSES


def can_manage_workers(user: User, org: Organization) -> bool:
    return user.role == Role.org_admin and user.organization_id == org.id


def can_create_worker_login(user: User, org: Organization) -> bool:
    """Log-ins are created for social workers of an active organization only."""
    return can_manage_workers(user, org) and org.status == OrgStatus.active
