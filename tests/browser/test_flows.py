"""Real browser flows: forms, buttons and the live match-run page, with screenshots in test-artifacts/."""
import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import MatchRun, MatchStatus, Need, NeedStatus, SignUp, SignUpStatus
from tests.browser.conftest import ARTIFACTS, login, submit
from tests.factories import make_need, make_shift, make_volunteer
from tests.web.test_matching_runs import at, next_monday

pytestmark = pytest.mark.browser


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def test_staff_file_and_verify_a_need_in_chinese(page, world):
    login(page, "staff1")
    page.goto(page.base_url + f"/community/needs/new?resident={world.resident.id}")
    page.select_option("select[name=category]", str(world.visits.id))
    page.fill("input[name=title]", "每周陪伴探访")
    page.select_option("select[name=urgency]", "3")
    page.check("input[name=consent]")   # the resident agrees that the request be shared with who serves it
    shot(page, "need_form_zh")
    submit(page, "main form button[type=submit]")
    need = db.session.scalars(sa.select(Need).order_by(Need.id.desc())).first()
    assert need.title == "每周陪伴探访" and need.status == NeedStatus.submitted
    page.goto(page.base_url + f"/community/needs/{need.id}")
    submit(page, "form[action$='/verify'] button[type=submit]")
    db.session.expire_all()
    assert db.session.get(Need, need.id).status == NeedStatus.open
    assert page.locator(".trail li").count() >= 2  # the public status trail
    shot(page, "need_detail_zh")


def test_bad_input_keeps_what_was_typed(page, world):
    login(page, "staff1")
    page.goto(page.base_url + "/community/residents/new")
    page.fill("input[name=name]", "周兰")
    page.fill("input[name=id_number]", "310101195005171234")
    submit(page, "main form button[type=submit]")
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert page.input_value("input[name=name]") == "周兰"
    shot(page, "resident_form_errors_zh")


def test_volunteer_signs_up_and_a_full_shift_says_so(page, world):
    shift = make_shift(world.c1, slots=((None, 1),), title="Reading club")
    other = make_volunteer(world.c1, name="Early Bird")
    db.session.add(SignUp(shift=shift, volunteer=other, status=SignUpStatus.assigned, slot=shift.slots[0]))
    db.session.commit()
    login(page, "vol")
    page.goto(page.base_url + f"/shifts/{shift.id}")
    submit(page, "form[action$='/sign-up'] button[type=submit]")
    shot(page, "shift_full_waitlist")
    sign_up = db.session.scalar(sa.select(SignUp).where(SignUp.volunteer_id == world.volunteer.id))
    assert sign_up.status == SignUpStatus.waitlisted
    expect(page.locator(".alert").first).to_be_visible()


@pytest.fixture
def app_config():
    return {"JOB_MODE": "thread", "MATCH_TIME_LIMIT": 3.0}


def test_match_run_page_follows_progress_and_shows_the_proposal(page, world):
    monday = next_monday()
    need = make_need(world.resident, world.visits, urgency=4)
    shift = make_shift(world.c1, start=at(monday, 9), hours=2, slots=((world.elder_care, 1),), title="Urgent visit",
                       first_come=False)
    shift.urgency, shift.needs = 4, [need]
    make_shift(world.c2, start=at(monday + timedelta(days=2), 14), hours=3, slots=((None, 2),), title="Afternoon club",
               first_come=False)
    make_volunteer(world.c2, name="Helper One")
    db.session.commit()
    login(page, "civil")
    page.goto(page.base_url + "/matching/new")
    page.select_option("select[name=kind]", "shifts")
    page.select_option("select[name=region]", str(world.street1.id))
    page.fill("input[name=week]", monday.isoformat())
    page.fill("input[name=time_limit]", "3")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#proposal", timeout=30000)  # the page reloads itself when the run finishes
    shot(page, "match_run_proposal")
    run = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.status == MatchStatus.proposed
    assert "Chen Jing" in page.inner_text("#proposal")
    assert "志愿者" in page.inner_text("#proposal thead")
    assert not re.search(r"\b[vsbpnw]\d+\b|Traceback", page.inner_text("main"))
    # Pin the proposed pairing from its own row: a new run starts, follows itself, and holds the pin.
    row = page.locator("#proposal tbody tr").first
    row.locator("input[name=reason]").fill("她熟悉这位老人")
    row.locator("button[value=pin]").click()
    page.wait_for_url(f"**/matching/{run.id + 1}")
    page.wait_for_selector("#proposal", timeout=30000)
    shot(page, "match_run_pinned")
    assert "由Civil锁定：她熟悉这位老人" in page.inner_text("#proposal")
    child = db.session.get(MatchRun, run.id + 1)
    assert child.parent_id == run.id and child.status == MatchStatus.proposed
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, "form[action$='/approve'] button[type=submit]")
    db.session.expire_all()
    assert db.session.get(MatchRun, child.id).status == MatchStatus.approved
