"""Organizations: registration, the civil-affairs register, verification and credit status."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from linkage.timeutil import today as local_today
from linkage.extensions import db
from linkage.identifiers import credit_code_check_char
from linkage.models import AccountStatus, Organization, OrgStatus, Role
from tests.factories import make_credit_code, make_org, make_user
from tests.web.test_projects_support import ROLES, count, english, events, notified, text  # noqa: F401


@pytest.fixture
def app_config():
    return {"PER_PAGE": 2}


@pytest.fixture
def newcomer(world):
    """A self-registered organization admin, pending, without an organization yet."""
    user = make_user("neworg", Role.org_admin, world.c1, status=AccountStatus.pending)
    db.session.commit()
    return user


def code(body17: str) -> str:
    return body17 + credit_code_check_char(body17)


def org_form(world, **overrides):
    data = {"name": "Evergreen Elderly Services", "org_type": "2", "credit_code": make_credit_code(9001),
            "founded_on": "2016-04-01", "grade": "3", "grade_awarded_on": (date.today() - timedelta(days=400)).isoformat(),
            "region": world.street1.id, "categories": [world.care.id, world.visits.id],
            "address": "1 Plum Road", "contact_phone": "021-6321 0000", "description": "Home care", "capacity": "5"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------- registration


def test_org_admin_registers_organization(client, auth, world, newcomer):
    auth.login("neworg")
    assert "Register the organization" in text(client.get("/organizations/mine"))
    assert client.get("/organizations/register").status_code == 200
    response = client.post("/organizations/register", data=org_form(world, credit_code=make_credit_code(9001).lower()))
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organization).where(Organization.name == "Evergreen Elderly Services"))
    assert org.status == OrgStatus.registered and org.credit_code == make_credit_code(9001)
    assert org.grade == 3 and org.capacity == 5 and {c.id for c in org.categories} == {world.care.id, world.visits.id}
    assert db.session.get(type(newcomer), newcomer.id).organization_id == org.id
    assert events("organization.register", org)
    # Civil affairs whose scope covers the service area are told; civil2 (street 2) is not.
    assert notified(world["civil"], "org_registered") and not notified(world["civil2"], "org_registered")
    page = text(client.get("/organizations/mine"))
    assert "Civil affairs are checking the registration" in page
    # One organization per admin.
    assert client.get("/organizations/register").status_code == 403


# resolved when the test runs, not when it is collected: a run that passes local midnight would
# otherwise post a founding date that has become today
TOMORROW = object()


@pytest.mark.parametrize("overrides, message", [
    ({"credit_code": "52310101MJ000901"}, "has 18 characters; this one has 16"),
    ({"credit_code": "52310101MJ00090IO"[:17] + "1"}, "I, O, S, V and Z never occur"),
    ({"credit_code": "52310101MJ0009011".replace("1", "?", 1) + "1"}, "Only digits and capital letters"),
    ({"credit_code": make_credit_code(9001)[:17] + ("1" if make_credit_code(9001)[17] != "1" else "2")},
     "check character"),
    ({"credit_code": code("12310101MJ0009001")}, "Position 1 is 1"),
    ({"credit_code": code("54310101MJ0009001")}, "Position 2 is 4"),
    ({"credit_code": code("51310101MJ0009001")}, "Position 2 of the code (1) means"),
    ({"founded_on": TOMORROW}, "founding date cannot be in the future"),
    ({"grade_awarded_on": ""}, "Enter the date the grade was awarded"),
    ({"grade_awarded_on": (date.today() + timedelta(days=3)).isoformat()}, "grade date cannot be in the future"),
    ({"founded_on": "2023-01-10", "grade_awarded_on": "2024-06-01"}, "not before 2025-01-10"),
    ({"grade_awarded_on": "2019-01-01"}, "This grade expired on 2024-01-01"),
    ({"capacity": "0"}, "Enter a number from 1 to 100"),
    ({"name": ""}, "This field is required"),
    ({"contact_phone": "call me"}, "Enter a phone number"),
    ({"region": "999999"}, "Not a valid choice"),
])
def test_register_refuses_bad_input(client, auth, world, newcomer, overrides, message):
    auth.login("neworg")
    before = count(Organization)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    overrides = {k: tomorrow if v is TOMORROW else v for k, v in overrides.items()}
    response = client.post("/organizations/register", data=org_form(world, **overrides))
    assert response.status_code == 200
    assert message in text(response)
    assert 'value="Evergreen Elderly Services"' in text(response) or overrides.get("name") == ""
    assert count(Organization) == before
    assert db.session.get(type(newcomer), newcomer.id).organization_id is None


def test_register_refuses_duplicate_credit_code(client, auth, world, newcomer):
    auth.login("neworg")
    before = count(Organization)
    response = client.post("/organizations/register", data=org_form(world, credit_code=world.org1.credit_code))
    assert response.status_code == 200 and "already registered" in text(response)
    assert count(Organization) == before


def test_grade_is_optional(client, auth, world, newcomer):
    auth.login("neworg")
    response = client.post("/organizations/register", data=org_form(world, grade="0", grade_awarded_on="2020-01-01"))
    assert response.status_code == 302
    org = db.session.get(Organization, db.session.get(type(newcomer), newcomer.id).organization_id)
    assert org.grade == 0 and org.grade_awarded_on is None


@pytest.mark.parametrize("username", [u for u in ROLES if u != "admin"])
def test_register_only_for_org_admins_without_organization(client, auth, world, username):
    auth.login(username)
    assert client.get("/organizations/register").status_code == 403
    assert client.post("/organizations/register", data=org_form(world)).status_code == 403


# --------------------------------------------------------------------------- the register


def test_register_list_is_scoped_filtered_and_paged(client, auth, world):
    for i in range(3):
        make_org(f"Street 2 org {i}", world.c3, status=OrgStatus.registered)
    db.session.commit()
    auth.login("civil2")
    page = text(client.get("/organizations/"))
    assert "Harmony Community Services" in page or "Street 2 org" in page
    assert "Sunshine Social Work Center" not in text(client.get("/organizations/?page=2"))
    assert "4 in all" in page  # org2 and three in River Community, two a page
    assert "Street 2 org" in text(client.get("/organizations/?status=registered"))
    assert "Harmony" not in text(client.get("/organizations/?status=registered"))
    assert "3 in all" in text(client.get("/organizations/?status=registered"))
    auth.as_(world["observer"])  # observers read their street
    page = text(client.get("/organizations/"))
    assert "Sunshine" in page and "Harmony" not in page
    auth.as_(world["civil"])
    assert "5 in all" in text(client.get("/organizations/"))
    assert client.get("/organizations/?status=nonsense").status_code == 200


@pytest.mark.parametrize("username", [u for u in ROLES if u not in ("civil", "civil2", "observer", "admin")])
def test_register_list_refused_to_other_roles(client, auth, world, username):
    auth.login(username)
    assert client.get("/organizations/").status_code == 403


@pytest.mark.parametrize("username, status", [
    ("civil", 200), ("admin", 200), ("observer", 200), ("orgadmin", 200), ("worker", 200),
    ("civil2", 403), ("orgadmin2", 403), ("worker2", 403), ("staff1", 403), ("vol", 403), ("resident", 403),
    ("expert", 403), ("grid", 403)])
def test_detail_access(client, auth, world, username, status):
    auth.login(username)
    assert client.get(f"/organizations/{world.org1.id}").status_code == status


def test_detail_unknown_is_404(client, auth, world):
    auth.login("civil")
    assert client.get("/organizations/99999").status_code == 404


# --------------------------------------------------------------------------- verification and credit


def registered_org(world, newcomer):
    org = make_org("Evergreen", world.c1, status=OrgStatus.registered)
    newcomer.organization_id = org.id
    db.session.commit()
    return org


def test_civil_affairs_verify_organization_and_its_pending_admin(client, auth, world, newcomer):
    org = registered_org(world, newcomer)
    auth.login("civil")
    page = text(client.get(f"/organizations/{org.id}"))
    assert "Verify" in page and "Reinstate" not in page
    response = client.post(f"/organizations/{org.id}/verify")
    assert response.status_code == 302
    org = db.session.get(Organization, org.id)
    assert org.status == OrgStatus.active and org.verified_at is not None
    assert db.session.get(type(newcomer), newcomer.id).status == AccountStatus.active
    assert events("organization.verify", org) and events("user.verify", newcomer)
    assert notified(newcomer, "org_verified")
    # Verifying twice is refused with a message, nothing changes.
    response = client.post(f"/organizations/{org.id}/verify", follow_redirects=True)
    assert "cannot be done while the organization is" in text(response)
    assert len(events("organization.verify", org)) == 1


def test_reject_needs_reason_and_the_admin_resubmits(client, auth, world, newcomer):
    org = registered_org(world, newcomer)
    auth.login("civil")
    response = client.post(f"/organizations/{org.id}/reject", data={"reject-reason": "  "})
    assert response.status_code == 200 and "Give the reason" in text(response)
    assert db.session.get(Organization, org.id).status == OrgStatus.registered
    assert client.post(f"/organizations/{org.id}/reject",
                       data={"reject-reason": "Certificate copy unreadable"}).status_code == 302
    org = db.session.get(Organization, org.id)
    assert org.status == OrgStatus.rejected and org.status_reason == "Certificate copy unreadable"
    assert notified(newcomer, "org_rejected") and events("organization.reject", org)
    auth.as_(newcomer)
    assert "Certificate copy unreadable" in text(client.get("/organizations/mine"))
    form = text(client.get("/organizations/mine/edit"))
    assert 'value="Evergreen"' in form
    response = client.post("/organizations/mine/edit", data=org_form(world, name="Evergreen", credit_code=org.credit_code,
                                                                     region=world.c1.id))
    assert response.status_code == 302
    org = db.session.get(Organization, org.id)
    assert org.status == OrgStatus.registered and org.status_reason == ""
    assert events("organization.resubmit", org)


def test_verified_organization_cannot_be_edited_by_its_admin(client, auth, world):
    auth.login("orgadmin")
    assert client.get("/organizations/mine/edit").status_code == 403


@pytest.mark.parametrize("verb, start, end, kind", [
    ("suspend", OrgStatus.active, OrgStatus.suspended, "org_suspended"),
    ("blacklist", OrgStatus.active, OrgStatus.blacklisted, "org_blacklisted"),
    ("blacklist", OrgStatus.suspended, OrgStatus.blacklisted, "org_blacklisted"),
    ("reinstate", OrgStatus.suspended, OrgStatus.active, "org_reinstated"),
    ("reinstate", OrgStatus.blacklisted, OrgStatus.active, "org_reinstated"),
])
def test_credit_status_changes(client, auth, world, verb, start, end, kind):
    org = world.org1
    org.status = start
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/organizations/{org.id}/{verb}", data={f"{verb}-reason": "Falsified service records"})
    assert response.status_code == 302
    org = db.session.get(Organization, org.id)
    assert org.status == end
    event = events(f"organization.{verb}", org)[0]
    assert event.before["status"] == start.value and event.after["status"] == end.value
    assert notified(world["orgadmin"], kind) and notified(world["worker"], kind)


@pytest.mark.parametrize("verb", ["suspend", "blacklist"])
def test_suspend_and_blacklist_need_a_reason(client, auth, world, verb):
    auth.login("civil")
    response = client.post(f"/organizations/{world.org1.id}/{verb}", data={f"{verb}-reason": ""})
    assert response.status_code == 200 and "Give the reason" in text(response)
    assert db.session.get(Organization, world.org1.id).status == OrgStatus.active
    assert not events(f"organization.{verb}")


@pytest.mark.parametrize("username", [u for u in ROLES if u not in ("civil", "admin")])
def test_status_changes_refused_out_of_role_or_scope(client, auth, world, username):
    """civil2 works in street 2 and may not touch org1 (street 1); other roles never."""
    auth.login(username)
    for verb in ("verify", "reject", "suspend", "blacklist", "reinstate"):
        response = client.post(f"/organizations/{world.org1.id}/{verb}", data={f"{verb}-reason": "x"})
        assert response.status_code == 403
    assert db.session.get(Organization, world.org1.id).status == OrgStatus.active
    assert not events("organization.suspend")


def test_unknown_status_verb_is_404(client, auth, world):
    auth.login("civil")
    assert client.post(f"/organizations/{world.org1.id}/delete").status_code == 404


# --------------------------------------------------------------------------- my organization


@pytest.mark.parametrize("username, expected", [("orgadmin", "Add a social worker"), ("worker", "Li Hua")])
def test_my_organization(client, auth, world, username, expected):
    auth.login(username)
    page = text(client.get("/organizations/mine"))
    assert "Sunshine Social Work Center" in page and expected in page
    if username == "worker":
        assert "Add a social worker" not in page


@pytest.mark.parametrize("username", [u for u in ROLES if u not in ("orgadmin", "orgadmin2", "worker", "worker2", "admin")])
def test_my_organization_refused_to_other_roles(client, auth, world, username):
    auth.login(username)
    assert client.get("/organizations/mine").status_code == 403
