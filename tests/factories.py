"""Test data builders: plain functions with sensible defaults; every one flushes, none commits."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from linkage.extensions import db
from linkage.identifiers import compose_resident_id, credit_code_check_char
from linkage.models import (AccountStatus, Availability, Bid, BidStatus, Category, ConsentChannel, ConsentPurpose,
                            GuardianConsent, Need, NeedStatus, ResidentConsent,
                            Organization, OrgStatus, OrgType, Project, ProjectStatus, ProofSource, ProofStatus, Region,
                            RegionLevel, Resident, Role, Shift, ShiftSlot, Skill, SkillCertificate, SocialWorker, User,
                            Volunteer, VolunteerStatus, WorkerLevel)
from linkage.records import numbers
from linkage.security import blind_index, encrypt, hash_password

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)
_password_hash_cache: dict[str, str] = {}


def now() -> datetime:
    return datetime.now(timezone.utc)


def make_region(name, level, parent=None, lat=31.23, lon=121.47, code=None):
    region = Region(name=name, name_en=name, level=level, parent=parent, code=code or f"R{next(_seq):05d}",
                    latitude=lat, longitude=lon)
    db.session.add(region)
    db.session.flush()
    region.set_path()
    db.session.flush()
    return region


def make_user(username, role, region=None, organization=None, status=AccountStatus.active, name=None):
    if PASSWORD not in _password_hash_cache:
        _password_hash_cache[PASSWORD] = hash_password(PASSWORD)
    user = User(username=username, display_name=name or username.title(), role=role, region=region,
                organization=organization, status=status, password_hash=_password_hash_cache[PASSWORD])
    db.session.add(user)
    db.session.flush()
    return user


def make_credit_code(serial: int, org_type: str = "2") -> str:
    body = f"5{org_type}310101MJ{serial:07d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + credit_code_check_char(body)


def make_resident_id(birth: date = date(1950, 5, 17), seq: int = 123) -> str:
    return compose_resident_id("310101", birth, seq)


def make_org(name, region, grade=4, status=OrgStatus.active, capacity=6, founded=date(2015, 3, 1)):
    org = Organization(name=name, credit_code=make_credit_code(next(_seq)), org_type=OrgType.social_service_institution,
                       grade=grade, grade_awarded_on=date.today() - timedelta(days=365), founded_on=founded,
                       status=status, region=region, capacity=capacity)
    db.session.add(org)
    db.session.flush()
    return org


def make_social_worker(org, user=None, name="Worker", level=WorkerLevel.social_worker):
    worker = SocialWorker(organization=org, user=user, name=name, level=level)
    db.session.add(worker)
    db.session.flush()
    return worker


_volunteer_ids = itertools.count(1)


def volunteer_id_number(born: date) -> str:
    """A valid ID number with this birth date, different on every call (the blind index is unique)."""
    n = next(_volunteer_ids)
    return compose_resident_id(f"{320101 + n // 1000}", born, n % 1000)


def set_born(volunteer, born) -> None:
    """Give the volunteer an ID number with this birth date (None: no ID number on file)."""
    if born is None:
        volunteer.id_number_encrypted = volunteer.id_number_index = None
    else:
        volunteer.set_id_number(volunteer_id_number(born))


def give_consent(volunteer, by=None, guardian="Li Hua"):
    """A guardian's consent on file, as staff record it (the document's bytes are not written)."""
    by = by or make_user(f"consent{next(_seq)}", Role.community_staff, volunteer.region)
    consent = GuardianConsent(volunteer=volunteer, guardian_name=guardian, relation="mother", phone="13900000009",
                              file_name="consent.pdf", extension="pdf", stored_name=f"{next(_seq):032x}",
                              recorded_by_id=by.id)
    db.session.add(consent)
    db.session.flush()
    return consent


def make_volunteer(region, user=None, name="Volunteer", skills=(), status=VolunteerStatus.active,
                   birth_date=date(1990, 1, 1)):
    volunteer = Volunteer(user=user, name=name, region=region, latitude=region.latitude,
                          longitude=region.longitude, status=status, skills=list(skills))
    set_born(volunteer, birth_date)
    for weekday in range(7):
        volunteer.availability.append(Availability(weekday=weekday, start_time=time(8), end_time=time(21)))
    db.session.add(volunteer)
    db.session.flush()
    numbers.assign(volunteer)   # as every path that makes a volunteer does
    for skill in skills:  # a skill that needs proof comes with an approved certificate
        if skill.is_certificate:
            make_certificate(volunteer, skill)
    return volunteer


def make_certificate(volunteer, skill, expires_on=date(2099, 12, 31), status=ProofStatus.approved):
    """A certificate of ``skill`` as a social worker decided it (no file)."""
    certificate = SkillCertificate(volunteer_id=volunteer.id, skill_id=skill.id, source=ProofSource.upload,
                                   status=status, expires_on=expires_on if status == ProofStatus.approved else None)
    db.session.add(certificate)
    db.session.flush()
    return certificate


def make_resident(region, name="Resident", user=None, born=None, gender="F"):
    """A resident; given ``born``, with an ID number (encrypted, with its blind index) giving ``born``
    and ``gender`` (without one, as a self-registered resident: no birth date, no gender)."""
    resident = Resident(name=name, region=region, user=user, latitude=region.latitude,
                        longitude=region.longitude)
    if born is not None:
        number = make_resident_id(born, 2 * (next(_seq) % 500) + (1 if gender == "M" else 0))
        resident.id_number_encrypted, resident.id_number_index = encrypt(number), blind_index(number)
    # Registered with their consent to the keeping of their data, as every resident is.
    resident.consents = [ResidentConsent(purpose=ConsentPurpose.personal_data, channel=ConsentChannel.staff_in_person)]
    db.session.add(resident)
    db.session.flush()
    return resident


def make_need(resident, category, status=NeedStatus.open, urgency=3, title="Weekly companionship visit",
              creator=None):
    need = Need(resident=resident, category=category, region=resident.region, title=title, urgency=urgency,
                status=status, created_by=creator, latitude=resident.latitude, longitude=resident.longitude)
    db.session.add(need)
    db.session.flush()
    return need


def make_project(region, creator=None, status=ProjectStatus.published, budget=300000, deadline=None,
                 title="Home visits for elderly living alone", needs=()):
    project = Project(title=title, region=region, status=status, budget=Decimal(budget),
                      service_start=date.today() + timedelta(days=30), service_end=date.today() + timedelta(days=395),
                      bidding_deadline=deadline or now() + timedelta(days=14), created_by=creator,
                      price_weight=0.3, needs=list(needs))
    db.session.add(project)
    db.session.flush()
    return project


def make_bid(project, org, price=250000, status=BidStatus.submitted, team=()):
    bid = Bid(project=project, organization=org, price=Decimal(price), status=status, team=list(team),
              no_violation_declared=True, submitted_at=now(), proposal="Plan")
    db.session.add(bid)
    db.session.flush()
    return bid


def make_shift(region, *, project=None, lead=None, start=None, hours=2, slots=((None, 3),), min_volunteers=1,
               title="Companionship visits", first_come=True):
    start = start or (now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    shift = Shift(title=title, region=region, project=project, lead=lead, start=start,
                  end=start + timedelta(hours=hours), place="Community center", latitude=region.latitude,
                  longitude=region.longitude, min_volunteers=min_volunteers, first_come=first_come,
                  slots=[ShiftSlot(position=i, skill=skill, count=count) for i, (skill, count) in enumerate(slots)])
    db.session.add(shift)
    db.session.flush()
    return shift


@dataclass
class World:
    district: Region
    street1: Region
    street2: Region
    c1: Region
    c2: Region
    c3: Region
    grid1: Region
    care: Category
    visits: Category
    tutoring: Category
    elder_care: Skill
    first_aid: Skill
    org1: Organization
    org2: Organization
    users: dict = field(default_factory=dict)
    worker: SocialWorker = None
    worker2: SocialWorker = None
    volunteer: Volunteer = None
    resident: Resident = None

    def __getitem__(self, username):
        return self.users[username]


def build_world() -> World:
    district = make_region("Huangpu", RegionLevel.district, code="310101")
    street1 = make_region("Nanjing Rd Street", RegionLevel.street, district, code="310101001")
    street2 = make_region("Bund Street", RegionLevel.street, district, code="310101002", lat=31.24, lon=121.49)
    c1 = make_region("Plum Community", RegionLevel.community, street1, code="310101001001")
    c2 = make_region("Pine Community", RegionLevel.community, street1, code="310101001002", lat=31.235)
    c3 = make_region("River Community", RegionLevel.community, street2, code="310101002001", lat=31.245, lon=121.49)
    grid1 = make_region("Plum Grid 1", RegionLevel.grid, c1, code="310101001001001")
    care = Category(code="elderly", name="养老服务", name_en="Elderly care", level=1)
    visits = Category(code="elderly.visits", name="上门探访", name_en="Home visits", level=2, parent=care)
    youth = Category(code="youth", name="青少年服务", name_en="Children and youth", level=1)
    tutoring = Category(code="youth.tutoring", name="四点半课堂", name_en="4:30 class", level=2, parent=youth)
    elder_care = Skill(code="elder_care", name="助老", name_en="Elder care")
    first_aid = Skill(code="first_aid", name="急救", name_en="First aid", is_certificate=True)
    db.session.add_all([care, visits, youth, tutoring, elder_care, first_aid])
    org1 = make_org("Sunshine Social Work Center", street1, grade=4)
    org2 = make_org("Harmony Community Services", street2, grade=3)
    w = World(district, street1, street2, c1, c2, c3, grid1, care, visits, tutoring, elder_care, first_aid, org1, org2)
    u = w.users
    u["admin"] = make_user("admin", Role.admin)
    u["civil"] = make_user("civil", Role.civil_affairs, district)
    u["civil2"] = make_user("civil2", Role.civil_affairs, street2)
    u["staff1"] = make_user("staff1", Role.community_staff, c1)
    u["staff3"] = make_user("staff3", Role.community_staff, c3)
    u["orgadmin"] = make_user("orgadmin", Role.org_admin, street1, organization=org1)
    u["orgadmin2"] = make_user("orgadmin2", Role.org_admin, street2, organization=org2)
    u["worker"] = make_user("worker", Role.social_worker, street1, organization=org1)
    u["worker2"] = make_user("worker2", Role.social_worker, street2, organization=org2)
    u["vol"] = make_user("vol", Role.volunteer, c1)
    u["vol3"] = make_user("vol3", Role.volunteer, c3)
    u["resident"] = make_user("resident", Role.resident, c1)
    u["grid"] = make_user("grid", Role.grid_worker, grid1)
    u["expert"] = make_user("expert", Role.expert, district)
    u["observer"] = make_user("observer", Role.observer, street1)
    w.worker = make_social_worker(org1, u["worker"], name="Li Hua")
    w.worker2 = make_social_worker(org2, u["worker2"], name="Zhang Wei")
    make_social_worker(org1, None, name="Wang Fang", level=WorkerLevel.senior)
    w.volunteer = make_volunteer(c1, u["vol"], name="Chen Jing", skills=[elder_care])
    make_volunteer(c3, u["vol3"], name="Zhao Lei")
    w.resident = make_resident(c1, name="Wu Mei", user=u["resident"])
    return w
