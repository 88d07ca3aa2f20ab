"""Places on shifts: the one service that writes or changes sign-ups and counts places.

Sign-up (a place, the waiting list, or a request for a match run), promotion from the waiting list,
cancellation, a match run's places, check-in and check-out, no-shows, hours, and closing a shift's
sign-ups all happen here and nowhere else (a test guards it). Who may hold a place is asked of
:mod:`linkage.shifts.eligibility`; the waiting list's order is :func:`waitlist_order`.

Every function takes the acting user, flushes and never commits; a refused rule raises ``Refused``
before anything is written. Functions that count or change sign-ups first lock the shift row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction is BEGIN IMMEDIATE), so
concurrent sign-ups never take more places than the shift has.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import format_datetime, get_locale, gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, LIVE_STATUSES, OPEN_STATUSES, TAKEN_STATUSES, HoursStatus, Shift,
                            ShiftSlot, ShiftStatus, SignUp, SignUpStatus, User, Volunteer)
from linkage.models.types import utcnow
from linkage.notifications import link, notify
from linkage.shifts import access, eligibility
from linkage.shifts.queries import waitlist_order, waitlist_position
from linkage.skills import services as skills



def _link(shift: Shift) -> tuple[str, dict]:
    return link("shifts.detail", shift_id=shift.id)


def _locale() -> str:
    return str(get_locale() or "zh_CN")


# --- counting places --------------------------------------------------------------------------------

def lock_shift(shift_id: int, *, brief: bool = False) -> Shift:
    """Lock the shift row for the rest of the transaction and reload it.

    ``brief`` (a volunteer's own sign-up or withdrawal, what a rush is made of): on PostgreSQL, from here
    to the end of the transaction no lock is waited for longer than ``LOCK_TIMEOUT_MS``; the request then
    ends with "busy, try again" (``linkage.web.perform``) instead of queueing without end. The timeout is
    set by a sub-select of the locking statement itself, evaluated before the row is locked."""
    query = sa.select(Shift).where(Shift.id == shift_id)
    timeout = audit.lock_timeout_ms() if brief and db.session.get_bind().dialect.name == "postgresql" else 0
    if timeout:
        setting = sa.select(sa.func.set_config("lock_timeout", f"{timeout}ms", True).label("value")).subquery()
        query = query.join(setting, sa.true()).with_for_update(of=Shift)
    else:
        query = query.with_for_update()
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()


def slots_of(shift: Shift) -> list[ShiftSlot]:
    """The shift's slots, fresh from the database, in order."""
    return list(db.session.scalars(sa.select(ShiftSlot).where(ShiftSlot.shift_id == shift.id)
                                   .order_by(ShiftSlot.position).execution_options(populate_existing=True)))


def _taken(shift: Shift) -> tuple[dict[int, int], int]:
    """Places taken per slot id (held, or offered to someone on the waiting list) and how many of them are
    held, in one query."""
    rows = db.session.execute(
        sa.select(SignUp.slot_id, SignUp.status, sa.func.count(SignUp.id))
        .where(SignUp.shift_id == shift.id, SignUp.status.in_(TAKEN_STATUSES))
        .group_by(SignUp.slot_id, SignUp.status))
    fill: dict[int, int] = {}
    held = 0
    for slot_id, status, count in rows:
        fill[slot_id] = fill.get(slot_id, 0) + count
        held += count if status in HOLDING_STATUSES else 0
    return fill, held


def slot_fill(shift: Shift) -> dict[int, int]:
    """Places taken per slot id: held, or offered to someone on the waiting list."""
    return _taken(shift)[0]


def _holding_count(shift: Shift) -> int:
    return db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
        SignUp.shift_id == shift.id, SignUp.status.in_(HOLDING_STATUSES))) or 0


def update_staffing(shift: Shift, holding: Optional[int] = None) -> None:
    """Open <-> staffed as holding sign-ups reach or fall below the minimum. ``holding``: the places held
    now, when the caller counted them under the shift's lock (else they are counted here)."""
    if shift.status not in OPEN_STATUSES:
        return
    if holding is None:
        holding = _holding_count(shift)
    shift.status = ShiftStatus.staffed if holding >= shift.min_volunteers else ShiftStatus.open


def _free_slot(qualifying: list[ShiftSlot], fill: dict[int, int]) -> Optional[ShiftSlot]:
    """A free place: first in a slot for a skill the volunteer holds, then in an "anyone" slot, so
    that skilled volunteers do not use up places anyone could take."""
    ordered = sorted(qualifying, key=lambda slot: (slot.skill_id is None, slot.position))
    for slot in ordered:
        if fill.get(slot.id, 0) < slot.count:
            return slot
    return None


