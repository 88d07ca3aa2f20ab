"""Weekly series of shifts: made from one shift form and a weekly pattern, each occurrence an ordinary shift
made, changed and cancelled by the rules of :mod:`linkage.shifts.services`.

Like every service, these flush and never commit; a refusal raises ``Refused`` and the request rolls back
everything the call wrote, so a change to "this and all later shifts" is made to all of them or to none.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import gettext as _, get_locale, pgettext

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import OPEN_STATUSES, Project, Shift, ShiftSeries, User
from linkage.models.types import utcnow
from linkage.shifts.services import ShiftData, cancel_shift, create_shift, shift_data_of, update_shift
from linkage.timeutil import local_to_utc, to_local

WEEKDAYS = range(1, 8)  # ISO: 1 Monday … 7 Sunday
# What "this and all later shifts" carries over from the edited shift: the fields whose value changed.
CARRIED_FIELDS = ("title", "description", "community", "place", "latitude", "longitude", "urgency",
                  "min_volunteers", "lead", "first_come", "requires_insurance", "insurance_note")


@dataclass
class WeeklyPattern:
    """On which weekdays (ISO: 1 Monday … 7 Sunday) from ``first_date``, until ``last_date`` or for
    ``weeks`` weeks, leaving out ``skipped``."""
    weekdays: list[int]
    first_date: date
    last_date: Optional[date] = None
    weeks: Optional[int] = None
    skipped: list[date] = field(default_factory=list)


def max_weeks() -> int:
    return int(settings.get("SERIES_MAX_WEEKS"))


def occurrence_dates(pattern: WeeklyPattern) -> tuple[list[date], date]:
    """The dates the pattern gives, and its last date; refuses a pattern that breaks a rule."""
    if not pattern.weekdays or any(day not in WEEKDAYS for day in pattern.weekdays):
        raise Refused(_("Choose the weekdays the shift repeats on."), field="weekdays")
    if pattern.last_date is None and not pattern.weeks:
        raise Refused(_("Say until when the shift repeats: a last date or a number of weeks."), field="repeat_until")
    if pattern.weeks is not None and pattern.weeks < 1:
        raise Refused(_("Repeat for at least one week."), field="repeat_weeks")
    last = pattern.last_date or pattern.first_date + timedelta(days=7 * pattern.weeks - 1)
    if last < pattern.first_date:
        raise Refused(_("The last date cannot be before the first shift."), field="repeat_until")
    if (last - pattern.first_date).days >= 7 * max_weeks():
        raise Refused(_("A series runs for at most %(n)s weeks.", n=max_weeks()),
                      field="repeat_weeks" if pattern.last_date is None else "repeat_until")
    days = [pattern.first_date + timedelta(days=n) for n in range((last - pattern.first_date).days + 1)]
    days = [day for day in days if day.isoweekday() in pattern.weekdays]
    stray = [day for day in pattern.skipped if day not in days]
    if stray:
        raise Refused(_("%(date)s is not one of the series' dates.", date=day_text(stray[0])), field="skip_dates")
    dates = [day for day in days if day not in pattern.skipped]
    if not dates:
        raise Refused(_("No date is left in the series."), field="weekdays")
    return dates, last


def _at(day: date, moment: time) -> datetime:
    """A local wall-clock time on ``day`` as aware UTC."""
    return local_to_utc(datetime.combine(day, moment))


def create_series(data: ShiftData, pattern: WeeklyPattern, *, project: Optional[Project], actor: User,
                  now: Optional[datetime] = None) -> ShiftSeries:
    """A weekly series: one shift like ``data`` (at its time of day, for as long) on every date of the pattern."""
    now = now or utcnow()
    dates, last = occurrence_dates(pattern)
    if data.end <= data.start:
        raise Refused(_("The end must be after the start."), field="end")
    start_time = to_local(data.start).time().replace(tzinfo=None)
    length = data.end - data.start
    series = ShiftSeries(weekdays=",".join(str(day) for day in sorted(set(pattern.weekdays))),
                         start_time=start_time, minutes=int(length.total_seconds() // 60),
                         first_date=pattern.first_date, last_date=last,
                         skipped=sorted(day.isoformat() for day in pattern.skipped), created_by=actor)
    db.session.add(series)
    db.session.flush()
    for day in dates:
        start = _at(day, start_time)
        try:
            create_shift(replace(data, start=start, end=start + length), project=project, actor=actor, now=now,
                         series=series)
        except Refused as refused:
            raise Refused(_("The shift of %(date)s: %(reason)s", date=day_text(day), reason=refused.message),
                          field=refused.field) from refused
    audit.record(actor, "shift_series.create", series, after={
        **audit.snapshot(series, "weekdays", "start_time", "minutes", "first_date", "last_date", "skipped"),
        "shifts": len(dates)})
    return series


def later_occurrences(shift: Shift, now: datetime) -> list[Shift]:
    """The series' shifts after ``shift`` that can still change: open or staffed, not started."""
    if shift.series_id is None:
        return []
    return list(db.session.scalars(sa.select(Shift).where(
        Shift.series_id == shift.series_id, Shift.id != shift.id, Shift.start > shift.start,
        Shift.start > now, Shift.status.in_(OPEN_STATUSES)).order_by(Shift.start)))


def _slot_keys(data: ShiftData) -> list:
    return [(skill.id if skill else None, count) for skill, count in data.slots]


def _carried(old: ShiftData, new: ShiftData) -> dict:
    """What the edit changes on the edited shift, to be changed the same way on the later ones."""
    changed = {name: getattr(new, name) for name in CARRIED_FIELDS if getattr(new, name) != getattr(old, name)}
    if _slot_keys(new) != _slot_keys(old):
        changed["slots"] = list(new.slots)
    if sorted(need.id for need in new.needs) != sorted(need.id for need in old.needs):
        changed["needs"] = list(new.needs)
    return changed


