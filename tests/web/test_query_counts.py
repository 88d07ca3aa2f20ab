"""No query per row: a list page runs as many SQL statements for 40 rows as for 5.

For each main list page and each role that uses it, the page is requested with a small world
(5 rows of the listed kind in the role's scope) and again after 35 more rows were added; the
number of statements the request ran (SQLAlchemy ``before_cursor_execute`` on ``db.engine``,
between Flask's ``request_started`` and ``request_finished``) may grow by at most ``SLACK``.
Every added row points at related rows of its own (its own resident, category, skill, lead,
organization, creator...), so a lazy load per row cannot hide behind the session's identity map.
"""
from __future__ import annotations

import itertools
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import request_finished, request_started, url_for

from linkage import audit
from linkage.extensions import db
from linkage.models import (AccountStatus, Bid, BidStatus, Case, CaseApproval, CaseNote, CaseReferral, CaseStage,
                            CaseStatus, CaseTransfer, Category, Feedback, HoursStatus, MatchKind,
                            MatchRun, MatchStatus, Need, NeedStatus, Notification, Organization, OrgStatus,
                            OrgType, Project, ProjectStatus, Region, RegionLevel, Resident, Role, Shift,
                            ShiftSlot, ShiftStatus, SignUp, SignUpStatus, Skill, SocialWorker, User,
                            Volunteer, VolunteerStatus, VulnerableTag, WorkerLevel, NoteKind)
from linkage.models.types import utcnow
from linkage.security import blind_index, encrypt
from tests.factories import make_credit_code, make_region, make_resident_id, set_born

FEW, MANY = 5, 40
SLACK = 2          # a page may run a couple more statements (e.g. a pager's extra query), never one per row
WORLD_ROLES = ["admin", "civil", "staff1", "grid", "orgadmin", "worker", "vol", "resident", "expert",
               "observer"]

_seq = itertools.count(1)


@pytest.fixture
def app_config():
    return {"PER_PAGE": 100}   # every added row on one page


# --------------------------------------------------------------------------- builders (flush, never commit)

def _n() -> int:
    return next(_seq)


def _user(role: Role, region: Region | None, org: Organization | None = None,
          status: AccountStatus = AccountStatus.active) -> User:
    n = _n()
    return User(username=f"qc{n}", display_name=f"QC person {n}", role=role, region=region, organization=org,
                status=status, password_hash="not-a-hash")


def _category(parent: Category) -> Category:
    n = _n()
    return Category(code=f"{parent.code}.qc{n}", name=f"类别{n}", name_en=f"Category {n}",
                    level=parent.level + 1, parent=parent)


def _skill() -> Skill:
    n = _n()
    return Skill(code=f"qc_skill_{n}", name=f"技能{n}", name_en=f"Skill {n}")


def _resident(region: Region, *, with_account: bool = False) -> Resident:
    n = _n()
    number = make_resident_id(date(1940 + n % 50, 1 + n % 12, 1 + n % 28), n % 1000)
    resident = Resident(name=f"QC resident {n}", region=region, latitude=region.latitude,
                        longitude=region.longitude, address=f"{n} Plum Road",
                        id_number_encrypted=encrypt(number), id_number_index=blind_index(number),
                        user=_user(Role.resident, region) if with_account else None)
    resident.tags = ([VulnerableTag.elderly_alone] if n % 2
                     else [VulnerableTag.disabled, VulnerableTag.special_hardship])
    return resident


def _org(region: Region, **fields) -> Organization:
    n = _n()
    return Organization(name=f"QC organization {n}", credit_code=make_credit_code(100000 + n),
                        org_type=OrgType.social_service_institution, grade=n % 6, founded_on=date(2012, 1, 1),
                        grade_awarded_on=date.today() - timedelta(days=300), region=region, capacity=5,
                        **{"status": OrgStatus.active, **fields})


def _project(w, region: Region, status: ProjectStatus, creator: User | None = None) -> Project:
    n = _n()
    return Project(title=f"QC project {n}", region=region, status=status, budget=Decimal(100000 + n),
                   service_start=date.today() + timedelta(days=10),
                   service_end=date.today() + timedelta(days=300),
                   bidding_deadline=utcnow() + timedelta(days=10),
                   created_by=creator or _user(Role.civil_affairs, w.district),
                   categories=[_category(w.care)], published_at=utcnow() - timedelta(days=1))


