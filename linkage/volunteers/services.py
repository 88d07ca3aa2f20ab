"""Volunteer profile rules. Functions take the actor, flush and never commit."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l

from linkage import audit, settings, uploads
from linkage.community import claims
from linkage.database import batching
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import read_id_number
from linkage.models import (Availability, AvailabilityException, ExceptionKind, GuardianConsent, Region, RegionLevel,
                            Skill, SupervisionNote, User, Volunteer, VolunteerClaim, VolunteerStatus)
from linkage.models.people import age_on
from linkage.models.types import utcnow
from linkage.records import numbers
from linkage.timeutil import now as clock
from linkage.security import blind_index
from linkage.volunteers import access

PROFILE_FIELDS = ("name", "phone", "id_number_index", "region_id", "latitude", "longitude", "max_travel_km",
                  "weekly_minutes_limit")
# Fields the audit trail records as changed, never with their value: the trail is kept in clear,
# the ID number is encrypted at rest.
MASKED_IN_AUDIT = ("id_number_index",)
AUDIT_MASK = "******"
DUPLICATE_ID = _l("A volunteer with this ID number is already registered; sign in to that account instead.")
CONSENTS = "consents"   # the signed consent forms' folder under the instance's uploads; encrypted
MAX_EXCEPTIONS = 60     # one-off changes ahead at a time


@dataclass
class ProfileData:
    name: str
    id_number: Optional[str]                   # None or empty: keep the number on file
    community: Region
    phone: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    max_travel_km: Optional[float] = None      # None: the VOLUNTEER_TRAVEL_KM setting
    weekly_hours: Optional[int] = None         # None: the VOLUNTEER_WEEKLY_HOURS setting
    skills: list[Skill] = field(default_factory=list)
    windows: list[tuple[int, time, time]] = field(default_factory=list)   # weekday (0 = Monday), start, end


def _with_defaults(data: ProfileData) -> ProfileData:
    return replace(data, max_travel_km=data.max_travel_km if data.max_travel_km is not None
                   else settings.get("VOLUNTEER_TRAVEL_KM"),
                   weekly_hours=data.weekly_hours if data.weekly_hours is not None
                   else settings.get("VOLUNTEER_WEEKLY_HOURS"))


def checked_id_number(text: Optional[str], *, today: date, volunteer: Optional[Volunteer] = None,
                      field: str = "id_number") -> str:
    """The normalized ID number of a volunteer, or Refused: not a valid number (the reason named), the
    holder under the minimum age, or the number of another volunteer already registered."""
    number, info, problem = read_id_number(text)
    if not number:
        raise Refused(_("Enter your resident ID number (18 characters)."), field=field)
    if problem:
        raise Refused(str(problem), field=field)
    min_age = int(settings.get("MIN_VOLUNTEER_AGE"))
    if age_on(info.birth_date, today) < min_age:
        raise Refused(_("Volunteers must be at least %(age)s years old.", age=min_age), field=field)
    if batching(db.session):   # an import checked the file's numbers against the register first
        return number
    query = sa.select(Volunteer.id).where(Volunteer.id_number_index == blind_index(number))
    if volunteer is not None and volunteer.id is not None:
        query = query.where(Volunteer.id != volunteer.id)
    if db.session.scalar(query) is not None:
        raise Refused(str(DUPLICATE_ID), field=field)
    return number


def claimable_record(text: Optional[str]) -> Optional[Volunteer]:
    """The volunteer record staff keep without an account (registered in person, or imported) under this ID
    number (found by its blind index), which a self-registration may claim; None otherwise."""
    number = read_id_number(text)[0]
    if not number:
        return None
    return db.session.scalar(sa.select(Volunteer).where(Volunteer.id_number_index == blind_index(number),
                                                        Volunteer.user_id.is_(None)))


def claim_record(user: User, volunteer: Volunteer) -> VolunteerClaim:
    """A self-registered account's claim on the record staff keep under the same ID number: no second record;
    staff of the record's community confirm it when they verify the account. ``volunteer.claim``."""
    return claims.file_claim(VolunteerClaim(user=user, volunteer=volunteer))


