"""A volunteer's shift search: date, distance from home, skill, urgency, and by default only the shifts the
eligibility rule lets them take (clashes with places held included); sorted by start, paged after the rule.
Staff keep their list with the date, skill and urgency filters."""
from __future__ import annotations

from datetime import timedelta

import pytest

from linkage.extensions import db
from linkage.shifts import queries
from linkage.timeutil import LOCAL_TZ
from tests.web.test_shifts_support import add_sign_up, hour, project_shift, text


def titles(client, query="") -> list[str]:
    """The shift titles the list shows, in order."""
    body = text(client.get(f"/shifts/?{query}"))
    return sorted((t for t in ALL if f">{t}<" in body), key=lambda t: body.index(f">{t}<"))


ALL = ["Near visit", "Far visit", "Urgent visit", "First aid post", "My place", "Clashing visit", "Unplaced visit"]


@pytest.fixture
def street(world):
    """Shifts of the volunteer's street (she lives at c1's location) on different days."""
    vol = world.volunteer
    near = project_shift(world, title="Near visit", start=hour(days=2))
    far = project_shift(world, title="Far visit", start=hour(days=3))
    far.latitude, far.longitude = vol.latitude + 0.1, vol.longitude   # about 11 km north
    urgent = project_shift(world, title="Urgent visit", start=hour(days=4))
    urgent.urgency = 4
    aid = project_shift(world, title="First aid post", start=hour(days=5), slots=((world.first_aid, 1),))
    held = project_shift(world, title="My place", start=hour(days=6))
    add_sign_up(held, vol)
    clash = project_shift(world, title="Clashing visit", start=hour(days=6))
    unplaced = project_shift(world, title="Unplaced visit", start=hour(days=7))
    unplaced.latitude = unplaced.longitude = None
    db.session.commit()
    return {"near": near, "far": far, "urgent": urgent, "aid": aid, "clash": clash, "unplaced": unplaced}


def test_by_default_only_shifts_she_may_take_sorted_by_start(client, auth, world, street):
    auth.login("vol")
    # Her own place is hers to keep; the others are not hers to take: a skill she lacks, a clash with her place.
    assert titles(client) == ["Near visit", "Far visit", "Urgent visit", "My place", "Unplaced visit"]
    assert titles(client, "show=all") == ALL


def test_distance_from_home(client, auth, world, street):
    auth.login("vol")
    # Within 5 km: the far one goes; the one without a location stays (its distance is unknown).
    assert titles(client, "within_km=5") == ["Near visit", "Urgent visit", "My place", "Unplaced visit"]
    assert titles(client, "within_km=20") == ["Near visit", "Far visit", "Urgent visit", "My place", "Unplaced visit"]
    body = text(client.get("/shifts/"))
    assert "0.0 km from home" in body and "11.1 km from home" in body and "distance unknown" in body
    assert queries.distance_km(world.volunteer, street["far"]) == pytest.approx(11.12, abs=0.05)


def test_skill_urgency_and_dates(client, auth, world, street):
    auth.login("vol")
    assert titles(client, f"show=all&skill={world.first_aid.id}") == ["First aid post"]
    assert titles(client, "urgency=4") == ["Urgent visit"]
    day = street["far"].start.astimezone(LOCAL_TZ).date()
    assert titles(client, f"date_from={day}&date_to={day}") == ["Far visit"]
    assert titles(client, f"date_from={day + timedelta(days=1)}") == ["Urgent visit", "My place", "Unplaced visit"]


def test_paging_counts_only_the_shifts_that_fit(app, client, auth, world, street):
    app.config["PER_PAGE"] = 2
    auth.login("vol")
    first, second = text(client.get("/shifts/")), text(client.get("/shifts/?page=2"))
    third = text(client.get("/shifts/?page=3"))
    assert all("5 in all" in page for page in (first, second, third))
    assert ">Near visit<" in first and ">Far visit<" in first
    assert ">Urgent visit<" in second and ">My place<" in second and ">Unplaced visit<" in third
    assert ">Clashing visit<" not in first + second + third
    assert ">Unplaced visit<" in text(client.get("/shifts/?page=9"))     # past the end: the last page


def test_staff_keep_their_list_with_the_urgency_filter(client, auth, world, street):
    auth.login("worker")
    body = text(client.get("/shifts/"))
    assert all(f">{t}<" in body for t in ALL)
    assert "Distance from home" not in body
    urgent = text(client.get("/shifts/?urgency=4"))
    assert ">Urgent visit<" in urgent and ">Near visit<" not in urgent
