"""Builders and fixtures shared by the organization, project and bid tests (no tests here)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Bid, BidStatus, Notification, ProjectStatus
from linkage.timeutil import to_local
from tests.factories import make_bid, make_need, make_project, make_resident, now

ROLES = ("admin", "civil", "civil2", "staff1", "staff3", "orgadmin", "orgadmin2", "worker", "worker2", "vol", "vol3",
         "resident", "grid", "expert", "observer")


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English whatever catalogs exist, so assertions can quote the source text."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(action: str, subject=None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action == action)
    if subject is not None:
        query = query.where(AuditEvent.subject_type == type(subject).__name__, AuditEvent.subject_id == subject.id)
    return list(db.session.scalars(query))


def notified(user, kind: str) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                                 Notification.kind == kind)))


def text(response) -> str:
    """The answer as text: a page, a CSV; a spreadsheet's cells one per line; a PDF's bytes as Latin-1."""
    if response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        import io

        import openpyxl
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    if response.mimetype == "application/pdf":
        return response.get_data().decode("latin-1")
    return response.get_data().decode("utf-8-sig")


def open_needs(world, n=2, region=None, category=None):
    resident = world.resident
    if region is not None and region != resident.region:
        resident = make_resident(region, name="Other resident")
    return [make_need(resident, category or world.visits, title=f"Companionship visit {i}") for i in range(n)]


def published_project(world, region=None, needs=None, **kwargs):
    """A published project in street 1 (by default) covering two open needs."""
    project = make_project(region or world.street1, creator=world["civil"],
                           needs=needs if needs is not None else open_needs(world), **kwargs)
    project.categories = [world.visits]
    db.session.flush()
    return project


def past_deadline(project):
    """Move the deadline into the past (bidding over, status still published)."""
    project.bidding_deadline = now() - timedelta(hours=1)
    db.session.flush()
    return project


def closed_project(world, prices=(250000, 200000), **kwargs):
    """A project after the deadline with org1 and org2 bids, closed (bidding_closed)."""
    project = published_project(world, region=world.district, **kwargs)
    bids = [make_bid(project, org, price=price, team=[w])
            for org, price, w in zip((world.org1, world.org2), prices, (world.worker, world.worker2))]
    past_deadline(project)
    project.status = ProjectStatus.bidding_closed
    db.session.flush()
    return project, bids


def evaluated_project(world, technical=(80, 70), prices=(250000, 200000)):
    """Both bids scored by the panel: org1 80 at 250k, org2 70 at 200k (price weight 30 %), so the
    totals are 80 × 0.7 + 24 = 80 and 70 × 0.7 + 30 = 79."""
    from linkage.projects.services import _recompute_scores, technical_points

    project, bids = closed_project(world, prices=prices)
    for bid, score in zip(bids, technical):
        bid.technical_score, bid.status = technical_points(project.price_weight, score), BidStatus.scored
    _recompute_scores(project)
    project.status = ProjectStatus.evaluated
    db.session.flush()
    return project, bids


def project_form(world, chosen, **overrides):
    """A valid project form for civil affairs (district scope)."""
    start = date.today() + timedelta(days=40)
    deadline = to_local(now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Home visits 2027", "description": "Weekly visits", "region": world.street1.id,
        "needs": [n.id for n in chosen], "budget": "300000", "service_start": start.isoformat(),
        "service_end": (start + timedelta(days=300)).isoformat(), "bidding_deadline": deadline,
        "price_weight": "30", "min_grade": "0", "min_years": "0", "required_workers": "1",
        "required_worker_level": "assistant", "target_beneficiaries": "40", "target_hours": "800", "workload": "2",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def bid_form(world, **overrides):
    data = {"price": "250000", "proposal": "Weekly visits by two social workers", "team": [world.worker.id],
            "workload": "2", "no_violation_declared": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def bid_of(project, org):
    return db.session.scalar(sa.select(Bid).where(Bid.project_id == project.id, Bid.organization_id == org.id))


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