def _check(data: ProfileData, today: date) -> None:
    if data.community is None or data.community.level != RegionLevel.community:
        raise Refused(_("Choose your community."), field="community")
    if (data.latitude is None) != (data.longitude is None):
        raise Refused(_("Enter both latitude and longitude, or neither."), field="latitude")
    if not 0.5 <= data.max_travel_km <= 100:
        raise Refused(_("Enter a distance from 0.5 to 100 km."), field="max_travel_km")
    if not 1 <= data.weekly_hours <= 60:
        raise Refused(_("Enter from 1 to 60 hours."), field="weekly_hours")
    if len(data.windows) > 7:
        raise Refused(_("At most 7 availability windows."), field="availability")
    for i, (day, start, end) in enumerate(data.windows):
        if not 0 <= day <= 6 or end <= start:
            raise Refused(_("Each window needs a day and an end after its start."), field="availability")
        for other_day, other_start, other_end in data.windows[i + 1:]:
            if day == other_day and start < other_end and other_start < end:
                raise Refused(_("Two availability windows on the same day overlap."), field="availability")


def update_profile(volunteer: Optional[Volunteer], data: ProfileData, *, user: User, actor: User,
                   today: date) -> Volunteer:
    """Save a volunteer's own profile (creating the record for an account that has none)."""
    data = _with_defaults(data)
    number = (checked_id_number(data.id_number, today=today, volunteer=volunteer)
              if data.id_number or volunteer is None or volunteer.id_number_encrypted is None else None)
    _check(data, today)
    if volunteer is None:
        volunteer = add_volunteer(Volunteer(user=user, name=data.name, region=data.community,
                                            status=VolunteerStatus.active if user.is_verified
                                            else VolunteerStatus.pending))
    before = {**audit.snapshot(volunteer, *PROFILE_FIELDS), "skills": sorted(s.code for s in volunteer.skills),
              "availability": _windows_of(volunteer)}
    volunteer.name = data.name.strip()
    volunteer.phone = data.phone or None
    if number is not None:
        volunteer.set_id_number(number)
    volunteer.region = data.community
    if data.latitude is None:
        volunteer.latitude, volunteer.longitude = data.community.latitude, data.community.longitude
    else:
        volunteer.latitude, volunteer.longitude = data.latitude, data.longitude
    volunteer.max_travel_km = data.max_travel_km
    volunteer.weekly_minutes_limit = data.weekly_hours * 60
    volunteer.skills = list(data.skills)
    volunteer.availability = [Availability(weekday=day, start_time=start, end_time=end)
                              for day, start, end in sorted(data.windows)]
    _flush_unique_id()
    after = {**audit.snapshot(volunteer, *PROFILE_FIELDS), "skills": sorted(s.code for s in volunteer.skills),
             "availability": _windows_of(volunteer)}
    changed = [key for key in after if after[key] != before.get(key)]
    if changed:
        audit.record(actor, "volunteer.update", volunteer,
                     before={k: _audited(k, before[k]) for k in changed},
                     after={k: _audited(k, after[k]) for k in changed})
    return volunteer


def register_by_staff(data: ProfileData, *, actor: User, today: date) -> Volunteer:
    """Community staff register a volunteer they met in person (no account of their own yet): real name and
    a valid ID number of someone old enough, checked as on the profile form; active at once, numbered.
    ``volunteer.register``."""
    if not access.can_register_volunteer_in(actor, data.community):
        raise Refused(_("Choose a community of your own area."), field="community")
    name = (data.name or "").strip()
    if not name:
        raise Refused(_("Enter the volunteer's name."), field="name")
    data = _with_defaults(replace(data, name=name))
    number = checked_id_number(data.id_number, today=today)
    _check(data, today)
    volunteer = Volunteer(name=name, phone=data.phone or None, region=data.community, region_id=data.community.id,
                          latitude=data.community.latitude, longitude=data.community.longitude,
                          max_travel_km=data.max_travel_km, weekly_minutes_limit=data.weekly_hours * 60,
                          status=VolunteerStatus.active, skills=list(data.skills))
    volunteer.set_id_number(number)
    add_volunteer(volunteer)
    audit.record(actor, "volunteer.register", volunteer,
                 after={k: _audited(k, v) for k, v in audit.snapshot(volunteer, *PROFILE_FIELDS).items()})
    return volunteer


