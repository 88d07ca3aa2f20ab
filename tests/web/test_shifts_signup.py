"""Sign-up through the web: places, waiting list, qualification gating, refusals, cancel and promotion."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, Shift, ShiftStatus, SignUp, SignUpStatus, VolunteerStatus
from linkage.timeutil import to_local
from tests.factories import make_shift, set_born
from tests.web.test_shifts_support import (add_sign_up, audit_actions, count, hour, notifications, now,
                                           project_shift, sign_up_as, sign_up_of, text, volunteer)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def test_a_volunteer_takes_a_place(client, auth, world):
    shift = project_shift(world, slots=((None, 2),), min_volunteers=1)
    version = shift.version
    db.session.commit()
    auth.login("vol")
    response = client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "You have a place on this shift." in text(response)
    record = sign_up_of(shift, world.volunteer)
    assert record.status == SignUpStatus.assigned and record.slot_id == shift.slots[0].id
    db.session.refresh(shift)
    assert shift.version == version + 1 and shift.status == ShiftStatus.staffed
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "signup.create"))
    assert event.subject_id == record.id and event.after["status"] == "assigned"
    assert event.after["shift_status"] == "staffed" and event.region_id == shift.region_id
    assert notifications(world["vol"]) == []  # they did it themselves: a flash, no message
    assert "1 place left" in text(client.get(f"/shifts/{shift.id}"))


def test_a_full_shift_says_so_and_puts_people_on_the_waiting_list(client, auth, world):
    shift = project_shift(world, slots=((None, 1),))
    add_sign_up(shift, volunteer(world))
    second, third = volunteer(world), volunteer(world)
    db.session.commit()
    response = sign_up_as(client, auth, second, shift)
    assert "This shift is full; you are number 1 on the waiting list." in text(response)
    response = sign_up_as(client, auth, third, shift)
    assert "This shift is full; you are number 2 on the waiting list." in text(response)
    assert "You are number 2 on the waiting list." in text(client.get(f"/shifts/{shift.id}"))
    assert sign_up_of(shift, third).status == SignUpStatus.waitlisted
    assert count(SignUp) == 3


def test_a_double_click_is_refused_politely(client, auth, world):
    shift = project_shift(world)
    db.session.commit()
    auth.login("vol")
    client.post(f"/shifts/{shift.id}/sign-up")
    response = client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "You have already signed up for this shift." in text(response)
    assert count(SignUp) == 1


def test_the_database_refuses_a_second_sign_up_for_the_same_shift(app, world):
    shift = project_shift(world)
    add_sign_up(shift, world.volunteer)
    db.session.commit()
    db.session.add(SignUp(shift_id=shift.id, volunteer_id=world.volunteer.id, status=SignUpStatus.waitlisted))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_slots_accept_only_volunteers_holding_the_skill(client, auth, world):
    shift = project_shift(world, slots=((world.first_aid, 2),))
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "This shift needs a certificate a social worker has approved: First aid." in text(response)
    assert count(SignUp) == 0
    medic = volunteer(world, skills=[world.first_aid])
    db.session.commit()
    sign_up_as(client, auth, medic, shift)
    assert sign_up_of(shift, medic).status == SignUpStatus.assigned


def test_skilled_volunteers_take_their_skill_slot_before_anyone_places(client, auth, world):
    shift = project_shift(world, slots=((None, 1), (world.elder_care, 1)))
    carer, carer2, plain = (volunteer(world, skills=[world.elder_care]), volunteer(world, skills=[world.elder_care]),
                            volunteer(world))
    late = volunteer(world)
    db.session.commit()
    anyone_slot, care_slot = shift.slots
    sign_up_as(client, auth, carer, shift)
    assert sign_up_of(shift, carer).slot_id == care_slot.id
    sign_up_as(client, auth, carer2, shift)
    assert sign_up_of(shift, carer2).slot_id == anyone_slot.id  # the care slot is taken: the anyone slot
    response = sign_up_as(client, auth, plain, shift)
    assert sign_up_of(shift, plain).status == SignUpStatus.waitlisted
    assert "number 1 on the waiting list" in text(response)
    assert sign_up_of(shift, late) is None


def test_an_unskilled_volunteer_waits_when_only_skilled_places_are_left(client, auth, world):
    shift = project_shift(world, slots=((None, 1), (world.elder_care, 1)))
    add_sign_up(shift, volunteer(world), slot=shift.slots[0])
    plain = volunteer(world)
    db.session.commit()
    sign_up_as(client, auth, plain, shift)
    assert sign_up_of(shift, plain).status == SignUpStatus.waitlisted


def test_overlapping_shifts_are_refused(client, auth, world):
    first = project_shift(world, title="Morning visits", start=hour(days=4, at=9), hours=3)
    second = project_shift(world, title="Late morning", start=hour(days=4, at=11), hours=2)
    noon = project_shift(world, title="Noon", start=hour(days=4, at=12), hours=1)
    later = project_shift(world, title="Afternoon", start=hour(days=4, at=12) + timedelta(minutes=30), hours=2)
    add_sign_up(first, world.volunteer)
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, second)
    assert "You already have a place on \"Morning visits\" at that time" in text(response).replace("&#34;", '"')
    assert sign_up_of(second, world.volunteer) is None
    # 12:00 starts when the first ends: no overlap, but less than the rest between shifts.
    response = sign_up_as(client, auth, world.volunteer, noon)
    assert "shifts must be at least 30 minutes apart" in text(response)
    assert sign_up_of(noon, world.volunteer) is None
    sign_up_as(client, auth, world.volunteer, later)  # 12:30: the rest is kept
    assert sign_up_of(later, world.volunteer).status == SignUpStatus.assigned


def test_the_weekly_hour_limit_is_respected(client, auth, world):
    world.volunteer.weekly_minutes_limit = 180
    monday = hour(days=7 - to_local(now()).weekday() + 7, at=9)
    booked = project_shift(world, title="Monday", start=monday, hours=2)
    same_week = project_shift(world, title="Wednesday", start=monday + timedelta(days=2), hours=2)
    next_week = project_shift(world, title="Next Monday", start=monday + timedelta(days=7), hours=2)
    add_sign_up(booked, world.volunteer)
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, same_week)
    assert "over your weekly limit of 3 hours (2 hours already booked that week)" in text(response)
    assert sign_up_of(same_week, world.volunteer) is None
    sign_up_as(client, auth, world.volunteer, next_week)
    assert sign_up_of(next_week, world.volunteer).status == SignUpStatus.assigned


@pytest.mark.parametrize("change,message", [
    ({"user_status": AccountStatus.pending}, "must be verified by staff"),
    ({"status": VolunteerStatus.suspended}, "volunteer account is suspended"),
    ({"self_signup_blocked_until": "future"}, "After repeated no-shows you cannot sign up by yourself until"),
    ({"birth_date": None}, "Enter your ID number in your profile first"),
    ({"birth_date": "age13"}, "Volunteers must be at least 14 years old."),
    ({"birth_date": "age16"}, "need a guardian's consent"),
])
def test_who_may_not_sign_up(client, auth, world, change, message):
    shift = project_shift(world)
    record = volunteer(world)
    years = {"age13": 13, "age16": 16}
    for key, value in change.items():
        if key == "user_status":
            record.user.status = value
        elif value == "future":
            setattr(record, key, now() + timedelta(days=5))
        elif value in years:
            set_born(record, date(date.today().year - years[value], 1, 1))
        elif key == "birth_date":
            set_born(record, value)
        else:
            setattr(record, key, value)
    db.session.commit()
    response = sign_up_as(client, auth, record, shift)
    assert message in text(response).replace("&#39;", "'")
    assert count(SignUp) == 0


def test_minors_with_a_guardians_consent_may_sign_up(client, auth, world):
    shift = project_shift(world)
    minor = volunteer(world, birth_date=date(date.today().year - 16, 1, 1), guardian_consent=True)
    db.session.commit()
    sign_up_as(client, auth, minor, shift)
    assert sign_up_of(shift, minor).status == SignUpStatus.assigned


@pytest.mark.parametrize("state", ["cancelled", "started", "done"])
def test_closed_shifts_take_no_sign_ups(client, auth, world, state):
    shift = project_shift(world, start=now() - timedelta(minutes=5) if state == "started" else None)
    if state != "started":
        shift.status = ShiftStatus(state)
    db.session.commit()
    add = sign_up_as(client, auth, world.volunteer, shift)
    assert add.status_code in (200, 403)
    assert count(SignUp) == 0


def test_match_run_shifts_record_requests(client, auth, world):
    shift = project_shift(world, first_come=False, slots=((None, 1),))
    add_sign_up(shift, volunteer(world), status=SignUpStatus.requested)
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "Your request was recorded; a match run decides" in text(response)
    assert sign_up_of(shift, world.volunteer).status == SignUpStatus.requested
    assert "2 requests" in text(client.get(f"/shifts/{shift.id}"))


@pytest.mark.parametrize("username", ["worker", "staff1", "civil", "resident", "admin"])
def test_only_volunteers_sign_up(client, auth, world, username):
    shift = project_shift(world)
    db.session.commit()
    auth.login(username)
    assert client.post(f"/shifts/{shift.id}/sign-up").status_code == 403
    assert count(SignUp) == 0


def test_a_volunteer_from_another_street_cannot_sign_up(client, auth, world):
    shift = project_shift(world)
    db.session.commit()
    auth.login("vol3")
    assert client.post(f"/shifts/{shift.id}/sign-up").status_code == 403
    assert client.post("/shifts/999999/sign-up").status_code == 404


# --- cancelling a sign-up -----------------------------------------------------------------------------

def test_cancelling_frees_the_place_for_the_first_waiting_volunteer_who_qualifies(client, auth, world):
    shift = project_shift(world, slots=((world.elder_care, 1),))
    mine = add_sign_up(shift, world.volunteer)
    unskilled = volunteer(world)
    add_sign_up(shift, unskilled, status=SignUpStatus.waitlisted)    # first in line, lacks the skill
    carer = volunteer(world, skills=[world.elder_care])
    queued = add_sign_up(shift, carer, status=SignUpStatus.waitlisted)
    version = shift.version
    db.session.commit()
    auth.login("vol")
    response = client.post(f"/shifts/{shift.id}/withdraw", data={"next": "my_shifts"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/volunteers/shifts")
    assert db.session.get(SignUp, mine.id).status == SignUpStatus.cancelled
    assert db.session.get(SignUp, queued.id).status == SignUpStatus.offered
    assert sign_up_of(shift, unskilled).status == SignUpStatus.waitlisted
    [message] = notifications(carer.user, "waitlist_offer")
    assert message.params["title"] == shift.title
    assert (message.link_endpoint, message.link_args) == ("shifts.offer", {"shift_id": shift.id})
    assert notifications(world["worker"], "signup_cancelled")[0].params["name"] == world.volunteer.name
    assert audit_actions(mine) == ["signup.cancel"] and audit_actions(queued) == ["signup.offer"]
    assert db.session.get(Shift, shift.id).version > version


def test_the_offer_skips_a_waiting_volunteer_who_now_has_a_clash(client, auth, world):
    shift = project_shift(world, slots=((None, 1),))
    add_sign_up(shift, world.volunteer)
    busy = volunteer(world)
    add_sign_up(shift, busy, status=SignUpStatus.waitlisted)
    clash = project_shift(world, title="Clash", start=shift.start)
    add_sign_up(clash, busy)
    free = volunteer(world)
    add_sign_up(shift, free, status=SignUpStatus.waitlisted)
    db.session.commit()
    auth.login("vol")
    client.post(f"/shifts/{shift.id}/withdraw")
    assert sign_up_of(shift, busy).status == SignUpStatus.waitlisted
    assert sign_up_of(shift, free).status == SignUpStatus.offered


def test_cancelling_below_the_minimum_reopens_the_shift(client, auth, world):
    shift = project_shift(world, slots=((None, 3),), min_volunteers=1)
    add_sign_up(shift, world.volunteer)
    shift.status = ShiftStatus.staffed
    db.session.commit()
    auth.login("vol")
    client.post(f"/shifts/{shift.id}/withdraw")
    assert db.session.get(Shift, shift.id).status == ShiftStatus.open


def test_no_cancelling_after_the_start(client, auth, world):
    shift = project_shift(world, start=now() - timedelta(minutes=10))
    mine = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("vol")
    response = client.post(f"/shifts/{shift.id}/withdraw", follow_redirects=True)
    assert "The shift has started; tell the lead instead." in text(response)
    assert db.session.get(SignUp, mine.id).status == SignUpStatus.assigned


def test_a_volunteer_cannot_cancel_someone_elses_sign_up(client, auth, world):
    shift = project_shift(world)
    other = add_sign_up(shift, volunteer(world))
    db.session.commit()
    auth.login("vol")
    assert client.post(f"/shifts/{shift.id}/withdraw").status_code == 404
    auth.as_(world["worker"])
    assert client.post(f"/shifts/{shift.id}/withdraw").status_code == 403
    assert db.session.get(SignUp, other.id).status == SignUpStatus.assigned


def test_signing_up_again_after_cancelling_queues_afresh(client, auth, world):
    shift = project_shift(world, slots=((None, 1),))
    mine = add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("vol")
    client.post(f"/shifts/{shift.id}/withdraw")
    first = volunteer(world)
    db.session.commit()
    sign_up_as(client, auth, first, shift)
    other = volunteer(world)
    db.session.commit()
    sign_up_as(client, auth, other, shift)
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "number 2 on the waiting list" in text(response)
    assert db.session.get(SignUp, mine.id).status == SignUpStatus.waitlisted
    assert count(SignUp) == 3


def test_make_shift_default_community_activity_lists_for_staff(client, auth, world):
    make_shift(world.c1, title="Community tea")
    db.session.commit()
    auth.login("staff1")
    assert "Community tea" in text(client.get("/shifts/"))
