"""Sealed bids: before the bidding deadline no page or export shows a bid's price to anyone but its own
organization; after it the civil affairs staff who manage the project see every price.

The crawl follows links and the data addresses pages fetch (the match runs' status.json); the
authorization matrix (test_authorization_matrix.py) searches every route of the URL map as well."""
import re
from collections import deque
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from linkage.extensions import db
from linkage.models import Role
from tests.factories import make_bid, make_user
from tests.web.test_projects_support import ROLES, english, past_deadline, published_project, text  # noqa: F401

# Distinctive prices, and the ways a page could print them ("¥123,457.00" contains "123,457").
PRICES = {"org1": Decimal("123457.00"), "org2": Decimal("98765.43")}
WRITTEN = {"org1": ("123457", "123,457", "123 457"), "org2": ("98765", "98,765", "98 765")}
MEMBERS = {"orgadmin": "org1", "worker": "org1", "orgadmin2": "org2", "worker2": "org2"}
SKIP = ("/logout", "/static/", "/language", "/lang/")
# Links, and the addresses a page's script fetches (exports such as a run's status.json).
LINK = re.compile(r'(?:href|data-url)="([^"#]+)')


@pytest.fixture
def sealed(world):
    """Bidding open on a district project and on a street-1 project, both organizations bidding on each."""
    world.users["civil1"] = make_user("civil1", Role.civil_affairs, world.street1)
    projects = [published_project(world, region=world.district), published_project(world, region=world.street1)]
    for project in projects:
        make_bid(project, world.org1, price=PRICES["org1"])
        make_bid(project, world.org2, price=PRICES["org2"])
    db.session.commit()
    return projects


def crawl(client, starts, depth=2):
    """Every page reachable within ``depth`` clicks of ``starts`` (GET links on this site): url → text."""
    seen, pages = set(starts), {}
    queue = deque((url, 0) for url in starts)
    while queue:
        url, level = queue.popleft()
        response = client.get(url)
        if response.status_code != 200:
            continue
        pages[url] = text(response)
        if level == depth or "html" not in response.content_type:
            continue
        for link in LINK.findall(pages[url]):
            link = link.replace("&amp;", "&")
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or any(s in parts.path for s in SKIP):
                continue
            if link not in seen:
                seen.add(link)
                queue.append((link, level + 1))
    return pages


def amount_shown(page: str, written: str) -> bool:
    """Whether ``page`` prints the amount ``written`` as a number of its own: not as the middle of another
    number (a timing sum such as 0.0098765 on the metrics page is not a price)."""
    return re.search(rf"(?<![\d.]){re.escape(written)}(?!\d)", page) is not None


def leaks(pages, forbidden):
    return sorted({(url, written) for url, page in pages.items() for org in forbidden for written in WRITTEN[org]
                   if amount_shown(page, written)})


@pytest.mark.parametrize("username", [*ROLES, "civil1"])
def test_no_one_reads_another_bid_price_while_bidding_is_open(client, auth, world, sealed, username):
    own = MEMBERS.get(username)
    forbidden = [org for org in PRICES if org != own]
    auth.login(username)
    starts = ["/", *(f"/projects/{p.id}" for p in sealed),
              f"/organizations/{world.org1.id}", f"/organizations/{world.org2.id}", "/organizations/mine"]
    pages = crawl(client, starts)
    assert leaks(pages, forbidden) == []
    if own:  # the bidding organization always sees its own bid
        assert any(WRITTEN[own][1] in page for page in pages.values())


def test_street_staff_list_no_bids_outside_their_street(client, auth, world, sealed):
    district_project, street_project = sealed
    past_deadline(district_project)
    past_deadline(street_project)
    db.session.commit()
    auth.login("civil1")
    page = text(client.get(f"/organizations/{world.org1.id}"))
    assert street_project.title in page and "123,457" in page
    assert f"/projects/{district_project.id}\"" not in page  # outside street 1: not listed at all
    assert client.get(f"/projects/{district_project.id}").status_code == 403


def test_after_the_deadline_managing_staff_see_every_price(client, auth, world, sealed):
    district_project, street_project = sealed
    past_deadline(district_project)
    db.session.commit()
    auth.login("civil")
    page = text(client.get(f"/projects/{district_project.id}"))
    assert "123,457" in page and "98,765.43" in page
    assert "123,457" in text(client.get(f"/organizations/{world.org1.id}"))
    auth.logout()
    for username in ("orgadmin2", "expert", "observer"):  # before the award, still sealed to them
        auth.login(username)
        pages = crawl(client, [f"/projects/{district_project.id}", f"/organizations/{world.org1.id}"], depth=1)
        assert leaks(pages, ["org1"]) == []
        auth.logout()


def submit_through_the_bid_form(client, auth, username, project, price, worker):
    """Change a bid as its organization's admin does, so the audit trail records the price."""
    auth.login(username)
    response = client.post(f"/projects/{project.id}/bid", data={
        "price": str(price), "proposal": "Plan", "team": [worker.id], "workload": 1, "no_violation_declared": "y"})
    assert response.status_code == 302, text(response)
    auth.logout()


def test_the_audit_trail_keeps_bid_prices_sealed_until_the_deadline(client, auth, world, sealed):
    district_project = sealed[0]
    submit_through_the_bid_form(client, auth, "orgadmin", district_project, PRICES["org1"], world.worker)
    submit_through_the_bid_form(client, auth, "orgadmin2", district_project, PRICES["org2"], world.worker2)
    for username in ("civil", "admin"):
        auth.login(username)
        page = text(client.get("/admin/audit"))
        assert "Bid changed" in page and "Sealed" in page
        assert leaks(crawl(client, ["/admin/audit"], depth=1), list(PRICES)) == []
        auth.logout()
    past_deadline(district_project)
    db.session.commit()
    auth.login("civil")
    assert "123457.00" in text(client.get("/admin/audit"))  # the managing staff read it once bidding is over
