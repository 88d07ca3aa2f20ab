"""Who may hold a place on a shift, and if not, why: the one rule every path asks.

Self sign-up, promotion from a waiting list, the match problem builder (which offers the optimizer
only eligible pairs and only eligible kept places) and match approval all call :func:`why_not`.
The rule itself works on plain facts (:class:`Candidate`, :class:`Booking`), so the demo seed can
ask it too; :func:`candidate_of` and :func:`bookings_of` read those facts from the database.

A refusal is a :class:`Reason`: a code with JSON-friendly parameters, stored as such (on a match
run's record, for example) and put into words in the reader's language only when shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from flask_babel import format_date, format_datetime, lazy_gettext as _l

from linkage import settings
from linkage.extensions import db
from linkage.models import (HOLDING_STATUSES, ExceptionKind, ProofStatus, Shift, ShiftStatus, SignUp,
                            SkillCertificate, Volunteer, VolunteerStatus)
from linkage.models.people import age_on
from linkage.timeutil import LOCAL_TZ, to_local

MESSAGES = {
    "not_verified": _l("Your volunteer account must be verified by staff before you can sign up."),
    "suspended": _l("The volunteer account is suspended; ask the community staff."),
    "blocked": _l("After repeated no-shows you cannot sign up by yourself until %(date)s."),
    "no_birth_date": _l("Enter your ID number in your profile first: volunteers must be at least %(age)s."),
    "too_young": _l("Volunteers must be at least %(age)s years old."),
    "no_consent": _l("Volunteers under %(age)s need a guardian's consent on file: community staff or a social "
                     "worker records it with the signed consent form."),
    "away": _l("You marked yourself away on %(date)s (see your profile)."),
    "skill": _l("This shift needs a skill you have not listed in your profile: %(skills)s."),
    "certificate": _l("This shift needs a certificate a social worker has approved: %(skills)s. Upload yours "
                      "on your certificates page."),
    "certificate_expired": _l("Your certificate for %(skill)s expired on %(date)s: upload a new one or attend a "
                              "training session."),
    "overlap": _l("You already have a place on \"%(title)s\" at that time (%(start)s)."),
    "rest": _l("You have a place on \"%(title)s\" at %(start)s; shifts must be at least %(minutes)s minutes apart."),
    "weekly_limit": _l("This shift would take you over your weekly limit of %(limit)s hours "
                       "(%(booked)s hours already booked that week)."),
}
# Parameters holding an ISO time or day, put into words in the reader's language.
_TIMES, _DAYS = ("start",), ("date",)


@dataclass(frozen=True)
class Reason:
    """Why a volunteer may not hold a place: a code and JSON-friendly parameters."""
    code: str
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        params = dict(self.params)
        for key in _TIMES:
            if key in params:
                params[key] = format_datetime(datetime.fromisoformat(params[key]), "short")
        for key in _DAYS:
            if key in params:
                params[key] = format_date(date.fromisoformat(params[key]))
        return str(MESSAGES[self.code]) % params if params else str(MESSAGES[self.code])

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict) -> "Reason":
        return cls(data["code"], dict(data.get("params") or {}))


@dataclass(frozen=True)
class Candidate:
    """What the rule needs to know of a volunteer."""
    id: int
    verified: bool                         # account verified by staff and active
    status: VolunteerStatus
    birth_date: Optional[date]
    guardian_consent: bool
    skill_ids: frozenset                   # skills that need no proof, as the volunteer listed them
    weekly_minutes_limit: int
    blocked_until: Optional[datetime] = None
    # Skills that need proof: (skill id, last day it counts) of each approved certificate, the latest per skill.
    certificates: tuple = ()
    away: tuple = ()                        # (start, end) of the one-off times the volunteer said they are away


@dataclass(frozen=True)
class Booking:
    """A place the volunteer holds on another shift."""
    shift_id: int
    title: str
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Opening:
    """What the rule needs to know of a shift (or of one slot of it, with ``skill_ids`` of that slot)."""
    id: int
    start: datetime
    end: datetime
    skill_ids: tuple                        # per slot: a skill id, or None for "anyone"
    skill_names: tuple = ()                 # the required skills' names, for the refusal
    proof_skill_ids: frozenset = frozenset()  # the required skills that count only with a certificate

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday, local time, of the week holding ``moment``."""
    local = to_local(moment)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime.combine(monday, datetime.min.time(), LOCAL_TZ)
    return start, start + timedelta(days=7)


