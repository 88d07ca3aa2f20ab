"""Bids: submission by an eligible organization before the deadline, editing, withdrawal, the rules."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Bid, BidStatus, OrgStatus, ProjectStatus, SocialWorker, WorkerLevel
from tests.factories import make_bid, make_social_worker
from tests.web.test_projects_support import (ROLES, bid_form, bid_of, count, english, events,  # noqa: F401
                                             past_deadline, published_project, text)


@pytest.fixture
def project(world):
    p = published_project(world)
    db.session.commit()
    return p


def test_org_admin_submits_then_edits_one_bid(client, auth, world, project):
    auth.login("orgadmin")
    assert "Submit a bid" in text(client.get(f"/projects/{project.id}"))
    page = text(client.get(f"/projects/{project.id}/bid"))
    assert "Li Hua" in page and "Wang Fang" in page and "Zhang Wei" not in page  # own active workers only
    assert client.post(f"/projects/{project.id}/bid", data=bid_form(world)).status_code == 302
    bid = bid_of(project, world.org1)
    assert bid.status == BidStatus.submitted and bid.price == Decimal("250000.00") and bid.no_violation_declared
    assert [w.id for w in bid.team] == [world.worker.id] and bid.workload == 2 and bid.submitted_at is not None
    assert events("bid.submit", bid)[0].after["team"] == [world.worker.id]
    # A second submission edits the same bid.
    page = text(client.get(f"/projects/{project.id}/bid"))
    assert "Change our bid" in page and 'value="250000.00"' in page
    senior = world.org1.social_workers[-1]
    response = client.post(f"/projects/{project.id}/bid",
                           data=bid_form(world, price="240000", team=[world.worker.id, senior.id]))
    assert response.status_code == 302
    assert count(Bid) == 1
    bid = db.session.get(Bid, bid.id)
    assert bid.price == Decimal("240000.00") and len(bid.team) == 2
    event = events("bid.update", bid)[0]
    assert event.before["price"] == "250000.00" and event.after["price"] == "240000.00"


def test_withdraw_and_submit_again(client, auth, world, project):
    make_bid(project, world.org1)
    db.session.commit()
    auth.login("orgadmin")
    assert client.post(f"/projects/{project.id}/bid/withdraw").status_code == 302
    bid = bid_of(project, world.org1)
    assert bid.status == BidStatus.withdrawn and events("bid.withdraw", bid)
    response = client.post(f"/projects/{project.id}/bid/withdraw", follow_redirects=True)
    assert "Only a submitted bid can be withdrawn" in text(response)
    assert client.post(f"/projects/{project.id}/bid", data=bid_form(world)).status_code == 302
    assert bid_of(project, world.org1).status == BidStatus.submitted and count(Bid) == 1
    assert events("bid.submit")


def test_bid_after_the_deadline_is_refused(client, auth, world, project):
    make_bid(project, world.org1)
    past_deadline(project)
    db.session.commit()
    auth.login("orgadmin")
    assert "not open for bids" in text(client.get(f"/projects/{project.id}/bid"))
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world, price="1000"))
    assert response.status_code == 200 and "Bidding for this project closed at" in text(response)
    assert bid_of(project, world.org1).price == Decimal("250000.00")
    response = client.post(f"/projects/{project.id}/bid/withdraw", follow_redirects=True)
    assert "Bidding for this project closed" in text(response)
    assert bid_of(project, world.org1).status == BidStatus.submitted


def test_bid_on_a_project_not_open_is_refused(client, auth, world):
    project = published_project(world)
    project.status = ProjectStatus.cancelled
    make_bid(project, world.org1, status=BidStatus.withdrawn)  # it bid, so it may still see the project
    db.session.commit()
    auth.login("orgadmin")
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world))
    assert response.status_code == 200 and "not open for bids" in text(response)


@pytest.mark.parametrize("overrides, message", [
    ({"price": "300000.01"}, "The price may not exceed the budget of CN¥300,000.00"),
    ({"price": "0"}, "Enter a price above zero"),
    ({"price": "cheap"}, "Not a valid decimal value"),
    ({"proposal": ""}, "This field is required"),
    ({"team": []}, "needs at least 1 social workers"),
    ({"team": ["999999"]}, "is not a valid choice"),
    ({"workload": "7"}, "between 1 and your organization&#39;s capacity (6 units)"),
    ({"workload": "0"}, "Enter a number from 1 to 100"),
    ({"no_violation_declared": None}, "no major violation in the last three years"),
])
def test_bid_refuses_bad_input(client, auth, world, project, overrides, message):
    auth.login("orgadmin")
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world, **overrides))
    assert response.status_code == 200
    assert message in text(response)
    assert count(Bid) == 0 and not events("bid.submit")


def test_team_must_meet_the_required_number_and_level(client, auth, world, project):
    project.required_workers, project.required_worker_level = 2, WorkerLevel.social_worker
    assistant = make_social_worker(world.org1, name="Junior Zhou", level=WorkerLevel.assistant)
    db.session.commit()
    auth.login("orgadmin")
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world, team=[world.worker.id, assistant.id]))
    assert "needs at least 2 social workers at the level" in text(response) and "the team has 1" in text(response)
    senior = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Wang Fang"))
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world, team=[world.worker.id, senior.id]))
    assert response.status_code == 302


def test_deactivated_or_foreign_workers_cannot_be_proposed(client, auth, world, project):
    world.worker.active = False
    db.session.commit()
    auth.login("orgadmin")
    assert "Li Hua" not in text(client.get(f"/projects/{project.id}/bid"))
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world, team=[world.worker2.id]))
    assert response.status_code == 200 and "is not a valid choice" in text(response)
    assert count(Bid) == 0


@pytest.mark.parametrize("status, message", [
    (OrgStatus.blacklisted, "blacklisted (bad credit record) and may not bid"),
    (OrgStatus.suspended, "Only verified, active organizations may bid"),
    (OrgStatus.registered, "Only verified, active organizations may bid"),
])
def test_organizations_not_active_cannot_bid(client, auth, world, project, status, message):
    world.org1.status = status
    db.session.commit()
    auth.login("orgadmin")
    assert message in text(client.get(f"/projects/{project.id}/bid"))
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world))
    assert response.status_code == 200 and message in text(response)
    assert count(Bid) == 0


@pytest.mark.parametrize("change, message", [
    ({"min_grade": 5}, "requires grade 5A or higher; your organization&#39;s valid grade is 4A"),
    ({"min_years": 20}, "requires at least 20 years since founding"),
])
def test_eligibility_rules(client, auth, world, project, change, message):
    for name, value in change.items():
        setattr(project, name, value)
    db.session.commit()
    auth.login("orgadmin")
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world))
    assert response.status_code == 200 and message in text(response)
    assert count(Bid) == 0


def test_an_expired_grade_counts_as_none(client, auth, world, project):
    project.min_grade = 3
    world.org1.grade_awarded_on = date.today() - timedelta(days=5 * 366)
    db.session.commit()
    auth.login("orgadmin")
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world))
    assert "your organization&#39;s valid grade is none" in text(response)
    assert count(Bid) == 0


def test_organization_outside_the_area_cannot_bid(client, auth, world, project):
    """org2 serves street 2; the project belongs to street 1: it neither sees nor bids on it."""
    auth.login("orgadmin2")
    assert client.get(f"/projects/{project.id}").status_code == 403
    assert client.post(f"/projects/{project.id}/bid", data=bid_form(world, team=[world.worker2.id])).status_code == 403
    assert count(Bid) == 0


def test_organization_in_a_sub_area_bids_on_a_district_project(client, auth, world):
    project = published_project(world, region=world.district)
    db.session.commit()
    auth.login("orgadmin2")
    response = client.post(f"/projects/{project.id}/bid", data=bid_form(world, team=[world.worker2.id]))
    assert response.status_code == 302 and bid_of(project, world.org2) is not None


@pytest.mark.parametrize("username", [u for u in ROLES if u != "orgadmin"])
def test_bid_pages_refused_to_other_roles(client, auth, world, project, username):
    auth.login(username)
    assert client.get(f"/projects/{project.id}/bid").status_code == 403
    assert client.post(f"/projects/{project.id}/bid", data=bid_form(world)).status_code == 403
    assert client.post(f"/projects/{project.id}/bid/withdraw").status_code == 403
    assert count(Bid) == 0
