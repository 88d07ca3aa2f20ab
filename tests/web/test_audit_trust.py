"""Audit you can trust: the keyed chain, the anchor file outside the database, and row seals that
find business rows written outside the app. "Outside" here is SQL sent straight to the database on
a connection of its own, as someone with database access would; on PostgreSQL the append-only
trigger is bypassed with ``session_replication_role = replica``, on SQLite whoever holds the file
drops the triggers."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from linkage import audit, create_app
from linkage.extensions import db
from linkage.models import (AuditEvent, MatchKind, MatchRun, MatchStatus, Need, Organization, OrgStatus, Skill,
                            SignUp)
from linkage.models.types import utcnow
from linkage.organizations.services import blacklist_organization
from linkage.shifts.places import detach_slot
from tests.conftest import BASE_CONFIG
from tests.factories import make_need
from tests.web.test_community_needs import need_form
from tests.web.test_shifts_support import add_sign_up, project_shift


# --- acting outside the app --------------------------------------------------------------------------

def outside(statement: str, params: dict | None = None, *, past_the_guard: bool = False) -> None:
    """Run SQL on a connection of its own, not through the app's session."""
    db.session.commit()
    with db.engine.begin() as conn:
        if past_the_guard and conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        elif past_the_guard:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        conn.execute(sa.text(statement), params or {})
    db.session.expire_all()


def plain_sha256(event: AuditEvent, prev_hash: str, note: str) -> str:
    """The unkeyed hash every event had before the chain was keyed (what a forger can compute)."""
    body = {"prev": prev_hash, "at": event.at.isoformat(), "actor": event.actor_id, "action": event.action,
            "subject": [event.subject_type, event.subject_id], "region": event.region_id,
            "before": event.before, "after": event.after, "note": note}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_events(world, how_many: int) -> list[int]:
    """Events recorded by the app, each committed on its own (so each is anchored); an event is linked
    into the chain, and gets its id, when its transaction commits."""
    ids = []
    for number in range(how_many):
        event = audit.record(world["admin"], "test.step", world.c1, after={"step": number})
        db.session.commit()
        ids.append(sa.inspect(event).identity[0])  # not reloaded: no transaction left open
    return ids


def run(app, *args):
    db.session.commit()
    return app.test_cli_runner().invoke(args=list(args))


def anchor_lines(app) -> list[str]:
    path = app.config["AUDIT_ANCHOR_PATH"]
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return handle.read().splitlines()


def problems() -> list[str]:
    db.session.commit()
    return audit.verify().problems


# --- the keyed chain ---------------------------------------------------------------------------------

@pytest.mark.parametrize("keep_key_version", [True, False])
def test_a_rewritten_event_with_its_sha256_recomputed_is_caught(app, world, keep_key_version):
    ids = record_events(world, 4)
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    # The forger rewrites the second of our events and re-links every later one with plain SHA-256,
    # which is all the old chain asked for.
    start = next(index for index, event in enumerate(events) if event.id == ids[1])
    prev, rewritten = events[start - 1].hash, []
    for event in events[start:]:
        note = "rewritten" if event.id == ids[1] else event.note
        digest = plain_sha256(event, prev, note)
        rewritten.append({"id": event.id, "note": note, "prev": prev, "hash": digest,
                          "version": event.key_version if keep_key_version else None})
        prev = digest
    for values in rewritten:
        outside("UPDATE audit_events SET note = :note, prev_hash = :prev, hash = :hash, key_version = :version "
                "WHERE id = :id", values, past_the_guard=True)
    assert db.session.get(AuditEvent, ids[1]).note == "rewritten"
    found = problems()
    if keep_key_version:
        assert f"Event {ids[1]} does not match its hash (altered, or sealed without the audit key)." in found
    else:
        assert f"Event {ids[1]} is sealed without the audit key after keyed events (rewritten)." in found
    assert audit.verify_chain()[1] == ids[1]
    result = run(app, "audit", "verify")
    assert result.exit_code == 1 and f"Event {ids[1]}" in result.output


