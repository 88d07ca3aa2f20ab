"""Rating a visit and following up a low rating. Services flush, never commit; every change is audited."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, notifications, settings, timeutil
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import FollowUp, FollowUpStatus, Need, Shift, User, VisitRating
from linkage.needs.services import RATINGS, community_staff
from linkage.notifications import link
from linkage.ratings import queries
from linkage.ratings.access import can_close_follow_up, can_rate_visit, rates_on_behalf

COMMENT_MAX = 2000


def _lock(need: Need) -> None:
    """Hold the need's row (PostgreSQL; SQLite serializes writers), so two clicks cannot both rate."""
    db.session.execute(sa.select(Need.id).where(Need.id == need.id).with_for_update())


def rate_visit(shift: Shift, need: Need, *, actor: User, rating: Optional[int], comment: str = "") -> VisitRating:
    """Rate one visit 1–5, once: by the resident, or by community staff for them (marked, with who).
    A rating at or below RATING_FOLLOW_UP_AT opens a follow-up for the community."""
    if not can_rate_visit(actor, need):
        raise Refused(_l("You cannot rate this visit."))
    if not queries.is_visit(shift, need):
        raise Refused(_l("This visit can be rated once it has taken place."))
    _lock(need)
    if queries.rating_of(shift, need) is not None:
        raise Refused(_l("This visit was already rated."))
    if rating not in RATINGS:
        raise Refused(_l("Choose a rating from 1 to 5."), field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Refused(_l("Keep the comment under %(n)s characters.", n=COMMENT_MAX), field="comment")
    row = VisitRating(shift=shift, need=need, rating=rating, comment=comment, created_by_id=actor.id,
                      on_behalf=rates_on_behalf(actor, need))
    db.session.add(row)
    audit.record(actor, "visit.rate", row, region_id=need.region_id,
                 after={"shift_id": shift.id, "need_id": need.id, "rating": rating, "on_behalf": row.on_behalf},
                 note=comment)
    if rating <= int(settings.get("RATING_FOLLOW_UP_AT")):
        _open_follow_up(row, actor=actor)
    return row


def _open_follow_up(row: VisitRating, *, actor: User) -> FollowUp:
    need = row.need
    community = need.region.community_area()
    follow_up = FollowUp(rating=row, region=community, status=FollowUpStatus.open)
    db.session.add(follow_up)
    audit.record(actor, "follow_up.open", follow_up, after={"status": follow_up.status, "rating": row.rating,
                                                            "shift_id": row.shift_id, "need_id": need.id})
    notifications.notify(community_staff(need.region), "follow_up_opened",
                         link=link("ratings.community"), title=row.shift.title, rating=row.rating)
    return follow_up


def close_follow_up(follow_up: FollowUp, *, actor: User, note: str) -> FollowUp:
    """Close a follow-up with what was done (a note is required)."""
    if not can_close_follow_up(actor, follow_up):
        raise Refused(_l("You cannot close this follow-up."))
    follow_up = db.session.scalars(sa.select(FollowUp).where(FollowUp.id == follow_up.id).with_for_update()
                                   .execution_options(populate_existing=True)).one()
    if follow_up.status != FollowUpStatus.open:
        raise Refused(_l("This follow-up is already closed."))
    note = (note or "").strip()
    if not note:
        raise Refused(_l("Say what was done."), field="note")
    before = audit.snapshot(follow_up, "status")
    follow_up.status = FollowUpStatus.done
    follow_up.note = note
    follow_up.closed_by_id = actor.id
    follow_up.closed_at = timeutil.now()
    audit.record(actor, "follow_up.close", follow_up, before=before, after=audit.snapshot(follow_up, "status"),
                 note=note)
    return follow_up
