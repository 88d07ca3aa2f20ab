"""The Alembic migrations build exactly the schema the models describe, on this run's database."""
import json
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from linkage import create_app
from linkage.extensions import db
from tests.conftest import BASE_CONFIG, PG_SERVER, TEST_DB


@pytest.fixture
def empty_database_url(tmp_path):
    if TEST_DB == "postgresql":
        name = f"linkage_migrate_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield f"{PG_SERVER}/{name}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_database_url, tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        # The audit trail's append-only triggers come with the migration too.
        with db.engine.connect() as conn:
            conn.execute(sa.text("INSERT INTO audit_events (at, action, subject_type, note, prev_hash, hash) "
                                 "VALUES (CURRENT_TIMESTAMP, 'test', 'X', '', :p, :h)"), {"p": "0" * 64, "h": "1" * 64})
            conn.commit()
            with pytest.raises(sa.exc.DBAPIError):
                conn.execute(sa.text("DELETE FROM audit_events"))
            conn.rollback()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            remaining = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_notification_links_stored_as_paths_become_endpoints_and_back(empty_database_url, tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, username, password_hash, display_name, role, status, "
                                 "session_version, created_at) VALUES (1, 'v', 'x', 'V', 'volunteer', 'active', 1, "
                                 "CURRENT_TIMESTAMP)"))
            for link in ("/shifts/7", "/volunteers/hours", "/somewhere/else"):
                conn.execute(sa.text("INSERT INTO notifications (user_id, kind, params, link, created_at) "
                                     "VALUES (1, 'shift_assigned', '{}', :link, CURRENT_TIMESTAMP)"), {"link": link})
        upgrade(revision="0002")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT link_endpoint, link_args FROM notifications ORDER BY id")).all()
        loaded = [(endpoint, args if isinstance(args, dict) else json.loads(args))
                  for endpoint, args in rows]
        assert loaded == [("shifts.detail", {"shift_id": 7}), ("volunteers.hours", {}), ("", {})]
        downgrade(revision="0001")
        with db.engine.connect() as conn:
            links = conn.execute(sa.text("SELECT link FROM notifications ORDER BY id")).scalars().all()
        assert links == ["/shifts/7", "/volunteers/hours", ""]
        downgrade(revision="base")
        db.engine.dispose()