def hours_text(minutes: int) -> str:
    value = minutes / 60
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _person(candidate: Candidate, day: date, *, now: datetime, self_service: bool) -> Optional[Reason]:
    """Account, suspension, no-show block, age and guardian consent."""
    if candidate.status == VolunteerStatus.suspended:
        return Reason("suspended")
    if not candidate.verified or candidate.status != VolunteerStatus.active:
        return Reason("not_verified")
    if self_service and candidate.blocked_until is not None and candidate.blocked_until > now:
        return Reason("blocked", {"date": to_local(candidate.blocked_until).date().isoformat()})
    min_age, adult = int(settings.get("MIN_VOLUNTEER_AGE")), int(settings.get("ADULT_AGE"))
    if candidate.birth_date is None:
        return Reason("no_birth_date", {"age": min_age})
    age = age_on(candidate.birth_date, day)
    if age < min_age:
        return Reason("too_young", {"age": min_age})
    if age < adult and not candidate.guardian_consent:
        return Reason("no_consent", {"age": adult})
    return None


def _calendar(opening: Opening, bookings: Iterable[Booking], limit: int) -> Optional[Reason]:
    """No overlap with another place held, the rest between places, the weekly hour limit."""
    rest = timedelta(minutes=int(settings.get("MATCH_REST_MINUTES")))
    others = [b for b in bookings if b.shift_id != opening.id]
    for booking in sorted(others, key=lambda b: b.start):
        if booking.start < opening.end and booking.end > opening.start:
            return Reason("overlap", {"title": booking.title, "start": booking.start.isoformat()})
    for booking in sorted(others, key=lambda b: b.start):
        if booking.start < opening.end + rest and booking.end + rest > opening.start:
            return Reason("rest", {"title": booking.title, "start": booking.start.isoformat(),
                                   "minutes": int(rest.total_seconds() // 60)})
    week_start, week_end = week_bounds(opening.start)
    booked = sum(b.minutes for b in others if week_start <= b.start < week_end)
    if booked + opening.minutes > limit:
        return Reason("weekly_limit", {"limit": hours_text(limit), "booked": hours_text(booked)})
    return None


def holds(candidate: Candidate, skill_id: Optional[int], day: date) -> bool:
    """Whether a slot for ``skill_id`` (None: anyone) takes the volunteer on ``day``: a skill that needs no
    proof counts once listed; one that needs proof only with an approved certificate not expired on that day.
    Every decision of who qualifies for a slot asks this."""
    if skill_id is None or skill_id in candidate.skill_ids:
        return True
    return any(skill == skill_id and (last is None or last >= day) for skill, last in candidate.certificates)


def _no_skill(candidate: Candidate, opening: Opening, day: date) -> Reason:
    """Why no slot takes the volunteer: an expired certificate, a certificate missing, a skill not listed."""
    required = [skill for skill in opening.skill_ids if skill is not None]
    names = dict(zip(required, opening.skill_names))
    for skill, last in sorted(candidate.certificates, key=lambda pair: pair[0]):
        if skill in names and last is not None and last < day:
            return Reason("certificate_expired", {"skill": names[skill], "date": last.isoformat()})
    if required and all(skill in opening.proof_skill_ids for skill in required):
        return Reason("certificate", {"skills": ", ".join(opening.skill_names)})
    return Reason("skill", {"skills": ", ".join(opening.skill_names)})


def why_not(candidate: Candidate, opening: Opening, bookings: Iterable[Booking], *, now: datetime,
            self_service: bool = False) -> Optional[Reason]:
    """None if the volunteer may hold a place on the shift (one of its slots), else the first reason why not.

    ``bookings``: the other places the volunteer holds (at least those within a week of the shift).
    ``self_service``: the volunteer acts by themselves, so a no-show block applies."""
    day = to_local(opening.start).date()
    reason = _person(candidate, day, now=now, self_service=self_service)
    if reason is not None:
        return reason
    for start, end in candidate.away:
        if start < opening.end and end > opening.start:
            return Reason("away", {"date": to_local(max(start, opening.start)).date().isoformat()})
    if not any(holds(candidate, skill, day) for skill in opening.skill_ids):
        return _no_skill(candidate, opening, day)
    return _calendar(opening, bookings, candidate.weekly_minutes_limit)


# --- facts from the database -----------------------------------------------------------------------

def certificates_of(volunteer_ids: Iterable[int]) -> dict[int, tuple]:
    """Each volunteer's approved certificates as the rule reads them, (skill id, last day), the latest per
    skill, in one query."""
    ids = sorted(set(volunteer_ids))
    result: dict[int, dict[int, Optional[date]]] = {vid: {} for vid in ids}
    if ids:
        rows = db.session.execute(
            sa.select(SkillCertificate.volunteer_id, SkillCertificate.skill_id, SkillCertificate.expires_on)
            .where(SkillCertificate.volunteer_id.in_(ids), SkillCertificate.status == ProofStatus.approved))
        for volunteer_id, skill_id, last in rows:
            known = result[volunteer_id]
            if skill_id not in known or (known[skill_id] is not None and (last is None or last > known[skill_id])):
                known[skill_id] = last
    return {vid: tuple(sorted(known.items())) for vid, known in result.items()}


def candidate_of(volunteer: Volunteer, certificates: Optional[tuple] = None) -> Candidate:
    """The volunteer as the rule sees them; ``certificates``: from :func:`certificates_of`, when the caller
    read them for many volunteers at once (else they are read here)."""
    user = volunteer.user
    if certificates is None:
        certificates = certificates_of([volunteer.id])[volunteer.id]
    return Candidate(
        id=volunteer.id, verified=user is None or user.is_verified, status=volunteer.status,
        birth_date=volunteer.birth_date, guardian_consent=bool(volunteer.guardian_consent),
        skill_ids=frozenset(skill.id for skill in volunteer.skills if not skill.is_certificate),
        weekly_minutes_limit=volunteer.weekly_minutes_limit, blocked_until=volunteer.self_signup_blocked_until,
        certificates=certificates, away=away_of(volunteer))


def away_of(volunteer: Volunteer) -> tuple:
    """The (start, end) of each one-off time the volunteer said they are away."""
    return tuple(e.bounds() for e in volunteer.exceptions if e.kind == ExceptionKind.away)


def candidate_for(volunteer: Volunteer, slots) -> Candidate:
    """:func:`candidate_of` for a shift with these slots: certificates are read only when a slot needs a skill."""
    return candidate_of(volunteer, None if any(slot.skill_id is not None for slot in slots) else ())


def opening_of(shift: Shift, slots=None, locale: str = "zh_CN") -> Opening:
    """The shift as the rule sees it; ``slots`` narrows it to those slots (default: all of them)."""
    slots = list(shift.slots if slots is None else slots)
    return Opening(id=shift.id, start=shift.start, end=shift.end,
                   skill_ids=tuple(slot.skill_id for slot in slots),
                   skill_names=tuple(slot.skill.display_name(locale) for slot in slots if slot.skill is not None),
                   proof_skill_ids=frozenset(slot.skill_id for slot in slots
                                             if slot.skill is not None and slot.skill.is_certificate))


def qualifying_slots(volunteer: Volunteer, shift: Shift, slots, candidate: Optional[Candidate] = None) -> list:
    """The slots of ``shift`` that take the volunteer on its day (:func:`holds`); ``candidate``: the
    volunteer as :func:`candidate_of` read them, when the caller has it."""
    candidate = candidate or candidate_of(volunteer)
    day = to_local(shift.start).date()
    return [slot for slot in slots if holds(candidate, slot.skill_id, day)]


def bookings_of(volunteer_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Booking]]:
    """Places each volunteer holds on shifts overlapping [start − 7 days, end + 7 days), in one query."""
    ids = sorted(set(volunteer_ids))
    result: dict[int, list[Booking]] = {vid: [] for vid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(SignUp.volunteer_id, Shift.id, Shift.title, Shift.start, Shift.end)
        .join(Shift, Shift.id == SignUp.shift_id)
        .where(SignUp.volunteer_id.in_(ids), SignUp.status.in_(HOLDING_STATUSES),
               Shift.status != ShiftStatus.cancelled,
               Shift.start < end + timedelta(days=7), Shift.end > start - timedelta(days=7)))
    for volunteer_id, shift_id, title, begin, finish in rows:
        result[volunteer_id].append(Booking(shift_id, title, begin, finish))
    return result


def check(volunteer: Volunteer, shift: Shift, *, now: datetime, slots=None, self_service: bool = False,
          locale: str = "zh_CN", candidate: Optional[Candidate] = None) -> Optional[Reason]:
    """:func:`why_not` for one volunteer and one shift, reading the facts from the database (``candidate``:
    the volunteer's, when the caller already read them)."""
    bookings = bookings_of([volunteer.id], shift.start, shift.end)[volunteer.id]
    return why_not(candidate or candidate_of(volunteer), opening_of(shift, slots, locale), bookings, now=now,
                   self_service=self_service)


def check_many(volunteer: Volunteer, shifts: list[Shift], *, now: datetime, self_service: bool = False,
               locale: str = "zh_CN") -> dict[int, Optional[Reason]]:
    """:func:`check` for one volunteer and many shifts (slots loaded), reading the volunteer's places once."""
    if not shifts:
        return {}
    candidate = candidate_of(volunteer)
    bookings = bookings_of([volunteer.id], min(s.start for s in shifts), max(s.end for s in shifts))[volunteer.id]
    return {shift.id: why_not(candidate, opening_of(shift, None, locale), bookings, now=now,
                              self_service=self_service) for shift in shifts}
