"""How needs come in: the channel of each one, photos attached to it, likely duplicates suggested before
filing (join the existing need instead), and staff merging a duplicate into the need it repeats.

A duplicate is an open need (submitted, open, matched or in service) of the same category, either the same
resident's or one within ``DUPLICATE_RADIUS_M`` of the resident's home. Joining one makes the resident a
follower: told of its progress like its requester. Merging closes the duplicate (status merged), points
it at the need it repeats, and makes its requester and followers followers of that need; both needs' pages
link to each other (FixMyStreet's "duplicate of").
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, notifications, settings, timeutil, uploads
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (Category, Need, NeedChannel, NeedFollower, NeedPhoto, NeedStatus, Region,
                            Resident, Role, User)
from linkage.models.needs import MERGEABLE, OPEN_STATUSES
from linkage.needs.access import can_manage_need, can_report_need_for
from linkage.notifications import link
from matching.geo import haversine_km

PHOTOS = "needs"   # the photos' folder under the instance's uploads (linkage/uploads.py); encrypted
PHONE_DIGITS = 20


def channel_for(actor: User, *, by_phone: bool = False, imported: bool = False) -> NeedChannel:
    """The channel a need filed by ``actor`` came through: the resident's own form, a grid worker, a call
    staff took (``by_phone``), a spreadsheet staff imported (``imported``), or staff for the resident."""
    if imported:
        return NeedChannel.spreadsheet
    if actor.role == Role.resident:
        return NeedChannel.resident_self
    if actor.role == Role.grid_worker:
        return NeedChannel.grid_worker
    return NeedChannel.hotline if by_phone else NeedChannel.staff_on_behalf


def clean_caller_phone(channel: NeedChannel, phone: Optional[str]) -> Optional[str]:
    """The caller's number of a call (digits, spaces, + and -), None on other channels; Refused if unusable."""
    if channel != NeedChannel.hotline:
        return None
    phone = "".join((phone or "").split())
    if not phone:
        return None
    if len(phone) > PHONE_DIGITS or not all(ch.isdigit() or ch in "+-" for ch in phone):
        raise Refused(_l("Enter the caller's number in digits."), field="caller_phone")
    return phone


def check_photos(photos: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes, str]]:
    """Each photo (name, bytes) with its extension, or Refused: not a JPG or PNG, too large, too many."""
    photos = [(name, content) for name, content in photos if name or content]
    most = settings.get("PHOTOS_PER_NEED")
    if len(photos) > most:
        raise Refused(_l("Attach at most %(n)s photos.", n=most), field="photos")
    return [(name, content, uploads.check(name, content, types=uploads.PHOTO_TYPES, size_setting="PHOTO_MAX_MB",
                                          field="photos"))
            for name, content in photos]


def attach_photos(need: Need, photos: list[tuple[str, bytes, str]], *, actor: User) -> list[NeedPhoto]:
    """Store checked photos (``check_photos``) encrypted under random names and list them on ``need``: each
    file with its row, all or nothing (``uploads.store_with_row``: should the transaction fail, no file stays)."""
    rows = []
    for _name, content, extension in photos:
        row = NeedPhoto(need=need, stored_name=uploads.new_name(), extension=extension, size=len(content),
                        uploaded_by_id=actor.id, created_at=timeutil.now())
        uploads.store_with_row(PHOTOS, row, content, encrypted=True)
        rows.append(row)
    return rows


def read_photo(need: Need, photo_id: int, *, reader: User) -> tuple[NeedPhoto, bytes]:
    """A photo of ``need`` and its bytes; Refused when it is not this need's, its consent was withdrawn
    (``consents.photos_shown_to``) or its file is gone."""
    from linkage.community import consents

    if not consents.photos_shown_to(reader, need):
        raise Refused(_l("The resident withdrew consent to these photos."))
    photo = db.session.get(NeedPhoto, photo_id)
    if photo is None or photo.need_id != need.id:
        raise Refused(_l("This need has no such photo."))
    content = uploads.read_stored(PHOTOS, photo.stored_name, _l("The photo's file is missing from the server."))
    return photo, content


# --- likely duplicates --------------------------------------------------------------------------------

def _distance_m(need: Need, resident: Resident) -> Optional[float]:
    if None in (need.latitude, need.longitude, resident.latitude, resident.longitude):
        return None
    return haversine_km((need.latitude, need.longitude), (resident.latitude, resident.longitude)) * 1000


