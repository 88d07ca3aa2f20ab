"""A volunteer on a phone (360 px wide, Chinese): the shift list, my shifts and my hours fit the screen,
and places and status are on screen, not scrolled away to the right."""
import os
from datetime import timedelta

import pytest

from linkage.extensions import db
from linkage.models import HoursStatus, SignUp, SignUpStatus
from tests.browser.conftest import ARTIFACTS, CommittingPage, login, policy_violations
from tests.factories import make_shift, make_volunteer, now

pytestmark = pytest.mark.browser

WIDTH = 360
PLACE = "枫林社区党群服务中心二楼多功能活动室"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(15000)
    tab = context.new_page()
    blocked = policy_violations(tab)
    yield CommittingPage(tab, live_server)
    context.close()
    assert blocked == [], blocked


@pytest.fixture
def volunteer_week(world):
    """Shifts to browse, one of them full; a place, a waiting-list entry, past hours approved and declined."""
    soon = (now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    shifts = [make_shift(world.c1, start=soon + timedelta(days=i), title=title, slots=((world.elder_care, 2), (None, 3)))
              for i, title in enumerate(["独居老人上门陪伴探访（每周固定）", "社区长者食堂助餐志愿服务", "四点半课堂作业辅导"])]
    full = make_shift(world.c1, start=soon + timedelta(hours=5), title="重阳节文艺汇演后台协助", slots=((None, 1),))
    past = [make_shift(world.c1, start=soon - timedelta(days=d), title=f"垃圾分类宣传第{d}期") for d in (9, 16)]
    for shift in [*shifts, full, *past]:
        shift.place = PLACE
    other = make_volunteer(world.c1, name="早到的志愿者")
    db.session.add_all([
        SignUp(shift=full, volunteer=other, status=SignUpStatus.assigned, slot=full.slots[0]),
        SignUp(shift=full, volunteer=world.volunteer, status=SignUpStatus.waitlisted),
        SignUp(shift=shifts[0], volunteer=world.volunteer, status=SignUpStatus.assigned, slot=shifts[0].slots[0]),
        SignUp(shift=past[0], volunteer=world.volunteer, status=SignUpStatus.checked_out, minutes=115,
               hours_status=HoursStatus.approved, checked_in_at=past[0].start, checked_out_at=past[0].end),
        SignUp(shift=past[1], volunteer=world.volunteer, status=SignUpStatus.checked_out, minutes=20,
               hours_status=HoursStatus.declined, hours_note="签到较晚，服务时长不足班次的 60%",
               checked_in_at=past[1].start, checked_out_at=past[1].end),
    ])
    db.session.commit()


def fits(page, name: str, selectors: list[str]) -> None:
    """No horizontal overflow, and every element matched by ``selectors`` is visible within the width."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"phone_{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, name
    for selector in selectors:
        items = page.locator(selector)
        assert items.count() > 0, (name, selector)
        for i in range(items.count()):
            item = items.nth(i)
            assert item.is_visible(), (name, selector, i)
            box = item.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 0.5, (name, selector, i, box)


def test_volunteer_pages_fit_a_phone(phone, world, volunteer_week):
    login(phone, "vol")
    phone.goto(phone.base_url + "/shifts/")
    assert "重阳节文艺汇演后台协助" in phone.inner_text("main")
    # Columns: shift, when, where, skills, places, status.
    fits(phone, "shift_list", ["tbody td:nth-child(5) .badge", "tbody td:nth-child(6) .badge",
                               "tbody td:nth-child(3) >> text=" + PLACE])

    phone.goto(phone.base_url + "/volunteers/shifts")
    assert "候补" in phone.inner_text("main")
    # Coming up: shift, when, where, status; past: shift, when, status, minutes, hours.
    fits(phone, "my_shifts", ["table >> nth=0 >> tbody td:nth-child(3)", "table >> nth=0 >> tbody td:nth-child(4) .badge",
                              "table >> nth=1 >> tbody td:nth-child(3) .badge"])

    phone.goto(phone.base_url + "/volunteers/hours")
    assert "签到较晚" in phone.inner_text("main")
    # Shift, when, minutes, hours, note.
    fits(phone, "my_hours", ["tbody td:nth-child(4) .badge", "tbody td:nth-child(5) >> text=签到较晚",
                             "tbody td:nth-child(1) >> text=垃圾分类宣传第9期"])
