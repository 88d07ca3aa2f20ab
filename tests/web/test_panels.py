"""A purchase through the expert panel to the award notice, through HTTP: the panel assigned by civil
affairs, conflicts of interest refused, five experts scoring each criterion with the highest and lowest
totals dropped, the ranking, the award notice with every bidder told its rank and score, the panel's
record, and the 3A+ priority between equal totals."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from linkage import settings
from linkage.extensions import db
from linkage.models import (Bid, ExpertTie, PanelMember, PanelScore, PanelStatus, Project,
                            ProjectStatus, Role)
from linkage.projects import services
from tests.factories import make_bid, make_social_worker, make_user
from tests.web.test_projects_support import (english, evaluated_project, events, notified, past_deadline,  # noqa: F401
                                             published_project, text)

# Expert totals per bid (criteria plan 40 %, team 30 %, record 20 %, budget 10 %):
# org1's bid: 87 (100, 80, 90, 50), 80, 70, 60, 30 → 87 and 30 dropped → (80 + 70 + 60) ÷ 3 = 70.00
# org2's bid: 95, 72, 70, 68, 10 → 95 and 10 dropped → (72 + 70 + 68) ÷ 3 = 70.00
SCORES = {
    "org1": [(100, 80, 90, 50), (80,) * 4, (70,) * 4, (60,) * 4, (30,) * 4],
    "org2": [(95,) * 4, (72,) * 4, (70,) * 4, (68,) * 4, (10,) * 4],
}


def page(response) -> str:
    return unescape(text(response))


def _experts(n=5):
    return [make_user(f"expert{i}", Role.expert, None, name=f"Expert {i}") for i in range(1, n + 1)]


@pytest.fixture
def tender(world):
    """A district project open for bids (prices 250,000 by org1 and 200,000 by org2) and five experts."""
    project = published_project(world, region=world.district, title="Panel tender")
    bid1 = make_bid(project, world.org1, price=250000, team=[world.worker])
    bid2 = make_bid(project, world.org2, price=200000, team=[world.worker2])
    experts = _experts()
    db.session.commit()
    return project, bid1, bid2, experts


def _assign(client, project, expert):
    return client.post(f"/projects/{project.id}/panel", data={"expert": expert.id})


def _score_form(project, bid_scores: dict) -> dict:
    """The evaluate form for one expert: bid → four criterion scores in the criteria's order."""
    criteria = db.session.get(Project, project.id).criteria
    return {f"score_{bid.id}_{c.id}": str(value)
            for bid, values in bid_scores.items() for c, value in zip(criteria, values)}


