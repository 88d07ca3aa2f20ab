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
    audit.record(world["admin"], "test.in_street2", world.c3, note="Event in street 2")
    audit.record(world["admin"], "test.in_street1", world.c1, note="Event in street 1")
    db.session.commit()
    auth.login("civil2")
    text = client.get("/admin/audit").get_data(as_text=True)
    assert "Event in street 2" in text and "Event in street 1" not in text
    auth.as_(world["vol"])
    assert client.get("/admin/audit").status_code == 403


def test_csrf_is_enforced(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400


def test_audit_entries_read_as_changes_in_the_readers_language(client, auth, world):
    """No action codes or JSON: "field: before → after" with translated names and values."""
    from linkage import audit
    from tests.factories import make_need
    need = make_need(world.resident, world.visits)
    audit.record(world["staff1"], "need.verify", need, before={"status": "submitted"},
                 after={"status": "open"})
    audit.record(world["admin"], "volunteer.update", world.volunteer,
                 before={"skills": ["elder_care"], "weekly_minutes_limit": 240,
                         "availability": [[0, "18:30", "21:00"]]},
                 after={"skills": ["elder_care", "first_aid"], "weekly_minutes_limit": 360,
                        "availability": [[5, "09:00", "12:00"]]})
    audit.record(world["admin"], "user.status", world["vol3"], before={"status": "active"},
                 after={"status": "suspended"}, note="no-shows")
    audit.record(world["staff1"], "need.create", need, after={"category_id": need.category_id,
                                                              "organization_id": world.org1.id})
    db.session.commit()
    auth.login("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/admin/audit").get_data(as_text=True)
    # Other records by their names, never by their ids.
    assert f"类别：{need.category.display_name('zh_CN')}" in page and f"社会组织：{world.org1.name}" in page
    assert f"类别：{need.category_id}<" not in page
    assert f"志愿者：{world.volunteer.name}" in page and f"账号：{world['vol3'].display_name}" in page
    assert "需求已审核" in page and "need.verify" not in page.split("<tbody>")[1]
    assert "状态：已提交 → 已审核，待服务" in page
    assert "技能：助老 → 助老、急救" in page and "每周上限（分钟）：240 → 360" in page
    assert "可服务时间：星期一 18:30–21:00 → 星期六 09:00–12:00" in page
    assert "状态：正常 → 已暂停" in page and "因多次缺席。" in page
    assert "{" not in page.split("<tbody>")[1] and "elder_care" not in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Need verified" in page and "Status: Submitted → Verified, open" in page
