"""Shift rules: create, edit, cancel; sign-up with a waitlist; check-in/out, no-shows and hours.

Every function takes the acting user, flushes and never commits; a refused rule raises ``Refused``
before anything is written. Functions that count or change sign-ups first lock the shift row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction is BEGIN IMMEDIATE), so
concurrent sign-ups never take more places than the shift has (ENGINEERING.md, "Overbooking").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import format_date, format_datetime, get_locale, gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, HoursStatus, Need, Project, Region, RegionLevel, RUNNING_STATUSES,
                            Shift, ShiftSlot, ShiftStatus, SignUp, SignUpStatus, Skill, SocialWorker, User,
                            Volunteer, VolunteerStatus)
from linkage.models.types import utcnow
from linkage.notifications import link, notify
from linkage.shifts.access import winning_organization_id
from linkage.timeutil import LOCAL_TZ, to_local

OPEN_STATUSES = (ShiftStatus.open, ShiftStatus.staffed)
# Sign-ups still waiting for the shift to happen (notified of changes and cancellations).
LIVE_STATUSES = (SignUpStatus.requested, SignUpStatus.assigned, SignUpStatus.waitlisted)
MAX_SLOT_ROWS = 4
SHIFT_FIELDS = ("title", "description", "region_id", "place", "latitude", "longitude", "start", "end",
                "urgency", "min_volunteers", "lead_id", "first_come", "requires_insurance", "insurance_note")
# Changes that volunteers who signed up are told about.
NOTIFIED_FIELDS = ("title", "description", "region_id", "place", "latitude", "longitude", "start", "end",
                   "requires_insurance", "insurance_note")


def _link(shift: Shift) -> tuple[str, dict]:
    return link("shifts.detail", shift_id=shift.id)


# --- creating and editing ---------------------------------------------------------------------------

@dataclass
class ShiftData:
    """What a shift form says, with ids already resolved to rows; times aware UTC."""
    title: str
    community: Region
    place: str
    start: datetime
    end: datetime
    min_volunteers: int
    slots: list[tuple[Optional[Skill], int]]
    description: str = ""
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    urgency: Optional[int] = None          # None: the highest urgency of the needs served
    lead: Optional[SocialWorker] = None
    first_come: bool = True
    requires_insurance: bool = False
    insurance_note: str = ""
    needs: list[Need] = field(default_factory=list)


def max_capacity(leads: int = 1) -> int:
    """A lead supervises at most LEAD_VOLUNTEER_RATIO volunteers (a locality setting)."""
    return int(settings.get("LEAD_VOLUNTEER_RATIO")) * max(leads, 1)


def _validate(data: ShiftData, project: Optional[Project], *, actor: User, now: datetime,
              shift: Optional[Shift] = None) -> None:
    """Refuse a shift that breaks a rule; checks everything before anything is written."""
    if data.community is None or data.community.level != RegionLevel.community:
        raise Refused(_("Choose a community."), field="community")
    if project is not None:
        if project.status not in RUNNING_STATUSES:
            raise Refused(_("Shifts can be added only while the project runs."))
        if not project.region.contains(data.community):
            raise Refused(_("The community must lie in the project's area."), field="community")
    elif not actor.can_see_region(data.community):
        raise Refused(_("You can add activities only in your own community."), field="community")
    if data.end <= data.start:
        raise Refused(_("The end must be after the start."), field="end")
    if data.start <= now and (shift is None or data.start != shift.start):
        raise Refused(_("The start cannot be in the past."), field="start")
    if data.end - data.start > timedelta(hours=24):
        raise Refused(_("A shift lasts at most 24 hours; add several shifts instead."), field="end")
    if not data.slots:
        raise Refused(_("Add at least one slot: a skill (or anyone) and how many volunteers."), field="slots")
    if len(data.slots) > MAX_SLOT_ROWS:
        raise Refused(_("At most %(n)s slots.", n=MAX_SLOT_ROWS), field="slots")
    skills = [skill.id if skill else None for skill, _count in data.slots]
    if len(set(skills)) != len(skills):
        raise Refused(_("Each skill (and \"anyone\") may appear in one slot only."), field="slots")
    if any(count < 1 for _skill, count in data.slots):
        raise Refused(_("Each slot needs at least one place."), field="slots")
    capacity = sum(count for _skill, count in data.slots)
    if data.min_volunteers < 1:
        raise Refused(_("At least one volunteer is needed."), field="min_volunteers")
    if data.min_volunteers > capacity:
        raise Refused(_("The minimum (%(min)s) cannot exceed the places in the slots (%(capacity)s).",
                        min=data.min_volunteers, capacity=capacity), field="min_volunteers")
    if capacity > max_capacity(1):
        raise Refused(_("One lead supervises at most %(n)s volunteers; this shift has %(capacity)s places.",
                        n=max_capacity(1), capacity=capacity), field="slots")
    if project is not None:
        if data.lead is None:
            raise Refused(_("Choose the lead social worker."), field="lead")
        if data.lead.organization_id != winning_organization_id(project) or not data.lead.active:
            raise Refused(_("The lead must be an active social worker of the organization running the project."),
                          field="lead")
        if any(need.project_id != project.id for need in data.needs):
            raise Refused(_("A shift serves only needs of its own project."), field="needs")
    else:
        if data.lead is not None and not data.lead.active:
            raise Refused(_("The lead must be an active social worker."), field="lead")
        if any(not data.community.contains(need.region) for need in data.needs):
            raise Refused(_("A community activity serves only needs of its community."), field="needs")
    if data.urgency is not None and not 1 <= data.urgency <= 4:
        raise Refused(_("Choose an urgency from 1 to 4."), field="urgency")
    if (data.latitude is None) != (data.longitude is None):
        raise Refused(_("Enter both latitude and longitude, or neither."), field="latitude")
    if data.requires_insurance and not data.insurance_note.strip():
        raise Refused(_("Say which accident insurance covers the volunteers."), field="insurance_note")


def _apply(shift: Shift, data: ShiftData) -> None:
    shift.title = data.title.strip()
    shift.description = (data.description or "").strip()
    shift.region = data.community
    shift.place = data.place.strip()
    if data.latitude is None:
        shift.latitude, shift.longitude = data.community.latitude, data.community.longitude
    else:
        shift.latitude, shift.longitude = data.latitude, data.longitude
    shift.start, shift.end = data.start, data.end
    shift.urgency = data.urgency if data.urgency is not None else max(
        (need.urgency for need in data.needs), default=2)
    shift.min_volunteers = data.min_volunteers
    shift.lead = data.lead
    shift.first_come = data.first_come
    shift.requires_insurance = data.requires_insurance
    shift.insurance_note = data.insurance_note.strip() if data.requires_insurance else ""
    shift.needs = list(data.needs)


def create_shift(data: ShiftData, *, project: Optional[Project], actor: User,
                 now: Optional[datetime] = None) -> Shift:
    """A shift under a running project (its winner's social workers) or a community activity (staff)."""
    now = now or utcnow()
    _validate(data, project, actor=actor, now=now)
    shift = Shift(project=project, created_by=actor, status=ShiftStatus.open, version=1)
    _apply(shift, data)
    shift.slots = [ShiftSlot(position=i, skill=skill, count=count) for i, (skill, count) in enumerate(data.slots)]
    db.session.add(shift)
    db.session.flush()
    audit.record(actor, "shift.create", shift, after={
        **audit.snapshot(shift, *SHIFT_FIELDS, "project_id"),
        "slots": [[skill.code if skill else None, count] for skill, count in data.slots],
        "needs": [need.id for need in data.needs]})
    return shift


def lock_shift(shift_id: int) -> Shift:
    """Lock the shift row for the rest of the transaction and reload it."""
    return db.session.execute(
        sa.select(Shift).where(Shift.id == shift_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _slots(shift: Shift) -> list[ShiftSlot]:
    return list(db.session.scalars(sa.select(ShiftSlot).where(ShiftSlot.shift_id == shift.id)
                                   .order_by(ShiftSlot.position).execution_options(populate_existing=True)))


def slot_fill(shift: Shift) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(SignUp.slot_id, sa.func.count(SignUp.id))
        .where(SignUp.shift_id == shift.id, SignUp.status.in_(HOLDING_STATUSES)).group_by(SignUp.slot_id))
    return {slot_id: count for slot_id, count in rows}


def _holding_count(shift: Shift) -> int:
    return db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
        SignUp.shift_id == shift.id, SignUp.status.in_(HOLDING_STATUSES))) or 0


