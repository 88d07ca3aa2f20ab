"""The open cases of a social worker who left: the organization's admin (or a supervisor) hands them all to
another social worker of the organization, within that worker's caseload limit; each move is audited and
the new owner told."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from linkage.cases import services
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import AuditEvent, Case, CaseStatus, HandOver, Notification
from linkage.organizations import services as org_services
from tests.web.test_cases_support import another_resident, case_people, professional_need


@pytest.fixture
def people(world):
    p = case_people(world)
    db.session.commit()
    return p


def _two_cases_of_a_worker_who_left(world, people):
    first = services.open_case([professional_need(world, people.project)], people.worker, actor=world["orgadmin"])
    second = services.open_case([professional_need(world, people.project, resident=another_resident(world))],
                                people.worker, actor=world["orgadmin"])
    services.request_transfer(second, actor=world["worker"], worker=people.senior, reason="I am moving away")
    org_services.set_social_worker_active(people.worker, False, actor=world["orgadmin"])
    db.session.commit()
    return first, second


def test_the_admin_hands_the_open_cases_of_a_worker_who_left_to_a_colleague(client, auth, world, people):
    first, second = _two_cases_of_a_worker_who_left(world, people)
    url = f"/cases/workers/{people.worker.id}/reassign"
    auth.login("orgadmin")
    home = client.get("/cases/").get_data(as_text=True)
    assert 'id="left-with-cases"' in home and url in home
    page = client.get(url).get_data(as_text=True)
    assert first.title in page and "Zhou Min" in page and people.worker2.name not in page

    people.colleague.caseload_limit = 1
    db.session.commit()
    response = client.post(url, data={"worker": people.colleague.id})
    assert response.status_code == 200 and "can take 1 more cases" in response.get_data(as_text=True)
    assert {c.owner_id for c in db.session.scalars(sa.select(Case))} == {people.worker.id}   # all or none

    people.colleague.caseload_limit = 10
    db.session.commit()
    assert client.post(url, data={"worker": people.colleague.id}).status_code == 302
    for case in (first, second):
        moved = db.session.get(Case, case.id)
        assert moved.owner_id == people.colleague.id and moved.status == CaseStatus.open
        assert all(need.case_worker_id == people.colleague.id for need in moved.needs)
    assert db.session.get(Case, second.id).transfers[0].status == HandOver.revoked   # the offer lapsed
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.reassign")))
    assert sorted(e.subject_id for e in events) == [first.id, second.id]
    assert all(e.actor_id == world["orgadmin"].id and e.after["owner_id"] == people.colleague.id for e in events)
    told = db.session.scalars(sa.select(Notification).where(Notification.user_id == world["colleague"].id,
                                                             Notification.kind == "case_assigned"))
    assert sorted(n.link_args["case_id"] for n in told) == [first.id, second.id]
    assert 'id="left-with-cases"' not in client.get("/cases/").get_data(as_text=True)
    auth.as_(world["colleague"])
    assert client.get(f"/cases/{first.id}").status_code == 200


def test_who_may_reassign_and_to_whom(client, auth, world, people):
    first, _second = _two_cases_of_a_worker_who_left(world, people)
    url = f"/cases/workers/{people.worker.id}/reassign"
    auth.login("senior")   # a supervisor of the worker who left
    assert 'id="left-with-cases"' in client.get("/cases/").get_data(as_text=True)
    assert client.get(url).status_code == 200
    response = client.post(url, data={"worker": people.worker2.id})   # another organization's social worker
    assert response.status_code == 200 and "Choose from the list." in response.get_data(as_text=True)
    for username in ("colleague", "orgadmin2", "worker2", "civil", "admin", "staff1"):
        auth.as_(world[username])
        assert client.get(url).status_code == 403, username
        assert client.post(url, data={"worker": people.colleague.id}).status_code == 403, username
    assert db.session.get(Case, first.id).owner_id == people.worker.id


def test_the_service_refuses_an_active_owner_and_an_owner_elsewhere(app, world, people):
    case = services.open_case([professional_need(world, people.project)], people.worker, actor=world["orgadmin"])
    with pytest.raises(Refused, match="still active"):
        services.reassign_cases(people.worker, people.colleague, actor=world["orgadmin"])
    org_services.set_social_worker_active(people.worker, False, actor=world["orgadmin"])
    with pytest.raises(Refused, match="Choose another active social worker"):
        services.reassign_cases(people.worker, people.worker2, actor=world["orgadmin"])
    with pytest.raises(Refused, match="Only the organization's admin or a supervisor"):
        services.reassign_cases(people.worker, people.colleague, actor=world["orgadmin2"])
    assert [c.id for c in services.reassign_cases(people.worker, people.colleague, actor=world["orgadmin"])] == [case.id]
