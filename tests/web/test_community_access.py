"""Every page of the community desk and of residents' needs, for every user of the world.

Out-of-scope objects answer 403, like a wrong role (see linkage.community.access); unknown ids 404.
"""
import pytest
import sqlalchemy as sa

from linkage.community import services as community_services
from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, Need, NeedStatus, Role
from tests.factories import make_need, make_resident_id, make_user

USERS = ["admin", "civil", "civil2", "staff1", "staff3", "orgadmin", "orgadmin2", "worker", "worker2", "vol",
         "vol3", "resident", "grid", "expert", "observer"]

RESIDENT_DESK = {"admin", "staff1", "staff3", "grid"}
NEED_LIST = {"admin", "staff1", "staff3", "grid", "civil", "civil2", "observer"}
C1_NEED = {"admin", "staff1", "grid", "civil", "observer"}       # civil2, staff3: other subtrees
C1_RESIDENT = {"admin", "staff1", "grid"}
MANAGE_C1 = {"admin", "staff1"}


def _setup(world):
    registered = community_services.register_resident(
        actor=world["staff1"], name="Zhou Lan", id_number=make_resident_id(), region=world.c1,
        address="1-101", consent=True)
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted, creator=world["resident"])
    pending = make_user("newvol", Role.volunteer, world.c1, status=AccountStatus.pending)
    db.session.commit()
    return {"registered": registered.id, "own": world.resident.id, "need": need.id, "pending": pending.id}


def _pages(ids):
    r, n = ids["registered"], ids["need"]
    return [
        ("/community/residents", RESIDENT_DESK),
        ("/community/residents/new", RESIDENT_DESK),
        (f"/community/residents/{r}", C1_RESIDENT),
        (f"/community/residents/{ids['own']}", C1_RESIDENT),
        (f"/community/residents/{r}/reveal", MANAGE_C1),
        ("/community/needs", NEED_LIST),
        ("/community/needs?status=all&urgency=3", NEED_LIST),
        ("/community/needs/new", RESIDENT_DESK),
        (f"/community/needs/new?resident={r}", C1_RESIDENT),
        (f"/community/needs/{n}", C1_NEED),
        ("/community/accounts", {"admin", "staff1", "staff3", "civil", "civil2"}),
        ("/needs/", {"resident", "admin"}),  # admins pass role checks; they have no needs of their own
        ("/needs/new", {"resident"}),
        (f"/needs/{n}", {"resident"}),
    ]


def _actions(ids):
    n = ids["need"]
    return [
        (f"/community/needs/{n}/verify", MANAGE_C1),
        (f"/community/needs/{n}/reject", MANAGE_C1),
        (f"/community/needs/{n}/deliver", MANAGE_C1),
        (f"/community/needs/{n}/rate", MANAGE_C1),
        (f"/community/accounts/{ids['pending']}/verify", {"admin", "staff1", "civil"}),
        (f"/needs/{n}/withdraw", {"resident"}),
        (f"/needs/{n}/rate", {"resident"}),
        ("/community/residents/new", RESIDENT_DESK),
        (f"/community/residents/{ids['registered']}/reveal", MANAGE_C1),
    ]


@pytest.mark.parametrize("username", USERS)
def test_pages_answer_by_role_and_scope(client, auth, world, username):
    ids = _setup(world)
    auth.login(username)
    for url, allowed in _pages(ids):
        expected = 200 if username in allowed else 403
        assert client.get(url).status_code == expected, (username, url)


@pytest.mark.parametrize("username", [u for u in USERS if u not in MANAGE_C1 | {"resident"}])
def test_actions_refused_to_other_roles_and_scopes_change_nothing(client, auth, world, username):
    ids = _setup(world)
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    auth.login(username)
    for url, allowed in _actions(ids):
        if username in allowed:
            continue
        response = client.post(url, data={"reason": "a reason", "note": "n", "rating": "5", "name": "X",
                                          "id_number": make_resident_id(seq=555), "address": "x",
                                          "region": world.c3.id, "consent": "y"})
        assert response.status_code == 403, (username, url)
    assert db.session.get(Need, ids["need"]).status == NeedStatus.submitted
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


def test_unknown_ids_answer_404(client, auth, world):
    auth.login("staff1")
    for url in ("/community/residents/9999", "/community/residents/9999/reveal", "/community/needs/9999",
                "/community/needs/new?resident=9999"):
        assert client.get(url).status_code == 404, url
    for url in ("/community/needs/9999/verify", "/community/accounts/9999/verify"):
        assert client.post(url).status_code == 404, url
    auth.logout()
    auth.login("resident")
    assert client.get("/needs/9999").status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(client, world):
    for url in ("/community/residents", "/community/needs", "/community/accounts", "/needs/"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