def _volunteer(region: Region) -> Volunteer:
    n = _n()
    volunteer = Volunteer(name=f"QC volunteer {n}", region=region, latitude=region.latitude,
                          longitude=region.longitude, status=VolunteerStatus.active, skills=[_skill()],
                          user=_user(Role.volunteer, region))
    set_born(volunteer, date(1990, 1, 1))
    return volunteer


def add_needs(w, n: int) -> None:
    """Needs in the grid (so in every staff scope), and needs of the world's own resident."""
    statuses = [NeedStatus.open, NeedStatus.submitted, NeedStatus.matched, NeedStatus.in_service,
                NeedStatus.delivered]
    rows = []
    for i in range(n):
        staff = _user(Role.community_staff, w.c1)
        resident = _resident(w.grid1, with_account=bool(i % 2))
        project = _project(w, w.street1, ProjectStatus.in_progress) if i % 2 else None
        rows.append(Need(resident=resident, category=_category(w.visits), region=w.grid1,
                         title=f"QC need {_n()}", urgency=1 + i % 4, status=statuses[i % len(statuses)],
                         created_by=staff,
                         skills=[_skill()], project=project, latitude=31.23, longitude=121.47))
        own = Need(resident=w.resident, category=_category(w.visits), region=w.resident.region,
                   title=f"QC own need {_n()}", urgency=1 + i % 4,
                   status=[*statuses, NeedStatus.closed][i % 6], created_by=w["resident"], skills=[_skill()],
                   project=project)
        if own.status == NeedStatus.closed:
            own.feedback = Feedback(rating=5, comment="Good", created_by_id=w["resident"].id)
        rows.append(own)
    db.session.add_all(rows)
    db.session.flush()


def add_residents(w, n: int) -> None:
    db.session.add_all([_resident(w.grid1, with_account=bool(i % 2)) for i in range(n)])
    db.session.flush()


def add_organizations(w, n: int) -> None:
    statuses = [OrgStatus.active, OrgStatus.registered, OrgStatus.suspended, OrgStatus.blacklisted]
    for i in range(n):
        org = _org(w.street1, status=statuses[i % len(statuses)], categories=[_category(w.care)])
        db.session.add(org)
        db.session.add_all([
            SocialWorker(organization=org, name=f"QC worker {_n()}", level=WorkerLevel.senior,
                         user=_user(Role.social_worker, w.street1, org)),
            SocialWorker(organization=org, name=f"QC worker {_n()}", level=WorkerLevel.assistant),
            _user(Role.org_admin, w.street1, org)])
    db.session.flush()


def add_projects(w, n: int) -> None:
    """Published projects across the first street (visible to org1's people), with bids."""
    regions = [w.street1, w.c1, w.c2, w.grid1]
    for i in range(n):
        project = _project(w, regions[i % len(regions)], ProjectStatus.published)
        other = _org(w.street1)
        team = [SocialWorker(organization=other, name=f"QC worker {_n()}", level=WorkerLevel.social_worker)]
        bids = [Bid(project=project, organization=other, price=Decimal(90000), status=BidStatus.submitted,
                    no_violation_declared=True, submitted_at=utcnow(), team=team)]
        if i % 2 == 0:
            bids.append(Bid(project=project, organization=w.org1, price=Decimal(95000),
                            status=BidStatus.submitted, no_violation_declared=True, submitted_at=utcnow(),
                            team=[w.worker]))
        db.session.add_all([project, *bids])
        project.needs = [Need(resident=_resident(w.c1), category=_category(w.visits), region=w.c1,
                              title=f"QC need {_n()}", status=NeedStatus.open)]
    db.session.flush()


