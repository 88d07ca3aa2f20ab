"""Match runs through HTTP: build → solve → review → override → approve, on the test database."""
import threading
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import services
from linkage.models import (HOLDING_STATUSES, AuditEvent, Bid, BidStatus, MatchRun, MatchStatus, Need,
                            NeedStatus, Project, ProjectStatus, Shift, ShiftStatus, SignUp, SignUpStatus, Volunteer,
                            VolunteerStatus)
from linkage.timeutil import LOCAL_TZ
from tests.factories import make_bid, make_need, make_project, make_shift, make_volunteer
from tests.matching.checker import check_shifts


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}


def next_monday():
    today = datetime.now(LOCAL_TZ).date()
    return today + timedelta(days=7 - today.weekday())


def at(day, hour):
    return datetime.combine(day, time(hour), LOCAL_TZ)


@pytest.fixture
def week(world):
    """Three shifts next week in street 1 and five volunteers; one urgent shift needs elder care."""
    monday = next_monday()
    need = make_need(world.resident, world.visits, urgency=4)
    urgent = make_shift(world.c1, start=at(monday, 9), hours=2, slots=((world.elder_care, 1), (None, 1)),
                        title="Urgent visit", first_come=False)
    urgent.urgency, urgent.needs = 4, [need]
    routine = make_shift(world.c2, start=at(monday, 9), hours=2, slots=((None, 2),), title="Routine tidy-up",
                         first_come=False)
    routine.urgency = 1
    later = make_shift(world.c1, start=at(monday + timedelta(days=2), 14), hours=3, slots=((None, 2),),
                       title="Afternoon club", first_come=False)
    for i in range(4):
        make_volunteer(world.c1 if i % 2 else world.c2, name=f"Helper {i}")
    # The elder-care volunteer asked for the routine shift; the urgent one needs her more.
    db.session.add(SignUp(shift=routine, volunteer=world.volunteer, status=SignUpStatus.requested))
    db.session.commit()
    return {"monday": monday, "urgent": urgent, "routine": routine, "later": later, "need": need}


def start_run(client, world, kind="shifts", region=None, **extra):
    data = {"kind": kind, "region": (region or world.street1).id, "time_limit": 5, **extra}
    response = client.post("/matching/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()


def run_together(app, *calls):
    """Run each call in its own thread and request context, released at the same moment; commit each.
    Returns what each returned, or the exception it raised (rolled back)."""
    db.session.commit()  # the test's own transaction would hold SQLite's write lock
    barrier, outcomes = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        with app.test_request_context("/"):
            barrier.wait()
            try:
                outcomes[index] = call()
                db.session.commit()
            except Exception as error:  # a refusal or a lock timeout shows in the outcome
                outcomes[index] = error
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def held(shift):
    return db.session.scalars(sa.select(SignUp).where(SignUp.shift_id == shift.id,
                                                      SignUp.status.in_(HOLDING_STATUSES))).all()


def test_shift_run_proposes_explains_and_applies_on_approval(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.proposed, run.error
    check_shifts(run.problem, run.result)
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    assert "Urgent visit" in page and "Chen Jing" in page
    # Nothing is applied before approval.
    assert held(week["urgent"]) == []
    assignments = {(a["volunteer"], a["shift"]) for a in run.result["assignments"]}
    assert (f"v{world.volunteer.id}", f"s{week['urgent'].id}") in assignments  # urgency beats her preference

    response = client.post(f"/matching/{run.id}/approve", data={"note": "looks right"})
    assert response.status_code == 302
    db.session.refresh(run)
    assert run.status == MatchStatus.approved
    written = {(f"v{s.volunteer_id}", f"s{s.shift_id}") for s in db.session.scalars(
        sa.select(SignUp).where(SignUp.status == SignUpStatus.assigned))}
    assert written == assignments
    # The rules hold on what was written: the database state, read back, passes the independent checker.
    positions = {slot.id: index for shift in (week["urgent"], week["routine"], week["later"])
                 for index, slot in enumerate(db.session.get(Shift, shift.id).slots)}
    reasons = {(a["volunteer"], a["shift"]): a["reasons"] for a in run.result["assignments"]}
    from_database = [{"volunteer": f"v{s.volunteer_id}", "shift": f"s{s.shift_id}", "slot": positions[s.slot_id],
                      "reasons": reasons[(f"v{s.volunteer_id}", f"s{s.shift_id}")]}
                     for s in db.session.scalars(sa.select(SignUp).where(SignUp.status == SignUpStatus.assigned))]
    check_shifts(run.problem, {**run.result, "assignments": from_database})
    assert db.session.get(Need, week["need"].id).status == NeedStatus.matched
    # The preference that lost is kept on the waiting list, not dropped.
    request = db.session.scalar(sa.select(SignUp).where(SignUp.shift_id == week["routine"].id,
                                                        SignUp.volunteer_id == world.volunteer.id))
    assert request.status == SignUpStatus.waitlisted
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "match_run.approve")) is not None

    # Approving twice does nothing the second time.
    count = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == count


