"""Volunteers in full: real-name registration with the ID number, a guardian's consent recorded by staff,
one-off changes to the weekly availability, travel distance and weekly hour limit."""
import os
import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.identifiers import compose_resident_id
from linkage.models import (AuditEvent, AvailabilityException, ExceptionKind, GuardianConsent, SignUp, User,
                            Volunteer)
from linkage.security import blind_index
from linkage.timeutil import LOCAL_TZ
from linkage.volunteers.services import CONSENTS
from tests.factories import set_born
from tests.web.test_shifts_support import count, project_shift, sign_up_as, sign_up_of, text, volunteer

PDF = b"%PDF-1.4\n% signed by the guardian\n%%EOF\n"


def years_ago(years: int, days: int = 40) -> date:
    today = date.today()
    return date(today.year - years, today.month, 1) - timedelta(days=days)


def registration(world, **changes):
    return {"role": "volunteer", "display_name": "Wang Xiaoming", "username": "xiaoming", "phone": "",
            "community": world.c1.id, "password": "long-enough-1", "confirm": "long-enough-1",
            "id_number": compose_resident_id("310101", date(1996, 8, 9), 13), **changes}


def stored_values(table: str) -> str:
    return " ".join(str(v) for row in db.session.execute(sa.text(f"SELECT * FROM {table}")) for v in row)


# --- real-name registration ---------------------------------------------------------------------------------

def test_a_volunteer_registers_under_their_id_number_and_the_birth_date_comes_from_it(client, world):
    number = compose_resident_id("310101", date(1996, 8, 9), 13)
    response = client.post("/auth/register", data=registration(world))
    assert response.status_code == 302, text(response)
    user = db.session.scalar(sa.select(User).where(User.username == "xiaoming"))
    person = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))
    assert person.birth_date == date(1996, 8, 9) and person.masked_id_number == "**************" + number[-4:]
    assert person.id_number_index == blind_index(number)
    assert number not in stored_values("volunteers") and "19960809" not in stored_values("volunteers")


@pytest.mark.parametrize("number,message", [
    ("", "Enter your resident ID number"),
    (compose_resident_id("310101", date(1996, 8, 9), 13)[:17] + "0",
     "The last character does not match the others"),
    ("31010119960809", "A resident ID number has exactly 18 characters."),
    (compose_resident_id("310101", years_ago(13), 13), "Volunteers must be at least 14 years old."),
])
def test_registration_refuses_a_missing_wrong_or_too_young_id_number(client, world, number, message):
    response = client.post("/auth/register", data=registration(world, id_number=number))
    assert response.status_code == 200 and message in text(response)
    assert db.session.scalar(sa.select(User).where(User.username == "xiaoming")) is None


def test_a_wrong_check_character_is_explained_in_chinese(client, world):
    bad = compose_resident_id("310101", date(1996, 8, 9), 13)[:17] + "0"
    response = client.post("/auth/register", data=registration(world, id_number=bad),
                           headers={"Accept-Language": "zh-CN"})
    assert "最后一位校验码与前 17 位不符" in text(response)


def test_a_second_registration_with_the_same_id_number_is_refused(client, world):
    number = compose_resident_id("310101", date(1996, 8, 9), 13)
    set_born(world.volunteer, None)
    world.volunteer.set_id_number(number)
    db.session.commit()
    response = client.post("/auth/register", data=registration(world, id_number=number))
    assert "already registered" in text(response)
    assert db.session.scalar(sa.select(User).where(User.username == "xiaoming")) is None


def test_the_profile_takes_the_id_number_shows_it_masked_and_keeps_it_when_left_empty(client, auth, world):
    from tests.web.test_volunteers import profile_form
    number = compose_resident_id("310101", date(1993, 2, 3), 44)
    auth.login("vol")
    assert client.post("/volunteers/profile", data=profile_form(world, id_number=number)).status_code == 302
    page = text(client.get("/volunteers/profile"))
    assert "**************" + number[-4:] in page and number not in page and "Birth date" not in page
    assert client.post("/volunteers/profile", data=profile_form(world, id_number="")).status_code == 302
    assert db.session.get(Volunteer, world.volunteer.id).birth_date == date(1993, 2, 3)


def test_a_volunteer_without_an_id_number_on_file_must_enter_one(client, auth, world):
    from tests.web.test_volunteers import profile_form
    set_born(world.volunteer, None)
    db.session.commit()
    auth.login("vol")
    response = client.post("/volunteers/profile", data=profile_form(world, id_number=""))
    assert response.status_code == 200 and "Enter your resident ID number" in text(response)


# --- a guardian's consent ------------------------------------------------------------------------------------

def consent_form(**changes):
    import io
    data = {"guardian_name": "Wang Li", "relation": "mother", "phone": "13900000008",
            "file": (io.BytesIO(PDF), "consent.pdf"), **changes}
    return data


