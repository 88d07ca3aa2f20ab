"""Joint meetings of community 1 made directly, for the form probes."""
from __future__ import annotations

from datetime import timedelta

from linkage.extensions import db
from linkage.models import Meeting, MeetingDecision, MeetingStatus
from tests.factories import now


def meeting(world, n, *, held: bool) -> Meeting:
    """A meeting of community 1 convened by its staff, with the volunteer and social worker A invited:
    planned for the day after tomorrow, or held yesterday."""
    start = now() + (timedelta(days=-1) if held else timedelta(days=2))
    row = Meeting(region=world.c1, title=f"Probe meeting {n}", starts_at=start, place="Hall",
                  convened_by=world["staff1"], participants=[world["vol"], world["worker"]],
                  status=MeetingStatus.held if held else MeetingStatus.planned,
                  held_at=start if held else None)
    db.session.add(row)
    db.session.flush()
    return row


def planned_page(world, n) -> str:
    return f"/meetings/{meeting(world, n, held=False).id}"


def held_page(world, n) -> str:
    return f"/meetings/{meeting(world, n, held=True).id}"


def decision_page(world, n) -> str:
    """A held meeting with an open decision for the volunteer; its page shows the decision's form."""
    row = meeting(world, n, held=True)
    db.session.add(MeetingDecision(meeting=row, text=f"Probe decision {n}", responsible=world["vol"],
                                   due_on=(now() + timedelta(days=3)).date()))
    db.session.flush()
    return f"/meetings/{row.id}"


def new_meeting_fill(world, n) -> dict:
    start = (now() + timedelta(days=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    return {"region": str(world.c1.id), "title": f"Probe meeting {n}", "starts_at": start, "place": "Hall",
            "participants": [str(world["vol"].id)]}
