"""Every kind of notification, sent by the action that sends it, links to a page its recipient can open."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from linkage import notifications
from linkage.auth import services as accounts
from linkage.community import services as community
from linkage.extensions import db
from linkage.models import (AccountStatus, HoursStatus, MatchRun, MatchStatus, NeedStatus, Notification, OrgStatus,
                            OrgType, ProjectStatus, Role, ShiftStatus, SignUp, SignUpStatus, User)
from linkage.needs import escalation, intake, services as needs
from linkage.organizations import services as organizations
from linkage import settings
from linkage.projects import panels, services as projects, standstill
from linkage import timeutil
from linkage.shifts import offers, places, services as shifts
from tests.factories import (make_bid, make_credit_code, make_need, make_project, make_resident, make_user, now,
                             volunteer_id_number)
from tests.web.test_matching_runs import start_run, week  # noqa: F401  (a fixture)
from tests.web.test_projects_support import closed_project, evaluated_project, open_needs, past_deadline, \
    published_project
from tests.web.test_cases_support import case_people, professional_need
from tests.web.test_shifts_support import add_sign_up, project_shift, volunteer

# No page to link: a rejected person cannot sign in (the sign-in page tells them why); a notice that
# someone tried to register with one's username asks nothing; the old owner of a case transferred away
# may no longer open it.
WITHOUT_PAGE = {"account_rejected", "registration_with_your_username", "case_transfer_answered"}


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0, "NO_SHOW_LIMIT": 1}


def _account(world, **_):
    account = make_user("newcomer", Role.volunteer, world.c1, status=AccountStatus.pending)
    community.verify_account(account, actor=world["staff1"])


def _account_rejected(world, **_):
    account = make_user("turned-away", Role.volunteer, world.c1, status=AccountStatus.pending)
    community.reject_account(account, "No such person lives here", actor=world["staff1"])


def _registration_with_your_username(world, **_):
    assert accounts.register(username="civil", password="long-enough-1", display_name="Someone",
                             role=Role.volunteer, community=world.c1,
                             id_number=volunteer_id_number(date(1990, 3, 7))) is None


def _submitted(world, **_):
    return needs.submit_need(world.resident, actor=world["resident"], category=world.visits, title="Help moving",
                             consent=True)


def _need_verified(world, **_):
    needs.verify_need(_submitted(world), actor=world["staff1"])


def _need_rejected(world, **_):
    needs.reject_need(_submitted(world), actor=world["staff1"], reason="Already served")


def _need_withdrawn(world, **_):
    needs.withdraw_need(_submitted(world), actor=world["resident"], reason="My son helps")


def _need_merged(world, **_):
    into = make_need(make_resident(world.c1, name="Neighbour"), world.visits, status=NeedStatus.open)
    intake.merge_need(_submitted(world), into, actor=world["staff1"])


def _need_expired(world, **_):
    needs.expire_need(_submitted(world), reason="not taken up in time")


def _need_overdue(world, **_):
    need = _submitted(world)
    escalation.check(need.created_at + timedelta(days=30))   # flagged and, a period later, escalated


def _need_escalated(world, **_):
    make_user("street1_civil", Role.civil_affairs, world.street1)
    _need_overdue(world)


def _need_delivered(world, **_):
    need = make_need(world.resident, world.visits, status=NeedStatus.in_service)
    need.project = make_project(world.street1, status=ProjectStatus.in_progress)
    needs.confirm_delivered(need, actor=world["staff1"])


def _registered_org(world):
    # A serial far above those make_org counts through the session, so the codes never meet.
    user = make_user("founder", Role.org_admin, world.street1)
    return organizations.register_organization(user, organizations.OrganizationData(
        name="New Neighbours Center", credit_code=make_credit_code(9_000_077), org_type=OrgType.social_service_institution,
        founded_on=now().date() - timedelta(days=3000), region=world.street1), actor=user)


def _org_registered(world, **_):
    _registered_org(world)


def _org_verified(world, **_):
    organizations.verify_organization(_registered_org(world), actor=world["civil"])


def _org_rejected(world, **_):
    organizations.reject_organization(_registered_org(world), "Certificate unreadable", actor=world["civil"])


def _org_suspended(world, **_):
    organizations.suspend_organization(world.org1, "Under review", actor=world["civil"])


def _org_blacklisted(world, **_):
    organizations.blacklist_organization(world.org1, "Fraud", actor=world["civil"])


def _org_reinstated(world, **_):
    organizations.suspend_organization(world.org1, "Under review", actor=world["civil"])
    organizations.reinstate_organization(world.org1, "Cleared", actor=world["civil"])


def _published(world, **_):
    project = make_project(world.street1, creator=world["civil"], status=ProjectStatus.draft,
                           needs=open_needs(world))
    projects.publish_project(project, actor=world["civil"])


def _cancelled(world, **_):
    project = published_project(world)
    make_bid(project, world.org1)
    projects.cancel_project(project, "Budget withdrawn", actor=world["civil"])


def _disqualified(world, **_):
    project, bids = closed_project(world)
    projects.disqualify_bid(bids[1], "Forged certificates", actor=world["civil"])


def _disqualified_at_close(world, **_):
    project = past_deadline(published_project(world, region=world.district))
    make_bid(project, world.org1)
    make_bid(project, world.org2)
    world.org2.status = OrgStatus.suspended
    projects.close_bidding(project, actor=world["civil"])


def _awarded(world, **_):
    project, bids = evaluated_project(world)
    projects.award_bid(project, bids[0], actor=world["civil"])
    return project


def _past_standstill(world):
    project = _awarded(world)
    project.awarded_at -= timedelta(days=settings.get("STANDSTILL_DAYS"))  # the standstill is over
    return project


def _contracted(world, **_):
    projects.mark_contracted(_past_standstill(world), actor=world["civil"])


def _bid_reconfirm(world, **_):
    project = published_project(world, region=world.district)
    make_bid(project, world.org1)
    panels.set_criteria(project, [panels.CriterionData("Plan", 60), panels.CriterionData("Team", 40)],
                        actor=world["civil"])


def _panel_assigned(world, **_):
    project, _bids = closed_project(world)
    return project, panels.assign_expert(project, world["expert"], actor=world["civil"])


def _panel_recused(world, **_):
    project, seat = _panel_assigned(world)
    panels.declare(project, [world.org2], "", False, actor=world["expert"])


def _complaint(world):
    project = _awarded(world)
    return standstill.file_complaint(project, world.org2, "The scores are wrong", actor=world["orgadmin2"])


def _complaint_filed(world, **_):
    _complaint(world)


def _complaint_answered(upheld):
    def answer(world, **_):
        standstill.answer_complaint(_complaint(world), upheld, "Checked", actor=world["civil"])
    return answer


def _contract(world, step="draw up"):
    """The awarded project's contract, taken as far as ``step``: drawn up, signed with an evaluator,
    evaluated, or with a change request decided."""
    from linkage.contracts import services as contracts
    from linkage.models import ChangeKind, EvaluationKind
    project = _past_standstill(world)
    contract = contracts.create_contract(project, contracts.default_data(project), actor=world["civil"])
    if step == "draw up":
        return
    contracts.sign_contract(contract, actor=world["orgadmin"])
    contracts.assign_evaluator(contract, world["expert"], actor=world["civil"])
    if step == "evaluate":
        contracts.evaluate(contract, EvaluationKind.midterm, contracts.EvaluationData(score=80, passed=True),
                           actor=world["expert"])
    if step == "change":
        data = contracts.ChangeData(kind=ChangeKind.schedule, description="Saturdays",
                                    new_end=contract.term_end + timedelta(days=14))
        change = contracts.request_change(contract, data, actor=world["orgadmin"])
        contracts.decide_change(change, True, "", actor=world["civil"])


def _assigned(world, **_):
    places.sign_up(project_shift(world), world.volunteer, actor=world["worker"])


def _waitlisted(world, **_):
    shift = project_shift(world, slots=((None, 1),))
    add_sign_up(shift, volunteer(world))
    places.sign_up(shift, world.volunteer, actor=world["worker"])


def _promoted_and_cancelled(world, **_):
    shift = project_shift(world, slots=((None, 1),))
    other = volunteer(world)
    holding = add_sign_up(shift, other)
    add_sign_up(shift, world.volunteer, status=SignUpStatus.waitlisted)
    places.cancel_sign_up(holding, actor=other.user)


def _offer_over_time(after: timedelta):
    """A place offered to the volunteer, then the offers' job run ``after`` the deadline (negative: before)."""
    def scenario(world, **_):
        _promoted_and_cancelled(world)
        record = db.session.scalar(sa.select(SignUp).where(SignUp.volunteer_id == world.volunteer.id,
                                                           SignUp.status == SignUpStatus.offered))
        db.session.commit()
        with timeutil.as_of(record.offer_expires_at + after):
            offers.process()
    return scenario


