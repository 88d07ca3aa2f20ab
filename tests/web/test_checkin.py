"""At the site: the lead shows a shift code (QR); volunteers with a place open it on their phone to check
themselves in and out. Forged, expired, wrong-shift and replayed codes are refused with words; the lead
can still check in and out by hand."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from linkage import timeutil
from linkage.extensions import db
from linkage.models import AuditEvent, HoursStatus, SignUp, SignUpStatus
from linkage.shifts import codes
from tests.web.test_shifts_support import add_sign_up, hour, project_shift, text, volunteer


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def reload(record):
    return db.session.get(SignUp, record.id)


def code_path(client, auth, shift, purpose="in") -> str:
    """The URL the lead's code page puts in its QR code (as the lead ``worker``), without the host."""
    auth.login("worker")
    page = client.get(f"/shifts/{shift.id}/code/{purpose}")
    assert page.status_code == 200
    assert "<svg" in text(page) and 'class="segno"' in text(page)
    url = html.unescape(re.search(r'data-url="([^"]+)"', text(page)).group(1))
    auth.logout()
    return urlsplit(url).path


def events(action, record):
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject_type == "SignUp", AuditEvent.subject_id == record.id)))


@pytest.fixture
def shift(world):
    """A two-hour shift of ``worker`` starting on a whole hour in two days, volunteer ``vol`` holding a place."""
    shift = project_shift(world, start=hour(days=2, at=9), hours=2)
    add_sign_up(shift, world.volunteer)
    db.session.commit()
    return shift


def test_volunteer_checks_in_and_out_by_code_and_the_hours_follow(client, auth, world, shift):
    record = shift.sign_ups[0]
    with timeutil.as_of(shift.start - timedelta(minutes=10)):
        path = code_path(client, auth, shift, "in")
        auth.login("vol")
        page = client.get(path)
        assert page.status_code == 200 and "Check me in now" in text(page)
        response = client.post(path, follow_redirects=True)
        assert "You are checked in" in text(response)
    record = reload(record)
    assert record.status == SignUpStatus.checked_in
    assert record.checked_in_at == shift.start - timedelta(minutes=10) and not record.hours_manual
    [event] = events("signup.check_in", record)
    assert event.actor_id == world["vol"].id and event.after["by_code"] is True

    with timeutil.as_of(shift.end - timedelta(minutes=5)):
        auth.logout()
        path = code_path(client, auth, shift, "out")
        auth.login("vol")
        assert "Check me out now" in text(client.get(path))
        assert "You are checked out" in text(client.post(path, follow_redirects=True))
    record = reload(record)
    assert record.status == SignUpStatus.checked_out and record.minutes == 115
    assert record.hours_status == HoursStatus.pending
    [event] = events("signup.check_out", record)
    assert event.actor_id == world["vol"].id and event.after["by_code"] is True and event.after["minutes"] == 115


def test_a_forged_code_is_refused_and_nothing_is_written(client, auth, world, shift):
    with timeutil.as_of(shift.start - timedelta(minutes=10)):
        path = code_path(client, auth, shift)
        token = path.rsplit("/", 1)[1]
        # A token whose data was changed, and one signed with another key, each in the shift's URL.
        payload, stamp, signature = token.split(".")
        tampered = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{stamp}.{signature}"
        foreign = URLSafeTimedSerializer("another-secret", salt=codes.SALT).dumps(
            {"s": shift.id, "p": "in", "n": "0123456789abcdef"})
        auth.login("vol")
        for bad in (tampered, foreign, "not-a-code"):
            for method in (client.get, client.post):
                response = method(f"/shifts/{shift.id}/check/{bad}")
                assert response.status_code == 400
                assert "This is not a valid check-in code of this platform" in text(response)
    assert reload(shift.sign_ups[0]).status == SignUpStatus.assigned
    assert not events("signup.check_in", shift.sign_ups[0])


def test_a_code_expires_after_the_setting(client, auth, world, shift):
    made = shift.start - timedelta(minutes=30)
    with timeutil.as_of(made):
        path = code_path(client, auth, shift)
    auth.login("vol")
    with timeutil.as_of(made + timedelta(minutes=5, seconds=1)):   # CHECK_IN_CODE_MINUTES: 5
        response = client.post(path)
        assert response.status_code == 400
        assert "This code has expired: codes are good for 5 minutes." in text(response)
    assert reload(shift.sign_ups[0]).status == SignUpStatus.assigned
    with timeutil.as_of(made + timedelta(minutes=4, seconds=59)):
        assert client.post(path).status_code == 302
    assert reload(shift.sign_ups[0]).status == SignUpStatus.checked_in


def test_a_code_of_another_shift_is_refused(client, auth, world, shift):
    other = project_shift(world, start=shift.start, hours=2, title="Meal service")
    db.session.commit()
    with timeutil.as_of(shift.start - timedelta(minutes=10)):
        token = code_path(client, auth, other).rsplit("/", 1)[1]
        auth.login("vol")
        response = client.post(f"/shifts/{shift.id}/check/{token}")
        assert response.status_code == 400
        assert "This code belongs to another shift." in text(response)
        # On its own shift the code is genuine, but vol holds no place there.
        response = client.post(f"/shifts/{other.id}/check/{token}")
        assert response.status_code == 403 and "You have no place on this shift" in text(response)
    assert reload(shift.sign_ups[0]).status == SignUpStatus.assigned


