"""A self-registered resident whose ID number matches a record staff keep is linked to it, never made twice."""
from datetime import date

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AccountStatus, AuditEvent, ClaimStatus, Resident, ResidentClaim, User, VolunteerClaim
from tests.factories import make_resident, make_resident_id


def register(client, world, username, id_number, community=None):
    return client.post("/auth/register", data={
        "role": "resident", "display_name": "Zhao Lan", "username": username, "phone": "13800000001",
        "community": (community or world.c1).id, "password": "long-enough-1", "confirm": "long-enough-1",
        "id_number": id_number, "consent": "y"})


def residents():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Resident))


def kept_record(world):
    """A resident staff registered, with an ID number; returns (resident, number)."""
    resident = make_resident(world.c1, name="赵兰", born=date(1948, 3, 9))
    db.session.commit()
    from linkage.security import decrypt
    return resident, decrypt(resident.id_number_encrypted)


def test_a_matching_registration_claims_the_kept_record_and_staff_confirm_it(client, auth, world):
    resident, number = kept_record(world)
    before = residents()
    assert register(client, world, "zhaolan", number.lower()).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "zhaolan"))
    claim = db.session.scalar(sa.select(ResidentClaim))
    assert residents() == before and (claim.user_id, claim.resident_id, claim.status) == (
        user.id, resident.id, ClaimStatus.pending)
    auth.login("staff1")
    page = client.get("/community/accounts").get_data(as_text=True)
    assert "matches the record of 赵兰" in page
    assert client.post(f"/community/accounts/{user.id}/verify").status_code == 302
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).user_id == user.id and residents() == before
    assert db.session.get(ResidentClaim, claim.id).status == ClaimStatus.confirmed
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "resident.link")) == \
        world["staff1"].id
    auth.logout()
    auth.login("zhaolan", "long-enough-1")
    data = client.get("/needs/my-data.json").get_json()
    assert data["resident"]["id"] == resident.id and data["resident"]["name"] == "赵兰"


def test_a_new_number_makes_one_record_that_staff_cannot_register_again(client, auth, world):
    number = make_resident_id(date(1960, 1, 2), seq=77)
    before = residents()
    assert register(client, world, "newres", number).status_code == 302
    assert residents() == before + 1 and db.session.scalar(sa.select(sa.func.count()).select_from(ResidentClaim)) == 0
    auth.login("staff1")
    response = client.post("/community/residents/new", data={
        "name": "Someone", "id_number": number, "region": world.c1.id, "consent": "y", "address": "Plum Lane 1"})
    assert "already registered" in response.get_data(as_text=True) and residents() == before + 1


def test_another_communitys_staff_cannot_confirm_a_claim(client, auth, world):
    resident, number = kept_record(world)
    register(client, world, "faraway", number, community=world.c3)
    user = db.session.scalar(sa.select(User).where(User.username == "faraway"))
    auth.login("staff3")
    assert "another community keeps" in client.get("/community/accounts").get_data(as_text=True)
    client.post(f"/community/accounts/{user.id}/verify")
    db.session.expire_all()
    assert db.session.get(User, user.id).status == AccountStatus.pending
    assert db.session.get(Resident, resident.id).user_id is None


def test_a_bad_id_number_creates_nothing(client, world):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    response = register(client, world, "typo", "11010119900101123")
    assert response.status_code == 200 and "not a valid resident ID number" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def _claim_note(client, **headers) -> str:
    import html
    import re
    page = client.get("/community/accounts", headers=headers).get_data(as_text=True)
    notes = re.findall(r'<div class="small text-info-emphasis claim">(.*?)</div>', page, re.S)
    return html.unescape(" ".join(" ".join(notes).split()))


def test_civil_affairs_read_which_community_links_a_claim(client, auth, world):
    """Civil affairs are above the communities: the claim names the community whose staff link it (a record
    "another community" keeps says nothing to them), or says an administrator does when no community can."""
    resident, number = kept_record(world)                       # kept by Plum Community
    register(client, world, "zhaolan", number)                  # registered in Plum Community too
    user = db.session.scalar(sa.select(User).where(User.username == "zhaolan"))
    auth.login("civil")
    note = _claim_note(client)
    assert "another community" not in note
    assert note == ("ID number matches the record Plum Community keeps: that community's staff verify this account, "
                    "which links it to the record.")
    assert _claim_note(client, **{"Accept-Language": "zh-CN"}) == \
        "身份证号与Plum Community保存的记录相符：请由该社区工作人员审核此账号，审核后账号将关联该记录。"
    refused = client.post(f"/community/accounts/{user.id}/verify", follow_redirects=True).get_data(as_text=True)
    assert "that community&#39;s staff verify this account" in refused
    db.session.expire_all()
    assert db.session.get(User, user.id).status == AccountStatus.pending


def test_a_claim_across_communities_is_linked_by_an_administrator(client, auth, world):
    resident, number = kept_record(world)                       # kept by Plum Community
    register(client, world, "faraway", number, community=world.c3)  # registered in River Community
    auth.login("staff3")
    assert _claim_note(client) == ("ID number matches a record another community keeps: an administrator verifies "
                                   "this account and links it to that record.")
    auth.as_(world["civil"])
    assert _claim_note(client) == ("ID number matches the record Plum Community keeps, not the community this "
                                   "account registered in: an administrator verifies this account and links it to "
                                   "that record.")
    auth.as_(world["civil2"])                                   # Bund Street: Plum Community is outside their area
    assert _claim_note(client).startswith("ID number matches the record a community outside your area keeps, not")


def test_a_residents_and_a_volunteers_claim_take_the_same_steps(client, auth, world):
    """The two kinds of claim share their columns and their steps: filed and audited on the record alike,
    confirmed by the verifying staff alike; only the record differs."""
    from tests.web import test_volunteer_claims as volunteer_claims
    from tests.web.test_volunteer_identity import registration
    resident, number = kept_record(world)
    volunteer, volunteer_number = volunteer_claims.kept_record(world)
    assert register(client, world, "zhaolan", number).status_code == 302
    assert client.post("/auth/register", data=registration(world, id_number=volunteer_number)).status_code == 302
    claims = [db.session.scalar(sa.select(ResidentClaim)), db.session.scalar(sa.select(VolunteerClaim))]
    assert [claim.record for claim in claims] == [resident, volunteer]
    for claim in claims:
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == claim.CLAIM_ACTION))
        assert (event.actor_id, event.subject_type, event.subject_id, event.region_id, event.after) == (
            None, type(claim.record).__name__, claim.record.id, world.c1.id, {"user_id": claim.user_id})
        assert (claim.status, claim.decided_by_id, claim.decided_at) == (ClaimStatus.pending, None, None)
    auth.login("staff1")
    for claim in claims:
        assert client.post(f"/community/accounts/{claim.user_id}/verify").status_code == 302
    db.session.expire_all()
    for claim in claims:
        assert (claim.status, claim.decided_by_id, claim.record.user_id) == (
            ClaimStatus.confirmed, world["staff1"].id, claim.user_id)
        assert claim.decided_at is not None
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == claim.LINK_ACTION))
        assert (event.actor_id, event.subject_id, event.after) == (
            world["staff1"].id, claim.record.id, {"user_id": claim.user_id})

    def columns(model, record_column):
        return [(c.name, repr(c.type), c.nullable, c.unique, c.index,
                 sorted(f.target_fullname for f in c.foreign_keys))
                for c in model.__table__.columns if c.name != record_column]
    assert columns(ResidentClaim, "resident_id") == columns(VolunteerClaim, "volunteer_id")
