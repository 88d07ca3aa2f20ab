"""Shift reminders: a day and two hours before (both settings), in-app and by e-mail through a local SMTP
server, in the reader's language, each once however often the job runs."""
from __future__ import annotations

import socket
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from linkage import jobs, settings, timeutil
from linkage.extensions import db
from linkage.models import Notification, ReminderKind, ShiftReminder, ShiftStatus, SignUpStatus
from linkage.shifts.reminders import send_due
from tests.web.test_shifts_support import add_sign_up, hour, now, project_shift, volunteer


class Inbox:
    """What the local SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp):
    controller, box = smtp
    box.messages.clear()
    return box


@pytest.fixture
def app_config(smtp):
    controller, _box = smtp
    return {"MAIL_SERVER": controller.hostname, "MAIL_PORT": controller.port, "MAIL_SENDER": "noreply@linkage.test",
            "PUBLIC_URL": "https://linkage.example"}


@pytest.fixture
def place(world):
    """vol (e-mail address, no language chosen) holds a place on a shift at 09:00 in three days."""
    shift = project_shift(world, start=hour(days=3, at=9), hours=2, title="独居老人陪伴探访")
    world["vol"].email = "vol@example.org"
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    return record


def reminders(record=None):
    query = sa.select(ShiftReminder).order_by(ShiftReminder.id)
    if record is not None:
        query = query.where(ShiftReminder.sign_up_id == record.id)
    return list(db.session.scalars(query))


def in_app(user):
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "shift_reminder")))


def test_a_day_and_two_hours_before_each_once(world, place, inbox):
    start = place.shift.start
    for before, sent in ((timedelta(hours=24, minutes=1), 0), (timedelta(hours=23, minutes=59), 1),
                         (timedelta(hours=23, minutes=59), 0), (timedelta(hours=3), 0),
                         (timedelta(hours=1, minutes=59), 1), (timedelta(hours=1), 0), (timedelta(0), 0),
                         (-timedelta(minutes=30), 0)):
        with timeutil.as_of(start - before):
            assert send_due() == sent, before
    assert [r.kind for r in reminders(place)] == [ReminderKind.first, ReminderKind.second]
    assert len(in_app(world["vol"])) == 2
    assert len(inbox.messages) == 2 and all(r.emailed_at is not None for r in reminders(place))


def test_rerunning_the_job_never_duplicates(world, place, inbox):
    with timeutil.as_of(place.shift.start - timedelta(hours=5)):
        assert [send_due() for _ in range(3)] == [1, 0, 0]
    assert len(reminders()) == len(in_app(world["vol"])) == len(inbox.messages) == 1


def test_the_offsets_are_settings(world, place, inbox):
    with timeutil.as_of(place.shift.start - timedelta(hours=30)):
        assert send_due() == 0
        settings.change("REMINDER_FIRST_HOURS", "48", actor=world["admin"])
        settings.change("REMINDER_SECOND_MINUTES", "300", actor=world["admin"])
        db.session.commit()
        assert send_due() == 1
    with timeutil.as_of(place.shift.start - timedelta(hours=4, minutes=59)):
        assert send_due() == 1
    assert [r.kind for r in reminders(place)] == [ReminderKind.first, ReminderKind.second]


def test_a_sign_up_made_shortly_before_gets_only_the_second(world, place, inbox):
    with timeutil.as_of(place.shift.start - timedelta(minutes=90)):
        assert send_due() == 1
        assert send_due() == 0
    assert [r.kind for r in reminders(place)] == [ReminderKind.second]


def test_no_reminder_without_a_place_or_for_a_cancelled_shift(world, place, inbox):
    waiting = volunteer(world)
    add_sign_up(place.shift, waiting, status=SignUpStatus.waitlisted)
    other = project_shift(world, start=place.shift.start, hours=2, title="Cancelled visit")
    add_sign_up(other, volunteer(world))
    other.status = ShiftStatus.cancelled
    db.session.commit()
    with timeutil.as_of(place.shift.start - timedelta(hours=1)):
        assert send_due() == 1
    assert [r.sign_up_id for r in reminders()] == [place.id]


def test_a_moved_shift_is_reminded_of_again(world, place, inbox):
    with timeutil.as_of(place.shift.start - timedelta(hours=1)):
        assert send_due() == 1
    place.shift.start += timedelta(days=1)
    place.shift.end += timedelta(days=1)
    db.session.commit()
    with timeutil.as_of(place.shift.start - timedelta(hours=1)):
        assert send_due() == 1
    assert len(reminders(place)) == 2


def test_the_e_mail_arrives_in_chinese(world, place, inbox):
    with timeutil.as_of(place.shift.start - timedelta(hours=20)):
        assert send_due() == 1
    [(recipients, message)] = inbox.messages
    assert recipients == ["vol@example.org"]
    assert message["Subject"] == "提醒：独居老人陪伴探访"
    assert message["From"] == "noreply@linkage.test"
    body = message.get_body().get_content()
    assert "您在“独居老人陪伴探访”有一个名额" in body
    assert "09:00" in body and "https://linkage.example/shifts/" in body
    assert "Reminder" not in body and "Hello" not in body
    [notification] = in_app(world["vol"])
    assert notification.params["title"] == "独居老人陪伴探访"


def test_the_e_mail_follows_the_readers_language(world, place, inbox):
    world["vol"].locale = "en"
    db.session.commit()
    with timeutil.as_of(place.shift.start - timedelta(hours=20)):
        assert send_due() == 1
    [(_to, message)] = inbox.messages
    assert message["Subject"] == "Reminder: 独居老人陪伴探访"
    assert "You have a place on" in message.get_body().get_content()


def test_without_smtp_the_reminder_is_in_app_only(app, world, place, inbox):
    app.config["MAIL_SERVER"] = None
    with timeutil.as_of(place.shift.start - timedelta(hours=20)):
        assert send_due() == 1
    assert not inbox.messages and len(in_app(world["vol"])) == 1
    assert reminders(place)[0].emailed_at is None


def test_an_unreachable_smtp_server_is_recorded_and_not_retried(app, world, place, inbox):
    app.config["MAIL_PORT"] = free_port()   # nobody listens there
    with timeutil.as_of(place.shift.start - timedelta(hours=20)):
        assert send_due() == 1
        assert send_due() == 0
    [reminder] = reminders(place)
    assert reminder.emailed_at is None and reminder.email_error
    assert len(in_app(world["vol"])) == 1


def test_the_command_sends_and_reruns_send_nothing(app, world, place, inbox):
    runner = app.test_cli_runner()
    with timeutil.as_of(place.shift.start - timedelta(hours=20)):
        assert runner.invoke(args=["reminders", "send"]).output.strip() == "1 reminder sent."
        assert runner.invoke(args=["reminders", "send"]).output.strip() == "0 reminders sent."
    assert len(inbox.messages) == 1


def test_the_schedule_runs_the_reminders_in_the_background(app, world, inbox):
    shift = project_shift(world, start=(now() + timedelta(hours=1)).replace(microsecond=0), hours=1)
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    app.config["REMINDER_INTERVAL_SECONDS"] = 0.1
    threads = jobs.start_schedule(app)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not reminders(record):
            time.sleep(0.1)
            db.session.rollback()
    finally:
        app.extensions["linkage_schedule"].set()
        for thread in threads:
            thread.join(5)
    assert [r.kind for r in reminders(record)] == [ReminderKind.second]


def test_without_redis_the_web_process_starts_the_schedule_at_its_first_request(database, tmp_path):
    import threading

    from linkage import create_app
    from tests.conftest import BASE_CONFIG

    web = create_app({**BASE_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": database(),
                      "INSTANCE_PATH": str(tmp_path / "web"), "JOB_MODE": "thread",
                      "REMINDER_INTERVAL_SECONDS": 3600})
    running = lambda: [t for t in threading.enumerate() if t.name.startswith("linkage-schedule")]  # noqa: E731
    before = len(running())
    assert "linkage_schedule_started" not in web.extensions   # building the app (CLI commands) starts nothing
    try:
        web.test_client().get("/healthz")
        web.test_client().get("/healthz")
        scheduled = sum(1 for _path, how in jobs.SCHEDULE if jobs.interval(web, how) > 0)
        assert scheduled == 6          # reaper, reminders, overdue needs, offers, retention, needs forecast
        assert len(running()) == before + scheduled           # once per process, from the first request
    finally:
        web.extensions["linkage_schedule"].set()
