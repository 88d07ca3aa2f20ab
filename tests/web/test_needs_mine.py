"""Residents' own needs: their list, asking for help, the status trail, withdrawing and rating."""
import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, Feedback, Need, NeedStatus, Notification, Role
from tests.factories import make_need, make_resident, make_user


def count(model=Need):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def form(world, **changes):
    data = {"category": world.visits.id, "title": "Someone to chat with", "description": "", "urgency": "2",
            "window_start": "", "window_end": "", "recurrence": "weekly", "consent": "y"}
    data.update(changes)
    return data


@pytest.fixture
def neighbour(world):
    user = make_user("neighbour", Role.resident, world.c1)
    resident = make_resident(world.c1, name="Neighbour", user=user)
    need = make_need(resident, world.visits, status=NeedStatus.open, title="Neighbour's need")
    db.session.commit()
    return need


def test_my_needs_lists_only_my_own(client, auth, world, neighbour):
    make_need(world.resident, world.visits, status=NeedStatus.delivered, title="My delivered visit")
    db.session.commit()
    auth.login("resident")
    html = client.get("/needs/").get_data(as_text=True)
    assert "My delivered visit" in html and "Please rate" in html and "Neighbour&#39;s need" not in html
    assert client.get(f"/needs/{neighbour.id}").status_code == 403


def test_a_resident_asks_for_help_and_staff_are_told(client, auth, world):
    auth.login("resident")
    response = client.post("/needs/new", data=form(world))
    need = db.session.scalar(sa.select(Need))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/needs/{need.id}")
    assert (need.status, need.resident, need.created_by_id) == (NeedStatus.submitted, world.resident,
                                                                world["resident"].id)
    assert need.skills == [] and not need.needs_professional
    kinds = sa.select(Notification.kind).where(Notification.user_id == world["staff1"].id)
    assert db.session.scalars(kinds).all() == ["need_submitted"]
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Submitted" in html and "Resident" in html


@pytest.mark.parametrize("changes, message", [
    ({"category": ""}, "Choose the kind of service needed."),
    ({"title": "  "}, "Say in a few words what is needed."),
    ({"urgency": "0"}, "Choose an urgency from 1 to 4."),
    ({"window_start": "2031-01-02T10:00", "window_end": "2031-01-02T09:00"},
     "The end of the time window must come after its start."),
    ({"window_end": "31/12/2031"}, "Enter a date and time"),
])
def test_bad_input_writes_nothing(client, auth, world, changes, message):
    auth.login("resident")
    response = client.post("/needs/new", data=form(world, **changes))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count() == 0 and count(AuditEvent) == 0


def test_a_pending_resident_cannot_ask_yet(client, auth, world):
    world["resident"].status = AccountStatus.pending
    db.session.commit()
    auth.login("resident")
    assert client.get("/needs/").status_code == 200
    assert client.post("/needs/new", data=form(world)).status_code == 403
    assert count() == 0


def test_the_trail_shows_roles_and_notes_but_not_staff_names(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    db.session.commit()
    auth.login("staff1")
    client.post(f"/community/needs/{need.id}/verify", data={"note": "We will call you on Monday"})
    auth.logout()
    auth.login("resident")
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Verified by the community" in html and "We will call you on Monday" in html
    assert "Community staff" in html and "Staff1" not in html
    message = db.session.scalar(sa.select(Notification).where(Notification.kind == "need_verified"))
    assert (message.link_endpoint, message.link_args) == ("needs.detail", {"need_id": need.id})


def test_withdraw_a_need_not_yet_served(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.open)
    served = make_need(world.resident, world.visits, status=NeedStatus.matched, title="Being served")
    db.session.commit()
    auth.login("resident")
    assert "Withdraw my request" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    response = client.post(f"/needs/{need.id}/withdraw", data={"note": "My daughter comes now"})
    assert response.status_code == 302 and need.status == NeedStatus.withdrawn
    assert "Withdraw my request" not in client.get(f"/needs/{served.id}").get_data(as_text=True)
    response = client.post(f"/needs/{served.id}/withdraw", data={})
    assert response.status_code == 200 and "can no longer be withdrawn" in response.get_data(as_text=True)
    assert served.status == NeedStatus.matched


def test_rate_a_delivered_need(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    db.session.commit()
    auth.login("resident")
    assert "How was the service?" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    response = client.post(f"/needs/{need.id}/rate", data={"rating": "", "comment": "Lovely"})
    assert response.status_code == 200 and "Choose a rating from 1 to 5." in response.get_data(as_text=True)
    assert count(Feedback) == 0
    response = client.post(f"/needs/{need.id}/rate", data={"rating": "5", "comment": "Lovely"})
    assert response.status_code == 302 and need.status == NeedStatus.closed
    assert (need.feedback.rating, need.feedback.on_behalf, need.feedback.comment) == (5, False, "Lovely")
    response = client.post(f"/needs/{need.id}/rate", data={"rating": "1"})
    assert response.status_code == 200 and "already rated" in response.get_data(as_text=True)
    assert need.feedback.rating == 5


def test_rating_before_delivery_is_refused(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.in_service)
    db.session.commit()
    auth.login("resident")
    response = client.post(f"/needs/{need.id}/rate", data={"rating": "5"})
    assert response.status_code == 200
    assert "once it is confirmed as delivered" in response.get_data(as_text=True)
    assert count(Feedback) == 0 and need.status == NeedStatus.in_service


def test_a_resident_cannot_act_on_someone_elses_need(client, auth, world, neighbour):
    auth.login("resident")
    assert client.post(f"/needs/{neighbour.id}/withdraw").status_code == 403
    assert client.post(f"/needs/{neighbour.id}/rate", data={"rating": "1"}).status_code == 403
    assert neighbour.status == NeedStatus.open


def test_paging_my_needs(app, client, auth, world):
    for i in range(3):
        make_need(world.resident, world.visits, title=f"Request {i}")
    db.session.commit()
    app.config["PER_PAGE"] = 2
    auth.login("resident")
    pages = [client.get(f"/needs/?page={p}").get_data(as_text=True) for p in (1, 2)]
    assert [sum(f"Request {i}" in page for i in range(3)) for page in pages] == [2, 1]


def test_an_account_without_a_resident_record_is_told_so(client, auth, world):
    make_user("loner", Role.resident, world.c1)
    db.session.commit()
    auth.login("loner")
    assert "not linked to a resident record" in client.get("/needs/").get_data(as_text=True)
    assert client.get("/needs/new").status_code == 403


def test_an_empty_list_says_what_to_do(client, auth, world):
    auth.login("resident")
    assert "You have not asked for help yet" in client.get("/needs/").get_data(as_text=True)
