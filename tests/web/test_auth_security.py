"""Sessions end on the server, log-in is throttled, passwords follow the policy, accounts are not enumerable."""
import os
import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, Notification, User
from tests.conftest import PASSWORD
from tests.factories import volunteer_id_number

REDIS_URL = os.environ.get("LINKAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _cookies(client):
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _replay(app, cookies):
    fresh = app.test_client()
    for name, value in cookies.items():
        fresh.set_cookie(name, value)
    return fresh


def _signed_in(client):
    return client.get("/notifications").status_code == 200


# Sessions -------------------------------------------------------------------------------------

def test_session_cookie_replayed_after_logout_is_refused(app, client, auth, world):
    auth.login("staff1")
    captured = _cookies(client)
    assert _signed_in(_replay(app, captured))
    auth.logout()
    response = _replay(app, captured).get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_remember_me_cookie_replayed_after_logout_is_refused(app, client, world):
    client.post("/auth/login", data={"username": "staff1", "password": PASSWORD, "remember": "y"})
    remember = {"remember_token": _cookies(client)["remember_token"]}
    assert _signed_in(_replay(app, remember))  # the remember-me cookie alone signs in
    client.post("/auth/logout")
    assert not _signed_in(_replay(app, remember))
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.logout")) is not None


def test_logout_ends_every_session_of_the_account(app, client, auth, world):
    auth.login("staff1")
    other = app.test_client()
    other.post("/auth/login", data={"username": "staff1", "password": PASSWORD, "remember": "y"})
    auth.logout()
    assert not _signed_in(other)


def test_password_change_ends_remember_me_cookies(app, client, auth, world):
    other = app.test_client()
    other.post("/auth/login", data={"username": "staff1", "password": PASSWORD, "remember": "y"})
    remember = {"remember_token": _cookies(other)["remember_token"]}
    auth.login("staff1")
    client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "another-pass-2",
                                        "confirm": "another-pass-2"})
    assert not _signed_in(_replay(app, remember))


def test_suspended_account_loses_its_sessions_for_good(app, client, auth, world):
    auth.login("staff1")
    captured = _cookies(client)
    admin = app.test_client()
    admin.post("/auth/login", data={"username": "admin", "password": PASSWORD})
    staff1 = db.session.scalar(sa.select(User).where(User.username == "staff1"))
    admin.post(f"/admin/users/{staff1.id}/status/suspended")
    assert db.session.get(User, staff1.id).status == AccountStatus.suspended
    assert not _signed_in(_replay(app, captured))
    admin.post(f"/admin/users/{staff1.id}/status/active")
    assert db.session.get(User, staff1.id).status == AccountStatus.active
    assert not _signed_in(_replay(app, captured))  # taking the account back revives no old cookie


# Cookie flags ---------------------------------------------------------------------------------

def _set_cookie(response, name):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_remember_me_cookie_is_httponly_and_samesite_lax(client, world):
    response = client.post("/auth/login", data={"username": "staff1", "password": PASSWORD, "remember": "y"})
    header = _set_cookie(response, "remember_token")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}])
def test_cookies_are_secure_in_production(client, world):
    response = client.post("/auth/login", data={"username": "staff1", "password": PASSWORD, "remember": "y"})
    for name in ("remember_token", "session"):
        header = _set_cookie(response, name)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_production_setting_makes_remember_me_cookie_secure(monkeypatch, tmp_path):
    from linkage.config import from_environment

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    config = from_environment(str(tmp_path))
    assert config["REMEMBER_COOKIE_SECURE"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


# Throttling -----------------------------------------------------------------------------------

def _attempt(client, username, password):
    return client.post("/auth/login", data={"username": username, "password": password})


def _locked(response):
    return "Too many failed attempts" in response.get_data(as_text=True)


def _lock_out(client, username, app):
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"]):
        assert not _locked(_attempt(client, username, "wrong-password"))


def test_right_password_is_refused_during_lockout(app, client, world):
    _lock_out(client, "staff1", app)
    response = _attempt(client, "staff1", PASSWORD)
    assert response.status_code == 200 and _locked(response)
    assert not _signed_in(client)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("user.login%"))).all()
    assert actions.count("user.login_failed") == app.config["LOGIN_FAILURE_LIMIT"]
    assert "user.login_locked" in actions


