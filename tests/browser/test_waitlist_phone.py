"""On a phone 360 px wide, in Chinese: a volunteer filters shifts near home, sees the place offered to them
from the waiting list on "my shifts" and accepts it."""
import pytest

from linkage.extensions import db
from linkage.models import SignUpStatus
from linkage.shifts import places
from tests.browser.conftest import login, submit
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.web.test_shifts_support import add_sign_up, hour, project_shift, volunteer

pytestmark = pytest.mark.browser


def test_filter_near_home_and_accept_an_offer_on_a_phone(phone, world):  # noqa: F811
    near = project_shift(world, title="独居老人陪伴探访", start=hour(days=2), slots=((None, 1),))
    near.place = "枫林社区党群服务中心"
    far = project_shift(world, title="河滨公园清洁活动", start=hour(days=3))
    far.latitude = world.volunteer.latitude + 0.2
    holder = volunteer(world)
    held = add_sign_up(near, holder)
    add_sign_up(near, world.volunteer, status=SignUpStatus.waitlisted)
    db.session.commit()
    login(phone, "vol")
    phone.goto(phone.base_url + "/shifts/?within_km=5")
    main = phone.inner_text("main")
    assert "独居老人陪伴探访" in main and "河滨公园清洁活动" not in main and "距家" in main
    fits(phone, "shift_search", ["select[name=within_km]", "select[name=show]", "main form button[type=submit]"])

    places.cancel_sign_up(held, actor=holder.user)      # a place frees up: offered to her
    db.session.commit()
    phone.goto(phone.base_url + "/volunteers/shifts")
    assert "有一个名额留给您" in phone.inner_text("main")
    fits(phone, "my_shifts_offer", [".offer-box button"])
    phone.on("dialog", lambda dialog: dialog.accept())
    submit(phone, "text=接受名额")
    main = phone.inner_text("main")
    assert "您已获得该服务班次的名额" in main and "已安排" in main
