"""Locality settings: precedence (administrator > environment > instance file > default), the admin
page (validation, access, audit) and edited values taking effect."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from linkage import create_app, settings
from linkage.extensions import db
from linkage.models import AuditEvent, MatchRun, Role, SettingValue, SocialWorker, Volunteer, WorkerLevel
from tests.conftest import BASE_CONFIG
from tests.factories import make_need, make_user, set_born
from tests.web.test_shifts_support import project_shift, sign_up_of, text

OTHERS = ["civil", "staff1", "orgadmin", "worker", "vol", "resident", "grid", "expert", "observer"]


def _app(tmp_path, monkeypatch, *, env=None, toml=None):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    if toml is not None:
        (instance / "settings.toml").write_text(toml, encoding="utf-8")
    for name in settings.REGISTRY:
        monkeypatch.delenv(f"LINKAGE_{name}", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(instance)})


def test_precedence_environment_over_file_over_default(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, env={"LINKAGE_NO_SHOW_LIMIT": "5", "LINKAGE_ATTENDANCE_MIN_SHARE": "75"},
               toml='no_show_limit = 4\nNO_SHOW_BLOCK_DAYS = 14\nstar_thresholds_hours = [10, 20, 30, 40, 50]\n')
    with app.app_context():
        db.create_all()
        assert settings.get("NO_SHOW_LIMIT") == 5 and settings.source("NO_SHOW_LIMIT") == "environment"
        assert settings.get("ATTENDANCE_MIN_SHARE") == 0.75
        assert settings.get("NO_SHOW_BLOCK_DAYS") == 14 and settings.source("NO_SHOW_BLOCK_DAYS") == "file"
        assert settings.get("STAR_THRESHOLDS_HOURS") == [10, 20, 30, 40, 50]
        assert settings.get("ADULT_AGE") == 18 and settings.source("ADULT_AGE") == "default"


def test_an_administrators_value_wins_over_the_environment_until_reset(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, env={"LINKAGE_NO_SHOW_LIMIT": "5"}, toml="NO_SHOW_LIMIT = 4\n")
    with app.app_context():
        db.create_all()
        admin = make_user("admin", Role.admin)
        settings.change("NO_SHOW_LIMIT", "2", actor=admin)
        db.session.commit()
        assert settings.get("NO_SHOW_LIMIT") == 2 and settings.source("NO_SHOW_LIMIT") == "database"
        settings.reset("NO_SHOW_LIMIT", actor=admin)
        db.session.commit()
        assert settings.get("NO_SHOW_LIMIT") == 5 and settings.source("NO_SHOW_LIMIT") == "environment"


@pytest.mark.parametrize("env, toml", [({"LINKAGE_MIN_VOLUNTEER_AGE": "12"}, None),
                                       ({"LINKAGE_NO_SHOW_LIMIT": "three"}, None),
                                       ({}, "NO_SUCH_RULE = 1\n"),
                                       ({}, "star_thresholds_hours = [300, 100, 600, 1000, 1500]\n")])
def test_a_bad_value_in_the_environment_or_the_file_stops_the_start(tmp_path, monkeypatch, env, toml):
    with pytest.raises(settings.SettingError):
        _app(tmp_path, monkeypatch, env=env, toml=toml)


def test_the_settings_page_lists_every_setting_with_value_and_source(client, auth, world):
    auth.login("admin")
    page = client.get("/admin/settings")
    assert page.status_code == 200
    html = text(page)
    for spec in settings.SPECS:
        assert str(spec.label) in html
    assert "Minimum volunteer age" in html and 'value="14"' in html and "Default" in html
    assert 'href="/admin/settings"' in text(client.get("/"))  # in the admin navigation


def test_the_admin_changes_a_setting_and_the_change_is_audited(client, auth, world):
    auth.login("admin")
    response = client.post("/admin/settings/ATTENDANCE_MIN_SHARE",
                           data={"ATTENDANCE_MIN_SHARE-value": "75"}, follow_redirects=True)
    assert "Saved: Attendance needed for hours to count." in text(response)
    assert 'value="75"' in text(response) and "Set by an administrator" in text(response)
    row = db.session.scalar(sa.select(SettingValue))
    assert (row.name, row.value, row.updated_by_id) == ("ATTENDANCE_MIN_SHARE", 0.75, world["admin"].id)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "setting.change"))
    assert event.actor_id == world["admin"].id
    assert event.before == {"name": "ATTENDANCE_MIN_SHARE", "value": 0.6}
    assert event.after == {"name": "ATTENDANCE_MIN_SHARE", "value": 0.75}

    response = client.post("/admin/settings/ATTENDANCE_MIN_SHARE/reset", follow_redirects=True)
    assert db.session.scalar(sa.select(SettingValue)) is None and 'value="60"' in text(response)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "setting.reset"))
    assert event.before["value"] == 0.75 and event.after["value"] == 0.6 and event.actor_id == world["admin"].id


@pytest.mark.parametrize("name, value, message", [
    ("MIN_VOLUNTEER_AGE", "twelve", "Enter a whole number."),
    ("MIN_VOLUNTEER_AGE", "13", "Enter a value from 14 to 25."),
    ("MATCH_TIME_LIMIT", "0", "Enter a value from 1 to 600."),
    ("STAR_THRESHOLDS_HOURS", "100, 50, 600, 1000, 1500", "Each star needs more hours than the one before."),
    ("STAR_THRESHOLDS_HOURS", "100, 300", "Enter exactly 5 thresholds, one per star."),
    ("NO_SHOW_LIMIT", "", "Enter a value."),
])
def test_bad_input_is_refused_and_nothing_is_written(client, auth, world, name, value, message):
    auth.login("admin")
    response = client.post(f"/admin/settings/{name}", data={f"{name}-value": value})
    assert response.status_code == 200 and message in text(response)
    assert db.session.scalar(sa.select(sa.func.count(SettingValue.id))) == 0
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action.startswith("setting."))) is None
    assert settings.get(name) == settings.REGISTRY[name].default or name == "STAR_THRESHOLDS_HOURS"


def test_a_refusal_reads_in_chinese_for_a_chinese_admin(client, auth, world):
    world["admin"].locale = "zh_CN"
    db.session.commit()
    auth.login("admin")
    response = client.post("/admin/settings/MIN_VOLUNTEER_AGE", data={"MIN_VOLUNTEER_AGE-value": "13"})
    assert "请输入 14 到 25 之间的数值。" in text(response) and "最低志愿者年龄" in text(response)


def test_an_unknown_setting_is_not_found(client, auth, world):
    auth.login("admin")
    assert client.post("/admin/settings/SECRET_KEY", data={"SECRET_KEY-value": "x"}).status_code == 404


@pytest.mark.parametrize("username", OTHERS)
def test_only_the_admin_sees_or_changes_settings(client, auth, world, username):
    auth.login(username)
    assert client.get("/admin/settings").status_code == 403
    assert client.post("/admin/settings/NO_SHOW_LIMIT", data={"NO_SHOW_LIMIT-value": "1"}).status_code == 403
    assert client.post("/admin/settings/NO_SHOW_LIMIT/reset").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(SettingValue.id))) == 0


def test_a_raised_minimum_age_refuses_sign_up(client, auth, world):
    first, second = project_shift(world), project_shift(world)
    set_born(world.volunteer, date.today().replace(year=date.today().year - 20) - timedelta(days=1))
    db.session.commit()
    auth.login("vol")
    client.post(f"/shifts/{first.id}/sign-up")
    assert sign_up_of(first, world.volunteer) is not None  # 20 years old: welcome
    auth.as_(world["admin"])
    assert client.post("/admin/settings/MIN_VOLUNTEER_AGE", data={"MIN_VOLUNTEER_AGE-value": "21"}).status_code == 302
    auth.as_(world["vol"])
    response = client.post(f"/shifts/{second.id}/sign-up", follow_redirects=True)
    assert "Volunteers must be at least 21 years old." in text(response)
    assert sign_up_of(second, world.volunteer) is None


def test_a_web_run_started_with_the_shown_time_limit_uses_the_setting(app, client, auth, world):
    app.config["JOB_MODE"] = "inline"
    auth.login("admin")
    client.post("/admin/settings/MATCH_TIME_LIMIT", data={"MATCH_TIME_LIMIT-value": "7"})
    auth.as_(world["civil"])
    form = text(client.get("/matching/new"))
    shown = re.search(r'<input[^>]*name="time_limit"[^>]*value="([^"]*)"', form).group(1)
    assert float(shown) == 7
    need = make_need(world.resident, world.visits, urgency=3)
    need.needs_professional = True  # something to match
    db.session.commit()
    response = client.post("/matching/new", data={"kind": "cases", "region": world.district.id, "time_limit": shown})
    assert response.status_code == 302
    assert db.session.scalars(sa.select(MatchRun)).one().time_limit == 7


def test_the_profile_form_names_the_ages_in_force(client, auth, world):
    auth.login("admin")
    client.post("/admin/settings/ADULT_AGE", data={"ADULT_AGE-value": "20"})
    set_born(world.volunteer, date.today().replace(year=date.today().year - 19) - timedelta(days=1))
    db.session.commit()
    auth.as_(world["vol"])
    assert "You are under 20" in text(client.get("/volunteers/profile"))


def test_a_request_reads_the_saved_settings_once(client, auth, world):
    shift = project_shift(world)
    db.session.commit()
    auth.login("vol")
    statements = []

    def seen(conn, cursor, statement, *args):
        if "setting_values" in statement:
            statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        client.post(f"/shifts/{shift.id}/sign-up")  # reads the minimum and adult ages
        assert sign_up_of(shift, world.volunteer) is not None and len(statements) == 1
        statements.clear()
        auth.as_(world["admin"])
        statements.clear()
        client.get("/admin/settings")  # reads every setting, and its source
        assert len(statements) == 1
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


def test_new_profiles_and_social_workers_start_from_the_configured_defaults(app, client, auth, world):
    app.config.update(VOLUNTEER_WEEKLY_HOURS=6, VOLUNTEER_TRAVEL_KM=3.5, CASELOAD_LIMIT=12)
    newcomer = make_user("newcomer", Role.volunteer, world.c1)
    db.session.commit()
    auth.login("newcomer")
    page = text(client.get("/volunteers/profile"))
    assert re.search(r'name="weekly_hours"[^>]*value="6"', page)
    assert re.search(r'name="max_travel_km"[^>]*value="3.5"', page)
    auth.as_(world["orgadmin"])
    assert re.search(r'name="caseload_limit"[^>]*value="12"', text(client.get("/organizations/mine/workers/new")))
    record = Volunteer(user=newcomer, name="New", region=world.c1)
    worker = SocialWorker(organization=world.org1, name="New worker", level=WorkerLevel.assistant)
    db.session.add_all([record, worker])
    db.session.flush()
    assert (record.weekly_minutes_limit, record.max_travel_km, worker.caseload_limit) == (360, 3.5, 12)
