"""Queries for the administration pages."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.admin import access
from linkage.extensions import db
from linkage.listing import matching_text
from linkage.models import AuditEvent, Category, Region, Role, Skill, User


def users_matching(search: str = "", role: Role | None = None):
    """Accounts whose username or name contains ``search``, of ``role`` when given, oldest first."""
    query = sa.select(User).options(joinedload(User.region), joinedload(User.organization)).order_by(User.id)
    query = matching_text(query, (search or "").strip(), User.username, User.display_name)
    if role is not None:
        query = query.where(User.role == role)
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


def taxonomy() -> list[Category]:
    """Every category, retired ones included, in tree order (a child's code extends its parent's)."""
    return list(db.session.scalars(sa.select(Category).options(joinedload(Category.parent)).order_by(Category.code)))


def skills() -> list[Skill]:
    return list(db.session.scalars(sa.select(Skill).order_by(Skill.active.desc(), Skill.code)))


def region_tree() -> list[Region]:
    """Every region, retired ones included, each right after its parent (path order)."""
    return list(db.session.scalars(sa.select(Region).order_by(Region.path)))
