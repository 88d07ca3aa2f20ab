"""Volunteers' own pages: profile (skills, availability), my shifts, my hours and stars."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.identifiers import compose_resident_id
from linkage.models import AuditEvent, Availability, HoursStatus, SignUpStatus, Volunteer
from tests.web.test_shifts_support import add_sign_up, count, now, project_shift, text, volunteer


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


OTHER_ROLES = ["admin", "civil", "staff1", "orgadmin", "worker", "resident", "grid", "expert", "observer"]


def profile_form(world, **overrides):
    data = {
        "name": "Chen Jing", "phone": "13900000001", "id_number": compose_resident_id("310101", date(1995, 6, 1), 22),
        "community": world.c2.id,
        "latitude": "", "longitude": "", "max_travel_km": "3.5", "weekly_hours": "6",
        "skills": [world.elder_care.id],
        "availability-0-weekday": "0", "availability-0-start": "09:00", "availability-0-end": "12:00",
        "availability-1-weekday": "0", "availability-1-start": "14:00", "availability-1-end": "17:00",
        "availability-2-weekday": "5", "availability-2-start": "08:00", "availability-2-end": "18:00",
    }
    for i in range(3, 7):
        data.update({f"availability-{i}-weekday": "", f"availability-{i}-start": "", f"availability-{i}-end": ""})
    data.update(overrides)
    return data


def test_a_volunteer_edits_their_profile(client, auth, world):
    auth.login("vol")
    page = client.get("/volunteers/profile")
    assert page.status_code == 200 and 'value="Chen Jing"' in text(page)
    response = client.post("/volunteers/profile", data=profile_form(world))
    assert response.status_code == 302, text(response)
    person = db.session.get(Volunteer, world.volunteer.id)
    assert person.region_id == world.c2.id
    assert (person.latitude, person.longitude) == (world.c2.latitude, world.c2.longitude)
    assert person.phone == "13900000001" and person.birth_date == date(1995, 6, 1)
    assert person.max_travel_km == 3.5 and person.weekly_minutes_limit == 360
    assert {s.code for s in person.skills} == {"elder_care"}
    assert [(w.weekday, w.start_time, w.end_time) for w in person.availability] == [
        (0, time(9), time(12)), (0, time(14), time(17)), (5, time(8), time(18))]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.update"))
    assert event.subject_id == person.id and "skills" not in event.after   # unchanged: elder care only
    assert event.before["region_id"] == world.c1.id


def test_a_skill_that_needs_a_certificate_is_not_ticked_on_the_profile(client, auth, world):
    auth.login("vol")
    page = text(client.get("/volunteers/profile"))
    assert f'value="{world.elder_care.id}"' in page and f'name="skills" type="checkbox" value="{world.first_aid.id}"' not in page
    response = client.post("/volunteers/profile", data=profile_form(world, skills=[world.first_aid.id]))
    assert response.status_code == 200
    assert [s.code for s in db.session.get(Volunteer, world.volunteer.id).skills] == ["elder_care"]  # unchanged


def test_typed_coordinates_are_kept(client, auth, world):
    auth.login("vol")
    client.post("/volunteers/profile", data=profile_form(world, latitude="31.2", longitude="121.4"))
    person = db.session.get(Volunteer, world.volunteer.id)
    assert (person.latitude, person.longitude) == (31.2, 121.4)


def _age(years: int) -> str:
    today = date.today()
    return compose_resident_id("310101", date(today.year - years, 1, 1), 31)


@pytest.mark.parametrize("overrides,message", [
    ({"name": ""}, "Enter your name."),
    ({"phone": "12345"}, "Enter an 11-digit mainland mobile number."),
    ({"id_number": _age(13)}, "Volunteers must be at least 14 years old."),
    ({"id_number": "31010119950601002X"}, "The last character does not match the others"),
    ({"id_number": "3101011995"}, "A resident ID number has exactly 18 characters."),
    ({"latitude": "31.2"}, "Enter both latitude and longitude, or neither."),
    ({"max_travel_km": "0"}, "Enter a distance from 0.5 to 100 km."),
    ({"weekly_hours": "0"}, "Enter from 1 to 60 hours."),
    ({"weekly_hours": "many"}, "Not a valid integer value."),
    ({"availability-0-end": "08:00"}, "The end must be after the start."),
    ({"availability-1-start": "11:00"}, "Two windows on Monday overlap; merge them into one."),
    ({"availability-3-start": "10:00", "availability-3-end": "11:00"}, "Choose the day for this time."),
    ({"availability-3-weekday": "2"}, "Enter both the start and the end time."),
    ({"skills": [999999]}, "not a valid choice"),
    ({"community": "district"}, "Not a valid choice"),
])
def test_bad_profile_input_changes_nothing(client, auth, world, overrides, message):
    before = (world.volunteer.name, world.volunteer.region_id, count(Availability))
    if overrides.get("community") == "district":
        overrides = {"community": world.district.id}  # not a community
    auth.login("vol")
    response = client.post("/volunteers/profile", data=profile_form(world, **overrides))
    assert response.status_code == 200
    assert message in text(response).replace("&#39;", "'")
    person = db.session.get(Volunteer, world.volunteer.id)
    assert (person.name, person.region_id, count(Availability)) == before
    assert not db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.update"))


@pytest.mark.parametrize("username", OTHER_ROLES)
def test_only_volunteers_have_volunteer_pages(client, auth, world, username):
    auth.login(username)
    for url in ("/volunteers/profile", "/volunteers/shifts", "/volunteers/hours"):
        assert client.get(url).status_code == 403, url
    assert client.post("/volunteers/profile", data=profile_form(world)).status_code == 403


def test_my_shifts_lists_only_my_own_sign_ups(client, auth, world):
    soon = project_shift(world, title="Soon visit", slots=((None, 1),))
    add_sign_up(soon, volunteer(world, name="Someone Else"))
    add_sign_up(soon, world.volunteer, status=SignUpStatus.waitlisted)
    past = project_shift(world, title="Last week's visit", start=now() - timedelta(days=7))
    add_sign_up(past, world.volunteer, status=SignUpStatus.checked_out, minutes=120,
                hours_status=HoursStatus.approved)
    theirs = project_shift(world, title="Their own shift")
    add_sign_up(theirs, volunteer(world))
    db.session.commit()
    auth.login("vol")
    body = text(client.get("/volunteers/shifts"))
    assert "Soon visit" in body and "number 1 on the waiting list" in body
    assert "Last week&#39;s visit" in body and "Their own shift" not in body and "Someone Else" not in body
    assert f'action="/shifts/{soon.id}/withdraw"' in body and f'/shifts/{past.id}/withdraw' not in body


def test_my_shifts_is_empty_at_first(client, auth, world):
    auth.login("vol")
    body = text(client.get("/volunteers/shifts"))
    assert "You have no shifts coming up." in body and "/shifts/" in body


def test_hours_and_stars(client, auth, world):
    for minutes, status in ((5400, HoursStatus.approved), (600, HoursStatus.approved), (90, HoursStatus.pending),
                            (30, HoursStatus.declined)):
        shift = project_shift(world, start=now() - timedelta(days=30))
        add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_out, minutes=minutes, hours_status=status)
    db.session.commit()
    auth.login("vol")
    body = text(client.get("/volunteers/hours"))
    assert "100.0" in body and "1.5" in body            # confirmed 100 h, pending 1.5 h
    assert "★" in body and "★★" not in body             # 100 h: the first star
    assert "200.0 more hours to the next star" in body


def test_star_thresholds_are_a_setting(app, client, auth, world):
    app.config["STAR_THRESHOLDS_HOURS"] = [1, 2]
    shift = project_shift(world, start=now() - timedelta(days=3))
    add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_out, minutes=150,
                hours_status=HoursStatus.approved)
    db.session.commit()
    auth.login("vol")
    assert "The highest level." in text(client.get("/volunteers/hours"))


def test_hours_page_without_any_hours(client, auth, world):
    auth.login("vol")
    body = text(client.get("/volunteers/hours"))
    assert "No hours recorded yet." in body and "0.0" in body