def test_rewriting_the_whole_chain_without_the_key_differs_from_the_anchor(app, world):
    ids = record_events(world, 3)
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    prev = audit.GENESIS
    for event in events:
        note = "rewritten" if event.id == ids[0] else event.note
        digest = plain_sha256(event, prev, note)
        outside("UPDATE audit_events SET note = :note, prev_hash = :prev, hash = :hash, key_version = NULL "
                "WHERE id = :id", {"id": event.id, "note": note, "prev": prev, "hash": digest},
                past_the_guard=True)
        prev = digest
    assert f"Event {ids[-1]} differs from its checkpoint in the anchor file (rewritten)." in problems()


def test_a_chain_checked_under_another_key_is_refused(app, world):
    ids = record_events(world, 2)
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "INSTANCE_PATH": app.instance_path, "AUDIT_KEY": "not-the-audit-key"})
    with other.app_context():
        found = audit.verify().problems
        db.session.remove()
        db.engine.dispose()
    assert f"Event {ids[0]} does not match its hash (altered, or sealed without the audit key)." in found
    assert any("Anchor file line" in problem for problem in found)


def test_events_written_before_the_chain_was_keyed_still_verify(app, world):
    """An upgraded database: its old events carry plain SHA-256 and no key version."""
    prev = audit.GENESIS
    for number in range(3):
        old = AuditEvent(at=datetime(2026, 1, 1, 10, number, tzinfo=timezone.utc), actor_id=None,
                         action="old.step", subject_type="", subject_id=None, region_id=None, before=None,
                         after={"n": number}, note="", prev_hash=prev, key_version=None)
        old.hash = prev = plain_sha256(old, prev, "")
        db.session.add(old)
        db.session.commit()
    assert problems() == []
    new = record_events(world, 1)[0]
    assert db.session.get(AuditEvent, new).prev_hash == prev
    assert problems() == []
    # An unkeyed event may not come after keyed ones.
    last = db.session.get(AuditEvent, new)
    forged = AuditEvent(at=last.at, actor_id=None, action="old.step", subject_type="", subject_id=None,
                        region_id=None, before=None, after=None, note="", prev_hash=last.hash, key_version=None)
    forged.hash = plain_sha256(forged, last.hash, "")
    db.session.add(forged)
    db.session.commit()
    assert f"Event {forged.id} is sealed without the audit key after keyed events (rewritten)." in problems()


# --- the anchor file ---------------------------------------------------------------------------------

def test_deleting_the_latest_five_events_is_a_cut_tail(app, world):
    ids = record_events(world, 8)
    outside("DELETE FROM audit_events WHERE id >= :first", {"first": ids[-5]}, past_the_guard=True)
    assert db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) == ids[-6]
    assert audit.verify_chain()[1] is not None
    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert (f"Tail cut after event {ids[-6]}: the anchor file has a checkpoint at event {ids[-1]}, "
            "which the chain no longer reaches.") in result.output


def test_every_commit_that_records_events_appends_one_signed_checkpoint(app, world):
    path = app.config["AUDIT_ANCHOR_PATH"]
    assert os.path.dirname(path) == app.instance_path
    before = anchor_lines(app)
    ids = record_events(world, 3)
    audit.record(world["admin"], "test.rolled_back", world.c1)
    db.session.rollback()
    lines = anchor_lines(app)[len(before):]
    hashes = dict(db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(ids))).all())
    assert [line.split()[:2] for line in lines] == [[str(i), hashes[i]] for i in ids]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def _append_checkpoints(app, first: int) -> None:
    with app.app_context():
        for number in range(first, first + 200):
            audit.write_checkpoint(number, f"{number:064x}")


def test_several_processes_append_whole_lines(app, world):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_checkpoints, args=(app, 1000 * n)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    lines = anchor_lines(app)
    written = [line for line in lines if int(line.split()[0]) >= 1000]
    assert len(written) == 800
    assert all(len(line.split()) == 3 for line in written)
    # Every line is a checkpoint signed with the key (none torn): the verifier reads them all.
    found: list[str] = []
    checkpoints = audit._read_anchor(app.config["AUDIT_ANCHOR_PATH"], found)
    assert found == [] and len(checkpoints) >= 800


