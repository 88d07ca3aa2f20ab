"""Verifying self-registered accounts: community staff for their community, civil affairs their subtree."""
import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, Notification, Role, Volunteer, VolunteerStatus
from tests.factories import make_user, make_volunteer


@pytest.fixture
def pending(world):
    pending = AccountStatus.pending
    users = {
        "vol_c1": make_user("newvol", Role.volunteer, world.c1, status=pending, name="New Volunteer"),
        "res_grid": make_user("newres", Role.resident, world.grid1, status=pending, name="New Resident"),
        "org_c1": make_user("neworg", Role.org_admin, world.c1, status=pending, name="New Org Admin"),
        "vol_c3": make_user("rivervol", Role.volunteer, world.c3, status=pending, name="River Volunteer"),
    }
    make_volunteer(world.c1, users["vol_c1"], name="New Volunteer", status=VolunteerStatus.pending)
    db.session.commit()
    return users


NAMES = ("New Volunteer", "New Resident", "New Org Admin", "River Volunteer")


@pytest.mark.parametrize("username, visible", [
    ("staff1", {"New Volunteer", "New Resident"}),
    ("staff3", {"River Volunteer"}),
    ("civil", set(NAMES)),
    ("civil2", {"River Volunteer"}),
    ("admin", set(NAMES)),
])
def test_each_verifier_sees_the_pending_accounts_of_their_scope(client, auth, world, pending, username,
                                                                visible):
    auth.login(username)
    html = client.get("/community/accounts").get_data(as_text=True)
    assert {name for name in NAMES if name in html} == visible
    assert ">vol<" not in html and ">resident<" not in html  # active accounts are not listed


def test_community_staff_verify_a_volunteer_who_is_notified(client, auth, world, pending):
    auth.login("staff1")
    user = pending["vol_c1"]
    response = client.post(f"/community/accounts/{user.id}/verify")
    assert response.status_code == 302 and response.headers["Location"].endswith("/community/accounts")
    assert user.status == AccountStatus.active
    volunteer = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))
    assert volunteer.status == VolunteerStatus.active
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.verify"))
    assert (event.subject_id, event.actor_id) == (user.id, world["staff1"].id)
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)).all()
    assert kinds == ["account_verified"]
    # Verifying again (a colleague was faster) changes nothing and says why.
    response = client.post(f"/community/accounts/{user.id}/verify", follow_redirects=True)
    assert "not waiting for verification" in response.get_data(as_text=True)
    verifications = sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "user.verify")
    assert db.session.scalar(verifications) == 1


def test_civil_affairs_verify_organization_admins(client, auth, world, pending):
    auth.login("civil")
    assert client.post(f"/community/accounts/{pending['org_c1'].id}/verify").status_code == 302
    assert pending["org_c1"].status == AccountStatus.active


@pytest.mark.parametrize("username, account", [
    ("staff1", "org_c1"),     # organization admins are for civil affairs
    ("staff1", "vol_c3"),     # another community
    ("staff3", "vol_c1"),
    ("civil2", "res_grid"),   # another street
    ("grid", "vol_c1"),       # grid workers do not verify accounts
    ("observer", "vol_c1"),
    ("vol", "vol_c1"),
])
def test_verifying_outside_role_or_scope_is_forbidden(client, auth, world, pending, username, account):
    auth.login(username)
    assert client.post(f"/community/accounts/{pending[account].id}/verify").status_code == 403
    assert pending[account].status == AccountStatus.pending
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.verify")) is None


def test_staff_cannot_verify_active_staff_accounts(client, auth, world, pending):
    auth.login("civil")
    assert client.post(f"/community/accounts/{world['staff1'].id}/verify").status_code == 403
    assert client.post(f"/community/accounts/{world['civil'].id}/verify").status_code == 403


def test_an_empty_queue_says_so(client, auth, world):
    auth.login("staff1")
    assert "Nobody is waiting for verification" in client.get("/community/accounts").get_data(as_text=True)


# --- rejecting --------------------------------------------------------------------------------------------

def test_community_staff_reject_a_volunteer_with_a_reason_and_they_cannot_sign_in(client, auth, world, pending):
    auth.login("staff1")
    user = pending["vol_c1"]
    page = client.get("/community/accounts").get_data(as_text=True)
    assert f"/community/accounts/{user.id}/reject" in page and "Reject the account" in page
    # A reason is required; nothing changes without one.
    response = client.post(f"/community/accounts/{user.id}/reject", data={"reason": "  "}, follow_redirects=True)
    assert "Give the reason; the person will read it." in response.get_data(as_text=True)
    assert user.status == AccountStatus.pending
    response = client.post(f"/community/accounts/{user.id}/reject",
                           data={"reason": "Nobody at this address knows you."})
    assert response.status_code == 302 and response.headers["Location"].endswith("/community/accounts")
    assert user.status == AccountStatus.rejected
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.reject"))
    assert (event.subject_id, event.actor_id, event.note) == (user.id, world["staff1"].id,
                                                             "Nobody at this address knows you.")
    assert event.before == {"status": "pending"} and event.after == {"status": "rejected"}
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)).all()
    assert note.kind == "account_rejected" and note.params == {"reason": "Nobody at this address knows you."}
    assert "account was not accepted; they were told why" in client.get("/community/accounts").get_data(as_text=True)
    assert f"/community/accounts/{user.id}/" not in client.get("/community/accounts").get_data(as_text=True)
    # Deciding again changes nothing and says why.
    response = client.post(f"/community/accounts/{user.id}/verify", follow_redirects=True)
    assert "not waiting for verification" in response.get_data(as_text=True)
    assert user.status == AccountStatus.rejected
    # The person cannot sign in and reads why.
    auth.logout()
    response = client.post("/auth/login", data={"username": "newvol", "password": "correct-horse-9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "This account was not accepted: Nobody at this address knows you." in html


def test_civil_affairs_reject_organization_admins(client, auth, world, pending):
    auth.login("civil")
    user = pending["org_c1"]
    assert client.post(f"/community/accounts/{user.id}/reject",
                       data={"reason": "Organization unknown to the district"}).status_code == 302
    assert user.status == AccountStatus.rejected


@pytest.mark.parametrize("username, account", [
    ("staff1", "org_c1"), ("staff1", "vol_c3"), ("civil2", "res_grid"), ("grid", "vol_c1"), ("vol", "vol_c1"),
])
def test_rejecting_outside_role_or_scope_is_forbidden(client, auth, world, pending, username, account):
    auth.login(username)
    response = client.post(f"/community/accounts/{pending[account].id}/reject", data={"reason": "Not known here"})
    assert response.status_code == 403
    assert pending[account].status == AccountStatus.pending
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.reject")) is None


def test_a_signed_in_account_is_signed_out_when_rejected(client, auth, world, pending, app):
    auth.login("newvol")
    assert client.get("/").status_code == 200
    other = app.test_client()
    other.post("/auth/login", data={"username": "staff1", "password": "correct-horse-9"})
    other.post(f"/community/accounts/{pending['vol_c1'].id}/reject", data={"reason": "Not known here"})
    response = client.get("/volunteers/profile")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
