"""Who may see and do what in the administration pages: the one place for these rules."""
from __future__ import annotations

import sqlalchemy as sa

from linkage.models import AuditEvent, Region, Role, User

# Roles that read the audit trail (admins all of it, civil affairs their region's part).
AUDIT_READERS = (Role.admin, Role.civil_affairs)


def visible_audit_events(user: User):
    """SQL condition on ``AuditEvent``: admins the whole trail; civil affairs events about their
    region's subtree; others nothing."""
    if user.role == Role.admin:
        return sa.true()
    if user.role != Role.civil_affairs or user.region is None:
        return sa.false()
    return Region.subtree_clause(AuditEvent.region_id, user.region)


def can_verify_audit_chain(user: User) -> bool:
    """Checking the hash chain reads every event, so it is for site admins only."""
    return user.role == Role.admin
