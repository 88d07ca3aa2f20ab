"""Accounts and the people behind them: users, residents, volunteers, social workers."""
from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, ClassVar, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from linkage.extensions import db
from linkage.identifiers import ResidentIdInfo, resident_id_facts
from linkage.models.types import UTCDateTime, setting_default, utcnow
from linkage.security import blind_index, decrypt, encrypt
from linkage.timeutil import LOCAL_TZ

if TYPE_CHECKING:
    from linkage.models.needs import Need
    from linkage.models.organizations import Organization
    from linkage.models.regions import Region
    from linkage.models.taxonomy import Skill


def age_on(birth_date: Optional[date], day: date) -> Optional[int]:
    """Whole years from ``birth_date`` to ``day`` (None when the birth date is unknown)."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Role(enum.Enum):
    resident = "resident"
    community_staff = "community_staff"
    org_admin = "org_admin"
    social_worker = "social_worker"
    volunteer = "volunteer"
    civil_affairs = "civil_affairs"
    grid_worker = "grid_worker"
    expert = "expert"
    observer = "observer"
    admin = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.resident: _l("Resident"),
    Role.community_staff: _l("Community staff"),
    Role.org_admin: _l("Organization admin"),
    Role.social_worker: _l("Social worker"),
    Role.volunteer: _l("Volunteer"),
    Role.civil_affairs: _l("Civil affairs staff"),
    Role.grid_worker: _l("Grid worker"),
    Role.expert: _l("Expert evaluator"),
    Role.observer: _l("Observer"),
    Role.admin: _l("Administrator"),
}

# Roles a person may choose when registering; all others are created by staff.
SELF_REGISTERING_ROLES = (Role.volunteer, Role.resident, Role.org_admin)


class AccountStatus(enum.Enum):
    pending = "pending"      # self-registered, waiting for verification
    active = "active"
    suspended = "suspended"
    rejected = "rejected"    # self-registered, not accepted (the reason is in the audit trail)

    @property
    def label(self):
        return ACCOUNT_STATUS_LABELS[self]


ACCOUNT_STATUS_LABELS = {
    AccountStatus.pending: _l("Waiting for verification"),
    AccountStatus.active: _l("Active"),
    AccountStatus.suspended: _l("Suspended"),
    AccountStatus.rejected: _l("Rejected"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[Optional[str]] = mapped_column(sa.String(255))
    phone: Mapped[Optional[str]] = mapped_column(sa.String(32))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=32), index=True)
    status: Mapped[AccountStatus] = mapped_column(
        sa.Enum(AccountStatus, native_enum=False, length=16), default=AccountStatus.pending)
    # The subtree of the region tree this account works in (or lives in).
    region_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    organization_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    locale: Mapped[Optional[str]] = mapped_column(sa.String(8))
    # Bumped on password change: every session carrying an older version ends.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Optional[Region]] = relationship()
    organization: Mapped[Optional[Organization]] = relationship(foreign_keys=[organization_id])

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.status not in (AccountStatus.suspended, AccountStatus.rejected)

    @property
    def is_verified(self) -> bool:
        return self.status == AccountStatus.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class VulnerableTag(enum.Enum):
    elderly_alone = "elderly_alone"
    disabled = "disabled"
    minor = "minor"
    special_hardship = "special_hardship"

    @property
    def label(self):
        return {
            VulnerableTag.elderly_alone: _l("Elderly living alone"),
            VulnerableTag.disabled: _l("Person with disabilities"),
            VulnerableTag.minor: _l("Minor"),
            VulnerableTag.special_hardship: _l("Special hardship household"),
        }[self]


class ResidentTag(db.Model):
    __tablename__ = "resident_tags"

    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[VulnerableTag] = mapped_column(
        sa.Enum(VulnerableTag, native_enum=False, length=32), primary_key=True)


class ClaimStatus(enum.Enum):
    pending = "pending"
    confirmed = "confirmed"
    rejected = "rejected"


class Claim:
    """The columns of an account's claim on a record staff keep (its ID number matched the record's blind
    index): the account, whether staff confirmed or rejected it, who decided and when. Each kind of record
    has its own table, with the record's column and ``record``."""

    # The audit actions of filing and of confirming a claim, named after the record.
    CLAIM_ACTION: ClassVar[str]
    LINK_ACTION: ClassVar[str]

    # The table's columns in the order they have always had: the record's column (the subclass's own) comes
    # third, between these (sort order -1) and the decision (1).
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True, sort_order=-1)
    status: Mapped[ClaimStatus] = mapped_column(sa.Enum(ClaimStatus, native_enum=False, length=16),
                                                default=ClaimStatus.pending, sort_order=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, sort_order=1)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), sort_order=1)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, sort_order=1)

    @declared_attr
    def user(cls) -> Mapped[User]:
        return relationship(foreign_keys=f"{cls.__name__}.user_id")


