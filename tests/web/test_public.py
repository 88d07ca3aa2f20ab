"""The public transparency page, without signing in: published projects, award notices with ranks and
scores, evaluation results, the district's figures, and each purchase's open contracting data (OCDS 1.1).
Never a bid price before the award notice, never a draft, never a person's name or phone number."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from libcoveocds.lib.additional_checks import CHECKS, run_additional_checks
from libcoveocds.lib.common_checks import get_bad_ocid_prefixes

from linkage.extensions import db
from linkage.models import Milestone, Project, ProjectStatus
from tests import ocds_schema
from tests.factories import make_bid, make_project, now
from tests.web.test_contracts import delivered, installment, signed_contract
from tests.web.test_projects_support import english, published_project, text  # noqa: F401
from tests.web.test_sealed_bids import PRICES, WRITTEN

# What no public page or file may show: names and phone numbers of people (set on the world below).
PEOPLE = ("Chen Jing", "Wu Mei", "Li Hua", "Zhang Wei", "Wang Fang", "Qian Pingjia",
          "13912345678", "13887654321")


@pytest.fixture
def anonymous(app):
    return app.test_client()


@pytest.fixture
def people(world):
    world.volunteer.phone = "13912345678"
    world.resident.phone = "13887654321"
    world["expert"].display_name = "Qian Pingjia"
    db.session.commit()


def public_pages(client, project) -> dict[str, str]:
    urls = ["/public/", f"/public/projects/{project.id}", f"/public/projects/{project.id}/ocds.json",
            f"/public/projects/{project.id}/ocds-record.json"]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = text(response)
    return pages


def prices_shown(pages: dict[str, str]) -> list[tuple[str, str]]:
    return [(url, written) for url, page in pages.items() for forms in WRITTEN.values() for written in forms
            if written in page]


def package(client, project, kind="ocds.json") -> dict:
    response = client.get(f"/public/projects/{project.id}/{kind}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(text(response))


def test_the_public_page_opens_without_signing_in_and_is_linked_from_log_in_and_footer(anonymous, world):
    project = published_project(world, title="Companionship for elders living alone")
    db.session.commit()
    anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = text(anonymous.get("/public/"))
    assert "政府购买服务信息公开" in page and "Companionship for elders living alone" in page
    assert 'href="/public/"' in text(anonymous.get("/auth/login"))
    anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = text(anonymous.get(f"/public/projects/{project.id}"))
    assert "Companionship for elders living alone" in page and "¥300,000.00" in page
    assert "Home visits" in page and "Bidding is open" in page
    assert 'href="/public/"' in text(anonymous.get("/public/"))   # the footer, on every page


def test_no_price_before_the_award_notice_and_no_draft(anonymous, world):
    project = published_project(world, region=world.district)
    for org in (world.org1, world.org2):
        make_bid(project, org, price=PRICES["org1" if org is world.org1 else "org2"])
    draft = make_project(world.street1, creator=world["civil"], status=ProjectStatus.draft, title="Secret draft plan")
    db.session.commit()

    pages = public_pages(anonymous, project)
    assert prices_shown(pages) == [] and "Bidding is open" not in pages["/public/"]
    assert "bids" not in package(anonymous, project)["releases"][-1]    # not even their number while open

    # After the deadline: the number of bids, still no price.
    db.session.get(Project, project.id).bidding_deadline = now() - timedelta(hours=1)
    db.session.get(Project, project.id).status = ProjectStatus.bidding_closed
    db.session.commit()
    pages = public_pages(anonymous, project)
    assert prices_shown(pages) == []
    update = package(anonymous, project)["releases"][-1]
    assert update["tag"] == ["tenderUpdate"] and update["bids"] == {"statistics": [
        {"id": "bids", "measure": "bids", "value": 2, "date": update["bids"]["statistics"][0]["date"]}]}
    assert "details" not in update["bids"] and "awards" not in update

    # A draft is nowhere: not listed, not found, no data.
    assert all("Secret draft plan" not in page for page in pages.values())
    for url in (f"/public/projects/{draft.id}", f"/public/projects/{draft.id}/ocds.json",
                f"/public/projects/{draft.id}/ocds-record.json"):
        assert anonymous.get(url).status_code == 404


def full_purchase(world, client, auth):
    """Award → contract with three installments → mid-term check → final evaluation, every installment paid."""
    project, contract = signed_contract(world, client, auth)
    client.post(f"/contracts/{contract.id}/installments/{installment(contract, Milestone.signing).id}/pay")
    assert client.post(f"/projects/{project.id}/start").status_code == 302
    assert client.post(f"/contracts/{contract.id}/evaluator", data={"evaluator": world["expert"].id}).status_code == 302
    delivered(world, project)
    auth.as_(world["expert"])
    assert client.post(f"/contracts/{contract.id}/evaluate/midterm",
                       data={"score": "84", "passed": "y", "comment": "Chen Jing was great"}).status_code == 302
    auth.as_(world["civil"])
    client.post(f"/contracts/{contract.id}/installments/{installment(contract, Milestone.midterm).id}/pay")
    auth.as_(world["expert"])
    assert client.post(f"/contracts/{contract.id}/evaluate/final",
                       data={"score": "91.5", "passed": "y", "comment": "Targets reached"}).status_code == 302
    auth.as_(world["civil"])
    client.post(f"/contracts/{contract.id}/installments/{installment(contract, Milestone.final).id}/pay")
    auth.logout()
    assert db.session.get(Project, project.id).status == ProjectStatus.final_evaluated
    return db.session.get(Project, project.id), contract


def test_a_whole_purchase_on_the_public_page(client, auth, world, people):
    project, _contract = full_purchase(world, client, auth)
    pages = public_pages(client, project)
    page = pages[f"/public/projects/{project.id}"]
    # The award notice's ranking: both bidders with price, scores and rank; the evaluations; the money.
    assert "Award notice" in page
    assert world.org1.name in page and world.org2.name in page
    assert "¥250,000.00" in page and "¥200,000.00" in page and "80.0" in page and "79.0" in page
    assert "Mid-term check" in page and "Final evaluation" in page and "91.5" in page and "Passed" in page
    assert "Chen Jing was great" not in page        # the evaluator's words may name people: not published
    overview = pages["/public/"]
    assert project.title in overview and "91.5" in overview
    assert "¥250,000.00" in overview and "100 % of the contracts" in overview   # all paid
    assert '<div class="fw-semibold">2</div>' in overview                       # approved volunteer hours
    leaked = [(url, who) for url, text_ in pages.items() for who in PEOPLE if who in text_]
    assert leaked == []


def test_the_open_contracting_data_of_a_whole_purchase(client, auth, world, people, app):
    project, contract = full_purchase(world, client, auth)
    data = package(client, project)
    ocid = f"{app.config['OCDS_PREFIX']}{project.id}"
    releases = data["releases"]
    assert data["version"] == "1.1" and len(data["extensions"]) == 2
    assert [r["tag"] for r in releases] == [["planning"], ["tender"], ["tenderUpdate"], ["award"], ["contract"],
                                            ["implementation"]]
    assert {r["ocid"] for r in releases} == {ocid} and len({r["id"] for r in releases}) == len(releases)
    planning, tender, update, award, signed, implementation = releases
    assert planning["planning"]["budget"]["amount"] == {"amount": 300000.0, "currency": "CNY"}
    assert [i["classification"]["id"] for i in tender["tender"]["items"]] == ["elderly.visits"]
    # Bids: every ranked bid with its organization and price, once the award notice is out.
    details = award["bids"]["details"]
    assert sorted(d["value"]["amount"] for d in details) == [200000.0, 250000.0]
    assert award["awards"][0]["suppliers"][0]["name"] == world.org1.name
    assert award["awards"][0]["value"]["amount"] == 250000.0
    # Installments are the contract's milestones; each payment names the one it pays.
    milestones = signed["contracts"][0]["milestones"]
    assert [(m["code"], m["type"]) for m in milestones] == [("signing", "financing"), ("midterm", "financing"),
                                                            ("final", "financing")]
    body = implementation["contracts"][0]
    assert body["id"] == signed["contracts"][0]["id"] and body["awardID"] == award["awards"][0]["id"]
    transactions = body["implementation"]["transactions"]
    assert [t["value"]["amount"] for t in transactions] == [75000.0, 100000.0, 75000.0]
    assert [t["relatedImplementationMilestone"]["id"] for t in transactions] == [m["id"] for m in milestones]
    assessed = [m for m in body["implementation"]["milestones"] if m["type"] == "assessment"]
    assert [m["status"] for m in assessed] == ["met", "met"] and "91.5" in assessed[1]["description"]
    # Valid against the standard's schema with the two extensions; every party referenced is described.
    assert ocds_schema.errors(data, "release-package") == []
    assert [ocds_schema.errors(release, "release") for release in releases] == [[]] * len(releases)
    parties = {p["id"] for r in releases for p in r["parties"]}
    assert {t["payee"]["id"] for t in transactions} <= parties and releases[0]["buyer"]["id"] in parties
    assert list(run_additional_checks(data, CHECKS["all"])) == []
    assert list(get_bad_ocid_prefixes(data)) == []
    record = package(client, project, "ocds-record.json")
    assert record["records"][0]["ocid"] == ocid and record["records"][0]["releases"] == releases
    assert record["packages"] == [data["uri"]]
    assert list(run_additional_checks(record, CHECKS["all"])) == []
    assert ocds_schema.errors(record, "record-package") == []
    raw = json.dumps(data, ensure_ascii=False) + json.dumps(record, ensure_ascii=False)
    assert [who for who in PEOPLE if who in raw] == []


def test_a_failed_tender_is_published_as_unsuccessful(anonymous, world):
    project = published_project(world)
    project.bidding_deadline = now() - timedelta(days=1)
    project.status = ProjectStatus.failed
    db.session.commit()
    releases = package(anonymous, project)["releases"]
    assert releases[-1]["tender"]["status"] == "unsuccessful" and releases[-1]["tender"]["numberOfTenderers"] == 0
    assert not any("awards" in r or "bids" in r and "details" in r["bids"] for r in releases)
    assert ocds_schema.errors(package(anonymous, project), "release-package") == []


def test_the_schema_check_finds_what_the_standard_refuses(client, auth, world, app):
    """The schema the packages are checked against is the extended one: a bid status outside the bid
    extension's closed codelist, a payment naming no milestone, a wrong tag are errors."""
    project, _contract = full_purchase(world, client, auth)
    data = package(client, project)
    award, implementation = data["releases"][3], data["releases"][5]
    award["bids"]["details"][0]["status"] = "won"
    implementation["contracts"][0]["implementation"]["transactions"][0]["relatedImplementationMilestone"] = {}
    data["releases"][0]["tag"] = ["signed"]
    found = ocds_schema.errors(data, "release-package")
    assert any("bids/details/0/status" in e for e in found)
    assert any("relatedImplementationMilestone" in e for e in found)
    assert any("releases/0/tag/0" in e for e in found)
