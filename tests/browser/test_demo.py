"""The demo `make run` seeds, walked in the browser in Chinese: a volunteer match run proposes and is
approved by civil affairs staff; the demo volunteer's pages fit a phone."""
import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import MatchRun, MatchRunPart, MatchStatus, Region, RegionLevel, SignUp, SignUpStatus
from linkage.seed import DEMO_PASSWORD
from linkage.timeutil import today
from tests.browser.conftest import ARTIFACTS, login, submit
from tests.browser.test_phone import fits, phone  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"JOB_MODE": "thread", "MATCH_TIME_LIMIT": 5.0}


@pytest.fixture
def demo(seeded_demo):
    """The demo district in the served app's database (a copy of the one seeded for the run)."""
    return seeded_demo


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def assigned() -> int:
    return db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(SignUp.status == SignUpStatus.assigned))


def test_a_volunteer_run_on_the_demo_proposes_and_is_approved(page, demo):
    street = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.street)
                                .order_by(Region.code)).first()
    before = assigned()
    login(page, "civil", DEMO_PASSWORD)
    page.goto(page.base_url + "/matching/new")
    page.select_option("select[name=kind]", "shifts")
    page.select_option("select[name=region]", str(street.id))
    page.fill("input[name=week]", (today() + timedelta(days=1)).isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_selector("#proposal", timeout=60000)  # the page follows the run and reloads when it ends
    shot(page, "demo_match_run_proposal")
    run = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.status == MatchStatus.proposed, run.error
    main = page.inner_text("main")
    assert "志愿者" in page.inner_text("#proposal thead") and "先到先得" in main
    assert not re.search(r"\b[vsbpnwro]\d+\b|Traceback|[A-Z][a-z]+ \d+ [A-Z][a-z]{2}\b", main)
    proposed = len(run.result["assignments"])
    kept = len(run.inputs["kept"])
    assert proposed > kept  # it proposes new places, not only the ones volunteers already hold
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, "form[action$='/approve'] button[type=submit]")
    shot(page, "demo_match_run_approved")
    db.session.expire_all()
    assert db.session.get(MatchRun, run.id).status == MatchStatus.approved
    assert assigned() == before + proposed - kept
    assert "已批准" in page.inner_text("main")


def test_a_district_run_on_the_demo_is_solved_in_parts_and_approved(page, demo):
    """Civil affairs plan the whole district: the run is split into its independent parts, solved one
    after another in the web process (no Redis in the demo), and merged into one proposal."""
    district = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.district)).first()
    before = assigned()
    login(page, "civil", DEMO_PASSWORD)
    page.goto(page.base_url + "/matching/new")
    page.select_option("select[name=kind]", "shifts")
    page.select_option("select[name=region]", str(district.id))
    page.fill("input[name=week]", (today() + timedelta(days=1)).isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_selector("#proposal", timeout=60000)
    shot(page, "demo_district_run_in_parts")
    run = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.status == MatchStatus.proposed, run.error
    parts = db.session.scalar(sa.select(sa.func.count(MatchRunPart.id)).where(MatchRunPart.run_id == run.id))
    assert parts >= 2
    assert f"分为 {parts} 个相互独立的部分" in page.inner_text("#split")
    proposed, kept = len(run.result["assignments"]), len(run.inputs["kept"])
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, "form[action$='/approve'] button[type=submit]")
    db.session.expire_all()
    assert db.session.get(MatchRun, run.id).status == MatchStatus.approved
    assert assigned() == before + proposed - kept


def test_the_demo_volunteers_pages_fit_a_phone(phone, demo):  # noqa: F811 (the fixture)
    login(phone, "volunteer", DEMO_PASSWORD)
    phone.goto(phone.base_url + "/shifts/")
    # Columns: shift, when, where, skills, places, status.
    fits(phone, "demo_shifts", ["tbody td:nth-child(5) .badge", "tbody td:nth-child(6) .badge"])
    phone.goto(phone.base_url + "/volunteers/shifts")
    assert "候补" in phone.inner_text("main")  # the demo volunteer waits on a full shift's list
    fits(phone, "demo_my_shifts", ["table >> nth=0 >> tbody td:nth-child(4) .badge"])
    phone.goto(phone.base_url + "/volunteers/hours")
    fits(phone, "demo_my_hours", ["tbody td:nth-child(4) .badge"])