def refusal(shift: Shift, volunteer: Volunteer, *, now: datetime, self_service: bool,
            slots: Optional[list[ShiftSlot]] = None,
            candidate: Optional[eligibility.Candidate] = None) -> Optional[Refused]:
    """The eligibility rule's answer as a refusal to show, or None. ``slots``: the shift's slots, when
    the caller already read them under the lock; ``candidate``: the volunteer's facts, when read already."""
    reason = eligibility.check(volunteer, shift, now=now, slots=slots, self_service=self_service,
                               locale=_locale(), candidate=candidate)
    return Refused(reason.text()) if reason is not None else None


# --- sign-up ----------------------------------------------------------------------------------------

def sign_up(shift: Shift, volunteer: Volunteer, *, actor: User, now: Optional[datetime] = None) -> SignUp:
    """Sign ``volunteer`` up: a place (assigned), the waiting list when full, or a request when a match
    run decides. The shift row is locked while places are counted, so capacity is never exceeded:
    everything that decides (the sign-up already there, the slots, the places held) is read after the
    lock is granted."""
    now = now or utcnow()
    shift = lock_shift(shift.id, brief=True)
    existing = db.session.execute(
        sa.select(SignUp).where(SignUp.shift_id == shift.id, SignUp.volunteer_id == volunteer.id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if existing is not None and existing.status != SignUpStatus.cancelled:
        raise Refused(_("You have already signed up for this shift."))
    if shift.status not in OPEN_STATUSES or shift.has_started(now):
        raise Refused(_("This shift is no longer open for sign-up."))
    slots = slots_of(shift)
    candidate = eligibility.candidate_for(volunteer, slots)
    refused = refusal(shift, volunteer, now=now, self_service=True, slots=slots, candidate=candidate)
    if refused is not None:
        raise refused
    fill, held = _taken(shift)
    if shift.first_come:
        slot = _free_slot(eligibility.qualifying_slots(volunteer, shift, slots, candidate), fill)
        status = SignUpStatus.assigned if slot is not None else SignUpStatus.waitlisted
    else:
        slot, status = None, SignUpStatus.requested
    record, before = _renewed(existing) if existing is not None else (
        SignUp(shift_id=shift.id, volunteer_id=volunteer.id), None)
    record.status, record.slot = status, slot
    record.offer_expires_at = record.offer_emailed_at = record.offer_reminded_at = None
    shift.version += 1
    update_staffing(shift, held + (slot is not None))
    try:
        db.session.add(record)
        db.session.flush()
    except IntegrityError:
        # A second sign-up that did not take the shift's lock: the unique (shift, volunteer) key held.
        # The transaction cannot go on; the refusal rolls it back (linkage.web.perform).
        raise Refused(_("You have already signed up for this shift.")) from None
    audit.record(actor, "signup.create", record, region_id=shift.region_id, before=before,
                 after={**audit.snapshot(record, "status", "slot_id", "shift_id", "volunteer_id"),
                        "shift_status": shift.status.value})
    if actor is None or volunteer.user_id != actor.id:
        _tell_volunteer(record, shift)
    return record


def _renewed(existing: SignUp) -> tuple[SignUp, dict]:
    """A cancelled sign-up renewed: it queues afresh and carries nothing from before."""
    before = audit.snapshot(existing, "status")
    existing.created_at = utcnow()
    existing.checked_in_at = existing.checked_out_at = existing.minutes = existing.hours_status = None
    existing.check_in_code = existing.check_out_code = None
    existing.checkout_defaulted = existing.hours_manual = False
    existing.hours_note = ""
    return existing, before


def _tell_volunteer(record: SignUp, shift: Shift) -> None:
    user = record.volunteer.user
    if record.status == SignUpStatus.assigned:
        notify([user], "shift_assigned", link=_link(shift), title=shift.title, start=shift.start)
    elif record.status == SignUpStatus.waitlisted:
        notify([user], "shift_waitlisted", link=_link(shift), title=shift.title,
               position=waitlist_position(record))


def offer_deadline(shift: Shift, now: datetime) -> datetime:
    """Until when a place offered now is held: WAITLIST_OFFER_HOURS, never past the shift's start."""
    return min(now + timedelta(hours=int(settings.get("WAITLIST_OFFER_HOURS"))), shift.start)


def fill_from_waitlist(shift: Shift, *, actor: Optional[User], now: datetime) -> list[SignUp]:
    """Offer free places to the waiting list in order: each offer holds a place until its deadline
    (:func:`offer_deadline`), for the volunteer to accept or decline. Those who may not hold the place
    now (a skill the free slot needs, an overlap, the weekly limit …) keep their position. The shift
    must be locked. Returns the sign-ups offered a place."""
    if not shift.first_come or shift.status not in OPEN_STATUSES or shift.has_started(now):
        return []
    slots = slots_of(shift)
    fill = slot_fill(shift)
    if sum(max(slot.count - fill.get(slot.id, 0), 0) for slot in slots) == 0:
        return []
    waiting = db.session.scalars(
        sa.select(SignUp).where(SignUp.shift_id == shift.id, SignUp.status == SignUpStatus.waitlisted)
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))
        .order_by(*waitlist_order())).all()
    offered = []
    deadline = offer_deadline(shift, now)
    for candidate in waiting:
        facts = eligibility.candidate_for(candidate.volunteer, slots)
        slot = _free_slot(eligibility.qualifying_slots(candidate.volunteer, shift, slots, facts), fill)
        if slot is None or refusal(shift, candidate.volunteer, now=now, self_service=True, candidate=facts) is not None:
            continue
        candidate.status, candidate.slot = SignUpStatus.offered, slot
        candidate.offer_expires_at, candidate.offer_emailed_at, candidate.offer_reminded_at = deadline, None, None
        fill[slot.id] = fill.get(slot.id, 0) + 1
        db.session.flush()
        audit.record(actor, "signup.offer", candidate, region_id=shift.region_id,
                     before={"status": SignUpStatus.waitlisted.value},
                     after=audit.snapshot(candidate, "status", "slot_id", "offer_expires_at"))
        notify([candidate.volunteer.user], "waitlist_offer", link=link("shifts.offer", shift_id=shift.id),
               title=shift.title, start=shift.start, deadline=deadline)
        offered.append(candidate)
    if offered:
        shift.version += 1
    return offered


