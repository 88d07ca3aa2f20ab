"""A volunteer staff registered in person or imported registers online under the same ID number: the
account claims the kept record (no second one), staff of the volunteer's community confirm it, audited."""
from datetime import date

import sqlalchemy as sa

from linkage import timeutil
from linkage.extensions import db
from linkage.identifiers import compose_resident_id
from linkage.models import AccountStatus, AuditEvent, ClaimStatus, Role, User, Volunteer, VolunteerClaim
from linkage.records import numbers
from linkage.volunteers import services
from tests.factories import make_user
from tests.web.test_volunteer_identity import registration


def volunteers():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer))


def kept_record(world, community=None):
    """A volunteer staff met in person (no account), as an import writes them; returns (volunteer, number)."""
    number = compose_resident_id("310101", date(1985, 6, 7), 21)
    volunteer = services.register_by_staff(services.ProfileData(name="刘芳", id_number=number,
                                                                community=community or world.c1),
                                           actor=world["staff1"], today=timeutil.today())
    db.session.commit()
    return volunteer, number


def test_an_imported_volunteer_claims_their_record_and_their_communitys_staff_confirm_it(client, auth, world):
    volunteer, number = kept_record(world)
    before = volunteers()
    response = client.post("/auth/register", data=registration(world, id_number=number.lower()))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    user = db.session.scalar(sa.select(User).where(User.username == "xiaoming"))
    claim = db.session.scalar(sa.select(VolunteerClaim))
    assert volunteers() == before and (claim.user_id, claim.volunteer_id, claim.status) == (
        user.id, volunteer.id, ClaimStatus.pending)
    assert db.session.scalar(sa.select(AuditEvent.subject_id).where(AuditEvent.action == "volunteer.claim")) == \
        volunteer.id
    auth.login("staff1")
    assert "matches the record of 刘芳" in client.get("/community/accounts").get_data(as_text=True)
    chinese = client.get("/community/accounts", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "身份证号与 刘芳 的记录相符" in chinese
    assert client.post(f"/community/accounts/{user.id}/verify").status_code == 302
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).user_id == user.id and volunteers() == before
    assert db.session.get(VolunteerClaim, claim.id).status == ClaimStatus.confirmed
    assert db.session.get(User, user.id).status == AccountStatus.active
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "volunteer.link")) == \
        world["staff1"].id
    auth.logout()
    auth.login("xiaoming", "long-enough-1")
    assert numbers.number_of(volunteer) in client.get("/records/mine").get_data(as_text=True)


def test_staff_of_another_community_cannot_confirm_the_claim(client, auth, world):
    volunteer, number = kept_record(world)
    client.post("/auth/register", data=registration(world, id_number=number, community=world.c3.id))
    user = db.session.scalar(sa.select(User).where(User.username == "xiaoming"))
    auth.login("staff3")
    assert "another community keeps" in client.get("/community/accounts").get_data(as_text=True)
    client.post(f"/community/accounts/{user.id}/verify")
    db.session.expire_all()
    assert db.session.get(User, user.id).status == AccountStatus.pending
    assert db.session.get(Volunteer, volunteer.id).user_id is None


def test_a_rejected_account_leaves_the_record_unclaimed(client, auth, world):
    volunteer, number = kept_record(world)
    client.post("/auth/register", data=registration(world, id_number=number))
    user = db.session.scalar(sa.select(User).where(User.username == "xiaoming"))
    auth.login("staff1")
    client.post(f"/community/accounts/{user.id}/reject", data={"reason": "Not the person we met in person."})
    db.session.expire_all()
    assert db.session.scalar(sa.select(VolunteerClaim.status)) == ClaimStatus.rejected
    assert db.session.get(Volunteer, volunteer.id).user_id is None


def test_a_number_whose_record_has_an_account_is_still_refused(client, world):
    volunteer, number = kept_record(world)
    volunteer.user_id = make_user("liufang", Role.volunteer, world.c1).id
    db.session.commit()
    response = client.post("/auth/register", data=registration(world, id_number=number))
    assert response.status_code == 200 and "already registered" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "xiaoming")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VolunteerClaim)) == 0
