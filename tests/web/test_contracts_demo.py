"""The contract on the data `make run` seeds, as each role would open it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Contract, ContractStatus, EvaluationKind, Milestone, Project, ProjectStatus
from linkage.seed import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.slow


def test_the_demo_contract_is_signed_first_installment_paid_midterm_pending(app, client):
    seed_demo()
    db.session.commit()
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


def test_the_demo_completed_purchase_is_evaluated_paid_and_public(app, client):
    """The completed project went the whole way: contract, mid-term check, final evaluation, every installment
    paid; the public page shows it, its award notice and its results without a log-in."""
    seed_demo()
    db.session.commit()
    contract = db.session.scalar(sa.select(Contract).join(Project).where(
        Project.status == ProjectStatus.final_evaluated))
    assert contract.status == ContractStatus.signed
    assert all(i.payment is not None for i in contract.installments)
    assert [(e.kind, e.passed) for e in contract.evaluations] == [(EvaluationKind.midterm, True),
                                                                  (EvaluationKind.final, True)]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    overview = client.get("/public/").get_data(as_text=True)
    assert contract.project.title in overview and "Final evaluation: score 91.5" in overview
    page = client.get(f"/public/projects/{contract.project_id}").get_data(as_text=True)
    assert contract.organization.name in page and "Award notice" in page and "Evaluation results" in page
    tags = [r["tag"][0] for r in client.get(f"/public/projects/{contract.project_id}/ocds.json").get_json()["releases"]]
    assert tags == ["planning", "tender", "tenderUpdate", "award", "contract", "implementation"]
