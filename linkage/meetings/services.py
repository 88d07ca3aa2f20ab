"""The rules of joint meetings. Actor passed in; never commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from flask_babel import format_datetime, lazy_gettext as _l

from linkage import audit, notifications
from linkage.errors import Refused
from linkage.extensions import db
from linkage.meetings import access, queries
from linkage.models import (AgendaItem, AgendaKind, DecisionStatus, Meeting, MeetingDecision, MeetingStatus, Region,
                            User)
from linkage.timeutil import now as clock, to_local

_MEETING_FIELDS = ("title", "starts_at", "place", "status", "minutes_text", "held_at")
_DECISION_FIELDS = ("text", "responsible_id", "due_on", "status", "done_note", "done_at")


@dataclass
class MeetingData:
    region: Optional[Region]
    title: str
    starts_at: datetime          # aware
    place: str
    participants: list[User]


def _link(meeting: Meeting):
    return notifications.link("meetings.detail", meeting_id=meeting.id)


def convene(data: MeetingData, *, actor: User, now: Optional[datetime] = None) -> Meeting:
    """Convene a meeting: its agenda is drafted from the data of its place, its participants told."""
    now = now or clock()
    if data.region is None or not access.can_convene_for(actor, data.region):
        raise Refused(_l("You may convene joint meetings only for your own community or street."), "region")
    if data.starts_at < now:
        raise Refused(_l("A meeting is convened for a time still to come."), "starts_at")
    allowed = {user.id for user in queries.participant_choices(data.region)}
    if not data.participants:
        raise Refused(_l("Invite at least one participant."), "participants")
    if any(person.id not in allowed for person in data.participants):
        raise Refused(_l("Participants come from the community or street of the meeting."), "participants")
    meeting = Meeting(region=data.region, title=data.title.strip(), starts_at=data.starts_at,
                      place=data.place.strip(), convened_by=actor, participants=list(data.participants))
    db.session.add(meeting)
    for position, (kind, subject, text) in enumerate(draft_agenda(data.region, data.starts_at, now=now), start=1):
        meeting.items.append(AgendaItem(position=position, kind=kind, subject_type=type(subject).__name__,
                                        subject_id=subject.id, text=text))
    audit.record(actor, "meeting.convene", meeting, after={
        **audit.snapshot(meeting, *_MEETING_FIELDS),
        "participants": sorted(p.display_name for p in meeting.participants),
        "agenda": len(meeting.items)}, region_id=data.region.id)
    notifications.notify([p for p in meeting.participants if p.id != actor.id], "meeting_convened", _link(meeting),
                         title=meeting.title, start=meeting.starts_at, place=meeting.place or "—")
    return meeting


def draft_agenda(region: Region, starts_at: datetime, *, now: datetime) -> list[tuple[AgendaKind, object, str]]:
    """The agenda's items, each traceable to its record: earlier decisions still open first, then needs past
    their target, needs still unserved, shifts short of volunteers, projects behind target, low ratings."""
    items = [(AgendaKind.follow_up, d, d.text) for d in queries.open_decisions(region, before=starts_at)]
    items += [(AgendaKind.overdue_need, n, n.title) for n in queries.overdue_needs(region)]
    items += [(AgendaKind.unserved_need, n, n.title) for n in queries.unserved_needs(region, now)]
    items += [(AgendaKind.short_shift, s, s.title) for s in queries.short_shifts(region, now)]
    items += [(AgendaKind.project_behind, c.project, c.project.title) for c, _met, _gone in
              queries.projects_behind(region, now)]
    items += [(AgendaKind.low_rating, n, n.title) for n in queries.low_ratings(region, now)]
    return items


def _require_runner(meeting: Meeting, actor: User) -> None:
    if not access.can_run(actor, meeting):
        raise Refused(_l("Only the staff who convene meetings here may change this meeting."))
    if meeting.status == MeetingStatus.cancelled:
        raise Refused(_l("This meeting was cancelled."))


def add_item(meeting: Meeting, text: str, *, actor: User) -> AgendaItem:
    _require_runner(meeting, actor)
    if meeting.status != MeetingStatus.planned:
        raise Refused(_l("The agenda of a meeting already held cannot change."))
    item = AgendaItem(position=len(meeting.items) + 1, kind=AgendaKind.other, text=text.strip())
    meeting.items.append(item)
    audit.record(actor, "meeting.add_item", meeting, after={"agenda_item": item.text}, region_id=meeting.region_id)
    return item


def record_minutes(meeting: Meeting, minutes: str, *, actor: User, now: Optional[datetime] = None) -> Meeting:
    """The minutes of the meeting; recording them marks it held."""
    now = now or clock()
    _require_runner(meeting, actor)
    if meeting.starts_at > now:
        raise Refused(_l("Minutes are recorded once the meeting has begun (%(start)s).",
                         start=format_datetime(meeting.starts_at, "short")), "minutes")
    before = audit.snapshot(meeting, *_MEETING_FIELDS)
    meeting.minutes_text = minutes.strip()
    if meeting.status == MeetingStatus.planned:
        meeting.status, meeting.held_at = MeetingStatus.held, now
    audit.record(actor, "meeting.record_minutes", meeting, before=before,
                 after=audit.snapshot(meeting, *_MEETING_FIELDS), region_id=meeting.region_id)
    return meeting


def cancel(meeting: Meeting, reason: str, *, actor: User) -> Meeting:
    _require_runner(meeting, actor)
    if meeting.status != MeetingStatus.planned:
        raise Refused(_l("Only a planned meeting can be cancelled."))
    before = audit.snapshot(meeting, *_MEETING_FIELDS)
    meeting.status = MeetingStatus.cancelled
    audit.record(actor, "meeting.cancel", meeting, before=before, after=audit.snapshot(meeting, *_MEETING_FIELDS),
                 note=reason, region_id=meeting.region_id)
    notifications.notify([p for p in meeting.participants if p.id != actor.id], "meeting_cancelled", _link(meeting),
                         title=meeting.title, start=meeting.starts_at, reason=reason.strip())
    return meeting


def decide(meeting: Meeting, text: str, owner: Optional[User], due_on: date, *, actor: User,
           now: Optional[datetime] = None) -> MeetingDecision:
    """A decision of the meeting, with the person who carries it out and a due date; the owner is told."""
    now = now or clock()
    _require_runner(meeting, actor)
    if meeting.status != MeetingStatus.held:
        raise Refused(_l("Record the minutes first: decisions are taken at a meeting that was held."))
    if owner is None or all(person.id != owner.id for person in access.decision_owners(meeting)):
        raise Refused(_l("A decision's owner is one of the meeting's participants."), "owner")
    if due_on < to_local(now).date():
        raise Refused(_l("The due date cannot be in the past."), "due_on")
    decision = MeetingDecision(meeting=meeting, text=text.strip(), responsible=owner, due_on=due_on)
    db.session.add(decision)
    audit.record(actor, "meeting_decision.create", decision, after=audit.snapshot(decision, *_DECISION_FIELDS),
                 region_id=meeting.region_id)
    notifications.notify([owner], "meeting_decision", _link(meeting), title=meeting.title, due=due_on,
                         text=decision.text)
    return decision


def close_decision(decision: MeetingDecision, note: str, *, actor: User,
                   now: Optional[datetime] = None) -> MeetingDecision:
    """The owner (or the meeting's conveners) reports the decision carried out."""
    if not access.can_close_decision(actor, decision):
        raise Refused(_l("Only the decision's owner or the meeting's conveners may close it."))
    if decision.status == DecisionStatus.done:
        raise Refused(_l("This decision is already done."))
    before = audit.snapshot(decision, *_DECISION_FIELDS)
    decision.status, decision.done_note, decision.done_at = DecisionStatus.done, note.strip(), now or clock()
    audit.record(actor, "meeting_decision.close", decision, before=before,
                 after=audit.snapshot(decision, *_DECISION_FIELDS), region_id=decision.meeting.region_id)
    return decision