def test_panel_scores_per_criterion_drop_the_extremes_rank_and_notify(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    tied_expert = make_user("tied", Role.expert, None, name="Tied Expert")
    make_social_worker(world.org1, tied_expert, name="Tied Expert")
    declarer = make_user("declarer", Role.expert, None, name="Declaring Expert")
    db.session.commit()

    auth.login("civil")
    for expert in experts:
        assert _assign(client, project, expert).status_code == 302
    response = _assign(client, project, tied_expert)
    assert response.status_code == 200
    assert ("Tied Expert cannot sit on this panel: Tied Expert is a social worker of Sunshine Social Work "
            "Center, which bids on this project.") in text(response)
    assert _assign(client, project, declarer).status_code == 302
    assert len(db.session.scalars(sa.select(PanelMember).where(PanelMember.project_id == project.id)).all()) == 6
    assert notified(experts[0], "panel_assigned")
    page = text(client.get(f"/projects/{project.id}/panel"))
    assert "Who scored what is shown here after the award." in page and "250,000" not in page

    # Before the deadline an expert reads the project but cannot declare, score or see a price.
    auth.as_(experts[0])
    page = text(client.get(f"/projects/{project.id}"))
    assert "Declare conflicts of interest" in page and "250,000" not in page and "200,000" not in page
    page = text(client.get(f"/projects/{project.id}/declare"))
    assert "You can declare once the bidding has closed" in page and "Harmony" not in page
    assert client.get(f"/projects/{project.id}/evaluate").status_code == 302

    past_deadline(db.session.get(Project, project.id))
    db.session.commit()
    auth.as_(world["civil"])
    assert client.post(f"/projects/{project.id}/close").status_code == 302

    # An expert who declares a tie to a bidder is recused; the tie is kept for later panels.
    auth.as_(declarer)
    response = client.post(f"/projects/{project.id}/declare", data={"ties": str(world.org2.id)},
                           follow_redirects=True)
    assert "You declared a tie to a bidder and are recused from this panel" in text(response)
    seat = db.session.scalar(sa.select(PanelMember).where(PanelMember.expert_id == declarer.id))
    assert seat.status == PanelStatus.recused and "declared a tie to Harmony Community Services" in seat.status_reason
    tie = db.session.scalar(sa.select(ExpertTie).where(ExpertTie.expert_id == declarer.id))
    assert tie.organization_id == world.org2.id
    assert client.get(f"/projects/{project.id}").status_code == 403
    assert notified(world["civil"], "panel_recused")

    # The five others declare no conflict and score every criterion of both bids.
    for i, expert in enumerate(experts):
        auth.as_(expert)
        response = client.post(f"/projects/{project.id}/declare", data={"ties": [], "no_conflict": "y"})
        assert response.status_code == 302
        page = text(client.get(f"/projects/{project.id}/evaluate"))
        assert "Service plan and methods" in page and "(40 %)" in page
        data = _score_form(project, {bid1: SCORES["org1"][i], bid2: SCORES["org2"][i]})
        assert client.post(f"/projects/{project.id}/evaluate", data=data).status_code == 302
        if i < 4:  # the panel's score counts only once every expert scored
            assert db.session.get(Bid, bid1.id).technical_score is None

    assert settings.get("PANEL_TRIM_MIN") == 5
    bid1, bid2 = db.session.get(Bid, bid1.id), db.session.get(Bid, bid2.id)
    assert services.panel_score(bid1) == 70.00 and services.panel_score(bid2) == 70.00
    assert bid1.technical_score == pytest.approx(49.0) and bid2.technical_score == pytest.approx(49.0)
    assert bid1.price_score == 24.0 and bid2.price_score == 30.0
    assert bid1.total_score == 73.0 and bid2.total_score == 79.0
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated
    assert len(db.session.scalars(sa.select(PanelScore)).all()) == 5 * 2 * 4

    # Ranking and award: org2 first; each bidder is told its rank and score.
    auth.as_(world["civil"])
    page = text(client.get(f"/projects/{project.id}/award"))
    assert page.index("Harmony Community Services") < page.index("Sunshine Social Work Center")
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid2.id}).status_code == 302
    won = notified(world["orgadmin2"], "bid_won")[0]
    assert won.params == {"title": "Panel tender", "rank": 1, "count": 2, "score": "79.00"}
    assert notified(world["worker2"], "bid_won")
    lost = notified(world["orgadmin"], "bid_lost")[0]
    assert lost.params == {"title": "Panel tender", "rank": 2, "count": 2, "score": "73.00"}
    assert lost.link_endpoint == "projects.notice"

    # The panel's record, shown to the managing civil affairs after the award.
    page = text(client.get(f"/projects/{project.id}/panel"))
    assert "The panel's record" in unescape(page)
    rows = re.findall(r"<tr><td>(Expert \d)</td><td>([^<]+)</td><td>([^<]+)</td>\s*"
                      r"<td class=\"text-end\">([\d.]+)</td>", page)
    assert len(rows) == 40
    assert ("Expert 1", "Sunshine Social Work Center", "Service plan and methods", "100.00") in rows
    assert ("Expert 5", "Harmony Community Services", "Soundness of the budget", "10.00") in rows

    # The award notice: public results with ranks, prices and scores.
    auth.as_(world["orgadmin"])
    page = text(client.get(f"/projects/{project.id}/notice"))
    assert "Award notice" in page and "200,000" in page and "250,000" in page and "79.0" in page
    assert "Bidders may file a complaint until" in page
    assert client.get(f"/projects/{project.id}/panel").status_code == 403


