"""Queries for the administration pages."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.admin import access
from linkage.models import AuditEvent, Role, User


def users_matching(search: str = "", role: str = ""):
    query = sa.select(User).options(joinedload(User.region), joinedload(User.organization)).order_by(User.id)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(sa.or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    return query


def audit_events_visible_to(user: User, action: str = "", subject: str = ""):
    """The audit events ``user`` may read (see ``access.visible_audit_events``), newest first."""
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    query = query.where(access.visible_audit_events(user))
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip()))
    if subject:
        query = query.where(AuditEvent.subject_type == subject)
    return query
