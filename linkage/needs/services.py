"""The rules of a need's lifecycle. Services flush, never commit; every transition is an audit event.

    submitted ─verify─► open ─(a project or shift takes it: matched, in service)─► delivered ─rate─► closed
        │                  │
        ├──reject (reason)─┤      submitted or open can also be withdrawn by the resident (or staff for them).

Delivery is confirmed from open, matched or in service, and only when a project, a social worker's case
or a shift (not cancelled) serves the need (community activities often go without a match run), so
every delivered need points at the service that delivered it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, notifications, timeutil
from linkage.community import consents
from linkage.database import batching
from linkage.errors import Refused
from linkage.extensions import db
from linkage.notifications import link
from linkage.models import (AccountStatus, Category, Feedback, Need, NeedChannel, NeedStatus, Recurrence, Region,
                            RegionLevel, Resident, Role, Skill, User)
from linkage.models.needs import DELIVERABLE, EXPIRABLE, REJECTABLE, WITHDRAWABLE
from linkage.needs import intake
from linkage.needs.access import can_manage_need, can_rate, can_report_need_for, can_withdraw

URGENCIES = (1, 2, 3, 4)
RATINGS = (1, 2, 3, 4, 5)


def _locked(need: Need) -> Need:
    """Re-read ``need`` under a row lock (PostgreSQL; SQLite serializes writers), so two clicks
    cannot both pass a status check."""
    return db.session.scalars(sa.select(Need).where(Need.id == need.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def _status(need: Need) -> dict:
    return audit.snapshot(need, "status")


def community_staff(region: Region) -> list[User]:
    """The active staff accounts of the community that `region` lies in."""
    community = region.ancestor_at(RegionLevel.community)
    if community is None:
        return []
    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.community_staff, User.region_id == community.id,
        User.status == AccountStatus.active)))


def _resident_user(need: Need) -> list[Optional[User]]:
    """Who hears of a need's progress: its resident and the residents following it."""
    return [need.resident.user, *(row.resident.user for row in need.followers)]


def submit_need(resident: Resident, *, actor: User, category: Optional[Category], title: str,
                urgency: int = 2, description: str = "", skills: Iterable[Skill] = (),
                window_start: Optional[datetime] = None, window_end: Optional[datetime] = None,
                recurrence: Recurrence = Recurrence.once, needs_professional: bool = False,
                by_phone: bool = False, caller_phone: Optional[str] = None,
                photos: Iterable[tuple[str, bytes]] = (), consent: bool = False, data_consent: bool = False,
                photo_consent: bool = False, imported: bool = False,
                now: Optional[datetime] = None) -> Need:
    """Register a need (status submitted) by the resident, or by staff or a grid worker for them; its
    channel follows from who files it (``by_phone``: staff took a call). ``photos``: (file name, bytes).
    ``consent``: to sharing the request with those who serve it; ``data_consent``: to keeping the resident's
    data again, after they withdrew it; ``photo_consent``: to its photos. Both are recorded (``linkage.community.consents``).

    Times are aware UTC datetimes. Community staff are told when someone else filed it.
    """
    now = now or timeutil.now()
    if not can_report_need_for(actor, resident):
        raise Refused(_l("You cannot register needs for this resident."))
    if actor.role == Role.resident and not actor.is_verified:
        raise Refused(_l("Your account waits for verification by staff; you can submit needs after that."))
    if category is None or not category.active:
        raise Refused(_l("Choose a category of the service taxonomy."), field="category")
    if urgency not in URGENCIES:
        raise Refused(_l("Choose an urgency from 1 to 4."), field="urgency")
    title = (title or "").strip()
    if not title:
        raise Refused(_l("Say in a few words what is needed."), field="title")
    if window_start and window_end and window_end <= window_start:
        raise Refused(_l("The end of the time window must come after its start."), field="window_end")
    if window_end and window_end <= now:
        raise Refused(_l("This time window has already ended."), field="window_end")
    if by_phone and actor.role not in (Role.community_staff, Role.admin):
        raise Refused(_l("Only community staff take requests by phone."))
    if imported and actor.role not in (Role.community_staff, Role.admin):
        raise Refused(_l("Only community staff import requests."))
    channel = intake.channel_for(actor, by_phone=by_phone, imported=imported)
    caller_phone = intake.clean_caller_phone(channel, caller_phone)
    checked_photos = intake.check_photos(photos)
    consents.check_for_need(resident, given=consent, data_consent=data_consent, photos=bool(checked_photos),
                            photo_consent=photo_consent)
    need = Need(resident=resident, category=category, category_id=category.id if category is not None else None,
                region=resident.region, title=title,
                description=(description or "").strip(), urgency=urgency, status=NeedStatus.submitted,
                recurrence=recurrence, window_start=window_start, window_end=window_end,
                latitude=resident.latitude, longitude=resident.longitude,
                needs_professional=needs_professional, skills=list(skills), created_by_id=actor.id,
                created_at=now, channel=channel, caller_phone=caller_phone)
    db.session.add(need)
    intake.attach_photos(need, checked_photos, actor=actor)
    if not batching(db.session):   # a batch is flushed by its writer
        db.session.flush()
    audit.record(actor, "need.submit", need, after={
        **audit.snapshot(need, "status", "urgency", "category_id", "channel"), "photos": len(checked_photos)})
    consents.record_for_need(need, actor=actor, photos=bool(checked_photos))
    if actor.role != Role.community_staff:
        if need.id is None:
            db.session.flush()   # the staff's link names the need
        staff = [u for u in community_staff(resident.region) if u.id != actor.id]
        notifications.notify(staff, "need_submitted", link=link("community.need_detail", need_id=need.id),
                             title=need.title)
    return need