def _shift_cancelled(world, **_):
    shift = project_shift(world)
    add_sign_up(shift, world.volunteer)
    shifts.cancel_shift(shift, "Typhoon warning", actor=world["worker"])


def _shift_updated(world, **_):
    shift = project_shift(world)
    add_sign_up(shift, world.volunteer)
    shifts.update_shift(shift, shifts.ShiftData(
        title=shift.title, community=shift.region, place="Plum park gate", start=shift.start, end=shift.end,
        min_volunteers=1, slots=[(None, 3)], lead=world.worker), actor=world["worker"])


def _reminded(world, **_):
    from linkage.shifts.reminders import send_due

    add_sign_up(project_shift(world, start=(now() + timedelta(hours=1)).replace(second=0, microsecond=0)),
                world.volunteer)
    db.session.commit()
    send_due()


def _no_show(world, **_):
    shift = project_shift(world, start=(now() - timedelta(minutes=30)).replace(second=0, microsecond=0))
    shift.status = ShiftStatus.under_way
    places.mark_no_show(add_sign_up(shift, world.volunteer), actor=world["worker"])


def _checked_out_short(world, **_):
    shift = project_shift(world, start=(now() - timedelta(hours=1)).replace(second=0, microsecond=0))
    shift.status = ShiftStatus.under_way
    record = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_in, checked_in_at=shift.start)
    places.check_out(record, actor=world["worker"], at=shift.start + timedelta(minutes=5), confirm_decline=True)


