"""Residents' consents: recorded on every path of registration and intake, seen and withdrawn by the resident
and by their community's staff, enforced once withdrawn, reachable by no other community."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from linkage import sheets
from linkage.community import consents
from linkage.extensions import db
from linkage.imports import services as imports
from linkage.models import (AuditEvent, ConsentChannel, ConsentPurpose, Need, NeedStatus, Resident, ResidentConsent,
                            User)
from tests.factories import make_resident, make_resident_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def on_file(resident=None, purpose=None):
    query = sa.select(ResidentConsent).order_by(ResidentConsent.id)
    if resident is not None:
        query = query.where(ResidentConsent.resident_id == resident.id)
    if purpose is not None:
        query = query.where(ResidentConsent.purpose == purpose)
    return db.session.scalars(query).all()


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def need_form(world, **changes):
    data = {"category": world.visits.id, "title": "Someone to chat with", "description": "", "urgency": "2",
            "window_start": "", "window_end": "", "recurrence": "once", "consent": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- recorded on every path ----------------------------------------------------------------------------------

def test_staff_registration_records_consent_by_the_staff_account_in_person(client, auth, world):
    auth.login("staff1")
    number = make_resident_id(date(1950, 5, 17), 123)
    assert client.post("/community/residents/new", data={
        "name": "Zhou Lan", "id_number": number, "address": "Plum Lane 3-101", "region": world.c1.id,
        "consent": "y"}).status_code == 302
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Zhou Lan"))
    [consent] = on_file(resident)
    assert (consent.purpose, consent.channel, consent.recorded_by_id, consent.need_id) == (
        ConsentPurpose.personal_data, ConsentChannel.staff_in_person, world["staff1"].id, None)
    [event] = events("resident.consent_record")
    assert event.actor_id == world["staff1"].id and event.after["purpose"] == "personal_data"


@pytest.mark.parametrize("ticked", [True, False])
def test_self_registration_records_the_residents_own_consent_or_registers_nobody(client, world, ticked):
    data = {"role": "resident", "display_name": "Zhao Lan", "username": "zhaolan", "phone": "13800000001",
            "community": world.c1.id, "password": "long-enough-1", "confirm": "long-enough-1"}
    if ticked:
        data["consent"] = "y"
    before = on_file()
    response = client.post("/auth/register", data=data)
    user = db.session.scalar(sa.select(User).where(User.username == "zhaolan"))
    if not ticked:
        assert response.status_code == 200 and "tick the box" in response.get_data(as_text=True)
        assert user is None and on_file() == before
        return
    resident = db.session.scalar(sa.select(Resident).where(Resident.user_id == user.id))
    [consent] = on_file(resident)
    assert (consent.purpose, consent.channel, consent.recorded_by_id) == (
        ConsentPurpose.personal_data, ConsentChannel.resident_self, user.id)


def test_an_import_records_each_residents_consent_as_collected_on_paper(app, world):
    body = sheets.to_csv(imports.headers("en"), [
        ["居民1", make_resident_id(date(1950, 1, 2), 11), world.c1.code, "1号楼", "", "", "", "是"],
        ["居民2", make_resident_id(date(1951, 1, 2), 13), world.c1.code, "2号楼", "", "", "", "是"]])
    registered = imports.import_residents(world["staff1"], "r.csv", body, actor=world["staff1"])
    db.session.commit()
    for resident in registered:
        [consent] = on_file(resident)
        assert (consent.channel, consent.recorded_by_id) == (ConsentChannel.spreadsheet, world["staff1"].id)


@pytest.mark.parametrize("who, url, extra, channel", [
    ("resident", "/needs/new", {}, ConsentChannel.resident_self),
    ("staff1", "/community/needs/new?resident={id}", {}, ConsentChannel.staff_in_person),
    ("staff1", "/community/needs/new?resident={id}", {"by_phone": "y"}, ConsentChannel.by_phone),
    ("grid", "/community/needs/new?resident={id}", {}, ConsentChannel.grid_worker),
])
def test_every_intake_channel_records_consent_to_share_the_request(client, auth, world, who, url, extra, channel):
    auth.login(who)
    response = client.post(url.format(id=world.resident.id), data=need_form(world, **extra))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    need = db.session.scalar(sa.select(Need))
    shared = on_file(world.resident, ConsentPurpose.sharing)
    assert [(c.need_id, c.channel, c.recorded_by_id) for c in shared] == [(need.id, channel, world[who].id)]
    assert on_file(world.resident, ConsentPurpose.photos) == []


def test_an_intake_without_the_tick_files_nothing(client, auth, world):
    auth.login("staff1")
    response = client.post(f"/community/needs/new?resident={world.resident.id}",
                           data=need_form(world, consent=None))
    assert response.status_code == 200 and "Tick the consent box" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert on_file(world.resident, ConsentPurpose.sharing) == []


def test_photos_need_their_own_consent_which_is_recorded(client, auth, world):
    auth.login("resident")
    data = need_form(world)
    data["photos"] = [(io.BytesIO(PNG), "leak.png")]
    response = client.post("/needs/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "photo consent" in response.get_data(as_text=True)
    data = need_form(world, photo_consent="y")
    data["photos"] = [(io.BytesIO(PNG), "leak.png")]
    assert client.post("/needs/new", data=data, content_type="multipart/form-data").status_code == 302
    need = db.session.scalar(sa.select(Need))
    assert [c.need_id for c in on_file(world.resident, ConsentPurpose.photos)] == [need.id]


# --- seen and withdrawn -------------------------------------------------------------------------------------

def given(world):
    """The consent to keeping their data the test resident gave when staff registered them."""
    return consents.current(world.resident, ConsentPurpose.personal_data)


def test_a_resident_sees_and_withdraws_their_own_consent_and_then_must_consent_again(client, auth, world):
    consent = given(world)
    auth.login("resident")
    page = client.get("/needs/consents").get_data(as_text=True)
    assert "Keeping and using my personal data" in page and "Told to community staff in person" in page
    assert f"/needs/consents/{consent.id}/withdraw" in page
    assert client.post(f"/needs/consents/{consent.id}/withdraw").status_code == 302
    db.session.expire_all()
    withdrawn = db.session.get(ResidentConsent, consent.id)
    assert (withdrawn.withdrawn_by_id, withdrawn.withdrawal_channel) == (world["resident"].id,
                                                                         ConsentChannel.resident_self)
    [event] = events("resident.consent_withdraw")
    assert event.actor_id == world["resident"].id and event.after["purpose"] == "personal_data"
    exported = client.get("/needs/my-data.json").get_json()["consents"]
    assert [(c["purpose"], c["withdrawal_channel"]) for c in exported] == [("personal_data", "resident_self")]
    # Enforced: no new request until the resident consents again.
    assert "was withdrawn: a request can be filed only" in client.get("/needs/new").get_data(as_text=True)
    response = client.post("/needs/new", data=need_form(world))
    assert response.status_code == 200 and "no request can be filed" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert client.post("/needs/new", data=need_form(world, data_consent="y")).status_code == 302
    renewed = consents.current(world.resident, ConsentPurpose.personal_data)
    assert renewed is not None and renewed.id != consent.id and renewed.channel == ConsentChannel.resident_self
    # Withdrawing twice is refused, not an error page.
    assert client.post(f"/needs/consents/{consent.id}/withdraw", follow_redirects=True).status_code == 200
    assert len(events("resident.consent_withdraw")) == 1


def test_staff_record_a_withdrawal_by_phone_and_a_shared_request_not_taken_up_is_withdrawn(client, auth, world):
    auth.login("staff1")
    assert client.post(f"/community/needs/new?resident={world.resident.id}", data=need_form(world)).status_code == 302
    need = db.session.scalar(sa.select(Need))
    [sharing] = on_file(world.resident, ConsentPurpose.sharing)
    page = client.get(f"/community/residents/{world.resident.id}").get_data(as_text=True)
    assert 'id="consents"' in page and f"For the need “{need.title}” filed" in page and "#" not in page.split(
        'id="consents"')[1].split("</section>")[0]  # the need by its words, never its number
    bad = client.post(f"/community/residents/{world.resident.id}/consents/{sharing.id}/withdraw",
                      data={"channel": "spreadsheet"}, follow_redirects=True)
    assert bad.status_code == 200 and db.session.get(ResidentConsent, sharing.id).withdrawn_at is None
    assert client.post(f"/community/residents/{world.resident.id}/consents/{sharing.id}/withdraw",
                       data={"channel": "by_phone"}).status_code == 302
    db.session.expire_all()
    withdrawn = db.session.get(ResidentConsent, sharing.id)
    assert (withdrawn.withdrawn_by_id, withdrawn.withdrawal_channel) == (world["staff1"].id, ConsentChannel.by_phone)
    assert db.session.get(Need, need.id).status == NeedStatus.withdrawn


def test_withdrawn_photo_consent_hides_the_photos_from_staff(client, auth, world):
    auth.login("resident")
    data = need_form(world, photo_consent="y")
    data["photos"] = [(io.BytesIO(PNG), "leak.png")]
    assert client.post("/needs/new", data=data, content_type="multipart/form-data").status_code == 302
    need = db.session.scalar(sa.select(Need))
    url = f"/community/needs/{need.id}/photos/{need.photos[0].id}"
    [photos] = on_file(world.resident, ConsentPurpose.photos)
    assert client.post(f"/needs/consents/{photos.id}/withdraw").status_code == 302
    auth.as_(world["staff1"])
    assert client.get(url).status_code == 404


# --- nobody else -------------------------------------------------------------------------------------------

def test_another_communitys_staff_and_another_resident_reach_no_consent(client, auth, world):
    consent = given(world)
    auth.login("staff3")
    assert client.get(f"/community/residents/{world.resident.id}").status_code == 403
    assert client.post(f"/community/residents/{world.resident.id}/consents/{consent.id}/withdraw",
                       data={"channel": "by_phone"}).status_code == 403
    auth.logout()
    other = make_resident(world.c1, name="Other", user=User(username="other", display_name="Other",
                                                            role=world["resident"].role, region=world.c1,
                                                            password_hash=world["resident"].password_hash))
    db.session.commit()
    auth.login("other")
    assert f"/needs/consents/{consent.id}/withdraw" not in client.get("/needs/consents").get_data(as_text=True)
    assert client.post(f"/needs/consents/{consent.id}/withdraw").status_code == 404
    # The grid worker sees the history but records no withdrawal.
    auth.as_(world["grid"])
    page = client.get(f"/community/residents/{world.resident.id}").get_data(as_text=True)
    assert 'id="consents"' in page and "/withdraw" not in page
    assert client.post(f"/community/residents/{world.resident.id}/consents/{consent.id}/withdraw",
                       data={"channel": "by_phone"}).status_code == 403
    assert db.session.get(ResidentConsent, consent.id).withdrawn_at is None and other.id


def test_consents_read_in_chinese(client, auth, world):
    given(world)
    world["resident"].locale = "zh_CN"
    db.session.commit()
    auth.login("resident")
    page = client.get("/needs/consents").get_data(as_text=True)
    assert "我的同意记录" in page and "撤回" in page and "Keeping" not in page and "保存和使用" in page


def test_the_staff_need_page_says_withdrawn_photos_are_withheld_and_links_none(client, auth, world):
    auth.login("resident")
    data = need_form(world, photo_consent="y")
    data["photos"] = [(io.BytesIO(PNG), "leak.png")]
    assert client.post("/needs/new", data=data, content_type="multipart/form-data").status_code == 302
    need = db.session.scalar(sa.select(Need))
    photo_url = f"/community/needs/{need.id}/photos/{need.photos[0].id}"
    auth.as_(world["staff1"])
    page = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    assert photo_url in page and "withdrew consent to these photos" not in page
    auth.as_(world["resident"])
    [photos] = on_file(world.resident, ConsentPurpose.photos)
    assert client.post(f"/needs/consents/{photos.id}/withdraw").status_code == 302
    auth.as_(world["staff1"])
    page = client.get(f"/community/needs/{need.id}").get_data(as_text=True)
    assert "withdrew consent to these photos" in page
    assert f"/community/needs/{need.id}/photos/" not in page
    chinese = client.get(f"/community/needs/{need.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "撤回" in chinese and f"/community/needs/{need.id}/photos/" not in chinese
