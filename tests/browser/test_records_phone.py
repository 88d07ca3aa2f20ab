"""A volunteer's record on a phone 360 px wide, in Chinese: number, hours, stars, certificates (one issued,
downloadable; one on public notice), the correction form; and the public verification page."""
from datetime import timedelta

import pytest

from linkage import timeutil
from linkage.extensions import db
from linkage.records import numbers, services
from tests.browser.conftest import login
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.factories import now
from tests.records_support import approved_entry

pytestmark = pytest.mark.browser


@pytest.fixture
def record(world):
    """Approved hours, one certificate issued and a second on public notice."""
    approved_entry(world, minutes=150, title="敬老院周末陪伴日")
    with timeutil.as_of(now() - timedelta(days=10)):
        issued = services.request_certificate(world.volunteer, actor=world["vol"])
    services.issue_certificate(issued, person_in_charge="李建国", contact="021-63210000", actor=world["staff1"])
    approved_entry(world, minutes=120, title="独居老人陪伴探访", days_ago=1)
    on_notice = services.request_certificate(world.volunteer, actor=world["vol"])
    db.session.commit()
    return issued, on_notice


def test_the_record_page_fits_a_phone_and_the_certificate_downloads(phone, world, record):  # noqa: F811
    issued, on_notice = record
    login(phone, "vol")
    phone.goto(phone.base_url + "/records/mine")
    main = phone.inner_text("main")
    assert "我的志愿服务记录" in main and numbers.number_of(world.volunteer) in main
    assert "4.5" in main and issued.number in main and on_notice.number in main and "公示至" in main
    fits(phone, "records", [".volunteer-number", ".cumulative-hours", ".star-level", ".certificate",
                            "text=下载证明（PDF）", "text=申请更正已确认的时长"])
    with phone.expect_download() as download:
        phone.click("text=下载证明（PDF）")
    assert download.value.suggested_filename == f"certificate-{issued.number}.pdf"

    phone.goto(phone.base_url + "/records/corrections/new")
    fits(phone, "correction", ["select[name=sign_up]", "textarea[name=reason]", "main button[type=submit]"])

    phone.goto(phone.base_url + "/records/verify")
    phone.fill("input[name=number]", issued.number)
    phone.fill("input[name=code]", services.verification_code(issued))
    phone.click("main form button[type=submit]")
    phone.wait_for_selector(".verify-result")
    assert "此证明真实有效" in phone.inner_text(".verify-result")
    fits(phone, "verify", [".verify-result"])