def test_forbid_reruns_and_keeps_both_proposals(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    pair = (f"v{world.volunteer.id}", f"s{week['urgent'].id}")
    response = client.post(f"/matching/{run.id}/override", data={
        "action": "forbid", "left": world.volunteer.id, "right": week["urgent"].id, "reason": "she is ill this week"})
    assert response.status_code == 302
    child = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert child.parent_id == run.id and child.status == MatchStatus.proposed
    assert pair not in {(a["volunteer"], a["shift"]) for a in child.result["assignments"]}
    assert pair in {(a["volunteer"], a["shift"]) for a in db.session.get(MatchRun, run.id).result["assignments"]}
    assert child.overrides[0].reason == "she is ill this week"
    page = client.get(f"/matching/{child.id}").get_data(as_text=True)
    assert "she is ill this week" in page
    # A pin without a reason is refused and starts nothing.
    runs = db.session.scalar(sa.select(sa.func.count(MatchRun.id)))
    client.post(f"/matching/{child.id}/override", data={"action": "pin", "left": world.volunteer.id,
                                                        "right": week["urgent"].id, "reason": ""})
    assert db.session.scalar(sa.select(sa.func.count(MatchRun.id))) == runs


def test_approval_refused_when_a_shift_was_cancelled_meanwhile(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    shift = db.session.get(Shift, week["urgent"].id)
    shift.status = ShiftStatus.cancelled
    db.session.commit()
    response = client.post(f"/matching/{run.id}/approve", data={"note": ""}, follow_redirects=True)
    assert "no longer fits" in response.get_data(as_text=True) or "不再适用" in response.get_data(as_text=True)
    assert db.session.get(MatchRun, run.id).status == MatchStatus.proposed
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(SignUp.status == SignUpStatus.assigned)) == 0


def test_approval_refused_when_a_volunteer_withdrew(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    volunteer_id = int(run.result["assignments"][0]["volunteer"][1:])
    db.session.get(Volunteer, volunteer_id).status = VolunteerStatus.suspended
    db.session.commit()
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    assert db.session.get(MatchRun, run.id).status == MatchStatus.proposed
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(SignUp.status == SignUpStatus.assigned)) == 0


def test_two_staff_approving_at_once_apply_once(app, client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    run_id, actor_id, user_type = run.id, world["civil"].id, type(world["civil"])

    def approve():
        return services.approve_run(db.session.get(MatchRun, run_id), actor=db.session.get(user_type, actor_id))

    outcomes = run_together(app, approve, approve)
    assert sorted(outcomes, key=str) == [False, True]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "match_run.approve")) == 1
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
        SignUp.status == SignUpStatus.assigned)) == len(run.result["assignments"])


def test_repair_run_keeps_the_other_approved_pairings(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    dropped = run.result["assignments"][0]
    sign_up = db.session.scalar(sa.select(SignUp).where(SignUp.volunteer_id == int(dropped["volunteer"][1:]),
                                                        SignUp.shift_id == int(dropped["shift"][1:])))
    sign_up.status = SignUpStatus.cancelled
    db.session.commit()
    response = client.post(f"/matching/{run.id}/repair")
    assert response.status_code == 302
    repair = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert repair.parent_id == run.id and repair.status == MatchStatus.proposed
    before = {(a["volunteer"], a["shift"]) for a in run.result["assignments"]} - {(dropped["volunteer"], dropped["shift"])}
    after = {(a["volunteer"], a["shift"]) for a in repair.result["assignments"]}
    assert before <= after
    changes = services.changes_from_parent(repair)
    assert (dropped["volunteer"], dropped["shift"]) in changes["removed"] or not changes["removed"]


def test_award_run_awards_through_approval(client, auth, world):
    project = make_project(world.street1, world["civil"], status=ProjectStatus.evaluated,
                           deadline=datetime.now(LOCAL_TZ) - timedelta(days=1))
    strong = make_bid(project, world.org1, price=250000, status=BidStatus.scored)
    weak = make_bid(project, world.org2, price=280000, status=BidStatus.scored)
    strong.technical_score, weak.technical_score = 60.0, 40.0
    for bid in (strong, weak):
        bid.price_score = 30.0 * 250000 / float(bid.price)
        bid.total_score = bid.technical_score + bid.price_score
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, kind="award", region=world.district, funding_pool="1000000")
    assert run.status == MatchStatus.proposed, run.error
    assert [a["bid"] for a in run.result["awards"]] == [f"b{strong.id}"]
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    assert db.session.get(Bid, strong.id).status == BidStatus.won
    assert db.session.get(Bid, weak.id).status == BidStatus.lost
    assert db.session.get(Project, project.id).status == ProjectStatus.awarded


