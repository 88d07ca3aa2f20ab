"""What the demo seed gives the dashboards: needs taken up record when they were matched (so the leg from
matched to delivered has figures), a past volunteer match run sits beside first come, first served, and
the history the seed writes keeps its audit events in time order."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from linkage.extensions import db
from linkage.models import (AuditEvent, MatchKind, MatchRun, MatchStatus, Need, NeedChannel, NeedStatus, Shift,
                            ShiftStatus, SignUp, SignUpStatus, User, Volunteer)
from linkage.needs import queries as need_queries
from linkage.timeutil import now
from tests.matching.checker import check_shifts
from tests.web.test_dashboards import login, table

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(app, client, seeded_demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def seeded_run() -> MatchRun:
    runs = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id)).all()
    assert len(runs) == 1
    return runs[0]


def test_every_delivered_need_taken_up_was_matched_first(demo):
    # (The communities' paper ledgers from before the platform record when a need was served, nothing more.)
    delivered = db.session.scalars(sa.select(Need).where(
        Need.status.in_((NeedStatus.delivered, NeedStatus.closed)), Need.channel != NeedChannel.paper_record)).all()
    taken_up = [need for need in delivered if need.project_id is not None or need.case_worker_id is not None]
    assert len(taken_up) > 5 and len(taken_up) == len(delivered)
    for need in taken_up:
        assert need.matched_at is not None and need.verified_at <= need.matched_at <= need.delivered_at, need.id
        trail = need_queries.status_trail(need)
        statuses = [(event.after or {}).get("status") for event in trail]
        assert "matched" in statuses, (need.id, [event.action for event in trail])
        matched = next(event for event in trail if (event.after or {}).get("status") == "matched")
        delivered_event = next(event for event in trail if event.action == "need.deliver")
        assert matched.at == need.matched_at and matched.id < delivered_event.id
        assert delivered_event.before["status"] in ("matched", "in_service")
        assert [event.at for event in trail] == sorted(event.at for event in trail), need.id


def test_the_matched_to_delivered_leg_has_figures(demo):
    client = demo
    login(client, "civil")
    legs = {row[0]: row for row in table(client, "response-times")}
    _leg, count, median, _p90 = legs["Matched → delivered"]
    assert int(count) > 5 and float(median) > 0
    hours = sorted((need.delivered_at - need.matched_at).total_seconds() / 3600 for need in db.session.scalars(
        sa.select(Need).where(Need.matched_at.is_not(None), Need.delivered_at.is_not(None),
                              Need.duplicate_of_id.is_(None))))
    assert int(count) == len(hours)


def test_a_past_volunteer_run_proposed_and_approved_beats_or_equals_first_come(demo):
    client = demo
    run = seeded_run()
    assert run.kind == MatchKind.shifts and run.status == MatchStatus.approved
    assert run.period_end <= now() and run.created_at < run.finished_at <= run.decided_at
    assert run.decided_by.role.value == "civil_affairs" and run.created_by == run.decided_by
    check_shifts(run.problem, run.result)
    ours = sum(pair[0] for pair in run.result["stats"]["coverage_by_urgency"].values())
    theirs = sum(pair[0] for pair in run.baseline["coverage_by_urgency"].values())
    assert ours >= theirs and ours > 0
    actions = [event.action for event in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "MatchRun", AuditEvent.subject_id == run.id).order_by(AuditEvent.id))]
    assert actions == ["match_run.create", "match_run.finish", "match_run.approve"]
    # The places it made were kept: every volunteer it placed came or was marked absent, and the shift closed.
    shift_ids = [int(s["id"][1:]) for s in run.problem["shifts"]]
    placed = db.session.scalars(sa.select(SignUp).where(SignUp.shift_id.in_(shift_ids))).all()
    assert {(f"v{s.volunteer_id}", f"s{s.shift_id}") for s in placed} == \
        {(a["volunteer"], a["shift"]) for a in run.result["assignments"]}
    assert all(s.status in (SignUpStatus.checked_out, SignUpStatus.no_show) for s in placed)
    assert all(db.session.get(Shift, sid).status == ShiftStatus.done for sid in shift_ids)
    # The dashboard opens on a period that holds it, with its coverage and first come's beside it.
    login(client, "civil")
    rows = table(client, "match-runs")
    assert [row[3:] for row in rows] == [[str(sum(p[1] for p in run.result["stats"]["coverage_by_urgency"].values())),
                                          str(ours), str(theirs)]]
    # The week from tomorrow is still the demo users' own to plan.
    assert run.period_end < now()
    mine = db.session.scalar(sa.select(Volunteer.id).join(User, User.id == Volunteer.user_id)
                             .where(User.username == "volunteer"))
    assert all(a["volunteer"] != f"v{mine}" for a in run.result["assignments"])


def test_audit_events_are_written_in_time_order(demo):
    backwards = db.session.execute(text(
        "SELECT COUNT(*) FROM audit_events a JOIN audit_events b ON b.id = a.id + 1 WHERE b.at < a.at")).scalar()
    assert backwards == 0