def _locked_offer(record: SignUp, now: datetime) -> tuple[Shift, SignUp]:
    """The shift locked and the offer re-read under the lock; Refused unless it is still open."""
    shift = lock_shift(record.shift_id, brief=True)
    record = db.session.execute(sa.select(SignUp).where(SignUp.id == record.id)
                                .execution_options(populate_existing=True)).scalar_one()
    if record.status != SignUpStatus.offered:
        raise Refused(_("This offer is no longer open: it was answered or it expired and passed to the next "
                        "person on the waiting list."))
    if now >= record.offer_expires_at:
        raise Refused(_("This offer expired at %(time)s, so the place passes to the next person on the "
                        "waiting list. You can sign up again.",
                        time=format_datetime(record.offer_expires_at, "short")))
    return shift, record


def accept_offer(record: SignUp, *, actor: User, now: Optional[datetime] = None) -> SignUp:
    """The volunteer takes the place offered to them, before the deadline."""
    now = now or utcnow()
    shift, record = _locked_offer(record, now)
    if shift.status not in OPEN_STATUSES or shift.has_started(now):
        raise Refused(_("This shift is no longer open for sign-up."))
    refused = refusal(shift, record.volunteer, now=now, self_service=True)
    if refused is not None:
        raise refused
    before = audit.snapshot(record, "status", "offer_expires_at")
    record.status, record.offer_expires_at = SignUpStatus.assigned, None
    shift.version += 1
    db.session.flush()
    update_staffing(shift)
    audit.record(actor, "signup.accept_offer", record, region_id=shift.region_id, before=before,
                 after={**audit.snapshot(record, "status", "slot_id"), "shift_status": shift.status.value})
    return record


def decline_offer(record: SignUp, *, actor: User, now: Optional[datetime] = None) -> list[SignUp]:
    """The volunteer turns the offer down: they leave the waiting list and the place is offered to the
    next person. Returns the sign-ups offered the place."""
    now = now or utcnow()
    shift, record = _locked_offer(record, now)
    return _end_offer(shift, record, actor=actor, now=now, action="signup.decline_offer")


def expire_offer(record: SignUp, *, now: Optional[datetime] = None) -> list[SignUp]:
    """An offer past its deadline passes on (the scheduled job, :mod:`linkage.shifts.offers`): the volunteer
    leaves the waiting list and is told; the place is offered to the next person. Nothing happens when the
    offer was answered meanwhile (the shift's lock decides which came first)."""
    now = now or utcnow()
    shift = lock_shift(record.shift_id)
    record = db.session.execute(sa.select(SignUp).where(SignUp.id == record.id)
                                .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))
                                .execution_options(populate_existing=True)).scalar_one()
    if record.status != SignUpStatus.offered or now < record.offer_expires_at:
        return []
    notify([record.volunteer.user], "waitlist_offer_expired", link=_link(shift), title=shift.title)
    return _end_offer(shift, record, actor=None, now=now, action="signup.offer_expire")


def _end_offer(shift: Shift, record: SignUp, *, actor: Optional[User], now: datetime, action: str) -> list[SignUp]:
    before = audit.snapshot(record, "status", "offer_expires_at")
    record.status, record.offer_expires_at = SignUpStatus.cancelled, None
    shift.version += 1
    db.session.flush()
    offered = fill_from_waitlist(shift, actor=actor, now=now)
    update_staffing(shift)
    audit.record(actor, action, record, region_id=shift.region_id, before=before,
                 after={**audit.snapshot(record, "status"), "offered_next": len(offered)})
    return offered


