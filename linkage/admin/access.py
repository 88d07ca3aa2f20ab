"""Who may see and do what in the administration pages: the one place for these rules."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Bid, Region, Role, User
from linkage.projects.access import can_see_bid_price

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


def sealed_changes(user: User, events, at: datetime) -> dict[int, set[str]]:
    """Per event id, the recorded fields ``user`` may not read on the trail: a bid's price while it is
    sealed to them (the rule every page follows, ``can_see_bid_price``), civil affairs and admins
    included."""
    bid_ids = {event.subject_id for event in events if event.subject_type == "Bid"}
    if not bid_ids:
        return {}
    bids = {bid.id: bid for bid in db.session.scalars(sa.select(Bid).where(Bid.id.in_(bid_ids)))}
    return {event.id: {"price"} for event in events
            if event.subject_type == "Bid" and event.subject_id in bids
            and not can_see_bid_price(user, bids[event.subject_id], at)}
