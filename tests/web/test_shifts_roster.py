"""Roster: check-in/out, minutes and the 60 % rule, no-shows, hours approval, closing a shift."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, HoursStatus, Shift, ShiftStatus, SignUp, SignUpStatus, Volunteer
from tests.factories import make_shift
from tests.web.test_shifts_support import (add_sign_up, audit_actions, local_field, notifications, now,
                                           project_shift, text, volunteer)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def started(world, minutes_ago=30, hours=2, **kwargs):
    """A project shift that started ``minutes_ago`` (whole minutes, so times compare exactly)."""
    start = (now() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    return project_shift(world, start=start, hours=hours, **kwargs)


def reload(record):
    return db.session.get(type(record), record.id)


@pytest.mark.parametrize("username,status", [
    ("worker", 200), ("orgadmin", 200), ("staff1", 200), ("admin", 200), ("worker2", 403), ("orgadmin2", 403),
    ("staff3", 403), ("vol", 403), ("civil", 403), ("observer", 403), ("resident", 403), ("grid", 403),
    ("expert", 403)])
def test_who_sees_the_roster(client, auth, world, username, status):
    shift = started(world)
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login(username)
    response = client.get(f"/shifts/{shift.id}/roster")
    assert response.status_code == status
    if status == 200:
        assert world.volunteer.name in text(response)
    else:
        for action in ("check-in", "check-out", "no-show"):
            assert client.post(f"/shifts/{shift.id}/roster/{record.id}/{action}").status_code == 403
        assert client.post(f"/shifts/{shift.id}/roster/hours", data={"sign_ups": record.id,
                                                                     "decision": "approve"}).status_code == 403
        assert client.post(f"/shifts/{shift.id}/close").status_code == 403
        assert reload(record).status == SignUpStatus.assigned


def test_a_sign_up_of_another_shift_is_404(client, auth, world):
    shift, other = started(world), started(world)
    record = add_sign_up(other, world.volunteer)
    db.session.commit()
    auth.login("worker")
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in").status_code == 404
    assert client.post(f"/shifts/{shift.id}/roster/999999/check-in").status_code == 404


def test_check_in_and_out_now_records_minutes_and_pending_hours(client, auth, world):
    shift = started(world, minutes_ago=5, hours=1)
    record = add_sign_up(shift, world.volunteer)
    shift.status = ShiftStatus.staffed
    db.session.commit()
    auth.login("worker")
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in").status_code == 302
    record = reload(record)
    assert record.status == SignUpStatus.checked_in and not record.hours_manual
    assert abs((record.checked_in_at - now()).total_seconds()) < 60
    assert reload(shift).status == ShiftStatus.under_way
    # A minute of a one-hour shift is less than 60 %: the roster asks before declining the hours.
    response = client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out")
    assert response.status_code == 200
    assert "0 minutes will be recorded: less than 60 % of the shift, so the hours will be declined." in text(response)
    assert "Check out and decline the hours" in text(response) and "Cancel: keep checked in" in text(response)
    assert reload(record).status == SignUpStatus.checked_in and not notifications(world["vol"])
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out",
                       data={"confirm_decline": "y"}).status_code == 302
    record = reload(record)
    assert record.status == SignUpStatus.checked_out and record.minutes == 0
    assert record.hours_status == HoursStatus.declined  # a minute of a one-hour shift: less than 60 %
    assert record.hours_note == "" and record.hours_decided_by_id is None  # the rule's words, not stored
    assert "Attended 0 of 60 minutes: too little for the hours to count." in text(client.get(f"/shifts/{shift.id}/roster"))
    assert audit_actions(record) == ["signup.check_in", "signup.check_out"]
    [message] = notifications(world["vol"], "hours_declined_short")
    assert message.params == {"title": shift.title, "minutes": 0, "percent": 60}


def test_check_out_before_the_shift_starts_is_refused(client, auth, world):
    shift = project_shift(world, start=(now() + timedelta(minutes=30)).replace(second=0, microsecond=0))
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in").status_code == 302
    page = text(client.get(f"/shifts/{shift.id}/roster"))
    assert "Check-out opens at the start." in page and "/check-out" not in page
    response = client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out", data={"confirm_decline": "y"})
    assert response.status_code == 200
    assert "The shift has not started yet: check-out is possible from its start" in text(response)
    record = reload(record)
    assert record.status == SignUpStatus.checked_in and record.minutes is None and record.hours_status is None
    assert audit_actions(record) == ["signup.check_in"] and not notifications(world["vol"])


def test_check_out_before_check_in_is_refused(client, auth, world):
    shift = started(world)
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out", data={"confirm_decline": "y"})
    assert response.status_code == 200 and "Only a checked-in volunteer can be checked out." in text(response)
    assert reload(record).status == SignUpStatus.assigned and audit_actions(record) == []


def test_a_check_out_that_keeps_the_hours_needs_no_confirmation(client, auth, world):
    shift = started(world, minutes_ago=100, hours=2)
    record = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_in, checked_in_at=shift.start)
    db.session.commit()
    auth.login("worker")
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out").status_code == 302
    record = reload(record)
    assert record.hours_status == HoursStatus.pending and 100 <= record.minutes <= 101
    assert not notifications(world["vol"])


@pytest.mark.parametrize("arrived_after,expected_status", [(48, HoursStatus.pending), (49, HoursStatus.declined),
                                                           (0, HoursStatus.pending)])
def test_hours_count_from_sixty_percent_of_the_shift(client, auth, world, arrived_after, expected_status):
    shift = started(world, minutes_ago=150, hours=2)  # ended half an hour ago
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    arrived = shift.start + timedelta(minutes=arrived_after)
    response = client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in", data={"at": local_field(arrived)})
    assert response.status_code == 302, text(response)
    left = shift.end + timedelta(minutes=20)   # stayed after the end: minutes are clipped to the shift
    data = {"at": local_field(left)}
    if expected_status == HoursStatus.declined:  # asked first, then confirmed
        assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out", data=data).status_code == 200
        assert reload(record).status == SignUpStatus.checked_in
        data["confirm_decline"] = "y"
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-out", data=data).status_code == 302
    record = reload(record)
    assert record.minutes == 120 - arrived_after and record.hours_status == expected_status
    assert record.hours_manual  # times entered by hand are marked
    assert record.checked_in_at == arrived and record.checked_out_at == left


@pytest.mark.parametrize("action,typed,message", [
    ("check-in", "in_future", "A check-in time cannot be in the future."),
    ("check-in", "long_before", "Enter a time between"),
    ("check-in", "nonsense", "Not a valid datetime value."),
    ("check-out", "before_in", "The check-out must be after the check-in"),
])
def test_bad_times_are_refused_and_kept(client, auth, world, action, typed, message):
    shift = started(world, minutes_ago=30)
    status = SignUpStatus.checked_in if action == "check-out" else SignUpStatus.assigned
    record = add_sign_up(shift, world.volunteer, status=status, slot=shift.slots[0],
                         checked_in_at=shift.start + timedelta(minutes=10) if action == "check-out" else None)
    db.session.commit()
    values = {"in_future": local_field(now() + timedelta(hours=1)),
              "long_before": local_field(shift.start - timedelta(hours=5)), "nonsense": "soon",
              "before_in": local_field(shift.start + timedelta(minutes=5))}
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/roster/{record.id}/{action}", data={"at": values[typed]})
    assert response.status_code == 200 and message in text(response)
    assert f'value="{values[typed]}"' in text(response)
    assert reload(record).status == status
    assert audit_actions(record) == []


def test_check_in_opens_an_hour_before_the_start(client, auth, world):
    shift = project_shift(world, start=now() + timedelta(hours=3))
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in", follow_redirects=True)
    assert "Check-in opens 60 minutes before the start." in text(response)
    assert reload(record).status == SignUpStatus.assigned


def test_only_assigned_volunteers_are_checked_in(client, auth, world):
    shift = started(world)
    waiting = add_sign_up(shift, world.volunteer, status=SignUpStatus.waitlisted)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/roster/{waiting.id}/check-in")
    assert response.status_code == 200 and "Only volunteers with a place can be checked in." in text(response)


def test_approving_and_declining_hours_one_by_one_and_in_bulk(client, auth, world):
    shift = started(world, minutes_ago=180)
    people = [volunteer(world) for _ in range(4)]
    entries = [add_sign_up(shift, person, status=SignUpStatus.checked_out, minutes=100,
                           hours_status=HoursStatus.pending) for person in people]
    done = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_out, minutes=10,
                       hours_status=HoursStatus.declined)
    db.session.commit()
    auth.login("worker")
    page = text(client.get(f"/shifts/{shift.id}/roster"))
    assert page.count('name="sign_ups"') == 4 * 2  # a checkbox and an approve button per pending entry
    # One by one.
    assert client.post(f"/shifts/{shift.id}/roster/hours",
                       data={"sign_ups": entries[0].id, "decision": "approve"}).status_code == 302
    assert reload(entries[0]).hours_status == HoursStatus.approved
    assert reload(entries[0]).hours_decided_by_id == world["worker"].id
    [message] = notifications(people[0].user, "hours_approved")
    assert message.params["hours"] == "1.7"
    # Declining needs a reason; nothing changes without one.
    response = client.post(f"/shifts/{shift.id}/roster/hours",
                           data={"sign_ups": [entries[1].id, entries[2].id], "decision": "decline", "reason": ""})
    assert response.status_code == 200 and "Give a reason for declining" in text(response)
    assert reload(entries[1]).hours_status == HoursStatus.pending
    # Entries already decided cannot be chosen.
    response = client.post(f"/shifts/{shift.id}/roster/hours", data={"sign_ups": [done.id], "decision": "approve"})
    assert response.status_code == 200 and reload(done).hours_status == HoursStatus.declined
    # In bulk.
    response = client.post(f"/shifts/{shift.id}/roster/hours", data={
        "sign_ups": [entries[1].id, entries[2].id], "decision": "decline", "reason": "Left early without notice"})
    assert response.status_code == 302
    for entry in entries[1:3]:
        entry = reload(entry)
        assert entry.hours_status == HoursStatus.declined and entry.hours_note == "Left early without notice"
    assert notifications(people[1].user, "hours_declined")[0].params["reason"] == "Left early without notice"
    assert client.post(f"/shifts/{shift.id}/roster/hours",
                       data={"sign_ups": [entries[3].id], "decision": "approve"}).status_code == 302
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("signup.hours_%"))).all()
    assert sorted(actions) == ["signup.hours_approve"] * 2 + ["signup.hours_decline"] * 2
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 5  # declined entries are kept


def test_no_shows_count_and_the_third_suspends_self_sign_up(client, auth, world):
    world.volunteer.no_show_count = 2
    shift = started(world)
    record = add_sign_up(shift, world.volunteer)
    early = project_shift(world, start=now() + timedelta(hours=5))
    not_yet = add_sign_up(early, volunteer(world))
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{early.id}/roster/{not_yet.id}/no-show", follow_redirects=True)
    assert "A no-show can be recorded once the shift has started." in text(response)
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/no-show").status_code == 302
    assert reload(record).status == SignUpStatus.no_show
    person = db.session.get(Volunteer, world.volunteer.id)
    assert person.no_show_count == 3
    assert 29 <= (person.self_signup_blocked_until - now()).days <= 30
    assert notifications(world["vol"], "signup_no_show") and notifications(world["vol"], "signup_blocked")
    assert audit_actions(record) == ["signup.no_show"] and audit_actions(person) == ["volunteer.block"]
    future = project_shift(world, start=now() + timedelta(days=2))
    db.session.commit()
    auth.as_(world["vol"])
    response = client.post(f"/shifts/{future.id}/sign-up", follow_redirects=True)
    assert "After repeated no-shows you cannot sign up by yourself" in text(response)


def test_no_show_settings_come_from_the_configuration(app, client, auth, world):
    app.config.update(NO_SHOW_LIMIT=1, NO_SHOW_BLOCK_DAYS=7)
    shift = started(world)
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    client.post(f"/shifts/{shift.id}/roster/{record.id}/no-show")
    blocked = db.session.get(Volunteer, world.volunteer.id).self_signup_blocked_until
    assert 6 <= (blocked - now()).days <= 7


def test_closing_defaults_missing_check_outs_to_the_planned_end(client, auth, world):
    shift = started(world, minutes_ago=150, hours=2)
    shift.status = ShiftStatus.under_way
    stayed = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_in, checked_in_at=shift.start)
    absent = add_sign_up(shift, volunteer(world))
    waiting = add_sign_up(shift, volunteer(world), status=SignUpStatus.waitlisted)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/close", follow_redirects=True)
    assert "Check in or mark as absent first: " in text(response) and absent.volunteer.name in text(response)
    assert reload(shift).status == ShiftStatus.under_way
    client.post(f"/shifts/{shift.id}/roster/{absent.id}/no-show")
    response = client.post(f"/shifts/{shift.id}/close", follow_redirects=True)
    assert "The shift was closed." in text(response) and "defaulted to the planned end" in text(response)
    stayed = reload(stayed)
    assert stayed.checked_out_at == shift.end and stayed.checkout_defaulted and stayed.minutes == 120
    assert stayed.hours_status == HoursStatus.pending
    assert reload(waiting).status == SignUpStatus.cancelled
    assert reload(shift).status == ShiftStatus.done
    assert "shift.close" in audit_actions(shift)
    assert client.post(f"/shifts/{shift.id}/close", follow_redirects=True).status_code == 200
    assert audit_actions(shift).count("shift.close") == 1


def test_closing_before_the_end_needs_everyone_checked_out(client, auth, world):
    shift = started(world, minutes_ago=30, hours=2)
    still = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_in, checked_in_at=shift.start)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/close", follow_redirects=True)
    assert "Before the planned end, check out everyone first" in text(response)
    client.post(f"/shifts/{shift.id}/roster/{still.id}/check-out", data={"confirm_decline": "y"})
    client.post(f"/shifts/{shift.id}/close")
    assert reload(shift).status == ShiftStatus.done
    assert not reload(still).checkout_defaulted


def test_a_future_shift_cannot_be_closed(client, auth, world):
    shift = project_shift(world)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/close", follow_redirects=True)
    assert "A shift can be closed once it has started." in text(response)


def test_community_staff_run_their_community_activity(client, auth, world):
    shift = make_shift(world.c1, start=(now() - timedelta(minutes=10)).replace(second=0, microsecond=0))
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("staff1")
    assert client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in").status_code == 302
    assert reload(record).status == SignUpStatus.checked_in
    auth.as_(world["staff3"])
    assert client.get(f"/shifts/{shift.id}/roster").status_code == 403


def test_the_shift_moves_through_its_statuses(client, auth, world):
    shift = project_shift(world, slots=((None, 2),), min_volunteers=2)
    db.session.commit()
    for person in (world.volunteer, volunteer(world)):
        db.session.commit()
        auth.as_(person.user)
        client.post(f"/shifts/{shift.id}/sign-up")
        expected = ShiftStatus.open if person is world.volunteer else ShiftStatus.staffed
        assert reload(shift).status == expected
    shift = reload(shift)
    # The day comes.
    shift.start, shift.end = now() - timedelta(minutes=90), now() - timedelta(minutes=1)
    db.session.commit()
    auth.as_(world["worker"])
    for record in db.session.scalars(sa.select(SignUp).where(SignUp.shift_id == shift.id)).all():
        client.post(f"/shifts/{shift.id}/roster/{record.id}/check-in",
                    data={"at": local_field(shift.start + timedelta(minutes=1))})
        assert reload(shift).status == ShiftStatus.under_way
    client.post(f"/shifts/{shift.id}/close")
    assert db.session.get(Shift, shift.id).status == ShiftStatus.done