def update_shift(shift: Shift, data: ShiftData, *, actor: User, now: Optional[datetime] = None) -> Shift:
    """Change a shift that has not started; people who signed up are told what it is now."""
    now = now or utcnow()
    shift = lock_shift(shift.id)
    if shift.status not in OPEN_STATUSES or shift.start <= now:
        raise Refused(_("Only shifts that have not started can be changed."))
    _validate(data, shift.project, actor=actor, now=now, shift=shift)
    live = list(db.session.scalars(sa.select(SignUp).where(
        SignUp.shift_id == shift.id, SignUp.status.in_(LIVE_STATUSES))
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))))
    if data.first_come != shift.first_come and live:
        raise Refused(_("The sign-up mode cannot change once volunteers have signed up."), field="first_come")
    slots = _slots(shift)
    fill = slot_fill(shift)
    wanted = {skill.id if skill else None: (position, skill, count)
              for position, (skill, count) in enumerate(data.slots)}
    for slot in slots:
        held = fill.get(slot.id, 0)
        new_count = wanted.get(slot.skill_id, (0, None, 0))[2]
        if new_count < held:
            name = slot.skill.display_name(_locale()) if slot.skill else _("anyone")
            raise Refused(_("%(n)s volunteers hold places in the slot \"%(skill)s\"; keep at least %(n)s.",
                            n=held, skill=name), field="slots")
    before = {**audit.snapshot(shift, *SHIFT_FIELDS), "slots": _slot_summary(slots),
              "needs": sorted(need.id for need in shift.needs)}

    _apply(shift, data)
    existing = {slot.skill_id: slot for slot in slots}
    for slot in slots:
        if slot.skill_id not in wanted:
            db.session.execute(sa.update(SignUp).where(SignUp.slot_id == slot.id).values(slot_id=None))
            shift.slots.remove(slot)
    for key, (position, skill, count) in wanted.items():
        if key in existing:
            existing[key].position, existing[key].count = position, count
        else:
            shift.slots.append(ShiftSlot(position=position, skill=skill, count=count))
    shift.version += 1
    db.session.flush()
    after = {**audit.snapshot(shift, *SHIFT_FIELDS), "slots": _slot_summary(_slots(shift)),
             "needs": sorted(need.id for need in shift.needs)}
    changed = {key for key in after if after[key] != before.get(key)}
    _fill_from_waitlist(shift, actor=actor, now=now)
    update_staffing(shift)
    audit.record(actor, "shift.update", shift, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed})
    if changed & set(NOTIFIED_FIELDS):
        notify([s.volunteer.user for s in live], "shift_updated", link=_link(shift), title=shift.title,
               start=shift.start, end=shift.end, place=shift.place)
    return shift


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _slot_summary(slots) -> list:
    return [[slot.skill_id, slot.count] for slot in sorted(slots, key=lambda s: s.position)]


