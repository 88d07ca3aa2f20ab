"""Waiting-list offers by e-mail (a local SMTP server): the offer once, the reminder once, in the reader's
language, with the links to accept and decline."""
from __future__ import annotations

from datetime import timedelta

from linkage.extensions import db
from linkage.models import SignUpStatus
from linkage.shifts import offers, places
from linkage.timeutil import as_of
from tests.unit.test_reminders import app_config, inbox, smtp  # noqa: F401  (fixtures)
from tests.web.test_shifts_support import add_sign_up, hour, project_shift, volunteer


def offered(world):
    """A place given up on a full shift and offered to ``vol`` (first in line)."""
    shift = project_shift(world, slots=((None, 1),), start=hour(days=3), title="独居老人陪伴探访")
    holder = volunteer(world)
    held = add_sign_up(shift, holder)
    record = add_sign_up(shift, world.volunteer, status=SignUpStatus.waitlisted)
    world["vol"].email = "vol@example.org"
    db.session.commit()
    places.cancel_sign_up(held, actor=holder.user)
    db.session.commit()
    assert record.status == SignUpStatus.offered
    return shift, record


def test_the_offer_and_its_reminder_are_e_mailed_once_in_chinese(app, world, inbox):
    shift, record = offered(world)
    deadline = record.offer_expires_at
    offers.process()
    offers.process()
    [(recipients, message)] = inbox.messages
    assert recipients == ["vol@example.org"] and message["Subject"] == "给您的名额：独居老人陪伴探访"
    body = message.get_body().get_content()
    assert "现有一个名额留给您" in body
    assert f"https://linkage.example/shifts/{shift.id}/offer?answer=accept" in body
    assert f"https://linkage.example/shifts/{shift.id}/offer?answer=decline" in body
    with as_of(deadline - timedelta(hours=1)):
        assert offers.process() == (0, 1)
        assert offers.process() == (0, 0)
    assert len(inbox.messages) == 2
    assert inbox.messages[1][1]["Subject"] == "“独居老人陪伴探访”有一个名额在等您"


def test_the_e_mail_follows_the_readers_language(app, world, inbox):
    world["vol"].locale = "en"
    db.session.commit()
    offered(world)
    offers.process()
    [(_to, message)] = inbox.messages
    assert message["Subject"] == "A place for you: 独居老人陪伴探访"
    assert "Please accept or decline it by" in message.get_body().get_content()

