"""Shift reminders: a day (REMINDER_FIRST_HOURS) and shortly (REMINDER_SECOND_MINUTES) before a shift,
each volunteer holding a place gets an in-app notification and, when an SMTP server is configured and
they gave an address, an e-mail, in their language (their account's, else Chinese).

:func:`send_due` is a background job: the worker (or, without Redis, the web process) runs it every
REMINDER_INTERVAL_SECONDS, and ``flask reminders send`` runs it by hand or from cron. Each reminder is
recorded (``shift_reminders``: one per sign-up, kind and start time, a unique key) in the transaction
that writes its notification, so a rerun, or two runs at once, never sends it twice; the e-mail goes out
after that commit and its outcome is recorded too (never retried: at most once). When both are due
(a sign-up made shortly before the start, or a job that did not run for a while), only the second is
sent. A shift that is moved is reminded of again for its new start.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, format_datetime, gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from linkage import mail, settings
from linkage.extensions import db
from linkage.models import (OPEN_STATUSES, ReminderKind, Shift, ShiftReminder, ShiftStatus, SignUp,
                            SignUpStatus, Volunteer)
from linkage.models.types import utcnow
from linkage.notifications import link, notify

log = logging.getLogger(__name__)
DEFAULT_LOCALE = "zh_CN"
# Shifts whose places are reminded of: not cancelled or closed (under way: someone checked in early).
REMINDED_STATUSES = (*OPEN_STATUSES, ShiftStatus.under_way)


def offsets() -> dict[ReminderKind, timedelta]:
    return {ReminderKind.first: timedelta(hours=int(settings.get("REMINDER_FIRST_HOURS"))),
            ReminderKind.second: timedelta(minutes=int(settings.get("REMINDER_SECOND_MINUTES")))}


def kind_due(start: datetime, now: datetime) -> Optional[ReminderKind]:
    """Which reminder is due for a shift starting at ``start``: the second inside its window, else the first
    inside its own, else none (and none once the shift has started)."""
    if now >= start:
        return None
    windows = offsets()
    if start - now <= windows[ReminderKind.second]:
        return ReminderKind.second
    if start - now <= windows[ReminderKind.first]:
        return ReminderKind.first
    return None


def due(now: datetime) -> list[tuple[int, ReminderKind]]:
    """(sign-up id, kind) of every reminder due at ``now`` and not yet sent."""
    horizon = now + max(offsets().values())
    rows = db.session.execute(
        sa.select(SignUp.id, Shift.start).join(Shift, Shift.id == SignUp.shift_id)
        .where(SignUp.status == SignUpStatus.assigned, Shift.status.in_(REMINDED_STATUSES),
               Shift.start > now, Shift.start <= horizon)
        .order_by(Shift.start, SignUp.id)).all()
    sent = set(db.session.execute(
        sa.select(ShiftReminder.sign_up_id, ShiftReminder.kind, ShiftReminder.shift_start)
        .where(ShiftReminder.sign_up_id.in_([row.id for row in rows]))).all()) if rows else set()
    found = []
    for sign_up_id, start in rows:
        kind = kind_due(start, now)
        if kind is not None and (sign_up_id, kind, start) not in sent:
            found.append((sign_up_id, kind))
    return found


def _record(sign_up_id: int, kind: ReminderKind, now: datetime) -> Optional[ShiftReminder]:
    """Write the reminder and its notification and commit; None when another run already did."""
    record = db.session.execute(
        sa.select(SignUp).where(SignUp.id == sign_up_id)
        .options(joinedload(SignUp.shift), joinedload(SignUp.volunteer).joinedload(Volunteer.user))
    ).scalar_one()
    shift = record.shift
    if record.status != SignUpStatus.assigned or kind_due(shift.start, now) != kind:
        return None
    reminder = ShiftReminder(sign_up_id=record.id, kind=kind, shift_start=shift.start, sent_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    notify([record.volunteer.user], "shift_reminder", link=link("shifts.detail", shift_id=shift.id),
           title=shift.title, start=shift.start, place=shift.place)
    db.session.commit()
    return reminder


def message(record: SignUp, locale: str) -> tuple[str, str]:
    """The e-mail's subject and body in ``locale``."""
    shift = record.shift
    with force_locale(locale):
        subject = _("Reminder: %(title)s", title=shift.title)
        lines = [_("Hello %(name)s,", name=record.volunteer.name), "",
                 _("You have a place on \"%(title)s\" from %(start)s to %(end)s at %(place)s.",
                   title=shift.title, start=format_datetime(shift.start, "full"),
                   end=format_datetime(shift.end, "short"), place=shift.place),
                 _("Please arrive ten minutes early and check in with the code the lead shows.")]
        page = _shift_url(shift)
        if page:
            lines += ["", _("The shift: %(url)s", url=page)]
        lines += ["", _("If you cannot come, cancel your sign-up on the platform so that someone else can "
                        "take the place."), "", _("Linkage volunteer service")]
    return str(subject), "\n".join(str(line) for line in lines)


def _shift_url(shift: Shift) -> Optional[str]:
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return None
    with current_app.test_request_context("/"):
        return base.rstrip("/") + url_for("shifts.detail", shift_id=shift.id)


def _email(reminder: ShiftReminder) -> None:
    """Send the e-mail of a recorded reminder (once: its outcome is recorded, success or not)."""
    record = db.session.get(SignUp, reminder.sign_up_id)
    user = record.volunteer.user
    if not mail.configured() or user is None or not user.email:
        return
    subject, body = message(record, user.locale or DEFAULT_LOCALE)
    try:
        mail.send(user.email, subject, body)
        reminder.emailed_at = utcnow()
    except (OSError, smtplib.SMTPException) as failure:
        log.warning("reminder %s: e-mail not sent: %s", reminder.id, failure)
        reminder.email_error = str(failure)[:255]
    db.session.commit()


def send_due(now: Optional[datetime] = None) -> int:
    """Send every reminder due at ``now`` (default: the clock); returns how many were sent. Commits."""
    now = now or utcnow()
    sent = 0
    for sign_up_id, kind in due(now):
        reminder = _record(sign_up_id, kind, now)
        if reminder is not None:
            sent += 1
            _email(reminder)
    db.session.commit()
    return sent


def run() -> None:
    """The scheduled job (``linkage.jobs``)."""
    count = send_due()
    if count:
        log.info("shift reminders sent: %s", count)
