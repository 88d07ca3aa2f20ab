"""The match-run pages staff use: pickers of real people and things, words instead of ids and codes,
refusals that say what is wrong, columns per kind, and whose decision a kept place was."""
import logging
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from linkage.errors import Refused
from linkage.extensions import db
from linkage.matching import services
from linkage.models import (BidStatus, MatchKind, MatchRun, MatchStatus, ProjectStatus, RegionLevel, SignUp,
                            SignUpStatus)
from linkage.timeutil import LOCAL_TZ
from tests.factories import make_bid, make_need, make_project, make_region, make_shift, make_volunteer
from tests.web.test_matching_runs import at, next_monday, start_run, week  # noqa: F401  (fixture)

SOLVER_ID = re.compile(r"\b[vsbpnwro]\d+\b")
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # reason, skill and category codes: has_skill, elder_care, …
ENGLISH_DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}


def runs():
    return db.session.scalar(sa.select(sa.func.count(MatchRun.id)))


def latest():
    return db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()


def visible_text(html: str) -> str:
    """What a reader sees: the page without scripts, styles and tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def assert_clean(html: str, *, chinese: bool = False):
    """No solver id anywhere in the page (the pickers' values included), no traceback, no code shown."""
    without_tokens = re.sub(r'name="csrf_token"[^>]*>', ">", html)
    assert not SOLVER_ID.findall(without_tokens), SOLVER_ID.findall(without_tokens)
    assert "Traceback" not in html
    text = visible_text(html)
    assert not CODE.findall(text), CODE.findall(text)
    if chinese:
        assert not ENGLISH_DATE.findall(text), ENGLISH_DATE.findall(text)


def in_chinese(user):
    user.locale = "zh_CN"
    db.session.commit()


# --- pin and forbid from the proposal's rows and from pickers -------------------------------------

def test_a_pin_chosen_from_the_pickers_reruns_and_the_new_run_holds_it(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    routine = week["routine"]
    assert (f"v{world.volunteer.id}", f"s{routine.id}") not in {(a["volunteer"], a["shift"])
                                                             for a in run.result["assignments"]}
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    # The pickers list the run's real volunteers and shifts by name, title, day and community.
    assert re.search(rf'<option value="{world.volunteer.id}">Chen Jing · ', page)
    assert re.search(rf'<option value="{routine.id}">Routine tidy-up · Mon, \w+ \d+', page)

    response = client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": world.volunteer.id, "right": routine.id, "reason": "she asked to stay with the group"})
    assert response.status_code == 302
    child = latest()
    assert child.parent_id == run.id and child.status == MatchStatus.proposed
    assert (f"v{world.volunteer.id}", f"s{routine.id}") in {(a["volunteer"], a["shift"])
                                                         for a in child.result["assignments"]}
    page = client.get(f"/matching/{child.id}").get_data(as_text=True)
    assert "pinned by Civil: she asked to stay with the group" in page
    assert_clean(page)


def test_each_proposed_pairing_can_be_forbidden_from_its_own_row(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    rows = re.findall(r'<input type="hidden" name="left" value="(\d+)"><input type="hidden" name="right" '
                      r'value="(\d+)">', page)
    assert len(rows) == len(run.result["assignments"]) and rows
    left, right = rows[0]
    response = client.post(f"/matching/{run.id}/override", data={
        "action": "forbid", "left": left, "right": right, "reason": "not this week"})
    assert response.status_code == 302
    child = latest()
    assert (f"v{left}", f"s{right}") not in {(a["volunteer"], a["shift"]) for a in child.result["assignments"]}
    assert [(o.action, o.left, o.right) for o in child.overrides] == [("forbid", f"v{left}", f"s{right}")]


@pytest.mark.parametrize("left, right, message", [
    ("v801", "s12", "Choose one of this run&#39;s volunteers."),       # internal ids typed by hand
    ("Chen Jing", "Urgent visit", "Choose one of this run&#39;s volunteers."),  # names typed by hand
    ("stranger", None, "Choose one of this run&#39;s volunteers."),    # someone outside the run
    ("volunteer", 999999, "Choose one of this run&#39;s shifts."),     # a shift that is not in it
])
def test_a_forged_or_unknown_pairing_is_refused_with_a_message_and_starts_nothing(client, auth, world, week,
                                                                                  left, right, message):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    outsider = make_volunteer(world.c3, name="Far Away")
    db.session.commit()
    left = {"stranger": outsider.id, "volunteer": world.volunteer.id}.get(left, left)
    right = week["urgent"].id if right is None else right
    before = runs()
    response = client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": left, "right": right, "reason": "typed by hand"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert runs() == before
    assert_clean(page)


def test_the_service_refuses_a_pairing_outside_the_run(app, world, week):
    run = services.create_run(MatchKind.shifts, world.street1, actor=world["civil"],
                              period_start=datetime.combine(week["monday"], datetime.min.time(), LOCAL_TZ),
                              period_end=datetime.combine(week["monday"] + timedelta(days=7), datetime.min.time(),
                                                          LOCAL_TZ))
    run.status = MatchStatus.proposed
    with pytest.raises(Refused) as refused:
        services.rerun_with_override(run, action="pin", left=world.volunteer.id, right=424242, reason="x",
                                     actor=world["civil"])
    assert refused.value.field == "right"
    with pytest.raises(Refused):
        services.rerun_with_override(run, action="pin", left=None, right=week["urgent"].id, reason="x",
                                     actor=world["civil"])


def award_project(world, title="Home visits for elderly living alone"):
    project = make_project(world.street1, world["civil"], status=ProjectStatus.evaluated, title=title,
                           deadline=datetime.now(LOCAL_TZ) - timedelta(days=1))
    strong = make_bid(project, world.org1, price=250000, status=BidStatus.scored)
    weak = make_bid(project, world.org2, price=280000, status=BidStatus.scored)
    strong.technical_score, weak.technical_score = 60.0, 40.0
    for bid in (strong, weak):
        bid.price_score = 30.0 * 250000 / float(bid.price)
        bid.total_score = bid.technical_score + bid.price_score
    db.session.commit()
    return project, strong, weak


def test_an_award_pin_takes_the_bid_and_its_own_project_only(client, auth, world):
    project, strong, weak = award_project(world)
    other, _strong2, _weak2 = award_project(world, title="After-school class")
    auth.login("civil")
    run = start_run(client, world, kind="award", region=world.district)
    before = runs()
    response = client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": weak.id, "right": other.id, "reason": "wrong project"})
    assert "This bid was made for another project" in response.get_data(as_text=True)
    assert runs() == before
    client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": weak.id, "right": project.id, "reason": "local knowledge"})
    child = latest()
    assert child.parent_id == run.id
    assert f"b{weak.id}" in [a["bid"] for a in child.result["awards"]]
    page = client.get(f"/matching/{child.id}").get_data(as_text=True)
    assert "pinned by Civil: local knowledge" in page
    assert_clean(page)


# --- no id, code, English date or traceback on any page -------------------------------------------

def test_run_pages_in_chinese_show_names_dates_and_words(client, auth, world, week):
    in_chinese(world["civil"])
    # A shift nobody with first aid can staff, so the page explains an empty place too.
    make_shift(world.c1, start=at(week["monday"] + timedelta(days=3), 10), hours=2, slots=((world.first_aid, 1),),
               title="First aid desk", first_come=False)
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    assert "志愿者" in page and "Chen Jing" in page and "Urgent visit" in page
    assert "助老" in page                        # the skill by its name, not its code
    assert re.search(r"12月|\d+月\d+日", page)    # dates by Babel in Chinese
    assert "First aid desk" in page
    assert_clean(page, chinese=True)


def test_a_failed_run_says_so_in_words_and_logs_the_details(client, auth, world, caplog):
    auth.login("civil")
    run = MatchRun(kind=MatchKind.shifts, region=world.street1, created_by=world["civil"], status=MatchStatus.queued,
                   problem={"volunteers": [{"id": f"v{world.volunteer.id}", "location": "nowhere"}], "shifts": []},
                   inputs={})
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    with caplog.at_level(logging.ERROR):
        services.execute_run(run_id)
    run = db.session.get(MatchRun, run_id)
    assert run.status == MatchStatus.failed and run.error == services.SOLVER_ERROR
    assert any(record.exc_info for record in caplog.records)   # the traceback went to the log
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    assert "The optimizer stopped with an error; nothing was applied." in page
    assert_clean(page)
    # A run recorded before errors were codes shows the sentence, not what was stored.
    run.error = "Traceback (most recent call last):\n  File x, line 1\nKeyError: 'v801'"
    db.session.commit()
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    assert "The run failed; nothing was applied." in page
    assert_clean(page)


def test_an_infeasible_run_names_the_conflicting_decisions(client, auth, world, week):
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    # Urgent visit and routine tidy-up are at the same time: she cannot be pinned to both.
    client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": world.volunteer.id, "right": week["urgent"].id, "reason": "she knows the resident"})
    client.post(f"/matching/{latest().id}/override", data={
        "action": "pin", "left": world.volunteer.id, "right": week["routine"].id, "reason": "the group needs her"})
    child = latest()
    assert child.status == MatchStatus.infeasible, child.result
    page = client.get(f"/matching/{child.id}").get_data(as_text=True)
    conflicts = visible_text(page.split('id="run-problem"')[1].split("</div>\n")[1])
    assert "Chen Jing → Urgent visit" in conflicts and "pinned by Civil: she knows the resident" in conflicts
    assert "Chen Jing → Routine tidy-up" in conflicts and "pinned by Civil: the group needs her" in conflicts
    assert_clean(page)


# --- refusals: a past week, a run still going, an empty problem -----------------------------------

def test_a_week_already_over_is_refused_on_the_week_field(client, auth, world):
    auth.login("civil")
    before = runs()
    last_week = next_monday() - timedelta(days=14)
    response = client.post("/matching/new", data={"kind": "shifts", "region": world.street1.id, "time_limit": 5,
                                                  "week": last_week.isoformat()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "is already over" in page
    assert re.search(r'name="week"[^>]*>\s*(<div class="form-text">.*?</div>\s*)?<div class="invalid-feedback">'
                     r'The week of', page, flags=re.S)
    assert runs() == before


def test_only_a_finished_run_can_be_run_again(client, auth, world, week):
    monday = week["monday"]
    run = services.create_run(MatchKind.shifts, world.street1, actor=world["civil"],
                              period_start=datetime.combine(monday, datetime.min.time(), LOCAL_TZ),
                              period_end=datetime.combine(monday + timedelta(days=7), datetime.min.time(), LOCAL_TZ))
    db.session.commit()
    auth.login("civil")
    before = runs()
    for status in (MatchStatus.queued, MatchStatus.running):
        run.status = status
        db.session.commit()
        page = client.post(f"/matching/{run.id}/rerun", follow_redirects=True).get_data(as_text=True)
        assert "Wait until the run has finished" in page
        assert runs() == before
    with pytest.raises(Refused):
        services.rerun(run, actor=world["civil"])


def test_an_empty_volunteer_run_says_what_is_missing_and_is_not_started(client, auth, world):
    auth.login("civil")
    before = runs()
    monday = next_monday() + timedelta(days=21)  # no shifts that week
    page = client.post("/matching/new", data={"kind": "shifts", "region": world.street2.id, "time_limit": 5,
                                              "week": monday.isoformat()}).get_data(as_text=True)
    assert f"No open shifts in {world.street2.name} for the week of" in page
    assert "volunteers live in" not in page  # street 2 has volunteers
    # A new street with a shift but nobody living there.
    street = make_region("Quiet Street", RegionLevel.street, world.district)
    community = make_region("Quiet Lane", RegionLevel.community, street)
    make_shift(community, start=at(next_monday(), 9), title="Lonely shift", first_come=False)
    db.session.commit()
    page = client.post("/matching/new", data={"kind": "shifts", "region": community.id, "time_limit": 5,
                                              "week": next_monday().isoformat()}).get_data(as_text=True)
    assert "No verified, active volunteers live in Quiet Street." in page and "No open shifts" not in page
    assert runs() == before


def test_an_empty_award_or_case_run_says_what_is_missing(client, auth, world):
    auth.login("civil")
    before = runs()
    page = client.post("/matching/new", data={"kind": "award", "region": world.district.id, "time_limit": 5}
                       ).get_data(as_text=True)
    assert f"No project in {world.district.name} has been evaluated by the panel." in page
    page = client.post("/matching/new", data={"kind": "cases", "region": world.district.id, "time_limit": 5}
                       ).get_data(as_text=True)
    assert f"No needs for a professional are waiting in {world.district.name}." in page
    assert runs() == before


# --- columns per kind; whose decision a kept place was ----------------------------------------------

def test_a_case_run_has_case_columns(client, auth, world):
    need = make_need(world.resident, world.visits, urgency=3, title="Counselling after a fall")
    need.needs_professional = True
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, kind="cases", region=world.district)
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    headings = re.findall(r"<th>([^<]*)</th>", page.split('id="proposal"')[1].split("</thead>")[0])
    assert headings[:4] == ["Need", "Resident&#39;s community", "Social worker", "Organization"]
    assert "Volunteer" not in headings and "Shift" not in headings
    assert "Counselling after a fall" in page and world.resident.region.name in page
    assert_clean(page)


def test_an_award_run_has_award_columns(client, auth, world):
    award_project(world)
    auth.login("civil")
    run = start_run(client, world, kind="award", region=world.district)
    page = client.get(f"/matching/{run.id}").get_data(as_text=True)
    headings = re.findall(r"<th>([^<]*)</th>", page.split('id="proposal"')[1].split("</thead>")[0])
    assert headings[:4] == ["Project", "Bid (organization)", "Price", "Score"]
    assert "¥250,000.00" in page and world.org1.name in page
    assert_clean(page)


def test_a_place_the_volunteer_took_is_labelled_as_their_own(client, auth, world, week):
    later = week["later"]
    helper = make_volunteer(world.c1, name="Early Bird")
    db.session.add(SignUp(shift_id=later.id, volunteer=helper, status=SignUpStatus.assigned, slot=later.slots[0]))
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert (f"v{helper.id}", f"s{later.id}") in {(a["volunteer"], a["shift"]) for a in run.result["assignments"]}
    client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": world.volunteer.id, "right": week["urgent"].id, "reason": "she knows the resident"})
    child = latest()
    page = client.get(f"/matching/{child.id}").get_data(as_text=True)
    rows = [" ".join(visible_text(row).split())
            for row in page.split('id="proposal"')[1].split("</table>")[0].split("<tr>")[2:]]
    [own] = [row for row in rows if row.startswith("Early Bird Afternoon club")]
    [pinned] = [row for row in rows if row.startswith("Chen Jing Urgent visit")]
    assert "their own sign-up (kept)" in own and "pinned by" not in own
    assert "pinned by Civil: she knows the resident" in pinned and "their own sign-up" not in pinned


def test_an_infeasible_award_run_names_the_pinned_bid_and_why(client, auth, world):
    project, strong, _weak = award_project(world)
    auth.login("civil")
    run = start_run(client, world, kind="award", region=world.district, funding_pool="200000")
    assert run.status == MatchStatus.proposed and run.result["awards"] == []   # no bid fits the pool
    client.post(f"/matching/{run.id}/override", data={
        "action": "pin", "left": strong.id, "right": project.id, "reason": "the best team"})
    child = latest()
    assert child.status == MatchStatus.infeasible, child.result
    page = client.get(f"/matching/{child.id}").get_data(as_text=True)
    problem = " ".join(visible_text(page.split('id="run-problem"')[1].split("</ul>")[0]).split())
    assert f"the bid of {world.org1.name}" in problem and "¥200,000.00" in problem
    assert "pinned by Civil: the best team" in problem
    assert_clean(page)
