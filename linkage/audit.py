"""Writing and verifying the audit trail (see ``linkage.models.audit``).

The chain is keyed: each event's ``hash`` is an HMAC-SHA256 under ``AUDIT_KEY``, which lives outside
the database, so whoever can write the database cannot recompute it. After every commit that
recorded events, a checkpoint ``<event id> <hash> <signature>`` is appended to the anchor file
(``AUDIT_ANCHOR_PATH``, outside the database, under a file lock): a chain that ends before its latest
checkpoint had its tail cut. ``verify`` checks both, and asks ``linkage.seals`` for rows of business
tables written outside the app.

An event is linked into the chain when its transaction commits, not when it is recorded: ``record``
keeps it with the session, and the ``before_commit`` hook (after the row seals are written) takes the
chain's lock (PostgreSQL advisory lock, with the short ``LOCK_TIMEOUT_MS``), reads the tip, links and
inserts the transaction's events in the order they were recorded, and commits. Writers therefore
wait for each other only for those few statements and the commit, not for the whole request."""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Optional

import sqlalchemy as sa

from flask import current_app

from linkage.database import batching, within
from linkage.extensions import db
from linkage.models import AuditEvent, Region, User
from linkage.models.types import utcnow

GENESIS = "0" * 64
KEY_VERSION = 1           # events sealed with HMAC-SHA256 under AUDIT_KEY
_TIP = "linkage_audit_tip"  # session.info: the newest event this transaction recorded
# session.info: [(savepoint or None, event, subject not flushed yet or None)] not yet in the chain
_PENDING = "linkage_audit_pending"
# Any constant: PostgreSQL advisory lock that serializes writers of the chain.
_CHAIN_LOCK = 7_140_001


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
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


def derived_key(purpose: str) -> bytes:
    """A key for one use (the chain, the anchor, the row seals), derived from AUDIT_KEY."""
    secret = current_app.config["AUDIT_KEY"].encode("utf-8")
    if purpose == "chain":
        return secret
    return hmac.new(secret, f"linkage {purpose}".encode("utf-8"), hashlib.sha256).digest()


def _digest(event: AuditEvent) -> str:
    body = {
        "prev": event.prev_hash, "at": event.at.isoformat(), "actor": event.actor_id,
        "action": event.action, "subject": [event.subject_type, event.subject_id],
        "region": event.region_id, "before": event.before, "after": event.after, "note": event.note,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if event.key_version is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(derived_key("chain"), canonical, hashlib.sha256).hexdigest()


class _IdOnFlush:
    """The id of an object written in a ``batch`` and not flushed yet, in an event's before or after: read when
    the event joins the chain, after the batch's flush (``id_of``)."""

    def __init__(self, obj: Any):
        self.obj = obj


def id_of(obj: Any) -> Any:
    """``obj``'s id for an event's before or after; in a ``batch``, read after the flush if it has none yet."""
    if obj.id is None and batching(db.session):
        return _IdOnFlush(obj)
    return obj.id


def _read_ids(values: Optional[dict]) -> Optional[dict]:
    if not values or not any(isinstance(value, _IdOnFlush) for value in values.values()):
        return values
    return {name: value.obj.id if isinstance(value, _IdOnFlush) else value for name, value in values.items()}


def _region_of(subject: Any) -> Optional[int]:
    if isinstance(subject, Region):
        return subject.id
    return getattr(subject, "region_id", None)


def record(actor: Optional[User], action: str, subject: Any, *, before: Optional[dict] = None,
           after: Optional[dict] = None, note: str = "", region_id: Optional[int] = None) -> AuditEvent:
    """Record one event in the caller's transaction; never commits. The event is linked into the chain
    and inserted when the transaction commits (its ``hash`` is set then); the subject is flushed first
    if it has no id yet (in a ``batch``, its id and region are read when the chain is appended to, after the
    batch's flush). An event recorded inside a savepoint that rolls back is dropped with it."""
    session = db.session
    unflushed = subject if subject is not None and getattr(subject, "id", None) is None else None
    if unflushed is not None and not batching(session):
        session.flush()
        unflushed = None
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
        key_version=KEY_VERSION,
    )
    session.info.setdefault(_PENDING, []).append((session().get_nested_transaction(), event, unflushed))
    return event


