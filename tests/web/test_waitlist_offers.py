"""Waiting-list offers: a freed place is held for the next person, who accepts or declines before a deadline
(WAITLIST_OFFER_HOURS, never past the start), is reminded once before it expires, else it passes on; leaving
the waiting list oneself; giving up a place until the cut-off (CANCEL_CUTOFF_HOURS). The clock is set with
``linkage.timeutil.as_of``."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Shift, ShiftStatus, SignUp, SignUpStatus
from linkage.shifts import offers, places
from linkage.timeutil import as_of
from tests.web.test_shifts_support import (add_sign_up, audit_actions, hour, notifications, project_shift, sign_up_as,
                                           sign_up_of, text, volunteer)


def full_shift(world, *, start=None, waiting=2):
    """One place, held by ``world.volunteer`` ("vol"), and ``waiting`` volunteers on the waiting list in order."""
    shift = project_shift(world, slots=((None, 1),), start=start or hour(days=3))
    holder = add_sign_up(shift, world.volunteer)
    queue = []
    for _ in range(waiting):
        person = volunteer(world)
        queue.append((person, add_sign_up(shift, person, status=SignUpStatus.waitlisted)))
    db.session.commit()
    return shift, holder, queue


def fresh(record: SignUp) -> SignUp:
    db.session.expire_all()
    return db.session.get(SignUp, record.id)


def test_a_freed_place_is_offered_to_the_next_in_line_and_held_for_them(client, auth, world):
    shift, holder, [(first, first_entry), (second, second_entry)] = full_shift(world)
    auth.login("vol")
    response = client.post(f"/shifts/{shift.id}/withdraw", follow_redirects=True)
    assert "place given to the next volunteer" in text(response)
    offer = fresh(first_entry)
    assert offer.status == SignUpStatus.offered
    # Twelve hours by default (the clock of the request: a minute of slack).
    assert abs(offer.offer_expires_at - (places.utcnow() + timedelta(hours=12))) < timedelta(minutes=1)
    assert fresh(second_entry).status == SignUpStatus.waitlisted
    [message] = notifications(first.user, "waitlist_offer")
    assert (message.link_endpoint, message.link_args) == ("shifts.offer", {"shift_id": shift.id})
    assert message.params["title"] == shift.title and "deadline" in message.params
    assert audit_actions(offer)[-1] == "signup.offer"
    # The offered place is not free for anyone else: a newcomer joins the waiting list.
    newcomer = volunteer(world)
    db.session.commit()
    sign_up_as(client, auth, newcomer, shift)
    assert sign_up_of(shift, newcomer).status == SignUpStatus.waitlisted
    # The offer page names the deadline and has both buttons; the shift page too.
    auth.as_(first.user)
    page = text(client.get(f"/shifts/{shift.id}/offer?answer=accept"))
    assert "Accept the place" in page and "Decline the place" in page and "autofocus" in page
    assert "Accept the place" in text(client.get(f"/shifts/{shift.id}"))
    assert "Accept the place" in text(client.get("/volunteers/shifts"))


def test_accepting_an_offer_gives_the_place(client, auth, world):
    shift, holder, [(first, first_entry), _second] = full_shift(world)
    places.cancel_sign_up(holder, actor=world.volunteer.user)
    db.session.commit()
    assert db.session.get(Shift, shift.id).status == ShiftStatus.open   # an offer does not staff the shift
    auth.as_(first.user)
    response = client.post(f"/shifts/{shift.id}/offer/accept", follow_redirects=True)
    assert "You have a place on this shift" in text(response)
    record = fresh(first_entry)
    assert record.status == SignUpStatus.assigned and record.offer_expires_at is None
    assert db.session.get(Shift, shift.id).status == ShiftStatus.staffed
    assert audit_actions(record)[-1] == "signup.accept_offer"
    # Answered: a second answer is refused.
    response = client.post(f"/shifts/{shift.id}/offer/decline", follow_redirects=True)
    assert "no longer open" in text(response)
    assert fresh(first_entry).status == SignUpStatus.assigned


def test_declining_passes_the_offer_to_the_next_person(client, auth, world):
    shift, holder, [(first, first_entry), (second, second_entry)] = full_shift(world)
    places.cancel_sign_up(holder, actor=world.volunteer.user)
    db.session.commit()
    auth.as_(first.user)
    response = client.post(f"/shifts/{shift.id}/offer/decline", data={"next": "my_shifts"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/volunteers/shifts")
    assert fresh(first_entry).status == SignUpStatus.cancelled
    assert fresh(second_entry).status == SignUpStatus.offered
    assert notifications(second.user, "waitlist_offer")
    assert audit_actions(fresh(first_entry))[-1] == "signup.decline_offer"


def test_an_unanswered_offer_expires_and_passes_on(app, client, auth, world):
    shift, holder, [(first, first_entry), (second, second_entry)] = full_shift(world)
    start = places.utcnow()
    with as_of(start):
        places.cancel_sign_up(holder, actor=world.volunteer.user)
        db.session.commit()
    deadline = fresh(first_entry).offer_expires_at
    assert deadline == start + timedelta(hours=12)
    with as_of(deadline - timedelta(minutes=1)):
        assert offers.process() == (0, 1)          # reminded (two hours before), not expired
    # Accepting after the deadline, before the job passed it on, is refused in words.
    auth.as_(first.user)
    with as_of(deadline + timedelta(minutes=1)):
        response = client.post(f"/shifts/{shift.id}/offer/accept", follow_redirects=True)
        assert "This offer expired at" in text(response)
        assert fresh(first_entry).status == SignUpStatus.offered
        assert "The time to accept this place ended" in text(client.get(f"/shifts/{shift.id}/offer"))
        assert offers.process() == (1, 0)
    assert fresh(first_entry).status == SignUpStatus.cancelled
    assert notifications(first.user, "waitlist_offer_expired")
    second_offer = fresh(second_entry)
    assert second_offer.status == SignUpStatus.offered
    assert second_offer.offer_expires_at == deadline + timedelta(minutes=1, hours=12)
    assert audit_actions(fresh(first_entry))[-1] == "signup.offer_expire"
    with as_of(deadline + timedelta(minutes=1)):
        response = client.post(f"/shifts/{shift.id}/offer/accept", follow_redirects=True)
        assert "no longer open" in text(response)
    # Nobody left: the last offer expires and the place is simply free again.
    with as_of(second_offer.offer_expires_at):
        assert offers.process() == (1, 0)
    assert fresh(second_entry).status == SignUpStatus.cancelled
    assert places.slot_fill(db.session.get(Shift, shift.id)) == {}


def test_the_reminder_is_sent_once_and_only_inside_its_window(app, world):
    shift, holder, [(first, first_entry), _second] = full_shift(world)
    places.cancel_sign_up(holder, actor=world.volunteer.user)
    db.session.commit()
    deadline = fresh(first_entry).offer_expires_at
    with as_of(deadline - timedelta(hours=3)):
        assert offers.process() == (0, 0)
    with as_of(deadline - timedelta(hours=2)):
        assert offers.process() == (0, 1)
    with as_of(deadline - timedelta(hours=1)):
        assert offers.process() == (0, 0)
    [reminder] = notifications(first.user, "waitlist_offer_reminder")
    assert (reminder.link_endpoint, reminder.link_args) == ("shifts.offer", {"shift_id": shift.id})
    app.config.update(WAITLIST_REMINDER_HOURS=0)
    entry = fresh(first_entry)
    entry.offer_reminded_at = None
    db.session.commit()
    with as_of(deadline - timedelta(minutes=5)):
        assert offers.process() == (0, 0)


def test_the_deadline_never_passes_the_start(app, world):
    start = places.utcnow().replace(microsecond=0) + timedelta(hours=5)
    shift, holder, [(first, first_entry)] = full_shift(world, start=start, waiting=1)
    app.config.update(CANCEL_CUTOFF_HOURS=1)
    places.cancel_sign_up(holder, actor=world.volunteer.user)
    db.session.commit()
    assert fresh(first_entry).offer_expires_at == start


def test_the_command_expires_offers(app, world):
    shift, holder, [(first, first_entry), _second] = full_shift(world)
    places.cancel_sign_up(holder, actor=world.volunteer.user)
    db.session.commit()
    deadline = fresh(first_entry).offer_expires_at
    with as_of(deadline + timedelta(seconds=1)):
        result = app.test_cli_runner().invoke(args=["waitlist", "expire"])
    assert result.exit_code == 0 and "1 offer expired" in result.output
    assert fresh(first_entry).status == SignUpStatus.cancelled


def test_the_schedule_runs_the_offer_job():
    from linkage import jobs

    assert ("linkage.shifts.offers.run", "WAITLIST_INTERVAL_SECONDS") in jobs.SCHEDULE


def test_a_volunteer_leaves_the_waiting_list(client, auth, world):
    shift, holder, [(first, first_entry), (second, second_entry)] = full_shift(world)
    auth.as_(first.user)
    assert "Leave the waiting list" in text(client.get(f"/shifts/{shift.id}"))
    assert "Leave the waiting list" in text(client.get("/volunteers/shifts"))
    response = client.post(f"/shifts/{shift.id}/withdraw", data={"next": "my_shifts"}, follow_redirects=True)
    assert "You left the waiting list." in text(response)
    assert fresh(first_entry).status == SignUpStatus.cancelled
    # Leaving frees no place: the holder keeps it and the next in line still waits.
    assert fresh(holder).status == SignUpStatus.assigned
    assert fresh(second_entry).status == SignUpStatus.waitlisted
    # Signing up again queues at the end.
    response = client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "number 2 on the waiting list" in text(response)


def test_a_place_can_be_given_up_until_the_cut_off(app, client, auth, world):
    start = hour(days=2)
    shift, holder, _queue = full_shift(world, start=start, waiting=0)
    auth.login("vol")
    with as_of(start - timedelta(hours=2, minutes=1)):     # default cut-off: two hours before
        assert "You can give up your place here until" in text(client.get(f"/shifts/{shift.id}"))
    with as_of(start - timedelta(hours=1, minutes=59)):
        page = text(client.get(f"/shifts/{shift.id}"))
        assert "It is too late to give up your place here" in page and "Cancel my sign-up" not in page
        response = client.post(f"/shifts/{shift.id}/withdraw", follow_redirects=True)
        assert "it is too late now, so please tell the lead" in text(response)
        assert fresh(holder).status == SignUpStatus.assigned
    app.config.update(CANCEL_CUTOFF_HOURS=1)
    with as_of(start - timedelta(hours=1, minutes=59)):
        client.post(f"/shifts/{shift.id}/withdraw")
    assert fresh(holder).status == SignUpStatus.cancelled


def test_the_waiting_list_can_be_left_after_the_cut_off(client, auth, world):
    start = hour(days=2)
    shift, holder, [(first, first_entry)] = full_shift(world, start=start, waiting=1)
    auth.as_(first.user)
    with as_of(start - timedelta(minutes=30)):
        client.post(f"/shifts/{shift.id}/withdraw")
    assert fresh(first_entry).status == SignUpStatus.cancelled


def test_only_the_offered_volunteer_answers(client, auth, world):
    shift, holder, [(first, first_entry), (second, second_entry)] = full_shift(world)
    places.cancel_sign_up(holder, actor=world.volunteer.user)
    db.session.commit()
    auth.as_(second.user)     # waiting, not offered
    response = client.post(f"/shifts/{shift.id}/offer/accept", follow_redirects=True)
    assert "no longer open" in text(response)
    assert fresh(second_entry).status == SignUpStatus.waitlisted
    assert fresh(first_entry).status == SignUpStatus.offered
    auth.logout()
    auth.login("vol3")        # no sign-up on this shift
    assert client.post(f"/shifts/{shift.id}/offer/accept").status_code == 404
    assert client.get(f"/shifts/{shift.id}/offer").status_code == 404
    auth.logout()
    auth.login("worker")
    assert client.post(f"/shifts/{shift.id}/offer/accept").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
        SignUp.shift_id == shift.id, SignUp.status == SignUpStatus.assigned)) == 0
