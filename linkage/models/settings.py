"""Locality settings saved by an administrator (the declarations live in ``linkage.settings``)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.people import User


class SettingValue(db.Model):
    """The value an administrator chose for one setting; it wins over the environment and the files."""

    __tablename__ = "setting_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    updated_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<SettingValue {self.name}={self.value!r}>"
