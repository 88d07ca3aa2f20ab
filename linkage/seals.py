"""Row seals: changes to business tables made outside the app are found.

Each row of a sealed table has a seal in ``row_seals``: an HMAC-SHA256, under a key derived from
AUDIT_KEY, over its table, id and meaningful columns. The app keeps seals current as it writes:

- rows the unit of work inserts, updates or deletes (mapper events) and rows that bulk
  ``UPDATE``/``DELETE`` statements through the session touch (the ``do_orm_execute`` event selects
  their ids first) are noted during the transaction;
- bulk ``INSERT`` statements note the table's highest id before they run, and every row above it is
  sealed;
- just before the transaction commits, the noted rows are read back from the database and their
  seals written (one INSERT ... ON CONFLICT DO UPDATE for every table; SQLite and PostgreSQL both have it)
  or removed, for rows that are gone, in the same transaction.

A row changed by any other path (SQL typed into the database, a restored dump) keeps its old seal or
none, and ``verify`` names it. Columns the app rewrites in bulk as bookkeeping (``OPERATIONAL``) are
left out of the seal, so bulk updates of only those columns cost nothing. Association tables (skills
of a volunteer, categories of an organization, a resident's tags...) are not sealed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from linkage.audit import derived_key
from linkage.extensions import db
from linkage.models import (AgendaItem, Availability, AvailabilityException, Bid, Case, CaseApproval, CaseNote,
                            CaseReferral, CaseService, CaseTransfer, Category, ChangeRequest, Complaint, Contract,
                            Document, Evaluation, ExpertTie, Feedback, FollowUp, GuardianConsent, Installment,
                            MatchOverride, MatchRun, Meeting, MeetingDecision, Need, NeedFollower, NeedPhoto,
                            Organization, PanelMember, ResidentClaim,
                            PanelScore, Payment, Project, ProjectCriterion, Region, Resident, ResponseTarget, RowSeal,
                            SettingValue,
                            Shift, ShiftSeries, ShiftSlot, SignUp, Skill, SkillCertificate, SocialWorker,
                            SupervisionNote, User, VisitRating, Volunteer, VolunteerClaim)

SEALED_MODELS = (Region, Category, Skill, Organization, User, SocialWorker, Resident, Volunteer,
                 Availability, AvailabilityException, GuardianConsent, Need, Feedback, Project, Bid, ShiftSeries,
                 Shift, ShiftSlot, SignUp, MatchRun,
                 MatchOverride, SettingValue, Contract, Installment, Payment, Evaluation, Document, ChangeRequest,
                 ProjectCriterion, PanelMember, ExpertTie, PanelScore, Complaint,
                 Case, CaseApproval, CaseNote, CaseService, CaseReferral, CaseTransfer, ResponseTarget,
                 Meeting, AgendaItem, MeetingDecision, SkillCertificate, SupervisionNote,
                 NeedFollower, NeedPhoto, ResidentClaim, VolunteerClaim, VisitRating, FollowUp)
# Bookkeeping the app rewrites in bulk while a run solves; not the business's record.
OPERATIONAL = {"match_runs": {"heartbeat_at", "best_so_far", "job_id"}}
# Nullable columns added to sealed tables that already held rows (see ``seal_of``).
ADDED_LATER = {"change_requests": {"new_end"}}

_TABLES = {model.__table__.name: model.__table__ for model in SEALED_MODELS}
_TOUCHED = "linkage_seals_touched"   # session.info: {table name: set of row ids}
_ABOVE = "linkage_seals_above"       # session.info: {table name: highest id before a bulk insert}
_CHUNK = 500
_STORED_BY_ID: dict[str, tuple] = {}  # table name: (rows with given ids, rows above an id)
_UPSERT: dict[str, Any] = {}         # dialect name: the seals' upsert


def _sealed_columns(table: sa.Table) -> list[sa.Column]:
    skip = OPERATIONAL.get(table.name, set())
    return [column for column in table.columns if column.name not in skip]


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def _stored(table: sa.Table) -> sa.Select:
    """The rows of ``table`` as the database driver gives them, without the models' conversions (enums,
    encrypted or time-zone columns): sealing and verifying read the same values, and a value written
    outside the app that the models could not read (an unknown status) is still read and reported."""
    return sa.select(*[sa.type_coerce(column, sa.types.NullType()).label(column.name)
                       for column in table.columns])


def seal_of(table: sa.Table, row: Any, key: Optional[bytes] = None) -> str:
    """The seal of one row as :func:`_stored` reads it (the same read when sealing and verifying). A column
    added to a sealed table after rows were sealed (``ADDED_LATER``) counts only when it holds a value, so
    the rows sealed before it came keep their seals."""
    later = ADDED_LATER.get(table.name, set())
    values = [[column.name, _plain(getattr(row, column.name))] for column in _sealed_columns(table)
              if column.name not in later or getattr(row, column.name) is not None]
    body = json.dumps([table.name, values], sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hmac.new(key or derived_key("row seals"), body.encode("utf-8"), hashlib.sha256).hexdigest()


# --- noting what the transaction writes ------------------------------------------------------------

def _note(session: Session, table_name: str, row_ids: Iterable[int]) -> None:
    session.info.setdefault(_TOUCHED, {}).setdefault(table_name, set()).update(row_ids)


def _note_object(mapper, connection, target) -> None:
    session = sa.orm.object_session(target)
    if session is not None:
        _note(session, mapper.local_table.name, [target.id])


for _model in SEALED_MODELS:
    for _moment in ("after_insert", "after_update", "after_delete"):
        sa.event.listen(_model, _moment, _note_object)


def _assigned_columns(statement) -> set[str]:
    values = getattr(statement, "_values", None) or {}
    return {getattr(key, "key", None) or getattr(key, "name", None) or str(key) for key in values}


@sa.event.listens_for(db.session, "do_orm_execute")
def _note_bulk_statement(state: ORMExecuteState) -> None:
    """Bulk statements bypass the unit of work: note the rows they will touch before they run."""
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    table = _TABLES.get(getattr(table, "name", None))
    if table is None:
        return
    session = state.session
    if state.is_insert:
        above = session.info.setdefault(_ABOVE, {})
        if table.name not in above:
            above[table.name] = session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        return
    if state.is_update and _assigned_columns(state.statement) <= OPERATIONAL.get(table.name, set()):
        return
    _note_bulk_rows(session, table, state)


def _note_bulk_rows(session: Session, table: sa.Table, state: ORMExecuteState) -> None:
    where = state.statement.whereclause
    if where is None and isinstance(state.parameters, list):   # bulk UPDATE by primary key
        _note(session, table.name, [params["id"] for params in state.parameters])
        return
    query = sa.select(table.c.id)
    if where is not None:
        query = query.where(where)
    _note(session, table.name, session.scalars(query))


# --- sealing before commit ----------------------------------------------------------------------------

@sa.event.listens_for(db.session, "before_commit", insert=True)
def _seal_before_commit(session: Session) -> None:
    """Ahead of the audit chain's hook (``insert=True``), so the chain's lock is not held while sealing."""
    if session.in_nested_transaction():
        return
    session.flush()  # what is still pending is noted too (nothing to do when the session is clean)
    if not session.info.get(_TOUCHED) and not session.info.get(_ABOVE):
        return
    touched, above = session.info.pop(_TOUCHED, {}), session.info.pop(_ABOVE, {})
    key = derived_key("row seals")
    seals: list[dict] = []
    for name in sorted(set(touched) | set(above)):  # one order in every process
        seals.extend(_reseal(session, _TABLES[name], touched.get(name, set()), above.get(name), key))
    for start in range(0, len(seals), _CHUNK):  # every table's seals in one statement
        session.execute(_upsert(session), seals[start:start + _CHUNK])


@sa.event.listens_for(db.session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_ABOVE, None)


def _stored_by_id(table: sa.Table) -> tuple[sa.Select, sa.Select]:
    """:func:`_stored` for the rows with given ids, and for the rows above an id: built once per table
    (a statement built anew per commit costs its construction and cache key every time)."""
    if table.name not in _STORED_BY_ID:
        _STORED_BY_ID[table.name] = (_stored(table).where(table.c.id.in_(sa.bindparam("ids", expanding=True))),
                                     _stored(table).where(table.c.id > sa.bindparam("above")))
    return _STORED_BY_ID[table.name]


def _reseal(session: Session, table: sa.Table, row_ids: set, above, key: bytes) -> list[dict]:
    """Read the noted rows back, remove the seals of rows that are gone; returns the seals to write."""
    rows = []
    ids = sorted(row_ids)
    by_ids, above_id = _stored_by_id(table)
    for start in range(0, len(ids), _CHUNK):
        rows.extend(session.execute(by_ids, {"ids": ids[start:start + _CHUNK]}))
    if above is not None:
        rows.extend(session.execute(above_id, {"above": above}))
    seals = {row.id: seal_of(table, row, key) for row in rows}
    gone = sorted(set(ids) - set(seals))
    for start in range(0, len(gone), _CHUNK):
        session.execute(sa.delete(RowSeal).where(RowSeal.table_name == table.name,
                                                 RowSeal.row_id.in_(gone[start:start + _CHUNK])))
    return [{"table_name": table.name, "row_id": row_id, "seal": seal} for row_id, seal in seals.items()]


def _upsert(session: Session):
    """INSERT ... ON CONFLICT DO UPDATE: one statement whether the row had a seal or not (built once per
    database dialect)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERT:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(RowSeal.__table__)
        _UPSERT[dialect] = statement.on_conflict_do_update(index_elements=["table_name", "row_id"],
                                                           set_={"seal": statement.excluded.seal})
    return _UPSERT[dialect]


