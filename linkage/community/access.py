"""Who may see and change residents and accounts: the one place for these checks.

Views turn a False into 403; services turn it into ``Refused``. An object that exists but lies outside
the user's scope answers 403, like a wrong role (the team's rule: wrong role or scope → 403, unknown
id → 404). Ids are sequential, so answering 404 would hide nothing worth hiding.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from linkage.models import Region, RegionLevel, Resident, Role, User, VolunteerClaim

# Roles that register residents and see the register (plus admins).
RESIDENT_ROLES = (Role.community_staff, Role.grid_worker)
# Roles that verify self-registered accounts (plus admins).
ACCOUNT_ROLES = (Role.community_staff, Role.civil_affairs)
# Self-registered roles each verifying role may confirm.
VERIFIABLE_ROLES = {
    Role.community_staff: (Role.volunteer, Role.resident),
    Role.civil_affairs: (Role.volunteer, Role.resident, Role.org_admin),
}


def community_scope(user: User) -> Optional[Region]:
    """The subtree whose residents and needs ``user`` works with; None for admins (everything).

    A grid worker works in the whole community of their grid: residents are often registered at
    community level, and a grid worker's rounds cross grid borders.
    """
    if user.role == Role.admin:
        return None
    if user.region is not None and user.role == Role.grid_worker:
        return user.region.community_area()
    return user.region


def in_scope(user: User, region: Optional[Region]) -> bool:
    """Whether ``region`` lies in ``user``'s working scope (admins: always)."""
    if user.role == Role.admin:
        return True
    scope = community_scope(user)
    return scope is not None and scope.contains(region)


def can_see_resident(user: User, resident: Resident) -> bool:
    return (user.role in RESIDENT_ROLES or user.role == Role.admin) and in_scope(user, resident.region)


def can_register_resident_in(user: User, region: Optional[Region]) -> bool:
    """Residents live in a community or one of its grids inside the user's scope."""
    return ((user.role in RESIDENT_ROLES or user.role == Role.admin) and region is not None
            and region.level in (RegionLevel.community, RegionLevel.grid) and in_scope(user, region))


def can_reveal_id(user: User, resident: Resident) -> bool:
    """Only community staff (and admins) may see a full ID number, and only with a logged reason."""
    return user.role in (Role.community_staff, Role.admin) and in_scope(user, resident.region)


def can_confirm_claim(user: User, claim) -> bool:
    """Whether ``user`` may confirm an account's claim on a record staff keep: a resident's record, community
    staff who may see its ID number; a volunteer's record, community staff of its community (admins: any)."""
    if isinstance(claim, VolunteerClaim):
        return user.role in (Role.community_staff, Role.admin) and in_scope(user, claim.volunteer.region)
    return can_reveal_id(user, claim.resident)


def can_verify_account(user: User, account: User) -> bool:
    """Community staff confirm volunteers and residents of their community; civil affairs staff
    also organization admins, in their subtree."""
    if account.id == user.id:
        return False
    if user.role == Role.admin:
        return account.role in (Role.volunteer, Role.resident, Role.org_admin)
    return account.role in VERIFIABLE_ROLES.get(user.role, ()) and in_scope(user, account.region)


def visible_residents(user: User):
    """SQL condition on ``Resident``: those registered in ``user``'s scope, for the roles that keep the
    register (admins: all)."""
    if user.role == Role.admin:
        return sa.true()
    scope = community_scope(user)
    if user.role not in RESIDENT_ROLES or scope is None:
        return sa.false()
    return Region.subtree_clause(Resident.region_id, scope)


def accounts_to_verify(user: User):
    """SQL condition on ``User``: the self-registered roles ``user`` may verify, in their scope."""
    if user.role == Role.admin:
        return User.role.in_(VERIFIABLE_ROLES[Role.civil_affairs])
    roles = VERIFIABLE_ROLES.get(user.role, ())
    scope = community_scope(user)
    if not roles or scope is None:
        return sa.false()
    return sa.and_(User.role.in_(roles), Region.subtree_clause(User.region_id, scope))


# --- residents' consents ----------------------------------------------------------------------------------

def can_see_consents(user: User, resident: Resident) -> bool:
    """The resident themself, and the staff who keep their community's register."""
    return (user.role == Role.resident and resident.user_id == user.id) or can_see_resident(user, resident)


def can_withdraw_consent(user: User, resident: Resident) -> bool:
    """The resident on their own pages, or community staff (and admins) told of it in person or by phone."""
    if user.role == Role.resident:
        return resident.user_id == user.id
    return user.role in (Role.community_staff, Role.admin) and in_scope(user, resident.region)