def test_the_volunteer_has_no_consent_box_and_sees_whether_consent_is_recorded(client, auth, world):
    set_born(world.volunteer, years_ago(16))
    db.session.commit()
    auth.login("vol")
    page = text(client.get("/volunteers/profile"))
    assert 'name="guardian_consent"' not in page and "You are under 18" in page
    assert client.post("/volunteers/profile", data={"guardian_consent": "y"}).status_code == 200
    assert not db.session.get(Volunteer, world.volunteer.id).guardian_consent


@pytest.mark.parametrize("keeper", ["staff1", "worker"])
def test_staff_record_a_guardians_consent_with_the_signed_form_and_withdraw_it(app, client, auth, world, keeper):
    shift = project_shift(world)
    set_born(world.volunteer, years_ago(16))
    db.session.commit()
    # Without consent the one rule refuses the minor.
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "need a guardian's consent" in text(response).replace("&#39;", "'")
    auth.logout()
    auth.login(keeper)
    listing = text(client.get("/volunteers/minors"))
    assert "Chen Jing" in listing and "No consent on file" in listing
    response = client.post(f"/volunteers/{world.volunteer.id}/consent", data=consent_form(),
                           content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    consent = db.session.scalar(sa.select(GuardianConsent))
    assert (consent.guardian_name, consent.relation, consent.phone) == ("Wang Li", "mother", "13900000008")
    assert consent.recorded_by_id == world[keeper].id and consent.recorded_at is not None
    with open(os.path.join(app.instance_path, "uploads", CONSENTS, consent.stored_name), "rb") as handle:
        assert b"signed by the guardian" not in handle.read()       # encrypted on disk
    download = client.get(f"/volunteers/consents/{consent.id}/document")
    assert download.status_code == 200 and download.data == PDF
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.subject_type == "Volunteer")).all()
    assert {"volunteer.consent_record", "volunteer.consent_read"} <= set(actions)
    # The volunteer sees it and may now take a place.
    auth.logout()
    page = text(sign_up_as(client, auth, world.volunteer, shift))
    assert sign_up_of(shift, world.volunteer) is not None, page
    assert "Your guardian's consent is on file" in text(client.get("/volunteers/profile")).replace("&#39;", "'")
    # Withdrawn, it stays on record and the rule refuses again.
    auth.logout()
    auth.login(keeper)
    assert client.post(f"/volunteers/{world.volunteer.id}/consent/withdraw").status_code == 302
    db.session.expire_all()
    person = db.session.get(Volunteer, world.volunteer.id)
    assert person.consent is None and person.consents[0].withdrawn_by_id == world[keeper].id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.consent_withdraw"))
    assert "Earlier consents" in text(client.get(f"/volunteers/{world.volunteer.id}/consent"))


