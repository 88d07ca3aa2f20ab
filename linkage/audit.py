"""Writing and verifying the audit trail (see ``linkage.models.audit``)."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Optional

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Region, User
from linkage.models.types import utcnow

GENESIS = "0" * 64
# Any constant: PostgreSQL advisory lock that serializes writers of the chain.
_CHAIN_LOCK = 7_140_001


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


def snapshot(obj: Any, *fields: str) -> dict:
    """The named attributes of ``obj`` as JSON-ready values (for before/after)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def _digest(event: AuditEvent) -> str:
    body = {
        "prev": event.prev_hash, "at": event.at.isoformat(), "actor": event.actor_id,
        "action": event.action, "subject": [event.subject_type, event.subject_id],
        "region": event.region_id, "before": event.before, "after": event.after, "note": event.note,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _region_of(subject: Any) -> Optional[int]:
    if isinstance(subject, Region):
        return subject.id
    return getattr(subject, "region_id", None)


def record(actor: Optional[User], action: str, subject: Any, *, before: Optional[dict] = None,
           after: Optional[dict] = None, note: str = "", region_id: Optional[int] = None) -> AuditEvent:
    """Append one event to the chain in the caller's transaction; flushes, never commits."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    if subject is not None and getattr(subject, "id", None) is None:
        session.flush()
    previous = session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        region_id=region_id if region_id is not None else _region_of(subject),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        note=note or "",
        prev_hash=previous or GENESIS,
    )
    event.hash = _digest(event)
    session.add(event)
    session.flush()
    return event


def verify_chain(batch: int = 1000) -> tuple[int, Optional[int]]:
    """Walk the chain; return (events checked, id of the first broken event or None)."""
    expected_prev = GENESIS
    count, last_id = 0, 0
    while True:
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > last_id)
                                    .order_by(AuditEvent.id).limit(batch)).all()
        if not events:
            return count, None
        for event in events:
            count += 1
            if event.prev_hash != expected_prev or _digest(event) != event.hash:
                return count, event.id
            expected_prev = event.hash
        last_id = events[-1].id
        db.session.expire_all()


def trail(subject_type: str, subject_id: int) -> list[AuditEvent]:
    """Every recorded event for one subject, oldest first."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.subject_type == subject_type,
                                    AuditEvent.subject_id == subject_id)
        .options(sa.orm.joinedload(AuditEvent.actor)).order_by(AuditEvent.id)))
