"""The whole four-forces chain through HTTP, each step by the role that does it in life.

community staff registers a resident and a need → verifies it → civil affairs creates a project from
open needs and publishes it → an organization admin bids → after the deadline civil affairs scores and
awards → the winner's social worker creates a shift serving the project's needs → a volunteer signs up
→ the lead checks them in and out → community staff confirm the need was served → the resident rates
it → civil affairs sees the project's coverage and satisfaction. Every step is an audit event.
"""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from linkage.audit import verify_chain
from linkage.extensions import db
from linkage.models import (AuditEvent, Bid, BidStatus, Need, NeedStatus, Project, ProjectStatus, Resident, Shift,
                            SignUp, SignUpStatus)
from linkage.timeutil import now, to_local
from tests.factories import make_resident_id

FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def ok(response):
    assert response.status_code in (200, 302), response.status_code
    assert response.status_code == 302, response.get_data(as_text=True)[-4000:]
    return response


def latest(model):
    return db.session.scalars(sa.select(model).order_by(model.id.desc())).first()


def test_the_whole_chain(client, auth, world):
    # 1. Community staff register a resident and a need on her behalf, then verify it.
    auth.login("staff1")
    ok(client.post("/community/residents/new", data={
        "name": "Sun Lan", "id_number": make_resident_id(date(1941, 3, 9), 22), "phone": "13912345678",
        "address": "No. 5, Plum Lane", "region": world.c1.id, "tags": ["elderly_alone"],
        "health_notes": "diabetes", "consent": "y"}))
    resident = latest(Resident)
    assert resident.name == "Sun Lan" and resident.masked_id_number
    ok(client.post(f"/community/needs/new?resident={resident.id}", data={
        "category": world.visits.id, "title": "Weekly companionship visit", "description": "Lives alone",
        "urgency": 3, "recurrence": "weekly", "skills": [world.elder_care.id], "consent": "y"}))
    need = latest(Need)
    assert need.status == NeedStatus.submitted
    ok(client.post(f"/community/needs/{need.id}/verify", data={"note": "visited and confirmed"}))
    assert db.session.get(Need, need.id).status == NeedStatus.open

    # 2. Civil affairs bundle the open need into a project and publish it.
    auth.as_(world["civil"])
    deadline = to_local(now() + timedelta(days=7)).replace(second=0, microsecond=0)
    ok(client.post("/projects/new", data={
        "title": "Companionship for elderly living alone", "description": "Weekly visits", "region": world.street1.id,
        "needs": [need.id], "budget": "300000", "service_start": (date.today() + timedelta(days=30)).isoformat(),
        "service_end": (date.today() + timedelta(days=360)).isoformat(), "bidding_deadline": deadline.strftime(FMT),
        "price_weight": 30, "min_grade": 0, "min_years": 0, "required_workers": 1,
        "required_worker_level": "assistant", "target_beneficiaries": 20, "target_hours": 500, "workload": 1}))
    project = latest(Project)
    ok(client.post(f"/projects/{project.id}/publish"))
    assert db.session.get(Project, project.id).status == ProjectStatus.published

    # 3. The organization admin bids with a proposed team.
    auth.as_(world["orgadmin"])
    ok(client.post(f"/projects/{project.id}/bid", data={
        "price": "260000", "proposal": "Two visits a week by trained volunteers", "team": [world.worker.id],
        "workload": 1, "no_violation_declared": "y"}))
    bid = latest(Bid)
    assert bid.status == BidStatus.submitted

    # 4. After the deadline civil affairs close bidding, enter the panel's score and award.
    db.session.get(Project, project.id).bidding_deadline = now() - timedelta(minutes=1)
    db.session.commit()
    auth.as_(world["civil"])
    ok(client.post(f"/projects/{project.id}/close"))
    ok(client.post(f"/projects/{project.id}/scores", data={f"bid_{bid.id}": "62.5"}))
    ok(client.post(f"/projects/{project.id}/award", data={"bid": bid.id, "note": ""}))
    assert db.session.get(Bid, bid.id).status == BidStatus.won
    assert db.session.get(Need, need.id).status == NeedStatus.matched

    # 5. The winner's social worker creates a shift serving the need.
    auth.as_(world["worker"])
    start = to_local(now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    ok(client.post(f"/shifts/new?project={project.id}", data={
        "title": "Visit Sun Lan", "description": "Chat and check on her", "community": world.c1.id,
        "place": "No. 5, Plum Lane", "start": start.strftime(FMT), "end": (start + timedelta(hours=2)).strftime(FMT),
        "urgency": "", "min_volunteers": 1, "slots-0-skill": world.elder_care.id, "slots-0-count": 1,
        "slots-1-skill": "", "slots-1-count": 1, "lead": world.worker.id, "first_come": 1,
        "needs": [need.id]}))
    shift = latest(Shift)
    assert shift.project_id == project.id and [n.id for n in shift.needs] == [need.id]

    # 6. A volunteer signs up.
    auth.as_(world["vol"])
    ok(client.post(f"/shifts/{shift.id}/sign-up"))
    sign_up = latest(SignUp)
    assert sign_up.status == SignUpStatus.assigned and sign_up.volunteer_id == world.volunteer.id

    # 7. The day comes; the lead checks her in and out; hours are recorded and approved.
    moved = db.session.get(Shift, shift.id)
    moved.start = (now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    moved.end = moved.start + timedelta(hours=2)
    db.session.commit()
    began = to_local(moved.start)
    auth.as_(world["worker"])
    ok(client.post(f"/shifts/{shift.id}/roster/{sign_up.id}/check-in", data={"at": began.strftime(FMT)}))
    ok(client.post(f"/shifts/{shift.id}/roster/{sign_up.id}/check-out",
                   data={"at": (began + timedelta(hours=2)).strftime(FMT)}))
    ok(client.post(f"/shifts/{shift.id}/roster/hours", data={"sign_ups": [sign_up.id], "decision": "approve"}))
    sign_up = db.session.get(SignUp, sign_up.id)
    assert sign_up.status == SignUpStatus.checked_out and sign_up.minutes == 120

    # 8. Community staff confirm the need was served; 9. the resident rates it.
    auth.as_(world["staff1"])
    ok(client.post(f"/community/needs/{need.id}/deliver", data={"note": "visit took place"}))
    assert db.session.get(Need, need.id).status == NeedStatus.delivered
    world.resident.user_id = None  # the demo account is hers: Sun Lan signs in as "resident"
    db.session.flush()
    db.session.get(Resident, resident.id).user_id = world["resident"].id
    db.session.commit()
    auth.as_(world["resident"])
    ok(client.post(f"/needs/{need.id}/rate", data={"rating": 5, "comment": "Very kind"}))
    assert db.session.get(Need, need.id).status == NeedStatus.closed

    # 10. Civil affairs see coverage and satisfaction on the project.
    auth.as_(world["civil"])
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "5.0" in page or "5.00" in page  # average rating
    assert "100" in page  # every need delivered (percent)

    # Every step left an audit event, each by the right person, and the chain is intact.
    actions = {(event.action, event.actor.username if event.actor else None)
               for event in db.session.scalars(sa.select(AuditEvent))}
    for expected in [("resident.register", "staff1"), ("need.submit", "staff1"), ("need.verify", "staff1"),
                     ("project.create", "civil"), ("project.publish", "civil"), ("bid.submit", "orgadmin"),
                     ("project.close", "civil"), ("project.award", "civil"), ("shift.create", "worker"),
                     ("need.deliver", "staff1"), ("need.rate", "resident"), ("signup.create", "vol"), ("signup.check_in", "worker"),
                     ("signup.check_out", "worker"), ("signup.hours_approve", "worker")]:
        assert expected in actions, (expected, sorted(actions))
    assert verify_chain()[1] is None