def add_volunteer(volunteer: Volunteer) -> Volunteer:
    """A new volunteer's record, however it is made (self-registration, the profile form, staff, an import):
    added, flushed (a second record of one ID number is refused) and given its volunteer number."""
    db.session.add(volunteer)
    if not batching(db.session):   # a batch is flushed by its writer, which answers for the unique index
        _flush_unique_id()
    numbers.assign(volunteer)
    return volunteer


def _flush_unique_id() -> None:
    """Flush; the unique blind index settles a race between two registrations of the same number."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Refused(str(DUPLICATE_ID), field="id_number") from None


def _audited(name: str, value):
    """A profile value as the audit trail keeps it: masked when it is personal data encrypted at rest."""
    return AUDIT_MASK if name in MASKED_IN_AUDIT and value is not None else value


def _windows_of(volunteer: Volunteer) -> list:
    return sorted([w.weekday, w.start_time.strftime("%H:%M"), w.end_time.strftime("%H:%M")]
                  for w in volunteer.availability)


def star_level(hours: float, thresholds) -> tuple[int, Optional[int]]:
    """Stars earned by ``hours`` of confirmed service, and the hours the next star needs (None at the top)."""
    ordered = sorted(thresholds)
    stars = sum(1 for threshold in ordered if hours >= threshold)
    return stars, (ordered[stars] if stars < len(ordered) else None)


# --- supervision notes -----------------------------------------------------------------------------------

def write_note(volunteer: Volunteer, text: str, *, actor: User) -> SupervisionNote:
    """A dated supervision note on the volunteer, by the lead social worker of a shift they held a place on."""
    if not access.can_write_notes(actor, volunteer):
        raise Refused(_("Only the lead social worker of a shift this volunteer took part in writes notes on them."))
    text = (text or "").strip()
    if not text:
        raise Refused(_("Write the note."), field="text")
    if len(text) > 5000:
        raise Refused(_("The note is too long (at most %(n)s characters).", n=5000), field="text")
    note = SupervisionNote(volunteer_id=volunteer.id, author_id=actor.id, text=text, written_at=clock())
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "volunteer.supervision_note", volunteer, region_id=volunteer.region_id,
                 after={"note_id": note.id})
    return note
# --- a guardian's consent for a minor ------------------------------------------------------------------

def is_minor(volunteer: Volunteer, today: date) -> bool:
    """Under the adult age (``ADULT_AGE``) today, by the birth date in the ID number."""
    age = volunteer.age_on(today)
    return age is not None and age < int(settings.get("ADULT_AGE"))


@dataclass
class ConsentData:
    guardian_name: str
    relation: str
    phone: str
    file_name: str
    content: bytes


def record_consent(volunteer: Volunteer, data: ConsentData, *, actor: User, today: date) -> GuardianConsent:
    """Staff record a guardian's consent for a minor volunteer, with the signed form (stored encrypted);
    it replaces any consent on file. Audited as ``volunteer.consent_record``."""
    if not access.can_record_consent(actor, volunteer):
        raise Refused(_("Only community staff or a social worker of the volunteer's area may record consent."))
    if not is_minor(volunteer, today):
        raise Refused(_("This volunteer is not a minor: no guardian's consent is needed."))
    name, relation, phone = (data.guardian_name or "").strip(), (data.relation or "").strip(), (data.phone or "").strip()
    if not name or len(name) > 100:
        raise Refused(_("Enter the guardian's full name."), field="guardian_name")
    if not relation or len(relation) > 32:
        raise Refused(_("Enter how the guardian is related to the volunteer."), field="relation")
    if not phone or len(phone) > 32:
        raise Refused(_("Enter the guardian's phone number."), field="phone")
    extension = uploads.check(data.file_name, data.content)
    previous = volunteer.consent
    if previous is not None:
        previous.withdrawn_at, previous.withdrawn_by_id = utcnow(), actor.id
    consent = GuardianConsent(volunteer=volunteer, guardian_name=name, relation=relation, phone=phone,
                              file_name=data.file_name.strip()[:200], extension=extension,
                              stored_name=uploads.new_name(), recorded_by_id=actor.id, recorded_at=utcnow())
    uploads.store_with_row(CONSENTS, consent, data.content, encrypted=True)
    audit.record(actor, "volunteer.consent_record", volunteer,
                 before={"consent_recorded_at": previous.recorded_at.isoformat()} if previous else None,
                 after={"consent_recorded_at": consent.recorded_at.isoformat(), "relation": relation,
                        "file_name": consent.file_name})
    return consent


def withdraw_consent(volunteer: Volunteer, *, actor: User) -> GuardianConsent:
    """The consent on file ends (it stays on record); audited as ``volunteer.consent_withdraw``."""
    if not access.can_record_consent(actor, volunteer):
        raise Refused(_("Only community staff or a social worker of the volunteer's area may withdraw consent."))
    consent = volunteer.consent
    if consent is None:
        raise Refused(_("No guardian's consent is on file for this volunteer."))
    consent.withdrawn_at, consent.withdrawn_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "volunteer.consent_withdraw", volunteer,
                 before={"consent_recorded_at": consent.recorded_at.isoformat()},
                 after={"consent_withdrawn_at": consent.withdrawn_at.isoformat()})
    return consent


def read_consent_document(consent: GuardianConsent, *, actor: User) -> bytes:
    """The signed consent form's bytes for one download, in the access log (``volunteer.consent_read``)."""
    if not access.can_record_consent(actor, consent.volunteer):
        raise Refused(_("You may not read this volunteer's consent form."))
    content = uploads.read_stored(CONSENTS, consent.stored_name, _("The document's file is missing from the server."))
    audit.record(actor, "volunteer.consent_read", consent.volunteer,
                 after={"consent_recorded_at": consent.recorded_at.isoformat()})
    return content


