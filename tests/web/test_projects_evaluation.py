"""After the deadline: closing the bidding, technical scores, disqualification, the award, contract and start."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage import settings
from linkage.models import (Bid, BidStatus, Contract, Need, NeedStatus, OrgStatus, PanelMember, PanelStatus, Project,
                            ProjectStatus, Role)
from tests.factories import make_bid, make_user, now
from tests.web.test_projects_support import (ROLES, closed_project, english, evaluated_project, events,  # noqa: F401
                                             notified, past_deadline, published_project, text)

# --------------------------------------------------------------------------- closing the bidding


def test_close_refused_before_the_deadline(client, auth, world):
    project = published_project(world)
    make_bid(project, world.org1)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/close", follow_redirects=True)
    assert "Bidding is open until" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.published
    assert not events("project.close")


def test_close_after_the_deadline(client, auth, world):
    project = past_deadline(published_project(world, region=world.district))
    make_bid(project, world.org1, price=250000)
    make_bid(project, world.org2, price=200000)
    db.session.commit()
    auth.login("civil")
    assert "Close bidding" in text(client.get(f"/projects/{project.id}"))
    assert client.post(f"/projects/{project.id}/close").status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.bidding_closed and events("project.close", project)
    # Price scores are known as soon as the valid bids are: (lowest ÷ price) × 30.
    bids = {b.organization_id: b for b in project.bids}
    assert bids[world.org2.id].price_score == 30.0 and bids[world.org1.id].price_score == 24.0
    assert bids[world.org1.id].total_score is None


def test_close_without_a_valid_bid_fails_the_project_and_frees_its_needs(client, auth, world):
    project = past_deadline(published_project(world))
    make_bid(project, world.org1, status=BidStatus.withdrawn)
    needs = list(project.needs)
    db.session.commit()
    auth.login("civil")
    client.post(f"/projects/{project.id}/close")
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.failed and events("project.fail", project)
    assert all(db.session.get(Need, n.id).project_id is None for n in needs)


def test_close_disqualifies_bids_of_organizations_no_longer_active(client, auth, world):
    project = past_deadline(published_project(world, region=world.district))
    make_bid(project, world.org1)
    bad = make_bid(project, world.org2)
    world.org2.status = OrgStatus.blacklisted
    db.session.commit()
    auth.login("civil")
    client.post(f"/projects/{project.id}/close")
    bad = db.session.get(Bid, bad.id)
    assert bad.status == BidStatus.disqualified and bad.status_reason == ""  # the rule's words, not stored
    assert "The organization was not active when bidding closed." in text(client.get(f"/projects/{project.id}"))
    assert notified(world["orgadmin2"], "bid_disqualified_inactive")
    assert db.session.get(Project, project.id).status == ProjectStatus.bidding_closed


# --------------------------------------------------------------------------- technical scores


def test_scores_refused_before_the_deadline(client, auth, world):
    project = published_project(world)
    bid = make_bid(project, world.org1)
    db.session.commit()
    auth.login("civil")
    assert "Bids are evaluated after the bidding closes" in text(client.get(f"/projects/{project.id}/scores"))
    response = client.post(f"/projects/{project.id}/scores", data={f"bid_{bid.id}": "80"})
    assert response.status_code == 200 and "Bids are evaluated after the bidding closes" in text(response)
    assert db.session.get(Bid, bid.id).technical_score is None and not events("bid.score")


def test_entering_scores_computes_price_and_total_and_evaluates(client, auth, world):
    project, (bid1, bid2) = closed_project(world)
    db.session.commit()
    auth.login("civil")
    page = text(client.get(f"/projects/{project.id}/scores"))
    assert "Sunshine Social Work Center" in page and "Harmony Community Services" in page
    # One score first: the project waits for the other.
    assert client.post(f"/projects/{project.id}/scores", data={f"bid_{bid1.id}": "80"}).status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.bidding_closed
    assert client.post(f"/projects/{project.id}/scores",
                       data={f"bid_{bid1.id}": "80", f"bid_{bid2.id}": "62.5"}).status_code == 302
    bid1, bid2 = db.session.get(Bid, bid1.id), db.session.get(Bid, bid2.id)
    # The technical part counts 1 − 30 % of the panel's score; the price part at most 30.
    # org1: 80 × 0.7 + 200000/250000 × 30 = 56 + 24 = 80; org2: 62.5 × 0.7 + 30 = 43.75 + 30 = 73.75
    assert (bid1.technical_score, bid1.price_score, bid1.total_score) == (56.0, 24.0, 80.0)
    assert (bid2.technical_score, bid2.price_score, bid2.total_score) == (43.75, 30.0, 73.75)
    assert bid1.status == bid2.status == BidStatus.scored
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated
    assert [e.after["panel_score"] for e in events("bid.score")] == [80.0, 62.5]
    assert events("project.evaluate")
    page = text(client.get(f"/projects/{project.id}/scores"))
    assert 'value="62.50"' in page and 'data-part="technical">43.75<' in page  # the panel's score is kept
    assert 'data-part="price">30.0<' in page and 'data-part="total">73.75<' in page


def test_a_perfect_bid_totals_exactly_100_and_the_award_run_reads_the_weighted_score(client, auth, world):
    from linkage.matching.problems import build_award_problem
    from matching.award import bid_score
    project, (bid1, bid2) = closed_project(world, prices=(200000, 200000))
    db.session.commit()
    auth.login("civil")
    assert client.post(f"/projects/{project.id}/scores",
                       data={f"bid_{bid1.id}": "100", f"bid_{bid2.id}": "85.5"}).status_code == 302
    bid1, bid2 = db.session.get(Bid, bid1.id), db.session.get(Bid, bid2.id)
    assert (bid1.technical_score, bid1.price_score, bid1.total_score) == (70.0, 30.0, 100.0)
    assert bid2.total_score == 89.85 and all(b.total_score <= 100 for b in (bid1, bid2))
    # The award run reads the weighted technical score and arrives at the same totals.
    project = db.session.get(Project, project.id)
    project.status = ProjectStatus.evaluated
    db.session.commit()
    problem, _inputs = build_award_problem(world.district)
    for row in problem["bids"]:
        bid = db.session.get(Bid, int(row["id"][1:]))
        assert row["technical_score"] == bid.technical_score
        assert bid_score(row["technical_score"], project.price_weight, 200000, row["price"]) == round(
            bid.total_score * 100)


@pytest.mark.parametrize("value, message", [("101", "between 0 and 100"), ("-1", "between 0 and 100"),
                                            ("eighty", "Not a valid decimal value")])
def test_scores_refuse_bad_input(client, auth, world, value, message):
    project, (bid1, bid2) = closed_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/scores", data={f"bid_{bid1.id}": "80", f"bid_{bid2.id}": value})
    assert response.status_code == 200 and message in text(response)
    assert db.session.get(Bid, bid1.id).technical_score is None and not events("bid.score")


def test_scores_need_at_least_one_value(client, auth, world):
    project, bids = closed_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/scores", data={})
    assert response.status_code == 200 and "Enter at least one score" in text(response)


# --------------------------------------------------------------------------- disqualification


def test_disqualify_needs_a_reason_and_recomputes_price_scores(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/bids/{bid2.id}/disqualify", data={f"dq{bid2.id}-reason": ""})
    assert response.status_code == 200 and "Give the reason" in text(response)
    assert db.session.get(Bid, bid2.id).status == BidStatus.scored
    response = client.post(f"/projects/{project.id}/bids/{bid2.id}/disqualify",
                           data={f"dq{bid2.id}-reason": "Team certificates forged"})
    assert response.status_code == 302
    bid1, bid2 = db.session.get(Bid, bid1.id), db.session.get(Bid, bid2.id)
    assert bid2.status == BidStatus.disqualified and bid2.status_reason == "Team certificates forged"
    # org1 is now the lowest valid price: full price score.
    assert bid1.price_score == 30.0 and bid1.total_score == 86.0  # 80 × 0.7 + 30
    assert events("bid.disqualify", bid2) and notified(world["orgadmin2"], "bid_disqualified")


def test_disqualifying_every_bid_fails_the_project(client, auth, world):
    project, (bid1, bid2) = closed_project(world)
    db.session.commit()
    auth.login("civil")
    for bid in (bid1, bid2):
        client.post(f"/projects/{project.id}/bids/{bid.id}/disqualify", data={f"dq{bid.id}-reason": "Late papers"})
    assert db.session.get(Project, project.id).status == ProjectStatus.failed


def test_disqualify_a_bid_of_another_project_is_404(client, auth, world):
    project, (bid1, _) = closed_project(world)
    other = published_project(world)
    db.session.commit()
    auth.login("civil")
    assert client.post(f"/projects/{other.id}/bids/{bid1.id}/disqualify",
                       data={f"dq{bid1.id}-reason": "x"}).status_code == 404


# --------------------------------------------------------------------------- award


def test_award_the_highest_total(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    resident_user = world["resident"]
    needs = list(project.needs)
    db.session.commit()
    auth.login("civil")
    page = text(client.get(f"/projects/{project.id}/award"))
    assert f'value="{bid1.id}" checked' in page  # proposed: the highest total
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid1.id}).status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.awarded and project.awarded_at is not None
    assert db.session.get(Bid, bid1.id).status == BidStatus.won
    assert db.session.get(Bid, bid2.id).status == BidStatus.lost
    for need in needs:
        need = db.session.get(Need, need.id)
        assert need.status == NeedStatus.matched and need.matched_at is not None
        assert events("need.match", need)
    assert events("project.award", project)[0].after["bid_id"] == bid1.id
    assert events("bid.win", bid1) and events("bid.lose", bid2)
    assert notified(world["orgadmin"], "bid_won") and notified(world["worker"], "bid_won")
    assert notified(world["orgadmin2"], "bid_lost")
    assert notified(resident_user, "project_need_matched")
    # A second award is refused.
    response = client.post(f"/projects/{project.id}/award", data={"bid": bid2.id})
    assert response.status_code == 200 and "cannot be awarded now" in text(response)
    assert db.session.get(Bid, bid2.id).status == BidStatus.lost


def test_award_to_a_lower_total_needs_a_reason(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/award", data={"bid": bid2.id, "note": ""})
    assert response.status_code == 200 and "does not have the highest total score" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated
    response = client.post(f"/projects/{project.id}/award",
                           data={"bid": bid2.id, "note": "Org1 lacks local staff in River Community"})
    assert response.status_code == 302
    assert db.session.get(Bid, bid2.id).status == BidStatus.won
    assert db.session.get(Project, project.id).status_reason.startswith("Org1 lacks")


def test_award_refused_before_every_bid_is_scored(client, auth, world):
    project, (bid1, bid2) = closed_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.get(f"/projects/{project.id}/award")
    assert "Enter the technical score of every valid bid" in text(response)
    response = client.post(f"/projects/{project.id}/award", data={"bid": bid1.id})
    assert response.status_code == 200
    assert db.session.get(Project, project.id).status == ProjectStatus.bidding_closed


def test_award_refused_when_it_would_exceed_capacity_or_the_org_is_blacklisted(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    bid1.workload = 7  # org1's capacity is 6
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/award", data={"bid": bid1.id})
    assert "would exceed its capacity" in text(response)
    bid1.workload = 1
    world.org1.status = OrgStatus.blacklisted
    db.session.commit()
    response = client.post(f"/projects/{project.id}/award", data={"bid": bid1.id})
    assert "cannot be awarded" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated


def test_award_unknown_bid(client, auth, world):
    project, bids = evaluated_project(world)
    db.session.commit()
    auth.login("civil")
    response = client.post(f"/projects/{project.id}/award", data={"bid": 99999})
    assert response.status_code == 200 and "Not a valid choice" in text(response)


def test_experts_score_through_their_panel_not_the_staff_form(client, auth, world):
    project, (bid1, bid2) = closed_project(world)
    db.session.commit()
    auth.login("expert")  # on no panel: the project is not theirs to read or score
    assert client.get(f"/projects/{project.id}").status_code == 403
    assert client.get(f"/projects/{project.id}/scores").status_code == 403
    db.session.add(PanelMember(project=project, expert=world["expert"], status=PanelStatus.joined))
    db.session.commit()
    page = text(client.get(f"/projects/{project.id}"))
    assert "Score the bids" in page and "Enter technical scores" not in page
    assert client.get(f"/projects/{project.id}/scores").status_code == 403  # the staff form is staff's
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid1.id}).status_code == 403
    # With a panel, staff cannot type technical scores themselves either.
    auth.as_(world["civil"])
    response = client.post(f"/projects/{project.id}/scores", data={f"bid_{bid1.id}": "90", f"bid_{bid2.id}": "70"})
    assert "its technical scores come from the panel" in text(response)
    assert db.session.get(Bid, bid1.id).technical_score is None


def test_experts_outside_the_projects_area_cannot_score(client, auth, world):
    project, (bid1, bid2) = closed_project(world)
    project.region = world.street2
    outsider = make_user("expert_north", Role.expert, world.street1)
    db.session.commit()
    auth.login(outsider.username)
    assert client.get(f"/projects/{project.id}/scores").status_code == 403
    assert client.post(f"/projects/{project.id}/scores", data={f"bid_{bid1.id}": "90"}).status_code == 403
    assert db.session.get(Bid, bid1.id).technical_score is None


@pytest.mark.parametrize("username", [u for u in ROLES if u not in ("civil", "admin", "expert")])
def test_evaluation_pages_refused_to_other_roles_and_scopes(client, auth, world, username):
    project, (bid1, bid2) = evaluated_project(world)
    db.session.commit()
    auth.login(username)
    assert client.get(f"/projects/{project.id}/scores").status_code == 403
    assert client.post(f"/projects/{project.id}/scores", data={f"bid_{bid1.id}": "1"}).status_code == 403
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid2.id, "note": "x"}).status_code == 403
    assert client.post(f"/projects/{project.id}/bids/{bid1.id}/disqualify",
                       data={f"dq{bid1.id}-reason": "x"}).status_code == 403
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated
    assert db.session.get(Bid, bid1.id).technical_score == 56.0


# --------------------------------------------------------------------------- contract and start


def test_contract_then_start(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    db.session.commit()
    auth.login("civil")
    client.post(f"/projects/{project.id}/award", data={"bid": bid1.id})
    response = client.post(f"/projects/{project.id}/start", follow_redirects=True)
    assert "does not fit the project" in text(response)
    # The contract is drawn up by civil affairs and signed by the organization's admin (linkage/contracts).
    assert "Draw up the contract" in text(client.get(f"/projects/{project.id}"))
    assert client.post(f"/contracts/new/{project.id}", data={
        "amount": "250000", "term_start": project.service_start.isoformat(), "share_signing": "30",
        "share_midterm": "40", "share_final": "30", "target_residents": "0", "target_visits": "0",
        "target_hours": "0"}).status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.awarded
    contract_id = db.session.scalar(sa.select(Contract.id).where(Contract.project_id == project.id))
    auth.as_(world["orgadmin"])
    response = client.post(f"/contracts/{contract_id}/sign", follow_redirects=True)
    assert "The standstill after the award notice lasts until" in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.awarded
    db.session.get(Project, project.id).awarded_at -= timedelta(days=settings.get("STANDSTILL_DAYS"))
    db.session.commit()
    assert client.post(f"/contracts/{contract_id}/sign").status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.contracted
    auth.as_(world["civil"])
    assert notified(world["orgadmin"], "project_contracted")
    assert client.post(f"/projects/{project.id}/start").status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.in_progress
    assert events("project.contract", project) and events("project.start", project)


# --------------------------------------------------------------------------- who sees which bid


def test_organizations_never_see_other_bids_before_the_award(client, auth, world):
    project = published_project(world, region=world.district)
    make_bid(project, world.org1, price=234567)
    make_bid(project, world.org2, price=198765)
    db.session.commit()
    auth.login("orgadmin2")
    for url in (f"/projects/{project.id}", "/projects/", f"/projects/{project.id}/bid",
                f"/organizations/{world.org2.id}", "/organizations/mine"):
        page = text(client.get(url))
        assert "234,567" not in page and "Sunshine Social Work Center" not in page, url
    assert "198,765" in text(client.get(f"/projects/{project.id}"))
    # Still hidden while the bids are evaluated.
    past_deadline(project)
    project.status = ProjectStatus.evaluated
    db.session.commit()
    page = text(client.get(f"/projects/{project.id}"))
    assert "234,567" not in page and "Sunshine Social Work Center" not in page
    auth.as_(world["expert"])
    page = text(client.get(f"/projects/{project.id}"))
    assert "234,567" not in page and "198,765" not in page


def test_after_the_award_everyone_sees_winner_price_and_scores(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    bid1.proposal = "Secret delivery method"
    db.session.commit()
    db.session.add(PanelMember(project=project, expert=world["expert"], status=PanelStatus.joined))
    db.session.commit()
    auth.login("civil")
    client.post(f"/projects/{project.id}/award", data={"bid": bid1.id})
    for username in ("orgadmin2", "expert", "worker2"):
        auth.as_(world[username])
        page = text(client.get(f"/projects/{project.id}"))
        assert "Award results" in page and "Sunshine Social Work Center" in page and "250,000" in page, username
        assert "80.0" in page and "Secret delivery method" not in page  # scores yes, proposals no


def test_a_new_org_admin_without_organization_sees_no_project(client, auth, world):
    project = published_project(world)
    make_user("lonely", world["orgadmin"].role, world.c1)
    db.session.commit()
    auth.login("lonely")
    assert client.get(f"/projects/{project.id}").status_code == 403
    assert "No project is open" in text(client.get("/projects/"))
    assert project.bidding_deadline > now() - timedelta(days=1)


def test_refusal_messages_escape_what_people_typed(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    world.org1.name = "<b>Bold</b> Care"
    world.org1.status = OrgStatus.suspended
    db.session.commit()
    auth.login("civil")
    page = text(client.post(f"/projects/{project.id}/award", data={"bid": bid1.id}))
    assert "cannot be awarded" in page and "<b>Bold</b>" not in page and "&lt;b&gt;Bold" in page