@pytest.mark.parametrize("changes,message", [
    ({"guardian_name": ""}, "Enter the guardian's full name."),
    ({"relation": ""}, "Enter how the guardian is related to the volunteer."),
    ({"file": None}, "Choose a file."),
    ({"file": ("exe", "consent.exe")}, "Files of this type are not accepted"),
])
def test_a_consent_needs_the_guardians_details_and_a_document(client, auth, world, changes, message):
    import io
    set_born(world.volunteer, years_ago(15))
    db.session.commit()
    auth.login("staff1")
    data = consent_form(**{k: v for k, v in changes.items() if k != "file"})
    if "file" in changes:
        data.pop("file")
        if changes["file"]:
            data["file"] = (io.BytesIO(b"MZ..."), changes["file"][1])
    response = client.post(f"/volunteers/{world.volunteer.id}/consent", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 200 and message in text(response).replace("&#39;", "'")
    assert count(GuardianConsent) == 0


def test_only_staff_of_the_area_keep_consents(client, auth, world):
    set_born(world.volunteer, years_ago(15))
    db.session.commit()
    auth.login("vol")
    assert client.get(f"/volunteers/{world.volunteer.id}/consent").status_code == 403
    auth.logout()
    auth.login("staff3")                       # another community's staff
    assert client.get(f"/volunteers/{world.volunteer.id}/consent").status_code == 404
    assert client.post(f"/volunteers/{world.volunteer.id}/consent", data=consent_form(),
                       content_type="multipart/form-data").status_code == 404
    assert "Chen Jing" not in text(client.get("/volunteers/minors"))
    assert count(GuardianConsent) == 0


def test_an_adult_needs_no_consent(client, auth, world):
    auth.login("staff1")
    response = client.post(f"/volunteers/{world.volunteer.id}/consent", data=consent_form(),
                           content_type="multipart/form-data")
    assert "not a minor" in text(response) and count(GuardianConsent) == 0


# --- one-off changes to availability -------------------------------------------------------------------------

def test_a_volunteer_adds_and_removes_days_away_and_extra_times(client, auth, world):
    day = date.today() + timedelta(days=10)
    auth.login("vol")
    response = client.post("/volunteers/profile/exceptions", data={"kind": "away", "day": day.isoformat()})
    assert response.status_code == 302, text(response)
    response = client.post("/volunteers/profile/exceptions", data={
        "kind": "extra", "day": (day + timedelta(days=1)).isoformat(), "start": "19:00", "end": "21:00"})
    assert response.status_code == 302, text(response)
    rows = db.session.scalars(sa.select(AvailabilityException).order_by(AvailabilityException.day)).all()
    assert [(r.kind, r.day, r.start_time, r.end_time) for r in rows] == [
        (ExceptionKind.away, day, None, None), (ExceptionKind.extra, day + timedelta(days=1), time(19), time(21))]
    page = text(client.get("/volunteers/profile"))
    assert "(whole day)" in page
    assert re.search(r"(19:00|7:00[\s\u202f]PM)–(21:00|9:00[\s\u202f]PM)", page), "the extra time, as the language writes it"
    assert client.post(f"/volunteers/profile/exceptions/{rows[0].id}/remove").status_code == 302
    assert count(AvailabilityException) == 1
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("volunteer.exception_add") == 2 and "volunteer.exception_remove" in actions


@pytest.mark.parametrize("data,message", [
    ({"kind": "away", "day": (date.today() - timedelta(days=1)).isoformat()}, "Choose today or a later date."),
    ({"kind": "away", "day": ""}, "Choose the date."),
    ({"kind": "away", "day": (date.today() + timedelta(days=3)).isoformat(), "start": "10:00", "end": "09:00"},
     "The end must be after the start."),
    ({"kind": "away", "day": (date.today() + timedelta(days=3)).isoformat(), "start": "10:00"},
     "Enter both the start and the end time, or neither for the whole day."),
    ({"kind": "extra", "day": (date.today() + timedelta(days=3)).isoformat()}, "Give the times you are free that day."),
])
def test_a_change_to_availability_is_checked(client, auth, world, data, message):
    auth.login("vol")
    response = client.post("/volunteers/profile/exceptions", data=data)
    assert response.status_code == 200 and message in text(response)
    assert count(AvailabilityException) == 0


def test_another_volunteers_change_cannot_be_removed(client, auth, world):
    other = volunteer(world, region=world.c3)
    other.exceptions.append(AvailabilityException(kind=ExceptionKind.away, day=date.today() + timedelta(days=3)))
    db.session.commit()
    auth.login("vol")
    assert client.post(f"/volunteers/profile/exceptions/{other.exceptions[0].id}/remove").status_code == 404
    assert count(AvailabilityException) == 1


def test_a_volunteer_away_that_day_cannot_sign_up(client, auth, world):
    shift = project_shift(world)
    local = shift.start.astimezone(LOCAL_TZ)
    world.volunteer.exceptions.append(AvailabilityException(kind=ExceptionKind.away, day=local.date()))
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "You marked yourself away on" in text(response)
    assert count(SignUp) == 0


# --- travel distance and weekly hour limit -------------------------------------------------------------------

def test_travel_distance_and_weekly_hours_are_editable_and_the_rule_holds_the_limit(client, auth, world):
    from tests.web.test_volunteers import profile_form
    auth.login("vol")
    assert client.post("/volunteers/profile", data=profile_form(world, max_travel_km="7.5", weekly_hours="1"),
                       ).status_code == 302
    person = db.session.get(Volunteer, world.volunteer.id)
    assert (person.max_travel_km, person.weekly_minutes_limit) == (7.5, 60)
    page = text(client.get("/volunteers/profile"))
    assert 'value="7.5"' in page and 'name="weekly_hours"' in page
    auth.logout()
    shift = project_shift(world, hours=2)
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "over your weekly limit of 1 hours" in text(response)
    assert count(SignUp) == 0


def test_the_audit_trail_puts_consents_and_days_away_into_words(client, auth, world):
    set_born(world.volunteer, years_ago(16))
    db.session.commit()
    auth.login("staff1")
    client.post(f"/volunteers/{world.volunteer.id}/consent", data=consent_form(), content_type="multipart/form-data")
    client.post(f"/volunteers/{world.volunteer.id}/consent/withdraw")
    auth.logout()
    auth.login("vol")
    client.post("/volunteers/profile/exceptions",
                data={"kind": "away", "day": (date.today() + timedelta(days=4)).isoformat()})
    auth.logout()
    auth.login("admin")
    page = text(client.get("/admin/audit"))
    for words in ("Guardian's consent recorded", "Guardian's consent withdrawn", "One-off change to availability added",
                  "Relation to the volunteer", "Away"):
        assert words in page.replace("&#39;", "'"), words
    assert "exception_kind" not in page and "consent_recorded_at" not in page