def mark_offer_emailed(record: SignUp, *, now: datetime) -> bool:
    """Record that the offer's e-mail goes out now; False when it went out already or the offer is over (a
    conditional update: two runs at once send one e-mail)."""
    done = db.session.execute(
        sa.update(SignUp).where(SignUp.id == record.id, SignUp.status == SignUpStatus.offered,
                                SignUp.offer_emailed_at.is_(None), SignUp.offer_expires_at > now)
        .values(offer_emailed_at=now).execution_options(synchronize_session=False))
    return done.rowcount == 1


def remind_offer(record: SignUp, *, now: Optional[datetime] = None) -> bool:
    """Remind the volunteer once that their offer expires soon; False when it was answered, expired or
    reminded meanwhile (a conditional update: two runs at once send one reminder)."""
    now = now or utcnow()
    done = db.session.execute(
        sa.update(SignUp).where(SignUp.id == record.id, SignUp.status == SignUpStatus.offered,
                                SignUp.offer_reminded_at.is_(None), SignUp.offer_expires_at > now)
        .values(offer_reminded_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    record = db.session.execute(
        sa.select(SignUp).where(SignUp.id == record.id)
        .options(joinedload(SignUp.shift), joinedload(SignUp.volunteer).joinedload(Volunteer.user))
        .execution_options(populate_existing=True)).scalar_one()
    notify([record.volunteer.user], "waitlist_offer_reminder",
           link=link("shifts.offer", shift_id=record.shift_id), title=record.shift.title,
           deadline=record.offer_expires_at)
    return True


def cancel_sign_up(record: SignUp, *, actor: User, now: Optional[datetime] = None) -> list[SignUp]:
    """The volunteer gives up their sign-up: a held place until the cut-off (``access.cancel_cutoff``), a
    place on the waiting list or an offer until the start. A freed place is offered to the waiting list.
    Returns the sign-ups offered the place."""
    now = now or utcnow()
    shift = lock_shift(record.shift_id, brief=True)
    record = db.session.execute(sa.select(SignUp).where(SignUp.id == record.id)
                                .execution_options(populate_existing=True)).scalar_one()
    if record.status not in LIVE_STATUSES:
        raise Refused(_("This sign-up can no longer be cancelled."))
    if shift.has_started(now):
        raise Refused(_("The shift has started; tell the lead instead."))
    if record.status == SignUpStatus.assigned and now >= access.cancel_cutoff(shift):
        raise Refused(_("A place can be given up here until %(time)s; it is too late now, so please tell "
                        "the lead.", time=format_datetime(access.cancel_cutoff(shift), "short")))
    before = audit.snapshot(record, "status", "slot_id")
    frees = record.status in (SignUpStatus.assigned, SignUpStatus.offered)
    was_holding = record.status == SignUpStatus.assigned
    record.status, record.offer_expires_at = SignUpStatus.cancelled, None
    shift.version += 1
    db.session.flush()
    offered = fill_from_waitlist(shift, actor=actor, now=now) if frees else []
    update_staffing(shift)
    audit.record(actor, "signup.cancel", record, region_id=shift.region_id, before=before,
                 after={**audit.snapshot(record, "status"), "shift_status": shift.status.value})
    if was_holding:
        managers = [shift.lead.user_id if shift.lead else None, shift.created_by_id]
        notify([m for m in managers if m is not None and m != actor.id], "signup_cancelled", link=_link(shift),
               name=record.volunteer.name, title=shift.title, start=shift.start)
    return offered


def release_live(shift: Shift) -> list[SignUp]:
    """The shift is cancelled: every sign-up still waiting for it is cancelled; returns them."""
    live = live_sign_ups(shift)
    for record in live:
        record.status = SignUpStatus.cancelled
    return live


def detach_slot(slot: ShiftSlot) -> None:
    """A slot is removed from its shift: the places in it stay, no longer tied to a slot."""
    db.session.execute(sa.update(SignUp).where(SignUp.slot_id == slot.id).values(slot_id=None))


def live_sign_ups(shift: Shift) -> list[SignUp]:
    """Sign-ups still waiting for the shift to happen (told of changes)."""
    return list(db.session.scalars(sa.select(SignUp).where(
        SignUp.shift_id == shift.id, SignUp.status.in_(LIVE_STATUSES))
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))))


# --- on the day: check-in, check-out, no-shows, closing ---------------------------------------------

def _locked_sign_up(record: SignUp) -> tuple[Shift, SignUp]:
    shift = lock_shift(record.shift_id)
    record = db.session.execute(sa.select(SignUp).where(SignUp.id == record.id)
                                .execution_options(populate_existing=True)).scalar_one()
    return shift, record


