"""The authorization matrix: every route of the URL map × every role × objects of each scope, held
to the policy declared in tests/web/authz_policy.py.

A route the policy does not declare fails the first test, so a new page cannot be forgotten. The
matrix then asks, as each role in turn, for every declared route on every declared object: a
success the policy refuses, a refusal the policy allows, or a refused POST that wrote anything is a
mismatch, and one assertion lists them all. Every page any role opens is also searched for the
titles of objects the policy does not let that role open (lists stay within scope) and for another
organization's sealed bid price.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for

from linkage import settings, sheets, timeutil
from linkage.extensions import db
from linkage.models import (AccountStatus, BidStatus, Case, CaseNote, CaseStage, CaseStatus, Complaint, MatchKind,
                            MatchRun, MatchStatus, NeedStatus, NoteKind, OrgStatus, PanelMember, PanelStatus,
                            ProjectStatus, Role, SignUp, SignUpStatus, Volunteer)
from linkage.models import AvailabilityException, ExceptionKind
from linkage.cases import services as case_services
from linkage.community import consents
from linkage.needs import intake
from linkage.imports import needs as need_imports
from linkage.imports import services as imports
from linkage.imports import volunteers as volunteer_imports
from linkage.contracts import services as contract_services
from linkage.models import ChangeKind, ChangeRequest, Contract, ContractStatus, Installment, Milestone
from linkage.models import Meeting, MeetingDecision, MeetingStatus
from linkage.models import Category, RegionLevel, Skill
from linkage.models import ConsentChannel, ConsentPurpose
from linkage.ratings import services as rating_services
from linkage.organizations.services import add_years
from linkage.projects import services as project_services
from linkage.records import numbers, services as record_services
from linkage.shifts import codes
from linkage.skills import services as skill_services
from linkage.volunteers import calendar, services as volunteer_services
from tests.factories import (make_bid, make_need, make_project, make_region, make_resident, make_shift, make_user,
                             make_volunteer, now, set_born)
from tests.ratings_support import make_visit
from tests.records_support import approved_entry
from tests.web.authz_policy import OBJECTS, POLICY, ROLES, expected
from tests.web.test_sealed_bids import amount_shown

# Who each role of the policy is in the world of tests/factories.py (plus the accounts added below).
USERNAMES = {
    "anonymous": None, "resident": "resident", "volunteer_a": "vol", "volunteer_b": "vol3",
    "social_worker_a": "worker", "org_admin_a": "orgadmin", "org_admin_b": "orgadmin2", "org_admin_new": "orgnew",
    "staff_a": "staff1", "staff_b": "staff3", "grid_a": "grid", "civil_x": "civilx", "civil_y": "civil2",
    "civil_district": "civil", "expert_x": "expertx", "observer_x": "observer", "admin": "admin",
}
# Sealed bids (bidding still open) with prices no other number on a page looks like.
SEALED = {"org_a": ("123457", "123,457"), "org_b": ("98765", "98,765")}
OWN_ORGANIZATION = {"org_admin_a": "org_a", "social_worker_a": "org_a", "org_admin_b": "org_b"}
# What pages call the objects of each scope: a page may name an object only to a role that may open it.
TITLES = {"need_a": "Need A", "need_b": "Need B", "project_x": "Project X", "project_y": "Project Y",
          "draft_x": "Draft X", "draft_y": "Draft Y", "closed_x": "Closed X", "closed_y": "Closed Y",
          "shift_x": "Shift X", "shift_y": "Shift Y", "activity_a": "Activity A", "activity_b": "Activity B"}
# Leaving the session ends the role's run, so it comes last.
LAST = "auth.logout"


def _sealed_bid(project, org, worker, price, actor):
    """A bid submitted through the bid service, as the bid form does (so the audit trail records it)."""
    data = project_services.BidData(price=Decimal(price), proposal="Plan", team=[worker], workload=1,
                                    no_violation_declared=True)
    return project_services.submit_bid(project, org, data, actor=actor)


def _project(region, creator, status, title, **kwargs):
    return make_project(region, creator=creator, status=status, title=title, **kwargs)


def _shift(region, creator, project=None, lead=None, title="Companionship visits"):
    shift = make_shift(region, project=project, lead=lead, title=title)
    shift.created_by = creator
    return shift


def _place(shift, volunteer):
    place = SignUp(shift=shift, volunteer=volunteer, status=SignUpStatus.assigned, slot=shift.slots[0])
    db.session.add(place)
    db.session.flush()
    return place


def _run(region, creator):
    run = MatchRun(kind=MatchKind.shifts, region=region, created_by=creator, status=MatchStatus.queued)
    db.session.add(run)
    db.session.flush()
    return run


def _case(resident, owner, title):
    """An open case in intake with one note (the owner wrote it a day ago)."""
    case = Case(resident=resident, organization_id=owner.organization_id, owner=owner, region_id=resident.region_id,
                title=title, stage=CaseStage.intake, status=CaseStatus.open, opened_at=now(),
                assessment_due=now() + timedelta(days=7))
    case.notes.append(CaseNote(kind=NoteKind.visit, happened_at=now() - timedelta(days=1), text="Home visit",
                               author_id=owner.user_id))
    db.session.add(case)
    db.session.flush()
    return case


def _projects(w, u) -> dict:
    past = now() - timedelta(hours=1)
    projects = {
        "project_x": _project(w.street1, u["civilx"], ProjectStatus.published, "Project X"),
        "project_y": _project(w.street2, u["civil2"], ProjectStatus.published, "Project Y"),
        "draft_x": _project(w.street1, u["civilx"], ProjectStatus.draft, "Draft X"),
        "draft_y": _project(w.street2, u["civil2"], ProjectStatus.draft, "Draft Y"),
        "closed_x": _project(w.street1, u["civilx"], ProjectStatus.bidding_closed, "Closed X", deadline=past),
        "closed_y": _project(w.street2, u["civil2"], ProjectStatus.bidding_closed, "Closed Y", deadline=past),
        "running_x": _project(w.street1, u["civilx"], ProjectStatus.in_progress, "Running X", deadline=past),
        "running_y": _project(w.street2, u["civil2"], ProjectStatus.in_progress, "Running Y", deadline=past),
    }
    make_bid(projects["closed_x"], w.org1, price=200000, team=[w.worker])
    make_bid(projects["closed_y"], w.org2, price=210000, team=[w.worker2])
    make_bid(projects["running_x"], w.org1, price=220000, status=BidStatus.won)
    make_bid(projects["running_y"], w.org2, price=230000, status=BidStatus.won)
    for name in ("running_x", "running_y"):
        projects[name].awarded_at = past
    return projects


def _contract(project, org, admin, evaluator=None) -> dict:
    """A signed contract of a running project, its three installments (the first due), a report uploaded
    through the service and a pending change request; answers the objects by their policy names' suffix."""
    bid = contract_services.winning_bid(project)
    contract = Contract(project=project, bid=bid, organization_id=org.id, region_id=project.region_id,
                        status=ContractStatus.signed, amount=bid.price, term_start=project.service_start,
                        term_end=add_years(project.service_start, 1), signed_by_id=admin.id, signed_at=now(),
                        evaluator_id=evaluator.id if evaluator is not None else None)
    contract.installments = [Installment(position=i, milestone=m, percent=p, amount=bid.price * p / 100,
                                         released_at=now() if m == Milestone.signing else None)
                             for i, (m, p) in enumerate(contract_services.DEFAULT_SHARES.items())]
    db.session.add(contract)
    db.session.flush()
    document = contract_services.upload_document(contract, contract_services.Upload(
        "report.pdf", b"%PDF-1.4 report", title="Monthly report"), actor=admin)
    change = ChangeRequest(contract=contract, kind=ChangeKind.team, description="One more social worker",
                           requested_by_id=admin.id)
    db.session.add(change)
    db.session.flush()
    return {"contract": {"contract_id": contract.id},
            "installment": {"contract_id": contract.id, "installment_id": contract.installments[1].id},
            "document": {"contract_id": contract.id, "document_id": document.id},
            "change": {"contract_id": contract.id, "change_id": change.id}}


