"""Dates, numbers and money as each language writes them, through the one set of template filters."""
from datetime import datetime, timezone
from decimal import Decimal

from flask_babel import force_locale

from linkage import formats
from linkage.extensions import db
from tests.factories import make_project


def test_money_counts_and_dates_follow_the_language(app):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert formats.money(Decimal("1234")) == "¥1,234.00"
            assert formats.number(12345.678, 1) == "12,345.7"
            assert formats.percent(0.125, 1) == "12.5%"
            assert "2026年3月5日" in formats.moment(datetime(2026, 3, 5, 4, 30, tzinfo=timezone.utc), "long")
        with force_locale("en"):
            assert formats.money(Decimal("1234")) == "CN¥1,234.00"
            assert formats.number(1234567) == "1,234,567"
            assert "March 5, 2026" in formats.moment(datetime(2026, 3, 5, 4, 30, tzinfo=timezone.utc), "long")
        assert formats.money(None) == formats.number(None) == "—"


def test_a_page_with_money_shows_it_per_language(client, auth, world):
    make_project(world.district, title="Money shown per language", budget=1234)
    db.session.commit()
    auth.login("civil")
    client.post("/auth/language/zh_CN", data={"next": "/projects/"})
    chinese = client.get("/projects/").get_data(as_text=True)
    assert "¥1,234.00" in chinese and "CN¥" not in chinese and "元" not in chinese
    client.post("/auth/language/en", data={"next": "/projects/"})
    english = client.get("/projects/").get_data(as_text=True)
    assert "CN¥1,234.00" in english
