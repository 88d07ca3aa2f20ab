"""The public page on a phone (360 px wide, Chinese), without signing in: the district's figures, a
project open for bids, and an award notice with its ranking fit the screen."""
import pytest

from linkage.extensions import db
from linkage.projects import services as project_services
from tests.browser.test_phone import fits, phone  # noqa: F401
from tests.web.test_projects_support import evaluated_project, published_project

pytestmark = pytest.mark.browser


@pytest.fixture
def awarded(world):
    published_project(world, title="新华街道四点半课堂服务项目")
    project, bids = evaluated_project(world)
    project.title = "梧桐街道为老助餐与探访服务项目（2027年度）"
    project_services.award_bid(project, bids[0], actor=world["civil"])
    db.session.commit()
    return project


def test_the_public_page_fits_a_phone(phone, world, awarded):  # noqa: F811
    phone.goto(phone.base_url + "/public/")
    main = phone.inner_text("main")
    assert "政府购买服务信息公开" in main and "新华街道四点半课堂服务项目" in main and "中标公告" in main
    fits(phone, "public", ["main h1", "text=新华街道四点半课堂服务项目", "#by-status .badge >> nth=0"])
    phone.click(f"a[href='/public/projects/{awarded.id}']")
    assert world.org1.name in phone.inner_text("#ranking")
    fits(phone, "public_project", ["main h1", "#ranking tbody td:nth-child(2)", "text=发布包"])