def test_an_expert_tied_through_their_account_or_a_declaration_is_refused(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    member = make_user("member", Role.expert, None, organization=world.org2, name="Org Member")
    db.session.add(ExpertTie(expert_id=experts[1].id, organization_id=world.org1.id))
    db.session.commit()
    auth.login("civil")
    assert "Org Member's account belongs to Harmony Community Services" in page(_assign(client, project, member))
    assert "Expert 2 declared a tie to Sunshine Social Work Center" in text(_assign(client, project, experts[1]))
    assert not db.session.scalars(sa.select(PanelMember)).all()
    assert not events("panel.assign")


def test_an_expert_sees_only_the_projects_of_their_panels(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    other = published_project(world, region=world.district, title="Not on my panel")
    db.session.add(PanelMember(project=project, expert=experts[0], status=PanelStatus.assigned))
    db.session.commit()
    auth.login(experts[0].username)
    page = text(client.get("/projects/"))
    assert "Panel tender" in page and "Not on my panel" not in page
    assert client.get(f"/projects/{other.id}").status_code == 403
    assert client.get(f"/projects/{other.id}/declare").status_code == 403
    assert client.get(f"/projects/{other.id}/evaluate").status_code == 403


def test_fewer_than_the_threshold_averages_every_score(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    past_deadline(project)
    project.status = ProjectStatus.bidding_closed
    for expert in experts[:3]:
        db.session.add(PanelMember(project=project, expert=expert, status=PanelStatus.joined))
    from linkage.projects.panels import ensure_criteria
    ensure_criteria(project)
    db.session.commit()
    for expert, value in zip(experts[:3], (90, 60, 30)):
        auth.as_(expert)
        scores = _score_form(project, {bid1: (value,) * 4, bid2: (50,) * 4})
        client.post(f"/projects/{project.id}/evaluate", data=scores)
    assert services.panel_score(db.session.get(Bid, bid1.id)) == 60.0  # (90 + 60 + 30) ÷ 3: nothing dropped


def test_a_score_outside_0_to_100_is_refused_and_nothing_written(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    past_deadline(project)
    project.status = ProjectStatus.bidding_closed
    db.session.add(PanelMember(project=project, expert=experts[0], status=PanelStatus.joined))
    from linkage.projects.panels import ensure_criteria
    ensure_criteria(project)
    db.session.commit()
    auth.login(experts[0].username)
    response = client.post(f"/projects/{project.id}/evaluate", data=_score_form(project, {bid1: (101, 50, 50, 50)}))
    assert response.status_code == 200 and "A score is between 0 and 100." in text(response)
    assert not db.session.scalars(sa.select(PanelScore)).all()


# --------------------------------------------------------------------------- 3A+ priority


def test_between_equal_totals_a_3a_organization_ranks_first(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world, technical=(80, 80), prices=(200000, 200000))
    world.org1.grade = 2   # org2 stays 3A
    db.session.commit()
    bid1, bid2 = db.session.get(Bid, bid1.id), db.session.get(Bid, bid2.id)
    assert bid1.total_score == bid2.total_score == 86.0
    assert [b.id for b in services.ranked([bid1, bid2])] == [bid2.id, bid1.id]
    auth.login("civil")
    page = text(client.get(f"/projects/{project.id}/award"))
    assert f'value="{bid2.id}" checked' in page
    response = client.post(f"/projects/{project.id}/award", data={"bid": bid1.id})
    assert ("Harmony Community Services has the same total score and is graded 3A or higher, which gives it "
            "priority") in text(response)
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid2.id}).status_code == 302
    assert notified(world["orgadmin2"], "bid_won")[0].params["rank"] == 1


def test_without_the_grade_equal_totals_go_by_price_then_order(world, app):
    project, (bid1, bid2) = evaluated_project(world, technical=(80, 80), prices=(200000, 200000))
    assert [b.id for b in services.ranked([bid2, bid1])] == [bid1.id, bid2.id]  # both 3A or higher
    world.org1.grade = world.org2.grade = 1
    assert [b.id for b in services.ranked([bid2, bid1])] == [bid1.id, bid2.id]
    bid2.total_score = None
    assert services.ranked([bid2, bid1])[-1] is bid2


# --------------------------------------------------------------------------- the panel changes


def test_a_panel_member_removed_no_longer_counts(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    past_deadline(project)
    project.status = ProjectStatus.bidding_closed
    seats = [PanelMember(project=project, expert=e, status=PanelStatus.joined) for e in experts[:2]]
    db.session.add_all(seats)
    from linkage.projects.panels import ensure_criteria
    ensure_criteria(project)
    db.session.commit()
    auth.login(experts[0].username)
    client.post(f"/projects/{project.id}/evaluate", data=_score_form(project, {bid1: (90,) * 4, bid2: (80,) * 4}))
    assert db.session.get(Bid, bid1.id).technical_score is None  # the second expert has not scored
    auth.as_(world["civil"])
    response = client.post(f"/projects/{project.id}/panel/{seats[1].id}/remove", data={f"rm{seats[1].id}-reason": ""})
    assert "Give the reason." in text(response)
    response = client.post(f"/projects/{project.id}/panel/{seats[1].id}/remove",
                           data={f"rm{seats[1].id}-reason": "Fell ill"})
    assert response.status_code == 302
    assert services.panel_score(db.session.get(Bid, bid1.id)) == 90.0
    assert db.session.get(Project, project.id).status == ProjectStatus.evaluated
    auth.as_(experts[1])
    assert client.get(f"/projects/{project.id}").status_code == 403


def test_the_notice_is_only_after_the_award(client, auth, world):
    project, (bid1, bid2) = evaluated_project(world)
    db.session.commit()
    for username in ("civil", "orgadmin", "orgadmin2"):
        auth.as_(world[username])
        assert client.get(f"/projects/{project.id}/notice").status_code == 403


def test_the_panel_page_still_counts_the_bids_scored_after_the_award(client, auth, world, tender):
    project, bid1, bid2, experts = tender
    past_deadline(project)
    project.status = ProjectStatus.bidding_closed
    for expert in experts[:3]:
        db.session.add(PanelMember(project=project, expert=expert, status=PanelStatus.joined))
    from linkage.projects.panels import ensure_criteria
    ensure_criteria(project)
    db.session.commit()
    for expert, value in zip(experts[:3], (90, 80, 70)):
        auth.as_(expert)
        client.post(f"/projects/{project.id}/evaluate", data=_score_form(project, {bid1: (value,) * 4, bid2: (50,) * 4}))
    auth.as_(world["civil"])
    scored = '<td class="text-end">2 / 2</td>'
    assert text(client.get(f"/projects/{project.id}/panel")).count(scored) == 3
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid1.id}).status_code == 302
    page = text(client.get(f"/projects/{project.id}/panel"))
    assert page.count(scored) == 3 and "0 / 0" not in page
