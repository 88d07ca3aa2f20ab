"""Queries for needs, scoped to the user. Views and the JSON API reuse them."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from linkage import audit
from linkage.audit_text import action_label
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import AuditEvent, Category, Need, NeedChannel, NeedFollower, NeedStatus, Region, Resident, User
from linkage.needs import access

# Needs someone still has to act on; the lists show these unless asked for all.
ACTIVE_STATUSES = (NeedStatus.submitted, NeedStatus.open, NeedStatus.matched, NeedStatus.in_service,
                   NeedStatus.delivered)

# How each event reads in a need's public status trail; other areas' events fall back to the status.
TRAIL_LABELS = {
    "need.submit": _l("Submitted"),
    "need.verify": _l("Verified by the community"),
    "need.reject": _l("Not accepted"),
    "need.withdraw": _l("Withdrawn"),
    "need.deliver": _l("Service confirmed as delivered"),
    "need.rate": _l("Rated"),
    "need.assign_case": _l("A social worker takes it on"),
    "need.expire": _l("Expired"),
    "need.flag_overdue": _l("Taking longer than promised: the community was reminded"),
    "need.escalate": _l("Passed on to the street office to follow up"),
    "need.join": _l("Another resident asked for the same and joined"),
    "need.merge": _l("The same as another need: merged into it"),
    "need.absorb": _l("A repeated request was merged into this one"),
}


def own_needs(user: User):
    """The needs of the resident record linked to ``user``'s account and those it follows (none for other
    accounts)."""
    residents = sa.select(Resident.id).where(Resident.user_id == user.id)
    followed = sa.select(NeedFollower.need_id).where(NeedFollower.resident_id.in_(residents))
    return sa.select(Need).where(sa.or_(Need.resident_id.in_(residents), Need.id.in_(followed)))


def needs_visible_to(user: User):
    """Needs ``user`` may see: staff their subtree, a resident their own, admins all."""
    return sa.select(Need).where(access.visible_needs(user))


def for_list(query):
    """Load what need lists show in a fixed number of queries, whatever the page size."""
    return query.options(joinedload(Need.resident), joinedload(Need.category).joinedload(Category.parent),
                         joinedload(Need.region), joinedload(Need.feedback))


def category_subtree(sector: Category):
    """Ids of ``sector`` and every category below it (the taxonomy has three levels)."""
    children = sa.select(Category.id).where(Category.parent_id == sector.id)
    return sa.select(Category.id).where(sa.or_(Category.id == sector.id, Category.parent_id == sector.id,
                                               Category.parent_id.in_(children)))


def filter_needs(query, *, status: Optional[str] = None, sector: Optional[Category] = None,
                 urgency: Optional[int] = None, community: Optional[Region] = None,
                 channel: Optional[str] = None):
    """Filters of the need lists, in SQL; ``status`` "" means active ones, "all" every status."""
    if channel:
        query = query.where(Need.channel == NeedChannel(channel))
    if not status:
        query = query.where(Need.status.in_(ACTIVE_STATUSES))
    elif status != "all":
        query = query.where(Need.status == NeedStatus(status))
    if sector is not None:
        query = query.where(Need.category_id.in_(category_subtree(sector)))
    if urgency:
        query = query.where(Need.urgency == urgency)
    if community is not None:
        query = query.where(Region.subtree_clause(Need.region_id, community))
    return query


def by_urgency(query):
    """Most urgent first, then the oldest: the order staff work in."""
    return query.order_by(Need.urgency.desc(), Need.created_at, Need.id)


def need_for_page(need_id: int) -> Optional[Need]:
    return db.session.get(Need, need_id, options=[
        joinedload(Need.resident).joinedload(Resident.user),
        joinedload(Need.category).joinedload(Category.parent), joinedload(Need.region),
        joinedload(Need.feedback), joinedload(Need.project), joinedload(Need.created_by),
        selectinload(Need.skills), selectinload(Need.shifts), selectinload(Need.photos),
        selectinload(Need.followers), selectinload(Need.duplicates), joinedload(Need.duplicate_of)])


def status_trail(need: Need) -> list[AuditEvent]:
    return audit.trail("Need", need.id)


def trail_label(event: AuditEvent):
    if event.action in TRAIL_LABELS:
        return TRAIL_LABELS[event.action]
    status = (event.after or {}).get("status")
    try:
        return NeedStatus(status).label
    except ValueError:
        return action_label(event.action)


def _active_categories() -> list[Category]:
    query = sa.select(Category).where(Category.active.is_(True)).order_by(Category.code)
    return list(db.session.scalars(query))


def sector_choices(locale: str):
    return choices([(c.id, c.display_name(locale)) for c in _active_categories() if c.parent_id is None])


def category_choices(locale: str):
    """Categories to file a need under, grouped by sector (an optgroup each); a sector without
    categories is offered itself."""
    rows = _active_categories()
    by_parent: dict[Optional[int], list[Category]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    result = []
    for sector in by_parent.get(None, []):
        group = sector.display_name(locale)
        pairs = []
        for category in by_parent.get(sector.id, []):
            pairs.append((category.id, category.display_name(locale)))
            pairs.extend((sub.id, f"{category.display_name(locale)} › {sub.display_name(locale)}")
                         for sub in by_parent.get(category.id, []))
        result.extend(choices(pairs or [(sector.id, group)], optgroup=group))
    return result

