"""The Alembic migrations build exactly the schema the models describe, on this run's database."""
import json
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from linkage import create_app
from linkage.extensions import db
from linkage.models import Resident, Volunteer
from linkage.security import blind_index, decrypt, encrypt
from tests.conftest import BASE_CONFIG, PG_SERVER, TEST_DB
from tests.factories import make_resident_id


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


OLD_ID = make_resident_id(date(1950, 5, 17), 123)       # a man, ...1237


def _columns(table):
    with db.engine.connect() as conn:
        return {column["name"] for column in sa.inspect(conn).get_columns(table)}


def _old_people(conn, *, resident_birth=date(1950, 5, 17)):
    """The schema before personal data was kept encrypted: clear birth dates, gender and ID tail."""
    conn.execute(sa.text("INSERT INTO regions (id, level, code, name, name_en, path) "
                         "VALUES (1, 'community', 'C1', '梅园社区', 'Plum', '/1/')"))
    conn.execute(sa.text("INSERT INTO volunteers (id, name, birth_date, status, region_id, max_travel_km, "
                         "weekly_minutes_limit, guardian_consent, no_show_count, created_at) VALUES "
                         "(1, 'Young Li', :born, 'active', 1, 3, 600, false, 0, CURRENT_TIMESTAMP), "
                         "(2, 'No Date', NULL, 'active', 1, 3, 600, false, 0, CURRENT_TIMESTAMP)"),
                 {"born": date(2010, 4, 5)})
    conn.execute(sa.text("INSERT INTO availability (volunteer_id, weekday, start_time, end_time) "
                         "VALUES (1, 0, '09:00:00', '12:00:00')"))
    conn.execute(sa.text("INSERT INTO residents (id, name, gender, birth_date, id_number_encrypted, "
                         "id_number_index, id_number_tail, address, region_id, created_at) VALUES "
                         "(1, 'Zhou Lan', 'M', :born, :number, :index, '1237', '', 1, CURRENT_TIMESTAMP), "
                         "(2, 'Self Registered', NULL, NULL, NULL, NULL, NULL, '', 1, CURRENT_TIMESTAMP)"),
                 {"born": resident_birth, "number": encrypt(OLD_ID), "index": blind_index(OLD_ID)})


def test_clear_birth_dates_gender_and_id_tails_are_encrypted_or_dropped_and_back(empty_database_url,
                                                                                   tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            _old_people(conn)
        upgrade(revision="0003")
        assert {"birth_date", "gender", "id_number_tail"}.isdisjoint(_columns("residents"))
        assert "birth_date" not in _columns("volunteers")
        with db.engine.connect() as conn:
            blobs = dict(conn.execute(sa.text("SELECT id, birth_date_encrypted FROM volunteers")).all())
            kept_windows = conn.execute(sa.text("SELECT count(*) FROM availability")).scalar()
        assert blobs[2] is None and b"2010" not in bytes(blobs[1]) and b"0405" not in bytes(blobs[1])
        assert decrypt(blobs[1]) == "2010-04-05"
        assert kept_windows == 1          # the volunteers table was altered, not copied and dropped
        upgrade(revision="0012")          # the last schema with a birth date apart from the ID number
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM availability")).scalar() == 1
            blobs = dict(conn.execute(sa.text("SELECT id, birth_date_encrypted FROM volunteers")).all())
        assert decrypt(blobs[1]) == "2010-04-05" and blobs[2] is None
        with db.engine.connect() as conn:    # read as the models would (later columns are not there yet)
            numbers = dict(conn.execute(sa.text("SELECT id, id_number_encrypted FROM residents")).all())
        resident, self_registered = (Resident(id_number_encrypted=numbers[1]),
                                     Resident(id_number_encrypted=numbers[2]))
        assert (resident.birth_date, resident.gender, resident.masked_id_number) == (
            date(1950, 5, 17), "M", "**************1237")
        assert (self_registered.birth_date, self_registered.gender, self_registered.masked_id_number) == (
            None, None, "")
        db.session.remove()
        downgrade(revision="0002")
        with db.engine.connect() as conn:
            volunteers = conn.execute(sa.text("SELECT id, birth_date FROM volunteers ORDER BY id")).all()
            residents = conn.execute(sa.text("SELECT id, gender, birth_date, id_number_tail FROM residents "
                                             "ORDER BY id")).all()
        assert [(i, str(born) if born else None) for i, born in volunteers] == [(1, "2010-04-05"), (2, None)]
        assert [(i, g, str(b) if b else None, t) for i, g, b, t in residents] == [
            (1, "M", "1950-05-17", "1237"), (2, None, None, None)]
        upgrade()                         # real names: the birth date comes from the ID number volunteers enter
        assert "birth_date_encrypted" not in _columns("volunteers")
        assert db.session.get(Volunteer, 1).birth_date is None
        assert not db.session.get(Volunteer, 1).consents
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_the_upgrade_keeps_a_birth_date_the_id_number_does_not_give(empty_database_url, tmp_path, capfd):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            _old_people(conn, resident_birth=date(1951, 1, 1))
        with pytest.raises(SystemExit):       # Flask-Migrate logs the RuntimeError and exits
            upgrade(revision="0003")
        assert "residents [1] hold a birth date" in capfd.readouterr().err
        assert "birth_date" in _columns("residents") and "birth_date" in _columns("volunteers")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT birth_date FROM residents WHERE id = 1")).scalar() is not None
        downgrade(revision="base")
        db.engine.dispose()


def test_real_names_keep_the_volunteers_and_their_weekly_windows_and_back(empty_database_url, tmp_path):
    """0016 (real names) drops the birth date apart from the ID number and the ticked consent box; volunteers, their
    windows and their other columns stay (the table is altered in place on SQLite, never emptied by a cascade)."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO regions (id, level, code, name, name_en, path) "
                                 "VALUES (1, 'community', 'C1', '梅园社区', 'Plum', '/1/')"))
            conn.execute(sa.text("INSERT INTO volunteers (id, name, birth_date_encrypted, status, region_id, "
                                 "max_travel_km, weekly_minutes_limit, guardian_consent, no_show_count, created_at) "
                                 "VALUES (1, 'Young Li', :blob, 'active', 1, 3, 600, true, 0, CURRENT_TIMESTAMP)"),
                         {"blob": encrypt("2010-04-05")})
            conn.execute(sa.text("INSERT INTO availability (volunteer_id, weekday, start_time, end_time) "
                                 "VALUES (1, 0, '09:00:00', '12:00:00')"))
        upgrade()
        assert {"birth_date_encrypted", "guardian_consent"}.isdisjoint(_columns("volunteers"))
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM availability")).scalar() == 1
        volunteer = db.session.get(Volunteer, 1)
        assert (volunteer.name, volunteer.weekly_minutes_limit, volunteer.birth_date) == ("Young Li", 600, None)
        assert not volunteer.guardian_consent       # a ticked box is not a recorded consent
        db.session.remove()
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM availability")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM volunteers")).scalar() == 1
        downgrade(revision="base")
        db.engine.dispose()