class ResidentClaim(Claim, db.Model):
    """A self-registered resident's account whose ID number matched (by its blind index) a record staff
    already keep: no second record is made; staff confirm the link when they verify the account."""

    __tablename__ = "resident_claims"
    CLAIM_ACTION, LINK_ACTION = "resident.claim", "resident.link"

    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)

    resident: Mapped[Resident] = relationship()

    @property
    def record(self) -> "Resident":
        return self.resident


class VolunteerClaim(Claim, db.Model):
    """A self-registered volunteer's account whose ID number matched (by its blind index) a volunteer record
    staff keep without an account (registered in person or imported): no second record is made; staff of
    the record's community confirm the link when they verify the account."""

    __tablename__ = "volunteer_claims"
    CLAIM_ACTION, LINK_ACTION = "volunteer.claim", "volunteer.link"

    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)

    volunteer: Mapped["Volunteer"] = relationship()

    @property
    def record(self) -> "Volunteer":
        return self.volunteer


class ConsentPurpose(enum.Enum):
    """What a resident consents to, each asked for separately (PIPL arts. 14, 23 and 29)."""
    personal_data = "personal_data"   # keeping and using their personal data to arrange community services
    sharing = "sharing"               # sharing one request with the organization, social worker and volunteers
    photos = "photos"                 # photos attached to one request

    @property
    def label(self):
        return CONSENT_PURPOSE_LABELS[self]


CONSENT_PURPOSE_LABELS = {
    ConsentPurpose.personal_data: _l("Keeping and using my personal data to arrange community services"),
    ConsentPurpose.sharing: _l("Sharing this request with the social organization, social worker and volunteers "
                               "who serve it"),
    ConsentPurpose.photos: _l("Keeping and showing the photos attached to this request"),
}


class ConsentChannel(enum.Enum):
    """How a consent (or its withdrawal) reached the platform."""
    resident_self = "resident_self"       # the resident on their own pages
    staff_in_person = "staff_in_person"   # staff, with the resident at the desk or on a visit
    grid_worker = "grid_worker"           # a grid worker on their rounds
    by_phone = "by_phone"                 # staff taking a call
    spreadsheet = "spreadsheet"           # a staff member's import, the consent collected on paper

    @property
    def label(self):
        return CONSENT_CHANNEL_LABELS[self]


CONSENT_CHANNEL_LABELS = {
    ConsentChannel.resident_self: _l("By the resident on their own pages"),
    ConsentChannel.staff_in_person: _l("Told to community staff in person"),
    ConsentChannel.grid_worker: _l("Told to a grid worker"),
    ConsentChannel.by_phone: _l("Told to community staff by phone"),
    ConsentChannel.spreadsheet: _l("Collected on paper and imported by community staff"),
}


class ResidentConsent(db.Model):
    """One consent of a resident to one purpose, given at registration or when a need is filed, by the
    resident or told to a staff account; withdrawn, it stays on file with who recorded the withdrawal."""

    __tablename__ = "resident_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(sa.Enum(ConsentPurpose, native_enum=False, length=16))
    need_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    channel: Mapped[ConsentChannel] = mapped_column(sa.Enum(ConsentChannel, native_enum=False, length=16))
    recorded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    withdrawal_channel: Mapped[Optional[ConsentChannel]] = mapped_column(
        sa.Enum(ConsentChannel, native_enum=False, length=16))

    resident: Mapped["Resident"] = relationship(back_populates="consents")
    need: Mapped[Optional["Need"]] = relationship()
    recorded_by: Mapped[Optional[User]] = relationship(foreign_keys=[recorded_by_id])
    withdrawn_by: Mapped[Optional[User]] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def current(self) -> bool:
        return self.withdrawn_at is None


