"""Who may see and act on a need: the one place for these checks (see linkage.community.access)."""
from __future__ import annotations

from linkage.community.access import community_scope, in_scope
import sqlalchemy as sa

from linkage.models import Need, NeedFollower, NeedStatus, Region, Resident, Role, User
from linkage.models.needs import DELIVERABLE, MERGEABLE, REJECTABLE, WITHDRAWABLE

# Staff roles that see needs in their scope (read-only unless stated below).
NEED_STAFF_ROLES = (Role.community_staff, Role.grid_worker, Role.civil_affairs, Role.observer)
# Roles that register needs on a resident's behalf (grid workers: found on rounds).
REPORTING_ROLES = (Role.community_staff, Role.grid_worker)


def is_own_need(user: User, need: Need) -> bool:
    return user.role == Role.resident and need.resident.user_id == user.id


def follows_need(user: User, need: Need) -> bool:
    """A resident who joined ``need`` (or whose duplicate was merged into it)."""
    return user.role == Role.resident and any(row.resident.user_id == user.id for row in need.followers)


def can_read_as_resident(user: User, need: Need) -> bool:
    """The resident's need page: their own need, or one they follow (read-only)."""
    return is_own_need(user, need) or follows_need(user, need)


def can_see_need(user: User, need: Need) -> bool:
    if user.role == Role.admin:
        return True
    if user.role == Role.resident:
        return can_read_as_resident(user, need)
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


def visible_needs(user: User):
    """SQL condition on ``Need``: staff their subtree, a resident their own, admins all."""
    if user.role == Role.admin:
        return sa.true()
    if user.role == Role.resident:
        mine = sa.select(Resident.id).where(Resident.user_id == user.id)
        followed = sa.select(NeedFollower.need_id).where(NeedFollower.resident_id.in_(mine))
        return sa.or_(Need.resident_id.in_(mine), Need.id.in_(followed))
    scope = community_scope(user)
    if user.role not in NEED_STAFF_ROLES or scope is None:
        return sa.false()
    return Region.subtree_clause(Need.region_id, scope)


def can_report_needs(user: User) -> bool:
    """Staff who register needs on residents' behalf (the list shows the button)."""
    return user.role in REPORTING_ROLES or user.role == Role.admin


# --- what the pages offer: the services enforce the same rules --------------------------------------

def need_actions(user: User, need: Need) -> set[str]:
    """The decisions the community's need page offers ``user``: verify, reject, deliver, rate."""
    if not can_manage_need(user, need):
        return set()
    offered = {"merge": need.status in MERGEABLE,"verify": need.status == NeedStatus.submitted, "reject": need.status in REJECTABLE,
               "deliver": need.status in DELIVERABLE and need.is_served,
               # Not served by anything yet: the page says delivery can be confirmed once something serves it.
               "deliver_later": need.status in DELIVERABLE and not need.is_served,
               "rate": need.status == NeedStatus.delivered and need.feedback is None}
    return {action for action, allowed in offered.items() if allowed}


def can_withdraw_now(user: User, need: Need) -> bool:
    """The resident's withdraw button: their need, not yet served."""
    return need.status in WITHDRAWABLE and can_withdraw(user, need)


def can_rate_now(user: User, need: Need) -> bool:
    """The resident's rating form: their delivered need, not rated yet."""
    return need.status == NeedStatus.delivered and need.feedback is None and can_rate(user, need)


# Who reads the on-time report (of the needs they may see): community staff their community, civil affairs
# their street or district, administrators all.
ON_TIME_READERS = (Role.community_staff, Role.civil_affairs, Role.admin)


def can_read_on_time(user: User) -> bool:
    return user.role in ON_TIME_READERS
