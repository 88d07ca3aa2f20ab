"""A social worker of the contracted organization on a phone (360 px wide, Chinese): the contract page
with its installments, delivery progress and the upload form fits the screen."""
from datetime import timedelta

import pytest

from linkage import settings
from linkage.contracts import services
from linkage.extensions import db
from linkage.projects import services as project_services
from tests.browser.conftest import login
from tests.browser.test_phone import fits, phone  # noqa: F401
from tests.web.test_projects_support import evaluated_project

pytestmark = pytest.mark.browser


@pytest.fixture
def contract(world):
    project, bids = evaluated_project(world)
    project.title = "梧桐街道为老助餐与探访服务项目（2027年度）"
    project_services.award_bid(project, bids[0], actor=world["civil"])
    project.awarded_at -= timedelta(days=settings.get("STANDSTILL_DAYS"))  # the standstill is over
    contract = services.create_contract(project, services.default_data(project), actor=world["civil"])
    services.sign_contract(contract, actor=world["orgadmin"])
    services.record_payment(contract.installments[0], actor=world["civil"])
    services.upload_document(contract, services.Upload("月度报告.pdf", b"%PDF-1.4 report", title="十月服务月报"),
                             actor=world["worker"])
    db.session.commit()
    return contract


def test_the_contract_page_fits_a_phone(phone, world, contract):  # noqa: F811
    login(phone, "worker")
    phone.goto(phone.base_url + f"/contracts/{contract.id}")
    assert "十月服务月报" in phone.inner_text("main")
    fits(phone, "contract", ["main h1", "form[enctype] button[type=submit]", "text=十月服务月报",
                             "table >> nth=0 >> tbody td:nth-child(1)"])
