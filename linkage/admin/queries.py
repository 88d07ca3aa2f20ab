"""Queries for the administration pages."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.models import AuditEvent, Region, Role, User


def users_matching(search: str = "", role: str = ""):
    query = sa.select(User).options(joinedload(User.region), joinedload(User.organization)).order_by(User.id)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(sa.or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    return query


def audit_events_visible_to(user: User, action: str = "", subject: str = ""):
    """Admins see the whole trail; civil affairs staff see events about their region's subtree."""
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    if user.role != Role.admin:
        query = query.where(Region.subtree_clause(AuditEvent.region_id, user.region))
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip()))
    if subject:
        query = query.where(AuditEvent.subject_type == subject)
    return query