def _panels_and_complaints(w, u, p) -> dict:
    """Expert X joined the panel of closed project X, another expert sits on closed project Y's; each
    organization complained about the project it runs."""
    other = make_user("experty", Role.expert, w.street2)
    seats = {"seat_x": PanelMember(project=p["closed_x"], expert=u["expertx"], status=PanelStatus.joined),
             "seat_y": PanelMember(project=p["closed_y"], expert=other, status=PanelStatus.assigned)}
    complaints = {"complaint_x": Complaint(project=p["running_x"], organization=w.org1, text="Complaint X"),
                  "complaint_y": Complaint(project=p["running_y"], organization=w.org2, text="Complaint Y")}
    db.session.add_all([*seats.values(), *complaints.values()])
    for project in p.values():
        project.criteria = project_services.default_criteria()
    db.session.flush()
    return {**{name: {"project_id": seat.project_id, "member_id": seat.id} for name, seat in seats.items()},
            **{name: {"project_id": c.project_id, "complaint_id": c.id} for name, c in complaints.items()},
            "notice_x": {"project_id": p["running_x"].id}, "notice_y": {"project_id": p["running_y"].id}}


def _meetings(w, volunteer_b) -> dict:
    """A joint meeting held yesterday in each community, convened by its staff, with one decision for the
    community's volunteer (a participant, with the social worker in community A)."""
    objects = {}
    u = w.users
    for suffix, region, staff, people in (("a", w.c1, u["staff1"], [u["vol"], u["worker"]]),
                                          ("b", w.c3, u["staff3"], [volunteer_b.user])):
        meeting = Meeting(region=region, title=f"Meeting {suffix.upper()}", starts_at=now() - timedelta(days=1),
                          place="Hall", convened_by=staff, participants=people, status=MeetingStatus.held,
                          held_at=now() - timedelta(days=1), minutes_text="Minutes")
        decision = MeetingDecision(meeting=meeting, text="Call the family", responsible=people[0],
                                   due_on=(now() + timedelta(days=3)).date())
        db.session.add_all([meeting, decision])
        db.session.flush()
        objects[f"meeting_{suffix}"] = {"meeting_id": meeting.id}
        objects[f"decision_{suffix}"] = {"decision_id": decision.id}
    return objects


