"""The service taxonomy (sector > category > sub-category) and volunteer skills."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db


class Category(db.Model):
    """One node of the service taxonomy; level 1 sector, 2 category, 3 sub-category."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    # Retired: offered on no new form; needs, projects and skills that name it keep it.
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Optional[Category]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.code")

    def display_name(self, locale: str = "zh_CN") -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name

    @property
    def sector(self) -> Category:
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def __repr__(self) -> str:
        return f"<Category {self.code}>"


class Skill(db.Model):
    """A volunteer skill or certificate that a shift slot can require (e.g. first aid)."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    # A certificate must be checked by staff before it counts (e.g. first aid).
    is_certificate: Mapped[bool] = mapped_column(default=False)
    # How long a certificate of this skill counts, unless the social worker who approves it says otherwise.
    validity_months: Mapped[int] = mapped_column(sa.SmallInteger, default=24, server_default="24")
    category_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("categories.id"))
    # Retired: offered on no new form; records that name it keep it.
    active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str = "zh_CN") -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Skill {self.code}>"

    @classmethod
    def offered(cls, keep=()):
        """SQL condition: what a form may offer: active ones, and those in ``keep`` (ids a record already
        names, so that editing it does not drop a retired one)."""
        keep = [k for k in keep if k is not None]
        return sa.or_(cls.active.is_(True), cls.id.in_(keep)) if keep else cls.active.is_(True)