def seal_unsealed() -> int:
    """Seal every row that has no seal yet (``flask audit seal-existing``, once after upgrading a
    database that holds rows written before seals existed); returns how many were sealed."""
    count, key = 0, derived_key("row seals")
    for table in _TABLES.values():
        known = set(db.session.scalars(sa.select(RowSeal.row_id).where(RowSeal.table_name == table.name)))
        missing = [row for row in db.session.execute(_stored(table)).all() if row.id not in known]
        if missing:
            db.session.execute(sa.insert(RowSeal), [
                {"table_name": table.name, "row_id": row.id, "seal": seal_of(table, row, key)}
                for row in missing])
        count += len(missing)
    return count


# --- verifying ---------------------------------------------------------------------------------------

def verify() -> list[str]:
    """Every sealed row whose seal is missing or wrong, and every seal whose row is gone, in words."""
    problems: list[str] = []
    key = derived_key("row seals")
    for table in _TABLES.values():
        seals = dict(db.session.execute(sa.select(RowSeal.row_id, RowSeal.seal)
                                        .where(RowSeal.table_name == table.name)).all())
        for row in db.session.execute(_stored(table)):
            row_id = row.id
            expected = seals.pop(row_id, None)
            if expected is None:
                problems.append(f"Table {table.name}, row {row_id}: added outside the app (no seal).")
            elif not hmac.compare_digest(expected, seal_of(table, row, key)):
                problems.append(f"Table {table.name}, row {row_id}: changed outside the app (seal does not match).")
        for row_id in sorted(seals):
            problems.append(f"Table {table.name}, row {row_id}: deleted outside the app (its seal remains).")
    return problems