def _records(w, volunteer_b) -> dict:
    """Each volunteer's number and an issued certificate of theirs (issued by their community's staff)."""
    objects = {}
    for suffix, volunteer, staff in (("a", w.volunteer, w.users["staff1"]), ("b", volunteer_b, w.users["staff3"])):
        approved_entry(w, volunteer, minutes=120)
        with timeutil.as_of(now() - timedelta(days=10)):
            certificate = record_services.request_certificate(volunteer, actor=volunteer.user)
        record_services.issue_certificate(certificate, person_in_charge="王主任", contact="021-1234", actor=staff)
        objects[f"record_{suffix}"] = {"number": numbers.number_of(volunteer)}
        objects[f"certificate_{suffix}"] = {"certificate_id": certificate.id}
    return objects


def _minors_and_days_away(w, volunteer_b) -> dict:
    """A minor volunteer in each community with a guardian's consent recorded by its staff, and a day each
    volunteer said they are away."""
    objects = {}
    for suffix, region, staff, adult in (("a", w.c1, w.users["staff1"], w.volunteer),
                                         ("b", w.c3, w.users["staff3"], volunteer_b)):
        minor = make_volunteer(region, name=f"Minor {suffix.upper()}")
        set_born(minor, date.today() - timedelta(days=16 * 366))
        consent = volunteer_services.record_consent(minor, volunteer_services.ConsentData(
            guardian_name="Wang Li", relation="mother", phone="13900000008", file_name="consent.pdf",
            content=b"%PDF-1.4 consent"), actor=staff, today=date.today())
        adult.exceptions.append(AvailabilityException(kind=ExceptionKind.away, day=date.today() + timedelta(days=9)))
        db.session.flush()
        objects.update({f"minor_{suffix}": {"volunteer_id": minor.id}, f"consent_{suffix}": {"consent_id": consent.id},
                        f"exception_{suffix}": {"exception_id": adult.exceptions[-1].id}})
    return objects


