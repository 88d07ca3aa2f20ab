"""Backups: `flask backup` of a filled database, restored into a new database the way
docs/operations.md says, opens with everything in it: every table's rows, the same pages, log-in, and
an intact audit chain."""
from __future__ import annotations

import difflib
import os
import re
import shutil
import stat
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from linkage import audit, create_app
from linkage.audit import verify_chain
from linkage.backup import libpq_environment
from linkage.extensions import db
from linkage.models import Shift, ShiftStatus, SignUp, User, Volunteer
from linkage.seed import DEMO_PASSWORD
from linkage.shifts import access as shift_access, eligibility
from linkage.timeutil import now
from tests.conftest import BASE_CONFIG, PG_SERVER, TEST_DB, AuthActions, FreshContextClient

pytestmark = pytest.mark.slow

NEW_PASSWORD = "a-new-passphrase-42"
PAGES = {"civil": ["/", "/matching/", "/shifts/", "/organizations/", "/projects/"],
         "community": ["/community/residents", "/community/needs"]}


@pytest.fixture
def filled(app, client, seeded_demo):
    """The demo district, then a few actions over the web: a volunteer signs up for a shift she may
    take, and changes her password. Returns the shift's id."""
    volunteer = db.session.scalar(sa.select(Volunteer).join(User).where(User.username == "volunteer"))
    shift = next(s for s in db.session.scalars(sa.select(Shift).where(
        Shift.status == ShiftStatus.open, Shift.start > now(), Shift.first_come.is_(True))
        .order_by(Shift.start))
        if eligibility.check(volunteer, s, now=now(), self_service=True) is None
        and shift_access.can_view(volunteer.user, s, volunteer))
    auth = AuthActions(client)
    auth.login("volunteer", DEMO_PASSWORD)
    assert client.post(f"/shifts/{shift.id}/sign-up").status_code == 302
    assert db.session.scalar(sa.select(SignUp).where(SignUp.shift_id == shift.id,
                                                     SignUp.volunteer_id == volunteer.id)) is not None
    response = client.post("/auth/password", data={"current_password": DEMO_PASSWORD,
                                                   "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    return shift.id


def row_counts() -> dict[str, int]:
    """Rows in every table of the database (as the database lists them, not as the models do)."""
    names = sa.inspect(db.session.connection()).get_table_names()
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in names}


def pages(app) -> dict[str, str]:
    """A few pages as civil affairs and community staff see them, without what differs per request
    (CSRF tokens, nonces)."""
    seen = {}
    for username, paths in PAGES.items():
        seen.update(pages_as(app, username, paths))
    return seen


def pages_as(app, username: str, paths: list[str]) -> dict[str, str]:
    app.test_client_class = FreshContextClient
    client = app.test_client()
    AuthActions(client).login(username, DEMO_PASSWORD)
    seen = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = re.sub(r'(name="csrf_token"[^>]*value="|nonce=")[^"]*', r"\1",
                            response.get_data(as_text=True))
    return seen


def restore(url: str, backup: str, tmp_path) -> str:
    """Restore ``backup`` into a new database with the commands of docs/operations.md; its URL."""
    if TEST_DB != "postgresql":
        target = tmp_path / "restored" / "linkage.sqlite3"  # cp linkage-backup.sqlite3 …/linkage.sqlite3
        target.parent.mkdir()
        shutil.copyfile(backup, target)
        return f"sqlite:///{target}"
    name = f"linkage_restore_{uuid.uuid4().hex[:10]}"
    environment = {**os.environ, **libpq_environment(url)}
    subprocess.run(["createdb", name], env=environment, check=True, capture_output=True)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", name, backup], env=environment,
                   check=True, capture_output=True)
    return f"{PG_SERVER}/{name}"


def drop(url: str) -> None:
    if TEST_DB == "postgresql":
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = sa.engine.make_url(url).database
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_backup_restores_into_a_new_database_with_everything(app, filled, tmp_path):
    if TEST_DB == "postgresql":
        server = db.session.execute(sa.text("SHOW server_version")).scalar().split()[0].split(".")[0]
        client_version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout
        assert re.search(rf"\) {server}\.", client_version), (server, client_version)
    counts, (events, broken) = row_counts(), verify_chain()
    assert broken is None and events > 0
    assert counts["sign_ups"] > 0 and counts["users"] > 10
    before = pages(app)
    db.session.commit()

    backup = str(tmp_path / "linkage-backup")
    # The site keeps working meanwhile: a write in progress neither blocks the backup nor ends up in it.
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.connect() as writer:
        writer.execute(sa.text("UPDATE users SET display_name = 'not yet committed' "
                               "WHERE username = 'civil'"))
        result = app.test_cli_runner().invoke(args=["backup", backup])
        writer.rollback()
    other.dispose()
    assert result.exit_code == 0, result.output
    assert "backed up" in result.output and "data key" in result.output and "audit key" in result.output
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600  # it holds personal data
    assert os.path.exists(backup + ".anchor")              # the audit anchor file, copied before the dump
    # A second backup never overwrites the first.
    assert app.test_cli_runner().invoke(args=["backup", backup]).exit_code != 0

    url = restore(app.config["SQLALCHEMY_DATABASE_URI"], backup, tmp_path)
    restored = None
    try:
        instance = tmp_path / "restored-instance"
        instance.mkdir()
        shutil.copyfile(backup + ".anchor", instance / "audit-anchor.log")  # as docs/operations.md says
        restored = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                               "AUDIT_ANCHOR_PATH": str(instance / "audit-anchor.log"),
                               "SECRET_KEY": app.config["SECRET_KEY"], "DATA_KEY": app.config["DATA_KEY"],
                               "AUDIT_KEY": app.config["AUDIT_KEY"],
                               "RATELIMIT_KEY_PREFIX": f"linkage-test-{uuid.uuid4().hex}"})
        with restored.app_context():
            assert row_counts() == counts
            assert verify_chain() == (events, None)
            # The chain with its checkpoints, and every business row's seal, as `flask audit verify` checks.
            assert audit.verify().problems == []
            db.session.commit()
            after = pages(restored)
            assert after.keys() == before.keys()
            for path, page in before.items():
                assert after[path] == page, (path, "".join(difflib.unified_diff(
                    page.splitlines(True), after[path].splitlines(True), "before", "restored", n=2)))
            # The password changed over the web before the backup is the one that works after it.
            client = restored.test_client()
            assert client.post("/auth/login", data={"username": "volunteer", "password": NEW_PASSWORD}
                               ).status_code == 302
            assert db.session.scalar(sa.select(SignUp).where(SignUp.shift_id == filled)) is not None
    finally:
        if restored is not None:  # close its connections even when a check failed, before the drop
            with restored.app_context():
                db.session.remove()
                db.engine.dispose()
        drop(url)
