"""At the site, on phones 360 px wide, in Chinese: the lead shows the shift's check-in code, and the
volunteer opens the code's URL on their phone, signs in and is checked in."""
from datetime import timedelta

import pytest

from linkage.extensions import db
from linkage.models import SignUp, SignUpStatus
from tests.browser.conftest import CommittingPage, login, policy_violations, submit
from tests.browser.test_phone import WIDTH, fits, phone  # noqa: F401  (the phone fixture)
from tests.web.test_shifts_support import add_sign_up, now, project_shift

pytestmark = pytest.mark.browser


@pytest.fixture
def second_phone(browser, live_server):
    """The volunteer's own phone: another browser, 360 px wide, in Chinese."""
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(15000)
    tab = context.new_page()
    blocked = policy_violations(tab)
    yield CommittingPage(tab, live_server)
    context.close()
    assert blocked == [], blocked


@pytest.fixture
def shift_soon(world):
    """A shift of ``worker`` starting in half an hour (check-in is open), ``vol`` holding a place."""
    start = (now() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    shift = project_shift(world, start=start, hours=2, title="独居老人陪伴探访")
    shift.place = "枫林社区党群服务中心"
    record = add_sign_up(shift, world.volunteer)
    db.session.commit()
    return shift, record


def test_the_volunteer_checks_in_by_the_leads_code_on_a_phone(phone, second_phone, world, shift_soon):  # noqa: F811
    shift, record = shift_soon
    login(phone, "worker")
    phone.goto(phone.base_url + f"/shifts/{shift.id}")
    phone.click("text=出示签到码")
    phone.wait_for_selector("#shift-code svg")
    fits(phone, "check_in_code", ["#shift-code svg"])
    url = phone.get_attribute("#shift-code", "data-url")
    assert url.startswith(phone.base_url + f"/shifts/{shift.id}/check/")

    # The volunteer scans the code with their own phone: not signed in yet, the platform asks first, then
    # comes back to the code.
    mine = second_phone
    login(mine, "vol", url=url)
    mine.wait_for_selector("#check-button")
    assert "独居老人陪伴探访" in mine.inner_text("main")
    fits(mine, "check_in_page", ["#check-button"])
    submit(mine, "#check-button")
    assert "签到成功" in mine.inner_text("body")
    assert "已签到" in mine.inner_text("main")
    fits(mine, "checked_in", [".alert"])
    assert db.session.get(SignUp, record.id).status == SignUpStatus.checked_in

    # On the same phone, the volunteer adds their shifts to the phone's calendar.
    assert "添加到我的日历" in mine.inner_text("main")
    mine.goto(mine.base_url + "/volunteers/profile")
    mine.click("text=生成我的日历链接")
    mine.wait_for_selector("#calendar-url")
    assert mine.input_value("#calendar-url").endswith(".ics")
    fits(mine, "calendar_link", ["#calendar-url"])
