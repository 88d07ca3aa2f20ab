"""Civil affairs staff on a phone (360 px, Chinese) start a volunteer run with fairness options and read
the price of fairness, each community's urgent coverage and the hours spread without scrolling sideways."""
import pytest

from tests.browser.conftest import login, submit
from tests.browser.test_phone import fits, phone  # noqa: F401 (the phone fixture)
from tests.web.test_matching_runs import week  # noqa: F401 (the week fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 3.0}


def test_a_run_with_fairness_on_a_phone(phone, world, week):  # noqa: F811
    login(phone, "civil")
    phone.goto(phone.base_url + "/matching/new")
    assert "公平性" in phone.inner_text("main")
    fits(phone, "fairness_form", ["#fairness input[name=urgent_floor]", "#fairness input[name=hours_cap]"])
    phone.select_option("select[name=kind]", "shifts")
    phone.select_option("select[name=region]", str(world.street1.id))
    phone.fill("input[name=week]", week["monday"].isoformat())
    phone.fill("input[name=urgent_floor]", "50")
    phone.fill("input[name=hours_cap]", "60")
    phone.check("input[name=spread]")
    phone.fill("input[name=time_limit]", "3")
    submit(phone, "main form button[type=submit]")
    phone.wait_for_selector("#price-of-fairness")
    text = phone.inner_text("#fairness")
    assert "公平" in text and "紧急" in text
    fits(phone, "fairness_review", ["#price-of-fairness", "#fairness h2"])
