"""A draft bid (never submitted, or sent back by a change of the terms to be confirmed again) is its own
organization's alone: civil affairs, administrators, other organizations and the panel see it nowhere."""
import pytest

from linkage.extensions import db
from linkage.models import BidStatus
from linkage.projects import panels
from tests.factories import make_bid
from tests.web.test_projects_support import english, past_deadline, published_project, text  # noqa: F401

DRAFTER, OTHER = "Sunshine Social Work Center", "Harmony Community Services"


@pytest.fixture
def drafted(world):
    """A published project of the district with org1's draft and org2's submitted bid."""
    project = published_project(world, region=world.district, title="River path visits")
    draft = make_bid(project, world.org1, price=123457, status=BidStatus.draft)
    draft.submitted_at = None
    make_bid(project, world.org2, price=98765)
    db.session.commit()
    return project


@pytest.mark.parametrize("username", ["civil", "admin"])
def test_managers_see_no_draft_bid_on_any_page(client, auth, world, drafted, username):
    auth.login(username)
    page = text(client.get(f"/projects/{drafted.id}"))
    assert OTHER in page and DRAFTER not in page
    assert DRAFTER not in text(client.get(f"/projects/{drafted.id}", query_string={"status": "draft"}))
    assert DRAFTER not in text(client.get(f"/projects/{drafted.id}", query_string={"q": "Sunshine"}))
    org_page = text(client.get(f"/organizations/{world.org1.id}"))
    assert DRAFTER in org_page and "River path visits" not in org_page and "No bids yet." in org_page
    assert "River path visits" in text(client.get(f"/organizations/{world.org2.id}"))


def test_another_organization_sees_no_draft_bid(client, auth, world, drafted):
    auth.login("orgadmin2")
    page = text(client.get(f"/projects/{drafted.id}"))
    assert "Our bid" in page and DRAFTER not in page


def test_the_drafting_organization_sees_its_draft(client, auth, world, drafted):
    auth.login("orgadmin")
    page = text(client.get(f"/projects/{drafted.id}"))
    assert "Our bid" in page and "Draft" in page
    assert "River path visits" in text(client.get("/organizations/mine"))
    auth.as_(world["worker"])
    assert "River path visits" in text(client.get("/organizations/mine"))


def test_the_panel_declares_ties_to_bidders_only(world, drafted):
    past_deadline(drafted)
    db.session.commit()
    assert [org.name for org in panels.bidders(drafted)] == [OTHER]