# --- one-off changes to the weekly windows ----------------------------------------------------------------

def add_exception(volunteer: Volunteer, *, actor: User, kind: ExceptionKind, day: Optional[date],
                  start: Optional[time] = None, end: Optional[time] = None, today: date) -> AvailabilityException:
    """A date (and optionally a time range) when the volunteer is away, or free as well."""
    if day is None:
        raise Refused(_("Choose the date."), field="day")
    if day < today:
        raise Refused(_("Choose today or a later date."), field="day")
    if (start is None) != (end is None):
        raise Refused(_("Enter both the start and the end time, or neither for the whole day."), field="end")
    if start is not None and end <= start:
        raise Refused(_("The end must be after the start."), field="end")
    if kind == ExceptionKind.extra and start is None:
        raise Refused(_("Give the times you are free that day."), field="start")
    if sum(1 for e in volunteer.exceptions if e.day >= today) >= MAX_EXCEPTIONS:
        raise Refused(_("At most %(n)s changes ahead; remove some first.", n=MAX_EXCEPTIONS))
    exception = AvailabilityException(kind=kind, day=day, start_time=start, end_time=end)
    volunteer.exceptions.append(exception)
    db.session.flush()
    audit.record(actor, "volunteer.exception_add", volunteer, after=_exception_text(exception))
    return exception


def remove_exception(volunteer: Volunteer, exception_id: Optional[int], *, actor: User) -> None:
    exception = next((e for e in volunteer.exceptions if e.id == exception_id), None)
    if exception is None:
        raise Refused(_("This change is no longer in your profile."))
    before = _exception_text(exception)
    volunteer.exceptions.remove(exception)
    db.session.flush()
    audit.record(actor, "volunteer.exception_remove", volunteer, before=before)


def _exception_text(exception: AvailabilityException) -> dict:
    return {"exception_kind": exception.kind.value, "day": exception.day.isoformat(),
            "start": exception.start_time.strftime("%H:%M") if exception.start_time else None,
            "end": exception.end_time.strftime("%H:%M") if exception.end_time else None}
