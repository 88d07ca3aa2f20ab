"""Organization rules: registration, the credit code, grades, verification and credit status, social workers.

Every function takes the acting user, flushes and never commits; a refused action raises
``Refused`` before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, settings
from linkage.auth.services import UsernameTaken, create_user, end_sessions
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import credit_code_problem
from linkage.models import (AccountStatus, Category, Organization, OrgStatus, OrgType, Region, RegionLevel,
                            Role, SocialWorker, User, WorkerLevel)
from linkage.notifications import link, notify
from linkage.organizations.access import can_register_organization
from linkage.organizations.queries import civil_affairs_covering, organization_users
from linkage.timeutil import now, today

FORBIDDEN_CODE_LETTERS = "IOSVZ"
CIVIL_AFFAIRS_DEPARTMENT = "5"   # position 1 of the code: registered with civil affairs
GRADE_AFTER_YEARS = 2            # an organization can be graded two years after founding
GRADE_VALID_YEARS = 5
MAX_CAPACITY = 100
_STATUS_FIELDS = ("status", "status_reason")


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- input rules


def normalize_credit_code(code: str) -> str:
    return (code or "").strip().upper()


def credit_code_message(code: str, org_type: Optional[OrgType]):
    """Why ``code`` is not acceptable for an organization of ``org_type`` (GB 32100-2015), or None."""
    code = normalize_credit_code(code)
    problem = credit_code_problem(code)
    if problem == "length":
        return _l("A unified social credit code has 18 characters; this one has %(n)s.", n=len(code))
    if problem == "characters":
        forbidden = "".join(sorted({ch for ch in code if ch in FORBIDDEN_CODE_LETTERS}))
        if forbidden:
            return _l("The letters I, O, S, V and Z never occur in a credit code (found: %(chars)s); "
                      "they are often typed for 1, 0, 5, U and 2.", chars=", ".join(forbidden))
        return _l("Only digits and capital letters may occur in a credit code.")
    if problem == "check":
        return _l("The last character (the check character) does not match the first 17: "
                  "there is a typo in the code.")
    if code[0] != CIVIL_AFFAIRS_DEPARTMENT:
        return _l("Position 1 is %(found)s, but organizations registered with civil affairs have 5 there.",
                  found=code[0])
    types = {t.value: t for t in OrgType}
    if code[1] not in types:
        return _l("Position 2 is %(found)s; it must be 1 (social group), 2 (social service institution), "
                  "3 (foundation) or 9 (other).", found=code[1])
    if org_type is not None and types[code[1]] != org_type:
        return _l("Position 2 of the code (%(found)s) means \"%(code_type)s\", but the type chosen is "
                  "\"%(chosen)s\".", found=code[1], code_type=types[code[1]].label, chosen=org_type.label)
    return None


def founding_message(founded_on: Optional[date], day: date):
    if founded_on is not None and founded_on > day:
        return _l("The founding date cannot be in the future.")
    return None


def grade_message(grade: int, awarded_on: Optional[date], founded_on: Optional[date], day: date):
    """Why the evaluation grade and its date do not fit together, or None (grade 0 = not graded)."""
    if not grade:
        return None
    if awarded_on is None:
        return _l("Enter the date the grade was awarded.")
    if awarded_on > day:
        return _l("The grade date cannot be in the future.")
    if founded_on is not None and awarded_on < add_years(founded_on, GRADE_AFTER_YEARS):
        return _l("An organization can be graded two years after founding, so not before %(day)s.",
                  day=add_years(founded_on, GRADE_AFTER_YEARS).isoformat())
    expiry = add_years(awarded_on, GRADE_VALID_YEARS)
    if expiry <= day:
        return _l("This grade expired on %(day)s (grades are valid five years): choose \"Not graded\" or "
                  "enter the current grade.", day=expiry.isoformat())
    return None


@dataclass
class OrganizationData:
    name: str
    credit_code: str
    org_type: OrgType
    founded_on: date
    region: Region
    grade: int = 0
    grade_awarded_on: Optional[date] = None
    categories: list[Category] = field(default_factory=list)
    address: str = ""
    contact_phone: str = ""
    description: str = ""
    capacity: int = 4


def _check_organization(data: OrganizationData, existing: Optional[Organization]) -> None:
    day = today()
    if not (data.name or "").strip():
        raise Refused(_l("Enter the organization's registered name."), field="name")
    for name, message in (("credit_code", credit_code_message(data.credit_code, data.org_type)),
                          ("founded_on", founding_message(data.founded_on, day)),
                          ("grade_awarded_on", grade_message(data.grade, data.grade_awarded_on,
                                                             data.founded_on, day))):
        if message is not None:
            raise Refused(message, field=name)
    if not 0 <= data.grade <= 5:
        raise Refused(_l("Choose a grade from 1A to 5A, or \"Not graded\"."), field="grade")
    if data.region is None or data.region.level not in (RegionLevel.street, RegionLevel.community):
        raise Refused(_l("The service area is a street or a community."), field="region")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise Refused(_l("Capacity is between 1 and %(max)s workload units.", max=MAX_CAPACITY),
                      field="capacity")
    code = normalize_credit_code(data.credit_code)
    clash = db.session.scalar(sa.select(Organization.id).where(Organization.credit_code == code))
    if clash is not None and (existing is None or clash != existing.id):
        raise Refused(_l("An organization with this credit code is already registered."), field="credit_code")


def _apply(org: Organization, data: OrganizationData) -> None:
    org.name = data.name.strip()
    org.credit_code = normalize_credit_code(data.credit_code)
    org.org_type = data.org_type
    org.founded_on = data.founded_on
    org.grade = data.grade
    org.grade_awarded_on = data.grade_awarded_on if data.grade else None
    org.region = data.region
    org.categories = list(data.categories)
    org.address = (data.address or "").strip()
    org.contact_phone = (data.contact_phone or "").strip()
    org.description = (data.description or "").strip()
    org.capacity = data.capacity


_AUDITED = ("name", "credit_code", "org_type", "founded_on", "grade", "grade_awarded_on", "region_id",
            "capacity", "status")


# --------------------------------------------------------------------------- registration


def register_organization(user: User, data: OrganizationData, *, actor: User) -> Organization:
    """An organization admin registers their organization; it waits for civil affairs to verify it."""
    if not can_register_organization(user):
        raise Refused(_l("This account already belongs to an organization."))
    _check_organization(data, None)
    org = Organization(status=OrgStatus.registered)
    _apply(org, data)
    db.session.add(org)
    db.session.flush()
    user.organization_id = org.id
    audit.record(actor, "organization.register", org, after=audit.snapshot(org, *_AUDITED))
    notify(civil_affairs_covering(org.region), "org_registered",
           link=link("organizations.detail", org_id=org.id), name=org.name)
    return org


def update_organization(org: Organization, data: OrganizationData, *, actor: User) -> None:
    """Correct the registration while it waits for verification; a rejected one is submitted again."""
    if org.status not in (OrgStatus.registered, OrgStatus.rejected):
        raise Refused(_l("A verified organization's registration data can only be changed by civil affairs."))
    _check_organization(data, org)
    before = audit.snapshot(org, *_AUDITED)
    resubmitted = org.status == OrgStatus.rejected
    _apply(org, data)
    if resubmitted:
        org.status, org.status_reason = OrgStatus.registered, ""
    db.session.flush()
    audit.record(actor, "organization.resubmit" if resubmitted else "organization.update", org,
                 before=before, after=audit.snapshot(org, *_AUDITED))
    if resubmitted:
        notify(civil_affairs_covering(org.region), "org_registered",
               link=link("organizations.detail", org_id=org.id), name=org.name)


# --------------------------------------------------------------------------- status changes

# verb: (statuses it starts from, status it leads to, reason required, notification kind)
TRANSITIONS = {
    "verify": ((OrgStatus.registered,), OrgStatus.active, False, "org_verified"),
    "reject": ((OrgStatus.registered,), OrgStatus.rejected, True, "org_rejected"),
    "suspend": ((OrgStatus.active,), OrgStatus.suspended, True, "org_suspended"),
    "blacklist": ((OrgStatus.active, OrgStatus.suspended), OrgStatus.blacklisted, True, "org_blacklisted"),
    "reinstate": ((OrgStatus.suspended, OrgStatus.blacklisted), OrgStatus.active, False, "org_reinstated"),
}


def allowed_actions(org: Organization) -> list[str]:
    """The status changes civil affairs may make now, in a stable order."""
    return [verb for verb, (sources, *_rest) in TRANSITIONS.items() if org.status in sources]


def change_status(org: Organization, verb: str, reason: str, *, actor: User) -> None:
    """Apply one of ``TRANSITIONS`` (verify, reject, suspend, blacklist, reinstate) with its reason."""
    sources, target, reason_required, kind = TRANSITIONS[verb]
    reason = (reason or "").strip()
    if org.status not in sources:
        raise Refused(_l("This cannot be done while the organization is \"%(status)s\".",
                         status=org.status.label))
    if reason_required and not reason:
        raise Refused(_l("Give the reason; the organization is told."), field="reason")
    before = audit.snapshot(org, *_STATUS_FIELDS)
    org.status = target
    org.status_reason = reason
    if verb == "verify":
        org.verified_at = now()
    db.session.flush()
    audit.record(actor, f"organization.{verb}", org, before=before,
                 after=audit.snapshot(org, *_STATUS_FIELDS), note=reason)
    if verb == "verify":  # the admins who registered it were waiting for this to take part
        for user in organization_users(org):
            if user.status == AccountStatus.pending:
                before = audit.snapshot(user, "status")
                user.status = AccountStatus.active
                audit.record(actor, "user.verify", user, before=before, after=audit.snapshot(user, "status"),
                             note=org.name)
    members = organization_users(org, Role.org_admin, Role.social_worker)
    notify(members, kind, link=link("organizations.mine"), name=org.name, reason=reason)


def verify_organization(org: Organization, *, actor: User) -> None:
    """Civil affairs checked the registration: the organization is active, its pending admins too."""
    change_status(org, "verify", "", actor=actor)


def reject_organization(org: Organization, reason: str, *, actor: User) -> None:
    change_status(org, "reject", reason, actor=actor)


def suspend_organization(org: Organization, reason: str, *, actor: User) -> None:
    change_status(org, "suspend", reason, actor=actor)


def blacklist_organization(org: Organization, reason: str, *, actor: User) -> None:
    """A bad credit record: the organization may no longer bid."""
    change_status(org, "blacklist", reason, actor=actor)


def reinstate_organization(org: Organization, note: str, *, actor: User) -> None:
    change_status(org, "reinstate", note, actor=actor)


# --------------------------------------------------------------------------- social workers


@dataclass
class WorkerData:
    name: str
    level: WorkerLevel
    certificate_no: str = ""
    caseload_limit: Optional[int] = None   # None: the CASELOAD_LIMIT setting


def _check_worker(data: WorkerData) -> WorkerData:
    """Refuse a worker that breaks a rule; return the data with the default caseload filled in."""
    if data.caseload_limit is None:
        data = replace(data, caseload_limit=settings.get("CASELOAD_LIMIT"))
    if not (data.name or "").strip():
        raise Refused(_l("Enter the social worker's name."), field="name")
    if not 1 <= data.caseload_limit <= 200:
        raise Refused(_l("The caseload limit is between 1 and 200 cases."), field="caseload_limit")
    return data


_WORKER_FIELDS = ("name", "level", "certificate_no", "caseload_limit", "active")


def add_social_worker(org: Organization, data: WorkerData, *, actor: User) -> SocialWorker:
    data = _check_worker(data)
    worker = SocialWorker(organization=org, name=data.name.strip(), level=data.level,
                          certificate_no=(data.certificate_no or "").strip() or None,
                          caseload_limit=data.caseload_limit, active=True)
    db.session.add(worker)
    db.session.flush()
    audit.record(actor, "social_worker.add", worker, after=audit.snapshot(worker, *_WORKER_FIELDS),
                 region_id=org.region_id)
    return worker


def update_social_worker(worker: SocialWorker, data: WorkerData, *, actor: User) -> None:
    data = _check_worker(data)
    before = audit.snapshot(worker, *_WORKER_FIELDS)
    worker.name = data.name.strip()
    worker.level = data.level
    worker.certificate_no = (data.certificate_no or "").strip() or None
    worker.caseload_limit = data.caseload_limit
    db.session.flush()
    audit.record(actor, "social_worker.update", worker, before=before,
                 after=audit.snapshot(worker, *_WORKER_FIELDS), region_id=worker.organization.region_id)
    if worker.user is not None and worker.user.display_name != worker.name:
        worker.user.display_name = worker.name


def create_worker_login(worker: SocialWorker, username: str, password: str, *, actor: User) -> User:
    """A log-in for a social worker of a verified organization: active at once, tied to the organization."""
    org = worker.organization
    if org.status != OrgStatus.active:
        raise Refused(_l("Log-ins for social workers can be created once the organization is verified and "
                         "active."))
    if not worker.active:
        raise Refused(_l("This social worker is deactivated."))
    if worker.user_id is not None:
        raise Refused(_l("This social worker already has a log-in."), field="username")
    if len(password or "") < 8:
        raise Refused(_l("Use at least 8 characters."), field="password")
    try:
        user = create_user(username=username, password=password, display_name=worker.name,
                           role=Role.social_worker, region=org.region, actor=actor,
                           status=AccountStatus.active, organization_id=org.id)
    except UsernameTaken:
        raise Refused(_l("This username is taken; choose another."), field="username") from None
    worker.user = user
    db.session.flush()
    audit.record(actor, "social_worker.login", worker, after={"user_id": user.id, "username": user.username},
                 region_id=org.region_id)
    return user


def set_social_worker_active(worker: SocialWorker, active: bool, *, actor: User) -> None:
    """Deactivate a social worker who left (their log-in is suspended too), or take them back."""
    if worker.active == active:
        raise Refused(_l("Nothing to change."))
    before = audit.snapshot(worker, "active")
    worker.active = active
    if worker.user is not None:
        user_before = audit.snapshot(worker.user, "status")
        worker.user.status = AccountStatus.active if active else AccountStatus.suspended
        if not active:
            end_sessions(worker.user)
        audit.record(actor, "user.activate" if active else "user.suspend", worker.user, before=user_before,
                     after=audit.snapshot(worker.user, "status"))
    db.session.flush()
    audit.record(actor, "social_worker.activate" if active else "social_worker.deactivate", worker,
                 before=before, after=audit.snapshot(worker, "active"),
                 region_id=worker.organization.region_id)
