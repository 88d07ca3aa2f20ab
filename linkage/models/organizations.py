"""Social organizations: registration, verification, grade, credit."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.people import SocialWorker
    from linkage.models.regions import Region
    from linkage.models.taxonomy import Category


class OrgType(enum.Enum):
    social_group = "1"
    social_service_institution = "2"
    foundation = "3"
    other = "9"

    @property
    def label(self):
        return {
            OrgType.social_group: _l("Social group"),
            OrgType.social_service_institution: _l("Social service institution"),
            OrgType.foundation: _l("Foundation"),
            OrgType.other: _l("Other"),
        }[self]


class OrgStatus(enum.Enum):
    registered = "registered"    # waiting for civil affairs to verify
    active = "active"            # verified
    rejected = "rejected"
    suspended = "suspended"
    blacklisted = "blacklisted"  # bad credit record: may not bid

    @property
    def label(self):
        return ORG_STATUS_LABELS[self]


ORG_STATUS_LABELS = {
    OrgStatus.registered: _l("Awaiting verification"),
    OrgStatus.active: _l("Active"),
    OrgStatus.rejected: _l("Rejected"),
    OrgStatus.suspended: _l("Suspended"),
    OrgStatus.blacklisted: _l("Blacklisted"),
}

organization_categories = sa.Table(
    "organization_categories", db.metadata,
    sa.Column("organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    org_type: Mapped[OrgType] = mapped_column(sa.Enum(OrgType, native_enum=False, length=32))
    grade: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # 0 = not graded, 1..5 = 1A..5A
    grade_awarded_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    founded_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[OrgStatus] = mapped_column(
        sa.Enum(OrgStatus, native_enum=False, length=16), default=OrgStatus.registered, index=True)
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Social-worker time the organization can take on across awarded projects (workload units).
    capacity: Mapped[int] = mapped_column(default=4)
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary=organization_categories,
                                                     order_by="Category.code")
    social_workers: Mapped[list[SocialWorker]] = relationship(
        back_populates="organization", order_by="(SocialWorker.name, SocialWorker.id)")

    @property
    def grade_label(self) -> str:
        return f"{self.grade}A" if self.grade else "—"

    def grade_valid_on(self, day: date) -> bool:
        """Grades are valid for five years from the award."""
        if not self.grade or self.grade_awarded_on is None:
            return False
        try:
            expiry = self.grade_awarded_on.replace(year=self.grade_awarded_on.year + 5)
        except ValueError:  # 29 February
            expiry = self.grade_awarded_on.replace(year=self.grade_awarded_on.year + 5, day=28)
        return day < expiry

    def effective_grade(self, day: date) -> int:
        return self.grade if self.grade_valid_on(day) else 0

    def years_since_founding(self, day: date) -> int:
        f = self.founded_on
        return day.year - f.year - ((day.month, day.day) < (f.month, f.day))

    def __repr__(self) -> str:
        return f"<Organization {self.credit_code}>"
