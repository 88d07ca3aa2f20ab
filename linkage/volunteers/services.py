"""Volunteer profile rules. Functions take the actor, flush and never commit."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Optional

from flask_babel import gettext as _

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import Availability, Region, RegionLevel, Skill, SupervisionNote, User, Volunteer, VolunteerStatus
from linkage.models.people import age_on
from linkage.records import numbers
from linkage.timeutil import now as clock
from linkage.volunteers import access

PROFILE_FIELDS = ("name", "phone", "birth_date", "region_id", "latitude", "longitude", "max_travel_km",
                  "weekly_minutes_limit", "guardian_consent")
# Fields the audit trail records as changed, never with their value: the trail is kept in clear,
# the birth date is encrypted at rest.
MASKED_IN_AUDIT = ("birth_date",)
AUDIT_MASK = "******"


@dataclass
class ProfileData:
    name: str
    birth_date: date
    community: Region
    phone: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    max_travel_km: Optional[float] = None      # None: the VOLUNTEER_TRAVEL_KM setting
    weekly_hours: Optional[int] = None         # None: the VOLUNTEER_WEEKLY_HOURS setting
    skills: list[Skill] = field(default_factory=list)
    guardian_consent: bool = False
    windows: list[tuple[int, time, time]] = field(default_factory=list)   # weekday (0 = Monday), start, end


def _with_defaults(data: ProfileData) -> ProfileData:
    return replace(data, max_travel_km=data.max_travel_km if data.max_travel_km is not None
                   else settings.get("VOLUNTEER_TRAVEL_KM"),
                   weekly_hours=data.weekly_hours if data.weekly_hours is not None
                   else settings.get("VOLUNTEER_WEEKLY_HOURS"))


def _check(data: ProfileData, today: date) -> None:
    min_age = int(settings.get("MIN_VOLUNTEER_AGE"))
    if data.birth_date > today:
        raise Refused(_("The birth date cannot be in the future."), field="birth_date")
    if age_on(data.birth_date, today) < min_age:
        raise Refused(_("Volunteers must be at least %(age)s years old.", age=min_age), field="birth_date")
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
    _check(data, today)
    if volunteer is None:
        volunteer = Volunteer(user=user, name=data.name, region=data.community,
                              status=VolunteerStatus.active if user.is_verified else VolunteerStatus.pending)
        db.session.add(volunteer)
        db.session.flush()
        numbers.assign(volunteer)
    before = {**audit.snapshot(volunteer, *PROFILE_FIELDS), "skills": sorted(s.code for s in volunteer.skills),
              "availability": _windows_of(volunteer)}
    volunteer.name = data.name.strip()
    volunteer.phone = data.phone or None
    volunteer.birth_date = data.birth_date
    volunteer.region = data.community
    if data.latitude is None:
        volunteer.latitude, volunteer.longitude = data.community.latitude, data.community.longitude
    else:
        volunteer.latitude, volunteer.longitude = data.latitude, data.longitude
    volunteer.max_travel_km = data.max_travel_km
    volunteer.weekly_minutes_limit = data.weekly_hours * 60
    volunteer.skills = list(data.skills)
    volunteer.guardian_consent = data.guardian_consent
    volunteer.availability = [Availability(weekday=day, start_time=start, end_time=end)
                              for day, start, end in sorted(data.windows)]
    db.session.flush()
    after = {**audit.snapshot(volunteer, *PROFILE_FIELDS), "skills": sorted(s.code for s in volunteer.skills),
             "availability": _windows_of(volunteer)}
    changed = [key for key in after if after[key] != before.get(key)]
    if changed:
        audit.record(actor, "volunteer.update", volunteer,
                     before={k: _audited(k, before[k]) for k in changed},
                     after={k: _audited(k, after[k]) for k in changed})
    return volunteer


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