def likely_duplicates(resident: Resident, category: Optional[Category], *,
                      exclude: Optional[Need] = None, limit: int = 5) -> list[tuple[Need, Optional[float]]]:
    """Open needs a new request of ``resident`` in ``category`` probably repeats, nearest first, each with
    its distance in metres from the resident's home (None when either has no position): the resident's
    own, and (within ``DUPLICATE_RADIUS_M``) anyone's in the same community. Needs the resident already
    follows are left out."""
    if category is None:
        return []
    community = resident.region.community_area()
    followed = sa.select(NeedFollower.need_id).where(NeedFollower.resident_id == resident.id)
    query = (sa.select(Need).where(Need.category_id == category.id, Need.status.in_(OPEN_STATUSES),
                                   Need.id.not_in(followed))
             .where(sa.or_(Need.resident_id == resident.id, Region.subtree_clause(Need.region_id, community)))
             .order_by(Need.created_at.desc()).limit(200))
    if exclude is not None:
        query = query.where(Need.id != exclude.id)
    radius = settings.get("DUPLICATE_RADIUS_M")
    found = []
    for need in db.session.scalars(query):
        distance = _distance_m(need, resident)
        if need.resident_id == resident.id or (radius and distance is not None and distance <= radius):
            found.append((need, distance))
    found.sort(key=lambda pair: (pair[0].resident_id != resident.id, pair[1] if pair[1] is not None else 0))
    return found[:limit]


def joinable(resident: Resident, need: Need) -> bool:
    """Whether ``resident`` may join ``need``: someone else's, and one of the likely duplicates of a request
    of theirs in its category (so a resident can join, and so see, no need beyond those suggested)."""
    return need.resident_id != resident.id and need.id in {
        n.id for n, _d in likely_duplicates(resident, need.category, limit=200)}


def join_need(need: Need, resident: Resident, *, actor: User) -> NeedFollower:
    """``resident`` (by themself, or staff or a grid worker for them) joins a need their request would
    repeat, instead of filing it: they follow it and hear of its progress."""
    if not can_report_need_for(actor, resident):
        raise Refused(_l("You cannot register needs for this resident."))
    if need.resident_id == resident.id:
        raise Refused(_l("This is already the resident's own need."))
    if not joinable(resident, need):
        raise Refused(_l("This need cannot be joined: it is closed, too far away or of another kind."))
    follower = NeedFollower(need=need, resident=resident, added_by_id=actor.id, created_at=timeutil.now())
    db.session.add(follower)
    db.session.flush()
    audit.record(actor, "need.join", need, after={"resident_id": resident.id})
    return follower


def follows(resident: Resident, need: Need) -> bool:
    return any(row.resident_id == resident.id for row in need.followers)


def _follow(need: Need, resident: Resident, *, actor: User, merged: Need) -> None:
    if resident.id == need.resident_id or follows(resident, need):
        return
    db.session.add(NeedFollower(need=need, resident=resident, merged_need_id=merged.id, added_by_id=actor.id,
                                created_at=timeutil.now()))


def merge_need(duplicate: Need, into: Optional[Need], *, actor: User, note: str = "") -> None:
    """Staff close ``duplicate`` as a repeat of ``into`` (status merged); its requester and followers
    follow ``into`` from now on and are told. Both needs must be this community's; ``duplicate`` not yet
    taken up, ``into`` still open."""
    if into is None:
        raise Refused(_l("Choose the need this one repeats."), field="into")
    if not (can_manage_need(actor, duplicate) and can_manage_need(actor, into)):
        raise Refused(_l("Only the staff of both needs' community can merge them."), field="into")
    if into.id == duplicate.id:
        raise Refused(_l("A need cannot be merged into itself."), field="into")
    if duplicate.status not in MERGEABLE:
        raise Refused(_l("A need that is %(status)s can no longer be merged.", status=duplicate.status.label))
    if into.status not in OPEN_STATUSES:
        raise Refused(_l("“%(title)s” is %(status)s: merge into a need still open.", title=into.title,
                         status=into.status.label), field="into")
    before = audit.snapshot(duplicate, "status")
    duplicate.status = NeedStatus.merged
    duplicate.duplicate_of = into
    duplicate.closed_at = timeutil.now()
    duplicate.status_note = (note or "").strip()
    for resident in [duplicate.resident, *(row.resident for row in duplicate.followers)]:
        _follow(into, resident, actor=actor, merged=duplicate)
    db.session.flush()
    audit.record(actor, "need.merge", duplicate, before=before,
                 after={**audit.snapshot(duplicate, "status"), "duplicate_of_id": into.id}, note=duplicate.status_note)
    audit.record(actor, "need.absorb", into, after={"duplicate_id": duplicate.id})
    told = [duplicate.resident.user, *(row.resident.user for row in duplicate.followers)]
    notifications.notify(told, "need_merged", link=link("needs.detail", need_id=into.id), title=duplicate.title)