def _refuse_used_code(record: SignUp, code: Optional[str], purpose: str) -> None:
    """The same shift code presented again by the volunteer it already checked in (or out): refused."""
    used = record.check_in_code if purpose == "in" else record.check_out_code
    if code is None or used != code:
        return
    if purpose == "in":
        raise Refused(_("This code was already used to check you in (%(time)s); it cannot check you in "
                        "again.", time=format_datetime(record.checked_in_at, "short")))
    raise Refused(_("This code was already used to check you out (%(time)s).",
                    time=format_datetime(record.checked_out_at, "short")))


def _refuse_check_in(shift: Shift, record: SignUp, code: Optional[str]) -> None:
    if shift.status in (ShiftStatus.done, ShiftStatus.cancelled):
        raise Refused(_("This shift is closed."))
    _refuse_used_code(record, code, "in")
    if code is not None and record.status in (SignUpStatus.checked_in, SignUpStatus.checked_out):
        raise Refused(_("You are already checked in (%(time)s).",
                        time=format_datetime(record.checked_in_at, "short")))
    if record.status != SignUpStatus.assigned:
        raise Refused(_("Only volunteers with a place can be checked in."))


def check_in(record: SignUp, *, actor: User, at: Optional[datetime] = None,
             now: Optional[datetime] = None, code: Optional[str] = None) -> SignUp:
    """Record arrival: now, or a time entered by hand (then the hours are marked manual). ``code``: the id
    of the shift code the volunteer checked themselves in with (:mod:`linkage.shifts.codes`); a code
    already used by them is refused."""
    now = now or utcnow()
    shift, record = _locked_sign_up(record)
    _refuse_check_in(shift, record, code)
    lead_minutes = int(settings.get("CHECK_IN_OPENS_MINUTES"))
    opens = shift.start - timedelta(minutes=lead_minutes)
    if now < opens:
        raise Refused(_("Check-in opens %(minutes)s minutes before the start.", minutes=lead_minutes))
    manual = at is not None
    at = at or now
    if at > now:
        raise Refused(_("A check-in time cannot be in the future."), field="at")
    if at < opens or at >= shift.end:
        if not manual:
            raise Refused(_("The shift has ended; enter the time the volunteer arrived."), field="at")
        raise Refused(_("Enter a time between %(start)s and %(end)s.", start=format_datetime(opens, "short"),
                        end=format_datetime(shift.end, "short")), field="at")
    record.status, record.checked_in_at = SignUpStatus.checked_in, at
    record.hours_manual = record.hours_manual or manual
    record.check_in_code = code
    shift_before = shift.status
    if shift.status in OPEN_STATUSES:
        shift.status = ShiftStatus.under_way
    shift.version += 1
    audit.record(actor, "signup.check_in", record, region_id=shift.region_id,
                 before={"status": SignUpStatus.assigned.value, "shift_status": shift_before.value},
                 after={**audit.snapshot(record, "status", "checked_in_at", "hours_manual"),
                        "shift_status": shift.status.value, "by_code": code is not None})
    return record


def _record_attendance(record: SignUp, shift: Shift, out: datetime, *, defaulted: bool, now: datetime) -> None:
    """Minutes = time attended within the shift; hours count only from ATTENDANCE_MIN_SHARE of it."""
    record.status = SignUpStatus.checked_out
    record.checked_out_at = out
    record.checkout_defaulted = defaulted
    record.minutes = attended_minutes(record, shift, out)
    share = float(settings.get("ATTENDANCE_MIN_SHARE"))
    if record.minutes >= share * shift.minutes - 1e-9:
        record.hours_status, record.hours_note = HoursStatus.pending, ""
    else:
        # No words stored: SignUp.hours_reason says what was attended, in the reader's language.
        record.hours_status, record.hours_note = HoursStatus.declined, ""
        record.hours_decided_at = now


class DeclineNeedsConfirmation(Refused):
    """A check-out would record too few minutes for the hours to count: the lead confirms first."""

    def __init__(self, minutes: int, percent: int):
        super().__init__(_("%(minutes)s minutes will be recorded: less than %(percent)s %% of the shift, so the "
                           "hours will be declined.", minutes=minutes, percent=percent))
        self.minutes = minutes
        self.percent = percent


