"""The contract on the data `make run` seeds, as each role would open it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Contract, ContractStatus, EvaluationKind, Milestone, Project, ProjectStatus
from linkage.seed import DEMO_PASSWORD
from tests import ocds_schema

pytestmark = pytest.mark.slow


def test_the_demo_contract_is_signed_first_installment_paid_midterm_pending(app, client, seeded_demo):
    contract = db.session.scalar(sa.select(Contract).join(Project).where(Project.status == ProjectStatus.in_progress))
    assert contract.status == ContractStatus.signed and contract.project.status == ProjectStatus.in_progress
    paid = {i.milestone: i.payment is not None for i in contract.installments}
    assert paid == {Milestone.signing: True, Milestone.midterm: False, Milestone.final: False}
    assert contract.evaluator is not None and contract.evaluator.username == "expert"
    assert not contract.evaluations
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for username, expected in (("civil", "Renew for one more year"), ("orgadmin", "Ask for approval"),
                               ("expert", "Mid-term check")):
        client.post("/auth/logout")
        assert client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
        listing = client.get("/contracts/").get_data(as_text=True)
        assert f"/contracts/{contract.id}" in listing, username
        page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
        assert contract.project.title in page and "approved by" in page, username
        assert expected in page, username
    assert client.get(f"/contracts/{contract.id}/evaluate/midterm").status_code == 200


def test_the_demo_purchases_are_on_the_public_page(app, client, seeded_demo):
    """Without a log-in: the seeded projects open for bids, the award notices with their rankings and the
    running contract's payment; never a draft, never the sealed prices of the project still open."""
    projects = {p.status: p for p in db.session.scalars(sa.select(Project))}
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    overview = client.get("/public/").get_data(as_text=True)
    for status in (ProjectStatus.published, ProjectStatus.awarded, ProjectStatus.in_progress,
                   ProjectStatus.final_evaluated):
        assert projects[status].title in overview, status
    assert projects[ProjectStatus.draft].title not in overview and "Paid" in overview
    running = projects[ProjectStatus.in_progress]
    page = client.get(f"/public/projects/{running.id}").get_data(as_text=True)
    assert "Award notice" in page and "Contract and payments" in page
    winner = next(b for b in running.bids if b.status.value == "won")
    assert winner.organization.name in page
    sealed = next(p for p in db.session.scalars(sa.select(Project)) if p.status == ProjectStatus.published and p.bids)
    page = client.get(f"/public/projects/{sealed.id}").get_data(as_text=True)
    data = client.get(f"/public/projects/{sealed.id}/ocds.json").get_data(as_text=True)
    assert all(f"{b.price:,.0f}" not in page and f"{b.price:.0f}" not in data for b in sealed.bids)
    tags = [r["tag"][0] for r in client.get(f"/public/projects/{running.id}/ocds.json").get_json()["releases"]]
    assert tags == ["planning", "tender", "tenderUpdate", "award", "contract", "implementation"]


def test_the_demo_has_a_finished_purchase_evaluated_paid_and_published(app, client, seeded_demo):
    """The completed project's contract went through the services to the end: a passed mid-term check and
    final evaluation, every installment paid; the public page and the open contracting data show it."""
    contract = db.session.scalar(sa.select(Contract).join(Project)
                                 .where(Project.status == ProjectStatus.final_evaluated))
    assert contract.status == ContractStatus.signed and contract.team
    assert [(e.kind, e.passed) for e in contract.evaluations] == [(EvaluationKind.midterm, True),
                                                                  (EvaluationKind.final, True)]
    assert all(i.payment is not None for i in contract.installments)
    assert sum(i.payment.amount for i in contract.installments) == contract.amount
    final = contract.evaluations[1]
    assert final.created_at.date() > contract.project.service_end and final.spent_share == 70.0
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    project = contract.project
    page = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "Mid-term check" in page and "Final evaluation" in page and "88.5" in page and "Passed" in page
    assert final.comment not in page
    data = client.get(f"/public/projects/{project.id}/ocds.json").get_json()
    implementation = data["releases"][-1]["contracts"][0]["implementation"]
    assert len(implementation["transactions"]) == 3
    assert [m["status"] for m in implementation["milestones"] if m["type"] == "assessment"] == ["met", "met"]
    assert ocds_schema.errors(data, "release-package") == []
    record = client.get(f"/public/projects/{project.id}/ocds-record.json").get_json()
    assert ocds_schema.errors(record, "record-package") == []
