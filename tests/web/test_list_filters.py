"""Long lists share one search box and filter bar: the search narrows the list, filters combine with it and
with the pages, and a value the list does not know is left out with a message on the field, never a 500."""
import pytest

from linkage.extensions import db
from linkage.listing import matching_text
from linkage.models import Organization, OrgStatus

LISTS = [("civil", "/organizations/"), ("civil", "/contracts/"), ("civil", "/meetings/"), ("civil", "/matching/"),
         ("admin", "/organizations/"), ("civil", "/projects/"), ("admin", "/admin/users"),
         ("staff1", "/community/accounts")]


@pytest.mark.parametrize("login,path", LISTS)
def test_every_list_has_the_search_box_and_refuses_bad_filters_with_a_message(client, auth, world, login, path):
    auth.login(login)
    page = client.get(path).get_data(as_text=True)
    assert 'role="search"' in page and 'type="search"' in page and 'for="q"' in page
    bad = client.get(path + "?status=nonsense&kind=%00x&q=" + "x" * 101 + "&page=abc")
    assert bad.status_code in (200, 400)
    if bad.status_code == 200:
        text = bad.get_data(as_text=True)
        assert "is-invalid" in text and "Not a valid choice; this filter was ignored." in text


def test_the_organization_search_finds_by_name_or_credit_code_and_keeps_the_status(client, auth, world):
    auth.login("civil")
    orgs = db.session.scalars(db.select(Organization)).all()
    target = orgs[0]
    page = client.get("/organizations/", query_string={"q": target.name[1:5].lower()}).get_data(as_text=True)
    assert target.name in page
    others = [o for o in orgs if target.name[1:5].lower() not in o.name.lower()
              and target.name[1:5].lower() not in o.credit_code.lower()]
    assert all(o.name not in page for o in others)
    by_code = client.get("/organizations/", query_string={"q": target.credit_code}).get_data(as_text=True)
    assert target.name in by_code
    other_status = next(s for s in OrgStatus if s != target.status)
    page = client.get("/organizations/", query_string={"q": target.credit_code, "status": other_status.value})
    assert target.name not in page.get_data(as_text=True)
    assert "No organization matches the search." in page.get_data(as_text=True)


def test_search_text_is_taken_literally(app, world):
    """% and _ in the search match themselves, not any text."""
    query = matching_text(db.select(Organization), "%", Organization.name)
    assert db.session.scalars(query).all() == []
    assert len(db.session.scalars(matching_text(db.select(Organization), "", Organization.name)).all()) == \
        len(db.session.scalars(db.select(Organization)).all())


def test_the_account_search_finds_by_name_or_username_and_role(client, auth, world):
    auth.login("admin")
    page = client.get("/admin/users", query_string={"q": "STAFF1"}).get_data(as_text=True)
    assert ">staff1<" in page and ">civil<" not in page
    page = client.get("/admin/users", query_string={"role": "civil_affairs"}).get_data(as_text=True)
    assert ">civil<" in page and ">staff1<" not in page
    everyone = client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert ">staff1<" not in everyone   # "%" is a character to find, not "anything"


def test_the_project_search_finds_by_title(client, auth, world):
    from tests.factories import make_project
    make_project(world.district, title="Riverside tutoring after school")
    make_project(world.district, title="Meals for elders")
    db.session.commit()
    auth.login("civil")
    page = client.get("/projects/", query_string={"q": "riverside"}).get_data(as_text=True)
    assert "Riverside tutoring after school" in page and "Meals for elders" not in page
    assert "1 in all" in page