def add_shifts(w, n: int) -> None:
    """Upcoming shifts in the first community led by org1's social workers (half under an awarded project),
    the world's volunteer signed up for each, and as many past shifts with hours recorded."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for i in range(n):
        project = None
        if i % 2 == 0:
            project = _project(w, w.street1, ProjectStatus.in_progress)
            db.session.add(Bid(project=project, organization=w.org1, price=Decimal(90000),
                               status=BidStatus.won, no_violation_declared=True, submitted_at=utcnow()))
        for past in (False, True):
            offset = timedelta(days=-2 - i % 5, hours=-i) if past else timedelta(days=1 + i % 5, hours=i)
            start = now + offset
            lead = SocialWorker(organization=w.org1, name=f"QC lead {_n()}", level=WorkerLevel.social_worker,
                                user=_user(Role.social_worker, w.street1, w.org1))
            slots = [ShiftSlot(position=0, skill=_skill(), count=3),
                     ShiftSlot(position=1, skill=None, count=2)]
            shift = Shift(title=f"QC shift {_n()}", region=w.c1, project=project, lead=lead, start=start,
                          end=start + timedelta(hours=2), place="Community center", slots=slots,
                          status=ShiftStatus.done if past else ShiftStatus.open,
                          created_by=_user(Role.community_staff, w.c1),
                          needs=[Need(resident=_resident(w.c1), category=_category(w.visits), region=w.c1,
                                      title=f"QC need {_n()}", status=NeedStatus.matched)])
            mine = SignUp(shift=shift, volunteer=w.volunteer, slot=slots[1], status=SignUpStatus.assigned)
            other_status = [SignUpStatus.assigned, SignUpStatus.waitlisted, SignUpStatus.requested][i % 3]
            other = SignUp(shift=shift, volunteer=_volunteer(w.c1), slot=slots[0], status=other_status)
            if past:
                mine.status, mine.minutes = SignUpStatus.checked_out, 110 + i
                mine.checked_in_at, mine.checked_out_at = start, start + timedelta(minutes=110 + i)
                mine.hours_status = [HoursStatus.approved, HoursStatus.pending, HoursStatus.declined][i % 3]
            db.session.add_all([shift, mine, other])
    db.session.flush()


def add_accounts(w, n: int) -> None:
    """Self-registered people waiting for verification in the first community."""
    for i in range(n):
        user = _user([Role.volunteer, Role.resident][i % 2], w.c1, status=AccountStatus.pending)
        if user.role == Role.volunteer:
            db.session.add(Volunteer(user=user, name=user.display_name, region=w.c1,
                                     status=VolunteerStatus.pending))
        else:
            db.session.add(Resident(user=user, name=user.display_name, region=w.c1))
        db.session.add(user)
    db.session.flush()


def add_audit_events(w, n: int) -> None:
    for _ in range(n):
        actor = _user(Role.community_staff, w.c1)
        resident = _resident(w.c1)
        db.session.add_all([actor, resident])
        db.session.flush()
        audit.record(actor, "resident.register", resident, after={"name": resident.name})


def add_match_runs(w, n: int) -> None:
    """Runs by the district's civil affairs staff and by the social worker, each in its own community."""
    for i in range(n):
        region = make_region(f"QC community {_n()}", RegionLevel.community, w.street1, code=f"QC{_n():06d}")
        kind = [MatchKind.shifts, MatchKind.award, MatchKind.cases][i % 3]
        status = [MatchStatus.proposed, MatchStatus.approved, MatchStatus.rejected][i % 3]
        for creator in (w["civil"], w["worker"]):
            db.session.add(MatchRun(kind=kind, status=status, region=region, created_by=creator,
                                    objective=100 + i, bound=110 + i,
                                    decided_by=w["civil"] if i % 3 else None))

    db.session.flush()


def add_notifications(w, n: int) -> None:
    db.session.add_all([Notification(user_id=user.id, kind="shift_assigned", link_endpoint="shifts.index",
                                     link_args={}, params={"title": f"QC {i}", "start": "2026-12-01T01:00:00+00:00"})
                        for user in w.users.values() for i in range(n)])

    db.session.flush()


