"""Bad input answers a page, a field message, 400 or 404, never a server error, and writes nothing."""
import re

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from linkage.extensions import db
from linkage.models import MatchRun, Resident

HUGE = "99999999999999999999"
LISTS = ["/shifts/", "/projects/", "/organizations/", "/matching/", "/admin/users", "/admin/audit",
         "/community/residents", "/community/needs", "/community/accounts", "/needs/mine", "/notifications"]


def _lists(app):
    """Every listed page that exists in the URL map."""
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    return [url for url in LISTS if url in rules]


@pytest.mark.parametrize("page", [HUGE, "-5", "0", "abc", "", "1e9", "100001"])
def test_any_page_number_answers_a_page_of_every_list(client, auth, world, app, page):
    auth.login("admin")
    failures = {url: client.get(f"{url}?page={page}").status_code for url in _lists(app)}
    assert _lists(app) and all(code in (200, 404) for code in failures.values()), failures


def test_a_page_past_the_end_answers_the_last_page(client, auth, world):
    auth.login("admin")
    first = client.get("/admin/users").get_data(as_text=True)
    beyond = client.get(f"/admin/users?page={HUGE}")
    assert beyond.status_code == 200
    assert "admin" in beyond.get_data(as_text=True) and "admin" in first


# Every other path parameter takes a value its route accepts, so only the id is out of range.
OTHER_PARAMETERS = {"name": "MATCH_TIME_LIMIT", "code": "en"}


def _address(rule, values: dict) -> str:
    plain = re.sub(r"<any\([^)]*\):", "<", rule.rule)
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: values[match.group(1)], plain)


def _urls_with_one_bad_id(app, value):
    """(method, url, the same url with the id 1) for every route and every integer parameter in it: that
    one ``value``, every other integer 1, every other parameter a value the route accepts."""
    for rule in app.url_map.iter_rules():
        ids = [arg for arg, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
        for bad in ids:
            values = {arg: value if arg == bad else "1" if arg in ids else
                      OTHER_PARAMETERS.get(arg) or sorted(getattr(converter, "items", ["x"]))[0]
                      for arg, converter in rule._converters.items()}
            method = "GET" if "GET" in rule.methods else "POST"
            yield method, _address(rule, values), _address(rule, {**values, bad: "1"})


@pytest.mark.parametrize("value", ["0", "-1", "2147483648", "9223372036854775808", HUGE, "abc", "1.5", "%00"])
def test_ids_beyond_the_id_columns_match_no_route(client, auth, world, app, value):
    auth.login("admin")
    urls = list(_urls_with_one_bad_id(app, value))
    # A route the admin may not use at all (a volunteer's withdrawal) answers 403 for any id.
    failures = [(method, url, status) for method, url, valid in urls
                if (status := client.open(url, method=method).status_code) != 404
                and not status == client.open(valid, method=method).status_code == 403]
    assert len(urls) > 30 and not failures
    assert client.get(f"/shifts/{value}").status_code == 404


@pytest.mark.parametrize("query", ["q=a%00b", "status=%00", "page=1%00", "community=%00",
                                   "category=" + HUGE, "resident=" + HUGE, "project=" + HUGE])
def test_query_parameters_with_nul_or_huge_ids_never_fail(client, auth, world, query):
    auth.login("admin")
    for url in ("/admin/users", "/community/residents", "/community/needs", "/projects/", "/shifts/",
                "/needs/new"):
        status = client.get(f"{url}?{query}").status_code
        assert status < 500, (url, query, status)
        if "%00" in query:
            assert status == 400, (url, query, status)


def test_a_nul_character_in_a_form_field_is_refused_on_the_field(client, auth, world):
    auth.login("staff1")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Resident))
    response = client.post("/community/residents/new", data={"name": "Wang\x00Li", "region": world.c1.id})
    assert response.status_code == 200
    assert "Remove the invalid control character from this field." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == before


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_a_far_week_on_a_new_match_run_is_refused_on_the_field(client, auth, world, week):
    auth.login("civil")
    response = client.post("/matching/new", data={"kind": "shifts", "region": world.street1.id,
                                                   "time_limit": 5, "week": week})
    assert response.status_code == 200
    assert "Enter a date between the years 1900 and 2200." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchRun)) == 0


@pytest.mark.parametrize("value", [HUGE, "NaN", "inf", "-1e30"])
def test_numbers_beyond_the_columns_are_refused_on_the_field(client, auth, world, value):
    auth.login("civil")
    response = client.post("/matching/new", data={"kind": "award", "region": world.street1.id,
                                                   "time_limit": 5, "funding_pool": value})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchRun)) == 0


def test_an_id_beyond_the_columns_in_a_list_of_ids_is_refused_on_the_field(client, auth, world):
    from linkage.models import Project
    auth.login("civil")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Project))
    response = client.post("/projects/new", data={
        "title": "Visits", "region": world.street1.id, "needs": [HUGE], "budget": "1000",
        "service_start": "2030-01-01", "service_end": "2030-06-01", "bidding_deadline": "2029-12-01T10:00"})
    assert response.status_code == 200
    assert "Enter a smaller number." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == before


@pytest.mark.parametrize("url, field", [("/community/residents/new", "tags"),
                                        ("/community/needs/new?resident={resident}", "skills")])
def test_a_blank_entry_in_a_multiple_choice_is_refused_on_the_field(client, auth, world, url, field):
    from linkage.models import Need
    auth.login("staff1")

    def counts():
        return {model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Resident, Need)}

    before = counts()
    response = client.post(url.format(resident=world.resident.id), data={
        "name": "Wang Li", "id_number": "11010519491231002X", "address": "Room 1", "region": world.c1.id,
        "consent": "y", "title": "Visit", "category": world.visits.id, "urgency": 2, "recurrence": "once",
        field: ""})
    assert response.status_code == 200
    assert "Please correct the marked fields; nothing was saved." in response.get_data(as_text=True)
    assert counts() == before
