"""The volunteer's calendar: a personal iCalendar feed at a secret URL (stable event UIDs, changes and
cancellations reflected, a new link ends the old), and one shift as an .ics after sign-up."""
from __future__ import annotations

import re
from datetime import timedelta, timezone
from urllib.parse import urlsplit

import icalendar
import pytest

from linkage.extensions import db
from linkage.models import ShiftStatus
from tests.web.test_shifts_support import add_sign_up, hour, project_shift, text, volunteer


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def feed_path(client, auth, user, new=True) -> str:
    """Make (or remake) the user's calendar link on the profile page; the path it shows."""
    auth.as_(user)
    if new:
        assert client.post("/volunteers/calendar/new").status_code == 302
    page = text(client.get("/volunteers/profile"))
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    auth.logout()
    return urlsplit(url).path


def events(response):
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def signed(world):
    shift = project_shift(world, start=hour(days=3, at=9), hours=2, title="Companionship visits")
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    return record


def test_the_feed_parses_with_stable_uids_and_utc_times(client, auth, world, signed):
    path = feed_path(client, auth, world["vol"])
    first = events(client.get(path))          # no log-in: calendar programs fetch it on their own
    [uid] = first
    event = first[uid]
    assert uid == f"signup-{signed.id}@linkage"
    assert str(event["summary"]) == "Companionship visits" and str(event["status"]) == "CONFIRMED"
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert start == signed.shift.start.astimezone(timezone.utc)
    assert event.decoded("dtend") == signed.shift.end
    assert "DTSTART:" in client.get(path).get_data(as_text=True).replace("\r\n", "\n")
    # Fetched again (and after other sign-ups), the event keeps its UID.
    add_sign_up(project_shift(world, start=hour(days=4)), world.volunteer)
    db.session.commit()
    again = events(client.get(path))
    assert uid in again and len(again) == 2


def test_a_change_raises_the_sequence_and_a_cancellation_shows_cancelled(client, auth, world, signed):
    path = feed_path(client, auth, world["vol"])
    before = events(client.get(path))[f"signup-{signed.id}@linkage"]
    auth.login("worker")
    response = client.post(f"/shifts/{signed.shift_id}/cancel", data={"reason": "Heavy rain"})
    assert response.status_code == 302
    auth.logout()
    after = events(client.get(path))[f"signup-{signed.id}@linkage"]
    assert str(after["status"]) == "CANCELLED"
    assert int(after["sequence"]) > int(before["sequence"])
    assert "Heavy rain" in str(after["description"])


def test_a_sign_up_given_up_shows_cancelled(client, auth, world, signed):
    path = feed_path(client, auth, world["vol"])
    auth.login("vol")
    assert client.post(f"/shifts/{signed.shift_id}/withdraw").status_code == 302
    auth.logout()
    event = events(client.get(path))[f"signup-{signed.id}@linkage"]
    assert str(event["status"]) == "CANCELLED"


def test_a_new_link_makes_the_old_url_404(client, auth, world, signed):
    old = feed_path(client, auth, world["vol"])
    assert client.get(old).status_code == 200
    new = feed_path(client, auth, world["vol"])
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/volunteers/calendar/" + "0" * 40 + ".ics").status_code == 404


def test_another_volunteers_link_shows_only_their_own_shifts(client, auth, world, signed):
    other = volunteer(world)
    theirs = add_sign_up(project_shift(world, start=hour(days=5), title="Meal service"), other)
    db.session.commit()
    mine, their_path = feed_path(client, auth, world["vol"]), feed_path(client, auth, other.user)
    assert set(events(client.get(their_path))) == {f"signup-{theirs.id}@linkage"}
    assert set(events(client.get(mine))) == {f"signup-{signed.id}@linkage"}
    assert "Companionship" not in client.get(their_path).get_data(as_text=True)


def test_the_feed_speaks_chinese_unless_the_volunteer_chose_otherwise(client, auth, world, signed):
    path = feed_path(client, auth, world["vol"])
    assert "我的志愿服务" in client.get(path).get_data(as_text=True)
    world["vol"].locale = "en"
    db.session.commit()
    assert "My volunteer shifts" in client.get(path).get_data(as_text=True)


def test_one_shift_as_an_ics_after_sign_up(client, auth, world, signed):
    auth.login("vol")
    page = text(client.get(f"/shifts/{signed.shift_id}"))
    assert f"/volunteers/shifts/{signed.shift_id}.ics" in page
    found = events(client.get(f"/volunteers/shifts/{signed.shift_id}.ics"))
    assert set(found) == {f"signup-{signed.id}@linkage"}
    other = project_shift(world, start=hour(days=6))
    db.session.commit()
    assert client.get(f"/volunteers/shifts/{other.id}.ics").status_code == 404
    auth.as_(world["vol3"])
    assert client.get(f"/volunteers/shifts/{signed.shift_id}.ics").status_code == 404


def test_the_profile_offers_a_link_only_after_asking(client, auth, world):
    auth.login("vol")
    page = text(client.get("/volunteers/profile"))
    assert "Make my calendar link" in page and ".ics" not in page
    assert world.volunteer.calendar_token_index is None
    client.post("/volunteers/calendar/new")
    db.session.refresh(world.volunteer)
    # Kept as a keyed index and ciphertext, never in clear.
    token = urlsplit(re.search(r'value="(http[^"]+\.ics)"', text(client.get("/volunteers/profile"))).group(1)).path
    token = token.rsplit("/", 1)[1][:-4]
    assert token not in (world.volunteer.calendar_token_index or "")
    assert token.encode() not in bytes(world.volunteer.calendar_token_encrypted)
