"""Backups of the database while the site runs (``flask backup``); docs/operations.md says how to restore.

SQLite: SQLite's online backup API copies a consistent snapshot page by page while others read and
write (copying the file itself can catch a half-written page or miss what is still in the WAL file).
PostgreSQL: ``pg_dump -Fc`` (a consistent snapshot in one transaction), restored with ``pg_restore``
into a new database.

The audit trail's anchor file (the signed checkpoints of the chain, outside the database) is copied
beside the backup as ``<backup>.anchor`` *before* the database is read, so every checkpoint in the copy
names an event the backup holds: the restored database verifies against it (``flask audit verify``).

The keys are not in the database and not in the backup: SECRET_KEY, the data key (LINKAGE_DATA_KEY), the
audit key (LINKAGE_AUDIT_KEY), or ``secret.key``, ``data.key`` and ``audit.key`` in the instance folder,
and the instance folder's other files are kept apart from it (docs/operations.md, "What to back up").
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Optional

import sqlalchemy as sa


class BackupError(Exception):
    """The backup could not be written; the message says why, for the operator."""


def libpq_environment(url: str) -> dict[str, str]:
    """The PG* variables that point pg_dump, pg_restore and psql at the database of ``url`` (so the
    password never stands on a command line)."""
    parts = sa.engine.make_url(url)
    values = {"PGHOST": parts.host, "PGPORT": parts.port, "PGUSER": parts.username,
              "PGPASSWORD": parts.password, "PGDATABASE": parts.database}
    return {name: str(value) for name, value in values.items() if value not in (None, "")}


def _private_file(path: str) -> str:
    """Create ``path`` empty, readable and writable by its owner only (a backup holds personal data);
    the backup then writes into it. A leftover from an interrupted backup is replaced."""
    if os.path.exists(path):
        os.remove(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def backup_sqlite(database_path: str, target: str) -> None:
    """Copy the SQLite database at ``database_path`` to ``target`` with the online backup API."""
    if not os.path.exists(database_path):
        raise BackupError(f"There is no database at {database_path}.")
    partial = _private_file(target + ".part")
    source = sqlite3.connect(Path(database_path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(partial, target)  # a backup file is whole or absent


def backup_postgresql(url: str, target: str) -> None:
    """Dump the PostgreSQL database of ``url`` to ``target`` in pg_dump's custom format."""
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    partial = _private_file(target + ".part")
    finished = subprocess.run([program, "--format=custom", "--no-owner", "--file", partial],
                              env={**os.environ, **libpq_environment(url)}, capture_output=True, text=True)
    if finished.returncode != 0:
        if os.path.exists(partial):
            os.remove(partial)
        raise BackupError(f"pg_dump failed: {finished.stderr.strip()}")
    os.replace(partial, target)


def copy_anchor(anchor_path: Optional[str], target: str) -> Optional[str]:
    """Copy the audit anchor file to ``<target>.anchor`` (owner only); its path, or None without one."""
    if not anchor_path or not os.path.exists(anchor_path):
        return None
    copy = _private_file(target + ".anchor")
    with open(anchor_path, "rb") as source, open(copy, "wb") as destination:
        shutil.copyfileobj(source, destination)
    return copy


def backup(url: str, target: str, anchor_path: Optional[str] = None) -> str:
    """Write a backup of the database at ``url`` to the new file ``target`` (and the audit anchor file
    at ``anchor_path``, first, to ``<target>.anchor``); return how it was made."""
    if os.path.exists(target) or os.path.exists(target + ".anchor"):
        raise BackupError(f"{target} exists; choose a new file name.")
    parts = sa.engine.make_url(url)
    if parts.get_backend_name() not in ("sqlite", "postgresql"):
        raise BackupError(f"No backup method for {parts.get_backend_name()} databases.")
    if parts.get_backend_name() == "sqlite" and (not parts.database or parts.database == ":memory:"):
        raise BackupError("This SQLite database lives in memory; there is no file to back up.")
    anchor = copy_anchor(anchor_path, target)
    try:
        return _backup_database(url, parts, target)
    except BackupError:
        if anchor:
            os.remove(anchor)
        raise


def _backup_database(url: str, parts: sa.engine.URL, target: str) -> str:
    if parts.get_backend_name() == "sqlite":
        backup_sqlite(parts.database, target)
        return "SQLite online backup"
    backup_postgresql(url, target)
    return "pg_dump, custom format"