def _visits(w, u, resident_b) -> dict:
    """A visit to rate in each community, and one rated low in each (its follow-up open)."""
    volunteer_b = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == u["vol3"].id))
    objects = {}
    for x, resident, region, volunteer, rater in (("a", w.resident, w.c1, w.volunteer, u["resident"]),
                                                  ("b", resident_b, w.c3, volunteer_b, u["staff3"])):
        need = make_need(resident, w.visits, status=NeedStatus.in_service, title=f"Visited need {x}")
        shift, _need = make_visit(w, need, region=region, volunteer=volunteer, title=f"Visit {x}")
        rated, _need = make_visit(w, need, region=region, volunteer=volunteer, title=f"Rated visit {x}", days_ago=9)
        rating = rating_services.rate_visit(rated, need, actor=rater, rating=1)
        objects[f"visit_{x}"] = {"shift_id": shift.id, "need_id": need.id}
        objects[f"follow_up_{x}"] = {"follow_up_id": rating.follow_up.id}
    return objects


def _taxonomy(w) -> dict:
    """Entries no other object uses, so that retiring them changes nothing else."""
    category = Category(code="youth.spare", name="备用类别", name_en="Spare", level=2, parent_id=w.tutoring.parent_id)
    skill = Skill(code="spare_skill", name="备用技能", name_en="Spare skill")
    db.session.add_all([category, skill])
    grid = make_region("River Grid 9", RegionLevel.grid, w.c3, code="310101002001009")
    db.session.flush()
    return {"category": {"kind": "category", "row_id": category.id}, "skill": {"kind": "skill", "row_id": skill.id},
            "region": {"kind": "region", "row_id": grid.id}}