def update_from(shift: Shift, data: ShiftData, *, actor: User, now: Optional[datetime] = None) -> list[Shift]:
    """Change ``shift`` as ``data`` says and every later open shift of its series the same way (the time of
    day, place, slots, lead, needs, description …: what differs from the edited shift as it was); each
    through :func:`update_shift`, so each is checked, audited and its volunteers told. All or none."""
    now = now or utcnow()
    if shift.series_id is None:
        raise Refused(_("This shift is not part of a series."))
    old = shift_data_of(shift)
    old_start, new_start = to_local(shift.start), to_local(data.start)
    if new_start.date() != old_start.date():
        raise Refused(_("A change to all later shifts keeps each on its own date; to move this one to another "
                        "day, change this shift only."), field="start")
    carried = _carried(old, data)
    new_time = new_start.time().replace(tzinfo=None)
    length = data.end - data.start
    timed = new_time != old_start.time().replace(tzinfo=None) or length != shift.end - shift.start
    later = later_occurrences(shift, now)
    changed = [update_shift(shift, data, actor=actor, now=now)]
    for occurrence in later:
        wanted = replace(shift_data_of(occurrence), **carried)
        if timed:
            start = _at(to_local(occurrence.start).date(), new_time)
            wanted = replace(wanted, start=start, end=start + length)
        try:
            changed.append(update_shift(occurrence, wanted, actor=actor, now=now))
        except Refused as refused:
            raise Refused(_("Nothing was changed: the shift of %(date)s cannot take this change. %(reason)s",
                            date=day_text(to_local(occurrence.start).date()), reason=refused.message)) from refused
    if timed:
        series = db.session.get(ShiftSeries, shift.series_id)
        before = audit.snapshot(series, "start_time", "minutes")
        series.start_time, series.minutes = new_time, int(length.total_seconds() // 60)
        audit.record(actor, "shift_series.update", series, before=before,
                     after=audit.snapshot(series, "start_time", "minutes"))
    return changed


def cancel(shift: Shift, reason: str, *, later: bool, actor: User, now: Optional[datetime] = None) -> list[Shift]:
    """Cancel ``shift`` (and with ``later`` every later open shift of its series) through
    :func:`cancel_shift`. A series remembers a single cancelled date as left out, and ends with the shift
    before the first of "all later" ones. All or none."""
    now = now or utcnow()
    following = later_occurrences(shift, now) if later else []
    day = to_local(shift.start).date()
    cancelled = [cancel_shift(shift, reason, actor=actor, now=now)]
    for occurrence in following:
        try:
            cancelled.append(cancel_shift(occurrence, reason, actor=actor, now=now))
        except Refused as refused:
            raise Refused(_("Nothing was cancelled: the shift of %(date)s cannot be cancelled. %(reason)s",
                            date=day_text(to_local(occurrence.start).date()), reason=refused.message)) from refused
    if shift.series_id is not None:
        series = db.session.get(ShiftSeries, shift.series_id)
        before = audit.snapshot(series, "last_date", "skipped")
        earlier = db.session.scalar(sa.select(Shift.start).where(
            Shift.series_id == series.id, Shift.start < shift.start).order_by(Shift.start.desc()).limit(1))
        if later and earlier is not None:  # the series now ends with the shift before this one
            series.last_date = min(series.last_date, to_local(earlier).date())
        elif not later:
            series.skipped = sorted(set(series.skipped or []) | {day.isoformat()})
        if audit.snapshot(series, "last_date", "skipped") != before:
            audit.record(actor, "shift_series.update", series, before=before,
                         after=audit.snapshot(series, "last_date", "skipped"), note=reason)
    return cancelled


# --- in words ------------------------------------------------------------------------------------------

def _locale() -> str:
    return str(get_locale() or "zh_CN")


def day_text(day: date) -> str:
    """A date as the reader says it, without the year: "1月31日", "Jan 31"."""
    return format_skeleton("MMMd", day, locale=_locale())


def _clock(moment: time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _every(weekday: int) -> str:
    """A weekday as said after "every": "Tuesday", "周二"."""
    return {1: pgettext("every", "Monday"), 2: pgettext("every", "Tuesday"), 3: pgettext("every", "Wednesday"),
            4: pgettext("every", "Thursday"), 5: pgettext("every", "Friday"), 6: pgettext("every", "Saturday"),
            7: pgettext("every", "Sunday")}[weekday]


def pattern_words(series: ShiftSeries) -> str:
    """The pattern in words: "每周二、周四 9:00–11:00，至 1月31日（不含 12月8日）"."""
    separator = _(", ")
    end = (datetime.combine(series.first_date, series.start_time) + timedelta(minutes=series.minutes)).time()
    words = _("Every %(days)s, %(start)s–%(end)s, until %(last)s",
              days=separator.join(_every(day) for day in series.weekday_numbers),
              start=_clock(series.start_time), end=_clock(end), last=day_text(series.last_date))
    skipped = [day for day in series.skipped_dates if series.first_date <= day <= series.last_date]
    if skipped:
        words += _(" (except %(dates)s)", dates=separator.join(day_text(day) for day in skipped))
    return words


def siblings(shift: Shift) -> list[Shift]:
    """The other shifts of the series, by date."""
    if shift.series_id is None:
        return []
    return list(db.session.scalars(sa.select(Shift).where(
        Shift.series_id == shift.series_id, Shift.id != shift.id).order_by(Shift.start)))

