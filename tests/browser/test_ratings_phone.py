"""A resident rates a home visit on a phone 360 px wide, in Chinese: the list of their visits, the large-text
form with one choice a line, the thanks and the rating shown; a low rating reaches the community's staff."""
import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import FollowUp, NeedStatus, VisitRating
from tests.browser.conftest import login, submit
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.factories import make_need
from tests.ratings_support import make_visit

pytestmark = pytest.mark.browser


def test_a_resident_rates_a_visit_on_a_phone(phone, world):  # noqa: F811
    need = make_need(world.resident, world.visits, status=NeedStatus.in_service, title="每周上门陪伴聊天")
    make_visit(world, need, title="独居老人上门陪伴探访")
    db.session.commit()
    login(phone, "resident")
    phone.goto(phone.base_url + "/ratings/")
    assert "独居老人上门陪伴探访" in phone.inner_text("main")
    fits(phone, "ratings_list", ["text=评价这次服务"])
    phone.click("text=评价这次服务")
    phone.wait_for_selector("input[name=rating]")
    fits(phone, "rating_form", ["input[name=rating]", "textarea[name=comment]", "main button[type=submit]"])
    assert phone.evaluate("parseFloat(getComputedStyle(document.querySelector('.resident-page')).fontSize)") >= 19
    phone.check("input[name=rating][value='2']")
    phone.fill("textarea[name=comment]", "来的时间太短了")
    submit(phone, "main button[type=submit]")
    assert "感谢您的评价" in phone.inner_text("body") and "已评 2 分" in phone.inner_text("main")
    fits(phone, "ratings_rated", ["main .list-group-item"])
    rating = db.session.scalar(sa.select(VisitRating))
    assert (rating.rating, rating.comment, rating.on_behalf) == (2, "来的时间太短了", False)
    assert db.session.scalar(sa.select(FollowUp.status)).value == "open"
