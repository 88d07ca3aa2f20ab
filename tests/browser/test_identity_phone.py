"""A minor volunteer's profile and the staff's consent page on a phone 360 px wide, in Chinese: the masked
ID number, whether a guardian's consent is on file, days away; recording the consent with the signed form."""
from datetime import date, timedelta

import pytest

from linkage.extensions import db
from linkage.models import AvailabilityException, ExceptionKind, GuardianConsent
from tests.browser.conftest import login
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.factories import set_born

pytestmark = pytest.mark.browser


@pytest.fixture
def minor(world):
    set_born(world.volunteer, date.today() - timedelta(days=16 * 366))
    world.volunteer.exceptions.append(AvailabilityException(kind=ExceptionKind.away,
                                                            day=date.today() + timedelta(days=6)))
    db.session.commit()
    return world.volunteer


def test_a_minors_profile_and_the_consent_page_fit_a_phone(phone, world, minor, tmp_path):  # noqa: F811
    login(phone, "vol")
    phone.goto(phone.base_url + "/volunteers/profile")
    main = phone.inner_text("main")
    assert "已登记的身份证号" in main and "未满 18 周岁" in main and "（全天）" in main
    fits(phone, "identity_profile", [".id-on-file", ".guardian-consent", ".exception-row",
                                      "input[name=id_number]", "#exceptions select[name=kind]",
                                      "#exceptions input[name=day]"])
    phone.context.clear_cookies()
    login(phone, "staff1")
    phone.goto(phone.base_url + "/volunteers/minors")
    assert "未登记同意" in phone.inner_text("main")
    fits(phone, "identity_minors", [".minor-row"])
    phone.click(f"text={minor.name}")
    form = tmp_path / "同意书.pdf"
    form.write_bytes(b"%PDF-1.4\n% signed\n%%EOF\n")
    phone.fill("input[name=guardian_name]", "王丽")
    phone.fill("input[name=relation]", "母亲")
    phone.fill("input[name=phone]", "13900000008")
    phone.set_input_files("input[name=file]", str(form))
    phone.click("main form button[type=submit]")
    phone.wait_for_selector(".consent-on-file")
    assert "王丽（母亲）" in phone.inner_text(".consent-on-file")
    fits(phone, "identity_consent", [".consent-on-file", "text=下载签字同意书", "text=撤回同意"])
    assert db.session.query(GuardianConsent).count() == 1
