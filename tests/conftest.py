"""Fixtures: an app on a fresh database per test (SQLite or PostgreSQL), a client, an auth helper.

The database comes from LINKAGE_TEST_DB: "sqlite" (default) or "postgresql". PostgreSQL tests run
in a throw-away database created for this run on the local server and dropped at the end.

A test that asks for ``seeded_demo`` starts on the demo district ``flask seed-demo`` builds: seeded once
per test process and copied for each such test (see ``DemoSnapshot``).
"""
from __future__ import annotations

import functools
import itertools
import os
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from typing import Optional

import jinja2
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.routing.rules import Rule

from linkage import create_app
from linkage.extensions import db
from linkage.timeutil import now, today

TEST_DB = os.environ.get("LINKAGE_TEST_DB", "sqlite")
PG_SERVER = os.environ.get("LINKAGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "correct-horse-9"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "DATA_KEY": "test-data-key",
    "WTF_CSRF_ENABLED": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "SERVER_NAME": None,
    # Tests read English unless they ask for Chinese (the product's default, tested in test_auth).
    "BABEL_DEFAULT_LOCALE": "en",
    # Forecast fits run in the background only where a test asks for them (inline).
    "FORECAST_ON_DEMAND": False,
}


def _share_url_builders() -> None:
    """Every test builds its own app, and Werkzeug compiles a URL builder (Python source, through ``ast`` and
    ``compile``) for each of its ~200 routes: most of the ~0.16 s an app takes. The same rule compiles to the
    same function, which reads the rule's converters when called, so the tests' apps share the compiled ones."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    compiled: dict = {}

    @functools.wraps(compile_builder)
    def shared(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown,
               tuple(sorted((name, type(converter)) for name, converter in self._converters.items())))
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]
    Rule._compile_builder = shared


_share_url_builders()


class SharedTemplateCode(jinja2.BytecodeCache):
    """Each test's app has a Jinja environment of its own, which parses and compiles every template it renders
    (a third of a page test's time, measured). The tests' apps set Jinja up alike (``create_app``), so they share
    the compiled templates: kept in memory for the test process, each under its template's name and checked
    against its source."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def _build_schema(url: str, instance: str) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


class Databases:
    """Session-wide: where the schema lives. Called, gives the URL of a clean database for a test: on PostgreSQL
    the test process's own database, emptied; on SQLite a copy of an empty file.

    ``keep`` saves what such a database holds under a name, and ``Databases(name)`` gives a clean database
    holding it again: on PostgreSQL the rows are copied into a schema of that name and written back on the
    server, after the emptying and in the same round trip (ids and all, so the sequences, never reset, stay
    ahead of them); on SQLite the file is copied."""

    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count()
        self.kept: dict[str, str] = {}  # name: the SQLite file, or the PostgreSQL statements writing the rows back
        self.engine = self.admin = None
        if TEST_DB == "postgresql":
            self.name = f"linkage_test_{uuid.uuid4().hex[:10]}"
            self.admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            self.url = f"{PG_SERVER}/{self.name}"
            _build_schema(self.url, str(folder / "instance"))
            self.engine = sa.create_engine(self.url)
            # Children before their parents. DELETE is ~100x faster than TRUNCATE on small tables (measured:
            # 2-12 ms against 1.6 s for the 75 tables); replica mode skips the audit trail's append-only
            # trigger (and the foreign key checks of the rows written back), which only the test harness may
            # do. One string, so one round trip to the server.
            self.emptying = "SET LOCAL session_replication_role = replica;" + "".join(
                f'DELETE FROM "{table.name}";' for table in reversed(db.metadata.sorted_tables))
        else:
            self.template = folder / "template.sqlite3"
            _build_schema(f"sqlite:///{self.template}", str(folder))

    def __call__(self, kept: Optional[str] = None) -> str:
        if self.engine is not None:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(self.emptying + (self.kept[kept] if kept else ""))
            return self.url
        path = self.folder / f"test{next(self.counter)}.sqlite3"
        shutil.copyfile(self.kept[kept] if kept else self.template, path)
        return f"sqlite:///{path}"

    def keep(self, url: str, name: str) -> None:
        """Save as ``name`` what the database at ``url`` (given by this object, its connections closed) holds."""
        if self.engine is None:
            self.kept[name] = url.removeprefix("sqlite:///")  # handed out once: a copy is made for each test
            return
        tables = [table.name for table in db.metadata.sorted_tables]  # parents before their children
        with self.engine.begin() as conn:
            filled = set(conn.exec_driver_sql(" UNION ALL ".join(
                f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables)).scalars())
            tables = [table for table in tables if table in filled]
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE; CREATE SCHEMA "{name}";' + "".join(
                f'CREATE TABLE "{name}"."{table}" AS TABLE "{table}";' for table in tables))
        self.kept[name] = "".join(f'INSERT INTO "{table}" SELECT * FROM "{name}"."{table}";' for table in tables)

    def forget(self, name: str) -> None:
        kept = self.kept.pop(name)
        if self.engine is not None:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            return
        for leftover in (kept, kept + "-wal", kept + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)

    def close(self) -> None:
        if self.engine is None:
            return
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Session-wide: where the schema lives. Yields a callable giving a clean database URL per test (``Databases``)."""
    databases = Databases(tmp_path_factory.mktemp("db"))
    try:
        yield databases
    finally:
        databases.close()


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own ``g`` and database
    session. The test's session commits first (so SQLite's write lock is free and test setup is
    visible) and is expired after (so the test reads what the request wrote)."""

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app_config():
    """Override in a test module to change settings."""
    return {}


