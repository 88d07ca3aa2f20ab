"""The contract on the data `make run` seeds, as each role would open it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Contract, ContractStatus, Milestone, Project, ProjectStatus
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


def test_the_demo_purchases_are_on_the_public_page(app, client):
    """Without a log-in: the seeded projects open for bids, the award notices with their rankings and the
    running contract's payment; never a draft, never the sealed prices of the project still open."""
    seed_demo()
    db.session.commit()
    projects = {p.status: p for p in db.session.scalars(sa.select(Project))}
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    overview = client.get("/public/").get_data(as_text=True)
    for status in (ProjectStatus.published, ProjectStatus.awarded, ProjectStatus.in_progress, ProjectStatus.completed):
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
