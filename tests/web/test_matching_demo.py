"""Match runs on the data `make run` seeds: every kind proposes and approves, as staff would use it.

Volunteers' own places are kept (or shown as conflicts), never the reason a run fails; the eligibility
rule of sign-up holds for what a run proposes and approves.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.matching import services
from linkage.models import (HOLDING_STATUSES, MatchKind, MatchRun, MatchStatus, Region, RegionLevel, Shift,
                            ShiftStatus, SignUp, User)
from linkage.seed import DEMO_PASSWORD
from linkage.shifts import eligibility
from linkage.timeutil import LOCAL_TZ, now
from tests.matching.checker import check_shifts

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 3.0}


@pytest.fixture
def demo(app, seeded_demo):
    with app.test_request_context("/"):  # approval links notifications to pages
        yield {"civil": db.session.scalar(sa.select(User).where(User.username == "civil"))}


def weeks_with_open_shifts() -> list[datetime]:
    """Mondays (local) of the weeks that have open shifts not yet started."""
    starts = db.session.scalars(sa.select(Shift.start).where(
        Shift.status.in_((ShiftStatus.open, ShiftStatus.staffed)), Shift.start > now())).all()
    mondays = set()
    for start in starts:
        local = start.astimezone(LOCAL_TZ).date()
        mondays.add(datetime.combine(local - timedelta(days=local.weekday()), time.min, LOCAL_TZ))
    return sorted(mondays)


def run_and_approve(kind: MatchKind, region: Region, actor: User, **period) -> MatchRun:
    run_id = services.create_run(kind, region, actor=actor, **period).id
    db.session.commit()  # the solve runs in its own session; nothing is held open meanwhile
    services.start(run_id)
    db.session.commit()
    run = db.session.get(MatchRun, run_id)
    assert run.status == MatchStatus.proposed, (region.name, kind, run.status, run.error,
                                                {k: v for k, v in (run.result or {}).items() if k != "assignments"})
    applied = services.approve_run(run, actor=actor, note="demo")
    db.session.commit()
    assert applied
    return run


def assert_every_place_is_eligible(shift_ids) -> None:
    """Everyone holding a place on these shifts passes the sign-up rule beside their other places."""
    records = db.session.scalars(sa.select(SignUp).where(SignUp.shift_id.in_(shift_ids),
                                                         SignUp.status.in_(HOLDING_STATUSES))).all()
    for record in records:
        reason = eligibility.check(record.volunteer, record.shift, now=now())
        assert reason is None, (record.volunteer.name, record.shift.title, reason)


def test_every_demo_week_and_area_gets_a_volunteer_run_that_proposes_and_approves(demo):
    weeks = weeks_with_open_shifts()
    assert len(weeks) >= 2
    areas = db.session.scalars(sa.select(Region).where(
        Region.level.in_((RegionLevel.street, RegionLevel.community))).order_by(Region.level, Region.code)).all()
    assert len(areas) == 15
    planned = 0
    for monday in weeks:
        for area in areas:
            if not services.problems.shift_rows(area, monday, monday + timedelta(days=7)):
                continue  # nothing to plan: starting a run is refused with that explanation
            run = run_and_approve(MatchKind.shifts, area, demo["civil"], period_start=monday,
                                  period_end=monday + timedelta(days=7))
            planned += 1
            check_shifts(run.problem, run.result)
            # Coverage next to first come, first served on the same problem.
            assert run.baseline is not None and "coverage_by_urgency" in run.baseline
            assert run.result["objective"] >= run.baseline["objective"]
            assert_every_place_is_eligible([int(s["id"][1:]) for s in run.problem["shifts"]])
    assert planned >= 10


def test_a_minor_without_consent_is_never_proposed_nor_placed(demo):
    """The rule sign-up applies (a guardian's consent under 18) holds for runs and approval too."""
    from linkage.models import Volunteer

    monday = weeks_with_open_shifts()[-1]
    street = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.street)
                                .order_by(Region.code)).first()
    problem, _inputs = services.problems.build_shift_problem(street, monday, monday + timedelta(days=7))
    people = [int(v["id"][1:]) for v in problem["volunteers"]]
    minor = db.session.scalars(sa.select(Volunteer).where(Volunteer.id.in_(people))).first()
    from tests.factories import set_born
    set_born(minor, (now() - timedelta(days=365 * 15 + 30)).date())
    for consent in minor.consents:
        consent.withdrawn_at = now()
    db.session.commit()
    run = run_and_approve(MatchKind.shifts, street, demo["civil"], period_start=monday,
                          period_end=monday + timedelta(days=7))
    assert all(a["volunteer"] != f"v{minor.id}" for a in run.result["assignments"])
    forbidden = {tuple(pair) for pair in run.problem["forbids"]}
    assert all((f"v{minor.id}", s["id"]) in forbidden for s in run.problem["shifts"])


def test_award_and_case_runs_on_the_demo_propose_and_approve(client, auth, demo):
    district = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.district))
    award = run_and_approve(MatchKind.award, district, demo["civil"])
    assert award.result["awards"], award.result
    # First come, first served on the same data: each project to its first valid bid.
    assert award.baseline["awarded"] is not None and award.baseline["total_score"] <= award.result["stats"]["total_score"]
    cases = run_and_approve(MatchKind.cases, district, demo["civil"])
    assert cases.result["assignments"], cases.result
    assert cases.baseline["coverage_by_urgency"] and cases.baseline["objective"] <= cases.result["objective"]
    # The run pages put the two side by side.
    auth.login("civil", DEMO_PASSWORD)
    award_page = client.get(f"/matching/{award.id}").get_data(as_text=True)
    assert 'id="award-comparison"' in award_page and "First valid bid" in award_page
    case_page = client.get(f"/matching/{cases.id}").get_data(as_text=True)
    assert 'id="coverage"' in case_page and "Assigned in arrival order, to the nearest" in case_page


def test_a_street_run_with_fairness_on_the_demo_shows_the_price_and_approves(client, auth, demo):
    """As staff do it: civil affairs, /matching/new, a street (…街道), the week of tomorrow, fairness on."""
    from linkage.timeutil import today

    street = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.street, Region.name.like("%街道"))
                                .order_by(Region.code)).first()
    tomorrow = today() + timedelta(days=1)
    auth.login("civil", DEMO_PASSWORD)
    response = client.post("/matching/new", data={
        "kind": "shifts", "region": street.id, "week": tomorrow.isoformat(), "time_limit": 3,
        "urgent_floor": "50", "urgent_from": "3", "hours_cap": "40", "spread": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    run = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    db.session.refresh(run)
    assert run.status == MatchStatus.proposed, (run.status, run.error)
    assert run.fairness == {"urgent_floor": 0.5, "urgent_from": 3, "hours_cap": 0.4, "spread": True}
    check_shifts(run.problem, run.result)  # the floors and the cap included
    price = run.result["fairness"]["price"]
    assert price["price"] == price["objective_without"] - run.objective
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    section = page[page.index('id="fairness"'):]
    assert "公平" in section and str(price["objective_without"]) in section
    assert 'id="community-coverage"' in section and 'id="hours-spread"' in section
    response = client.post(f"/matching/{run.id}/approve", data={"note": "公平"})
    assert response.status_code == 302
    db.session.refresh(run)
    assert run.status == MatchStatus.approved