class Resident(db.Model):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # ID number: AES-GCM ciphertext and a keyed hash for duplicate checks. Birth date, gender and the
    # masked number are read from the decrypted number (see below), never stored beside it.
    id_number_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)
    id_number_index: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    health_notes_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)
    phone: Mapped[Optional[str]] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    latitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    longitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    consent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Anonymized at their request: no name, ID number, contact or health notes are kept.
    anonymized_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])
    tag_rows: Mapped[list[ResidentTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    consents: Mapped[list[ResidentConsent]] = relationship(
        back_populates="resident", order_by="(ResidentConsent.given_at, ResidentConsent.id)")

    @property
    def tags(self) -> set[VulnerableTag]:
        return {row.tag for row in self.tag_rows}

    @tags.setter
    def tags(self, values) -> None:
        wanted = set(values)
        self.tag_rows = [row for row in self.tag_rows if row.tag in wanted] + [
            ResidentTag(tag=tag) for tag in wanted - self.tags]

    def _id_number(self) -> Optional[str]:
        return decrypt(self.id_number_encrypted)

    def _id_facts(self) -> Optional[ResidentIdInfo]:
        number = self._id_number()
        return resident_id_facts(number) if number else None

    @property
    def birth_date(self) -> Optional[date]:
        """From the ID number (None without one)."""
        facts = self._id_facts()
        return facts.birth_date if facts else None

    @property
    def gender(self) -> Optional[str]:
        """"M" or "F", from the ID number (None without one)."""
        facts = self._id_facts()
        return facts.gender if facts else None

    @property
    def masked_id_number(self) -> str:
        """The ID number as every page shows it: its last four characters only."""
        number = self._id_number()
        return f"{'*' * 14}{number[-4:]}" if number else ""

    def age_on(self, day: date) -> Optional[int]:
        return age_on(self.birth_date, day)

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"


volunteer_skills = sa.Table(
    "volunteer_skills", db.metadata,
    sa.Column("volunteer_id", sa.ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("skill_id", sa.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class VolunteerStatus(enum.Enum):
    pending = "pending"
    active = "active"
    suspended = "suspended"

    @property
    def label(self):
        return {VolunteerStatus.pending: _l("Waiting for verification"), VolunteerStatus.active: _l("Active"),
                VolunteerStatus.suspended: _l("Suspended")}[self]


class Volunteer(db.Model):
    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[Optional[str]] = mapped_column(sa.String(32))
    # Real name and ID number, as residents' (AES-GCM ciphertext and a keyed hash that finds a second
    # registration); birth date and age are read from the decrypted number, never stored beside it.
    id_number_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)
    id_number_index: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True, index=True)
    status: Mapped[VolunteerStatus] = mapped_column(
        sa.Enum(VolunteerStatus, native_enum=False, length=16), default=VolunteerStatus.pending, index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    latitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    longitude: Mapped[Optional[float]] = mapped_column(sa.Float)
    max_travel_km: Mapped[float] = mapped_column(sa.Float, default=setting_default("VOLUNTEER_TRAVEL_KM"))
    weekly_minutes_limit: Mapped[int] = mapped_column(default=setting_default("VOLUNTEER_WEEKLY_HOURS", 60))
    health_notes_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)
    no_show_count: Mapped[int] = mapped_column(default=0)
    self_signup_blocked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The secret of the personal calendar feed: found by its keyed index, shown from its ciphertext
    # (linkage/volunteers/calendar.py); None until the volunteer makes a link.
    calendar_token_index: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True, index=True)
    calendar_token_encrypted: Mapped[Optional[bytes]] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[Optional[User]] = relationship()
    region: Mapped[Region] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=volunteer_skills, order_by="Skill.code")
    availability: Mapped[list[Availability]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan",
        order_by="(Availability.weekday, Availability.start_time)")
    exceptions: Mapped[list[AvailabilityException]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan",
        order_by="(AvailabilityException.day, AvailabilityException.start_time, AvailabilityException.id)")
    consents: Mapped[list[GuardianConsent]] = relationship(
        back_populates="volunteer", order_by="GuardianConsent.recorded_at",
        foreign_keys="GuardianConsent.volunteer_id")

    def set_id_number(self, number: str) -> None:
        """Store a checked, normalized ID number: its ciphertext and its blind index."""
        self.id_number_encrypted, self.id_number_index = encrypt(number), blind_index(number)

    def _id_facts(self) -> Optional[ResidentIdInfo]:
        number = decrypt(self.id_number_encrypted)
        return resident_id_facts(number) if number else None

    @property
    def birth_date(self) -> Optional[date]:
        """From the ID number (None without one)."""
        facts = self._id_facts()
        return facts.birth_date if facts else None

    @property
    def masked_id_number(self) -> str:
        """The ID number as every page shows it: its last four characters only."""
        number = decrypt(self.id_number_encrypted)
        return f"{'*' * 14}{number[-4:]}" if number else ""

    @property
    def consent(self) -> Optional[GuardianConsent]:
        """The guardian's consent on file now (recorded by staff, not withdrawn), or None."""
        current = [c for c in self.consents if c.withdrawn_at is None]
        return current[-1] if current else None

    @property
    def guardian_consent(self) -> bool:
        return self.consent is not None

    def age_on(self, day: date) -> Optional[int]:
        return age_on(self.birth_date, day)

    def __repr__(self) -> str:
        return f"<Volunteer {self.id}>"


class Availability(db.Model):
    """A weekly recurring window when a volunteer can serve (local time, Asia/Shanghai)."""

    __tablename__ = "availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)  # 0 = Monday
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)

    volunteer: Mapped[Volunteer] = relationship(back_populates="availability")