def _lock_chain(session) -> None:
    """PostgreSQL: wait for the chain's advisory lock at most LOCK_TIMEOUT_MS (then the commit fails with
    a lock timeout, which the request boundary shows as "busy, try again"). One statement: the
    sub-select sets the timeout before the lock is asked for."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key) FROM (SELECT set_config('lock_timeout', "
                            ":timeout, true)) AS timeout"),
                    {"key": _CHAIN_LOCK, "timeout": f"{lock_timeout_ms()}ms"})


def lock_timeout_ms() -> int:
    """How long a request waits for a contended lock before it gives up (0: no limit)."""
    return int(current_app.config.get("LOCK_TIMEOUT_MS") or 0)


def append_pending(session=None) -> None:
    """Link the transaction's recorded events into the chain and insert them, under the chain's lock,
    which is then held to the end of the transaction. Called just before the commit."""
    session = session or db.session
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if any(subject is not None and subject.id is None for _transaction, _event, subject in pending) or any(
            isinstance(value, _IdOnFlush) and value.obj.id is None for _transaction, event, _subject in pending
            for value in [*(event.before or {}).values(), *(event.after or {}).values()]):
        session.flush()
    for _transaction, event, subject in pending:
        if subject is not None:   # recorded in a batch before its subject had an id
            event.subject_id = subject.id
            if event.region_id is None:
                event.region_id = _region_of(subject)
        event.before, event.after = _read_ids(event.before), _read_ids(event.after)
    events = [event for _transaction, event, _subject in pending]
    _lock_chain(session)
    previous = session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
    for event in events:
        event.prev_hash = previous
        event.hash = previous = _digest(event)
    session.add_all(events)
    session.flush()
    session.info[_TIP] = (events[-1].id, events[-1].hash)


@sa.event.listens_for(db.session, "before_commit")
def _append_before_commit(session) -> None:
    """Registered before ``linkage.seals`` is imported, whose hook inserts itself ahead of this one: the
    row seals are written first, and the chain's lock is taken last, for the final inserts only."""
    if session.in_nested_transaction():
        return
    append_pending(session)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _drop_rolled_back(session, previous_transaction) -> None:
    """A savepoint rolled back: the events recorded inside it are gone with it."""
    pending = session.info.get(_PENDING)
    if not pending or not previous_transaction.nested:
        return
    session.info[_PENDING] = [(transaction, event, subject) for transaction, event, subject in pending
                              if not within(transaction, previous_transaction)]


# --- the anchor file: signed checkpoints outside the database --------------------------------------

def _checkpoint_signature(event_id: int, digest: str) -> str:
    return hmac.new(derived_key("audit anchor"), f"{event_id} {digest}".encode("ascii"),
                    hashlib.sha256).hexdigest()


def write_checkpoint(event_id: int, digest: str) -> None:
    """Append one signed checkpoint to the anchor file (created if missing), under an exclusive lock
    so that several app processes never interleave their lines."""
    path = current_app.config["AUDIT_ANCHOR_PATH"]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    line = f"{event_id} {digest} {_checkpoint_signature(event_id, digest)}\n".encode("ascii")
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        os.write(handle, line)
    finally:
        os.close(handle)  # releases the lock


def checkpoint() -> Optional[tuple[int, str]]:
    """Anchor the chain's newest event now (``flask audit checkpoint``); None if the chain is empty."""
    newest = db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash)
                                .order_by(AuditEvent.id.desc()).limit(1)).first()
    if newest is None:
        return None
    write_checkpoint(newest.id, newest.hash)
    return newest.id, newest.hash


@sa.event.listens_for(db.session, "after_commit")
def _anchor_after_commit(session) -> None:
    """The transaction that recorded events is committed: anchor its newest one. A failure to write
    is logged, never shown to the user whose change is already saved; the next commit anchors again."""
    if session.in_nested_transaction():
        return
    tip = session.info.pop(_TIP, None)
    if tip is None:
        return
    try:
        write_checkpoint(*tip)
    except OSError:
        current_app.logger.exception("Could not append to the audit anchor file")


@sa.event.listens_for(db.session, "after_transaction_end")
def _forget_after_rollback(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TIP, None)
        session.info.pop(_PENDING, None)