def add_cases(w, n: int) -> None:
    """Per row: a case of the world's social worker (a note, a referral to another organization's worker
    nobody answered, each with its own resident and need), and a case of an assistant social worker of the
    same organization (so the world's worker supervises it) waiting for approval, referred to and offered
    to the world's worker, with an overdue assessment."""
    moment = utcnow()
    for _ in range(n):
        other_org = Organization(name=f"QC org {_n()}", credit_code=make_credit_code(90000 + _n()),
                                 org_type=OrgType.social_service_institution, founded_on=date(2015, 1, 1),
                                 status=OrgStatus.active, region=w.street1)
        helper = SocialWorker(organization=other_org, name=f"QC helper {_n()}", level=WorkerLevel.social_worker,
                              user=_user(Role.social_worker, w.street1, other_org))
        assistant = SocialWorker(organization=w.org1, name=f"QC assistant {_n()}", level=WorkerLevel.assistant,
                                 user=_user(Role.social_worker, w.street1, w.org1))
        for owner in (w.worker, assistant):
            resident = Resident(name=f"QC resident {_n()}", region=w.c1)
            need = Need(resident=resident, category=w.visits, region=w.c1, title=f"QC case need {_n()}",
                        status=NeedStatus.matched, needs_professional=True, case_worker=owner)
            case = Case(resident=resident, organization=w.org1, owner=owner, region_id=w.c1.id,
                        title=f"QC case {_n()}", stage=CaseStage.assessment, status=CaseStatus.open,
                        opened_at=moment - timedelta(days=9), assessment_due=moment - timedelta(days=2),
                        needs=[need])
            case.notes.append(CaseNote(kind=NoteKind.visit, happened_at=moment, text="QC note",
                                       author=owner.user))
            db.session.add(case)
            if owner is w.worker:
                case.referrals.append(CaseReferral(worker=helper, reason="QC", requested_by=owner.user,
                                                   requested_at=moment - timedelta(days=10)))
            else:
                case.approvals.append(CaseApproval(stage=CaseStage.assessment, summary="QC",
                                                   requested_by=owner.user, requested_at=moment))
                case.referrals.append(CaseReferral(worker=w.worker, reason="QC", requested_by=owner.user,
                                                   requested_at=moment))
                case.transfers.append(CaseTransfer(from_worker=owner, to_worker=w.worker, reason="QC",
                                                   requested_by=owner.user, requested_at=moment))


EVERYTHING = [add_needs, add_residents, add_organizations, add_projects, add_shifts, add_accounts,
              add_audit_events, add_match_runs, add_notifications, add_cases]


# endpoint -> (roles (world usernames) whose list it is, builders that add rows it lists)
PAGES = {
    "community.needs": (["staff1", "grid", "civil", "observer"], [add_needs]),
    "community.residents": (["staff1", "grid"], [add_residents]),
    "needs.mine": (["resident"], [add_needs]),
    "organizations.index": (["civil", "observer", "admin"], [add_organizations]),
    "projects.index": (["civil", "orgadmin", "worker", "observer", "expert", "admin"], [add_projects]),
    "shifts.index": (["staff1", "worker", "vol", "civil"], [add_shifts]),
    "volunteers.my_shifts": (["vol"], [add_shifts]),
    "volunteers.hours": (["vol"], [add_shifts]),
    "community.accounts": (["staff1", "civil"], [add_accounts]),
    "matching.index": (["civil", "worker"], [add_match_runs]),
    "cases.index": (["worker", "orgadmin"], [add_cases]),
    "admin.users": (["admin"], [add_accounts, add_organizations]),
    "admin.audit": (["admin", "civil"], [add_audit_events]),
    "main.notifications": (WORLD_ROLES, [add_notifications]),
    "main.home": (WORLD_ROLES, EVERYTHING),
}
CASES = [pytest.param(endpoint, username, id=f"{endpoint}-{username}")
         for endpoint, (usernames, _builders) in PAGES.items() for username in usernames]


# --------------------------------------------------------------------------- counting

class StatementCounter:
    """Counts the SQL statements the engine runs while a request is being handled."""

    def __init__(self):
        self.active = False
        self.statements: list[str] = []

    def on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.statements.append(statement)

    def on_request_started(self, sender, **extra):
        self.active = True

    def on_request_finished(self, sender, response, **extra):
        self.active = False


@contextmanager
def counting(app):
    counter = StatementCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter.on_execute)
    request_started.connect(counter.on_request_started, app)
    request_finished.connect(counter.on_request_finished, app)
    try:
        yield counter
    finally:
        request_finished.disconnect(counter.on_request_finished, app)
        request_started.disconnect(counter.on_request_started, app)
        sa.event.remove(db.engine, "before_cursor_execute", counter.on_execute)


def repeated(statements: list[str]) -> str:
    """The statements run more than once, shortened, with how often (what an N+1 looks like)."""
    counts = Counter(" ".join(s.split())[:160] for s in statements)
    return "; ".join(f"{n} × {s}" for s, n in counts.most_common() if n > 1) or "none"


def grow(builders, w, n: int) -> None:
    # Objects are wired up before they are added; an autoflush halfway would warn (warnings are errors).
    with db.session.no_autoflush:
        for build in builders:
            build(w, n)
    db.session.commit()


