"""Contract rules without the web: installments and their cents, the bar after a failed final evaluation
and its window, renewals, upload checks."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from linkage import settings
from linkage.contracts import queries, services
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import Evaluation, EvaluationKind, Milestone, ProjectStatus
from linkage.organizations.services import add_years
from linkage.projects import services as project_services
from linkage.timeutil import as_of, now
from tests.web.test_projects_support import evaluated_project


def _awarded(world):
    project, bids = evaluated_project(world)
    project_services.award_bid(project, bids[0], actor=world["civil"])
    project.awarded_at -= timedelta(days=settings.get("STANDSTILL_DAYS"))  # the standstill is over
    return project


def _data(project, **shares):
    data = services.default_data(project)
    data.shares.update({Milestone[name]: value for name, value in shares.items()})
    return data


def test_installments_take_the_shares_and_the_last_takes_the_cents(world):
    project = _awarded(world)
    data = _data(project, signing=33, midterm=33, final=34)
    data.amount = Decimal("100000.01")
    contract = services.create_contract(project, data, actor=world["civil"])
    amounts = [i.amount for i in contract.installments]
    assert amounts == [Decimal("33000.00"), Decimal("33000.00"), Decimal("34000.01")]
    assert sum(amounts) == contract.amount


def test_a_zero_share_makes_no_installment_and_shares_must_total_100(world):
    project = _awarded(world)
    with pytest.raises(Refused, match="add up to 101"):
        services.create_contract(project, _data(project, signing=31), actor=world["civil"])
    contract = services.create_contract(project, _data(project, signing=0, midterm=60, final=40),
                                        actor=world["civil"])
    assert [i.milestone for i in contract.installments] == [Milestone.midterm, Milestone.final]
    services.sign_contract(contract, actor=world["orgadmin"])
    assert not any(i.released for i in contract.installments)
    assert project.status == ProjectStatus.contracted


def test_signing_goes_through_the_project_rule(world, monkeypatch):
    project = _awarded(world)
    contract = services.create_contract(project, _data(project), actor=world["civil"])

    def refuse(project, *, actor):
        raise Refused("not yet")
    monkeypatch.setattr(project_services, "mark_contracted", refuse)
    with pytest.raises(Refused, match="not yet"):
        services.sign_contract(contract, actor=world["orgadmin"])


def test_the_bar_after_a_failed_final_evaluation_lasts_the_settings_years(world, app):
    org = world.org1
    project = _awarded(world)
    contract = services.create_contract(project, _data(project), actor=world["civil"])
    failed_at = now() - timedelta(days=400)
    db.session.add(Evaluation(contract=contract, organization_id=org.id, kind=EvaluationKind.final, score=30,
                              passed=False, created_at=failed_at))
    db.session.add(Evaluation(contract=contract, organization_id=org.id, kind=EvaluationKind.midterm, score=10,
                              passed=False, created_at=now()))
    db.session.flush()
    today = date.today()
    assert queries.failed_final_evaluation(org, today, 2) is not None
    assert queries.failed_final_evaluation(org, today, 1) is None        # more than a year ago
    assert queries.failed_final_evaluation(org, add_years(failed_at.date(), 2), 2) is None   # the bar is over
    assert queries.failed_final_evaluation(org, today, 0) is None
    assert queries.bar_reason(org, today) is not None                     # the default: two years
    assert queries.failed_final_evaluation(world.org2, today, 2) is None


def test_renewals_need_a_fresh_pass_and_stop_at_three_years(world):
    project = _awarded(world)
    contract = services.create_contract(project, _data(project), actor=world["civil"])
    with pytest.raises(Refused, match="signed contract"):
        services.renew_contract(contract, actor=world["civil"])
    services.sign_contract(contract, actor=world["orgadmin"])
    start = contract.term_start
    for year in (2, 3):
        with pytest.raises(Refused, match="evaluation passed"):
            services.renew_contract(contract, actor=world["civil"])
        with as_of(now() + timedelta(days=year)):
            db.session.add(Evaluation(contract=contract, organization_id=contract.organization_id,
                                      kind=EvaluationKind.midterm, score=80, passed=True, created_at=now()))
            db.session.flush()
            services.renew_contract(contract, actor=world["civil"])
        assert contract.term_end == add_years(start, year)
    with as_of(now() + timedelta(days=9)):
        db.session.add(Evaluation(contract=contract, organization_id=contract.organization_id,
                                  kind=EvaluationKind.final, score=80, passed=True, created_at=now()))
        db.session.flush()
        with pytest.raises(Refused, match="three years at most"):
            services.renew_contract(contract, actor=world["civil"])
    assert contract.renewals == 2


@pytest.mark.parametrize("name, content, message", [
    ("report.PDF", b"%PDF-1.7", None),
    ("photo.jpeg", b"\xff\xd8\xff\xe0JFIF", None),
    ("notes.txt", b"hello", "not accepted"),
    ("report", b"%PDF-1.7", "not accepted"),
    ("report.pdf", b"\x89PNG\r\n\x1a\n", "not a .pdf"),
    ("a/b.pdf", b"%PDF-1.7", "folder path"),
    ("a\\b.pdf", b"%PDF-1.7", "folder path"),
    ("..pdf", b"%PDF-1.7", "folder path"),
    ("report\x00.pdf", b"%PDF-1.7", "folder path"),
    ("", b"%PDF-1.7", "Choose a file"),
])
def test_upload_checks(app, name, content, message):
    upload = services.Upload(file_name=name, content=content, title="Report")
    if message is None:
        assert services._check_upload(upload) == name.rsplit(".", 1)[1].lower()
    else:
        with pytest.raises(Refused, match=message):
            services._check_upload(upload)