def _hours(approve):
    def decide(world, **_):
        shift = project_shift(world, start=(now() - timedelta(hours=3)).replace(second=0, microsecond=0))
        shift.status = ShiftStatus.done
        record = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_out, minutes=120,
                             hours_status=HoursStatus.pending)
        places.decide_hours([record], approve=approve, reason="" if approve else "Left early", actor=world["worker"])
    return decide


def _skill_claim(decision):
    def scenario(world, **_):
        from linkage.skills import services as skills
        certificate = skills.claim(world.volunteer, world.first_aid, actor=world["vol"], file_name="first-aid.pdf",
                                   content=b"%PDF-1.4 certificate")
        if decision:
            skills.approve(certificate, actor=world["worker"], expires_on=now().date() + timedelta(days=365),
                           today=now().date())
        else:
            skills.reject(certificate, actor=world["worker"], reason="The scan is unreadable")
    return scenario


def _training(world, **_):
    shift = project_shift(world, start=(now() - timedelta(hours=3)).replace(second=0, microsecond=0))
    shift.status, shift.trains_skill = ShiftStatus.done, world.first_aid
    record = add_sign_up(shift, world.volunteer, status=SignUpStatus.checked_out, minutes=120,
                         hours_status=HoursStatus.pending)
    places.decide_hours([record], approve=True, actor=world["worker"])


def _match_approved(world, client, auth, week, **_):  # noqa: F811
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    assert run.status == MatchStatus.proposed, run.error
    assert client.post(f"/matching/{run.id}/approve", data={"note": ""}).status_code == 302


def _case_assigned(world, client, auth, **_):
    need = make_need(world.resident, world.visits, urgency=3)
    need.needs_professional = True
    db.session.commit()
    auth.login("civil")
    run = start_run(client, world, kind="cases", region=world.district)
    client.post(f"/matching/{run.id}/approve", data={"note": ""})
    assert db.session.get(MatchRun, run.id).status == MatchStatus.approved


def _case(world):
    from linkage.cases import services as cases
    people = case_people(world)
    case = cases.open_case([professional_need(world, people.project)], people.worker, actor=world["worker"])
    return cases, people, case


def _approval(decision):
    def scenario(world, **_):
        cases, people, case = _case(world)
        cases.advance(case, actor=world["worker"])
        cases.request_approval(case, actor=world["worker"], summary="Lives alone, weekly visits")
        if decision is not None:
            cases.decide(case, actor=world["senior"], approve=decision, comment="Add the stairs")
    return scenario


def _referral(answer):
    def scenario(world, **_):
        cases, people, case = _case(world)
        cases.refer(case, actor=world["worker"], worker=people.worker2, reason="Legal advice")
        if answer:
            cases.answer_referral(case, actor=world["worker2"], accept=True)
    return scenario


def _transfer(answer):
    def scenario(world, **_):
        cases, people, case = _case(world)
        cases.request_transfer(case, actor=world["worker"], worker=people.colleague, reason="Moving away")
        if answer:
            cases.answer_transfer(case, actor=world["colleague"], accept=True)
    return scenario


