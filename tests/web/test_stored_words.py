"""Words the rules write are not stored in the writer's language: what an English-speaking user causes
reads in Chinese for a Chinese reader (and the other way round)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Notification, OrgStatus, Project, ProjectStatus, ShiftStatus, SignUp
from tests.factories import make_bid
from tests.web.test_projects_support import past_deadline, published_project
from tests.web.test_shifts_support import add_sign_up, now, project_shift, text


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def chinese(user):
    user.locale = "zh_CN"


def test_hours_declined_by_the_attendance_rule_read_in_the_readers_language(client, auth, world):
    start = (now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    shift = project_shift(world, start=start, hours=1)
    shift.status = ShiftStatus.staffed
    record = add_sign_up(shift, world.volunteer)
    world["worker"].locale = "en"
    chinese(world["vol"])
    db.session.commit()
    auth.login("worker")  # works in English
    client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in")
    client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out", data={"confirm_decline": "y"})
    assert "Attended 0 of 60 minutes: too little for the hours to count." in text(
        client.get(f"/shifts/{shift.id}/roster"))
    stored = db.session.get(SignUp, record.id)
    assert stored.hours_note == ""
    auth.as_(world["vol"])  # reads Chinese
    page = text(client.get("/volunteers/hours"))
    assert "出勤 0 分钟（计划 60 分钟），不足以计入服务时长。" in page and "too little" not in page


def test_reasons_the_rules_give_at_the_close_of_bidding_read_in_the_readers_language(client, auth, world):
    failed = past_deadline(published_project(world, region=world.district))
    disqualifying = past_deadline(published_project(world, region=world.district, needs=[]))
    make_bid(disqualifying, world.org1)
    make_bid(disqualifying, world.org2)
    world.org2.status = OrgStatus.suspended
    db.session.commit()
    auth.login("civil")  # English
    client.post(f"/projects/{failed.id}/close")
    client.post(f"/projects/{disqualifying.id}/close")
    assert db.session.get(Project, failed.id).status == ProjectStatus.failed
    assert "No valid bid." in text(client.get(f"/projects/{failed.id}"))
    chinese(world["civil"])  # now reads Chinese
    db.session.commit()
    assert "没有有效投标。" in text(client.get(f"/projects/{failed.id}"))
    assert "投标截止时该机构不处于正常状态。" in text(client.get(f"/projects/{disqualifying.id}"))
    world["orgadmin2"].locale = "zh_CN"
    db.session.commit()
    auth.as_(world["orgadmin2"])
    page = text(client.get("/notifications"))
    assert "投标截止时贵机构不处于正常状态" in page and "was disqualified" not in page
    message = db.session.scalar(sa.select(Notification).where(Notification.kind == "bid_disqualified_inactive"))
    assert set(message.params) == {"title"}  # no words in any language stored


def test_a_notification_reads_in_the_readers_language_with_times_in_local_form(app, client, auth, world):
    from flask_babel import force_locale, format_datetime

    shift = project_shift(world)
    add_sign_up(shift, world.volunteer)
    chinese(world["vol"])
    db.session.commit()
    auth.login("worker")  # English
    client.post(f"/shifts/{shift.id}/cancel", data={"reason": "Typhoon warning"})
    message = db.session.scalar(sa.select(Notification).where(Notification.kind == "shift_cancelled"))
    assert message is not None and message.params["start"].endswith("+00:00")  # an instant, not text
    with app.test_request_context(), force_locale("zh_CN"):
        when = format_datetime(shift.start, "short")
    auth.as_(world["vol"])  # Chinese
    page = text(client.get("/notifications"))
    assert f"“{shift.title}”（{when}）已取消：Typhoon warning" in page


def test_notifications_read_newest_first_by_when_they_happened(client, auth, world):
    from datetime import datetime, timezone

    from linkage import notifications
    from linkage.timeutil import as_of

    # Written in another order than they happened (as history written afterwards is).
    for day, title in ((20, "Late"), (5, "Early"), (12, "Middle")):
        with as_of(datetime(2026, 11, day, 9, tzinfo=timezone.utc)):
            notifications.notify([world["vol"]], "shift_cancelled", title=title, reason="-",
                                 start=datetime(2026, 12, 1, 9, tzinfo=timezone.utc))
            db.session.flush()
    db.session.commit()
    auth.as_(world["vol"])
    page = text(client.get("/notifications"))
    assert page.index("Late") < page.index("Middle") < page.index("Early")
