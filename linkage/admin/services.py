"""Administration: staff accounts and account status."""
from __future__ import annotations

from typing import Optional

from flask_babel import lazy_gettext as _l

from linkage import audit
from linkage.auth import services as accounts
from linkage.errors import Refused
from linkage.models import AccountStatus, Organization, Region, RegionLevel, Role, User

# Which level of the region tree each staff role works at (None: no region needed).
SCOPE_LEVELS = {
    Role.civil_affairs: (RegionLevel.district, RegionLevel.street),
    Role.community_staff: (RegionLevel.community,),
    Role.grid_worker: (RegionLevel.grid, RegionLevel.community),
    Role.observer: (RegionLevel.district, RegionLevel.street, RegionLevel.community),
    Role.expert: (RegionLevel.district, RegionLevel.street),
    Role.resident: (RegionLevel.community, RegionLevel.grid),
    Role.volunteer: (RegionLevel.community,),
    Role.org_admin: (RegionLevel.district, RegionLevel.street, RegionLevel.community),
    Role.social_worker: (RegionLevel.district, RegionLevel.street, RegionLevel.community),
}


def create_account(*, username: str, password: str, display_name: str, role: Role, region: Optional[Region],
                   organization: Optional[Organization], actor: User) -> User:
    levels = SCOPE_LEVELS.get(role)
    if levels and (region is None or region.level not in levels):
        raise Refused(_l("This role needs a scope at one of these levels: %(levels)s.",
                         levels=", ".join(level.name for level in levels)), field="region")
    if role in (Role.org_admin, Role.social_worker) and organization is None:
        raise Refused(_l("Organization admins and social workers belong to an organization."), field="organization")
    try:
        return accounts.create_user(username=username, password=password, display_name=display_name, role=role,
                                    region=region, organization_id=organization.id if organization else None,
                                    actor=actor)
    except accounts.UsernameTaken:
        raise Refused(_l("This username is taken; choose another."), field="username")


def set_account_status(user: User, status: AccountStatus, *, actor: User) -> None:
    if user.id == actor.id:
        raise Refused(_l("You cannot change the status of your own account."))
    if user.status == status:
        return
    before = audit.snapshot(user, "status")
    user.status = status
    if status != AccountStatus.active:
        accounts.end_sessions(user)
    audit.record(actor, "user.status", user, before=before, after=audit.snapshot(user, "status"))
