"""Waiting-list offers over time: an offer past its deadline passes to the next person; a new offer is
e-mailed once (the in-app notification is written with the offer), and an offer about to expire
(WAITLIST_REMINDER_HOURS before its deadline) is reminded of once, in-app and by e-mail. E-mail goes out when
an SMTP server is configured and the volunteer gave an address, in their language, with the links to accept
and decline.

:func:`process` is a background job: the worker (or, without Redis, the web process) runs it every
WAITLIST_INTERVAL_SECONDS, and ``flask waitlist expire`` runs it by hand or from cron. The changes
themselves are :mod:`linkage.shifts.places`' (under the shift's lock); each offer is handled in its own
transaction, so two runs at once, or a volunteer answering meanwhile, never pass an offer on twice.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, format_datetime, gettext as _

from linkage import mail, settings
from linkage.extensions import db
from linkage.models import SignUp, SignUpStatus
from linkage.models.types import utcnow
from linkage.shifts import places

log = logging.getLogger(__name__)
DEFAULT_LOCALE = "zh_CN"


def _ids(condition) -> list[int]:
    return list(db.session.scalars(sa.select(SignUp.id).where(SignUp.status == SignUpStatus.offered, condition)
                                   .order_by(SignUp.offer_expires_at, SignUp.id)))


def expire_due(now: datetime) -> int:
    """Pass on every offer past its deadline at ``now``; returns how many passed on. Commits each."""
    count = 0
    for sign_up_id in _ids(SignUp.offer_expires_at <= now):
        record = db.session.get(SignUp, sign_up_id)
        places.expire_offer(record, now=now)  # re-reads the sign-up under the shift's lock
        count += record.status == SignUpStatus.cancelled
        db.session.commit()
    return count


def email_new(now: datetime) -> int:
    """E-mail every open offer not e-mailed yet; returns how many. Commits each before sending."""
    if not mail.configured():
        return 0
    count = 0
    for sign_up_id in _ids(sa.and_(SignUp.offer_emailed_at.is_(None), SignUp.offer_expires_at > now)):
        record = db.session.get(SignUp, sign_up_id)
        if places.mark_offer_emailed(record, now=now):
            db.session.commit()
            count += 1
            _email(db.session.get(SignUp, sign_up_id), reminder=False)
        else:
            db.session.rollback()
    return count


def remind_due(now: datetime) -> int:
    """Remind once of every offer expiring within WAITLIST_REMINDER_HOURS; returns how many. Commits each."""
    hours = int(settings.get("WAITLIST_REMINDER_HOURS"))
    if hours <= 0:
        return 0
    count = 0
    for sign_up_id in _ids(sa.and_(SignUp.offer_reminded_at.is_(None), SignUp.offer_expires_at > now,
                                   SignUp.offer_expires_at <= now + timedelta(hours=hours))):
        record = db.session.get(SignUp, sign_up_id)
        if places.remind_offer(record, now=now):
            db.session.commit()
            count += 1
            _email(record, reminder=True)
        else:
            db.session.rollback()
    return count


def message(record: SignUp, locale: str, *, reminder: bool) -> tuple[str, str]:
    """The offer's (or the reminder's) e-mail subject and body in ``locale``, with the links to accept or
    decline."""
    shift = record.shift
    with force_locale(locale):
        subject = (_("Your place on %(title)s is waiting", title=shift.title) if reminder
                   else _("A place for you: %(title)s", title=shift.title))
        lines = [_("Hello %(name)s,", name=record.volunteer.name), "",
                 _("A place on \"%(title)s\" (%(start)s, %(place)s) is offered to you from the waiting list. "
                   "Please accept or decline it by %(deadline)s; otherwise it passes to the next person.",
                   title=shift.title, start=format_datetime(shift.start, "full"), place=shift.place,
                   deadline=format_datetime(record.offer_expires_at, "short"))]
        base = current_app.config.get("PUBLIC_URL")
        if base:
            with current_app.test_request_context("/"):
                accept = base.rstrip("/") + url_for("shifts.offer", shift_id=shift.id, answer="accept")
                decline = base.rstrip("/") + url_for("shifts.offer", shift_id=shift.id, answer="decline")
            lines += ["", _("Accept: %(url)s", url=accept), _("Decline: %(url)s", url=decline)]
        lines += ["", _("Linkage volunteer service")]
    return str(subject), "\n".join(str(line) for line in lines)


def _email(record: SignUp, *, reminder: bool) -> None:
    user = record.volunteer.user
    if not mail.configured() or user is None or not user.email:
        return
    subject, body = message(record, user.locale or DEFAULT_LOCALE, reminder=reminder)
    try:
        mail.send(user.email, subject, body)
    except (OSError, smtplib.SMTPException) as failure:  # at most once: the in-app message stands
        log.warning("offer %s: e-mail not sent: %s", record.id, failure)


def process(now: Optional[datetime] = None) -> tuple[int, int]:
    """Expire and remind as of ``now`` (default: the clock): (passed on, reminded)."""
    now = now or utcnow()
    expired = expire_due(now)
    email_new(now)
    return expired, remind_due(now)


def run() -> None:
    """The scheduled job (``linkage.jobs``)."""
    expired, reminded = process()
    if expired or reminded:
        log.info("waiting-list offers: %s passed on, %s reminded", expired, reminded)
