"""Organizations as each user may see them, their people, and the lists built on that."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage.listing import matching_text
from linkage.extensions import db
from linkage.models import Organization, OrgStatus, Region, RegionLevel, Role, SocialWorker, User
from linkage.organizations import access


def organizations_visible_to(user: User, status: Optional[OrgStatus] = None, text: Optional[str] = None):
    """Organizations whose service area lies in ``user``'s scope (admins: all), newest first; those whose name
    or credit code contains ``text`` when given."""
    query = sa.select(Organization).options(joinedload(Organization.region)).where(
        access.visible_organizations(user))
    query = matching_text(query, text, Organization.name, Organization.credit_code)
    if status is not None:
        query = query.where(Organization.status == status)
    return query.order_by(Organization.created_at.desc(), Organization.id.desc())


def organization_users(org: Organization, *roles: Role) -> list[User]:
    """Accounts linked to ``org`` (organization admins unless ``roles`` says otherwise)."""
    roles = roles or (Role.org_admin,)
    return list(db.session.scalars(
        sa.select(User).where(User.organization_id == org.id, User.role.in_(roles)).order_by(User.id)))


def admins_serving(region: Region):
    """SELECT of the ids of the admins of active organizations serving ``region`` (``access.serving``)."""
    return (sa.select(User.id).join(Organization, User.organization_id == Organization.id)
            .join(Region, Organization.region_id == Region.id)
            .where(User.role == Role.org_admin, Organization.status == OrgStatus.active, access.serving(region)))


def org_admins_serving(region: Region) -> list[User]:
    """Admins of active organizations serving ``region`` (told of new projects there)."""
    return list(db.session.scalars(sa.select(User).where(User.id.in_(admins_serving(region))).order_by(User.id)))


def civil_affairs_covering(region: Region) -> list[User]:
    """Civil affairs staff whose scope contains ``region`` (they verify what happens there)."""
    return list(db.session.scalars(
        sa.select(User).join(Region, User.region_id == Region.id)
        .where(User.role == Role.civil_affairs, sa.literal(region.path).startswith(Region.path))
        .order_by(User.id)))


def workers_of(org: Organization, *, active_only: bool = False):
    query = sa.select(SocialWorker).options(joinedload(SocialWorker.user)).where(
        SocialWorker.organization_id == org.id)
    if active_only:
        query = query.where(SocialWorker.active.is_(True))
    return query.order_by(SocialWorker.active.desc(), SocialWorker.name, SocialWorker.id)


def service_area_choices(keep=()) -> list[Region]:
    """Streets and communities (not retired, but for ``keep``): an organization's service area is one of them."""
    return list(db.session.scalars(
        sa.select(Region).where(Region.level.in_((RegionLevel.street, RegionLevel.community)), Region.offered(keep))
        .order_by(Region.path)))