def verify_need(need: Need, *, actor: User, note: str = "") -> None:
    """The community confirms a submitted need: it becomes open for service."""
    if not can_manage_need(actor, need):
        raise Refused(_l("Only the staff of this need's community can verify it."))
    need = _locked(need)
    if need.status != NeedStatus.submitted:
        raise Refused(_l("Only a submitted need can be verified; this one is: %(status)s.",
                         status=need.status.label))
    before = _status(need)
    need.status = NeedStatus.open
    need.verified_at = timeutil.now()
    need.status_note = (note or "").strip()
    audit.record(actor, "need.verify", need, before=before, after=_status(need), note=need.status_note)
    notifications.notify(_resident_user(need), "need_verified", link=link("needs.detail", need_id=need.id),
                         title=need.title)


def reject_need(need: Need, *, actor: User, reason: str) -> None:
    """The community does not accept a need (submitted, or open and not yet taken up); the reason is shown."""
    reason = (reason or "").strip()
    if not can_manage_need(actor, need):
        raise Refused(_l("Only the staff of this need's community can reject it."))
    if not reason:
        raise Refused(_l("Give the reason; the resident will read it."), field="reason")
    need = _locked(need)
    if need.status not in REJECTABLE:
        raise Refused(_l("A need that is %(status)s can no longer be rejected.", status=need.status.label))
    before = _status(need)
    need.status = NeedStatus.rejected
    need.status_note = reason
    need.closed_at = timeutil.now()
    audit.record(actor, "need.reject", need, before=before, after=_status(need), note=reason)
    notifications.notify(_resident_user(need), "need_rejected", link=link("needs.detail", need_id=need.id),
                         title=need.title, reason=reason)


def withdraw_need(need: Need, *, actor: User, reason: str = "") -> None:
    """The resident (or staff at their request) withdraws a need nobody has taken up yet."""
    if not can_withdraw(actor, need):
        raise Refused(_l("You cannot withdraw this need."))
    need = _locked(need)
    if need.status not in WITHDRAWABLE:
        raise Refused(_l("A need that is %(status)s can no longer be withdrawn; please contact your "
                         "community.", status=need.status.label))
    before = _status(need)
    need.status = NeedStatus.withdrawn
    need.status_note = (reason or "").strip()
    need.closed_at = timeutil.now()
    audit.record(actor, "need.withdraw", need, before=before, after=_status(need), note=need.status_note)
    notifications.notify([u for u in community_staff(need.region) if u.id != actor.id], "need_withdrawn",
                         link=link("community.need_detail", need_id=need.id), title=need.title)


def expire_need(need: Need, *, actor: Optional[User] = None, reason: str = "") -> bool:
    """A need nobody took up (submitted or open) expires: the one way any path (the scheduled check in
    ``linkage.needs.escalation``, the demo seed) ends a need so. ``actor`` None: the platform itself.
    Answers False, changing nothing, when the need is no longer waiting (taken up, closed, or already
    expired by another run)."""
    need = _locked(need)
    if need.status not in EXPIRABLE:
        return False
    before = _status(need)
    need.status = NeedStatus.expired
    need.closed_at = timeutil.now()
    need.status_note = reason
    audit.record(actor, "need.expire", need, before=before, after=_status(need), note=reason)
    notifications.notify(_resident_user(need), "need_expired", link=link("needs.detail", need_id=need.id),
                         title=need.title)
    return True