def make_app(url: str, instance, config: Optional[dict] = None):
    """An app of the tests' settings on the database at ``url`` and the instance folder ``instance``, with
    ``config`` over them. Log-in throttling counts live in the rate-limit storage: each app counts on its own."""
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                       "RATELIMIT_KEY_PREFIX": f"linkage-test-{uuid.uuid4().hex}", **(config or {})})


class Made:
    """When a snapshot was made, for both snapshots' one rule: what reads the clock (seeds, the world) is made
    anew when older than ``MAX_AGE`` or made on another day (local or the machine's)."""

    MAX_AGE = timedelta(minutes=10)

    def __init__(self):
        self.at, self.days = now(), (today(), date.today())

    def stale(self) -> bool:
        return now() - self.at > self.MAX_AGE or (today(), date.today()) != self.days


class DemoSnapshot:
    """The demo district, seeded once into a database of its own and an instance folder (the audit key and
    anchor, the uploaded documents), then copied for each test that asks for it: a file copy on SQLite, a
    database made from it as a template on PostgreSQL (nothing ever connects to the snapshot itself after
    the seed). Each copy is dropped after its test, and everything at the end of the run.

    The seed reads the clock (shifts from tomorrow on, needs past their target, a meeting half an hour ago),
    so a stale snapshot (``Made``) is seeded anew: a copy is what a seed made moments before the test gives,
    as a test that seeds for itself sees it after a few minutes of work."""

    def __init__(self, folder):
        self.folder = folder
        self.admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT") \
            if TEST_DB == "postgresql" else None
        self.url = self.instance = self.made = None
        self.logins: list[tuple[str, str]] = []
        self.databases: set[str] = set()  # PostgreSQL databases made and not dropped yet
        self.dropper: Optional[ThreadPoolExecutor] = None
        self.drops: list[Future] = []

    def _database(self, template=None) -> str:
        name = f"linkage_test_{uuid.uuid4().hex[:10]}"
        if self.admin is None:
            path = self.folder / f"{name}.sqlite3"
            if template is not None:
                shutil.copyfile(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        self.databases.add(name)
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (
                f' TEMPLATE "{sa.engine.make_url(template).database}"' if template is not None else ""))
        return f"{PG_SERVER}/{name}"

    def _seed(self) -> None:
        from linkage.seed import seed_demo

        url, instance = self._database(), self.folder / f"instance-{uuid.uuid4().hex[:10]}"
        application = make_app(url, instance)
        with application.app_context():
            try:
                db.create_all()
                made = Made()
                created, logins = seed_demo()
                assert created
                db.session.commit()
            finally:
                db.session.remove()
                db.engine.dispose()
        if self.url is not None:
            self.drop(self.url)
            shutil.rmtree(self.instance, ignore_errors=True)
        self.url, self.instance, self.made, self.logins = url, instance, made, logins

    def copy(self, instance) -> str:
        """A database holding the demo (its URL) and ``instance``, a copy of the seed's instance folder."""
        if self.url is None or self.made.stale():
            self._seed()
        shutil.copytree(self.instance, instance)
        return self._database(self.url)

    def drop(self, url: str) -> None:
        """Remove a copy (or an old snapshot). PostgreSQL checkpoints on every DROP DATABASE (seconds on a
        slow disk), so databases are dropped one after the other in a thread while the tests go on."""
        if self.admin is None:
            path = url.removeprefix("sqlite:///")
            for leftover in (path, path + "-wal", path + "-shm"):
                if os.path.exists(leftover):
                    os.remove(leftover)
            return
        if self.dropper is None:
            self.dropper = ThreadPoolExecutor(max_workers=1)
        self.drops.append(self.dropper.submit(self._drop, sa.engine.make_url(url).database))

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.databases.discard(name)

    def close(self) -> None:
        """Drop every database made (waiting for the drops under way), whatever happened to the tests."""
        if self.admin is None:
            return
        try:
            if self.dropper is not None:
                self.dropper.shutdown(wait=True)
            for name in list(self.databases):
                self._drop(name)
        finally:
            self.admin.dispose()
        for done in self.drops:
            done.result()  # a drop that failed is reported


@pytest.fixture(scope="session")
def demo_snapshot(tmp_path_factory):
    snapshot = DemoSnapshot(tmp_path_factory.mktemp("demo"))
    try:
        yield snapshot
    finally:
        snapshot.close()