def build_scopes(w) -> dict[str, dict]:
    """Add two of everything to the world; return each object's URL values by its policy name."""
    u = w.users
    u["civilx"] = make_user("civilx", Role.civil_affairs, w.street1)
    u["expertx"] = make_user("expertx", Role.expert, w.street1)
    u["orgnew"] = make_user("orgnew", Role.org_admin, w.street1)
    resident_b = make_resident(w.c3, name="Sun Li")
    need_a = make_need(w.resident, w.visits, status=NeedStatus.submitted, creator=u["resident"], title="Need A")
    need_b = make_need(resident_b, w.visits, status=NeedStatus.submitted, creator=u["staff3"], title="Need B")
    neighbour_need = make_need(make_resident(w.c1, name="Neighbour A"), w.visits, status=NeedStatus.open)
    photos = {f"photo_{x}": intake.attach_photos(need, [("p.png", b"\x89PNG\r\n\x1a\n", "png")], actor=u["admin"])[0]
              for x, need in (("a", need_a), ("b", need_b))}
    for need in (need_a, need_b):   # filed with its photos, so with the consent to them
        consents.record(need.resident, ConsentPurpose.photos, actor=u["admin"], channel=ConsentChannel.staff_in_person,
                        need=need)
    pending_a = make_user("pending_a", Role.volunteer, w.c1, status=AccountStatus.pending)
    pending_b = make_user("pending_b", Role.volunteer, w.c3, status=AccountStatus.pending)
    p = _projects(w, u)
    bid_x = _sealed_bid(p["project_x"], w.org1, w.worker, "123457.00", u["orgadmin"])
    bid_y = _sealed_bid(p["project_y"], w.org2, w.worker2, "98765.43", u["orgadmin2"])
    w.org2.status = OrgStatus.registered  # its admin may still correct the registration
    shift_x = _shift(w.c1, u["worker"], p["running_x"], w.worker, "Shift X")
    shift_y = _shift(w.c3, u["worker2"], p["running_y"], w.worker2, "Shift Y")
    activity_a, activity_b = _shift(w.c1, u["staff1"], title="Activity A"), _shift(w.c3, u["staff3"], title="Activity B")
    volunteer_b = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == u["vol3"].id))
    sign_up_x, sign_up_y = _place(shift_x, w.volunteer), _place(shift_y, volunteer_b)
    contract_x = _contract(p["running_x"], w.org1, u["orgadmin"], u["expertx"])
    contract_y = _contract(p["running_y"], w.org2, u["orgadmin2"])
    feed_owner = make_volunteer(w.c1, make_user("feedowner", Role.volunteer, w.c1), name="Feed Owner")
    feed_secret = calendar.new_token(feed_owner, actor=feed_owner.user)
    runs = {"run_x": _run(w.street1, u["civilx"]), "run_y": _run(w.street2, u["civil2"]),
            "run_sw": _run(w.street1, u["worker"])}
    panel_objects = _panels_and_complaints(w, u, p)
    cases = {"case_a": _case(w.resident, w.worker, "Case A"), "case_b": _case(resident_b, w.worker2, "Case B")}
    case_documents = {f"case_document_{x}": case_services.upload_document(
        cases[f"case_{x}"], actor=owner, title="Consent", file_name="consent.pdf", content=b"%PDF-1.4 consent")
        for x, owner in (("a", u["worker"]), ("b", u["worker2"]))}
    records = _records(w, volunteer_b)
    meetings = _meetings(w, volunteer_b)
    claims = {f"skill_claim_{x}": skill_services.claim(v, w.first_aid, actor=v.user, file_name="first-aid.pdf",
                                                       content=b"%PDF-1.4 certificate")
              for x, v in (("a", w.volunteer), ("b", volunteer_b))}
    identity = _minors_and_days_away(w, volunteer_b)
    visits = _visits(w, u, resident_b)
    taxonomy = _taxonomy(w)
    db.session.commit()
    faulty = sheets.to_csv(imports.headers("en"), [["Faulty", "110105194912310021", w.c1.code, "1-1", "", "", "", "yes"]])
    import_token = imports.keep(u["staff1"], "residents.csv", faulty)
    volunteer_token = imports.keep(u["staff1"], "volunteers.csv", sheets.to_csv(
        imports.headers("en", volunteer_imports.KIND), [["Faulty", "110105194912310021", w.c1.code, "", "", ""]]),
        "volunteers")
    need_token = imports.keep(u["staff1"], "needs.csv", sheets.to_csv(
        imports.headers("en", need_imports.KIND), [["110105194912310021", "x", "t", "", "", "", "", "", "yes"]]),
        "needs")
    return {
        "resident_a": {"resident_id": w.resident.id}, "resident_b": {"resident_id": resident_b.id},
        "area_a": {"area": w.c1.id}, "area_b": {"area": w.c3.id},
        "report_for_a": {"resident": w.resident.id}, "report_for_b": {"resident": resident_b.id},
        "need_a": {"need_id": need_a.id}, "need_b": {"need_id": need_b.id},
        "joinable_a": {"need_id": neighbour_need.id, "resident": w.resident.id},
        "joinable_b": {"need_id": need_b.id, "resident": resident_b.id},
        **{name: {"need_id": photo.need_id, "photo_id": photo.id} for name, photo in photos.items()},
        "pending_a": {"user_id": pending_a.id}, "pending_b": {"user_id": pending_b.id},
        "org_a": {"org_id": w.org1.id}, "org_b": {"org_id": w.org2.id},
        "worker_a": {"worker_id": w.worker.id}, "worker_b": {"worker_id": w.worker2.id},
        **{name: {"project_id": p[name].id} for name in
           ("project_x", "project_y", "draft_x", "draft_y", "closed_x", "closed_y")},
        **panel_objects,
        **records,
        **meetings,
        **identity,
        **visits,
        **taxonomy,
        "bid_x": {"project_id": bid_x.project_id, "bid_id": bid_x.id},
        "bid_y": {"project_id": bid_y.project_id, "bid_id": bid_y.id},
        "for_running_x": {"project": p["running_x"].id}, "for_running_y": {"project": p["running_y"].id},
        "shift_x": {"shift_id": shift_x.id}, "shift_y": {"shift_id": shift_y.id},
        "activity_a": {"shift_id": activity_a.id}, "activity_b": {"shift_id": activity_b.id},
        "sign_up_x": {"shift_id": shift_x.id, "sign_up_id": sign_up_x.id},
        "sign_up_y": {"shift_id": shift_y.id, "sign_up_id": sign_up_y.id},
        "feed": {"token": feed_secret},
        "import_a": {"token": import_token},
        "import_volunteers_a": {"token": volunteer_token}, "import_needs_a": {"token": need_token},
        **{f"resident_consent_{x}": {"resident_id": r.id, "consent_id": r.consents[0].id}
           for x, r in (("a", w.resident), ("b", resident_b))},
        "code_x": {"shift_id": shift_x.id, "token": codes.make(shift_x.id, "in")},
        "code_y": {"shift_id": shift_y.id, "token": codes.make(shift_y.id, "in")},
        **{name: {"run_id": run.id} for name, run in runs.items()},
        **{f"{name}_x": values for name, values in contract_x.items()},
        **{f"{name}_y": values for name, values in contract_y.items()},
        **{name: {"case_id": case.id} for name, case in cases.items()},
        **{name: {"case_id": d.case_id, "document_id": d.id} for name, d in case_documents.items()},
        **{name: {"certificate_id": c.id} for name, c in claims.items()},
        "supervised_a": {"volunteer_id": w.volunteer.id}, "supervised_b": {"volunteer_id": volunteer_b.id},
        "account": {"user_id": pending_a.id}, "setting": {"name": next(iter(settings.REGISTRY))},
        "stylesheet": {"filename": "app.css"},
        "bootstrap_stylesheet": {"filename": "css/bootstrap.min.css"},
    }


