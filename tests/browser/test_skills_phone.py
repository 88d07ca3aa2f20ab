"""A volunteer's certificates page on a phone 360 px wide, in Chinese: an approved, an expired and a waiting
certificate, and the upload of a new one."""
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import ProofStatus, SkillCertificate
from linkage.timeutil import today
from tests.browser.conftest import ARTIFACTS, login
from tests.browser.test_phone import fits, phone  # noqa: F401  (the phone fixture)
from tests.factories import make_certificate

pytestmark = pytest.mark.browser


def test_the_certificates_page_fits_a_phone_and_takes_an_upload(phone, world):  # noqa: F811
    make_certificate(world.volunteer, world.first_aid, expires_on=today() - timedelta(days=3))
    make_certificate(world.volunteer, world.first_aid, expires_on=today() + timedelta(days=300))
    db.session.commit()
    login(phone, "vol")
    phone.goto(phone.base_url + "/skills/mine")
    main = phone.inner_text("main")
    assert "我的资质证书" in main and "已于" in main and "有效期至" in main
    fits(phone, "skills_before", [".skill-certificate", ".certificate-expired", "select[name=skill]",
                                  "input[name=file]", "main button[type=submit]"])
    scan = os.path.join(ARTIFACTS, "first-aid.pdf")
    with open(scan, "wb") as handle:
        handle.write(b"%PDF-1.4 first aid")
    phone.select_option("select[name=skill]", str(world.first_aid.id))
    phone.set_input_files("input[name=file]", scan)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("text=等待社工审核")
    fits(phone, "skills_after", [".skill-certificate", ".alert"])
    assert db.session.scalar(sa.select(sa.func.count(SkillCertificate.id)).where(
        SkillCertificate.status == ProofStatus.pending)) == 1