class WorldSnapshot:
    """The small district of ``build_world``, built once per test process and settings (``app_config``) into a
    database and an instance folder of its own, then copied for each test that asks for ``world``: the rows
    (``Databases.keep``) and the instance folder. The folder holds the audit key the world's rows are sealed
    with and the audit anchor, so the test's app opens the copy under the key that built it; the test's
    session then loads the objects the world names (one query per model).

    The world reads the clock (accounts created now, a grade awarded a year before today), so a snapshot older
    than ``Made.MAX_AGE`` or made on another day is built anew, as ``DemoSnapshot`` does; ``KEPT`` snapshots at most
    are kept (a module's settings may hold a name made afresh for each test)."""

    KEPT = 32

    def __init__(self, databases: Databases, folder):
        self.databases = databases
        self.folder = folder
        self.counter = itertools.count()
        self.saved: dict[str, tuple] = {}  # settings: (name, instance folder, object ids, when made: ``Made``)

    def copy(self, instance, config) -> tuple[str, dict]:
        """A database holding the world (its URL) and ``instance``, a copy of the world's instance folder; and
        the ids of the world's objects, for ``load``."""
        settings = repr(sorted(config.items()))
        saved = self.saved.get(settings)
        if saved is None or saved[3].stale():
            saved = self._build(settings, config)
        shutil.copytree(saved[1], instance)
        return self.databases(saved[0]), saved[2]

    def _build(self, settings: str, config) -> tuple:
        from tests.factories import build_world

        name = f"world_{next(self.counter)}"
        url, instance = self.databases(), self.folder / name
        application = make_app(url, instance, config)
        with application.app_context():
            try:
                made = Made()
                w = build_world()
                db.session.commit()
                ids = {field: (type(value), value.id) for field, value in vars(w).items() if field != "users"}
                ids["users"] = {username: user.id for username, user in w.users.items()}
            finally:
                db.session.remove()
                db.engine.dispose()
        self.databases.keep(url, name)
        self._forget(settings)
        while len(self.saved) >= self.KEPT:
            self._forget(next(iter(self.saved)))
        self.saved[settings] = (name, instance, ids, made)
        return self.saved[settings]

    def _forget(self, settings: str) -> None:
        if settings in self.saved:
            name, instance, *_ = self.saved.pop(settings)
            self.databases.forget(name)
            shutil.rmtree(instance, ignore_errors=True)

    @staticmethod
    def load(ids: dict):
        """The world whose objects have these ids, loaded into the test's session."""
        from linkage.models import User
        from tests.factories import World

        named = {field: found for field, found in ids.items() if field != "users"}
        wanted: dict[type, set] = {User: set(ids["users"].values())}
        for model, key in named.values():
            wanted.setdefault(model, set()).add(key)
        loaded = {(model, found.id): found for model, keys in wanted.items()
                  for found in db.session.scalars(sa.select(model).where(model.id.in_(keys)))}
        return World(**{field: loaded[found] for field, found in named.items()},
                     users={username: loaded[User, key] for username, key in ids["users"].items()})


@pytest.fixture(scope="session")
def world_snapshot(database, tmp_path_factory):
    return WorldSnapshot(database, tmp_path_factory.mktemp("world"))


WORLD_IDS = pytest.StashKey[dict]()


@pytest.fixture
def app(request, database, app_config, tmp_path):
    instance = tmp_path / "instance"
    # A test asking for ``seeded_demo`` (itself or through its fixtures) starts on a copy of the demo; one
    # asking for ``world``, on a copy of the world.
    demo = request.getfixturevalue("demo_snapshot") if "seeded_demo" in request.fixturenames else None
    if demo is not None:
        url = demo.copy(instance)
    elif "world" in request.fixturenames:
        url, request.node.stash[WORLD_IDS] = request.getfixturevalue("world_snapshot").copy(instance, app_config)
    else:
        url = database()
    application = make_app(url, instance, app_config)
    application.test_client_class = FreshContextClient
    application.jinja_env.bytecode_cache = TEMPLATE_CODE
    try:
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
    finally:
        if demo is not None:
            demo.drop(url)


@pytest.fixture
def seeded_demo(app, demo_snapshot):
    """The demo district of ``flask seed-demo`` (seeded with its defaults) in the test's own database: ``app``
    starts on a copy of it. Returns the demo log-ins, [(role label, username), ...], as the seed did."""
    return list(demo_snapshot.logins)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app, request):
    """A small district with one account per role (see tests/factories.py): ``app`` starts on a copy of it
    (``WorldSnapshot``), unless the test starts on the demo, where it is built."""
    from tests.factories import build_world

    if WORLD_IDS in request.node.stash:
        return WorldSnapshot.load(request.node.stash[WORLD_IDS])
    w = build_world()
    db.session.commit()
    return w


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username, password=PASSWORD):
        response = self._client.post("/auth/login", data={"username": username, "password": password})
        assert response.status_code == 302, f"login as {username} failed"
        return response

    def logout(self):
        return self._client.post("/auth/logout")

    def as_(self, user):
        self.logout()
        return self.login(user.username)


@pytest.fixture
def auth(client):
    return AuthActions(client)