def test_a_missing_or_forged_anchor_file_is_reported(app, world):
    record_events(world, 2)
    path = app.config["AUDIT_ANCHOR_PATH"]
    os.remove(path)
    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"The anchor file {path} is missing: the end of the chain cannot be checked" in result.output
    with open(path, "w") as handle:
        handle.write(f"99999 {'a' * 64} {'b' * 64}\n")
    result = run(app, "audit", "verify")
    assert result.exit_code == 1 and "Anchor file line 1 is not a checkpoint signed with the audit key." in result.output


def test_a_fresh_install_has_no_anchor_file_until_the_first_event(app):
    path = app.config["AUDIT_ANCHOR_PATH"]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0 and not os.path.exists(path)
    result = run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    result = run(app, "audit", "checkpoint")
    assert result.exit_code == 0 and "The audit chain is empty; nothing to anchor." in result.output


# --- business rows written outside the app -------------------------------------------------------------

def test_a_direct_update_unblacklisting_an_organization_is_reported(app, world):
    blacklist_organization(world.org1, "Falsified service records", actor=world["civil"])
    db.session.commit()
    assert problems() == []
    outside("UPDATE organizations SET status = :status WHERE id = :id",
            {"status": OrgStatus.active.name, "id": world.org1.id})
    assert db.session.get(Organization, world.org1.id).status == OrgStatus.active
    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert (f"Table organizations, row {world.org1.id}: changed outside the app (seal does not match)."
            in result.output)


def test_a_value_the_app_could_not_read_is_reported_not_fatal(app, world):
    # A status no page knows and a time that is no time, written outside the app: the models could not
    # load the row, yet the check reads it and names it.
    organization, need = world.org1.id, make_need(world.resident, world.visits).id
    outside("UPDATE organizations SET status = 'verified' WHERE id = :id", {"id": organization})
    outside("UPDATE needs SET created_at = 'not a time' WHERE id = :id" if db.engine.dialect.name == "sqlite"
            else "UPDATE needs SET created_at = created_at - interval '1 second' WHERE id = :id", {"id": need})
    result = run(app, "audit", "verify")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    for table, row in (("organizations", organization), ("needs", need)):
        assert f"Table {table}, row {row}: changed outside the app (seal does not match)." in result.output


def test_a_direct_insert_is_reported(app, world):
    outside("INSERT INTO skills (code, name, name_en, is_certificate, active) VALUES ('forged', 'x', 'x', :no, :yes)",
            {"no": False, "yes": True})
    row = db.session.scalar(sa.select(Skill.id).where(Skill.code == "forged"))
    assert problems() == [f"Table skills, row {row}: added outside the app (no seal)."]


def test_a_direct_delete_is_reported(app, world):
    need_id = make_need(world.resident, world.visits).id
    db.session.commit()
    outside("DELETE FROM needs WHERE id = :id", {"id": need_id})
    assert db.session.scalar(sa.select(sa.func.count(Need.id)).where(Need.id == need_id)) == 0
    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"Table needs, row {need_id}: deleted outside the app (its seal remains)." in result.output


def test_bulk_statements_of_the_app_keep_seals_current(app, world):
    """UPDATE and DELETE statements sent through the session bypass the unit of work."""
    shift = project_shift(world, slots=((None, 2),))
    add_sign_up(shift, world.volunteer)
    db.session.commit()
    detach_slot(shift.slots[0])
    db.session.execute(sa.update(Organization).where(Organization.id == world.org2.id)
                       .values(status=OrgStatus.suspended))
    spare = Skill(code="spare", name="spare", name_en="spare")
    db.session.add(spare)
    db.session.commit()
    db.session.execute(sa.delete(Skill).where(Skill.code == "spare"))
    db.session.commit()
    assert db.session.scalar(sa.select(SignUp.slot_id)) is None
    assert problems() == []


def test_a_match_runs_heartbeat_is_bookkeeping_outside_its_seal(app, world):
    run = MatchRun(kind=MatchKind.shifts, region=world.c1)
    db.session.add(run)
    db.session.commit()
    db.session.execute(sa.update(MatchRun).where(MatchRun.id == run.id)
                       .values(heartbeat_at=utcnow(), best_so_far=7, job_id="job-1"))
    db.session.commit()
    outside("UPDATE match_runs SET best_so_far = 8 WHERE id = :id", {"id": run.id})
    assert problems() == []
    outside("UPDATE match_runs SET status = :status WHERE id = :id",
            {"status": MatchStatus.approved.name, "id": run.id})
    assert problems() == [f"Table match_runs, row {run.id}: changed outside the app (seal does not match)."]