def _meeting(step):
    """Staff of community 1 convene a meeting (the volunteer is told); then hold it and give her a decision,
    or cancel it."""
    def scenario(world, **_):
        from linkage.meetings import services as meetings
        from linkage.timeutil import as_of
        meeting = meetings.convene(meetings.MeetingData(
            region=world.c1, title="Joint meeting", starts_at=now() + timedelta(days=1), place="Hall",
            participants=[world["vol"]]), actor=world["staff1"])
        if step == "cancel":
            meetings.cancel(meeting, "The hall is closed", actor=world["staff1"])
        elif step == "decide":
            with as_of(now() + timedelta(days=1, hours=1)):
                meetings.record_minutes(meeting, "We met.", actor=world["staff1"])
                meetings.decide(meeting, "Call the family", world["vol"], (now() + timedelta(days=3)).date(),
                                actor=world["staff1"])
    return scenario
def _follow_up_opened(world, **_):
    from linkage.ratings import services as ratings
    from tests.ratings_support import make_visit
    ratings.rate_visit(*make_visit(world), actor=world["resident"], rating=1)


SCENARIOS = {
    "meeting_convened": _meeting("convene"), "meeting_cancelled": _meeting("cancel"),
    "meeting_decision": _meeting("decide"),
    "account_verified": _account, "need_submitted": _submitted, "need_verified": _need_verified,
    "need_rejected": _need_rejected, "need_withdrawn": _need_withdrawn, "need_delivered": _need_delivered,
    "follow_up_opened": _follow_up_opened,
    "need_expired": _need_expired, "need_merged": _need_merged, "need_overdue": _need_overdue,
    "need_escalated": _need_escalated,
    "org_registered": _org_registered, "org_verified": _org_verified, "org_rejected": _org_rejected,
    "org_suspended": _org_suspended, "org_blacklisted": _org_blacklisted, "org_reinstated": _org_reinstated,
    "project_published": _published, "project_cancelled": _cancelled, "bid_disqualified": _disqualified,
    "bid_disqualified_inactive": _disqualified_at_close, "bid_won": _awarded, "bid_lost": _awarded,
    "project_need_matched": _awarded, "project_contracted": _contracted, "shift_assigned": _assigned,
    "shift_waitlisted": _waitlisted, "waitlist_offer": _promoted_and_cancelled,
    "waitlist_offer_reminder": _offer_over_time(-timedelta(hours=1)),
    "waitlist_offer_expired": _offer_over_time(timedelta(minutes=1)),
    "signup_cancelled": _promoted_and_cancelled, "shift_cancelled": _shift_cancelled,
    "shift_updated": _shift_updated, "shift_reminder": _reminded, "signup_no_show": _no_show, "signup_blocked": _no_show,
    "hours_approved": _hours(True), "hours_declined": _hours(False), "hours_declined_short": _checked_out_short,
    "account_rejected": _account_rejected, "match_approved": _match_approved,
    "match_not_placed": _match_approved, "case_assigned": _case_assigned,
    "registration_with_your_username": _registration_with_your_username,
    "contract_to_sign": lambda world, **_: _contract(world), "contract_evaluator": lambda world, **_: _contract(world, "sign"),
    "contract_evaluated": lambda world, **_: _contract(world, "evaluate"),
    "change_decided": lambda world, **_: _contract(world, "change"),
    "bid_reconfirm": _bid_reconfirm, "panel_assigned": _panel_assigned, "panel_recused": _panel_recused,
    "complaint_filed": _complaint_filed, "complaint_upheld": _complaint_answered(True),
    "complaint_dismissed": _complaint_answered(False),
    "case_approval_requested": _approval(None), "case_approved": _approval(True), "case_sent_back": _approval(False),
    "case_referred": _referral(False), "referral_answered": _referral(True),
    "case_transfer_offered": _transfer(False), "case_transfer_answered": _transfer(True),
    "skill_certificate_approved": _skill_claim(True), "skill_certificate_rejected": _skill_claim(False),
    "skill_certificate_granted": _training,
}


def test_every_kind_has_a_scenario():
    assert set(SCENARIOS) == set(notifications.MESSAGES)


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_the_link_opens_for_the_recipient(request, app, client, auth, world, kind):
    extra = {"week": request.getfixturevalue("week")} if SCENARIOS[kind] is _match_approved else {}
    SCENARIOS[kind](world, client=client, auth=auth, **extra)
    db.session.commit()
    sent = db.session.scalars(sa.select(Notification).where(Notification.kind == kind)).all()
    assert sent, f"no {kind} notification was sent"
    for message in sent:
        with app.test_request_context():
            url = notifications.url(message)
            text = notifications.render(message)
        assert text and "%(" not in text
        if kind in WITHOUT_PAGE:
            assert url is None
            continue
        assert url, f"{kind} has no link"
        auth.as_(db.session.get(User, message.user_id))
        response = client.get(url)
        assert response.status_code == 200, (kind, url, response.status_code)