def measure(app, client, url):
    """(status, statements run, body length) for one GET of ``url``."""
    db.session.commit()
    with counting(app) as counter:
        response = client.get(url)
    return response.status_code, counter.statements, len(response.get_data())


@pytest.mark.parametrize(("endpoint", "username"), CASES)
def test_list_page_runs_no_query_per_row(app, client, auth, world, endpoint, username):
    if endpoint not in app.view_functions:
        pytest.skip(f"{endpoint} is not built yet")
    _roles, builders = PAGES[endpoint]
    grow(builders, world, FEW)
    auth.login(username)
    with app.test_request_context():
        url = url_for(endpoint)
    client.get(url)  # warm-up: anything cached per process is loaded once
    status, few, size_few = measure(app, client, url)
    assert status == 200, f"{endpoint} as {username}: {status}"
    grow(builders, world, MANY - FEW)
    status, many, size_many = measure(app, client, url)
    assert status == 200
    assert len(many) <= len(few) + SLACK, (
        f"{endpoint} as {username}: {len(few)} statements with {FEW} rows, {len(many)} with {MANY}; "
        f"repeated statements: {repeated(many)}")
    if endpoint != "main.home":
        assert size_many > size_few, f"{endpoint} as {username} did not list the added rows"


# --------------------------------------------------------------------------- the sign-up rush: fixed budgets

# Statements of one sign-up POST (a place taken, uncontended) and of a volunteer's shift list and home page.
# Lowered as the requests were trimmed (docs/benchmarks.md, "Sign-up rush"): a statement more fails here.
# PostgreSQL adds the audit chain's advisory lock; SQLite adds its BEGIN IMMEDIATE per transaction.
BUDGETS = {
    "sign-up": {"postgresql": 17, "sqlite": 17},
    # The list shows only the shifts a volunteer may take: the rule reads, once for the whole list, their
    # skills, places held, certificates, guardian's consent and days away, and the regions of their street.
    "shift list": {"postgresql": 17, "sqlite": 18},
    # With today's tasks: the volunteer record, their shifts soon, places offered to them, decisions of
    # joint meetings due.
    "home": {"postgresql": 8, "sqlite": 9},
}


def _budget(what: str) -> int:
    return BUDGETS[what][db.engine.dialect.name]


def test_a_sign_up_stays_within_its_statement_budget(app, client, auth, world):
    from tests.factories import make_shift

    shift = make_shift(world.c1, slots=((None, 5),), title="Budgeted shift")
    db.session.commit()
    auth.login("vol")
    client.get(f"/shifts/{shift.id}")
    db.session.commit()
    with counting(app) as counter:
        response = client.post(f"/shifts/{shift.id}/sign-up")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(SignUp.status).where(SignUp.shift_id == shift.id)) == SignUpStatus.assigned
    assert len(counter.statements) <= _budget("sign-up"), "\n".join(
        " ".join(s.split())[:120] for s in counter.statements)
    # Nothing is read again after the commit (the flash message comes from the sign-up as written).
    assert "INSERT INTO audit_events" in counter.statements[-1]


def test_the_audit_chain_lock_is_taken_last(app, client, auth, world):
    """PostgreSQL: the chain's advisory lock comes after the request's work and the row seals; only the
    chain's tip and the events' insert run while it is held."""
    from tests.factories import make_shift

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    shift = make_shift(world.c1, slots=((None, 5),), title="Budgeted shift")
    db.session.commit()
    auth.login("vol")
    with counting(app) as counter:
        client.post(f"/shifts/{shift.id}/sign-up")
    locked = next(i for i, s in enumerate(counter.statements) if "pg_advisory_xact_lock" in s)
    held = counter.statements[locked + 1:]
    assert len(held) == 2 and "FROM audit_events" in held[0] and "INSERT INTO audit_events" in held[1], held
    assert any("INSERT INTO row_seals" in s for s in counter.statements[:locked])


@pytest.mark.parametrize(("what", "url"), [("shift list", "/shifts/"), ("home", "/")])
def test_a_volunteers_pages_stay_within_their_statement_budget(app, client, auth, world, what, url):
    grow([add_shifts], world, FEW)
    auth.login("vol")
    client.get(url)
    status, statements, _size = measure(app, client, url)
    assert status == 200
    assert len(statements) <= _budget(what), "\n".join(" ".join(s.split())[:120] for s in statements)