def requests(app, scopes) -> list[tuple[str, str, str, str]]:
    """(endpoint, method, object, url) for every declared case: GETs first, log-out last."""
    found = []
    with app.test_request_context():
        for endpoint, route in POLICY.items():
            for obj in route.cases:
                url = url_for(endpoint, **route.args, **(scopes[obj] if obj else {}))
                found += [(endpoint, method, obj, url) for method in route.methods]
    return sorted(found, key=lambda r: (r[0] == LAST, r[1] != "GET"))


def outcome(response, method: str, log_in: str) -> str:
    """The answer's class: ok, moved (a GET sent elsewhere), login (sent to the ``log_in`` page),
    forbidden (403), missing (404), or the code."""
    code = response.status_code
    if 300 <= code < 400:
        target = urlsplit(response.location)
        if target.path == log_in and "next" in parse_qs(target.query):
            return "login"
        return "moved" if method == "GET" else "ok"
    if 200 <= code < 300:
        return "ok"
    return {403: "forbidden", 404: "missing"}.get(code, f"status {code}")


def row_counts() -> tuple:
    """The number of rows of every table, in one query."""
    tables = db.metadata.sorted_tables
    return tuple(db.session.execute(sa.select(*[
        sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in tables])).one())


def _text(response) -> str:
    """The answer as text; a binary file (a certificate's PDF, a need's photo) read as Latin-1, which never fails."""
    if response.mimetype == "application/pdf" or response.mimetype.startswith("image/"):
        return response.get_data().decode("latin-1")
    return response.get_data(as_text=True)


