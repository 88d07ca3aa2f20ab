"""Residents' rights over their data: everything held on a resident, exported (JSON and a readable PDF);
anonymization at their request; and the retention period after which closed needs lose their personal
details, run by a scheduled batch.

An export by the resident shows their ID number in full; an export by staff masks it and is recorded in
the resident's access log like a look at the full record (``resident.export``). Anonymization keeps every
row and id (needs keep category, region, status and dates, so statistics and the audit trail still add
up) and removes what names or locates the person: name, ID number and its blind index, phone, address,
health notes, vulnerable-group tags, the needs' titles, details, notes, callers' numbers, positions,
photos and rating comments. The audit trail keeps its events (they hold ids, statuses and reasons staff
wrote, never an ID number); nothing written after shows a removed detail again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, settings, timeutil, uploads
from linkage.community.access import can_reveal_id, can_see_resident
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import AccountStatus, Need, NeedFollower, NeedStatus, Resident, Role, User
from linkage.models.needs import OPEN_STATUSES
from linkage.needs.intake import PHOTOS
from linkage.security import decrypt

log = logging.getLogger(__name__)

ANONYMOUS = "已匿名"
# Needs that ended: their personal details are removed once the retention period has passed.
ENDED = (NeedStatus.closed, NeedStatus.rejected, NeedStatus.withdrawn, NeedStatus.expired, NeedStatus.merged)
BATCH_SIZE = 200
MIN_REASON_LENGTH = 4


def _when(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _need_data(need: Need) -> dict:
    return {
        "id": need.id, "title": need.title, "description": need.description,
        "category": need.category.name, "region": need.region.name, "status": need.status.value,
        "urgency": need.urgency, "channel": need.channel.value, "caller_phone": need.caller_phone,
        "created_at": _when(need.created_at), "closed_at": _when(need.closed_at),
        "status_note": need.status_note, "photos": len(need.photos),
        "duplicate_of": need.duplicate_of_id,
        "rating": need.feedback.rating if need.feedback else None,
        "rating_comment": need.feedback.comment if need.feedback else None,
    }


def resident_data(resident: Resident, *, full_id: bool) -> dict:
    """Everything the platform holds on ``resident``: the record, the needs they asked for and follow, and
    the access log of their record (who registered, looked at or exported it, when and why)."""
    needs = db.session.scalars(sa.select(Need).where(Need.resident_id == resident.id).order_by(Need.id)).all()
    followed = db.session.scalars(sa.select(Need).join(NeedFollower, NeedFollower.need_id == Need.id)
                                  .where(NeedFollower.resident_id == resident.id).order_by(Need.id)).all()
    number = decrypt(resident.id_number_encrypted) if resident.id_number_encrypted else None
    events = audit.trail("Resident", resident.id)
    return {
        "resident": {
            "id": resident.id, "name": resident.name,
            "id_number": (number if full_id else resident.masked_id_number) or None,
            "birth_date": resident.birth_date.isoformat() if resident.birth_date else None,
            "gender": resident.gender, "phone": resident.phone, "address": resident.address,
            "region": resident.region.name, "tags": sorted(tag.value for tag in resident.tags),
            "health_notes": decrypt(resident.health_notes_encrypted) or None if full_id else None,
            "consent_at": _when(resident.consent_at), "registered_at": _when(resident.created_at),
            "account": resident.user.username if resident.user else None,
            "anonymized_at": _when(resident.anonymized_at),
        },
        "needs": [_need_data(need) for need in needs],
        "followed_needs": [{"id": need.id, "title": need.title, "status": need.status.value} for need in followed],
        "consents": [{"purpose": c.purpose.value, "need_id": c.need_id, "given_at": _when(c.given_at),
                      "channel": c.channel.value, "withdrawn_at": _when(c.withdrawn_at),
                      "withdrawal_channel": c.withdrawal_channel.value if c.withdrawal_channel else None}
                     for c in resident.consents],
        "access_log": [{"at": _when(event.at), "action": event.action,
                        "by": event.actor.role.value if event.actor else None, "reason": event.note or None}
                       for event in events],
        "exported_at": _when(timeutil.now()),
    }


def export_resident(resident: Resident, *, actor: User) -> dict:
    """The export for ``actor``: the resident themself (ID in full) or staff of the resident's community
    (ID masked, no health notes). Recorded in the access log either way."""
    own = actor.role == Role.resident and resident.user_id == actor.id
    if not own and not can_see_resident(actor, resident):
        raise Refused(_l("You may not export this resident's data."))
    data = resident_data(resident, full_id=own)
    audit.record(actor, "resident.export_own" if own else "resident.export", resident)
    return data


# --- anonymization --------------------------------------------------------------------------------------

def _clear_need(need: Need, now: datetime) -> int:
    """Remove a need's personal details; the number of photos removed."""
    need.title = ANONYMOUS
    need.description = ""
    need.status_note = ""
    need.caller_phone = None
    need.latitude = need.longitude = None
    need.anonymized_at = now
    if need.feedback is not None:
        need.feedback.comment = ""
    removed = 0
    for photo in list(need.photos):
        uploads.remove(PHOTOS, photo.stored_name)
        db.session.delete(photo)
        removed += 1
    return removed