def _without_csrf_token(page: str) -> str:
    """The page with its CSRF token's value blanked: the token carries the second it was signed in,
    so two pages rendered a second apart differ there alone."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', page)


def test_lockout_reads_the_same_for_unknown_usernames(app, client, world):
    _lock_out(client, "staff1", app)
    _lock_out(client, "nobody-here", app)
    known = _without_csrf_token(_attempt(client, "staff1", "wrong-password").get_data(as_text=True))
    unknown = _without_csrf_token(_attempt(client, "nobody-here", "wrong-password").get_data(as_text=True))
    assert 'name="csrf_token"' in known and 'value=""' in known
    assert _locked(_attempt(client, "nobody-here", "x")) and known.replace("staff1", "nobody-here") == unknown


def test_lockout_is_per_account_and_success_clears_the_count(app, client, world):
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] - 1):
        _attempt(client, "staff1", "wrong-password")
    assert _attempt(client, "staff1", PASSWORD).status_code == 302
    client.post("/auth/logout")
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] - 1):
        _attempt(client, "staff1", "wrong-password")
    assert _attempt(client, "staff1", PASSWORD).status_code == 302  # the count started again
    client.post("/auth/logout")
    _lock_out(client, "staff1", app)
    assert _attempt(client, "civil", PASSWORD).status_code == 302  # other accounts sign in


@pytest.mark.parametrize("app_config", [{"LOGIN_IP_FAILURE_LIMIT": 3}])
def test_lockout_per_address(client, world):
    for name in ("a-name", "b-name", "c-name"):
        _attempt(client, name, "wrong-password")
    assert _locked(_attempt(client, "civil", PASSWORD))
    other = client.application.test_client()
    response = other.post("/auth/login", data={"username": "civil", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302


def test_password_change_is_throttled_too(app, client, auth, world):
    auth.login("staff1")
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"]):
        client.post("/auth/password", data={"current_password": "wrong-password", "new_password": "another-pass-2",
                                            "confirm": "another-pass-2"})
    response = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "another-pass-2",
                                                   "confirm": "another-pass-2"})
    assert response.status_code == 200 and _locked(response)


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_login_requests_are_rate_limited_per_address(client, world):
    for _ in range(3):
        _attempt(client, "staff1", "wrong-password")
    assert _attempt(client, "staff1", PASSWORD).status_code == 429


@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL,
                                         "RATELIMIT_KEY_PREFIX": f"linkage-test-{uuid.uuid4().hex}"}])
def test_lockout_counts_in_redis_shared_by_app_servers(app, client, world):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server")
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    _lock_out(client, "staff1", app)
    other_server = app.test_client()  # a second server process shares nothing but Redis
    assert _locked(_attempt(other_server, "staff1", PASSWORD))
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")
    # Both the lock-out counts and the per-address request limit live under this app's own prefix.
    assert any(b"login-failures" in key for key in keys) and any(b"auth.login" in key for key in keys)


# Password policy ------------------------------------------------------------------------------

def _register(client, world, username="newvol", password="long-enough-1"):
    return client.post("/auth/register", data={
        "role": "volunteer", "display_name": "New Person", "username": username, "phone": "",
        "id_number": volunteer_id_number(date(1990, 3, 7)), "community": world.c1.id, "password": password, "confirm": password})


@pytest.mark.parametrize("password, message", [
    ("12345678", "Use at least 10 characters"),
    ("1234567890", "among the most common"),
    ("password123", "among the most common"),
    ("Newvol-2024!", "must not contain your username"),
])
def test_registration_refuses_weak_passwords(client, world, password, message):
    response = _register(client, world, password=password)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "newvol")) is None


def test_password_policy_speaks_chinese(client, world):
    client.post("/auth/language/zh_CN")
    page = _register(client, world, password="password123").get_data(as_text=True)
    assert "最常见" in page


def test_password_change_refuses_weak_passwords(client, auth, world):
    auth.login("staff1")
    response = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "qwertyuiop",
                                                   "confirm": "qwertyuiop"})
    assert response.status_code == 200 and "among the most common" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"PASSWORD_MIN_LENGTH": 16}])
def test_minimum_length_is_a_setting(client, world):
    assert "Use at least 16 characters" in _register(client, world, password="long-enough-1").get_data(as_text=True)


# No enumeration -------------------------------------------------------------------------------

def test_registration_answers_the_same_for_a_taken_username(client, world):
    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    taken = _register(client, world, username="civil")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == count
    page_taken = client.get(taken.headers["Location"]).get_data(as_text=True)
    free = _register(client, world, username="brandnew")
    page_free = client.get(free.headers["Location"]).get_data(as_text=True)
    assert taken.status_code == free.status_code == 302 and taken.headers["Location"] == free.headers["Location"]
    assert "If this username was free" in page_taken and _without_token(page_taken) == _without_token(page_free)
    owner = db.session.scalar(sa.select(User).where(User.username == "civil"))
    assert db.session.scalar(sa.select(Notification).where(
        Notification.user_id == owner.id, Notification.kind == "registration_with_your_username")) is not None


def _without_token(page: str) -> str:
    """The page without its CSRF token, which carries the second it was made in."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", page)


def test_login_answers_the_same_for_unknown_user_and_wrong_password(client, world, monkeypatch):
    from linkage.auth import services

    hashed = []
    real = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda password: hashed.append(password) or real(password))
    unknown = _without_token(_attempt(client, "nobody-here", "wrong-password").get_data(as_text=True))
    assert hashed == ["wrong-password"]  # the same password hash work as for a real account
    wrong = _without_token(_attempt(client, "staff1", "wrong-password").get_data(as_text=True))
    assert unknown.replace("nobody-here", "staff1") == wrong and "Wrong username or password" in wrong


def test_create_admin_command_refuses_a_weak_password(app, world):
    result = app.test_cli_runner().invoke(args=["create-admin", "root2", "--password", "12345678"])
    assert result.exit_code == 1 and "Use at least 10 characters" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "root2")) is None


def _wrong_attempts_from(client, forwarded_for, count):
    for number in range(count):
        client.post("/auth/login", data={"username": f"name-{number}", "password": "wrong-password"},
                    headers={"X-Forwarded-For": forwarded_for.format(number=number)})


@pytest.mark.parametrize("app_config", [{"LOGIN_IP_FAILURE_LIMIT": 3}])
def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(client, world):
    # A client naming a new address in each request still counts as its own address.
    _wrong_attempts_from(client, "10.1.0.{number}", 3)
    assert _locked(_attempt(client, "civil", PASSWORD))


@pytest.mark.parametrize("app_config", [{"LOGIN_IP_FAILURE_LIMIT": 3, "TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_each_client_address_counts_apart(client, world):
    _wrong_attempts_from(client, "10.1.0.1", 3)
    locked = client.post("/auth/login", data={"username": "civil", "password": PASSWORD},
                         headers={"X-Forwarded-For": "10.1.0.1"})
    assert _locked(locked)
    other = client.post("/auth/login", data={"username": "civil", "password": PASSWORD},
                        headers={"X-Forwarded-For": "10.2.0.2"})
    assert other.status_code == 302
