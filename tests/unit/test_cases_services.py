"""The rules of case work, called as the pages call them: opening (caseload, duplicates, the holding
organization), stages with supervisors' approvals, notes encrypted at rest and every read logged,
tasks from due dates on a controlled clock, referrals flagged when unanswered, transfers."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage.cases import access, queries, services
from linkage.errors import Refused
from linkage.extensions import db
from linkage.matching import problems
from linkage.models import (AuditEvent, CaseNote, CaseStage, CaseStatus, Decision, HandOver, NeedStatus, NoteKind)
from linkage.timeutil import as_of, now
from tests.web.test_cases_support import another_resident, case_people, professional_need


@pytest.fixture
def people(world):
    p = case_people(world)
    db.session.commit()
    return p


def _open(world, people, need=None, actor="worker"):
    need = need or professional_need(world, people.project)
    return services.open_case([need], people.worker, actor=world[actor])


def _to_services(world, case):
    services.advance(case, actor=world["worker"])
    services.request_approval(case, actor=world["worker"], summary="Lives alone, needs weekly visits")
    services.decide(case, actor=world["senior"], approve=True, comment="")
    services.request_approval(case, actor=world["worker"], summary="Weekly visits by volunteers, monthly call")
    services.decide(case, actor=world["senior"], approve=True, comment="Good plan")


def test_opening_links_the_need_and_sets_the_assessment_due(world, people):
    need = professional_need(world, people.project)
    case = services.open_case([need], people.worker, actor=world["worker"])
    assert case.owner == people.worker and case.organization_id == world.org1.id and case.needs == [need]
    assert case.stage == CaseStage.intake and case.status == CaseStatus.open
    assert need.case_worker_id == people.worker.id and need.status == NeedStatus.matched
    assert case.assessment_due - case.opened_at == timedelta(days=7)
    db.session.commit()  # events join the audit chain at commit
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "Case", AuditEvent.subject_id == case.id))] == ["case.open"]


def test_a_need_outside_the_organizations_projects_is_refused(world, people):
    need = professional_need(world, project=None)
    with pytest.raises(Refused, match="not in a project your organization holds"):
        services.open_case([need], people.worker, actor=world["worker"])


def test_a_social_worker_opens_cases_only_for_themself(world, people):
    need = professional_need(world, people.project)
    with pytest.raises(Refused, match="only for yourself"):
        services.open_case([need], people.colleague, actor=world["worker"])
    case = services.open_case([need], people.colleague, actor=world["orgadmin"])
    assert case.owner == people.colleague


def test_a_second_case_for_the_same_resident_is_refused_naming_the_first(world, people):
    first = _open(world, people)
    with pytest.raises(services.DuplicateCase) as refused:
        _open(world, people, professional_need(world, people.project, title="Help with the benefit application"))
    assert refused.value.case.id == first.id


def test_opening_beyond_the_caseload_limit_is_refused(world, people):
    people.worker.caseload_limit = 1
    _open(world, people)
    with pytest.raises(Refused, match="caseload limit"):
        _open(world, people, professional_need(world, people.project, resident=another_resident(world)))
    assert queries.remaining_caseload(people.worker) == 0


def test_the_case_run_capacity_is_the_limit_less_the_open_cases(world, people):
    people.worker.caseload_limit = 3
    _open(world, people)
    problem, _inputs = problems.build_case_problem(world.district)
    capacity = {w["id"]: w["capacity"] for w in problem["workers"]}
    assert capacity[f"w{people.worker.id}"] == 2 == queries.remaining_caseload(people.worker)
    assert capacity[f"w{people.senior.id}"] == people.senior.caseload_limit


def test_every_stage_with_approvals_then_closure(world, people):
    case = _open(world, people)
    with pytest.raises(Refused, match="approval"):
        services.request_approval(case, actor=world["worker"], summary="Too early")
    _to_services(world, case)
    assert case.stage == CaseStage.services and case.review_due is not None
    services.record_service(case, actor=world["worker"], description="Home visit with a volunteer",
                            delivered_at=now() - timedelta(hours=2))
    services.advance(case, actor=world["worker"])
    assert case.stage == CaseStage.review
    services.request_approval(case, actor=world["worker"], summary="Goals met, the resident agrees to close")
    services.decide(case, actor=world["senior"], approve=True, comment="Close it")
    assert case.stage == CaseStage.closure and case.status == CaseStatus.closed and case.closed_at
    assert [a.decision for a in case.approvals] == [Decision.approved] * 3
    assert [a.stage for a in case.approvals] == [CaseStage.assessment, CaseStage.plan, CaseStage.closure]


def test_only_a_supervisor_of_higher_level_decides_and_a_send_back_needs_a_comment(world, people):
    case = _open(world, people)
    services.advance(case, actor=world["worker"])
    services.request_approval(case, actor=world["worker"], summary="Lives alone, needs weekly visits")
    with pytest.raises(Refused, match="supervisor"):
        services.decide(case, actor=world["colleague"], approve=True, comment="")
    with pytest.raises(Refused, match="Say what to change"):
        services.decide(case, actor=world["senior"], approve=False, comment="")
    approval = services.decide(case, actor=world["senior"], approve=False, comment="Ask about the stairs too")
    assert approval.decision == Decision.rejected and approval.comment == "Ask about the stairs too"
    assert case.stage == CaseStage.assessment


def test_note_text_is_encrypted_at_rest_and_every_read_is_logged(world, people):
    case = _open(world, people)
    services.add_note(case, actor=world["worker"], kind=NoteKind.visit, happened_at=now() - timedelta(hours=1),
                      text="Found her alone, the heating broken")
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT text_encrypted FROM case_notes")).scalar_one()
    assert b"heating" not in bytes(stored)
    assert db.session.scalar(sa.select(CaseNote.text)) == "Found her alone, the heating broken"
    for reader in ("worker", "senior"):
        read = services.read_notes(case, actor=world[reader])
        assert [n.text for n in read.notes] == ["Found her alone, the heating broken"]
    db.session.commit()  # events join the audit chain at commit
    reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.read_notes")).all()
    assert [(e.actor_id, e.subject_id) for e in reads] == [(world["worker"].id, case.id), (world["senior"].id, case.id)]
    for outsider in ("colleague", "worker2", "orgadmin", "staff1", "civil", "admin"):
        with pytest.raises(Refused):
            services.read_notes(case, actor=world[outsider])


def test_a_note_in_the_future_is_refused(world, people):
    case = _open(world, people)
    with pytest.raises(Refused, match="has not happened yet"):
        services.add_note(case, actor=world["worker"], kind=NoteKind.call, happened_at=now() + timedelta(days=1),
                          text="Will call tomorrow")


def test_tasks_come_due_and_overdue_ones_reach_the_supervisor(world, people):
    case = _open(world, people)
    [task] = queries.tasks_for(people.worker)
    assert task.kind == CaseStage.assessment and not task.overdue
    assert queries.overdue_for_supervisor(people.senior) == []
    with as_of(now() + timedelta(days=8)):
        [task] = queries.tasks_for(people.worker)
        assert task.overdue
        assert [t.case.id for t in queries.overdue_for_supervisor(people.senior)] == [case.id]
        assert queries.overdue_for_supervisor(people.colleague) == []


def test_a_referral_accepted_and_one_left_unanswered_is_flagged(world, people):
    case = _open(world, people)
    services.refer(case, actor=world["worker"], worker=people.worker2, reason="Legal advice on the tenancy")
    services.refer(case, actor=world["worker"], worker=people.colleague, reason="Speaks the resident's dialect")
    assert access.can_read(world["worker2"], case)
    services.answer_referral(case, actor=world["worker2"], accept=True)
    assert access.can_write_notes(world["worker2"], case)
    assert queries.stale_referrals([people.worker.id]) == []
    with as_of(now() + timedelta(days=4)):
        [stale] = queries.stale_referrals([people.worker.id])
        assert stale.worker == people.colleague and queries.is_unanswered_too_long(stale)
    services.revoke_referral(case, stale.id, actor=world["worker"])
    assert stale.status == HandOver.revoked and not access.can_read(world["colleague"], case)


def test_a_transfer_moves_ownership_and_the_old_owner_loses_access(world, people):
    case = _open(world, people)
    services.request_transfer(case, actor=world["worker"], worker=people.colleague, reason="Moving to another street")
    with pytest.raises(Refused, match="already waits"):
        services.request_transfer(case, actor=world["worker"], worker=people.colleague, reason="Again")
    services.answer_transfer(case, actor=world["colleague"], accept=True)
    assert case.owner_id == people.colleague.id and case.needs[0].case_worker_id == people.colleague.id
    assert not access.can_read(world["worker"], case) and access.can_work(world["colleague"], case)


def test_a_declined_transfer_keeps_the_owner(world, people):
    case = _open(world, people)
    services.request_transfer(case, actor=world["worker"], worker=people.colleague, reason="Moving to another street")
    transfer = services.answer_transfer(case, actor=world["colleague"], accept=False, answer="My caseload is full")
    assert transfer.status == HandOver.declined and case.owner_id == people.worker.id
    assert not access.can_read(world["colleague"], case)


def test_a_transfer_goes_only_within_the_organization(world, people):
    case = _open(world, people)
    with pytest.raises(Refused, match="your organization"):
        services.request_transfer(case, actor=world["worker"], worker=people.worker2, reason="Across the river")


def test_the_audit_trail_keeps_no_words_written_on_a_case(world, people):
    case = _open(world, people)
    services.add_note(case, actor=world["worker"], kind=NoteKind.visit, happened_at=now() - timedelta(hours=1),
                      text="Secret family matter")
    services.advance(case, actor=world["worker"])
    services.request_approval(case, actor=world["worker"], summary="Secret assessment summary")
    services.decide(case, actor=world["senior"], approve=False, comment="Secret supervisor comment")
    services.refer(case, actor=world["worker"], worker=people.worker2, reason="Secret referral reason")
    services.answer_referral(case, actor=world["worker2"], accept=False, answer="Secret answer")
    db.session.commit()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.subject_type == "Case")).all()
    assert len(events) >= 6
    assert not [e.action for e in events if "Secret" in f"{e.before} {e.after} {e.note}"]
