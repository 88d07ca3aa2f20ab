"""Residents rate each visit (or staff for them, marked); a low rating opens a follow-up for the community;
averages per shift, project, organization and community appear only from a minimum count."""
import pytest
import sqlalchemy as sa

from linkage import settings
from linkage.extensions import db
from linkage.models import (AuditEvent, BidStatus, FollowUp, FollowUpStatus, NeedStatus, Notification, ProjectStatus,
                            Role, VisitRating)
from linkage.ratings import services
from tests.factories import make_bid, make_need, make_project, make_resident, make_user
from tests.ratings_support import make_visit


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def rate_url(shift, need):
    return f"/ratings/visits/{shift.id}/{need.id}"


@pytest.fixture
def visit(world):
    shift, need = make_visit(world, title="Tuesday home visit")
    db.session.commit()
    return shift, need


def test_the_resident_rates_a_visit_once(client, auth, world, visit):
    shift, need = visit
    auth.login("resident")
    page = client.get("/ratings/").get_data(as_text=True)
    assert "Tuesday home visit" in page and rate_url(shift, need) in page
    form = client.get(rate_url(shift, need)).get_data(as_text=True)
    assert 'name="rating"' in form and "resident-page" in form

    response = client.post(rate_url(shift, need), data={"rating": "4", "comment": "Kind and on time"})
    assert response.status_code == 302
    rating = db.session.scalar(sa.select(VisitRating))
    assert (rating.rating, rating.comment, rating.on_behalf, rating.created_by_id) == (
        4, "Kind and on time", False, world["resident"].id)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "visit.rate"))
    assert event.after["rating"] == 4 and event.after["on_behalf"] is False

    again = client.post(rate_url(shift, need), data={"rating": "1"}, follow_redirects=True)
    assert "already rated" in again.get_data(as_text=True)
    assert count(VisitRating) == 1 and db.session.scalar(sa.select(VisitRating.rating)) == 4
    listed = client.get("/ratings/").get_data(as_text=True)
    assert "Rated 4 of 5" in listed and rate_url(shift, need) not in listed


def test_staff_rate_for_the_resident_and_the_rating_is_marked(client, auth, world, visit):
    shift, need = visit
    auth.login("staff1")
    page = client.get("/ratings/community").get_data(as_text=True)
    assert "Rate for the resident" in page and rate_url(shift, need) in page
    assert "entering the rating for Wu Mei" in client.get(rate_url(shift, need)).get_data(as_text=True)
    assert client.post(rate_url(shift, need), data={"rating": "5"}).status_code == 302
    rating = db.session.scalar(sa.select(VisitRating))
    assert rating.on_behalf is True and rating.created_by_id == world["staff1"].id
    community_page = client.get("/ratings/community").get_data(as_text=True).lower()
    assert "entered by staff1 for the resident" in community_page
    auth.as_(world["resident"])
    assert "entered by staff for you" in client.get("/ratings/").get_data(as_text=True)


def test_only_the_resident_and_their_community_may_rate(client, auth, world, visit):
    shift, need = visit
    for username in ("staff3", "vol", "worker", "civil"):
        auth.login(username)
        assert client.post(rate_url(shift, need), data={"rating": "5"}).status_code == 403, username
        auth.logout()
    other = make_user("neighbour", Role.resident, world.c1)
    make_resident(world.c1, name="Neighbour", user=other)
    db.session.commit()
    auth.login("neighbour")
    assert client.post(rate_url(shift, need), data={"rating": "5"}).status_code == 403
    assert count(VisitRating) == 0


def test_a_shift_not_closed_is_no_visit_yet(client, auth, world):
    shift, need = make_visit(world, done=False)
    db.session.commit()
    auth.login("resident")
    assert client.get(rate_url(shift, need)).status_code == 404
    assert client.post(rate_url(shift, need), data={"rating": "5"}).status_code == 404
    assert "Home visit need" not in client.get("/ratings/").get_data(as_text=True)


