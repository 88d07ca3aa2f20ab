"""Checks of the running configuration, each answering (ok, what was found) in operators' English."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from linkage import jobs
from linkage.extensions import db
from linkage.production import KEYS, is_production

TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database(app: Flask) -> Check:
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as failure:
        return Check("database", False, f"unreachable ({type(failure.__cause__ or failure).__name__})")
    return Check("database", True, f"reachable ({db.engine.dialect.name})")


def _redis(app: Flask):
    from redis import Redis

    return Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=TIMEOUT_SECONDS,
                          socket_timeout=TIMEOUT_SECONDS)


def redis(app: Flask) -> Check:
    if not app.config.get("REDIS_URL"):
        return Check("redis", True, "not configured")
    from redis.exceptions import RedisError

    try:
        _redis(app).ping()
    except RedisError as failure:
        return Check("redis", False, f"unreachable ({type(failure).__name__})")
    return Check("redis", True, "reachable")


def migrations(app: Flask) -> Check:
    """The database's Alembic revision against the newest revision of migrations/."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError:
        return Check("migrations", False, "unknown (database unreachable)")
    if not current:
        return Check("migrations", False, f"not migrated (no revision recorded; head {', '.join(sorted(heads))})")
    if current != heads:
        return Check("migrations", False, f"behind: at {', '.join(sorted(current))}, head {', '.join(sorted(heads))}"
                     " (run flask db upgrade)")
    return Check("migrations", True, f"current ({', '.join(sorted(current))})")


def workers(app: Flask) -> Check:
    """Queued match runs need at least one ``flask worker`` listening on the app's queue."""
    if jobs.mode(app) != "redis":
        return Check("job workers", True, f"match runs execute in the web process ({jobs.mode(app)})")
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    try:
        listening = Worker.all(queue=Queue(app.config["JOB_QUEUE"], connection=_redis(app)))
    except RedisError as failure:
        return Check("job workers", False, f"unknown (Redis unreachable: {type(failure).__name__})")
    if not listening:
        return Check("job workers", False, f"none alive on queue {app.config['JOB_QUEUE']} (start flask worker)")
    return Check("job workers", True, f"{len(listening)} alive on queue {app.config['JOB_QUEUE']}")


def queue_length(app: Flask) -> int | None:
    """Match runs waiting on the Redis queue (None without Redis, or when it does not answer)."""
    if jobs.mode(app) != "redis":
        return None
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        return Queue(app.config["JOB_QUEUE"], connection=_redis(app)).count
    except RedisError:
        return None


def keys(app: Flask) -> Check:
    """Where the keys come from; generated files are for development only."""
    generated = app.extensions.get("linkage_generated_keys", {})
    if not generated:
        return Check("keys", True, "from the environment")
    named = ", ".join(f"{variable} generated into {generated[name]}" for name, variable in KEYS if name in generated)
    return Check("keys", not is_production(app.config), named)


def readiness(app: Flask) -> list[Check]:
    """What a request needs: the database, and Redis where it is configured."""
    return [database(app), redis(app)]


def configuration(app: Flask) -> list[Check]:
    """Everything ``flask check`` reports."""
    return [database(app), migrations(app), redis(app), workers(app), keys(app)]
