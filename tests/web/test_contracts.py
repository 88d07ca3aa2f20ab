"""A purchase after the award, through HTTP: the contract with three installments, signing, payments
by milestone, the mid-term check and final evaluation by the assigned evaluator, the organization's
record and the bar on bidding after a failed final evaluation, spending against budget."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from linkage import settings
from linkage.extensions import db
from linkage.models import (ChangeRequest, ChangeStatus, Contract, ContractStatus, Evaluation, EvaluationKind, Feedback, HoursStatus, Installment,
                            Milestone, NeedStatus, Payment, Project, ProjectStatus, Role, ShiftStatus, SignUp,
                            SignUpStatus, SocialWorker)
from linkage.organizations.services import add_years
from linkage.projects.services import eligibility_problems
from tests.factories import make_shift, make_user, now
from tests.web.test_projects_support import (english, evaluated_project, events, notified,  # noqa: F401
                                             published_project, text)


def contract_form(**overrides):
    data = {"amount": "250000.00", "term_start": (now().date() + timedelta(days=30)).isoformat(),
            "share_signing": "30", "share_midterm": "40", "share_final": "30",
            "target_residents": "2", "target_visits": "2", "target_hours": "4"}
    data.update(overrides)
    return data


def awarded(world, client, auth):
    """The evaluated project awarded through HTTP to org1 (the highest total)."""
    project, (bid1, _bid2) = evaluated_project(world)
    db.session.commit()
    auth.login("civil")
    assert client.post(f"/projects/{project.id}/award", data={"bid": bid1.id}).status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.awarded
    return project


def contract_of(project) -> Contract:
    return db.session.scalar(sa.select(Contract).where(Contract.project_id == project.id))


def installment(contract, milestone) -> Installment:
    return next(i for i in contract.installments if i.milestone == milestone)


def after_standstill(project) -> None:
    """Move the award notice back past the standstill, before which no contract is signed."""
    db.session.get(Project, project.id).awarded_at -= timedelta(days=settings.get("STANDSTILL_DAYS"))
    db.session.commit()


def signed_contract(world, client, auth):
    project = awarded(world, client, auth)
    assert client.post(f"/contracts/new/{project.id}", data=contract_form()).status_code == 302
    contract = contract_of(project)
    after_standstill(project)
    auth.as_(world["orgadmin"])
    assert client.post(f"/contracts/{contract.id}/sign").status_code == 302
    auth.as_(world["civil"])
    return project, contract_of(project)


def delivered(world, project, hours=2, rating=5):
    """One shift of the project held with approved hours, one of its needs delivered and rated."""
    shift = make_shift(world.c1, project=project, lead=world.worker, start=now() - timedelta(days=2), hours=hours)
    shift.status = ShiftStatus.done
    db.session.add(SignUp(shift=shift, volunteer=world.volunteer, slot=shift.slots[0], status=SignUpStatus.checked_out,
                          minutes=hours * 60, hours_status=HoursStatus.approved))
    need = project.needs[0]
    need.status = NeedStatus.closed
    db.session.add(Feedback(need=need, rating=rating))
    db.session.commit()


def test_the_whole_chain_from_award_to_final_evaluation_and_payments(client, auth, world):
    project = awarded(world, client, auth)
    project.target_beneficiaries, project.target_visits, project.target_hours = 2, 2, 4
    db.session.commit()

    # The form starts from the winning price, 30/40/30 and the project's targets.
    page = text(client.get(f"/contracts/new/{project.id}"))
    assert 'value="250000.00"' in page and 'value="40"' in page

    response = client.post(f"/contracts/new/{project.id}", data=contract_form(share_final="20"))
    assert response.status_code == 200 and "add up to 90 %" in text(response)
    assert contract_of(project) is None

    assert client.post(f"/contracts/new/{project.id}", data=contract_form(
        target_residents="2", target_visits="2", target_hours="4")).status_code == 302
    contract = contract_of(project)
    assert contract.status == ContractStatus.draft and contract.organization_id == world.org1.id
    assert [(i.milestone, i.percent, i.amount) for i in contract.installments] == [
        (Milestone.signing, 30, Decimal("75000.00")), (Milestone.midterm, 40, Decimal("100000.00")),
        (Milestone.final, 30, Decimal("75000.00"))]
    assert contract.term_end == add_years(contract.term_start, 1)
    assert notified(world["orgadmin"], "contract_to_sign")

    # Nothing is due before the signature.
    client.post(f"/contracts/{contract.id}/installments/{installment(contract, Milestone.signing).id}/pay")
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 0

    # Both sides see it; another organization does not; the organization's admin signs.
    auth.as_(world["orgadmin2"])
    assert client.get(f"/contracts/{contract.id}").status_code == 403
    assert client.post(f"/contracts/{contract.id}/sign").status_code == 403
    auth.as_(world["worker"])
    assert client.get(f"/contracts/{contract.id}").status_code == 200
    assert client.post(f"/contracts/{contract.id}/sign").status_code == 403
    after_standstill(project)
    auth.as_(world["orgadmin"])
    assert "Confirm and sign" in text(client.get(f"/contracts/{contract.id}"))
    assert client.post(f"/contracts/{contract.id}/sign").status_code == 302
    contract = contract_of(project)
    assert contract.status == ContractStatus.signed and contract.signed_by_id == world["orgadmin"].id
    assert db.session.get(Project, project.id).status == ProjectStatus.contracted
    assert events("project.contract", project) and events("contract.sign", contract)
    assert installment(contract, Milestone.signing).released and not installment(contract, Milestone.midterm).released

    # First payment; the second is refused before its milestone.
    auth.as_(world["civil"])
    signing, midterm, final = (installment(contract, m) for m in Milestone)
    assert client.post(f"/contracts/{contract.id}/installments/{signing.id}/pay").status_code == 302
    payment = db.session.scalar(sa.select(Payment).where(Payment.installment_id == signing.id))
    assert payment.amount == Decimal("75000.00") and payment.approved_by_id == world["civil"].id
    assert payment.approved_at is not None and events("payment.record", payment)
    response = client.post(f"/contracts/{contract.id}/installments/{midterm.id}/pay", follow_redirects=True)
    assert "that milestone has not been reached" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1
    response = client.post(f"/contracts/{contract.id}/renew", follow_redirects=True)
    assert "needs an evaluation passed" in text(response)
    assert client.post(f"/projects/{project.id}/start").status_code == 302

    # An expert who is not assigned cannot evaluate; civil affairs assign one.
    expert = world["expert"]
    auth.as_(expert)
    assert client.get(f"/contracts/{contract.id}/evaluate/midterm").status_code == 403
    assert client.post(f"/contracts/{contract.id}/evaluate/midterm", data={"score": "80", "passed": "y"}).status_code == 403
    assert not db.session.scalars(sa.select(Evaluation)).all()
    auth.as_(world["civil"])
    assert client.post(f"/contracts/{contract.id}/evaluator", data={"evaluator": expert.id}).status_code == 302
    assert contract_of(project).evaluator_id == expert.id

    # Delivery recorded on the platform: one of two visits, 2 of 4 hours, one of two residents, rated 5.
    delivered(world, project)
    auth.as_(expert)
    page = text(client.get(f"/contracts/{contract.id}/evaluate/midterm"))
    assert "resident satisfaction: 5.0 of 5" in page
    response = client.post(f"/contracts/{contract.id}/evaluate/midterm",
                           data={"score": "84", "passed": "y", "comment": "On track", "financial_note": "As planned"})
    assert response.status_code == 302
    evaluation = db.session.scalar(sa.select(Evaluation))
    assert evaluation.kind == EvaluationKind.midterm and evaluation.passed and evaluation.score == 84
    assert evaluation.targets_met == 50.0 and evaluation.satisfaction == 5.0 and evaluation.ratings == 1
    assert evaluation.spent_share == 30.0
    assert db.session.get(Project, project.id).status == ProjectStatus.midterm_evaluated
    assert installment(contract_of(project), Milestone.midterm).released

    # The second installment is paid; the renewal now has its passed evaluation, once.
    auth.as_(world["civil"])
    assert client.post(f"/contracts/{contract.id}/installments/{midterm.id}/pay").status_code == 302
    assert client.post(f"/contracts/{contract.id}/renew").status_code == 302
    contract = contract_of(project)
    assert contract.renewals == 1 and contract.term_end == add_years(contract.term_start, 2)
    response = client.post(f"/contracts/{contract.id}/renew", follow_redirects=True)
    assert "needs an evaluation passed" in text(response) and contract_of(project).renewals == 1

    # The final evaluation completes the project, releases the last installment, feeds the record.
    auth.as_(expert)
    assert client.post(f"/contracts/{contract.id}/evaluate/final",
                       data={"score": "91.5", "passed": "y", "comment": "Targets reached"}).status_code == 302
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.final_evaluated
    assert events("project.complete", project) and events("project.final", project)
    auth.as_(world["civil"])
    assert client.post(f"/contracts/{contract.id}/installments/{final.id}/pay").status_code == 302
    assert db.session.scalar(sa.select(sa.func.sum(Payment.amount))) == Decimal("250000.00")

    profile = text(client.get(f"/organizations/{world.org1.id}"))
    assert "Final evaluation" in profile and "91.5" in profile and "Mid-term check" in profile
    assert "Resident satisfaction: 5.0 of 5 from 1 ratings" in profile
    page = text(client.get(f"/projects/{project.id}"))
    assert "Spending against budget" in page and "¥250,000.00" in page and "83 % of the budget paid" in page
    page = text(client.get(f"/contracts/{contract.id}"))
    assert page.count("approved by") == 3
    assert not eligibility_problems(published_project(world), world.org1)


def test_a_failed_final_evaluation_bars_the_organizations_next_bids(client, auth, world, app):
    project, contract = signed_contract(world, client, auth)
    contract.evaluator_id = world["expert"].id
    project.status = ProjectStatus.midterm_evaluated
    db.session.commit()
    auth.as_(world["expert"])
    assert client.post(f"/contracts/{contract.id}/evaluate/final", data={"score": "40"}).status_code == 302
    evaluation = db.session.scalar(sa.select(Evaluation))
    assert not evaluation.passed
    assert db.session.get(Project, project.id).status == ProjectStatus.final_evaluated
    assert not installment(contract_of(project), Milestone.final).released

    other = published_project(world, region=world.district)
    db.session.commit()
    problems = [str(p) for p in eligibility_problems(other, world.org1)]
    assert len(problems) == 1 and "final evaluation of your organization failed" in problems[0]
    assert not eligibility_problems(other, world.org2)
    auth.as_(world["orgadmin"])
    assert "final evaluation of your organization failed" in text(client.get(f"/projects/{other.id}/bid"))
    app.config["FAILED_EVALUATION_BAR_YEARS"] = 0
    assert not eligibility_problems(other, world.org1)


def test_renewal_beyond_three_years_is_refused(client, auth, world):
    project, contract = signed_contract(world, client, auth)
    contract.renewals, contract.term_end = 2, add_years(contract.term_start, 3)
    db.session.add(Evaluation(contract=contract, organization_id=contract.organization_id, kind=EvaluationKind.midterm,
                              score=90, passed=True, created_at=now()))
    db.session.commit()
    response = client.post(f"/contracts/{contract.id}/renew", follow_redirects=True)
    assert "three years at most" in text(response)
    assert contract_of(project).renewals == 2 and not events("contract.renew")


def test_contract_refusals(client, auth, world):
    project = awarded(world, client, auth)
    for overrides, message in (({"share_signing": "50"}, "add up to 120 %"),
                               ({"amount": "400000"}, "may not exceed the budget"),
                               ({"share_midterm": "-5"}, "from 0 to 100")):
        response = client.post(f"/contracts/new/{project.id}", data=contract_form(**overrides))
        assert response.status_code == 200 and message in text(response), overrides
    assert contract_of(project) is None
    auth.as_(world["civil2"])
    assert client.post(f"/contracts/new/{project.id}", data=contract_form()).status_code == 403
    other = published_project(world)
    db.session.commit()
    auth.as_(world["civil"])
    response = client.post(f"/contracts/new/{other.id}", data=contract_form())
    assert "awarded project" in text(response) and contract_of(other) is None


def test_an_evaluation_before_its_time_is_refused(client, auth, world):
    project, contract = signed_contract(world, client, auth)
    contract.evaluator_id = world["expert"].id
    db.session.commit()
    auth.as_(world["expert"])
    response = client.post(f"/contracts/{contract.id}/evaluate/final", data={"score": "90", "passed": "y"})
    assert response.status_code == 200 and "cannot be entered while the project is" in text(response)
    assert not db.session.scalars(sa.select(Evaluation)).all()
    other_expert = make_user("expert2", Role.expert, world.district)
    db.session.commit()
    auth.as_(other_expert)
    assert client.get(f"/contracts/{contract.id}").status_code == 403


def test_change_requests_are_decided_by_civil_affairs(client, auth, world):
    project, contract = signed_contract(world, client, auth)
    auth.as_(world["orgadmin"])
    assert client.post(f"/contracts/{contract.id}/changes", data={"kind": "team", "description": ""}).status_code == 200
    assert client.post(f"/contracts/{contract.id}/changes",
                       data={"kind": "schedule", "description": "Visits move to Saturdays",
                             "new_end": (contract.term_end + timedelta(days=30)).isoformat()}).status_code == 302
    auth.as_(world["orgadmin2"])
    assert client.post(f"/contracts/{contract.id}/changes", data={"kind": "team", "description": "x"}).status_code == 403
    auth.as_(world["civil"])
    page = text(client.get(f"/contracts/{contract.id}"))
    assert "Visits move to Saturdays" in page
    change = db.session.scalar(sa.select(ChangeRequest))
    response = client.post(f"/contracts/{contract.id}/changes/{change.id}/decline", data={})
    assert response.status_code == 200 and "Give the reason" in text(response)
    assert client.post(f"/contracts/{contract.id}/changes/{change.id}/decline",
                       data={f"cr{change.id}-reason": "Weekday visits are in the contract"}).status_code == 302
    change = db.session.scalar(sa.select(ChangeRequest))
    assert change.status == ChangeStatus.declined and change.decided_by_id == world["civil"].id
    assert events("change.decline", change) and notified(world["orgadmin"], "change_decided")
    response = client.post(f"/contracts/{contract.id}/changes/{change.id}/approve", follow_redirects=True)
    assert "already decided" in text(response)


def _change_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChangeRequest))


def _approve(client, contract, change):
    return client.post(f"/contracts/{contract.id}/changes/{change.id}/approve", follow_redirects=True)


def test_an_approved_schedule_change_moves_the_end_of_the_term(client, auth, world, english):
    project, contract = signed_contract(world, client, auth)
    old_end = contract.term_end
    auth.as_(world["orgadmin"])
    url = f"/contracts/{contract.id}/changes"
    for new_end, message in ((None, "Give the day the service is to end"),
                             (now().date() - timedelta(days=1), "may not be in the past"),
                             (add_years(contract.term_start, 3) + timedelta(days=1), "three years at most"),
                             (old_end, "already the end of the term")):
        data = {"kind": "schedule", "description": "Winter break", "new_end": new_end.isoformat() if new_end else ""}
        response = client.post(url, data=data)
        assert response.status_code == 200 and message in text(response), message
    assert _change_count() == 0
    new_end = old_end + timedelta(days=45)
    assert client.post(url, data={"kind": "schedule", "description": "Winter break",
                                  "new_end": new_end.isoformat()}).status_code == 302
    change = db.session.scalar(sa.select(ChangeRequest))
    assert change.new_end == new_end and contract_of(project).term_end == old_end   # nothing moves yet
    auth.as_(world["civil"])
    page = text(client.get(f"/contracts/{contract.id}"))
    assert "New end of the service" in page and "Winter break" in page
    _approve(client, contract, change)
    assert contract_of(project).term_end == new_end
    assert db.session.get(ChangeRequest, change.id).status == ChangeStatus.approved
    [event] = events("contract.change", contract_of(project))
    assert event.before["term_end"] == old_end.isoformat() and event.after["term_end"] == new_end.isoformat()
    assert notified(world["orgadmin"], "change_decided")


def test_an_approved_team_change_replaces_the_team_checked_again_on_approval(client, auth, world, english):
    project, contract = signed_contract(world, client, auth)
    before = [w.id for w in contract_of(project).team]
    senior = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Wang Fang"))
    auth.as_(world["orgadmin"])
    url = f"/contracts/{contract.id}/changes"
    page = text(client.get(f"/contracts/{contract.id}"))
    assert "Wang Fang" in page and "Zhang Wei" not in page      # only the organization's own social workers
    response = client.post(url, data={"kind": "team", "description": "Li Hua joins",
                                      "team": [world.worker.id, world.worker2.id]})
    assert response.status_code == 200 and "not a valid choice" in text(response)   # Zhang Wei is not org1's
    response = client.post(url, data={"kind": "team", "description": "Nobody"})
    assert response.status_code == 200 and "needs at least 1 social workers" in text(response)
    assert _change_count() == 0
    assert client.post(url, data={"kind": "team", "description": "Wang Fang leads",
                                  "team": [world.worker.id, senior.id]}).status_code == 302
    change = db.session.scalar(sa.select(ChangeRequest))
    assert sorted(w.id for w in change.team) == sorted([world.worker.id, senior.id])
    assert [w.id for w in contract_of(project).team] == before

    # Li Hua left the organization before the decision: approving is refused, nothing changes.
    db.session.get(SocialWorker, world.worker.id).active = False
    db.session.commit()
    auth.as_(world["civil"])
    assert "active social workers" in text(_approve(client, contract, change))
    assert [w.id for w in contract_of(project).team] == before
    assert db.session.get(ChangeRequest, change.id).status == ChangeStatus.pending

    db.session.get(SocialWorker, world.worker.id).active = True
    db.session.commit()
    _approve(client, contract, change)
    assert sorted(w.id for w in contract_of(project).team) == sorted([world.worker.id, senior.id])
    [event] = events("contract.change", contract_of(project))
    assert event.before["team"] == sorted(before) and event.after["team"] == sorted([world.worker.id, senior.id])
    page = text(client.get(f"/contracts/{contract.id}"))
    assert "Wang Fang (" in page and "Contract changed as approved" in page