def attended_minutes(record: SignUp, shift: Shift, out: datetime) -> int:
    """Minutes attended within the shift between the check-in and ``out``."""
    attended = min(out, shift.end) - max(record.checked_in_at, shift.start)
    return max(int(attended.total_seconds() // 60), 0)


def check_out(record: SignUp, *, actor: User, at: Optional[datetime] = None,
              now: Optional[datetime] = None, confirm_decline: bool = False,
              code: Optional[str] = None) -> SignUp:
    """Record departure (default now) and the minutes attended; hours then wait for the lead.

    Refused before the shift starts. A check-out that would decline the hours (attended less than
    ATTENDANCE_MIN_SHARE) raises ``DeclineNeedsConfirmation`` unless ``confirm_decline``; once
    confirmed, the volunteer is told why the hours do not count. ``code``: as for :func:`check_in`."""
    now = now or utcnow()
    shift, record = _locked_sign_up(record)
    _refuse_used_code(record, code, "out")
    if code is not None and record.status == SignUpStatus.checked_out:
        raise Refused(_("You are already checked out (%(time)s).",
                        time=format_datetime(record.checked_out_at, "short")))
    if code is not None and record.status == SignUpStatus.assigned:
        raise Refused(_("You are not checked in yet: scan the check-in code first."))
    if record.status != SignUpStatus.checked_in:
        raise Refused(_("Only a checked-in volunteer can be checked out."))
    manual = at is not None
    at = at or now
    if at > now:
        raise Refused(_("A check-out time cannot be in the future."), field="at")
    if not shift.has_started(at):
        raise Refused(_("The shift has not started yet: check-out is possible from its start (%(time)s).",
                        time=format_datetime(shift.start, "short")), field="at")
    if at <= record.checked_in_at:
        raise Refused(_("The check-out must be after the check-in (%(time)s).",
                        time=format_datetime(record.checked_in_at, "short")), field="at")
    share = float(settings.get("ATTENDANCE_MIN_SHARE"))
    minutes = attended_minutes(record, shift, at)
    declines = minutes < share * shift.minutes - 1e-9
    if declines and not confirm_decline:
        raise DeclineNeedsConfirmation(minutes, round(share * 100))
    record.hours_manual = record.hours_manual or manual
    record.check_out_code = code
    _record_attendance(record, shift, at, defaulted=False, now=now)
    shift.version += 1
    audit.record(actor, "signup.check_out", record, region_id=shift.region_id,
                 before={"status": SignUpStatus.checked_in.value},
                 after={**audit.snapshot(record, "status", "checked_out_at", "minutes", "hours_status",
                                         "hours_manual"), "by_code": code is not None})
    if record.hours_status == HoursStatus.declined:
        notify([record.volunteer.user], "hours_declined_short", link=link("volunteers.hours"), title=shift.title,
               minutes=record.minutes, percent=round(share * 100))
    return record


def mark_no_show(record: SignUp, *, actor: User, now: Optional[datetime] = None) -> SignUp:
    """The volunteer held a place and did not come. Every NO_SHOW_LIMIT-th no-show suspends self
    sign-up for NO_SHOW_BLOCK_DAYS days."""
    now = now or utcnow()
    shift, record = _locked_sign_up(record)
    if record.status != SignUpStatus.assigned:
        raise Refused(_("Only a volunteer with a place who has not checked in can be marked absent."))
    if not shift.has_started(now):
        raise Refused(_("A no-show can be recorded once the shift has started."))
    volunteer = db.session.execute(sa.select(Volunteer).where(Volunteer.id == record.volunteer_id)
                                   .with_for_update().execution_options(populate_existing=True)).scalar_one()
    record.status = SignUpStatus.no_show
    volunteer.no_show_count += 1
    shift.version += 1
    audit.record(actor, "signup.no_show", record, region_id=shift.region_id,
                 before={"status": SignUpStatus.assigned.value},
                 after={**audit.snapshot(record, "status"), "no_show_count": volunteer.no_show_count})
    notify([volunteer.user], "signup_no_show", link=_link(shift), title=shift.title, start=shift.start)
    limit = int(settings.get("NO_SHOW_LIMIT"))
    if limit > 0 and volunteer.no_show_count % limit == 0:
        before = audit.snapshot(volunteer, "self_signup_blocked_until")
        volunteer.self_signup_blocked_until = now + timedelta(days=int(settings.get("NO_SHOW_BLOCK_DAYS")))
        audit.record(actor, "volunteer.block", volunteer, before=before,
                     after=audit.snapshot(volunteer, "self_signup_blocked_until", "no_show_count"))
        notify([volunteer.user], "signup_blocked", link=link("volunteers.my_shifts"), count=volunteer.no_show_count,
               until=volunteer.self_signup_blocked_until)
    return record


def close_shift(shift: Shift, *, actor: User, now: Optional[datetime] = None) -> Shift:
    """Close a shift that has taken place: missing check-outs default to the planned end (flagged),
    the waiting list is released, the shift is done."""
    now = now or utcnow()
    shift = lock_shift(shift.id)
    if shift.status in (ShiftStatus.done, ShiftStatus.cancelled):
        raise Refused(_("This shift is already closed."))
    if now < shift.start:
        raise Refused(_("A shift can be closed once it has started."))
    records = list(db.session.scalars(sa.select(SignUp).where(SignUp.shift_id == shift.id)
                                      .options(joinedload(SignUp.volunteer))))
    unaccounted = [r for r in records if r.status == SignUpStatus.assigned]
    if unaccounted:
        raise Refused(_("Check in or mark as absent first: %(names)s.",
                        names=", ".join(r.volunteer.name for r in unaccounted)))
    still_in = [r for r in records if r.status == SignUpStatus.checked_in]
    if still_in and now < shift.end:
        raise Refused(_("Before the planned end, check out everyone first: %(names)s.",
                        names=", ".join(r.volunteer.name for r in still_in)))
    before = audit.snapshot(shift, "status")
    for record in still_in:
        _record_attendance(record, shift, shift.end, defaulted=True, now=now)
        audit.record(actor, "signup.check_out", record, region_id=shift.region_id,
                     before={"status": SignUpStatus.checked_in.value},
                     after=audit.snapshot(record, "status", "checked_out_at", "minutes", "hours_status",
                                          "checkout_defaulted"))
    for record in records:
        if record.status in (SignUpStatus.waitlisted, SignUpStatus.requested, SignUpStatus.offered):
            record.status, record.offer_expires_at = SignUpStatus.cancelled, None
    shift.status = ShiftStatus.done
    shift.version += 1
    audit.record(actor, "shift.close", shift, before=before,
                 after={**audit.snapshot(shift, "status"), "check_outs_defaulted": len(still_in)})
    return shift


def decide_hours(records: list[SignUp], *, approve: bool, reason: str = "", actor: User,
                 now: Optional[datetime] = None) -> list[SignUp]:
    """The lead approves or declines pending hours, one or many (all of one shift). Declined entries are
    kept with the reason. Approved hours are the final record of attendance, so on a training session
    they grant its certificate."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not records:
        raise Refused(_("Choose at least one entry."), field="sign_ups")
    shift_ids = {record.shift_id for record in records}
    if len(shift_ids) != 1:
        raise Refused(_("Choose entries of one shift."), field="sign_ups")
    shift = lock_shift(shift_ids.pop())
    records = list(db.session.scalars(
        sa.select(SignUp).where(SignUp.id.in_([r.id for r in records]))
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user)).order_by(SignUp.id)
        .execution_options(populate_existing=True)))
    not_pending = [r for r in records if r.hours_status != HoursStatus.pending]
    if not_pending:
        raise Refused(_("Only pending hours can be decided: %(names)s.",
                        names=", ".join(r.volunteer.name for r in not_pending)), field="sign_ups")
    if not approve and not reason:
        raise Refused(_("Give a reason for declining: the volunteer will read it."), field="reason")
    for record in records:
        record.hours_status = HoursStatus.approved if approve else HoursStatus.declined
        record.hours_note = reason
        record.hours_decided_by_id = actor.id
        record.hours_decided_at = now
        audit.record(actor, "signup.hours_approve" if approve else "signup.hours_decline", record,
                     region_id=shift.region_id, before={"hours_status": HoursStatus.pending.value},
                     after=audit.snapshot(record, "hours_status", "minutes"), note=reason)
        if approve:
            notify([record.volunteer.user], "hours_approved", link=link("volunteers.hours"),
                   hours=eligibility.hours_text(record.minutes or 0), title=shift.title)
            skills.grant_for_training(record, actor=actor, at=now)
        else:
            notify([record.volunteer.user], "hours_declined", link=link("volunteers.hours"), title=shift.title,
                   reason=reason)
    shift.version += 1
    return records


# --- a match run's places ---------------------------------------------------------------------------

def plan_problems(shifts: dict[int, Shift], plan: dict[tuple[int, int], int], existing: dict, *,
                  now: datetime) -> list[str]:
    """Why ``plan`` ({(shift id, volunteer id): slot position}) cannot be written now, in words; [] if it can.

    ``shifts`` are locked. Checks what changed since the plan was made: cancelled shifts, withdrawn
    volunteers, places taken meanwhile, and every new place against the eligibility rule (with the
    plan's other new places counted as held). ``existing``: the shifts' sign-ups, from
    :func:`_sign_ups_on`."""
    problems: list[str] = []
    volunteers = {v.id: v for v in db.session.scalars(
        sa.select(Volunteer).where(Volunteer.id.in_(sorted({vid for _s, vid in plan}) or [0]))
        .options(selectinload(Volunteer.skills), joinedload(Volunteer.user), selectinload(Volunteer.exceptions),
                 selectinload(Volunteer.consents)))}
    new = {key: pos for key, pos in plan.items()
           if not (existing.get(key) and existing[key].status in HOLDING_STATUSES)}
    for sid, shift in shifts.items():
        if shift.status == ShiftStatus.cancelled:
            problems.append(_("shift \"%(title)s\" was cancelled", title=shift.title))
    for (sid, vid), record in existing.items():
        if record.status == SignUpStatus.cancelled and (sid, vid) in plan:
            problems.append(_("%(name)s withdrew from \"%(title)s\"", name=volunteers[vid].name,
                              title=shifts[sid].title))
    for sid, shift in shifts.items():
        if shift.status == ShiftStatus.cancelled:
            continue
        if _overfilled(shift, plan, existing):
            problems.append(_("shift \"%(title)s\" filled up meanwhile", title=shift.title))
    bookings = eligibility.bookings_of(volunteers, min((s.start for s in shifts.values()), default=now),
                                       max((s.end for s in shifts.values()), default=now))
    certificates = eligibility.certificates_of(volunteers)
    for (sid, vid), position in new.items():
        shift = shifts[sid]
        planned = [eligibility.Booking(s, shifts[s].title, shifts[s].start, shifts[s].end)
                   for (s, v) in new if v == vid and s != sid]
        reason = eligibility.why_not(eligibility.candidate_of(volunteers[vid], certificates[vid]),
                                     eligibility.opening_of(shift, [shift.slots[position]], _locale()),
                                     bookings[vid] + planned, now=now)
        if reason is not None:
            problems.append(_("%(name)s on \"%(title)s\": %(why)s", name=volunteers[vid].name, title=shift.title,
                              why=reason.text()))
    return problems


def _sign_ups_on(shifts: dict[int, Shift]) -> dict[tuple[int, int], SignUp]:
    return {(s.shift_id, s.volunteer_id): s for s in db.session.scalars(
        sa.select(SignUp).where(SignUp.shift_id.in_(sorted(shifts) or [0]))
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))
        .execution_options(populate_existing=True))}


def _overfilled(shift: Shift, plan: dict[tuple[int, int], int], existing: dict) -> bool:
    """Would the places held after the plan exceed a slot? Held places the plan keeps move to the
    plan's slot; held places it does not mention stay where they are."""
    counts = [0] * len(shift.slots)
    index = {slot.id: i for i, slot in enumerate(shift.slots)}
    for (sid, vid), record in existing.items():
        if sid == shift.id and record.status in HOLDING_STATUSES and (sid, vid) not in plan:
            if record.slot_id in index:
                counts[index[record.slot_id]] += 1
    for (sid, _vid), position in plan.items():
        if sid == shift.id:
            counts[position] += 1
    return any(count > slot.count for count, slot in zip(counts, shift.slots))


def apply_plan(shifts: dict[int, Shift], plan: dict[tuple[int, int], int], *, actor: User, now: datetime,
               match_run_id: Optional[int] = None) -> None:
    """Write a match run's places: new places assigned, kept places moved to the plan's slot, requests
    not chosen put on the waiting list (and told). Refuses, writing nothing, when the plan no longer
    fits (see :func:`plan_problems`). ``shifts`` must be locked, in id order."""
    existing = _sign_ups_on(shifts)
    problems = plan_problems(shifts, plan, existing, now=now)
    if problems:
        raise Refused(_("The data changed since this run, so the proposal no longer fits: %(what)s. "
                        "Re-run to get a new proposal.", what="; ".join(problems)))
    for (sid, vid), position in sorted(plan.items()):
        shift, record = shifts[sid], existing.get((sid, vid))
        slot_id = shift.slots[position].id
        if record is not None and record.status in HOLDING_STATUSES:
            if record.slot_id != slot_id:  # a kept place moves so that every slot fits
                before = audit.snapshot(record, "slot_id")
                record.slot_id = slot_id
                audit.record(actor, "signup.move", record, before=before,
                             after={**audit.snapshot(record, "slot_id"), "match_run_id": match_run_id},
                             region_id=shift.region_id)
            continue
        before = audit.snapshot(record, "status", "slot_id") if record else None
        if record is None:
            record = SignUp(shift_id=sid, volunteer_id=vid, status=SignUpStatus.assigned)
            db.session.add(record)
        record.status, record.slot_id, record.updated_at = SignUpStatus.assigned, slot_id, now
        db.session.flush()
        audit.record(actor, "signup.assign", record, before=before,
                     after={**audit.snapshot(record, "status", "slot_id"), "match_run_id": match_run_id},
                     region_id=shift.region_id)
        notify([record.volunteer.user_id], "shift_assigned", link=_link(shift), title=shift.title,
               start=shift.start)
    for (sid, vid), record in existing.items():
        if record.status == SignUpStatus.requested and (sid, vid) not in plan:
            before = audit.snapshot(record, "status")
            record.status = SignUpStatus.waitlisted
            audit.record(actor, "signup.waitlist", record, before=before,
                         after={**audit.snapshot(record, "status"), "match_run_id": match_run_id},
                         region_id=shifts[sid].region_id)
            notify([record.volunteer.user_id], "match_not_placed", link=_link(shifts[sid]), title=shifts[sid].title)
    db.session.flush()
    for shift in shifts.values():
        shift.version += 1
        update_staffing(shift)
