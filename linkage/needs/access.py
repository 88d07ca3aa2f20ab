"""Who may see and act on a need: the one place for these checks (see linkage.community.access)."""
from __future__ import annotations

from linkage.community.access import in_scope
from linkage.models import Need, Resident, Role, User

# Staff roles that see needs in their scope (read-only unless stated below).
NEED_STAFF_ROLES = (Role.community_staff, Role.grid_worker, Role.civil_affairs, Role.observer)
# Roles that register needs on a resident's behalf (grid workers: found on rounds).
REPORTING_ROLES = (Role.community_staff, Role.grid_worker)


def is_own_need(user: User, need: Need) -> bool:
    return user.role == Role.resident and need.resident.user_id == user.id


def can_see_need(user: User, need: Need) -> bool:
    if user.role == Role.admin:
        return True
    if user.role == Role.resident:
        return is_own_need(user, need)
    return user.role in NEED_STAFF_ROLES and in_scope(user, need.region)


def can_report_need_for(user: User, resident: Resident) -> bool:
    if user.role == Role.resident:
        return resident.user_id == user.id
    return (user.role in REPORTING_ROLES or user.role == Role.admin) and in_scope(user, resident.region)


def can_manage_need(user: User, need: Need) -> bool:
    """Verify, reject, confirm delivery, rate on the resident's behalf: the need's community staff."""
    return user.role in (Role.community_staff, Role.admin) and in_scope(user, need.region)


def can_rate(user: User, need: Need) -> bool:
    return is_own_need(user, need) or can_manage_need(user, need)


def can_withdraw(user: User, need: Need) -> bool:
    """The resident themself, or community staff when the resident asks them to."""
    return is_own_need(user, need) or can_manage_need(user, need)
