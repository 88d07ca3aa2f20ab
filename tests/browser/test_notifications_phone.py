"""A volunteer's notifications: on a phone 360 px wide each message has the whole width and its date sits on
one line under it; on a desk the date stays beside the message, on the right."""
from datetime import datetime, timedelta, timezone

import pytest

from linkage import notifications
from linkage.extensions import db
from linkage.timeutil import as_of
from tests.browser.conftest import login
from tests.browser.test_phone import WIDTH, fits, phone  # noqa: F401  (the phone fixture)

pytestmark = pytest.mark.browser

TITLES = ("重阳节社区长者文艺汇演后台协助与场地布置", "四点半课堂作业辅导")
REASON = "天气预报周六有八级大风并伴有雷阵雨，为保障长者和志愿者的安全，活动改期至下周六同一时间同一地点举行"


@pytest.fixture
def messages(world):
    """Two messages long enough to take more than one line even on a desk, sent on 1 December at 07:07 local time."""
    for title in TITLES:
        with as_of(datetime(2026, 11, 30, 23, 7, tzinfo=timezone.utc)):
            notifications.notify([world["vol"]], "shift_cancelled", title=title, reason=REASON,
                                 start=datetime(2026, 12, 5, 1, tzinfo=timezone.utc) + timedelta(hours=len(title)))
            db.session.flush()
    db.session.commit()


def layout(tab) -> list[dict]:
    """Each listed notification's message and date boxes, and how many lines the date's text takes."""
    return tab.evaluate("""() => [...document.querySelectorAll('main .list-group-item')].map(item => {
        const [message, date] = item.children;
        const range = document.createRange();
        range.selectNodeContents(date);
        return {message: message.getBoundingClientRect().toJSON(), date: date.getBoundingClientRect().toJSON(),
                dateText: date.innerText, dateLines: range.getClientRects().length,
                dateLineHeight: range.getBoundingClientRect().height};
    })""")


def test_on_a_phone_the_date_sits_on_one_line_under_the_message(phone, world, messages):  # noqa: F811
    login(phone, "vol")
    phone.goto(phone.base_url + "/notifications")
    assert all(title in phone.inner_text("main") for title in TITLES)
    fits(phone, "notifications", ["main .list-group-item > span", "main .list-group-item > small"])
    items = layout(phone)
    assert len(items) == 2
    for item in items:
        message, date = item["message"], item["date"]
        assert "2026/12/1" in item["dateText"] and "07:07" in item["dateText"], item
        assert item["dateLines"] == 1, item                                  # "2026/12/1 07:07" not broken
        assert date["top"] >= message["bottom"] - 0.5, item                  # under the message
        assert abs(date["left"] - message["left"]) < 1, item                 # from the same left edge
        assert message["width"] > WIDTH - 80, item                           # the message has the whole width


def test_on_a_desk_the_date_stays_beside_the_message(page, world, messages):
    login(page, "vol")
    page.goto(page.base_url + "/notifications")
    items = layout(page)
    assert len(items) == 2
    for item in items:
        message, date = item["message"], item["date"]
        assert message["height"] > 1.5 * item["dateLineHeight"], item       # the message takes two lines
        assert item["dateLines"] == 1, item                                  # a long message does not break it
        assert date["left"] >= message["right"] - 0.5, item                  # to the right of the message
        assert date["top"] < message["bottom"] and message["top"] < date["bottom"], item   # on the same line