def cancel_shift(shift: Shift, reason: str, *, actor: User, now: Optional[datetime] = None) -> Shift:
    """Cancel a shift that is not under way; every sign-up is cancelled and told why."""
    now = now or utcnow()
    reason = (reason or "").strip()
    shift = lock_shift(shift.id)
    if shift.status not in OPEN_STATUSES:
        raise Refused(_("Only a shift that is open or staffed can be cancelled."))
    if not reason:
        raise Refused(_("Give a reason: the volunteers will read it."), field="reason")
    live = list(db.session.scalars(sa.select(SignUp).where(
        SignUp.shift_id == shift.id, SignUp.status.in_(LIVE_STATUSES))
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))))
    before = audit.snapshot(shift, "status")
    for sign_up in live:
        sign_up.status = SignUpStatus.cancelled
    shift.status = ShiftStatus.cancelled
    shift.status_reason = reason
    shift.version += 1
    audit.record(actor, "shift.cancel", shift, before=before, after=audit.snapshot(shift, "status"),
                 note=reason)
    notify([s.volunteer.user for s in live], "shift_cancelled", link=_link(shift), title=shift.title,
           start=shift.start, reason=reason)
    return shift


# --- sign-up ----------------------------------------------------------------------------------------

def _week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday, local time, of the week holding ``moment``."""
    local = to_local(moment)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime.combine(monday, datetime.min.time(), LOCAL_TZ)
    return start, start + timedelta(days=7)


def check_volunteer(shift: Shift, volunteer: Volunteer, *, now: datetime) -> None:
    """Refuse if ``volunteer`` may not take a place on ``shift`` (account, age, overlap, weekly limit)."""
    user = volunteer.user
    if user is None or not user.is_verified or volunteer.status != VolunteerStatus.active:
        raise Refused(_("Your volunteer account must be verified by staff before you can sign up."))
    if volunteer.self_signup_blocked_until is not None and volunteer.self_signup_blocked_until > now:
        raise Refused(_("After repeated no-shows you cannot sign up by yourself until %(date)s.",
                        date=format_date(to_local(volunteer.self_signup_blocked_until).date())))
    min_age = int(settings.get("MIN_VOLUNTEER_AGE"))
    adult = int(settings.get("ADULT_AGE"))
    age = volunteer.age_on(to_local(shift.start).date())
    if age is None:
        raise Refused(_("Enter your birth date in your profile first: volunteers must be at least %(age)s.",
                        age=min_age))
    if age < min_age:
        raise Refused(_("Volunteers must be at least %(age)s years old.", age=min_age))
    if age < adult and not volunteer.guardian_consent:
        raise Refused(_("Volunteers under %(age)s need a guardian's consent on file (see your profile).",
                        age=adult))
    clash = db.session.scalar(
        sa.select(Shift).join(SignUp, SignUp.shift_id == Shift.id)
        .where(SignUp.volunteer_id == volunteer.id, SignUp.status.in_(HOLDING_STATUSES), Shift.id != shift.id,
               Shift.status != ShiftStatus.cancelled, Shift.start < shift.end, Shift.end > shift.start).limit(1))
    if clash is not None:
        raise Refused(_("You already have a place on \"%(title)s\" at that time (%(start)s).",
                        title=clash.title, start=format_datetime(clash.start, "short")))
    week_start, week_end = _week_bounds(shift.start)
    booked = db.session.execute(
        sa.select(Shift.start, Shift.end).join(SignUp, SignUp.shift_id == Shift.id)
        .where(SignUp.volunteer_id == volunteer.id, SignUp.status.in_(HOLDING_STATUSES), Shift.id != shift.id,
               Shift.status != ShiftStatus.cancelled, Shift.start >= week_start, Shift.start < week_end)).all()
    booked_minutes = sum(int((end - start).total_seconds() // 60) for start, end in booked)
    if booked_minutes + shift.minutes > volunteer.weekly_minutes_limit:
        raise Refused(_("This shift would take you over your weekly limit of %(limit)s hours "
                        "(%(booked)s hours already booked that week).",
                        limit=_hours(volunteer.weekly_minutes_limit), booked=_hours(booked_minutes)))


def _hours(minutes: int) -> str:
    value = minutes / 60
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _qualifying(slots: list[ShiftSlot], volunteer: Volunteer) -> list[ShiftSlot]:
    held = {skill.id for skill in volunteer.skills}
    return [slot for slot in slots if slot.skill_id is None or slot.skill_id in held]


def _free_slot(qualifying: list[ShiftSlot], fill: dict[int, int]) -> Optional[ShiftSlot]:
    """A free place: first in a slot for a skill the volunteer holds, then in an "anyone" slot, so
    that skilled volunteers do not use up places anyone could take."""
    ordered = sorted(qualifying, key=lambda slot: (slot.skill_id is None, slot.position))
    for slot in ordered:
        if fill.get(slot.id, 0) < slot.count:
            return slot
    return None


def update_staffing(shift: Shift) -> None:
    """Open <-> staffed as holding sign-ups reach or fall below the minimum."""
    if shift.status not in OPEN_STATUSES:
        return
    shift.status = ShiftStatus.staffed if _holding_count(shift) >= shift.min_volunteers else ShiftStatus.open


def waitlist_position(sign_up: SignUp) -> int:
    """1 for the next in line."""
    return db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
        SignUp.shift_id == sign_up.shift_id, SignUp.status == SignUpStatus.waitlisted,
        sa.or_(SignUp.created_at < sign_up.created_at,
               sa.and_(SignUp.created_at == sign_up.created_at, SignUp.id <= sign_up.id)))) or 0


def sign_up(shift: Shift, volunteer: Volunteer, *, actor: User, now: Optional[datetime] = None) -> SignUp:
    """Sign ``volunteer`` up: a place (assigned), the waiting list when full, or a request when a match
    run decides. The shift row is locked while places are counted, so capacity is never exceeded."""
    now = now or utcnow()
    shift = lock_shift(shift.id)
    existing = db.session.execute(
        sa.select(SignUp).where(SignUp.shift_id == shift.id, SignUp.volunteer_id == volunteer.id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if existing is not None and existing.status != SignUpStatus.cancelled:
        raise Refused(_("You have already signed up for this shift."))
    if shift.status not in OPEN_STATUSES or shift.start <= now:
        raise Refused(_("This shift is no longer open for sign-up."))
    check_volunteer(shift, volunteer, now=now)
    slots = _slots(shift)
    qualifying = _qualifying(slots, volunteer)
    if not qualifying:
        names = ", ".join(slot.skill.display_name(_locale()) for slot in slots if slot.skill)
        raise Refused(_("This shift needs a skill you have not listed in your profile: %(skills)s.", skills=names))
    slot = None
    if shift.first_come:
        slot = _free_slot(qualifying, slot_fill(shift))
        status = SignUpStatus.assigned if slot is not None else SignUpStatus.waitlisted
    else:
        status = SignUpStatus.requested
    record = existing or SignUp(shift_id=shift.id, volunteer_id=volunteer.id)
    if existing is not None:
        before = audit.snapshot(existing, "status")
        # A renewed sign-up queues afresh and carries nothing from the cancelled one.
        record.created_at = utcnow()
        record.checked_in_at = record.checked_out_at = record.minutes = record.hours_status = None
        record.checkout_defaulted = record.hours_manual = False
        record.hours_note = ""
    else:
        before = None
    record.status, record.slot = status, slot
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        # A double click that slipped past the check above: the unique (shift, volunteer) key held.
        raise Refused(_("You have already signed up for this shift.")) from None
    shift.version += 1
    update_staffing(shift)
    audit.record(actor, "signup.create", record, region_id=shift.region_id, before=before,
                 after={**audit.snapshot(record, "status", "slot_id", "shift_id", "volunteer_id"),
                        "shift_status": shift.status.value})
    if actor is None or volunteer.user_id != actor.id:
        _tell_volunteer(record, shift)
    return record


def _tell_volunteer(record: SignUp, shift: Shift) -> None:
    user = record.volunteer.user
    if record.status == SignUpStatus.assigned:
        notify([user], "shift_assigned", link=_link(shift), title=shift.title, start=shift.start)
    elif record.status == SignUpStatus.waitlisted:
        notify([user], "shift_waitlisted", link=_link(shift), title=shift.title,
               position=waitlist_position(record))


def _fill_from_waitlist(shift: Shift, *, actor: User, now: datetime) -> list[SignUp]:
    """Give free places to the waiting list in order; those who no longer fit (a skill the free slot
    needs, an overlap, the weekly limit) keep their position. The shift must be locked."""
    if not shift.first_come or shift.status not in OPEN_STATUSES or shift.start <= now:
        return []
    slots = _slots(shift)
    fill = slot_fill(shift)
    if sum(max(slot.count - fill.get(slot.id, 0), 0) for slot in slots) == 0:
        return []
    waiting = db.session.scalars(
        sa.select(SignUp).where(SignUp.shift_id == shift.id, SignUp.status == SignUpStatus.waitlisted)
        .options(joinedload(SignUp.volunteer).joinedload(Volunteer.user))
        .order_by(SignUp.created_at, SignUp.id)).all()
    promoted = []
    for candidate in waiting:
        slot = _free_slot(_qualifying(slots, candidate.volunteer), fill)
        if slot is None:
            continue
        try:
            check_volunteer(shift, candidate.volunteer, now=now)
        except Refused:
            continue
        candidate.status, candidate.slot = SignUpStatus.assigned, slot
        fill[slot.id] = fill.get(slot.id, 0) + 1
        db.session.flush()
        audit.record(actor, "signup.promote", candidate, region_id=shift.region_id,
                     before={"status": SignUpStatus.waitlisted.value},
                     after=audit.snapshot(candidate, "status", "slot_id"))
        # Later refinement (issue to come): the promoted volunteer confirms within a deadline
        # (SignUp.offer_expires_at), else the next one is asked.
        notify([candidate.volunteer.user], "shift_promoted", link=_link(shift), title=shift.title,
               start=shift.start)
        promoted.append(candidate)
    if promoted:
        shift.version += 1
    return promoted


def cancel_sign_up(record: SignUp, *, actor: User, now: Optional[datetime] = None) -> list[SignUp]:
    """The volunteer gives up their sign-up before the start; the place goes to the waiting list.
    Returns the sign-ups promoted from the waiting list."""
    now = now or utcnow()
    shift = lock_shift(record.shift_id)
    record = db.session.execute(sa.select(SignUp).where(SignUp.id == record.id)
                                .execution_options(populate_existing=True)).scalar_one()
    if record.status not in LIVE_STATUSES:
        raise Refused(_("This sign-up can no longer be cancelled."))
    if shift.start <= now:
        raise Refused(_("The shift has started; tell the lead instead."))
    before = audit.snapshot(record, "status", "slot_id")
    was_holding = record.status == SignUpStatus.assigned
    record.status = SignUpStatus.cancelled
    shift.version += 1
    db.session.flush()
    promoted = _fill_from_waitlist(shift, actor=actor, now=now) if was_holding else []
    update_staffing(shift)
    audit.record(actor, "signup.cancel", record, region_id=shift.region_id, before=before,
                 after={**audit.snapshot(record, "status"), "shift_status": shift.status.value})
    if was_holding:
        managers = [shift.lead.user_id if shift.lead else None, shift.created_by_id]
        notify([m for m in managers if m is not None and m != actor.id], "signup_cancelled", link=_link(shift),
               name=record.volunteer.name, title=shift.title, start=shift.start)
    return promoted


# --- on the day: check-in, check-out, no-shows, closing ---------------------------------------------

def _locked_sign_up(record: SignUp) -> tuple[Shift, SignUp]:
    shift = lock_shift(record.shift_id)
    record = db.session.execute(sa.select(SignUp).where(SignUp.id == record.id)
                                .execution_options(populate_existing=True)).scalar_one()
    return shift, record


def check_in(record: SignUp, *, actor: User, at: Optional[datetime] = None,
             now: Optional[datetime] = None) -> SignUp:
    """Record arrival: now, or a time entered by hand (then the hours are marked manual)."""
    now = now or utcnow()
    shift, record = _locked_sign_up(record)
    if shift.status in (ShiftStatus.done, ShiftStatus.cancelled):
        raise Refused(_("This shift is closed."))
    if record.status != SignUpStatus.assigned:
        raise Refused(_("Only volunteers with a place can be checked in."))
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
    shift_before = shift.status
    if shift.status in OPEN_STATUSES:
        shift.status = ShiftStatus.under_way
    shift.version += 1
    audit.record(actor, "signup.check_in", record, region_id=shift.region_id,
                 before={"status": SignUpStatus.assigned.value, "shift_status": shift_before.value},
                 after={**audit.snapshot(record, "status", "checked_in_at", "hours_manual"),
                        "shift_status": shift.status.value})
    return record


def _record_attendance(record: SignUp, shift: Shift, out: datetime, *, defaulted: bool, now: datetime) -> None:
    """Minutes = time attended within the shift; hours count only from ATTENDANCE_MIN_SHARE of it."""
    record.status = SignUpStatus.checked_out
    record.checked_out_at = out
    record.checkout_defaulted = defaulted
    attended = min(out, shift.end) - max(record.checked_in_at, shift.start)
    record.minutes = max(int(attended.total_seconds() // 60), 0)
    share = float(settings.get("ATTENDANCE_MIN_SHARE"))
    if record.minutes >= share * shift.minutes - 1e-9:
        record.hours_status, record.hours_note = HoursStatus.pending, ""
    else:
        # No words stored: SignUp.hours_reason says what was attended, in the reader's language.
        record.hours_status, record.hours_note = HoursStatus.declined, ""
        record.hours_decided_at = now


def check_out(record: SignUp, *, actor: User, at: Optional[datetime] = None,
              now: Optional[datetime] = None) -> SignUp:
    """Record departure (default now) and the minutes attended; hours then wait for the lead."""
    now = now or utcnow()
    shift, record = _locked_sign_up(record)
    if record.status != SignUpStatus.checked_in:
        raise Refused(_("Only a checked-in volunteer can be checked out."))
    manual = at is not None
    at = at or now
    if at > now:
        raise Refused(_("A check-out time cannot be in the future."), field="at")
    if at <= record.checked_in_at:
        raise Refused(_("The check-out must be after the check-in (%(time)s).",
                        time=format_datetime(record.checked_in_at, "short")), field="at")
    record.hours_manual = record.hours_manual or manual
    _record_attendance(record, shift, at, defaulted=False, now=now)
    shift.version += 1
    audit.record(actor, "signup.check_out", record, region_id=shift.region_id,
                 before={"status": SignUpStatus.checked_in.value},
                 after=audit.snapshot(record, "status", "checked_out_at", "minutes", "hours_status", "hours_manual"))
    return record


def mark_no_show(record: SignUp, *, actor: User, now: Optional[datetime] = None) -> SignUp:
    """The volunteer held a place and did not come. Every NO_SHOW_LIMIT-th no-show suspends self
    sign-up for NO_SHOW_BLOCK_DAYS days."""
    now = now or utcnow()
    shift, record = _locked_sign_up(record)
    if record.status != SignUpStatus.assigned:
        raise Refused(_("Only a volunteer with a place who has not checked in can be marked absent."))
    if now < shift.start:
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
        if record.status in (SignUpStatus.waitlisted, SignUpStatus.requested):
            record.status = SignUpStatus.cancelled
    shift.status = ShiftStatus.done
    shift.version += 1
    audit.record(actor, "shift.close", shift, before=before,
                 after={**audit.snapshot(shift, "status"), "check_outs_defaulted": len(still_in)})
    return shift


def decide_hours(records: list[SignUp], *, approve: bool, reason: str = "", actor: User,
                 now: Optional[datetime] = None) -> list[SignUp]:
    """The lead approves or declines pending hours, one or many (all of one shift). Declined entries are
    kept with the reason."""
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
                   hours=_hours(record.minutes or 0), title=shift.title)
        else:
            notify([record.volunteer.user], "hours_declined", link=link("volunteers.hours"), title=shift.title,
                   reason=reason)
    shift.version += 1
    return records
