from datetime import date

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, Role, User, Volunteer, VolunteerStatus
from tests.conftest import PASSWORD
from tests.factories import volunteer_id_number


def test_login_and_logout(client, auth, world):
    response = client.post("/auth/login", data={"username": "civil", "password": "wrong"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.get_data(as_text=True) or "用户名或密码错误" in response.get_data(as_text=True)
    auth.login("civil")
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/notifications").status_code == 302


def test_self_registered_volunteer_starts_pending_and_staff_verify(client, auth, world):
    response = client.post("/auth/register", data={
        "role": "volunteer", "display_name": "New Person", "username": "newvol", "phone": "13800000000",
        "id_number": volunteer_id_number(date(1990, 3, 7)), "community": world.c1.id, "password": "long-enough-1", "confirm": "long-enough-1"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "newvol"))
    assert user.status == AccountStatus.pending and user.role == Role.volunteer
    volunteer = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))
    assert volunteer.status == VolunteerStatus.pending
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create",
                                                         AuditEvent.subject_id == user.id)) is not None


def test_register_refuses_staff_roles_and_bad_input(client, world):
    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    for data in ({"role": "civil_affairs"}, {"confirm": "different-1"}, {"phone": "123"}):
        form = {"role": "volunteer", "display_name": "X", "username": "someone", "phone": "",
                "community": world.c1.id, "password": "long-enough-1", "confirm": "long-enough-1", **data}
        response = client.post("/auth/register", data=form)
        assert response.status_code == 200
        assert 'value="X"' in response.get_data(as_text=True)  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == count


def test_password_change_ends_other_sessions(app, client, auth, world):
    auth.login("staff1")
    other = app.test_client()
    other.post("/auth/login", data={"username": "staff1", "password": PASSWORD})
    assert other.get("/notifications").status_code == 200
    response = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "another-pass-2",
                                                   "confirm": "another-pass-2"})
    assert response.status_code == 302
    assert client.get("/notifications").status_code == 200
    assert other.get("/notifications").status_code == 302


def test_language_follows_browser_then_choice(client, world):
    zh = client.get("/auth/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    en = client.get("/auth/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in en
    assert "登录" in zh
    client.post("/auth/language/en")
    assert "Sign in" in client.get("/auth/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_default_language_is_chinese(app, client, world):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "登录" in page
