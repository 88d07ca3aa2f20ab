"""Needs at the community desk: filing, the list with filters, and the community's decisions."""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Feedback, Need, NeedStatus, Notification
from tests.factories import make_need, make_resident, make_shift


def count(model=Need):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def actions(need):
    return [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "Need", AuditEvent.subject_id == need.id).order_by(AuditEvent.id))]


def kinds(user):
    return db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)).all()


@contextmanager
def counting_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def need_form(world, **changes):
    data = {"category": world.visits.id, "title": "Companionship visit",
            "description": "Lives alone on the 6th floor", "urgency": "3",
            "window_start": "2031-03-01T09:00", "window_end": "2031-03-01T11:00",
            "recurrence": "weekly", "skills": [str(world.elder_care.id)], "needs_professional": "y",
            "consent": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- filing a need ------------------------------------------------------------------------------------------

def test_the_form_groups_categories_by_sector(client, auth, world):
    auth.login("staff1")
    html = client.get(f"/community/needs/new?resident={world.resident.id}",
                      headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    option = f'<option value="{world.visits.id}">上门探访</option>'
    assert f'<optgroup label="养老服务">{option}</optgroup>' in html
    assert '<optgroup label="青少年服务">' in html


@pytest.mark.parametrize("username", ["staff1", "grid"])
def test_staff_and_grid_workers_file_a_need_for_a_resident(client, auth, world, username):
    auth.login(username)
    response = client.post(f"/community/needs/new?resident={world.resident.id}", data=need_form(world))
    need = db.session.scalar(sa.select(Need))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/community/needs/{need.id}")
    assert need.status == NeedStatus.submitted and need.resident == world.resident and need.urgency == 3
    # Local wall-clock time (Asia/Shanghai, UTC+8) is stored as UTC.
    assert need.window_start == datetime(2031, 3, 1, 1, 0, tzinfo=timezone.utc)
    assert need.window_end == datetime(2031, 3, 1, 3, 0, tzinfo=timezone.utc)
    assert need.skills == [world.elder_care] and need.needs_professional and need.recurrence.value == "weekly"
    assert need.created_by_id == world[username].id
    assert actions(need) == ["need.submit"]


@pytest.mark.parametrize("changes, message", [
    ({"category": ""}, "Choose the kind of service needed."),
    ({"category": "9999"}, "Choose a category from the list."),
    ({"title": ""}, "Say in a few words what is needed."),
    ({"title": "x" * 201}, "Keep it under 200 characters"),
    ({"urgency": "7"}, "Choose an urgency from 1 to 4."),
    ({"urgency": "high"}, "Choose an urgency from 1 to 4."),
    ({"window_start": "tomorrow"}, "Enter a date and time"),
    ({"window_end": "2031-03-01T08:00"}, "The end of the time window must come after its start."),
    ({"window_start": "2020-01-01T08:00", "window_end": "2020-01-01T09:00"},
     "This time window has already ended."),
    ({"recurrence": "daily"}, "Choose how often from the list."),
    ({"skills": ["9999"]}, "Choose skills from the list."),
])
def test_bad_input_on_the_need_form_writes_nothing(client, auth, world, changes, message):
    auth.login("staff1")
    needs, events = count(), count(AuditEvent)
    response = client.post(f"/community/needs/new?resident={world.resident.id}",
                           data=need_form(world, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert (count(), count(AuditEvent)) == (needs, events)
    if "title" not in changes:
        assert 'value="Companionship visit"' in html


def test_filing_for_a_resident_of_another_community_is_forbidden(client, auth, world):
    other = make_resident(world.c3, name="River Person")
    db.session.commit()
    auth.login("staff1")
    assert client.post(f"/community/needs/new?resident={other.id}", data=need_form(world)).status_code == 403
    assert count() == 0


# --- decisions ----------------------------------------------------------------------------------------------

def test_verify_through_the_web(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    db.session.commit()
    auth.login("staff1")
    response = client.post(f"/community/needs/{need.id}/verify", data={"note": "Checked by phone"})
    assert response.status_code == 302
    assert need.status == NeedStatus.open and need.verified_at is not None
    assert actions(need) == ["need.verify"] and "need_verified" in kinds(world["resident"])
    response = client.post(f"/community/needs/{need.id}/verify", data={})
    assert response.status_code == 200
    assert "Only a submitted need can be verified" in response.get_data(as_text=True)
    assert actions(need) == ["need.verify"]


def test_reject_needs_a_reason(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    db.session.commit()
    auth.login("staff1")
    response = client.post(f"/community/needs/{need.id}/reject", data={"reason": "  "})
    assert response.status_code == 200 and "Give the reason" in response.get_data(as_text=True)
    assert need.status == NeedStatus.submitted and actions(need) == []
    response = client.post(f"/community/needs/{need.id}/reject", data={"reason": "Duplicate of need 12"})
    assert response.status_code == 302 and need.status == NeedStatus.rejected
    assert actions(need) == ["need.reject"] and "need_rejected" in kinds(world["resident"])
    assert "Duplicate of need 12" in client.get(f"/community/needs/{need.id}").get_data(as_text=True)


def test_confirm_delivery_needs_a_serving_shift_or_project(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.open)
    db.session.commit()
    auth.login("staff1")
    response = client.post(f"/community/needs/{need.id}/deliver", data={})
    assert response.status_code == 200
    assert "No project or shift serves this need" in response.get_data(as_text=True)
    assert need.status == NeedStatus.open
    page = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    assert "Possible once a project or a shift serves this need." in page and "/deliver" not in page
    make_shift(world.c1, title="Saturday visits").needs.append(need)
    db.session.commit()
    page = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    assert "Saturday visits" in page and "/deliver" in page and "Possible once a project" not in page
    response = client.post(f"/community/needs/{need.id}/deliver", data={"note": "Visited on Saturday"})
    assert response.status_code == 302 and need.status == NeedStatus.delivered
    assert actions(need) == ["need.deliver"] and "need_delivered" in kinds(world["resident"])


def test_rate_on_the_residents_behalf(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.delivered)
    db.session.commit()
    auth.login("staff1")
    for bad in ({}, {"rating": "9"}, {"rating": "great"}):
        response = client.post(f"/community/needs/{need.id}/rate", data={"comment": "Kind helpers", **bad})
        assert response.status_code == 200
        assert "Choose a rating from 1 to 5." in response.get_data(as_text=True)
        assert 'Kind helpers' in response.get_data(as_text=True)
    assert count(Feedback) == 0 and need.status == NeedStatus.delivered
    response = client.post(f"/community/needs/{need.id}/rate",
                           data={"rating": "4", "comment": "Said so by phone"})
    assert response.status_code == 302 and need.status == NeedStatus.closed
    assert (need.feedback.rating, need.feedback.on_behalf) == (4, True)
    response = client.post(f"/community/needs/{need.id}/rate", data={"rating": "5"})
    assert response.status_code == 200 and "already rated" in response.get_data(as_text=True)
    assert count(Feedback) == 1 and actions(need) == ["need.rate"]


def test_the_whole_chain_and_its_trail_on_the_detail_page(client, auth, world):
    auth.login("staff1")
    client.post(f"/community/needs/new?resident={world.resident.id}", data=need_form(world))
    need = db.session.scalar(sa.select(Need))
    client.post(f"/community/needs/{need.id}/verify", data={"note": "Visited the flat"})
    make_shift(world.c1).needs.append(need)
    db.session.commit()
    client.post(f"/community/needs/{need.id}/deliver", data={"note": "Done"})
    client.post(f"/community/needs/{need.id}/rate", data={"rating": "5"})
    assert need.status == NeedStatus.closed
    assert actions(need) == ["need.submit", "need.verify", "need.deliver", "need.rate"]
    html = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    for text in ("Submitted", "Verified by the community", "Visited the flat",
                 "Service confirmed as delivered", "Community staff", "★★★★★"):
        assert text in html, text
    assert "Verify need" not in html and "Record rating" not in html  # no actions left


def test_observers_and_civil_affairs_read_but_do_not_act(client, auth, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.submitted)
    db.session.commit()
    for username in ("observer", "civil", "grid"):
        auth.logout()
        auth.login(username)
        html = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
        assert "Weekly companionship visit" in html and "Verify need" not in html
        assert client.post(f"/community/needs/{need.id}/verify").status_code == 403


# --- the list -----------------------------------------------------------------------------------------------

def _list(client, query=""):
    return client.get(f"/community/needs{query}").get_data(as_text=True)


def test_list_is_sorted_by_urgency_then_age_and_hides_finished_needs(client, auth, world):
    base = datetime.now(timezone.utc) - timedelta(days=10)
    for title, urgency, age, status in [("Old routine", 1, 9, NeedStatus.open),
                                        ("New critical", 4, 1, NeedStatus.open),
                                        ("Old critical", 4, 5, NeedStatus.submitted),
                                        ("Closed critical", 4, 8, NeedStatus.closed)]:
        make_need(world.resident, world.visits, status=status, urgency=urgency, title=title).created_at = \
            base + timedelta(days=10 - age)
    db.session.commit()
    auth.login("staff1")
    html = _list(client)
    positions = [html.index(t) for t in ("Old critical", "New critical", "Old routine")]
    assert positions == sorted(positions) and "Closed critical" not in html
    assert "Closed critical" in _list(client, "?status=all")
    closed = _list(client, "?status=closed")
    assert "Closed critical" in closed and "Old routine" not in closed


def test_filters_by_status_sector_urgency_and_community(client, auth, world):
    make_need(world.resident, world.visits, urgency=2, title="Visit in Plum")
    make_need(world.resident, world.tutoring, urgency=3, status=NeedStatus.submitted, title="Homework help")
    make_need(make_resident(world.c3), world.visits, urgency=4, title="Visit in River")
    db.session.commit()
    auth.login("civil")
    html = _list(client)
    assert all(t in html for t in ("Visit in Plum", "Homework help", "Visit in River"))
    html = _list(client, f"?sector={world.care.id}")
    assert "Visit in Plum" in html and "Visit in River" in html and "Homework help" not in html
    html = _list(client, "?urgency=3")
    assert "Homework help" in html and "Visit in Plum" not in html
    html = _list(client, "?status=submitted")
    assert "Homework help" in html and "Visit in Plum" not in html
    html = _list(client, f"?community={world.c3.id}")
    assert "Visit in River" in html and "Visit in Plum" not in html
    html = _list(client, f"?community={world.c3.id}&sector={world.care.id}&urgency=2")
    assert "No need matches these filters." in html
    # A bad filter value is ignored, with a word, never a 500.
    response = client.get("/community/needs?status=bogus&urgency=x&sector=abc&community=-5")
    assert response.status_code == 200 and "this filter was ignored" in response.get_data(as_text=True)
    assert "Visit in River" in response.get_data(as_text=True)


def test_each_role_lists_only_its_subtree(client, auth, world):
    make_need(world.resident, world.visits, title="Plum need")
    make_need(make_resident(world.c2), world.visits, title="Pine need")
    make_need(make_resident(world.c3), world.visits, title="River need")
    db.session.commit()
    expected = {"staff1": {"Plum need"}, "grid": {"Plum need"}, "staff3": {"River need"},
                "observer": {"Plum need", "Pine need"}, "civil2": {"River need"},
                "civil": {"Plum need", "Pine need", "River need"}}
    for username, titles in expected.items():
        auth.logout()
        auth.login(username)
        html = _list(client)
        assert {t for t in ("Plum need", "Pine need", "River need") if t in html} == titles, username


def test_paging(app, client, auth, world):
    for i in range(5):
        make_need(world.resident, world.visits, urgency=4 - i % 4, title=f"Need number {i}")
    db.session.commit()
    app.config["PER_PAGE"] = 2
    auth.login("staff1")
    pages = [_list(client, f"?page={p}") for p in (1, 2, 3)]
    seen = [sum(f"Need number {i}" in page for i in range(5)) for page in pages]
    assert seen == [2, 2, 1] and "5 in all" in pages[0]
    assert client.get("/community/needs?page=99").status_code == 200  # past the end: an empty page, not a 404


def test_the_list_does_not_query_per_row(client, auth, world):
    make_need(world.resident, world.visits)
    db.session.commit()
    auth.login("civil")
    _list(client)
    with counting_queries() as few:
        _list(client)
    for region in (world.c1, world.c2, world.c3, world.grid1):
        resident = make_resident(region)
        for category in (world.visits, world.tutoring):
            make_need(resident, category)
    db.session.commit()
    with counting_queries() as many:
        html = _list(client)
    assert html.count("/community/needs/") >= 9
    assert len(many) == len(few)