def test_a_low_rating_opens_a_follow_up_that_staff_close_with_a_note(client, auth, world, visit):
    shift, need = visit
    auth.login("resident")
    client.post(rate_url(shift, need), data={"rating": "2", "comment": "Left after ten minutes"})
    follow_up = db.session.scalar(sa.select(FollowUp))
    assert follow_up.status == FollowUpStatus.open and follow_up.region_id == world.c1.id
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "follow_up.open"))
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "follow_up_opened")).all()
    assert told == [world["staff1"].id]

    auth.as_(world["staff1"])
    needs_page = client.get("/community/needs").get_data(as_text=True)
    assert "data-follow-ups" in needs_page and "Tuesday home visit" in needs_page
    assert "Left after ten minutes" in client.get("/ratings/community").get_data(as_text=True)
    url = f"/ratings/follow-ups/{follow_up.id}/close"
    assert "Say what was done" in client.post(url, data={"note": ""}).get_data(as_text=True)
    auth.as_(world["staff3"])
    assert client.post(url, data={"note": "Not mine"}).status_code == 403
    db.session.refresh(follow_up)
    assert follow_up.status == FollowUpStatus.open

    auth.as_(world["staff1"])
    assert client.post(url, data={"note": "Called her and apologised"}).status_code == 302
    db.session.refresh(follow_up)
    assert (follow_up.status, follow_up.note, follow_up.closed_by_id) == (
        FollowUpStatus.done, "Called her and apologised", world["staff1"].id)
    close = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "follow_up.close"))
    assert close.before == {"status": "open"} and close.after == {"status": "done"}
    assert "data-follow-ups" not in client.get("/community/needs").get_data(as_text=True)


def test_the_threshold_is_a_setting(world):
    shifts = [make_visit(world, title=f"Visit {n}") for n in range(2)]
    services.rate_visit(*shifts[0], actor=world["resident"], rating=3)
    assert count(FollowUp) == 0
    settings.change("RATING_FOLLOW_UP_AT", "3", actor=world["admin"])
    services.rate_visit(*shifts[1], actor=world["resident"], rating=3)
    assert count(FollowUp) == 1


def test_averages_show_only_from_the_minimum_count(client, auth, world):
    project = make_project(world.street1, creator=world["civil"], status=ProjectStatus.in_progress,
                           title="Visits project")
    make_bid(project, world.org1, status=BidStatus.won)
    shifts = []
    for n in range(5):
        resident = make_resident(world.c1, name=f"Elder {n}")
        need = make_need(resident, world.visits, status=NeedStatus.in_service, title=f"Elder need {n}")
        need.project = project
        shift = shifts[0] if n < 3 and shifts else None
        if shift is None:
            shift, _need = make_visit(world, need, project=project, lead=world.worker, title=f"Project visit {n}")
            shifts.append(shift)
        else:
            shift.needs.append(need)
    db.session.flush()
    needs_by_shift = [(s, list(s.needs)) for s in shifts]
    ratings = iter([5, 4, 4, 3, 5])
    given = 0
    for shift, needs in needs_by_shift:
        for need in needs:
            if given == 4:
                break
            services.rate_visit(shift, need, actor=world["staff1"], rating=next(ratings))
            given += 1
    db.session.commit()
    pages = {"civil": [f"/projects/{project.id}", f"/organizations/{world.org1.id}"], "staff1": ["/ratings/community"],
             "worker": [f"/shifts/{shifts[0].id}"]}

    def texts():
        out = []
        for username, urls in pages.items():
            auth.login(username)
            out += [client.get(url).get_data(as_text=True) for url in urls]
            auth.logout()
        return out

    for page in texts():
        assert "shown from 5 ratings on" in page and " of 5</span>" not in page
    last_shift, last_needs = needs_by_shift[-1]
    services.rate_visit(last_shift, last_needs[-1], actor=world["staff1"], rating=next(ratings))
    db.session.commit()
    project_page, org_page, community_page, shift_page = texts()
    for page in (project_page, org_page, community_page):
        assert "4.2 of 5" in page and "5 ratings" in page   # (5 + 4 + 4 + 3 + 5) / 5
    assert "shown from 5 ratings on (so far 3)" in shift_page   # the first shift's own three ratings
