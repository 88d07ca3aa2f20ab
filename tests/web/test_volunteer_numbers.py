"""Volunteer numbers are given when a volunteer is made (self-registration, the profile form, staff, an
import), never while a page is looked at."""
from datetime import date

import pytest
import sqlalchemy as sa

from linkage import sheets, timeutil
from linkage.extensions import db
from linkage.imports import services as import_services
from linkage.imports import volunteers as volunteer_imports
from linkage.models import Role, Volunteer, VolunteerNumber
from linkage.records import numbers
from linkage.volunteers import services
from tests.factories import make_user, volunteer_id_number
from tests.web.test_imports_people import preview_url, upload


def _numbered(volunteer) -> bool:
    return numbers.is_valid(numbers.number_of(volunteer) or "")


def test_looking_at_a_record_numbers_no_one(client, auth, world):
    db.session.execute(sa.delete(VolunteerNumber).where(VolunteerNumber.volunteer_id == world.volunteer.id))
    db.session.commit()
    auth.login("vol")
    page = client.get("/records/mine")
    assert page.status_code == 200 and "not yet given" in page.get_data(as_text=True)
    assert client.get("/records/mine/export.csv").status_code == 200
    assert client.get("/volunteers/profile").status_code == 200
    db.session.expire_all()
    assert numbers.number_of(world.volunteer) is None


def test_self_registration_numbers_the_volunteer(world):
    from linkage.auth.services import register
    user = register(username="newvol", password="a-long-good-passphrase-42", display_name="New Vol",
                    role=Role.volunteer, community=world.c1, phone=None, locale=None,
                    id_number=volunteer_id_number(date(1990, 3, 7)))
    assert _numbered(db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id)))


def test_the_first_profile_of_an_account_numbers_the_volunteer(client, auth, world):
    user = make_user("late", Role.volunteer, region=world.c1)
    db.session.commit()
    auth.login("late")
    response = client.post("/volunteers/profile", data={
        "name": "Late Comer", "id_number": volunteer_id_number(date(1988, 5, 6)), "community": world.c1.id,
        "max_travel_km": "5", "weekly_hours": "4"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _numbered(db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id)))


def test_staff_registration_numbers_the_volunteer(world):
    volunteer = services.register_by_staff(
        services.ProfileData(name="Met In Person", id_number=volunteer_id_number(date(1979, 2, 3)),
                             community=world.c1), actor=world["staff1"], today=timeutil.today())
    assert _numbered(volunteer)


def test_an_import_numbers_every_volunteer(client, auth, world):
    rows = [[f"导入{i}", volunteer_id_number(date(1980 + i, 1, 2)), world.c1.code, "", "", "4"] for i in range(3)]
    auth.login("staff1")
    url = preview_url(upload(client, "volunteers", sheets.to_xlsx(
        import_services.headers("en", volunteer_imports.KIND), rows), "v.xlsx"))
    assert client.post(url, data={}).status_code == 302
    imported = db.session.scalars(sa.select(Volunteer).where(Volunteer.name.startswith("导入"))).all()
    assert len(imported) == 3 and all(_numbered(v) for v in imported)
    assert len({numbers.number_of(v) for v in imported}) == 3


@pytest.mark.slow
@pytest.mark.timeout(1200)   # the whole demo district
def test_the_demo_numbers_every_volunteer(app, seeded_demo):
    unnumbered = db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer).where(
        ~sa.exists().where(VolunteerNumber.volunteer_id == Volunteer.id)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer)) > 0 and unnumbered == 0
    assert all(numbers.is_valid(n) for n in db.session.scalars(sa.select(VolunteerNumber.number)))