def test_a_used_code_cannot_check_in_twice_nor_check_out(client, auth, world, shift):
    record = shift.sign_ups[0]
    with timeutil.as_of(shift.start - timedelta(minutes=10)):
        path_in = code_path(client, auth, shift, "in")
        auth.login("vol")
        assert client.post(path_in).status_code == 302
        again = client.post(path_in)
        assert again.status_code == 200
        assert "This code was already used to check you in" in text(again)
        opened = text(client.get(path_in))     # opened again: no button, what happened instead
        assert "You are already checked in" in opened and "Check me in now" not in opened
        auth.logout()
        fresh = code_path(client, auth, shift, "in")
        auth.login("vol")
        assert "You are already checked in" in text(client.post(fresh))
    assert len(events("signup.check_in", record)) == 1
    with timeutil.as_of(shift.start + timedelta(minutes=100)):
        auth.logout()
        path_out = code_path(client, auth, shift, "out")
        auth.login("vol")
        assert client.post(path_out).status_code == 302
        checked_out_at = reload(record).checked_out_at
        assert "This code was already used to check you out" in text(client.post(path_out))
        # The code expired long ago; a fresh check-in code does not check them back in.
        assert "This code has expired" in text(client.post(path_in))
        auth.logout()
        fresh = code_path(client, auth, shift, "in")
        auth.login("vol")
        assert "You are already checked in" in text(client.post(fresh))
    record = reload(record)
    assert record.status == SignUpStatus.checked_out and record.checked_out_at == checked_out_at
    assert len(events("signup.check_out", record)) == 1


def test_a_code_shared_by_the_shift_checks_in_each_volunteer_once(client, auth, world, shift):
    other = volunteer(world)
    second = add_sign_up(shift, other)
    db.session.commit()
    with timeutil.as_of(shift.start - timedelta(minutes=5)):
        path = code_path(client, auth, shift)
        auth.login("vol")
        assert client.post(path).status_code == 302
        auth.as_(other.user)
        assert client.post(path).status_code == 302
    assert reload(shift.sign_ups[0]).status == reload(second).status == SignUpStatus.checked_in


def test_someone_without_a_place_is_refused(client, auth, world, shift):
    waiting = volunteer(world)
    add_sign_up(shift, waiting, status=SignUpStatus.waitlisted)
    stranger = volunteer(world)
    db.session.commit()
    with timeutil.as_of(shift.start - timedelta(minutes=5)):
        path = code_path(client, auth, shift)
        for person in (waiting, stranger):
            auth.as_(person.user)
            response = client.post(path)
            assert response.status_code == 403
            assert "You have no place on this shift" in text(response)
        auth.as_(world["worker"])          # not a volunteer: the code is not for them
        assert client.post(path).status_code == 403
        auth.logout()
        assert client.get(path).status_code == 302    # sent to sign in first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp).where(
        SignUp.status == SignUpStatus.checked_in)) == 0


def test_only_those_who_run_the_shift_see_its_code(client, auth, world, shift):
    for username, status in (("worker", 200), ("orgadmin", 200), ("staff1", 200), ("vol", 403),
                             ("worker2", 403), ("staff3", 403)):
        auth.login(username)
        assert client.get(f"/shifts/{shift.id}/code/in").status_code == status, username
        auth.logout()


def test_the_lead_can_still_check_in_and_out_by_hand(client, auth, world, shift):
    record = shift.sign_ups[0]
    with timeutil.as_of(shift.start + timedelta(minutes=2)):
        path = code_path(client, auth, shift)
        auth.login("worker")
        assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in").status_code == 302
        auth.as_(world["vol"])
        assert "You are already checked in" in text(client.post(path))
    with timeutil.as_of(shift.end):
        auth.as_(world["worker"])
        assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out").status_code == 302
    record = reload(record)
    assert record.status == SignUpStatus.checked_out and record.minutes == 118 and record.check_in_code is None
    [check_in] = events("signup.check_in", record)
    [check_out] = events("signup.check_out", record)
    assert check_in.actor_id == check_out.actor_id == world["worker"].id
    assert check_in.after["by_code"] is check_out.after["by_code"] is False


def test_a_closed_shift_shows_no_code(client, auth, world, shift):
    from linkage.models import ShiftStatus
    shift.status = ShiftStatus.cancelled
    db.session.commit()
    auth.login("worker")
    response = client.get(f"/shifts/{shift.id}/code/out")
    assert response.status_code == 200 and "<svg" not in text(response)
    assert "This shift is closed" in text(response)


def test_a_check_out_code_before_checking_in_says_so(client, auth, world, shift):
    with timeutil.as_of(shift.start + timedelta(minutes=5)):
        path = code_path(client, auth, shift, "out")
        auth.login("vol")
        assert "Check me out now" in text(client.get(path))
        response = client.post(path)
        assert "You are not checked in yet: scan the check-in code first." in text(response)
    assert reload(shift.sign_ups[0]).status == SignUpStatus.assigned


def test_a_short_stay_asks_before_checking_out_with_the_hours_declined(client, auth, world, shift):
    record = shift.sign_ups[0]
    with timeutil.as_of(shift.start):
        path = code_path(client, auth, shift, "in")
        auth.login("vol")
        assert client.post(path).status_code == 302
    with timeutil.as_of(shift.start + timedelta(minutes=30)):
        auth.logout()
        path = code_path(client, auth, shift, "out")
        auth.login("vol")
        asked = client.post(path)
        assert "30 minutes will be recorded: less than 60 % of the shift" in text(asked)
        assert "Check out anyway" in text(asked)
        assert reload(record).status == SignUpStatus.checked_in
        assert client.post(path, data={"confirm_decline": "y"}).status_code == 302
    record = reload(record)
    assert record.status == SignUpStatus.checked_out and record.hours_status == HoursStatus.declined