class ExceptionKind(enum.Enum):
    away = "away"      # not free then, whatever the weekly windows say
    extra = "extra"    # free then as well as in the weekly windows

    @property
    def label(self):
        return {ExceptionKind.away: _l("Away"), ExceptionKind.extra: _l("Also free")}[self]


class AvailabilityException(db.Model):
    """A one-off change to the weekly windows on one date (local time): away, or free as well.
    Without times it covers the whole day."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ExceptionKind] = mapped_column(sa.Enum(ExceptionKind, native_enum=False, length=8))
    day: Mapped[date] = mapped_column(sa.Date)
    start_time: Mapped[Optional[time]] = mapped_column(sa.Time)
    end_time: Mapped[Optional[time]] = mapped_column(sa.Time)

    volunteer: Mapped[Volunteer] = relationship(back_populates="exceptions")

    def bounds(self) -> tuple[datetime, datetime]:
        """The local start and end it covers (the whole day without times)."""
        start = datetime.combine(self.day, self.start_time or time(0), LOCAL_TZ)
        end = (datetime.combine(self.day, self.end_time, LOCAL_TZ) if self.end_time
               else datetime.combine(self.day + timedelta(days=1), time(0), LOCAL_TZ))
        return start, end


class GuardianConsent(db.Model):
    """A guardian's consent to a minor's volunteering, recorded by community staff or a social worker with
    the signed document (stored encrypted, linkage/uploads.py); withdrawn, it stays on file."""

    __tablename__ = "guardian_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"), index=True)
    guardian_name: Mapped[str] = mapped_column(sa.String(100))
    relation: Mapped[str] = mapped_column(sa.String(32))
    phone: Mapped[str] = mapped_column(sa.String(32))
    file_name: Mapped[str] = mapped_column(sa.String(200))
    extension: Mapped[str] = mapped_column(sa.String(16))
    stored_name: Mapped[str] = mapped_column(sa.String(32), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship(back_populates="consents", foreign_keys=[volunteer_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    withdrawn_by: Mapped[Optional[User]] = relationship(foreign_keys=[withdrawn_by_id])


class WorkerLevel(enum.Enum):
    assistant = 1
    social_worker = 2
    senior = 3

    @property
    def label(self):
        return {
            WorkerLevel.assistant: _l("Assistant social worker"),
            WorkerLevel.social_worker: _l("Social worker"),
            WorkerLevel.senior: _l("Senior social worker"),
        }[self]


class SocialWorker(db.Model):
    __tablename__ = "social_workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[WorkerLevel] = mapped_column(sa.Enum(WorkerLevel, native_enum=False, length=16))
    certificate_no: Mapped[Optional[str]] = mapped_column(sa.String(64))
    caseload_limit: Mapped[int] = mapped_column(default=setting_default("CASELOAD_LIMIT"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[Optional[User]] = relationship()
    organization: Mapped[Organization] = relationship(back_populates="social_workers")

    def __repr__(self) -> str:
        return f"<SocialWorker {self.id}>"
