"""A resident asks for help on a phone 360 px wide, in Chinese: the large form, the likely duplicate
suggested before sending, joining it."""
import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import NeedFollower, NeedStatus, Role
from tests.browser.conftest import login
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.factories import make_need, make_resident, make_user

pytestmark = pytest.mark.browser


def test_the_resident_form_fits_a_phone_and_suggests_joining(phone, world):  # noqa: F811
    neighbour = make_resident(world.c1, name="李大爷", user=make_user("li", Role.resident, world.c1))
    need = make_need(neighbour, world.visits, status=NeedStatus.open, title="李大爷家的探访")
    db.session.commit()
    login(phone, "resident")
    phone.goto(phone.base_url + "/needs/new")
    fits(phone, "need_form", ["select[name=category]", "input[name=title]", "input[name=photos]",
                              "main button[type=submit]"])
    phone.select_option("select[name=category]", str(world.visits.id))
    phone.fill("input[name=title]", "想找人陪我聊聊天")
    phone.click("main form[enctype] button[type=submit]")
    phone.wait_for_selector("#likely-duplicates")
    text = phone.inner_text("#likely-duplicates")
    assert "是下面这些需求之一吗？" in text and "李大爷" not in text
    fits(phone, "need_duplicates", ["#likely-duplicates button[type=submit]", "main form[enctype] button[type=submit]"])
    phone.click("#likely-duplicates button[type=submit]")
    phone.wait_for_selector("#followed")
    assert db.session.scalar(sa.select(NeedFollower.need_id)) == need.id