def _read_anchor(path: str, problems: list[str]) -> Optional[dict[int, str]]:
    """The checkpoints in the anchor file by event id; None if there is no anchor file."""
    if not os.path.exists(path):
        return None
    checkpoints: dict[int, str] = {}
    with open(path, encoding="ascii", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if len(parts) != 3 or not parts[0].isdigit() or not hmac.compare_digest(
                    parts[2], _checkpoint_signature(int(parts[0]), parts[1])):
                problems.append(f"Anchor file line {number} is not a checkpoint signed with the audit key.")
                continue
            checkpoints[int(parts[0])] = parts[1]
    return checkpoints


# --- verifying ---------------------------------------------------------------------------------

@dataclass
class Verdict:
    """What ``verify`` found: events checked, and each problem in words naming what is wrong."""

    events: int = 0
    last_event: Optional[int] = None
    problems: list[str] = field(default_factory=list)
    first_broken: Optional[int] = None

    @property
    def intact(self) -> bool:
        return not self.problems


def _check_event(event: AuditEvent, expected_prev: str, keyed_seen: bool) -> Optional[str]:
    if event.key_version is None and keyed_seen:
        return f"Event {event.id} is sealed without the audit key after keyed events (rewritten)."
    if event.key_version not in (None, KEY_VERSION):
        return f"Event {event.id} names an unknown audit key version {event.key_version}."
    if not hmac.compare_digest(_digest(event), event.hash):
        return f"Event {event.id} does not match its hash (altered, or sealed without the audit key)."
    if event.prev_hash != expected_prev:
        return f"Event {event.id} does not follow the event before it (an event was removed or altered)."
    return None


def _walk_chain(verdict: Verdict, checkpoints: dict[int, str], batch: int) -> bool:
    """Check every event's hash and link, and each checkpoint it meets; True if any event is keyed."""
    expected_prev, keyed_seen, last_id = GENESIS, False, 0
    while True:
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > last_id)
                                    .order_by(AuditEvent.id).limit(batch)).all()
        if not events:
            return keyed_seen
        for event in events:
            verdict.events += 1
            problem = _check_event(event, expected_prev, keyed_seen)
            if problem is None and event.id in checkpoints and checkpoints[event.id] != event.hash:
                problem = f"Event {event.id} differs from its checkpoint in the anchor file (rewritten)."
            if problem is not None:
                verdict.problems.append(problem)
                verdict.first_broken = verdict.first_broken or event.id
            keyed_seen = keyed_seen or event.key_version is not None
            expected_prev = event.hash
        last_id = verdict.last_event = events[-1].id
        db.session.expire_all()


def _check_checkpoints(verdict: Verdict, checkpoints: dict[int, str]) -> None:
    """Every checkpointed event must still be in the chain; the chain must reach the latest one."""
    last = verdict.last_event or 0
    beyond = [event_id for event_id in checkpoints if event_id > last]
    if beyond:
        verdict.problems.append(f"Tail cut after event {last}: the anchor file has a checkpoint at event "
                                f"{max(beyond)}, which the chain no longer reaches.")
    inside = [event_id for event_id in checkpoints if event_id <= last]
    present: set[int] = set()
    for start in range(0, len(inside), 500):
        present.update(db.session.scalars(sa.select(AuditEvent.id).where(
            AuditEvent.id.in_(inside[start:start + 500]))))
    for event_id in sorted(set(inside) - present):
        verdict.problems.append(f"Event {event_id} has a checkpoint in the anchor file but is gone from the chain.")


def verify_chain(batch: int = 1000, verdict: Optional[Verdict] = None) -> tuple[int, Optional[int]]:
    """Walk the chain and the anchor file; return (events checked, id of the first broken event or None).
    ``verdict`` (if given) collects every problem in words."""
    verdict = verdict if verdict is not None else Verdict()
    path = current_app.config["AUDIT_ANCHOR_PATH"]
    checkpoints = _read_anchor(path, verdict.problems)
    keyed = _walk_chain(verdict, checkpoints or {}, batch)
    if checkpoints is None and keyed:
        verdict.problems.append(f"The anchor file {path} is missing: the end of the chain cannot be checked "
                                "(restore it from its copy).")
    _check_checkpoints(verdict, checkpoints or {})
    if verdict.problems and verdict.first_broken is None:
        verdict.first_broken = (verdict.last_event or 0) + 1 if verdict.last_event else 0
    return verdict.events, (verdict.first_broken if verdict.problems else None)


def verify(batch: int = 1000) -> Verdict:
    """``flask audit verify``: the keyed chain, its checkpoints, and rows written outside the app."""
    from linkage import seals

    verdict = Verdict()
    verify_chain(batch, verdict)
    verdict.problems.extend(seals.verify())
    return verdict


def trail(subject_type: str, subject_id: int) -> list[AuditEvent]:
    """Every recorded event for one subject, oldest first."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.subject_type == subject_type,
                                    AuditEvent.subject_id == subject_id)
        .options(sa.orm.joinedload(AuditEvent.actor)).order_by(AuditEvent.id)))
