"""Personal data at rest: what people enter through the pages is never stored in clear.

Each test enters personal data through the web pages, then reads the database with plain SQL (every
value of every row of every table, not through the models) and looks for the data in clear; and
checks that what the pages show from it (masked ID number, gender, age, the minor's consent rule,
the logged reveal) still works.
"""
from datetime import date

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import AuditEvent, Resident, SignUp, Volunteer
from linkage.models.people import age_on
from tests.factories import make_resident_id
from tests.web.test_shifts_support import project_shift

BORN = date(1950, 5, 17)


def id_number_ending_in_x(born: date) -> str:
    """A man's ID number whose check character is X: its tail "…X" cannot hide in hex digests (a row's
    seal) or timestamps by chance, as four digits can."""
    return next(number for number in (make_resident_id(born, seq) for seq in range(1, 1000, 2))
                if number.endswith("X"))


ID = id_number_ending_in_x(BORN)
TAIL = ID[-4:]
NOTES = "糖尿病，每天注射胰岛素两次 (insulin)"


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def _as_text(value) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def stored_rows() -> dict[str, list[dict]]:
    """Every row of every table, read with plain SQL, values as text (binary values decoded as UTF-8)."""
    rows = {}
    connection = db.session.connection()      # the test's own transaction (SQLite: one writer at a time)
    for table in sa.inspect(connection).get_table_names():
        result = connection.execute(sa.text(f'SELECT * FROM "{table}"'))
        rows[table] = [{key: _as_text(value) for key, value in row.items() if value is not None}
                       for row in result.mappings()]
    return rows


def found_in_database(*needles: str) -> list[tuple[str, str, str]]:
    """(table, column, needle) wherever a needle appears in a stored value."""
    return [(table, column, needle) for table, rows in stored_rows().items() for row in rows
            for column, value in row.items() for needle in needles if needle in value]


def register_resident(client, world, **changes):
    data = {"name": "Zhou Lan", "id_number": ID, "phone": "13800001111", "address": "Plum Lane 3-101",
            "region": world.c1.id, "tags": ["elderly_alone"], "health_notes": NOTES, "consent": "y",
            **changes}
    response = client.post("/community/residents/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(Resident).where(Resident.name == data["name"]))


def save_profile(client, world, number: str):
    data = {"name": "Chen Jing", "phone": "13900000001", "id_number": number,
            "community": world.c1.id, "latitude": "", "longitude": "", "max_travel_km": "3.5",
            "weekly_hours": "6", "skills": [world.elder_care.id],
            "availability-0-weekday": "0", "availability-0-start": "09:00", "availability-0-end": "12:00"}
    for i in range(1, 7):
        data.update({f"availability-{i}-{part}": "" for part in ("weekday", "start", "end")})
    response = client.post("/volunteers/profile", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_registered_residents_birth_date_gender_id_tail_and_health_notes_are_nowhere_in_clear(
        client, auth, world):
    auth.login("staff1")
    resident = register_resident(client, world)
    assert found_in_database(ID, BORN.isoformat(), f"{BORN:%Y%m%d}", TAIL, "胰岛素", "insulin") == []
    row = next(row for row in stored_rows()["residents"] if row["id"] == str(resident.id))
    assert {"gender", "birth_date", "id_number_tail"}.isdisjoint(row)
    assert not {"M", "F", "男", "女"} & set(row.values())        # no column holds the gender letter
    # The pages still show what is read from the encrypted number: masked number, gender, age.
    assert (resident.birth_date, resident.gender) == (BORN, "M")
    detail = client.get(f"/community/residents/{resident.id}").get_data(as_text=True)
    listing = client.get("/community/residents").get_data(as_text=True)
    for html in (detail, listing):
        assert f"**************{TAIL}" in html and "Male" in html and ID not in html
        assert f">{age_on(BORN, date.today())}</" in html
        assert "insulin" not in html and "胰岛素" not in html


def test_the_full_reveal_decrypts_and_is_logged_and_the_database_still_holds_nothing_in_clear(
        client, auth, world):
    auth.login("staff1")
    resident = register_resident(client, world)
    page = client.post(f"/community/residents/{resident.id}/reveal",
                       data={"reason": "Applying for the elderly allowance"}).get_data(as_text=True)
    assert ID in page and "May 17, 1950" in page and "insulin" in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal_id"))
    assert (event.subject_id, event.actor_id, event.note) == (
        resident.id, world["staff1"].id, "Applying for the elderly allowance")
    assert found_in_database(ID, BORN.isoformat(), f"{BORN:%Y%m%d}", TAIL, "胰岛素", "insulin") == []


def test_a_volunteers_id_number_is_encrypted_and_a_minor_still_needs_a_guardians_consent(
        client, auth, world):
    born = date(date.today().year - 16, 2, 27)           # 15 or 16: old enough to volunteer, still a minor
    number = id_number_ending_in_x(born)
    shift = project_shift(world)
    db.session.commit()
    auth.login("vol")
    save_profile(client, world, number)
    assert found_in_database(number, born.isoformat(), f"{born:%Y%m%d}", number[-4:]) == []
    raw = next(row for row in stored_rows()["volunteers"] if row["id"] == str(world.volunteer.id))
    assert {"birth_date", "birth_date_encrypted", "gender"}.isdisjoint(raw) and "id_number_encrypted" in raw
    # The audit trail says the ID number changed, never what it is.
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.update"))
    assert event.after["id_number_index"] == "******"
    # Read through the model, the birth date comes from the number: the profile shows it masked only.
    assert db.session.get(Volunteer, world.volunteer.id).birth_date == born
    page = client.get("/volunteers/profile").get_data(as_text=True)
    assert f"**************{number[-4:]}" in page and number not in page
    response = client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "need a guardian's consent" in response.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 0
