"""One hostile field in an otherwise valid form: never a server error, a refusal writes nothing, and an
accepted value is stored whole.

Each case names a form's view, who may use it and how to make a fresh object for it. The probe reads the
form from the page as a browser would (field names, select options, hidden inputs, prefilled values),
fills in what a person would type, proves the submission is accepted, then changes one field at a time
while the rest stays valid, so the hostile value reaches the services and the database."""
from __future__ import annotations

import copy
import inspect
import io
import itertools
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings, strategies as st

import linkage
from linkage.extensions import db
from linkage.forms import Form
from linkage.models import NeedStatus
from linkage.records import numbers as records_numbers
from tests import factories, meetings_support, records_support
from tests.conftest import PASSWORD
from tests.web.hostile import (HOSTILE_VALUES, MUTATIONS, PageField, changed, forms_on, mutated, snapshot,
                               stored_whole)

# Five drawn values per field keep the probe within minutes; LINKAGE_PROBE_EXAMPLES=100 probes deeper.
PER_FIELD = settings(max_examples=int(os.environ.get("LINKAGE_PROBE_EXAMPLES", "5")), deadline=None,
                     derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_serial = itertools.count(1)
CHROME = ("/auth/language", "/auth/logout")   # the forms every page has


def _errors(response) -> list[str]:
    """The messages a re-rendered page shows (for failure reports)."""
    page = response.get_data(as_text=True)
    found = re.findall(r'(?:invalid-feedback|alert-danger|text-danger small[^"]*)[^>]*>\s*([^<]+)', page)
    return [message.strip() for message in found if message.strip()]


def _redirected(response) -> bool:
    return response.status_code in (302, 303)


@dataclass
class Case:
    """A form, its view (``endpoint``), who submits it (``role``; None: nobody signed in) and the page
    that shows it, made fresh for each submission by ``page(world, n)`` (n: a number never used before)."""
    endpoint: str
    role: str | None
    page: Callable
    fill: Callable = lambda world, n: {}
    action: str | None = None            # which form of the page (a part of its action); default: the first
    hidden: frozenset = frozenset()      # stored transformed (hashed, encrypted) or not at all: not read back
    refusal_writes: frozenset = frozenset()   # tables a refusal itself records in (a failed sign-in)
    accepted: Callable = _redirected
    writes: bool = True                  # an accepted submission stores something
    same_form: bool = False              # the page shows the same form for every object: read it once

    @property
    def id(self):
        return self.endpoint + (f"[{self.action}]" if self.action else "")


def _fresh_user(role, region="c1", organization=None):
    """A user made for one submission, named after it (``probe<n>``)."""
    def who(world, n):
        from linkage.models import Role
        org = getattr(world, organization) if organization else None
        return factories.make_user(f"probe{n}", Role(role), getattr(world, region), organization=org).username
    return who


def _probe_user(n):
    from linkage.models import User
    return db.session.scalar(sa.select(User).where(User.username == f"probe{n}"))


def _resident_with_id(world, n):
    from linkage.community import services
    return services.register_resident(
        actor=world["staff1"], name=f"Probe {n}", region=world.c1, address="Room 1",
        id_number=factories.make_resident_id(seq=n % 1000), consent=True)


def _need(world, status, creator="staff1", served=False):
    need = factories.make_need(world.resident, world.visits, status=status, creator=world[creator])
    need.case_worker = world.worker if served else None
    return need.id


def _own_consent_page(world):
    """The resident's consents page, with a consent given just now (the first form withdraws it)."""
    from linkage.community import consents
    from linkage.models import ConsentChannel, ConsentPurpose
    consents.record(world.resident, ConsentPurpose.personal_data, actor=world["staff1"],
                    channel=ConsentChannel.staff_in_person)
    return "/needs/consents"


def _merge_page(world):
    """A submitted need's page, and (in ``world.merge_into``) an open need it can be merged into."""
    world.merge_into = _open_need(world)
    return f"/community/needs/{_need(world, NeedStatus.submitted)}"


def _open_need(world):
    return factories.make_need(world.resident, world.visits, status=NeedStatus.open).id


def _visit(world):
    from tests.ratings_support import make_visit
    shift, need = make_visit(world)
    return f"/ratings/visits/{shift.id}/{need.id}"


def _low_rated_visit(world):
    from linkage.ratings import services
    from tests.ratings_support import make_visit
    shift, need = make_visit(world)
    services.rate_visit(shift, need, actor=world["resident"], rating=1)
    return "/ratings/community"


def _registered_org(world, n):
    from linkage.models import OrgStatus
    org = factories.make_org(f"Probe Organization {n}", world.street1, status=OrgStatus.registered)
    return org


def _own_registered_org(world, n):
    _probe_user(n).organization = _registered_org(world, n)
    return "/organizations/mine/edit"


def _draft_project(world, n):
    from tests.web.test_projects_support import published_project
    from linkage.models import ProjectStatus
    project = published_project(world, status=ProjectStatus.draft, title=f"Probe project {n}")
    return project


def _closed_project(world):
    from tests.web.test_projects_support import closed_project
    return closed_project(world)


def _evaluated_project(world):
    from tests.web.test_projects_support import evaluated_project
    return evaluated_project(world)[0]


def _started_shift(world, minutes_ago=30, **kwargs):
    from tests.web.test_shifts_support import project_shift
    start = (factories.now() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    return project_shift(world, start=start, **kwargs)


def _roster(world, **sign_up):
    from tests.web.test_shifts_support import add_sign_up, volunteer
    shift = _started_shift(world, minutes_ago=180 if sign_up else 30, hours=2)
    record = add_sign_up(shift, volunteer(world), **sign_up)
    return shift, record


def _check_in(world, n):
    shift, record = _roster(world)
    return f"/shifts/{shift.id}/roster", {}


def _hours(world, n):
    from linkage.models import HoursStatus, SignUpStatus
    shift, record = _roster(world, status=SignUpStatus.checked_out, minutes=100,
                            hours_status=HoursStatus.pending)
    return f"/shifts/{shift.id}/roster", {"sign_ups": str(record.id), "decision": "approve"}


def _claimant(world, n):
    """A volunteer account made for one claim (a second claim of the same skill waits behind the first)."""
    from linkage.models import Role
    user = factories.make_user(f"probe{n}", Role.volunteer, world.c1)
    factories.make_volunteer(world.c1, user, name=f"Probe Volunteer {n}")
    return user.username


def _pending_claim(verb):
    """The reviews page of the social worker of street 1, and the form deciding a fresh claim on it."""
    def page(world, n):
        from linkage.models import Role
        from linkage.skills import services
        volunteer = factories.make_volunteer(world.c1, factories.make_user(f"claimant{n}", Role.volunteer, world.c1),
                                             name=f"Claimant {n}")
        claim = services.claim(volunteer, world.first_aid, actor=volunteer.user, file_name="first-aid.pdf",
                               content=PDF)
        fill = {f"r{claim.id}-reason": "The scan is unreadable"} if verb == "reject" else {}
        return {"url": "/skills/reviews", "action": f"/skills/certificates/{claim.id}/{verb}", "fill": fill}
    return page


def _supervised(world, n):
    """A volunteer with a place on a shift the worker leads: the page of their supervision notes."""
    from tests.web.test_shifts_support import add_sign_up, project_shift
    volunteer = factories.make_volunteer(world.c1, name=f"Supervised {n}")
    add_sign_up(project_shift(world, title=f"Probe shift {n}"), volunteer)
    return f"/volunteers/{volunteer.id}/supervision"


def _future_shift(world, n):
    from tests.web.test_shifts_support import project_shift
    return project_shift(world, title=f"Probe shift {n}").id


def _match_run(world, n):
    """A finished volunteer run of next week in street 1, proposed for review, started as people do."""
    from linkage.models import MatchRun
    from tests.web.test_matching_runs import at, next_monday
    shift = factories.make_shift(world.c1, start=at(next_monday(), 9), hours=2, first_come=False,
                                 title=f"Run {n}")
    shift_id, volunteer_id = shift.id, world.volunteer.id
    response = world.client.post("/matching/new", data={
        "kind": "shifts", "region": world.street1.id, "week": str(next_monday()), "time_limit": 2})
    assert response.status_code == 302, _errors(response)
    run_id = db.session.scalar(sa.select(sa.func.max(MatchRun.id)))
    return run_id, shift_id, volunteer_id


def _run_for_override(world, n):
    run_id, shift_id, volunteer_id = _match_run(world, n)
    return f"/matching/{run_id}", {"left": str(volunteer_id), "right": str(shift_id),
                                   "reason": "Lives next door"}


def _pending_account(world, n):
    from linkage.models import AccountStatus, Role
    user = factories.make_user(f"probe{n}", Role.volunteer, world.c1, status=AccountStatus.pending)
    return {"url": "/community/accounts", "action": f"/accounts/{user.id}/reject"}


def _published_project(world, n):
    from tests.web.test_projects_support import published_project
    return published_project(world, title=f"Probe project {n}")


def _contract(world, evaluator=False):
    """A signed contract of a running project (org1's), with the district's expert as evaluator if asked."""
    from linkage import settings as locality
    from linkage.contracts import services
    from linkage.projects import services as project_services
    project = _awarded_project(world)
    project.awarded_at -= timedelta(days=locality.get("STANDSTILL_DAYS"))  # the standstill is over
    contract = services.create_contract(project, services.default_data(project), actor=world["civil"])
    services.sign_contract(contract, actor=world["orgadmin"])
    project_services.mark_in_progress(project, actor=world["civil"])
    if evaluator:
        services.assign_evaluator(contract, world["expert"], actor=world["civil"])
    return contract


def _change(world):
    from linkage.contracts import services
    from linkage.models import ChangeKind
    contract = _contract(world)
    data = services.ChangeData(kind=ChangeKind.schedule, description="Two more weeks",
                               new_end=contract.term_end + timedelta(days=14))
    change = services.request_change(contract, data, actor=world["orgadmin"])
    return {"url": f"/contracts/{contract.id}", "action": f"/changes/{change.id}/decline",
            "fill": {f"cr{change.id}-reason": "The team in the contract suffices"}}


PDF = b"%PDF-1.4 probe report"


def _disqualify(world):
    project, bids = _closed_project(world)
    return {"url": f"/projects/{project.id}", "action": f"/bids/{bids[0].id}/disqualify",
            "fill": {f"dq{bids[0].id}-reason": "The team is not qualified"}}


def _scores(world):
    project, bids = _closed_project(world)
    return {"url": f"/projects/{project.id}/scores", "fill": {f"bid_{bid.id}": "80" for bid in bids}}


def _seated_project(world, status):
    """A closed project of org1 and org2 bids with the expert sitting on its panel."""
    from linkage.models import PanelMember
    from linkage.projects.panels import ensure_criteria
    project, bids = _closed_project(world)
    ensure_criteria(project)
    db.session.add(PanelMember(project=project, expert=world["expert"], status=status))
    db.session.flush()
    return project, bids


def _panel_page(world, n):
    from linkage.models import Role
    expert = factories.make_user(f"probe{n}", Role.expert, None, name=f"Probe Expert {n}")
    project, _bids = _closed_project(world)
    return {"url": f"/projects/{project.id}/panel", "fill": {"expert": str(expert.id)}}


def _evaluate_page(world, n):
    from linkage.models import PanelStatus
    project, bids = _seated_project(world, PanelStatus.joined)
    return {"url": f"/projects/{project.id}/evaluate",
            "fill": {f"score_{b.id}_{c.id}": "80" for b in bids for c in project.criteria}}


def _declare_page(world, n):
    from linkage.models import PanelStatus
    project, _bids = _seated_project(world, PanelStatus.assigned)
    return {"url": f"/projects/{project.id}/declare", "fill": {"no_conflict": "y"}}


def _awarded_project(world):
    """org1 wins over org2 (through the award service), the award notice just out."""
    from linkage.projects import services
    project, bids = _evaluated_project_and_bids(world)
    world.org1.capacity += bids[0].workload  # room for one more running project each time
    services.award_bid(project, bids[0], actor=world["civil"])
    return project


def _evaluated_project_and_bids(world):
    from tests.web.test_projects_support import evaluated_project
    return evaluated_project(world)


def _complaint_page(world, n):
    from linkage.models import Complaint
    project = _awarded_project(world)
    complaint = Complaint(project=project, organization=world.org2, text=f"Complaint {n}")
    db.session.add(complaint)
    db.session.flush()
    return {"url": f"/projects/{project.id}/complaints", "action": f"/complaints/{complaint.id}/answer",
            "fill": {f"a{complaint.id}-decision": "dismissed", f"a{complaint.id}-answer": "The award stands."}}


def _project_fill(world, n):
    today = date.today()
    return {"title": f"Probe project {n}", "budget": "100000",
            "service_start": str(today + timedelta(days=30)), "service_end": str(today + timedelta(days=200)),
            "bidding_deadline": f"{today + timedelta(days=14)}T10:00"}


def _shift_fill(world, n):
    start = factories.now() + timedelta(days=3)
    return {"title": f"Probe shift {n}", "place": "Community center", "start": f"{start:%Y-%m-%d}T09:00",
            "end": f"{start:%Y-%m-%d}T11:00", "slots-0-count": "2", "min_volunteers": "1"}


def _new_run_page(world, n):
    from tests.web.test_matching_runs import at, next_monday
    factories.make_shift(world.c1, start=at(next_monday(), 9), hours=2, first_come=False, title=f"Run {n}")
    return "/matching/new"


def _new_run_fill(world, n):
    from tests.web.test_matching_runs import next_monday
    return {"kind": "shifts", "region": str(world.street1.id), "week": str(next_monday()),
            "time_limit": "2"}


def _new_run_fill_with_fairness(world, n):
    """A volunteer run asking for every fairness option."""
    return {**_new_run_fill(world, n), "urgent_floor": "50", "urgent_from": "3", "hours_cap": "60", "spread": "y"}


def _minor_consent_page(world, n):
    """The consent page of a minor volunteer of community 1, made for this submission."""
    minor = factories.make_volunteer(world.c1, name=f"Minor {n}")
    factories.set_born(minor, date.today() - timedelta(days=16 * 366))
    db.session.commit()
    return f"/volunteers/{minor.id}/consent"
def _residents_sheet(world, n) -> bytes:
    """A spreadsheet of one resident, with an ID number no other submission uses."""
    from linkage import sheets
    from linkage.identifiers import resident_id_check_char
    from linkage.imports import services as imports

    first17 = f"110105{date(1950, 1, 1) + timedelta(days=n):%Y%m%d}{n % 999 + 1:03d}"
    return sheets.to_csv(imports.headers("en"), [[f"Imported {n}", first17 + resident_id_check_char(first17),
                                                  world.c1.code, f"{n} Plum Lane", "", "", "", "yes"]])


def _kept_import(world, n):
    from linkage.imports import services as imports
    return f"/imports/residents/{imports.keep(world['staff1'], 'residents.csv', _residents_sheet(world, n))}"


def _volunteers_sheet(world, n) -> bytes:
    """A spreadsheet of one volunteer, with an ID number no other submission uses."""
    from linkage import sheets
    from linkage.identifiers import resident_id_check_char
    from linkage.imports import services as imports, volunteers

    first17 = f"110105{date(1980, 1, 1) + timedelta(days=n):%Y%m%d}{n % 999 + 1:03d}"
    return sheets.to_csv(imports.headers("en", volunteers.KIND),
                         [[f"Volunteer {n}", first17 + resident_id_check_char(first17), world.c1.code, "", "", ""]])


def _needs_sheet(world, n) -> bytes:
    """A spreadsheet of one need of a resident of community 1 with an ID number."""
    from linkage import sheets
    from linkage.imports import needs, services as imports
    from linkage.security import decrypt

    resident = factories.make_resident(world.c1, name=f"Need import {n}", born=date(1940, 1, 1) + timedelta(days=n))
    return sheets.to_csv(imports.headers("en", needs.KIND), [[decrypt(resident.id_number_encrypted), world.visits.code,
                                                              f"Visit {n}", "", "", "", "", "", "yes"]])


def _needs_upload_page(world, n):
    """The needs upload page; its file (in ``world.needs_sheet``) names a resident registered beforehand."""
    world.needs_sheet = _needs_sheet(world, n)
    return "/imports/needs"


def _kept(kind, sheet):
    def page(world, n):
        from linkage.imports import services as imports
        return f"/imports/{kind}/{imports.keep(world['staff1'], f'{kind}.csv', sheet(world, n), kind)}"
    return page


def _case_page(world, n, **kwargs):
    from tests.web.test_cases_support import fresh_case
    return f"/cases/{fresh_case(world, n, **kwargs).id}"


def _new_case(world, n):
    from tests.web.test_cases_support import fresh_case, professional_need
    case = fresh_case(world, n)   # makes the project, and lifts the caseload limit
    need = professional_need(world, case.needs[0].project,
                             resident=factories.make_resident(world.c1, name=f"Probe resident {n}b"))
    return f"/cases/new?need={need.id}", {"need": str(need.id), "owner": str(world.worker.id)}


def _case_in(stage):
    def page(world, n):
        from linkage.models import CaseStage
        return _case_page(world, n, stage=CaseStage(stage))
    return page


def _case_to_decide(world, n):
    """A case of an assistant social worker, waiting for Li Hua (a level higher) to approve its assessment."""
    from linkage.cases import services
    from linkage.models import CaseStage, WorkerLevel
    from tests.web.test_cases_support import fresh_case, fresh_worker
    assistant = fresh_worker(world, n, level=WorkerLevel.assistant)
    case = fresh_case(world, n, owner=assistant, stage=CaseStage.assessment)
    services.request_approval(case, actor=assistant.user, summary="Lives alone, weekly visits")
    return f"/cases/{case.id}", {"decision": "approve"}


def _case_with_referral(world, n):
    from linkage.cases import services
    from tests.web.test_cases_support import fresh_case
    case = fresh_case(world, n)
    referral = services.refer(case, actor=world["worker"], worker=world.worker2, reason="Legal advice")
    return f"/cases/{case.id}", {"referral": str(referral.id)}


def _case_offered(how):
    def page(world, n):
        from linkage.cases import services
        from tests.web.test_cases_support import fresh_case, fresh_worker
        other = fresh_worker(world, n)
        case = fresh_case(world, n, owner=other)
        if how == "referral":
            services.refer(case, actor=other.user, worker=world.worker, reason="Speaks the dialect")
        else:
            services.request_transfer(case, actor=other.user, worker=world.worker, reason="Moving away")
        return f"/cases/{case.id}"
    return page


def _case_for_transfer(world, n):
    from tests.web.test_cases_support import fresh_worker
    colleague = fresh_worker(world, n)
    return _case_page(world, n), {"transfer-worker": str(colleague.id)}


def _ago(hours):
    from linkage.timeutil import LOCAL_TZ
    return (factories.now() - timedelta(hours=hours)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _case_with_helpers(world, n):
    """A case in services with a past shift of its organization on which volunteer ``vol`` held a place."""
    from linkage.models import CaseStage, SignUp, SignUpStatus
    from tests.web.test_cases_support import fresh_case
    case = fresh_case(world, n, stage=CaseStage.services)
    shift = factories.make_shift(world.c1, project=case.needs[0].project, start=factories.now() - timedelta(hours=3),
                                 title=f"Probe repairs {n}")
    db.session.add(SignUp(shift=shift, volunteer=world.volunteer, status=SignUpStatus.checked_out))
    db.session.flush()
    return f"/cases/{case.id}"


def _service_with_helpers(world, n):
    from linkage.models import Shift
    shift = db.session.scalar(sa.select(Shift).where(Shift.title == f"Probe repairs {n}"))
    return {"description": "Heating repaired", "delivered_at": _ago(1), "shift": str(shift.id),
            "volunteers": str(world.volunteer.id)}


def _worker_who_left(world, n):
    """A social worker of organization 1 who left with an open case, to hand to Li Hua."""
    from linkage.organizations import services as org_services
    from tests.web.test_cases_support import fresh_case, fresh_worker
    gone = fresh_worker(world, n)
    fresh_case(world, n, owner=gone)
    org_services.set_social_worker_active(gone, False, actor=world["orgadmin"])
    return f"/cases/workers/{gone.id}/reassign", {"worker": str(world.worker.id)}


CASE_PAGE_READ = frozenset({"audit_events"})   # showing the case page again is a read of its notes, logged


CASES = [
    Case("auth.login", None, lambda w, n: "/auth/login",
         fill=lambda w, n: {"username": "resident", "password": PASSWORD},
         hidden=frozenset({"username", "password", "remember"}), writes=False, same_form=True,
         refusal_writes=frozenset({"audit_events", "users"})),
    Case("auth.register", None, lambda w, n: "/auth/register",
         fill=lambda w, n: {"display_name": f"Probe {n}", "username": f"probe{n}", "phone": "13800138000",
                            "password": "plum-river-417", "confirm": "plum-river-417",
                            "id_number": factories.volunteer_id_number(date(1990, 3, 7))},
         hidden=frozenset({"password", "confirm"}), same_form=True),
    Case("admin.user_new", "admin", lambda w, n: "/admin/users/new",
         fill=lambda w, n: {"display_name": f"Probe {n}", "username": f"probe{n}", "role": "volunteer",
                            "password": "plum-river-417", "region": str(w.c1.id)},
         hidden=frozenset({"password"}), same_form=True),
    Case("admin.setting_change", "admin", lambda w, n: "/admin/settings", action="/MATCH_TIME_LIMIT",
         same_form=True),
    Case("admin.response_targets", "admin", lambda w, n: "/admin/response-targets",
         fill=lambda w, n: {"rows-0-u3": str(12 + n % 100)}, same_form=True),
    Case("community.resident_new", "staff1", lambda w, n: "/community/residents/new",
         fill=lambda w, n: {"name": f"Probe {n}", "id_number": factories.make_resident_id(seq=n % 1000),
                            "address": "Building 3, Room 201", "consent": "y", "phone": "13800138000",
                            "region": str(w.c1.id)},
         hidden=frozenset({"id_number", "health_notes"}), same_form=True),
    Case("community.resident_reveal", "staff1",
         lambda w, n: f"/community/residents/{_resident_with_id(w, n).id}/reveal",
         fill=lambda w, n: {"reason": "Checking the benefit application"},
         accepted=lambda r: r.status_code == 200 and "font-monospace fs-5" in r.get_data(as_text=True)),
    Case("imports.residents", "staff1", lambda w, n: "/imports/residents", writes=False,
         fill=lambda w, n: {"file": (io.BytesIO(_residents_sheet(w, n)), "residents.csv")}),
    Case("imports.residents_confirm", "staff1", _kept_import),
    Case("imports.volunteers", "staff1", lambda w, n: "/imports/volunteers", writes=False,
         fill=lambda w, n: {"file": (io.BytesIO(_volunteers_sheet(w, n)), "volunteers.csv")}),
    Case("imports.volunteers_confirm", "staff1", _kept("volunteers", _volunteers_sheet)),
    Case("imports.needs", "staff1", lambda w, n: _needs_upload_page(w, n), writes=False,
         fill=lambda w, n: {"file": (io.BytesIO(w.needs_sheet), "needs.csv")}),
    Case("imports.needs_confirm", "staff1", _kept("needs", _needs_sheet)),
    Case("community.need_new", "staff1", lambda w, n: f"/community/needs/new?resident={w.resident.id}",
         fill=lambda w, n: {"title": f"Probe need {n}", "category": str(w.visits.id), "consent": "y"},
         same_form=True),
    Case("community.need_merge", "staff1", lambda w, n: _merge_page(w), action="/merge",
         fill=lambda w, n: {"into": str(w.merge_into), "note": "The same request"}),
    Case("community.resident_anonymize", "staff1",
         lambda w, n: f"/community/residents/{factories.make_resident(w.c1, name=f'Anon {n}').id}/anonymize",
         fill=lambda w, n: {"reason": "Written request of today", "confirm": "y"}),
    Case("community.need_verify", "staff1",
         lambda w, n: f"/community/needs/{_need(w, NeedStatus.submitted)}", action="/verify"),
    Case("community.need_reject", "staff1",
         lambda w, n: f"/community/needs/{_need(w, NeedStatus.submitted)}", action="/reject",
         fill=lambda w, n: {"reason": "Already served by the street"}),
    Case("community.need_deliver", "staff1",
         lambda w, n: f"/community/needs/{_need(w, NeedStatus.in_service, served=True)}", action="/deliver"),
    Case("community.need_rate", "staff1",
         lambda w, n: f"/community/needs/{_need(w, NeedStatus.delivered)}", action="/rate"),
    Case("needs.new", "resident", lambda w, n: "/needs/new",
         fill=lambda w, n: {"title": f"Probe need {n}", "category": str(w.visits.id), "consent": "y"},
         same_form=True),
    Case("community.resident_consent_withdraw", "staff1",
         lambda w, n: f"/community/residents/{factories.make_resident(w.c1, name=f'Consent {n}').id}",
         action="/withdraw", fill=lambda w, n: {"channel": "by_phone"}),
    Case("needs.consent_withdraw", "resident", lambda w, n: _own_consent_page(w), action="/withdraw"),
    Case("needs.withdraw", "resident",
         lambda w, n: f"/needs/{_need(w, NeedStatus.submitted, 'resident')}", action="/withdraw"),
    Case("needs.rate", "resident",
         lambda w, n: f"/needs/{_need(w, NeedStatus.delivered, 'resident')}", action="/rate"),
    Case("ratings.rate", "resident", lambda w, n: _visit(w), fill=lambda w, n: {"rating": "4"}),
    Case("ratings.follow_up_close", "staff1", lambda w, n: _low_rated_visit(w), action="/close",
         fill=lambda w, n: {"note": "Called the resident"}),
    Case("admin.category_add", "admin", lambda w, n: "/admin/taxonomy", action="/taxonomy/categories",
         fill=lambda w, n: {"category-code": f"probe{n}", "category-parent": str(w.care.id),
                            "category-name": f"探访{n}"}, same_form=True),
    Case("admin.skill_add", "admin", lambda w, n: "/admin/taxonomy", action="/taxonomy/skills",
         fill=lambda w, n: {"skill-code": f"probe{n}", "skill-name": f"技能{n}"}, same_form=True),
    Case("admin.names_edit", "admin", lambda w, n: f"/admin/category/{w.tutoring.id}/edit", action="/edit",
         fill=lambda w, n: {"name": f"四点半课堂{n}"}, same_form=True),
    Case("admin.region_add", "admin", lambda w, n: "/admin/regions",
         fill=lambda w, n: {"parent": str(w.c2.id), "code": f"310101001002{n % 1000:03d}", "name": f"网格{n}"},
         same_form=True),
    Case("auth.password", _fresh_user("volunteer"), lambda w, n: "/auth/password",
         fill=lambda w, n: {"current_password": PASSWORD, "new_password": "plum-river-417",
                            "confirm": "plum-river-417"},
         hidden=frozenset({"current_password", "new_password", "confirm"}), same_form=True),
    Case("community.account_reject", "staff1", lambda w, n: _pending_account(w, n),
         fill=lambda w, n: {"reason": "No such person at this address"}),
    Case("organizations.change_status", "civil", lambda w, n: f"/organizations/{_registered_org(w, n).id}",
         action="/verify"),
    Case("organizations.register", _fresh_user("org_admin", "street1"),
         lambda w, n: "/organizations/register",
         fill=lambda w, n: {"name": f"Probe Organization {n}", "org_type": "2", "founded_on": "2015-03-01",
                            "credit_code": factories.make_credit_code(5000 + n), "address": "12 Plum Road",
                            "contact_phone": "021-5555 0101"}, same_form=True),
    Case("organizations.edit", _fresh_user("org_admin", "street1"), _own_registered_org,
         fill=lambda w, n: {"name": f"Probe Organization {n} (renamed)"}),
    Case("organizations.worker_new", "orgadmin", lambda w, n: "/organizations/mine/workers/new",
         fill=lambda w, n: {"name": f"Probe Worker {n}", "certificate_no": f"SW-{n}"}, same_form=True),
    Case("organizations.worker_edit", "orgadmin",
         lambda w, n: f"/organizations/workers/{factories.make_social_worker(w.org1, name=f'W{n}').id}/edit",
         fill=lambda w, n: {"name": f"Probe Worker {n}"}),
    Case("organizations.worker_login", "orgadmin",
         lambda w, n: f"/organizations/workers/{factories.make_social_worker(w.org1, name=f'W{n}').id}/login",
         fill=lambda w, n: {"username": f"probe{n}", "password": "plum-river-417",
                            "confirm": "plum-river-417"},
         hidden=frozenset({"password", "confirm"})),
    Case("projects.new", "civil", lambda w, n: ("/projects/new", {"needs": str(_open_need(w))}),
         fill=_project_fill, same_form=True),
    Case("projects.edit", "civil", lambda w, n: f"/projects/{_draft_project(w, n).id}/edit",
         fill=lambda w, n: {"title": f"Probe project {n} (edited)"}),
    Case("projects.cancel", "civil", lambda w, n: f"/projects/{_published_project(w, n).id}",
         action="/cancel",
         fill=lambda w, n: {"cancel-reason": "The budget was withdrawn"}),
    Case("projects.disqualify", "civil", lambda w, n: _disqualify(w), action="/disqualify"),
    Case("projects.scores", "civil", lambda w, n: _scores(w)),
    Case("projects.award", "civil", lambda w, n: f"/projects/{_evaluated_project(w).id}/award"),
    Case("projects.criteria", "civil", lambda w, n: f"/projects/{_draft_project(w, n).id}/criteria",
         fill=lambda w, n: {"criteria-0-name": f"Plan {n}"}),
    Case("projects.panel", "civil", _panel_page),
    Case("projects.declare", "expert", _declare_page),
    Case("projects.evaluate", "expert", _evaluate_page),
    Case("projects.complaints", "orgadmin2", lambda w, n: f"/projects/{_awarded_project(w).id}/complaints",
         fill=lambda w, n: {"text": f"The scores of plan {n} are wrong"}),
    Case("projects.complaint_answer", "civil", _complaint_page),
    Case("projects.bid", "orgadmin", lambda w, n: f"/projects/{_published_project(w, n).id}/bid",
         fill=lambda w, n: {"price": "200000", "proposal": f"Weekly visits, plan {n}",
                            "no_violation_declared": "y", "team": str(w.worker.id)}),
    Case("contracts.new", "civil", lambda w, n: f"/contracts/new/{_awarded_project(w).id}"),
    Case("contracts.evaluator", "civil", lambda w, n: f"/contracts/{_contract(w).id}", action="/evaluator"),
    Case("contracts.evaluate", "expert", lambda w, n: f"/contracts/{_contract(w, evaluator=True).id}/evaluate/midterm",
         fill=lambda w, n: {"score": "80", "passed": "y", "comment": f"On track {n}"}),
    Case("contracts.upload", "orgadmin", lambda w, n: f"/contracts/{_contract(w).id}", action="/documents",
         fill=lambda w, n: {"title": f"Report {n}", "file": (io.BytesIO(PDF), "report.pdf")}),
    Case("contracts.change", "orgadmin", lambda w, n: f"/contracts/{_contract(w).id}", action="/changes",
         fill=lambda w, n: {"kind": "schedule", "new_end": (date.today() + timedelta(days=500)).isoformat(),
                            "description": f"Visits move to Saturdays {n}"}),
    Case("contracts.decide", "civil", lambda w, n: _change(w), action="/decline"),
    Case("shifts.new", "staff1", lambda w, n: "/shifts/new", fill=_shift_fill, same_form=True),
    Case("shifts.edit", "worker", lambda w, n: f"/shifts/{_future_shift(w, n)}/edit",
         fill=lambda w, n: {"title": f"Probe shift {n} (edited)"}),
    Case("shifts.cancel", "worker", lambda w, n: f"/shifts/{_future_shift(w, n)}/cancel",
         fill=lambda w, n: {"reason": "The community center is closed"}),
    Case("shifts.check_in", "worker", _check_in, action="/check-in"),
    Case("shifts.decide_hours", "worker", _hours, action="/roster/hours"),
    Case("skills.mine", _claimant, lambda w, n: "/skills/mine",
         fill=lambda w, n: {"skill": str(w.first_aid.id), "file": (io.BytesIO(PDF), "first-aid.pdf")}),
    Case("skills.approve", "worker", _pending_claim("approve")),
    Case("skills.reject", "worker", _pending_claim("reject")),
    Case("volunteers.write_note", "worker", _supervised, fill=lambda w, n: {"text": "Punctual and patient"}),
    Case("volunteers.profile", "vol", lambda w, n: "/volunteers/profile",
         fill=lambda w, n: {"name": f"Probe {n}"}, same_form=True),
    Case("volunteers.add_exception", "vol", lambda w, n: "/volunteers/profile", action="/exceptions",
         fill=lambda w, n: {"kind": "away", "day": (date.today() + timedelta(days=1 + n % 300)).isoformat()},
         same_form=True),
    Case("volunteers.consent", "staff1", _minor_consent_page,
         fill=lambda w, n: {"guardian_name": f"Guardian {n}", "relation": "mother", "phone": "13900000008",
                            "file": (io.BytesIO(PDF), "consent.pdf")}),
    Case("matching.new", "civil", _new_run_page, fill=_new_run_fill, same_form=True),
    Case("matching.new", "civil", _new_run_page, fill=_new_run_fill_with_fairness, same_form=True),
    Case("records.correction_new", "vol", records_support.correction_page),
    Case("records.corrections", "staff1", records_support.corrections_page),
    Case("records.request_certificate", records_support.request_role, lambda w, n: "/records/mine",
         action="/mine/certificates"),
    Case("records.issue", "staff1", records_support.issue_page),
    Case("records.complain", "staff1", records_support.complaint_page),
    Case("records.answer", "vol", records_support.answer_page),
    Case("records.verify", None, records_support.verify_page, writes=False,
         accepted=lambda response: response.status_code == 200 and "alert-success" in response.get_data(as_text=True)),
    Case("matching.override", "civil", _run_for_override, action="/override"),
    Case("matching.decide", "civil", lambda w, n: f"/matching/{_match_run(w, n)[0]}", action="/approve"),
    Case("matching.decide", "civil", lambda w, n: f"/matching/{_match_run(w, n)[0]}", action="/reject",
         fill=lambda w, n: {"note": "The volunteers asked for other shifts"}),
    Case("meetings.new", "staff1", lambda w, n: "/meetings/new", fill=meetings_support.new_meeting_fill,
         same_form=True),
    Case("meetings.add_item", "staff1", meetings_support.planned_page, action="/agenda",
         fill=lambda w, n: {"text": "Volunteers for the winter"}),
    Case("meetings.cancel", "staff1", meetings_support.planned_page, action="/cancel",
         fill=lambda w, n: {"reason": "The hall is closed"}),
    Case("meetings.minutes", "staff1", meetings_support.held_page, action="/minutes",
         fill=lambda w, n: {"minutes": "We met."}),
    Case("meetings.decide", "staff1", meetings_support.held_page, action="/decisions",
         fill=lambda w, n: {"text": "Call the family", "owner": str(w["vol"].id),
                            "due_on": (date.today() + timedelta(days=5)).isoformat()}),
    Case("meetings.close_decision", "vol", meetings_support.decision_page, action="/done"),
    Case("cases.new", "worker", _new_case),
    Case("cases.advance", "worker", _case_page, action="/advance", refusal_writes=CASE_PAGE_READ),
    Case("cases.request_approval", "worker", _case_in("assessment"), action="/approval",
         fill=lambda w, n: {"summary": "Lives alone; weekly visits needed"}, hidden=frozenset({"summary"}),
         refusal_writes=CASE_PAGE_READ),
    Case("cases.decide", "worker", _case_to_decide, action="/decide", refusal_writes=CASE_PAGE_READ),
    Case("cases.note", "worker", _case_page, action="/notes",
         fill=lambda w, n: {"kind": "visit", "happened_at": _ago(2), "text": "Found her well"},
         hidden=frozenset({"text"}), refusal_writes=CASE_PAGE_READ),
    Case("cases.service", "worker", _case_in("services"), action="/services",
         fill=lambda w, n: {"description": "Heating repaired", "delivered_at": _ago(1)},
         refusal_writes=CASE_PAGE_READ),
    Case("cases.refer", "worker", _case_page, action="/referrals",
         fill=lambda w, n: {"refer-worker": str(w.worker2.id), "refer-reason": "Legal advice on the lease"},
         refusal_writes=CASE_PAGE_READ),
    Case("cases.revoke_referral", "worker", _case_with_referral, action="/referrals/revoke",
         refusal_writes=CASE_PAGE_READ),
    Case("cases.answer_referral", "worker", _case_offered("referral"), action="/referral/accept",
         refusal_writes=CASE_PAGE_READ),
    Case("cases.transfer", "worker", _case_for_transfer, action="/transfer",
         fill=lambda w, n: {"transfer-reason": "I move to another street"}, refusal_writes=CASE_PAGE_READ),
    Case("cases.answer_transfer", "worker", _case_offered("transfer"), action="/transfer/accept",
         refusal_writes=CASE_PAGE_READ),
    Case("cases.upload", "worker", _case_page, action="/documents",
         fill=lambda w, n: {"title": f"Consent {n}", "file": (io.BytesIO(PDF), "consent.pdf")},
         refusal_writes=CASE_PAGE_READ),
    Case("cases.reassign", "orgadmin", _worker_who_left),
    Case("cases.service", "worker", _case_with_helpers, action="/services",
         fill=_service_with_helpers, refusal_writes=CASE_PAGE_READ),
]


def _fresh_page(case, world, client, n, seen=None):
    """Sign in as the case's role (or a user made for this submission), make the page's object and answer
    where the form posts, the form as the page shows it, and what else to fill in on this object.
    ``seen``: the form as first read, kept for a case whose page shows the same form every time."""
    role = case.role(world, n) if callable(case.role) else case.role
    db.session.commit()
    if role and not getattr(client, "signed_in", False):
        assert client.post("/auth/login", data={"username": role, "password": PASSWORD}).status_code == 302
        client.signed_in = True
    world.client = client
    page = case.page(world, n)
    page = {"url": page[0], "fill": page[1]} if isinstance(page, tuple) else page
    page = {"url": page} if isinstance(page, str) else page
    url, action = page["url"], page.get("action", case.action)
    db.session.commit()
    if seen is not None and case.same_form and seen.get("form"):
        return seen["target"], copy.deepcopy(seen["form"]), page.get("fill", {})
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    forms = [f for f in forms_on(response.get_data(as_text=True)) if f.method == "post"
             and not f.action.startswith(CHROME) and (action is None or action in f.action)]
    assert forms, f"no form on {url}"
    form = next((f for f in forms if f.action in ("", url)), forms[0])
    for name in page.get("fill", {}):
        form.fields.setdefault(name, PageField(name, "text"))
    if seen is not None:
        seen.update(target=form.action or url, form=copy.deepcopy(form))
    return form.action or url, form, page.get("fill", {})


def _client(case, app, clients):
    """The case's signed-in client, kept between submissions when the role is one named person."""
    if not isinstance(case.role, str):
        return app.test_client()
    return clients.setdefault(case.role, app.test_client())


def _submit(case, world, app, clients, mutate=None):
    """Submit the case's form once, changed by ``mutate(form, data)``; answer (response, before, after)."""
    n = next(_serial)
    client = _client(case, app, clients)
    target, form, fill = _fresh_page(case, world, client, n, clients.setdefault("seen", {}))
    data = {**form.submission(), **case.fill(world, n), **fill}
    if mutate:
        data = mutate(form, data)
    before = snapshot()
    response = client.post(target, data=data)
    return response, before, snapshot(), data


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 2.0, "LOGIN_RATE_LIMIT": "10000 per minute"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_valid_submission_is_accepted(app, world, case):
    response, before, after, data = _submit(case, world, app, {})
    assert case.accepted(response), (response.status_code, _errors(response), data)
    assert bool(changed(before, after)) == case.writes, "an accepted submission stored nothing"


def _check(case, response, before, after, name, mutation, page_field) -> bool:
    """Never a server error; a refusal writes nothing; an accepted text is stored whole. Answers
    whether the submission was accepted."""
    assert response.status_code < 500, (case.id, name, mutation)
    written = {t: rows for t, rows in changed(before, after).items() if t not in case.refusal_writes}
    if not case.accepted(response):
        assert not written, (case.id, name, mutation, response.status_code, list(written))
        return False
    how, value = mutation
    if (how == "set" and written and name not in case.hidden and page_field.kind in ("text", "textarea")
            and len(value.strip()) >= 3):
        assert stored_whole(value, list(written)), (case.id, name, len(value), "accepted, not stored whole")
    return bool(written)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_one_hostile_field_in_a_valid_form(app, world, case):
    n = next(_serial)
    clients = {"seen": {}}
    first_form = _fresh_page(case, world, _client(case, app, clients), n, clients["seen"])[1]
    names = _probed(first_form.fields, case.fill(world, n))

    for name in names:
        page_field = first_form.fields.get(name)
        extremes, too_long = _extremes(page_field)

        def probe(mutation):
            def change(form, data):
                return mutated(data, _same_field(name, form), mutation)

            response, before, after, _data = _submit(case, world, app, clients, change)
            stored = _check(case, response, before, after, name, mutation, page_field or _NO_FIELD)
            if mutation == too_long:
                assert not stored, (case.id, name, "longer than its maxlength, accepted")

        probing = given(mutation=MUTATIONS)(PER_FIELD(probe))
        for extreme in extremes:
            probing = example(mutation=extreme)(probing)
        probing()


def _extremes(page_field):
    """Values every text field meets besides the drawn ones: as long as its maxlength allows (accepted
    means stored whole, so the column is as long as the form says) and one longer (refused), or, with no
    maxlength, 10,000 characters (refused, or stored whole). Answers (values, the one to be refused)."""
    if page_field is None or page_field.kind not in ("text", "textarea"):
        return [], None
    if page_field.maxlength:
        too_long = ("set", "x" * (page_field.maxlength + 1))
        return [("set", "x" * page_field.maxlength), too_long], too_long
    return [("set", "x" * 10_000)], None


def _probed(fields: dict, fill: dict) -> list[str]:
    """The fields to probe: all but submit buttons (they carry no data), and of a list of repeated rows
    (``slots-0-count`` … ``slots-3-count``) the first row only: every row is the same form."""
    names = {name for name, entry in fields.items() if entry.kind != "submit"} | set(fill)
    return sorted(name for name in names if not re.search(r"-[1-9]\d*-", name))


def _same_field(name: str, form) -> str:
    """``name`` on a page made for another object: ``dq7-reason`` of the first page is ``dq9-reason`` here."""
    if name in form.fields:
        return name
    pattern = re.compile(re.sub(r"\d+", r"\\d+", re.escape(name)) + "$")
    return next((other for other in form.fields if pattern.match(other)), name)


_NO_FIELD = type("NoField", (), {"kind": "absent"})()


# --- query parameters: one hostile value on a page whose other parameters are valid ------------------------


@dataclass
class Query:
    """A page, who reads it, and valid values of the parameters it reads (``base(world)``)."""
    url: str
    role: str | None
    base: Callable

    @property
    def id(self):
        return self.url


def _shift_filters(world):
    return {"date_from": str(date.today()), "date_to": str(date.today() + timedelta(days=30)),
            "community": world.c1.id, "skill": world.elder_care.id, "status": "open", "when": "all",
            "urgency": 2, "within_km": 5, "show": "all", "page": 1}


# Ids of rows a page's parameters made, filled into its URL ("{offered}").
_MADE: dict = {}


def _offer_to_vol(world):
    """A shift whose place is offered to ``vol`` from the waiting list (its offer page)."""
    from linkage.models import SignUpStatus
    from tests.web.test_shifts_support import add_sign_up, project_shift
    shift = project_shift(world, slots=((None, 1),))
    add_sign_up(shift, world.volunteer, status=SignUpStatus.offered, offer_expires_at=shift.start)
    _MADE["offered"] = shift.id
    return {"answer": "accept"}


QUERIES = [
    Query("/admin/users", "admin", lambda w: {"q": "staff", "role": "community_staff", "page": 1}),
    Query("/admin/audit", "admin", lambda w: {"action": "user.create", "subject": "User", "page": 1}),
    Query("/projects/", "civil", lambda w: {"status": "published", "category": w.visits.id, "page": 1}),
    Query("/projects/new", "civil", lambda w: {"category": w.visits.id, "community": w.c1.id, "budget": "72000.00",
                                              "title": "Home visits, 2027 Q1"}),
    Query("/organizations/", "civil", lambda w: {"q": "Sunshine", "status": "active", "page": 1}),
    Query("/community/residents", "staff1", lambda w: {"q": "Wu", "community": w.c1.id, "page": 1}),
    Query("/community/needs", "staff1",
          lambda w: {"status": "open", "sector": w.care.id, "urgency": 3, "community": w.c1.id, "page": 1,
                     "channel": "hotline"}),
    Query("/community/needs/new", "staff1", lambda w: {"resident": w.resident.id}),
    Query("/community/accounts", "staff1", lambda w: {"page": 1}),
    Query("/meetings/new", "civil", lambda w: {"region": w.c1.id}),
    Query("/meetings/", "staff1", lambda w: {"q": "meeting", "status": "planned", "page": 1}),
    Query("/shifts/", "vol", _shift_filters),
    Query("/shifts/{offered}/offer", "vol", _offer_to_vol),
    Query("/shifts/new", "worker", lambda w: {"project": _running_project(w)}),
    Query("/shifts/new", "admin", lambda w: {"activity": 1}),
    Query("/matching/", "civil", lambda w: {"q": "Street", "kind": "shifts", "status": "proposed", "page": 1}),
    Query("/contracts/", "civil", lambda w: {"q": "visits", "status": "draft", "page": 1}),
    Query("/needs/", "resident", lambda w: {"page": 1}),
    Query("/notifications", "vol", lambda w: {"page": 1}),
    Query("/volunteers/shifts", "vol", lambda w: {"page": 1}),
    Query("/volunteers/hours", "vol", lambda w: {"page": 1}),
    Query("/records/volunteers", "staff1", lambda w: {"number": records_numbers.assign(w.volunteer)}),
    Query("/auth/login", None, lambda w: {"next": "/shifts/"}),
    Query("/cases/new", "worker", lambda w: {"need": _new_case(w, next(_serial))[1]["need"]}),
    Query("/dashboards/", "civil", lambda w: {"date_from": str(date.today() - timedelta(days=30)),
                                              "date_to": str(date.today()), "area": w.c1.id}),
    Query("/dashboards/needs-by-sector.csv", "civil", lambda w: {"date_from": str(date.today() - timedelta(days=30)),
                                                                 "date_to": str(date.today()), "area": w.c1.id}),
    Query("/dashboards/", "worker", lambda w: {"view": "organization"}),
]


def _running_project(world):
    from tests.web.test_shifts_support import running_project
    return running_project(world).id


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.url}:{q.role}")
def test_one_hostile_query_parameter_on_its_page(app, world, query):
    client = app.test_client()
    if query.role:
        signed_in = client.post("/auth/login", data={"username": query.role, "password": PASSWORD})
        assert signed_in.status_code == 302
    base = {name: str(value) for name, value in query.base(world).items()}
    db.session.commit()
    url = query.url.format(**_MADE)
    assert client.get(url, query_string=base).status_code == 200, "the valid parameters are refused"

    for name in sorted(base):
        @PER_FIELD
        @given(mutation=MUTATIONS)
        def probe(mutation):
            before = snapshot()
            response = client.get(url, query_string=mutated(base, name, mutation))
            assert response.status_code < 500, (url, name, mutation)
            assert response.status_code in (200, 400, 404), (url, name, mutation, response.status_code)
            assert not changed(before, snapshot()), (url, name, mutation, "a page wrote")

        probe()


def _read_parameters() -> set[str]:
    """Every query parameter a view reads: ``request.args``, ``id_arg``, forms filled from the query
    string, and the page number of every paginated list."""
    source = "\n".join(path.read_text() for path in Path(linkage.__file__).parent.rglob("*.py"))
    names = set(re.findall(r"request\.args\.get\(\"(\w+)\"", source))
    names |= set(re.findall(r"id_arg\(\"(\w+)\"", source))
    for form_name in re.findall(r"(\w+Form)\(formdata=request\.args\)", source):
        form = next(f for f in _all_forms() if f.__name__ == form_name)
        names |= {name for name, value in vars(form).items() if hasattr(value, "field_class")}
    return names | ({"page"} if "paginate(" in source else set())


def _all_forms(cls=Form):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_forms(sub)


def test_every_query_parameter_is_probed(world):
    probed = {name for query in QUERIES for name in query.base(world)}
    assert _read_parameters() - probed == set()


def _forms_read_by(view) -> set[str]:
    """The form classes a view makes, itself or in the functions of its module it calls."""
    view = inspect.unwrap(view)
    module = inspect.getmodule(view)
    source = inspect.getsource(view)
    for called in set(re.findall(r"\b(_\w+)\(", source)):
        if inspect.isfunction(getattr(module, called, None)):
            source += inspect.getsource(getattr(module, called))
    made = set(re.findall(r"\b([A-Z]\w*Form)\(", source))
    return (made | ({"ScoresForm"} if re.search(r"\bscores_form\(", source) else set())
            | ({"PanelScoresForm"} if "panel_scores_form(" in source else set()))


def test_every_form_is_probed(app):
    submitted = {form for case in CASES for form in _forms_read_by(app.view_functions[case.endpoint])}
    # Forms filled from the query string are the filters of list pages: probed as query parameters.
    posted = {form.__name__ for form in _all_forms() if getattr(form.Meta, "csrf", True) is not False}
    assert posted - submitted == set()
    assert {case.endpoint for case in CASES} <= set(app.view_functions)


# --- every route of the URL map as several roles: a page or action added later is probed unlisted ----------

ROLES = ["admin", "staff1", "orgadmin", "vol"]
# Leaving the session would end the probe; signing in again is covered by the log-in tests.
SKIPPED = {"auth.logout", "static", "bootstrap.static"}
SWEEP_VALUES = st.one_of(st.sampled_from(HOSTILE_VALUES), st.integers().map(str), st.text(max_size=20))
SWEEP = settings(max_examples=2, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _field_names() -> list[str]:
    """Every name a form or a view reads from a request."""
    names = {name for form in _all_forms() for name, value in vars(form).items()
             if hasattr(value, "field_class")}
    source = "\n".join(p.read_text() for p in Path(linkage.__file__).parent.rglob("views.py"))
    names |= set(re.findall(r"request\.(?:args|form)\.get\(\"(\w+)\"", source))
    return sorted(names | {"page"})


def _routes(app, method):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method in rule.methods and rule.endpoint not in SKIPPED:
            url = re.sub(r"<int:\w+>", "1", rule.rule)
            yield rule.endpoint, re.sub(r"<[^>]+>", "x", url)


def _row_counts():
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("username", ROLES)
def test_hostile_query_strings_never_fail(client, auth, world, app, username):
    auth.login(username)
    routes, names = list(_routes(app, "GET")), _field_names()

    @SWEEP
    @given(values=st.fixed_dictionaries({}, optional={name: SWEEP_VALUES for name in names}))
    def probe(values):
        for endpoint, url in routes:
            status = client.get(url, query_string=values).status_code
            assert status < 500, (endpoint, url, values)

    probe()


@pytest.mark.parametrize("username", ROLES)
def test_hostile_forms_never_fail_and_refused_forms_write_nothing(client, auth, world, app, username):
    auth.login(username)
    routes, names = list(_routes(app, "POST")), _field_names()

    @SWEEP
    @given(values=st.fixed_dictionaries({}, optional={name: SWEEP_VALUES for name in names}))
    def probe(values):
        for endpoint, url in routes:
            before = _row_counts()
            response = client.post(url, data=values)
            assert response.status_code < 500, (endpoint, url, values)
            if response.status_code != 302:
                assert _row_counts() == before, (endpoint, url, values)

    probe()
