import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, User
from tests.conftest import PASSWORD

OTHERS = ["civil", "staff1", "orgadmin", "worker", "vol", "resident", "grid", "expert", "observer"]


def test_admin_lists_and_creates_staff_accounts(client, auth, world):
    auth.login("admin")
    assert "staff1" in client.get("/admin/users?q=staff").get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "display_name": "Street officer", "username": "officer2", "role": "civil_affairs",
        "region": world.street1.id, "organization": 0, "password": "initial-pass-1"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "officer2"))
    assert user.region_id == world.street1.id and user.status == AccountStatus.active


def test_admin_form_refuses_wrong_scope_and_keeps_input(client, auth, world):
    auth.login("admin")
    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    response = client.post("/admin/users/new", data={
        "display_name": "Typed name", "username": "staffx", "role": "community_staff",
        "region": world.street1.id, "organization": 0, "password": "initial-pass-1"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Typed name"' in text
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == count


def test_suspended_user_cannot_sign_in(client, auth, world):
    auth.login("admin")
    client.post(f"/admin/users/{world['vol'].id}/status/suspended")
    auth.logout()
    response = client.post("/auth/login", data={"username": "vol", "password": PASSWORD})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.status")) is not None


@pytest.mark.parametrize("username", OTHERS)
def test_only_admin_manages_users(client, auth, world, username):
    auth.login(username)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{world['vol'].id}/status/suspended").status_code == 403


def test_audit_trail_is_scoped_for_civil_affairs(client, auth, world):
    from linkage import audit
    audit.record(world["admin"], "test.in_street2", world.c3)
    audit.record(world["admin"], "test.in_street1", world.c1)
    db.session.commit()
    auth.login("civil2")
    text = client.get("/admin/audit").get_data(as_text=True)
    assert "test.in_street2" in text and "test.in_street1" not in text
    auth.as_(world["vol"])
    assert client.get("/admin/audit").status_code == 403


def test_csrf_is_enforced(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
