"""Engine settings that keep concurrent writers correct on SQLite and PostgreSQL.

SQLite: pysqlite's default deferred BEGIN lets two transactions count free places at
once and both insert (measured: 47 sign-ups accepted for 10 places). Every transaction
here starts with BEGIN IMMEDIATE instead, so writers queue; WAL lets readers go on.
PostgreSQL: services lock the rows they count with SELECT ... FOR UPDATE.
"""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def configure_engine_options(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if is_sqlite(url):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def install_engine_hooks(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    if getattr(engine, "_linkage_hooks", False):
        return
    engine._linkage_hooks = True

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, issue BEGIN (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- the session's transactions -------------------------------------------------------------------

def within(transaction, outer) -> bool:
    """Whether ``transaction`` is ``outer`` or begun inside it (a savepoint in it, at any depth)."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


_BATCH = "linkage_batch"   # session.info: rows are being written in a batch (``batch``)


@contextmanager
def batch(session):
    """Many rows written one after the other through the services that write one (a spreadsheet import):
    inside, those services leave the flush to the caller, who flushes the whole batch at once, and queries
    do not flush what is pending. What a service checks against rows already in the database is checked by
    the caller for the whole batch first; the unique indexes still refuse the batch's flush if someone wrote
    such a row meanwhile."""
    session.info[_BATCH] = {}   # what the services count on within the batch (``batch_state``)
    try:
        with session.no_autoflush:
            yield
    finally:
        session.info.pop(_BATCH, None)


def batching(session) -> bool:
    """Whether ``session`` is writing a batch (``batch``)."""
    return _BATCH in session.info


def batch_state(session) -> dict:
    """What the services writing a batch keep from one row to the next (a district's last volunteer number)."""
    return session.info[_BATCH]


# --- SQL that the two databases spell differently (timestamps are stored as naive UTC) -----------------

def _dialect() -> str:
    from linkage.extensions import db

    return db.session.get_bind().dialect.name


def elapsed_hours(later, earlier):
    """SQL: the hours from ``earlier`` to ``later`` (negative when ``later`` is earlier)."""
    if _dialect() == "postgresql":
        return sa.extract("epoch", later - earlier) / 3600.0
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24.0


def local_week(column):
    """SQL: the Monday (as text YYYY-MM-DD) of the Asia/Shanghai week ``column`` falls in (UTC+8 all year)."""
    if _dialect() == "postgresql":
        return sa.func.to_char(sa.func.date_trunc("week", column + sa.text("interval '8 hours'")), "YYYY-MM-DD")
    return sa.func.date(column, "+8 hours", "weekday 0", "-6 days")