def sealed_prices_shown(role: str, response) -> list[str]:
    own = OWN_ORGANIZATION.get(role)
    page = _text(response)
    return [written for org, forms in SEALED.items() if org != own for written in forms if amount_shown(page, written)]


def unopenable_titles(role: str) -> dict[str, str]:
    """Title → object, for the objects no page of the policy lets ``role`` open."""
    readers = {obj: set() for obj in TITLES}
    for route in POLICY.values():
        for obj, case in route.cases.items():
            if obj in readers and "GET" in route.methods:
                readers[obj] |= case.allowed | (({"anonymous"} - case.missing) if route.public else set())
    return {title: obj for obj, title in TITLES.items() if role not in readers[obj]}


def out_of_scope_named(titles: dict[str, str], response) -> list[str]:
    page = _text(response)
    return sorted(obj for title, obj in titles.items() if title in page)


def test_every_route_is_declared_in_the_policy(app):
    """A route missing from the policy (a new page), a declared route that no longer exists, a method
    not declared, or an unknown role or object fails here."""
    routes: dict[str, set] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    problems = [f"{endpoint}: not declared in tests/web/authz_policy.py" for endpoint in sorted(set(routes) - set(POLICY))]
    problems += [f"{endpoint}: declared but not a route" for endpoint in sorted(set(POLICY) - set(routes))]
    for endpoint, route in POLICY.items():
        if endpoint in routes and set(route.methods) != routes[endpoint]:
            problems.append(f"{endpoint}: methods {sorted(routes[endpoint])}, declared {sorted(route.methods)}")
        for obj, case in route.cases.items():
            if obj is not None and obj not in OBJECTS:
                problems.append(f"{endpoint}: unknown object {obj}")
            problems += [f"{endpoint}: unknown role {role}" for role in (case.allowed | case.missing | case.moved) - set(ROLES)]
        if not any(case.allowed for case in route.cases.values()):
            problems.append(f"{endpoint}: no role may use it, so the matrix cannot prove it works")
    assert not problems, "\n".join(problems)


@pytest.fixture
def scopes(world):
    return build_scopes(world)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_what_the_policy_declares(client, auth, app, world, scopes, role):
    assert set(scopes) == set(OBJECTS) and set(USERNAMES) == set(ROLES)
    if USERNAMES[role]:
        auth.login(USERNAMES[role])
    with app.test_request_context():
        log_in = url_for("auth.login")
    hidden = unopenable_titles(role)
    mismatches, counts = [], None  # counts: the row counts, while nothing has been written since
    for endpoint, method, obj, url in requests(app, scopes):
        want = expected(POLICY[endpoint], obj, role, method)
        refused_post = method == "POST" and want != "ok"
        before = (counts or row_counts()) if refused_post else None
        response = client.open(url, method=method, data={} if method == "POST" else None)
        got = outcome(response, method, log_in)
        counts = row_counts() if refused_post else None
        case = f"{method} {url} ({endpoint}{' on ' + obj if obj else ''})"
        if got != want:
            mismatches.append(f"{case}: policy says {want}, got {got}")
        elif refused_post and counts != before:
            mismatches.append(f"{case}: refused but wrote rows")
        if got == "ok" and sealed_prices_shown(role, response):
            mismatches.append(f"{case}: shows another organization's sealed bid price "
                              f"{sealed_prices_shown(role, response)}")
        if got == "ok" and out_of_scope_named(hidden, response):
            mismatches.append(f"{case}: names {out_of_scope_named(hidden, response)}, which it may not open")
        response.close()
    assert not mismatches, f"{role} ({ROLES[role]}):\n" + "\n".join(mismatches)