def confirm_delivered(need: Need, *, actor: User, note: str = "") -> None:
    """The community confirms the service was delivered; the resident is asked to rate it."""
    if not can_manage_need(actor, need):
        raise Refused(_l("Only the staff of this need's community can confirm its delivery."))
    need = _locked(need)
    if need.status not in DELIVERABLE:
        raise Refused(_l("A need that is %(status)s cannot be confirmed as delivered.",
                         status=need.status.label))
    if not need.is_served:
        raise Refused(_l("No project or shift serves this need yet: add it to the activity that served it, "
                         "then confirm."))
    before = _status(need)
    need.status = NeedStatus.delivered
    need.delivered_at = timeutil.now()
    need.status_note = (note or "").strip()
    audit.record(actor, "need.deliver", need, before=before, after=_status(need), note=need.status_note)
    notifications.notify(_resident_user(need), "need_delivered", link=link("needs.detail", need_id=need.id),
                         title=need.title)


def rate_need(need: Need, *, actor: User, rating: int, comment: str = "") -> Feedback:
    """Rate a delivered service 1–5, by the resident or by staff on their behalf; the need closes."""
    if not can_rate(actor, need):
        raise Refused(_l("You cannot rate this need."))
    need = _locked(need)
    if need.feedback is not None:
        raise Refused(_l("This service was already rated."))
    if need.status != NeedStatus.delivered:
        raise Refused(_l("A service can be rated once it is confirmed as delivered."))
    if rating not in RATINGS:
        raise Refused(_l("Choose a rating from 1 to 5."), field="rating")
    comment = (comment or "").strip()
    feedback = Feedback(need=need, rating=rating, comment=comment, created_by_id=actor.id,
                        on_behalf=actor.id != need.resident.user_id)
    db.session.add(feedback)
    before = _status(need)
    need.status = NeedStatus.closed
    need.closed_at = timeutil.now()
    audit.record(actor, "need.rate", need, before=before,
                 after={**_status(need), "rating": rating, "on_behalf": feedback.on_behalf}, note=comment)
    return feedback


@dataclass(frozen=True)
class PaperRecord:
    """One need from a community's paper ledger kept before the platform: who, what, when reported and
    when served."""
    resident_id: int
    category_id: int
    region_id: int
    title: str
    reported_at: datetime
    served_at: datetime


def import_paper_records(community: Region, records: list[PaperRecord], *, actor: User) -> int:
    """Write a community's past paper records of needs in one batch (one audit event for the batch): ended
    needs of the channel ``paper_record``, reported and served when the ledger says. They count in the
    history of needs (the forecast) and nowhere as platform work (no response time, no rating)."""
    if actor.role not in (Role.community_staff, Role.admin) or not (
            actor.role == Role.admin or (actor.region is not None and actor.region.contains(community))):
        raise Refused(_l("Only the community's staff import its past records."))
    if community.level != RegionLevel.community:
        raise Refused(_l("Past records are imported for a community."))
    regions = {r.id: r for r in db.session.scalars(sa.select(Region).where(
        Region.id.in_({record.region_id for record in records})))}
    if any(not community.contains(regions.get(record.region_id)) for record in records):
        raise Refused(_l("A record lies outside the community."))
    if any(record.served_at < record.reported_at or record.reported_at > timeutil.now() for record in records):
        raise Refused(_l("A record is served before it was reported, or reported in the future."))
    rows = [{"resident_id": r.resident_id, "category_id": r.category_id, "region_id": r.region_id,
             "title": r.title[:200], "description": "", "urgency": 1, "status": NeedStatus.closed,
             "status_note": "", "recurrence": Recurrence.once, "needs_professional": False,
             "channel": NeedChannel.paper_record, "created_by_id": actor.id, "created_at": r.reported_at,
             "verified_at": r.reported_at, "delivered_at": r.served_at, "closed_at": r.served_at}
            for r in records]
    if rows:
        db.session.execute(sa.insert(Need), rows)
    dates = [r.reported_at for r in records]
    audit.record(actor, "need.import_paper_records", community, region_id=community.id,
                 after={"count": len(rows), "first_reported": min(dates).isoformat() if dates else None,
                        "last_reported": max(dates).isoformat() if dates else None})
    db.session.flush()
    return len(rows)
