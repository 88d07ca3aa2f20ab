"""Residents' rights: the export of everything held (JSON, PDF), anonymization on request, retention batches."""
import json
from datetime import timedelta

import sqlalchemy as sa

from linkage import timeutil
from linkage.community import rights
from linkage.extensions import db
from linkage.models import (AccountStatus, AuditEvent, Feedback, Need, NeedPhoto, NeedStatus, Resident, Role)
from linkage.needs import intake
from linkage.security import blind_index
from tests.factories import make_need, make_resident, make_resident_id, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _registered(world):
    """The resident with an ID number, phone, address and a closed need with a photo and a comment."""
    resident = make_resident(world.c1, name="Zhao Lan", born=timeutil.today().replace(year=1950, month=5, day=17))
    resident.phone, resident.address = "13912345678", "Plum Lane 5"
    need = make_need(resident, world.visits, status=NeedStatus.closed, title="Zhao Lan's window")
    need.description, need.closed_at = "Broken window at Plum Lane 5", timeutil.now() - timedelta(days=3)
    db.session.add(Feedback(need=need, rating=4, comment="Thank you, Mr Li"))
    intake.attach_photos(need, [("w.png", PNG, "png")], actor=world["staff1"])
    db.session.commit()
    return resident, need


def test_staff_export_is_masked_and_logged(client, auth, world):
    resident, need = _registered(world)
    auth.login("staff1")
    response = client.get(f"/community/residents/{resident.id}/export.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    number = data["resident"]["id_number"]
    assert number.startswith("**************") and len(number) == 18 and data["resident"]["health_notes"] is None
    assert data["resident"]["phone"] == "13912345678"
    assert [n["title"] for n in data["needs"]] == ["Zhao Lan's window"] and data["needs"][0]["photos"] == 1
    assert data["needs"][0]["rating_comment"] == "Thank you, Mr Li"
    [event] = events("resident.export")
    assert (event.actor_id, event.subject_id) == (world["staff1"].id, resident.id)
    pdf = client.get(f"/community/residents/{resident.id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and len(events("resident.export")) == 2
    assert "exported the data" in client.get(f"/community/residents/{resident.id}").get_data(as_text=True)


def test_staff_of_another_community_reach_no_export(client, auth, world):
    resident, _need = _registered(world)
    auth.login("staff3")
    for kind in ("json", "pdf"):
        assert client.get(f"/community/residents/{resident.id}/export.{kind}").status_code == 403
    assert client.post(f"/community/residents/{resident.id}/anonymize",
                       data={"reason": "asked in writing", "confirm": "y"}).status_code == 403
    assert events("resident.export") == [] and db.session.get(Resident, resident.id).name == "Zhao Lan"


def test_a_resident_exports_their_own_data_in_full(client, auth, world):
    world.resident.id_number_encrypted = None
    number = make_resident_id(seq=321)
    from linkage.security import encrypt
    world.resident.id_number_encrypted, world.resident.id_number_index = encrypt(number), blind_index(number)
    make_need(world.resident, world.visits, status=NeedStatus.open, title="My own need")
    db.session.commit()
    auth.login("resident")
    assert "download (PDF)" in client.get("/needs/").get_data(as_text=True)
    data = json.loads(client.get("/needs/my-data.json").get_data(as_text=True))
    assert data["resident"]["id_number"] == number and [n["title"] for n in data["needs"]] == ["My own need"]
    assert client.get("/needs/my-data.pdf").data.startswith(b"%PDF")
    assert len(events("resident.export_own")) == 2


def test_anonymizing_removes_what_names_the_person_and_keeps_the_statistics(client, auth, world):
    resident, need = _registered(world)
    user = make_user("zhaolan", Role.resident, world.c1, name="Zhao Lan")
    resident.user = user
    db.session.commit()
    index = resident.id_number_index
    stored = need.photos[0].stored_name
    auth.login("staff1")
    refused = client.post(f"/community/residents/{resident.id}/anonymize", data={"reason": "asked in writing"})
    assert refused.status_code == 200 and "Tick the box to confirm." in refused.get_data(as_text=True)
    response = client.post(f"/community/residents/{resident.id}/anonymize",
                           data={"reason": "Written request of 1 Dec", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    resident, need = db.session.get(Resident, resident.id), db.session.get(Need, need.id)
    assert (resident.name, resident.phone, resident.address, resident.id_number_encrypted,
            resident.id_number_index, resident.health_notes_encrypted, resident.tags) == (
        "已匿名", None, "", None, None, None, set())
    assert resident.user_id is None and db.session.get(type(user), user.id).status == AccountStatus.suspended
    # The need stays counted: category, region, status and dates; its words, photos and comment go.
    assert (need.category_id, need.region_id, need.status, need.closed_at is not None) == (
        world.visits.id, world.c1.id, NeedStatus.closed, True)
    assert (need.title, need.description, need.feedback.rating, need.feedback.comment) == ("已匿名", "", 4, "")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedPhoto)) == 0
    from linkage import uploads
    assert uploads.read_back(intake.PHOTOS, stored, encrypted=True) is None
    assert db.session.scalar(sa.select(Resident.id).where(Resident.id_number_index == index)) is None
    [event] = events("resident.anonymize")
    assert event.subject_id == resident.id and event.after == {"needs": 1, "photos": 1}
    page = client.get(f"/community/residents/{resident.id}").get_data(as_text=True)
    assert "Zhao Lan" not in page and "13912345678" not in page and "Anonymized at the resident" in page
    export = client.get(f"/community/residents/{resident.id}/export.json").get_data(as_text=True)
    assert "Zhao Lan" not in export and "Plum Lane" not in export and "Mr Li" not in export


def test_anonymizing_waits_for_open_needs(client, auth, world):
    resident, _need = _registered(world)
    make_need(resident, world.visits, status=NeedStatus.open)
    db.session.commit()
    auth.login("staff1")
    response = client.post(f"/community/residents/{resident.id}/anonymize",
                           data={"reason": "Written request", "confirm": "y"})
    assert "still has needs in progress" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).name == "Zhao Lan" and events("resident.anonymize") == []


def test_retention_anonymizes_expired_needs_in_audited_batches(app, world):
    old = []
    for i in range(5):
        need = make_need(world.resident, world.visits, status=NeedStatus.closed, title=f"Old {i}")
        need.description, need.closed_at = "at home", timeutil.now() - timedelta(days=40 * 31)
        old.append(need.id)
    recent = make_need(world.resident, world.visits, status=NeedStatus.closed, title="Recent")
    recent.closed_at = timeutil.now() - timedelta(days=30)
    still_open = make_need(world.resident, world.visits, status=NeedStatus.open, title="Open")
    db.session.commit()
    outcome = rights.run(size=2)
    assert (outcome.needs, outcome.batches) == (5, 3)
    batches = events("need.retention_batch")
    assert sorted(i for event in batches for i in event.after["need_ids"]) == sorted(old)
    assert [len(event.after["need_ids"]) for event in batches] == [2, 2, 1]
    titles = dict(db.session.execute(sa.select(Need.id, Need.title)).all())
    assert all(titles[i] == "已匿名" for i in old)
    assert titles[recent.id] == "Recent" and titles[still_open.id] == "Open"
    assert rights.run(size=2).needs == 0 and len(events("need.retention_batch")) == 3


def test_the_command_runs_the_retention(app, world):
    need = make_need(world.resident, world.visits, status=NeedStatus.withdrawn, title="Long gone")
    need.closed_at = timeutil.now() - timedelta(days=40 * 31)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["residents", "anonymize-expired", "--batch-size", "10"])
    assert result.exit_code == 0 and "1 needs anonymized in 1 batches" in result.output
    db.session.expire_all()
    assert db.session.get(Need, need.id).title == "已匿名"
