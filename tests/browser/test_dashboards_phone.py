"""The dashboard of the demo district on a 360 px phone, in Chinese: charts scale, tables scroll inside
their box, nothing overflows, and the Content-Security-Policy blocks nothing (the phone fixture checks)."""
import pytest

from linkage.seed import DEMO_PASSWORD
from tests.browser.conftest import login
from tests.browser.test_phone import WIDTH, fits, phone  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def test_the_street_dashboard_fits_a_phone(phone, seeded_demo):
    login(phone, "street", DEMO_PASSWORD)
    phone.goto(phone.base_url + "/dashboards/")
    assert phone.locator("h1").inner_text() == "数据看板"
    fits(phone, "dashboard", ["svg.chart", "#dashboard-filters button", "[data-csv]"])
    for chart in phone.locator("svg.chart").all():
        assert chart.bounding_box()["width"] <= WIDTH
    phone.locator("[data-csv=needs-by-community]").scroll_into_view_if_needed()
    fits(phone, "dashboard_map", [".map-point"])
