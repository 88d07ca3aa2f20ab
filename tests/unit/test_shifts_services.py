"""Shift and volunteer services called directly (no web): the rules in isolation."""
from datetime import date, datetime, timedelta, timezone

import pytest

from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import HoursStatus, ShiftSlot, ShiftStatus, SignUpStatus
from linkage.shifts import eligibility, places, services
from linkage.timeutil import LOCAL_TZ
from linkage.volunteers.services import ProfileData, star_level, update_profile
from tests.factories import make_shift
from tests.web.test_shifts_support import add_sign_up, hour, now, project_shift, running_project, volunteer


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture(autouse=True)
def request_context(request):
    """Refusal messages are translated for a reader: the locale selector needs a request."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


@pytest.mark.parametrize("hours,expected", [(0, (0, 100)), (99.9, (0, 100)), (100, (1, 300)), (650, (3, 1000)),
                                            (1500, (5, None)), (4000, (5, None))])
def test_star_levels(hours, expected):
    assert star_level(hours, [100, 300, 600, 1000, 1500]) == expected


def test_weeks_run_monday_to_monday_local_time():
    # Sunday 23:30 in Shanghai is Sunday 15:30 UTC: it belongs to the week that began the Monday before.
    sunday_night = datetime(2026, 12, 13, 23, 30, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    start, end = eligibility.week_bounds(sunday_night)
    assert start == datetime(2026, 12, 7, tzinfo=LOCAL_TZ) and end - start == timedelta(days=7)


def test_a_skilled_volunteer_prefers_the_skill_slot(app, world):
    anyone = ShiftSlot(id=1, position=0, skill_id=None, count=1)
    care = ShiftSlot(id=2, position=1, skill_id=world.elder_care.id, count=1)
    assert places._free_slot([anyone, care], {}) is care
    assert places._free_slot([anyone, care], {2: 1}) is anyone
    assert places._free_slot([anyone, care], {1: 1, 2: 1}) is None


def _data(world, **overrides):
    start = hour(days=4)
    values = dict(title="Visits", community=world.c1, place="Center", start=start, end=start + timedelta(hours=2),
                  min_volunteers=1, slots=[(None, 3)], lead=world.worker)
    values.update(overrides)
    return services.ShiftData(**values)


def test_lead_ratio_follows_the_setting(app, world):
    project = running_project(world)
    app.config["LEAD_VOLUNTEER_RATIO"] = 2
    with pytest.raises(Refused) as refused:
        services.create_shift(_data(world), project=project, actor=world["worker"])
    assert refused.value.field == "slots" and "at most 2 volunteers" in str(refused.value.message)
    app.config["LEAD_VOLUNTEER_RATIO"] = 25
    shift = services.create_shift(_data(world, slots=[(None, 25)]), project=project, actor=world["worker"])
    assert shift.capacity == 25


def test_a_project_shift_stays_in_the_projects_area_and_needs(app, world):
    project = running_project(world)
    with pytest.raises(Refused, match="project's area"):
        services.create_shift(_data(world, community=world.c3), project=project, actor=world["worker"])
    with pytest.raises(Refused, match="organization running the project"):
        services.create_shift(_data(world, lead=world.worker2), project=project, actor=world["worker"])


def test_attendance_is_clipped_to_the_shift(app, world):
    shift = make_shift(world.c1, start=now() - timedelta(hours=5), hours=2)
    record = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_in,
                         checked_in_at=shift.start - timedelta(minutes=40))
    places._record_attendance(record, shift, shift.end + timedelta(hours=1), defaulted=False, now=now())
    assert record.minutes == 120 and record.hours_status == HoursStatus.pending


def test_a_full_shift_waitlists_and_a_cancellation_offers_the_place(app, world):
    shift = project_shift(world, slots=((None, 1),))
    first, second = volunteer(world), volunteer(world)
    taken = places.sign_up(shift, first, actor=first.user)
    waiting = places.sign_up(shift, second, actor=world["admin"])  # on someone's behalf: they are told
    assert (taken.status, waiting.status) == (SignUpStatus.assigned, SignUpStatus.waitlisted)
    assert places.waitlist_position(waiting) == 1
    offered = places.cancel_sign_up(taken, actor=first.user)
    assert offered == [waiting] and waiting.status == SignUpStatus.offered
    assert shift.status == ShiftStatus.open
    places.accept_offer(waiting, actor=second.user)
    assert waiting.status == SignUpStatus.assigned and shift.status == ShiftStatus.staffed


def test_profile_refuses_overlapping_windows(app, world):
    data = ProfileData(name="A", id_number=None, community=world.c1,
                       windows=[(0, datetime(2000, 1, 1, 9).time(), datetime(2000, 1, 1, 12).time()),
                                (0, datetime(2000, 1, 1, 11).time(), datetime(2000, 1, 1, 13).time())])
    with pytest.raises(Refused) as refused:
        update_profile(world.volunteer, data, user=world["vol"], actor=world["vol"], today=date.today())
    assert refused.value.field == "availability"
    db.session.rollback()
