"""An organization's social workers: adding, editing, log-ins, deactivation."""
import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, OrgStatus, Role, SocialWorker, User, WorkerLevel
from tests.conftest import PASSWORD
from tests.web.test_projects_support import ROLES, count, english, events, text  # noqa: F401


def worker_form(**overrides):
    data = {"name": "Sun Li", "level": "senior", "certificate_no": "SW-2020-118", "caseload_limit": "15"}
    data.update(overrides)
    return data


def test_org_admin_adds_and_edits_a_social_worker(client, auth, world):
    auth.login("orgadmin")
    assert client.get("/organizations/mine/workers/new").status_code == 200
    assert client.post("/organizations/mine/workers/new", data=worker_form()).status_code == 302
    worker = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Sun Li"))
    assert worker.organization_id == world.org1.id and worker.level == WorkerLevel.senior
    assert worker.caseload_limit == 15 and worker.active
    assert events("social_worker.add", worker)
    assert 'value="Sun Li"' in text(client.get(f"/organizations/workers/{worker.id}/edit"))
    response = client.post(f"/organizations/workers/{worker.id}/edit", data=worker_form(level="assistant"))
    assert response.status_code == 302
    assert db.session.get(SocialWorker, worker.id).level == WorkerLevel.assistant
    assert events("social_worker.update", worker)[0].before["level"] == WorkerLevel.senior.value


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "This field is required"),
    ({"level": "guru"}, "Not a valid choice"),
    ({"caseload_limit": "0"}, "Enter a number from 1 to 200"),
    ({"caseload_limit": "many"}, "Not a valid integer value"),
])
def test_worker_form_refuses_bad_input(client, auth, world, overrides, message):
    auth.login("orgadmin")
    before = count(SocialWorker)
    response = client.post("/organizations/mine/workers/new", data=worker_form(**overrides))
    assert response.status_code == 200 and message in text(response)
    assert count(SocialWorker) == before


def test_log_in_for_a_social_worker(client, auth, world):
    senior = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Wang Fang"))
    auth.login("orgadmin")
    assert "Create log-in" in text(client.get("/organizations/mine"))
    response = client.post(f"/organizations/workers/{senior.id}/login",
                           data={"username": "wangfang", "password": "initial-pass-1", "confirm": "initial-pass-1"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "wangfang"))
    assert user.role == Role.social_worker and user.organization_id == world.org1.id
    assert user.status == AccountStatus.active and user.region_id == world.org1.region_id
    assert db.session.get(SocialWorker, senior.id).user_id == user.id
    assert events("social_worker.login", senior) and events("user.create", user)
    auth.logout()
    auth.login("wangfang", "initial-pass-1")
    assert "Sunshine Social Work Center" in text(client.get("/organizations/mine"))


@pytest.mark.parametrize("data, message", [
    ({"username": "worker"}, "This username is taken"),
    ({"username": "a b"}, "Use letters, digits"),
    ({"confirm": "different-pass"}, "The two passwords differ"),
    ({"password": "short", "confirm": "short"}, "Use at least 8 characters"),
])
def test_log_in_refuses_bad_input(client, auth, world, data, message):
    senior = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Wang Fang"))
    auth.login("orgadmin")
    before = count(User)
    form = {"username": "wangfang", "password": "initial-pass-1", "confirm": "initial-pass-1", **data}
    response = client.post(f"/organizations/workers/{senior.id}/login", data=form)
    assert response.status_code == 200 and message in text(response)
    assert count(User) == before


def test_log_in_refused_twice_and_before_verification(client, auth, world):
    auth.login("orgadmin")
    form = {"username": "lihua2", "password": "initial-pass-1", "confirm": "initial-pass-1"}
    response = client.post(f"/organizations/workers/{world.worker.id}/login", data=form)
    assert response.status_code == 200 and "already has a log-in" in text(response)
    senior = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Wang Fang"))
    world.org1.status = OrgStatus.registered
    db.session.commit()
    response = client.post(f"/organizations/workers/{senior.id}/login", data={**form, "username": "wangfang"})
    assert response.status_code == 200 and "once the organization is verified" in text(response)
    assert db.session.scalar(sa.select(User).where(User.username.in_(("lihua2", "wangfang")))) is None


def test_deactivate_suspends_the_log_in_and_reactivate_restores_it(client, auth, world):
    auth.login("orgadmin")
    assert client.post(f"/organizations/workers/{world.worker.id}/deactivate").status_code == 302
    assert not db.session.get(SocialWorker, world.worker.id).active
    assert db.session.get(User, world["worker"].id).status == AccountStatus.suspended
    assert events("social_worker.deactivate", world.worker) and events("user.suspend", world["worker"])
    response = client.post(f"/organizations/workers/{world.worker.id}/deactivate", follow_redirects=True)
    assert "Nothing to change" in text(response)
    # The worker can no longer sign in.
    other = client.application.test_client()
    assert other.post("/auth/login", data={"username": "worker", "password": PASSWORD}).status_code == 200
    assert client.post(f"/organizations/workers/{world.worker.id}/reactivate").status_code == 302
    assert db.session.get(SocialWorker, world.worker.id).active
    assert db.session.get(User, world["worker"].id).status == AccountStatus.active


@pytest.mark.parametrize("username", [u for u in ROLES if u != "orgadmin"])
def test_only_the_organizations_admin_manages_its_workers(client, auth, world, username):
    auth.login(username)
    wid = world.worker.id
    assert client.post(f"/organizations/workers/{wid}/deactivate").status_code == 403
    assert client.get(f"/organizations/workers/{wid}/edit").status_code == 403
    assert client.get(f"/organizations/workers/{wid}/login").status_code == 403
    expected_new = 200 if username == "orgadmin2" else 403  # orgadmin2 adds to their own organization
    assert client.get("/organizations/mine/workers/new").status_code == expected_new
    assert db.session.get(SocialWorker, wid).active


def test_unknown_worker_is_404(client, auth, world):
    auth.login("orgadmin")
    assert client.post("/organizations/workers/99999/deactivate").status_code == 404
