"""A match run follows the same rule as sign-up: no minor without a guardian's consent, nobody on a day
they said they are away; extra free times count as availability."""
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import problems
from linkage.models import AvailabilityException, ExceptionKind, MatchStatus, Volunteer
from linkage.timeutil import LOCAL_TZ
from tests.factories import give_consent, make_volunteer, set_born
from tests.web.test_matching_runs import app_config, start_run, week  # noqa: F401 (fixtures)
from tests.web.test_places_rules import fifteen_on


@pytest.mark.parametrize("consent", [False, True])
def test_a_run_places_no_minor_without_a_guardians_consent(client, auth, world, week, consent):
    minor = make_volunteer(world.c1, name="Young Li")
    set_born(minor, fifteen_on(week["monday"]))
    if consent:
        give_consent(minor)
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.proposed
    refused = {(f"v{minor.id}", s["id"]) for s in run.problem["shifts"]} & {tuple(p) for p in run.problem["forbids"]}
    if consent:
        assert refused == set()
    else:
        assert len(refused) == len(run.problem["shifts"])
        assert all(a["volunteer"] != f"v{minor.id}" for a in run.result["assignments"])


def test_a_run_places_nobody_on_a_day_they_are_away(client, auth, world, week):
    """Every helper is free all week; each says they are away on the day of the urgent and routine shifts:
    nobody is placed that day, and the rule forbids those pairs."""
    monday = week["monday"]
    people = db.session.scalars(sa.select(Volunteer)).all()
    for person in people:
        person.exceptions.append(AvailabilityException(kind=ExceptionKind.away, day=monday))
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=monday.isoformat())
    assert run.status == MatchStatus.proposed
    on_monday = {f"s{week['urgent'].id}", f"s{week['routine'].id}"}
    assert all(a["shift"] not in on_monday for a in run.result["assignments"])
    assert any(a["shift"] == f"s{week['later'].id}" for a in run.result["assignments"])
    forbids = {tuple(p) for p in run.problem["forbids"]}
    offered = [v["id"] for v in run.problem["volunteers"]]
    assert len(offered) >= 5 and {(v, s) for v in offered for s in on_monday} <= forbids


def test_the_problem_windows_leave_out_days_away_and_add_extra_times(app, world, week):
    monday = week["monday"]
    person = world.volunteer
    person.exceptions.append(AvailabilityException(kind=ExceptionKind.away, day=monday + timedelta(days=2),
                                                   start_time=time(12), end_time=time(15)))
    person.exceptions.append(AvailabilityException(kind=ExceptionKind.extra, day=monday + timedelta(days=3),
                                                   start_time=time(21), end_time=time(23)))
    db.session.flush()
    start = datetime.combine(monday, time.min, LOCAL_TZ)
    with app.test_request_context():
        problem, _inputs = problems.build_shift_problem(world.street1, start, start + timedelta(days=7))
    entry = next(v for v in problem["volunteers"] if v["id"] == f"v{person.id}")
    windows = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in entry["availability"]]
    wednesday = [(a.time(), b.time()) for a, b in windows if a.date() == monday + timedelta(days=2)]
    assert wednesday == [(time(8), time(12)), (time(15), time(21))]       # weekly 08:00–21:00 less 12:00–15:00
    thursday = [(a.time(), b.time()) for a, b in windows if a.date() == monday + timedelta(days=3)]
    assert thursday == [(time(8), time(21)), (time(21), time(23))]
