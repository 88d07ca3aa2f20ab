"""A volunteer's calendar: a personal iCalendar feed at a secret URL, and one shift as an .ics file.

The feed's secret is a random token kept per volunteer: found by its keyed index (``blind_index``) and
shown on the profile page from its ciphertext, never stored in clear. Making a new one replaces the old,
whose URL then finds nothing (404). Each sign-up is one event with a stable UID; its SEQUENCE is the
shift's version, which every change of the shift or its places raises, so calendar programs replace
what they showed; a cancelled sign-up or shift stays in the feed as STATUS:CANCELLED. Times are UTC.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Callable, Iterable, Optional

import icalendar
import sqlalchemy as sa
from flask_babel import force_locale, gettext as _
from sqlalchemy.orm import joinedload

from linkage import audit
from linkage.extensions import db
from linkage.models import HOLDING_STATUSES, Shift, ShiftStatus, SignUp, SignUpStatus, User, Volunteer
from linkage.security import blind_index, decrypt, encrypt

DEFAULT_LOCALE = "zh_CN"
# How far back the feed reaches: past shifts stay visible for a while, then drop out.
FEED_PAST_DAYS = 90
UID_DOMAIN = "linkage"


# --- the secret link ----------------------------------------------------------------------------------

def new_token(volunteer: Volunteer, *, actor: User) -> str:
    """Give ``volunteer`` a new feed secret (the old link stops working); returns it. Flushes."""
    token = secrets.token_hex(20)
    had = volunteer.calendar_token_index is not None
    volunteer.calendar_token_index = blind_index(token)
    volunteer.calendar_token_encrypted = encrypt(token)
    db.session.flush()
    audit.record(actor, "volunteer.calendar_link", volunteer, before={"calendar_link": had},
                 after={"calendar_link": True})
    return token


def token_of(volunteer: Optional[Volunteer]) -> Optional[str]:
    if volunteer is None or volunteer.calendar_token_encrypted is None:
        return None
    return decrypt(volunteer.calendar_token_encrypted)


def volunteer_for(token: str) -> Optional[Volunteer]:
    """The volunteer whose feed secret is ``token``, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(sa.select(Volunteer).where(Volunteer.calendar_token_index == blind_index(token)))


# --- events -----------------------------------------------------------------------------------------

def feed_sign_ups(volunteer: Volunteer, now: datetime) -> list[SignUp]:
    """The volunteer's sign-ups on shifts that end after FEED_PAST_DAYS ago, cancelled ones included."""
    return list(db.session.scalars(
        sa.select(SignUp).join(Shift, Shift.id == SignUp.shift_id)
        .where(SignUp.volunteer_id == volunteer.id, Shift.end >= now - timedelta(days=FEED_PAST_DAYS))
        .options(joinedload(SignUp.shift).joinedload(Shift.region)).order_by(Shift.start, SignUp.id)))


def uid(record: SignUp) -> str:
    return f"signup-{record.id}@{UID_DOMAIN}"


def _status(record: SignUp) -> str:
    if record.status == SignUpStatus.cancelled or record.shift.status == ShiftStatus.cancelled:
        return "CANCELLED"
    if record.status in HOLDING_STATUSES or record.status == SignUpStatus.no_show:
        return "CONFIRMED"
    return "TENTATIVE"      # on the waiting list, or a request a match run decides


def _event(record: SignUp, *, now: datetime, locale: str, shift_url: Callable[[Shift], str]) -> icalendar.Event:
    shift = record.shift
    event = icalendar.Event()
    event.add("uid", uid(record))
    event.add("sequence", shift.version)
    event.add("dtstamp", now)
    event.add("last-modified", max(record.updated_at, shift.created_at))
    event.add("dtstart", shift.start)
    event.add("dtend", shift.end)
    event.add("summary", shift.title)
    event.add("location", f"{shift.place} · {shift.region.display_name(locale)}")
    status = _status(record)
    event.add("status", status)
    words = [_("Your sign-up: %(status)s", status=record.status.label)]
    if shift.status == ShiftStatus.cancelled:
        words.append(_("This shift was cancelled: %(reason)s", reason=shift.status_reason))
    if shift.description:
        words.append(shift.description)
    link = shift_url(shift)
    words.append(link)
    event.add("description", "\n".join(str(w) for w in words))
    event.add("url", link)
    if status != "CANCELLED":
        event.add("transp", "OPAQUE")
    return event


def calendar(records: Iterable[SignUp], *, now: datetime, locale: Optional[str],
             shift_url: Callable[[Shift], str]) -> bytes:
    """The iCalendar text of ``records``, in ``locale`` (the reader's language; default Chinese)."""
    locale = locale or DEFAULT_LOCALE
    with force_locale(locale):
        cal = icalendar.Calendar()
        cal.add("prodid", "-//Linkage//Volunteer shifts//ZH")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", str(_("My volunteer shifts")))
        cal.add("x-wr-timezone", "Asia/Shanghai")
        for record in records:
            cal.add_component(_event(record, now=now, locale=locale, shift_url=shift_url))
        return cal.to_ical()
