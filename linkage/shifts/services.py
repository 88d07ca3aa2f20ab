"""Shift rules: create, edit, cancel. Sign-ups and places live in :mod:`linkage.shifts.places`.

Every function takes the acting user, flushes and never commits; a refused rule raises ``Refused``
before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from flask_babel import gettext as _

from linkage import audit, settings
from linkage.auth.access import can_see_region
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (OPEN_STATUSES, RUNNING_STATUSES, Need, Project, Region, RegionLevel, Shift, ShiftSeries,
                            ShiftSlot, ShiftStatus, Skill, SocialWorker, User)
from linkage.models.types import utcnow
from linkage.notifications import notify
from linkage.shifts.access import winning_organization_id
from linkage.shifts.places import (_link, _locale, detach_slot, fill_from_waitlist, live_sign_ups,
                                   lock_shift, release_live, slot_fill, slots_of, update_staffing)

MAX_SLOT_ROWS = 4
SHIFT_FIELDS = ("title", "description", "region_id", "place", "latitude", "longitude", "start", "end",
                "urgency", "min_volunteers", "lead_id", "first_come", "requires_insurance", "insurance_note",
                "trains_skill_id")
# Changes that volunteers who signed up are told about, by what they are called in the message
# (``linkage.notifications.CHANGE_LABELS``), in the order the message lists them.
NOTIFIED_FIELDS = {"start": "time", "end": "time", "region_id": "place", "place": "place", "latitude": "place",
                   "longitude": "place", "title": "title", "description": "description", "slots": "slots",
                   "lead_id": "lead", "requires_insurance": "insurance", "insurance_note": "insurance"}
CHANGE_ORDER = ("time", "place", "title", "description", "slots", "lead", "insurance")


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
    trains_skill: Optional[Skill] = None    # a training session: confirmed attendance grants this skill


def max_capacity(leads: int = 1) -> int:
    """A lead supervises at most LEAD_VOLUNTEER_RATIO volunteers (a locality setting)."""
    return int(settings.get("LEAD_VOLUNTEER_RATIO")) * max(leads, 1)


def _validate(data: ShiftData, project: Optional[Project], *, actor: User, now: datetime,
              shift: Optional[Shift] = None) -> None:
    """Refuse a shift that breaks a rule; checks everything before anything is written."""
    _validate_place(data, project, actor=actor)
    _validate_time(data, now=now, shift=shift)
    _validate_slots(data)
    _validate_people(data, project)
    if data.urgency is not None and not 1 <= data.urgency <= 4:
        raise Refused(_("Choose an urgency from 1 to 4."), field="urgency")
    if data.requires_insurance and not data.insurance_note.strip():
        raise Refused(_("Say which accident insurance covers the volunteers."), field="insurance_note")
    if data.trains_skill is not None and not data.trains_skill.is_certificate:
        raise Refused(_("Only a skill that needs a certificate is granted by a training session."),
                      field="trains_skill")


def _validate_place(data: ShiftData, project: Optional[Project], *, actor: User) -> None:
    """A community inside the project's area (or, for a community activity, the staff member's own)."""
    if data.community is None or data.community.level != RegionLevel.community:
        raise Refused(_("Choose a community."), field="community")
    if project is not None:
        if project.status not in RUNNING_STATUSES:
            raise Refused(_("Shifts can be added only while the project runs."))
        if not project.region.contains(data.community):
            raise Refused(_("The community must lie in the project's area."), field="community")
    elif not can_see_region(actor, data.community):
        raise Refused(_("You can add activities only in your own community."), field="community")
    if (data.latitude is None) != (data.longitude is None):
        raise Refused(_("Enter both latitude and longitude, or neither."), field="latitude")


def _validate_time(data: ShiftData, *, now: datetime, shift: Optional[Shift]) -> None:
    """Ends after it starts, starts in the future (unless unchanged), lasts at most a day."""
    if data.end <= data.start:
        raise Refused(_("The end must be after the start."), field="end")
    if data.start <= now and (shift is None or data.start != shift.start):
        raise Refused(_("The start cannot be in the past."), field="start")
    if data.end - data.start > timedelta(hours=24):
        raise Refused(_("A shift lasts at most 24 hours; add several shifts instead."), field="end")


def _validate_slots(data: ShiftData) -> None:
    """One to MAX_SLOT_ROWS slots, one per skill, each with a place; the minimum fits; one lead suffices."""
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


def _validate_people(data: ShiftData, project: Optional[Project]) -> None:
    """The lead and the needs served belong to the project (or, for a community activity, the community)."""
    if project is not None:
        if data.lead is None:
            raise Refused(_("Choose the lead social worker."), field="lead")
        if data.lead.organization_id != winning_organization_id(project) or not data.lead.active:
            raise Refused(_("The lead must be an active social worker of the organization running the project."),
                          field="lead")
        if any(need.project_id != project.id for need in data.needs):
            raise Refused(_("A shift serves only needs of its own project."), field="needs")
        return
    if data.lead is not None and not data.lead.active:
        raise Refused(_("The lead must be an active social worker."), field="lead")
    if any(not data.community.contains(need.region) for need in data.needs):
        raise Refused(_("A community activity serves only needs of its community."), field="needs")


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
    shift.trains_skill = data.trains_skill


def create_shift(data: ShiftData, *, project: Optional[Project], actor: User,
                 now: Optional[datetime] = None, series: Optional[ShiftSeries] = None) -> Shift:
    """A shift under a running project (its winner's social workers) or a community activity (staff);
    ``series``: the weekly series it is one occurrence of."""
    now = now or utcnow()
    _validate(data, project, actor=actor, now=now)
    shift = Shift(project=project, created_by=actor, status=ShiftStatus.open, version=1, series=series)
    _apply(shift, data)
    shift.slots = [ShiftSlot(position=i, skill=skill, count=count) for i, (skill, count) in enumerate(data.slots)]
    db.session.add(shift)
    db.session.flush()
    audit.record(actor, "shift.create", shift, after={
        **audit.snapshot(shift, *SHIFT_FIELDS, "project_id", *(("series_id",) if series is not None else ())),
        "slots": [[skill.code if skill else None, count] for skill, count in data.slots],
        "needs": [need.id for need in data.needs]})
    return shift


def update_shift(shift: Shift, data: ShiftData, *, actor: User, now: Optional[datetime] = None) -> Shift:
    """Change a shift that has not started; people who signed up are told what it is now."""
    now = now or utcnow()
    shift = lock_shift(shift.id)
    if shift.status not in OPEN_STATUSES or shift.start <= now:
        raise Refused(_("Only shifts that have not started can be changed."))
    _validate(data, shift.project, actor=actor, now=now, shift=shift)
    live = live_sign_ups(shift)
    if data.first_come != shift.first_come and live:
        raise Refused(_("The sign-up mode cannot change once volunteers have signed up."), field="first_come")
    slots = slots_of(shift)
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
            detach_slot(slot)
            shift.slots.remove(slot)
    for key, (position, skill, count) in wanted.items():
        if key in existing:
            existing[key].position, existing[key].count = position, count
        else:
            shift.slots.append(ShiftSlot(position=position, skill=skill, count=count))
    shift.version += 1
    db.session.flush()
    after = {**audit.snapshot(shift, *SHIFT_FIELDS), "slots": _slot_summary(slots_of(shift)),
             "needs": sorted(need.id for need in shift.needs)}
    changed = {key for key in after if after[key] != before.get(key)}
    fill_from_waitlist(shift, actor=actor, now=now)
    update_staffing(shift)
    audit.record(actor, "shift.update", shift, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed})
    told = {NOTIFIED_FIELDS[key] for key in changed if key in NOTIFIED_FIELDS}
    if told:
        notify([s.volunteer.user for s in live], "shift_updated", link=_link(shift), title=shift.title,
               start=shift.start, end=shift.end, place=shift.place,
               changes=",".join(code for code in CHANGE_ORDER if code in told))
    return shift


def shift_data_of(shift: Shift) -> ShiftData:
    """What the shift's form would say about it now."""
    return ShiftData(
        title=shift.title, community=shift.region, place=shift.place, start=shift.start, end=shift.end,
        min_volunteers=shift.min_volunteers, slots=[(slot.skill, slot.count) for slot in slots_of(shift)],
        description=shift.description, latitude=shift.latitude, longitude=shift.longitude, urgency=shift.urgency,
        lead=shift.lead, first_come=shift.first_come, requires_insurance=shift.requires_insurance,
        insurance_note=shift.insurance_note, needs=list(shift.needs))


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
    before = audit.snapshot(shift, "status")
    live = release_live(shift)
    shift.status = ShiftStatus.cancelled
    shift.status_reason = reason
    shift.version += 1
    audit.record(actor, "shift.cancel", shift, before=before, after=audit.snapshot(shift, "status"),
                 note=reason)
    notify([s.volunteer.user for s in live], "shift_cancelled", link=_link(shift), title=shift.title,
           start=shift.start, reason=reason)
    return shift