def test_a_column_added_to_a_sealed_table_keeps_the_older_rows_seals(app, world):
    """A change request sealed before it could name a new end keeps its seal (the empty new column does not
    count); writing a new end outside the app is caught."""
    from types import SimpleNamespace

    from linkage import seals
    from linkage.models import ChangeKind, ChangeRequest, Contract
    from tests.factories import make_bid, make_project
    project = make_project(world.district, creator=world["civil"])
    bid = make_bid(project, world.org1)
    contract = Contract(project=project, bid=bid, organization_id=world.org1.id, region_id=project.region_id,
                        amount=1, term_start=datetime(2026, 1, 1).date(), term_end=datetime(2027, 1, 1).date())
    change = ChangeRequest(contract=contract, kind=ChangeKind.team, description="One more social worker")
    db.session.add_all([contract, change])
    db.session.commit()
    table = ChangeRequest.__table__
    row = db.session.execute(seals._stored(table).where(table.c.id == change.id)).one()
    older = sa.Table("change_requests", sa.MetaData(), *[sa.Column(c.name) for c in table.columns
                                                        if c.name != "new_end"])
    assert seals.seal_of(table, row) == seals.seal_of(older, SimpleNamespace(**row._mapping))
    assert problems() == []
    outside("UPDATE change_requests SET new_end = '2027-06-01' WHERE id = :id", {"id": change.id})
    assert problems() == [f"Table change_requests, row {change.id}: changed outside the app (seal does not match)."]


# --- what the app does verifies clean ---------------------------------------------------------------

def test_a_normal_app_flow_through_the_web_verifies_clean(app, client, auth, world):
    auth.login("staff1")
    assert client.post(f"/community/needs/new?resident={world.resident.id}", data=need_form(world)).status_code == 302
    shift = project_shift(world, slots=((None, 2),))
    db.session.commit()
    auth.as_(world["vol"])
    assert client.post(f"/shifts/{shift.id}/sign-up").status_code == 302
    auth.as_(world["civil"])
    response = client.post(f"/organizations/{world.org1.id}/blacklist",
                           data={"blacklist-reason": "Falsified service records"})
    assert response.status_code == 302
    assert db.session.get(Organization, world.org1.id).status == OrgStatus.blacklisted
    assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 1
    last = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    assert anchor_lines(app)[-1].split()[0] == str(last)
    for command in (("audit", "verify"), ("verify-audit",)):
        result = run(app, *command)
        assert result.exit_code == 0, result.output
        assert "Audit trail intact" in result.output


def test_the_demo_seed_verifies_clean(app):
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    result = run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("row_seals"))) > 100


def test_checkpoint_anchors_the_newest_event(app, world):
    ids = record_events(world, 2)
    result = run(app, "audit", "checkpoint")
    path = app.config["AUDIT_ANCHOR_PATH"]
    assert result.exit_code == 0 and f"Checkpoint at event {ids[-1]} appended to {path}." in result.output
    last = anchor_lines(app)[-1].split()
    assert last[:2] == [str(ids[-1]), db.session.get(AuditEvent, ids[-1]).hash]


def test_rows_written_before_seals_existed_are_sealed_once_by_the_operator(app, world):
    outside("DELETE FROM row_seals WHERE table_name = 'skills'")
    assert len(problems()) == 2  # the world's two skills
    result = run(app, "audit", "seal-existing")
    assert result.exit_code == 0 and "2 rows sealed." in result.output
    assert problems() == []
    assert run(app, "audit", "verify").exit_code == 0


def test_the_administrators_check_on_the_audit_page_reports_outside_edits_in_words(app, client, auth, world):
    auth.login("admin")
    response = client.post("/admin/audit/verify", follow_redirects=True)
    assert "Audit trail intact" in response.get_data(as_text=True)
    outside("UPDATE organizations SET name = 'Renamed' WHERE id = :id", {"id": world.org2.id})
    page = client.post("/admin/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert "The audit trail is not intact: 1 problems found." in page
    assert "Table organizations" not in page  # words for the reader; the table and row are for the operator
