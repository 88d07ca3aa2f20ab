"""Case work through the pages: a case a case run opened, taken through every stage with the supervisor's
approvals, notes and contacts, a service on a shift, a referral accepted and one left unanswered (flagged on
a controlled clock), a transfer and the closure; every read of the notes in the access log; every other
role refused by URL."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (AuditEvent, Case, CaseStage, CaseStatus, MatchStatus, NoteKind, OrgStatus)
from linkage.timeutil import LOCAL_TZ, as_of, now
from tests.web.test_cases_support import another_resident, case_people, professional_need
from tests.web.test_matching_runs import start_run

NOTE = "Found her alone; the heating is broken"


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}


@pytest.fixture
def people(world):
    p = case_people(world)
    db.session.commit()
    return p


def _local(moment):
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _reads(case_id):
    return [(e.actor_id, e.subject_id) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "case.read_notes", AuditEvent.subject_id == case_id)
        .order_by(AuditEvent.id))]


def _case_from_a_run(world, people, client, auth):
    """Only Li Hua can take a case: the colleague is away, the senior's caseload is full, organization 2
    is suspended for the run."""
    need = professional_need(world)
    people.colleague.active = False
    people.senior.caseload_limit = 1
    world.org2.status = OrgStatus.suspended
    from linkage.cases import services
    services.open_case([professional_need(world, people.project, resident=another_resident(world))], people.senior,
                       actor=world["orgadmin"])
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, kind="cases", region=world.district)
    assert run.status == MatchStatus.proposed, run.error
    assert client.post(f"/matching/{run.id}/approve", data={"note": ""}).status_code == 302
    auth.logout()
    people.colleague.active, world.org2.status = True, OrgStatus.active
    db.session.commit()
    case = db.session.scalar(sa.select(Case).where(Case.match_run_id == run.id))
    assert case is not None and case.owner_id == people.worker.id and case.needs == [need]
    return case


def _post(client, url, data, follow=False):
    response = client.post(url, data=data, follow_redirects=follow)
    assert response.status_code in (200, 302), response.status_code
    return response


def test_a_case_from_a_case_run_through_every_stage_to_closure(client, auth, world, people):
    case = _case_from_a_run(world, people, client, auth)
    url = f"/cases/{case.id}"
    auth.login("worker")
    home = client.get("/cases/").get_data(as_text=True)
    assert case.title in home and 'id="tasks"' in home and "Assessment due" in home
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert 'id="status-bar"' in page and 'aria-current="step">Intake' in page
    _post(client, f"{url}/advance", {})
    _post(client, f"{url}/notes", {"kind": "visit", "happened_at": _local(now() - timedelta(hours=3)), "text": NOTE})
    _post(client, f"{url}/approval", {"summary": "Lives alone; heating broken; weekly visits needed"})
    assert "Waiting for a supervisor" in client.get(url).get_data(as_text=True)

    auth.as_(world["senior"])
    assert case.title in client.get("/cases/").get_data(as_text=True).split('id="supervision"')[1]
    page = client.get(url).get_data(as_text=True)
    assert NOTE.replace(";", "&#59;") in page or NOTE in page
    _post(client, f"{url}/decide", {"decision": "approve", "comment": "Agreed"})
    assert db.session.get(Case, case.id).stage == CaseStage.plan

    auth.as_(world["worker"])
    _post(client, f"{url}/approval", {"summary": "Weekly volunteer visits; a plumber through the street office"})
    auth.as_(world["senior"])
    _post(client, f"{url}/decide", {"decision": "send_back", "comment": "Add a monthly phone call"})
    assert db.session.get(Case, case.id).stage == CaseStage.plan
    auth.as_(world["worker"])
    assert "Add a monthly phone call" in client.get(url).get_data(as_text=True)
    _post(client, f"{url}/approval", {"summary": "Weekly visits, monthly call, a plumber"})
    auth.as_(world["senior"])
    _post(client, f"{url}/decide", {"decision": "approve", "comment": ""})

    auth.as_(world["worker"])
    _post(client, f"{url}/services", {"description": "Heating repaired with the street office",
                                      "delivered_at": _local(now() - timedelta(hours=1)), "shift": ""})
    _refer_accept_and_leave_one_unanswered(client, auth, world, people, case)
    _post(client, f"{url}/advance", {})
    _post(client, f"{url}/approval", {"summary": "Goals met; she agrees to close"})
    auth.as_(world["senior"])
    _post(client, f"{url}/decide", {"decision": "approve", "comment": "Well done"})
    closed = db.session.get(Case, case.id)
    assert closed.status == CaseStatus.closed and closed.stage == CaseStage.closure
    assert [(a.stage, a.decision.value) for a in closed.approvals] == [
        (CaseStage.assessment, "approved"), (CaseStage.plan, "rejected"), (CaseStage.plan, "approved"),
        (CaseStage.closure, "approved")]
    assert {a.comment for a in closed.approvals} >= {"Agreed", "Add a monthly phone call", "Well done"}
    actions = [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "Case", AuditEvent.subject_id == case.id).order_by(AuditEvent.id))]
    for action in ("case.open", "case.stage", "case.note", "case.approval_request", "case.approve",
                   "case.send_back", "case.service", "case.refer", "case.referral_accept"):
        assert action in actions
    # Every look at the case page is one read in the access log, by whom it was.
    readers = {actor for actor, _ in _reads(case.id)}
    assert readers == {world["worker"].id, world["senior"].id, world["worker2"].id}


def _refer_accept_and_leave_one_unanswered(client, auth, world, people, case):
    url = f"/cases/{case.id}"
    _post(client, f"{url}/referrals", {"refer-worker": people.worker2.id, "refer-reason": "Legal advice on the lease"})
    _post(client, f"{url}/referrals", {"refer-worker": people.colleague.id, "refer-reason": "Speaks her dialect"})
    auth.as_(world["worker2"])
    assert case.title in client.get("/cases/").get_data(as_text=True)
    _post(client, f"{url}/referral/accept", {"answer": "Glad to help"})
    assert "the heating is broken" in client.get(url).get_data(as_text=True)
    _post(client, f"{url}/notes", {"kind": "call", "happened_at": _local(now() - timedelta(minutes=30)),
                                   "text": "Explained the tenancy rights"})
    auth.as_(world["worker"])
    assert 'id="unanswered"' not in client.get("/cases/").get_data(as_text=True)
    with as_of(now() + timedelta(days=4)):
        home = client.get("/cases/").get_data(as_text=True)
        assert 'id="unanswered"' in home and "Zhou Min" in home.split('id="unanswered"')[1]
        assert "Unanswered for too long" in client.get(url).get_data(as_text=True)
        auth.as_(world["senior"])
        assert 'id="unanswered"' in client.get("/cases/").get_data(as_text=True)
        auth.as_(world["worker"])


def test_a_transfer_accepted_takes_the_case_from_the_old_owner(client, auth, world, people):
    from linkage.cases import services
    case = services.open_case([professional_need(world, people.project)], people.worker, actor=world["worker"])
    db.session.commit()
    url = f"/cases/{case.id}"
    auth.login("worker")
    _post(client, f"{url}/transfer", {"transfer-worker": people.colleague.id, "transfer-reason": "I move to Pine"})
    auth.as_(world["colleague"])
    assert case.title in client.get("/cases/").get_data(as_text=True)
    _post(client, f"{url}/transfer/accept", {"answer": ""})
    assert db.session.get(Case, case.id).owner_id == people.colleague.id
    auth.as_(world["worker"])
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/notes", data={"kind": "note", "happened_at": _local(now()), "text": "Still here"}
                       ).status_code == 403


def test_a_duplicate_case_is_refused_with_a_link_to_the_open_one(client, auth, world, people):
    from linkage.cases import services
    case = services.open_case([professional_need(world, people.project)], people.worker, actor=world["worker"])
    second = professional_need(world, people.project, title="Meals delivered at home")
    db.session.commit()
    auth.login("worker")
    page = client.get(f"/cases/new?need={second.id}").get_data(as_text=True)
    assert 'id="duplicate"' in page and f'href="/cases/{case.id}"' in page
    response = client.post("/cases/new", data={"need": second.id, "owner": people.worker.id})
    assert response.status_code == 200 and f'href="/cases/{case.id}"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 1


def test_opening_beyond_the_caseload_limit_is_refused_on_the_page(client, auth, world, people):
    people.worker.caseload_limit = 1
    first = professional_need(world, people.project)
    second = professional_need(world, people.project, resident=another_resident(world))
    db.session.commit()
    auth.login("worker")
    assert client.post("/cases/new", data={"need": first.id, "owner": people.worker.id}).status_code == 302
    response = client.post("/cases/new", data={"need": second.id, "owner": people.worker.id})
    assert response.status_code == 200 and "caseload limit" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 1


ROUTES = ["", "/advance", "/approval", "/decide", "/notes", "/services", "/referrals", "/referrals/revoke",
          "/referral/accept", "/transfer", "/transfer/accept"]


def test_no_one_else_reads_or_touches_a_case_by_any_url(client, auth, world, people):
    from linkage.cases import services
    case = services.open_case([professional_need(world, people.project)], people.worker, actor=world["worker"])
    services.add_note(case, actor=world["worker"], kind=NoteKind.note, happened_at=now() - timedelta(hours=1), text=NOTE)
    db.session.commit()
    before = len(_reads(case.id))
    # Another social worker of the same organization, its admin, the other organization, the community,
    # civil affairs, the site admin, volunteers, residents, experts and observers.
    outsiders = ["colleague", "orgadmin", "orgadmin2", "worker2", "staff1", "grid", "civil", "civil2", "admin",
                 "vol", "resident", "expert", "observer"]
    for username in outsiders:
        auth.login(username)
        for route in ROUTES:
            method = client.get if route == "" else client.post
            response = method(f"/cases/{case.id}{route}")
            assert response.status_code in (403, 404), (username, route, response.status_code)
            assert "heating" not in response.get_data(as_text=True)
        assert client.get("/cases/99999").status_code in (403, 404)
        auth.logout()
    assert len(_reads(case.id)) == before


def test_the_start_page_lists_case_tasks_and_what_waits_for_the_supervisor(client, auth, world, people):
    from linkage.cases import services
    case = services.open_case([professional_need(world, people.project)], people.worker, actor=world["worker"])
    services.advance(case, actor=world["worker"])
    services.request_approval(case, actor=world["worker"], summary="Lives alone; weekly visits needed")
    db.session.commit()
    auth.login("worker")
    home = client.get("/").get_data(as_text=True)
    assert 'id="case-tasks"' in home and f'href="/cases/{case.id}"' in home and "Overdue" not in home
    with as_of(now() + timedelta(days=8)):
        assert "Overdue" in client.get("/").get_data(as_text=True)
        auth.as_(world["senior"])
        home = client.get("/").get_data(as_text=True)
        assert "1 requests wait for your approval." in home and "1 tasks on the cases you supervise are overdue." in home
    auth.as_(world["staff1"])
    assert 'id="case-tasks"' not in client.get("/").get_data(as_text=True)


def test_an_organization_admin_opens_a_case_for_a_social_worker_and_sees_the_caseload(client, auth, world, people):
    need = professional_need(world, people.project)
    db.session.commit()
    auth.login("orgadmin")
    assert client.post("/cases/new", data={"need": need.id, "owner": people.colleague.id}).status_code == 302
    case = db.session.scalar(sa.select(Case))
    assert case.owner_id == people.colleague.id
    page = client.get("/cases/").get_data(as_text=True)
    assert "Zhou Min" in page and case.title in page
    assert client.get(f"/cases/{case.id}").status_code == 403  # the notes stay with the social workers
    assert client.post("/cases/new", data={"need": need.id, "owner": world.worker2.id}).status_code == 200


def test_the_case_page_runs_no_query_per_note_service_or_decision(app, client, auth, world, people):
    from linkage.cases import services
    from tests.web.test_query_counts import measure
    case = services.open_case([professional_need(world, people.project)], people.worker, actor=world["worker"])
    _to_services_stage(world, case)

    def grow(count):
        for i in range(count):
            services.add_note(case, actor=world["worker"], kind=NoteKind.visit,
                              happened_at=now() - timedelta(minutes=i + 1), text=f"Visit number {i}")
            services.record_service(case, actor=world["worker"], description=f"Service number {i}",
                                    delivered_at=now() - timedelta(minutes=i + 1))
        db.session.commit()

    grow(5)
    auth.login("worker")
    client.get(f"/cases/{case.id}")
    _status, few, _size = measure(app, client, f"/cases/{case.id}")
    grow(35)
    _status, many, _size = measure(app, client, f"/cases/{case.id}")
    from tests.web.test_query_counts import repeated
    assert len(many) <= len(few) + 2, (len(few), len(many), repeated(many))


def _to_services_stage(world, case):
    from linkage.cases import services
    services.advance(case, actor=world["worker"])
    for summary in ("Assessment: lives alone", "Plan: weekly visits"):
        services.request_approval(case, actor=world["worker"], summary=summary)
        services.decide(case, actor=world["senior"], approve=True, comment="")