def anonymize_resident(resident: Resident, *, actor: User, reason: str) -> None:
    """At the resident's request, community staff remove what identifies them (see the module's text).
    Refused while one of their needs is still open (withdraw or close it first)."""
    reason = (reason or "").strip()
    if not can_reveal_id(actor, resident):
        raise Refused(_l("Only the staff of the resident's community can anonymize their record."))
    if resident.anonymized_at is not None:
        raise Refused(_l("This resident's record is already anonymized."))
    if len(reason) < MIN_REASON_LENGTH:
        raise Refused(_l("Write how the resident asked for it (at least %(n)s characters).", n=MIN_REASON_LENGTH),
                      field="reason")
    needs = db.session.scalars(sa.select(Need).where(Need.resident_id == resident.id)).all()
    if any(need.status in OPEN_STATUSES for need in needs):
        raise Refused(_l("The resident still has needs in progress: withdraw or close them first."))
    now = timeutil.now()
    photos = sum(_clear_need(need, now) for need in needs)
    resident.name = ANONYMOUS
    resident.id_number_encrypted = resident.id_number_index = None
    resident.health_notes_encrypted = None
    resident.phone = None
    resident.address = ""
    resident.latitude = resident.longitude = None
    resident.tags = set()
    resident.anonymized_at = now
    account = resident.user
    if account is not None:  # the log-in closes: it would name the person and reach the anonymized record
        account.display_name = ANONYMOUS
        account.email = account.phone = None
        account.status = AccountStatus.suspended
        account.session_version += 1
        resident.user_id = None
    db.session.flush()
    audit.record(actor, "resident.anonymize", resident, after={"needs": len(needs), "photos": photos},
                 note=reason)


# --- retention ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    needs: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return f"{self.needs} needs anonymized in {self.batches} batches"


def _cutoff(now: datetime) -> datetime:
    months = int(settings.get("RETENTION_MONTHS"))
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, 28)
    return now.replace(year=year, month=month + 1, day=day)


def expired_needs(now: datetime, limit: int):
    """Ids of ended needs closed before the retention cut-off whose details are still kept, oldest first."""
    return sa.select(Need.id).where(Need.status.in_(ENDED), Need.closed_at.is_not(None),
                                    Need.closed_at <= _cutoff(now), Need.anonymized_at.is_(None)) \
        .order_by(Need.closed_at, Need.id).limit(limit)


def anonymize_batch(now: Optional[datetime] = None, size: int = BATCH_SIZE) -> int:
    """One batch: remove the personal details of up to ``size`` needs past retention, in the database
    (nothing is read out first), under row locks; one audit event lists the batch. Flushes, never commits."""
    now = now or timeutil.now()
    ids = db.session.scalars(expired_needs(now, size)).all()
    if not ids:
        return 0
    needs = db.session.scalars(sa.select(Need).where(Need.id.in_(ids), Need.anonymized_at.is_(None))
                               .order_by(Need.id).with_for_update()
                               .execution_options(populate_existing=True)).all()
    photos = sum(_clear_need(need, now) for need in needs)
    db.session.flush()
    audit.record(None, "need.retention_batch", None, after={
        "need_ids": [need.id for need in needs], "photos": photos,
        "retention_months": int(settings.get("RETENTION_MONTHS"))})
    return len(needs)


def run(size: int = BATCH_SIZE, now: Optional[datetime] = None) -> Outcome:
    """The scheduled job (``linkage.jobs``) and ``flask residents anonymize-expired``: batch after batch,
    each committed on its own, until none is left."""
    outcome = Outcome()
    while True:
        try:
            done = anonymize_batch(now, size)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        if not done:
            break
        outcome.needs += done
        outcome.batches += 1
    if outcome.needs:
        log.info("retention: %s", outcome)
    return outcome
