"""Fairness options of a volunteer run through HTTP: the run form stores them on the run, the problem and
result carry them, the review page shows each community's urgent coverage against the floor, the hours
spread and the price of fairness in words (English and Chinese); bad options get a message and no run."""
import re

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import MatchRun, MatchStatus
from tests.matching.checker import check_shifts
from tests.web.test_matching_runs import start_run, week  # noqa: F401 (the week fixture)

OPTIONS = {"urgent_floor": "50", "urgent_from": "3", "hours_cap": "60", "spread": "y"}


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}


def _runs() -> int:
    return db.session.scalar(sa.select(sa.func.count(MatchRun.id)))


def test_run_form_stores_the_options_and_the_review_shows_coverage_hours_and_price(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat(), **OPTIONS)
    assert run.fairness == {"urgent_floor": 0.5, "urgent_from": 3, "hours_cap": 0.6, "spread": True}
    assert run.problem["fairness"] == run.fairness
    assert {s.get("community") for s in run.problem["shifts"]} == {f"c{world.c1.id}", f"c{world.c2.id}"}
    assert run.status == MatchStatus.proposed, run.error
    check_shifts(run.problem, run.result)  # floors and caps included
    price = run.result["fairness"]["price"]
    assert price["price"] == price["objective_without"] - run.objective
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    section = page[page.index('id="fairness"'):]
    assert "Fairness" in page and world.c1.name in section
    assert re.search(r"(price of fairness|Fairness costs nothing)", section)
    assert str(price["objective_without"]) in section
    assert 'id="community-coverage"' in section and 'id="hours-spread"' in section
    assert "filled to at least 50%" in section and "more than 60% of the week" in section
    response = client.post(f"/matching/{run.id}/approve", data={"note": "fair enough"})
    assert response.status_code == 302
    db.session.refresh(run)
    assert run.status == MatchStatus.approved


def test_review_page_in_chinese(client, auth, world, week, app):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat(), **OPTIONS)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    section = page[page.index('id="fairness"'):]
    assert "公平" in section and "社区" in section and "紧急" in section
    assert "price of fairness" not in section and "Fairness costs" not in section
    form = client.get("/matching/new").get_data(as_text=True)
    assert "公平" in form and "紧急" in form


def test_a_rerun_keeps_the_options(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat(), **OPTIONS)
    response = client.post(f"/matching/{run.id}/rerun")
    assert response.status_code == 302
    child = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert child.id != run.id and child.fairness == run.fairness and child.result["fairness"]


def test_without_options_the_run_is_as_before(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.fairness is None and "fairness" not in run.problem and "fairness" not in run.result
    assert all("community" not in s for s in run.problem["shifts"])
    assert 'id="fairness"' not in client.get(f"/matching/{run.id}").get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("urgent_floor", "0", "Enter a whole percentage from 1 to 100."),
    ("urgent_floor", "101", "Enter a whole percentage from 1 to 100."),
    ("urgent_floor", "half", "Not a valid integer value."),
    ("hours_cap", "-5", "Enter a whole percentage from 1 to 100."),
    ("hours_cap", "1e400", "Not a valid integer value."),
    ("urgent_from", "9", "Not a valid choice."),
])
def test_bad_options_get_a_message_and_no_run(client, auth, world, week, field, value, message):
    auth.login("civil")
    before = _runs()
    response = client.post("/matching/new", data={"kind": "shifts", "region": world.street1.id, "time_limit": 5,
                                                  "week": week["monday"].isoformat(), field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _runs() == before


def test_fairness_is_for_volunteer_runs_only(client, auth, world):
    auth.login("civil")
    before = _runs()
    response = client.post("/matching/new", data={"kind": "award", "region": world.street1.id, "time_limit": 5,
                                                  "urgent_floor": "50"})
    assert response.status_code == 200
    assert "Fairness options apply to volunteer runs only." in response.get_data(as_text=True)
    assert _runs() == before


def test_a_floor_left_short_is_named_with_its_reason_in_words(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat(), **OPTIONS)
    result = dict(run.result)
    fairness = dict(result["fairness"])
    community = f"c{world.c1.id}"
    fairness["communities"] = [{"community": community, "urgent_places": 2, "urgent_filled": 0, "share": 0.0,
                                "required": 1, "met": False}]
    fairness["floor_unmet"] = [{"community": community, "required": 1, "filled": 0, "reasons": ["…"],
                                "reason_codes": [{"code": "floor_beyond_reach", "params": {"reachable": 0}}]}]
    run.result = {**result, "fairness": fairness}
    db.session.commit()
    section = client.get(f"/matching/{run.id}").get_data(as_text=True).split('id="fairness"')[1]
    assert "not met" in section and "at most 0 of its urgent places can be filled" in section
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    section = client.get(f"/matching/{run.id}").get_data(as_text=True).split('id="fairness"')[1]
    assert "未达到" in section and "最多只能填补 0 个" in section
