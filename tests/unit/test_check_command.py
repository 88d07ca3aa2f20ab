"""``flask check``: one line per item of the configuration's health, exit 1 when any fails."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import stamp

from linkage import create_app
from linkage.extensions import db
from tests.conftest import BASE_CONFIG

REDIS_URL = os.environ.get("LINKAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def stamped(app):
    """Lets a test record an Alembic revision in the test database, and removes it after."""
    yield lambda revision: stamp(revision=revision)
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def lines(result) -> dict[str, str]:
    """item name → its line."""
    found = {}
    for line in result.output.splitlines():
        name = line[6:].split(":", 1)[0]
        found[name] = line
    return found


def run_check(app):
    return app.test_cli_runner().invoke(args=["check"])


def test_a_database_built_without_migrations_is_not_migrated(app):
    result = run_check(app)
    report = lines(result)
    assert result.exit_code == 1
    assert report["database"].startswith("ok") and "reachable" in report["database"]
    assert report["migrations"].startswith("FAIL") and "not migrated" in report["migrations"]
    assert report["redis"] == "ok    redis: not configured"
    assert report["job workers"].startswith("ok") and "web process" in report["job workers"]
    # The fixture passes SECRET_KEY and DATA_KEY; the audit key is generated into the instance folder.
    assert report["keys"].startswith("ok") and "LINKAGE_AUDIT_KEY generated into" in report["keys"]
    assert "SECRET_KEY" not in report["keys"]


def test_current_migrations_pass_and_an_older_revision_is_behind(app, stamped):
    stamped("head")
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert lines(result)["migrations"].startswith("ok    migrations: current")

    scripts = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    older = scripts.get_revision(scripts.get_current_head()).down_revision
    stamped(older)
    result = run_check(app)
    assert result.exit_code == 1
    assert lines(result)["migrations"].startswith(f"FAIL  migrations: behind: at {older}")


def test_an_unreachable_database_fails(tmp_path):
    unreachable = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path / "instance"),
                              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}"})
    result = run_check(unreachable)
    report = lines(result)
    assert result.exit_code == 1
    assert report["database"].startswith("FAIL  database: unreachable")
    assert report["migrations"] == "FAIL  migrations: unknown (database unreachable)"


class TestWithRedis:
    @pytest.fixture
    def app_config(self):
        return {"JOB_MODE": "redis", "REDIS_URL": REDIS_URL, "JOB_QUEUE": f"linkage-test-{uuid.uuid4().hex[:8]}"}

    def test_redis_reachable_and_workers_counted(self, app, stamped):
        from redis import Redis
        from rq import Queue, Worker

        stamped("head")
        result = run_check(app)
        assert result.exit_code == 1
        assert lines(result)["redis"] == "ok    redis: reachable"
        assert lines(result)["job workers"].startswith("FAIL  job workers: none alive on queue linkage-test-")

        connection = Redis.from_url(REDIS_URL)
        worker = Worker([Queue(app.config["JOB_QUEUE"], connection=connection)], connection=connection,
                        name=f"check-{uuid.uuid4().hex[:8]}")
        worker.register_birth()
        try:
            result = run_check(app)
        finally:
            worker.register_death()
        assert result.exit_code == 0, result.output
        assert lines(result)["job workers"] == f"ok    job workers: 1 alive on queue {app.config['JOB_QUEUE']}"

    def test_unreachable_redis_fails(self, app, stamped):
        stamped("head")
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
        result = run_check(app)
        assert result.exit_code == 1
        assert lines(result)["redis"].startswith("FAIL  redis: unreachable")
        assert lines(result)["job workers"].startswith("FAIL  job workers: unknown")
