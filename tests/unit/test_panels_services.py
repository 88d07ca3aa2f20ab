"""The panel's arithmetic, the criteria rules, the tie rule and the standstill without the web."""
from datetime import timedelta
from decimal import Decimal

import pytest

from linkage import settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (Complaint, ComplaintStatus, ExpertTie, PanelMember, PanelStatus, ProjectCriterion,
                            ProjectStatus, Role)
from linkage.projects import panels, services, standstill
from linkage.timeutil import as_of
from tests.factories import make_social_worker, make_user, now
from tests.web.test_projects_support import closed_project, evaluated_project, published_project


def D(value) -> Decimal:
    return Decimal(str(value))


def test_five_totals_drop_the_highest_and_the_lowest():
    assert panels.aggregate([D(87), D(80), D(70), D(60), D(30)], 5) == D("70.00")
    assert panels.aggregate([D(95), D(72), D(70), D(68), D(10)], 5) == D("70.00")


def test_fewer_totals_than_the_threshold_keep_them_all():
    assert panels.aggregate([D(87), D(80), D(70), D(60)], 5) == D("74.25")
    assert panels.aggregate([D(90)], 5) == D("90.00")
    assert panels.aggregate([D(87), D(80), D(70), D(60)], 4) == D("75.00")  # a lower threshold drops


def test_the_average_is_rounded_half_up_to_the_cent():
    assert panels.aggregate([D("70.005"), D("70.005")], 5) == D("70.01")
    assert panels.aggregate([D(1), D(2), D(2)], 5) == D("1.67")


def test_an_experts_total_weighs_each_criterion():
    criteria = [ProjectCriterion(id=i, weight=w) for i, w in enumerate((40, 30, 20, 10), start=1)]
    assert panels.expert_total(criteria, {1: 100, 2: 80, 3: 90, 4: 50}) == D(87)
    assert panels.expert_total(criteria, {1: 100, 2: 80, 3: 90}) is None  # a criterion unscored


@pytest.mark.parametrize("rows, message", [
    ([], "Give at least one criterion."),
    ([panels.CriterionData("Plan", 60), panels.CriterionData("Team", 30)], "add up to 90"),
    ([panels.CriterionData("", 100)], "Give every criterion a name."),
    ([panels.CriterionData("Plan", 0), panels.CriterionData("Team", 100)], "from 1 to 100"),
])
def test_criteria_rules(rows, message):
    assert message in str(panels.criteria_message(rows))


def test_criteria_of_a_draft_change_and_a_closed_project_refuses(app, world):
    project = published_project(world, status=ProjectStatus.draft)
    assert panels.set_criteria(project, [panels.CriterionData("Plan", 70), panels.CriterionData("Team", 30)],
                               actor=world["civil"])
    assert [(c.label, c.weight) for c in project.criteria] == [("Plan", 70), ("Team", 30)]
    closed, _bids = closed_project(world)
    with pytest.raises(Refused, match="before the bidding closes"):
        panels.set_criteria(closed, [panels.CriterionData("Plan", 100)], actor=world["civil"])


def test_ties_by_account_social_worker_and_declaration(app, world):
    a = make_user("ea", Role.expert, organization=world.org1)
    b = make_user("eb", Role.expert)
    make_social_worker(world.org2, b)
    c = make_user("ec", Role.expert)
    db.session.add(ExpertTie(expert_id=c.id, organization_id=world.org1.id))
    d = make_user("ed", Role.expert)
    db.session.flush()
    assert "account belongs to" in str(panels.tie_reason(a, world.org1))
    assert "is a social worker of" in str(panels.tie_reason(b, world.org2))
    assert "declared a tie" in str(panels.tie_reason(c, world.org1))
    assert panels.tie_reason(d, world.org1) is None and panels.tie_reason(a, world.org2) is None


def test_a_pending_declaration_holds_the_panels_score(app, world):
    project, (bid1, bid2) = closed_project(world)
    e1, e2 = make_user("e1", Role.expert), make_user("e2", Role.expert)
    panels.assign_expert(project, e1, actor=world["civil"])
    panels.assign_expert(project, e2, actor=world["civil"])
    panels.declare(project, [], "", True, actor=e1)
    criteria = project.criteria
    panels.enter_panel_scores(project, {(b.id, c.id): 80.0 for b in (bid1, bid2) for c in criteria}, actor=e1)
    assert bid1.technical_score is None  # e2 has not declared
    panels.declare(project, [world.org2], "Former employee", False, actor=e2)
    assert db.session.get(PanelMember, panels._seat(project, e2).id).status == PanelStatus.recused
    assert services.panel_score(bid1) == 80.0 and project.status == ProjectStatus.evaluated
    assert settings.get("PANEL_TRIM_MIN") == 5


def test_signing_waits_for_the_standstill_and_open_complaints(app, world):
    project, (bid1, bid2) = evaluated_project(world)
    services.award_bid(project, bid1, actor=world["civil"])
    days = settings.get("STANDSTILL_DAYS")
    assert "standstill" in str(standstill.contract_signing_refusal(project))
    complaint = Complaint(project=project, organization=world.org2, text="x", status=ComplaintStatus.open)
    db.session.add(complaint)
    db.session.flush()
    with as_of(now() + timedelta(days=days, minutes=1)):
        assert "under review" in str(standstill.contract_signing_refusal(project))
        with pytest.raises(Refused, match="under review"):
            services.mark_contracted(project, actor=world["civil"])
        complaint.status = ComplaintStatus.dismissed
        db.session.flush()
        assert standstill.contract_signing_refusal(project) is None
        services.mark_contracted(project, actor=world["civil"])
    assert project.status == ProjectStatus.contracted
