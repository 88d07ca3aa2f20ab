"""The audit trail: an append-only, hash-chained record of every state change."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linkage.extensions import db
from linkage.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from linkage.models.people import User


class AuditEvent(db.Model):
    """One state change. Rows are never updated or deleted (database triggers refuse it)."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[Optional[int]] = mapped_column()
    region_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    before: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    after: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Which key sealed ``hash``: 1 is HMAC-SHA256 under AUDIT_KEY; None is the plain SHA-256 of
    # events written before the chain was keyed (accepted only before the first keyed event).
    key_version: Mapped[Optional[int]] = mapped_column(sa.SmallInteger)

    actor: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"


class RowSeal(db.Model):
    """A keyed seal over one business row's meaningful columns (see ``linkage.seals``): a row whose
    seal is missing or wrong was written outside the app; a seal whose row is gone, deleted outside it."""

    __tablename__ = "row_seals"

    table_name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    row_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    seal: Mapped[str] = mapped_column(sa.String(64))


class Notification(db.Model):
    """A message for one user; the text is rendered in the recipient's language from ``kind``."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Where the message leads: a view's endpoint and its arguments, turned into a URL when shown.
    link_endpoint: Mapped[str] = mapped_column(sa.String(64), default="")
    link_args: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


# Database-side guard: the trail is append-only even for someone with SQL access through the app's role.
APPEND_ONLY_DDL = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql""",
        "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
}


def install_append_only_guard(connection) -> None:
    """Create the triggers that refuse UPDATE and DELETE on the audit trail."""
    for statement in APPEND_ONLY_DDL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(AuditEvent.__table__, "after_create")
def _after_create(target, connection, **kw):
    install_append_only_guard(connection)