def test_case_run_assigns_professional_needs(client, auth, world):
    need = make_need(world.resident, world.visits, urgency=3)
    need.needs_professional = True
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, kind="cases", region=world.district)
    assert run.status == MatchStatus.proposed, run.error
    assert run.result["assignments"], run.result
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    assert db.session.get(Need, need.id).case_worker_id is not None


def test_case_approval_refused_in_words_when_the_need_was_handled_meanwhile(client, auth, world):
    need = make_need(world.resident, world.visits, urgency=3, title="Weekly check on Mrs Zhao")
    need.needs_professional = True
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, kind="cases", region=world.district)
    db.session.get(Need, need.id).case_worker_id = world.worker2.id  # assigned by hand meanwhile
    db.session.commit()
    page = client.post(f"/matching/{run.id}/approve", data={"note": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Weekly check on Mrs Zhao" in page and "was handled meanwhile" in page
    assert f"n{need.id}" not in page
    assert db.session.get(MatchRun, run.id).status == MatchStatus.proposed
    assert db.session.get(Need, need.id).case_worker_id == world.worker2.id


@pytest.mark.parametrize("username", ["staff1", "orgadmin", "vol", "resident", "grid", "expert", "observer"])
def test_other_roles_cannot_run_or_see_runs(client, auth, world, username):
    auth.login(username)
    assert client.get("/matching/").status_code == 403
    assert client.post("/matching/new", data={"kind": "shifts", "region": world.c1.id}).status_code == 403


def test_social_worker_runs_only_volunteer_matching_and_sees_only_own_runs(client, auth, world, week):
    auth.login("civil")
    civil_run = start_run(client, world, week=week["monday"].isoformat())
    auth.as_(world["worker"])
    response = client.post("/matching/new", data={"kind": "award", "region": world.street1.id, "time_limit": 5})
    assert response.status_code == 200  # refused with a message on the form
    assert client.get(f"/matching/{civil_run.id}").status_code == 403
    # Out-of-scope civil affairs staff cannot see the district run.
    auth.as_(world["civil2"])
    assert client.get(f"/matching/{civil_run.id}").status_code == 403


def test_a_social_workers_run_holds_only_their_organizations_project_shifts(client, auth, world, week):
    project = make_project(world.street1, world["civil"], status=ProjectStatus.in_progress)
    make_bid(project, world.org1, status=BidStatus.won)
    own = db.session.get(Shift, week["later"].id)
    own.project = project
    db.session.commit()
    auth.login("worker")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert [s["id"] for s in run.problem["shifts"]] == [f"s{own.id}"]


def test_a_volunteer_withdrawing_during_approval_never_leaves_it_half_applied(app, client, auth, world, week):
    """Approval and withdrawal both lock the shift: whichever comes second sees the other's result."""
    from linkage.shifts.places import cancel_sign_up

    routine = week["routine"]
    second = make_volunteer(world.c2, name="Second Helper")
    db.session.add(SignUp(shift_id=routine.id, volunteer=second, status=SignUpStatus.requested))
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    placed = {(a["volunteer"], a["shift"]) for a in run.result["assignments"]}
    assert (f"v{second.id}", f"s{routine.id}") in placed
    request = db.session.scalar(sa.select(SignUp).where(SignUp.volunteer_id == second.id))
    ids = {"run": run.id, "civil": world["civil"].id, "request": request.id, "user": world["vol"].id}
    user_type = type(world["civil"])
    errors = [outcome for outcome in run_together(
        app,
        lambda: services.approve_run(db.session.get(MatchRun, ids["run"]), actor=db.session.get(user_type, ids["civil"])),
        lambda: cancel_sign_up(db.session.get(SignUp, ids["request"]), actor=db.session.get(user_type, ids["user"])),
    ) if isinstance(outcome, Exception)]
    db.session.expire_all()
    status = db.session.get(MatchRun, run.id).status
    assigned = db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(SignUp.status == SignUpStatus.assigned))
    withdrawn = db.session.get(SignUp, request.id).status
    assert withdrawn == SignUpStatus.cancelled, errors
    if status == MatchStatus.approved:   # approval first: all applied, then the withdrawal frees the place
        assert assigned == len(placed) - 1
    else:                                # withdrawal first: approval refused, nothing written
        assert status == MatchStatus.proposed and assigned == 0
        assert any("no longer fits" in str(error) for error in errors)
