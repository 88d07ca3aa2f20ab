"""A volunteer's whole journey on a phone 360 px wide, in Chinese: find a shift near home, sign up, receive
the reminder, check in with the code the lead shows, see the hours and download the service certificate."""
from datetime import timedelta

import pytest

from linkage import timeutil
from linkage.extensions import db
from linkage.models import SignUp, SignUpStatus
from linkage.records import services as records
from linkage.shifts import codes, reminders
from tests.browser.conftest import login, submit
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.factories import now
from tests.records_support import approved_entry
from tests.web.test_shifts_support import hour, project_shift

pytestmark = pytest.mark.browser


@pytest.fixture
def journey(world):
    """A shift near her home starting in half an hour, one far away; and last month's service, certified."""
    near = project_shift(world, title="独居老人陪伴探访", start=(now() + timedelta(minutes=30)).replace(
        second=0, microsecond=0), hours=2)
    near.place = "枫林社区党群服务中心"
    far = project_shift(world, title="河滨公园清洁活动", start=hour(days=2))
    far.latitude = world.volunteer.latitude + 0.2
    approved_entry(world, minutes=150, title="敬老院周末陪伴日", days_ago=20)
    with timeutil.as_of(now() - timedelta(days=10)):
        certificate = records.request_certificate(world.volunteer, actor=world["vol"])
    records.issue_certificate(certificate, person_in_charge="李建国", contact="021-63210000", actor=world["staff1"])
    db.session.commit()
    return near, certificate


def test_find_sign_up_be_reminded_check_in_and_take_the_certificate(phone, world, journey):  # noqa: F811
    near, certificate = journey
    login(phone, "vol")

    # Find a shift near home, and sign up.
    phone.goto(phone.base_url + "/shifts/?within_km=5")
    main = phone.inner_text("main")
    assert "独居老人陪伴探访" in main and "河滨公园清洁活动" not in main
    phone.click("text=独居老人陪伴探访")
    phone.wait_for_selector(f"form[action$='/shifts/{near.id}/sign-up'] button")
    submit(phone, f"form[action$='/shifts/{near.id}/sign-up'] button")
    record = db.session.query(SignUp).filter_by(shift_id=near.id, volunteer_id=world.volunteer.id).one()
    assert record.status == SignUpStatus.assigned
    fits(phone, "journey_signed_up", ["main"])

    # The worker's scheduled job sends the reminder two hours before; she reads it on the phone.
    assert reminders.send_due() == 1
    db.session.commit()
    phone.goto(phone.base_url + "/notifications")
    assert "提醒" in phone.inner_text("main") and "独居老人陪伴探访" in phone.inner_text("main")

    # At the site she opens the code the lead shows, and is checked in.
    phone.goto(phone.base_url + f"/shifts/{near.id}/check/{codes.make(near.id, 'in')}")
    phone.wait_for_selector("#check-button")
    submit(phone, "#check-button")
    assert "签到成功" in phone.inner_text("body")
    db.session.expire_all()
    assert db.session.get(SignUp, record.id).status == SignUpStatus.checked_in

    # Her hours, and the certificate of her service, on the phone.
    phone.goto(phone.base_url + "/records/mine")
    main = phone.inner_text("main")
    assert "2.5" in main and certificate.number in main
    fits(phone, "journey_record", [".cumulative-hours", ".certificate"])
    with phone.expect_download() as download:
        phone.click("text=下载证明（PDF）")
    assert download.value.suggested_filename == f"certificate-{certificate.number}.pdf"
