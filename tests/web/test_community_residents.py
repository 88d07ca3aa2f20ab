"""Registering residents: validation, consent, encryption at rest, masking, the logged reveal, the list."""
from html import unescape
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from linkage.community import services as community_services
from linkage.extensions import db
from linkage.models import AuditEvent, Resident, VulnerableTag
from linkage.security import blind_index, decrypt
from tests.factories import make_resident, make_resident_id

ID = make_resident_id(date(1950, 5, 17), 123)          # 310101195005171237, a man
CHILD_ID = make_resident_id(date(2016, 9, 1), 124)     # a girl


def form(world, **changes):
    data = {"name": "Zhou Lan", "id_number": ID, "phone": "13800001111", "address": "Plum Lane 3-101",
            "region": world.c1.id, "tags": ["elderly_alone"], "health_notes": "Diabetes; insulin twice a day",
            "consent": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def count(model=Resident):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def register(client, world, **changes):
    return client.post("/community/residents/new", data=form(world, **changes))


@contextmanager
def counting_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def test_staff_register_a_resident_with_consent(client, auth, world):
    auth.login("staff1")
    response = register(client, world)
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Zhou Lan"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/community/residents/{resident.id}")
    assert (resident.gender, resident.birth_date, resident.masked_id_number) == (
        "M", date(1950, 5, 17), "**************1237")
    assert resident.region == world.c1 and resident.created_by_id == world["staff1"].id
    assert resident.consent_at is not None and resident.tags == {VulnerableTag.elderly_alone}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "resident.register"))
    assert event.subject_id == resident.id and event.actor_id == world["staff1"].id
    assert ID not in str(event.after)


def test_id_number_and_health_notes_are_encrypted_at_rest(client, auth, world):
    auth.login("staff1")
    register(client, world)
    raw_id, raw_notes, index = db.session.execute(sa.text(
        "SELECT id_number_encrypted, health_notes_encrypted, id_number_index FROM residents "
        "WHERE name = 'Zhou Lan'")).one()
    raw_id, raw_notes = bytes(raw_id), bytes(raw_notes)
    assert ID.encode() not in raw_id and b"19500517" not in raw_id
    assert b"insulin" not in raw_notes and "胰岛素".encode() not in raw_notes
    assert decrypt(raw_id) == ID and decrypt(raw_notes) == "Diabetes; insulin twice a day"
    assert index == blind_index(ID) and ID not in index


def test_a_minor_is_tagged_from_the_birth_date(app, client, auth, world):
    auth.login("staff1")
    register(client, world, name="Little Li", id_number=CHILD_ID, tags=["disabled"])
    child = db.session.scalar(sa.select(Resident).where(Resident.name == "Little Li"))
    assert child.tags == {VulnerableTag.minor, VulnerableTag.disabled} and child.gender == "F"
    # "minor" is not offered: it follows from the age.
    response = register(client, world, tags=["elderly_alone", "minor"])
    assert response.status_code == 200 and "Choose groups from the list." in response.get_data(as_text=True)
    with app.test_request_context():
        adult = community_services.register_resident(
            actor=world["staff1"], name="Adult", id_number=ID, region=world.c1, consent=True,
            tags=[VulnerableTag.minor, VulnerableTag.special_hardship])
    assert adult.tags == {VulnerableTag.special_hardship}


def test_a_duplicate_id_number_is_found_by_the_blind_index_without_saying_whose(client, auth, world):
    auth.login("staff1")
    register(client, world, id_number="11010519491231002X")
    client.get("/")  # shows (and clears) the "registered" message
    before = count()
    # The same number with a lower-case x.
    response = register(client, world, name="Someone Else", id_number="11010519491231002x")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and count() == before
    assert "A resident with this ID number is already registered." in html
    assert "Zhou Lan" not in html
    # Another community's staff are told the same, and learn nothing more.
    auth.logout()
    auth.login("staff3")
    response = client.post("/community/residents/new", data=form(
        world, name="Third", id_number="11010519491231002X", region=world.c3.id))
    assert "already registered" in response.get_data(as_text=True) and count() == before


def test_full_width_input_is_normalized_so_duplicates_are_still_found(client, auth, world):
    auth.login("staff1")
    full_width = ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert register(client, world, id_number=full_width).status_code == 302
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Zhou Lan"))
    assert decrypt(resident.id_number_encrypted) == ID and resident.id_number_index == blind_index(ID)
    client.get("/")
    response = register(client, world, name="Again", id_number=f" {ID[:6]} {ID[6:]} ")
    assert "already registered" in response.get_data(as_text=True)
    # Other scripts' digits are not digits of an ID number.
    arabic_indic = ID.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = register(client, world, name="Again", id_number=arabic_indic)
    assert "17 digits followed by a digit or the letter X" in response.get_data(as_text=True)
    assert count() == 2


@pytest.mark.parametrize("changes, message", [
    ({"id_number": "31010119500517123"}, "exactly 18 characters"),
    ({"id_number": "3101011950051712a3"}, "17 digits followed by a digit or the letter X"),
    ({"id_number": make_resident_id(date(1999, 1, 1), 5)[:6] + "19990230" + "1234"}, "not a possible date"),
    ({"id_number": ID[:-1] + "8"}, "does not match"),
    ({"id_number": ""}, "Enter the resident's ID number."),
    ({"name": "  "}, "Enter the resident's name."),
    ({"address": ""}, "Enter the address"),
    ({"consent": None}, "Record the resident's consent"),
    ({"phone": "12345"}, "Enter an 11-digit mobile number"),
    ({"region": ""}, "Choose the community or grid."),
    ({"region": "abc"}, "Choose the community or grid."),
    ({"region": "999"}, "Choose a community or grid in your own area."),
    ({"tags": ["rich"]}, "Choose groups from the list."),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(client, auth, world, changes, message):
    auth.login("staff1")
    residents, events = count(), count(AuditEvent)
    response = register(client, world, **changes)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and message in html, html[html.find("invalid-feedback") - 300:][:800]
    assert (count(), count(AuditEvent)) == (residents, events)
    if changes.get("name") is None and "name" not in changes:
        assert 'value="Zhou Lan"' in html  # what was typed is kept


@pytest.mark.parametrize("username, region, allowed", [
    ("staff1", "c3", False), ("staff1", "c2", False), ("staff1", "grid1", True),
    ("grid", "c1", True), ("grid", "grid1", True), ("grid", "c2", False),
    ("staff3", "c1", False), ("admin", "c3", True),
])
def test_residents_are_registered_only_within_the_users_scope(client, auth, world, username, region, allowed):
    auth.login(username)
    before = count()
    response = register(client, world, region=getattr(world, region).id)
    assert (response.status_code == 302) is allowed
    assert count() == before + (1 if allowed else 0)
    if not allowed:
        assert "Choose a community or grid in your own area." in response.get_data(as_text=True)


def test_id_number_is_masked_on_every_page(client, auth, world):
    auth.login("staff1")
    register(client, world)
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Zhou Lan"))
    assert resident.masked_id_number == "**************1237"
    for url in ("/community/residents", f"/community/residents/{resident.id}",
                f"/community/residents/{resident.id}/reveal"):
        html = client.get(url).get_data(as_text=True)
        assert ID not in html and "19500517" not in html and "insulin" not in html, url
        assert "**************1237" in html, url


def test_revealing_the_full_id_number_needs_a_reason_and_is_logged(client, auth, world):
    auth.login("staff1")
    register(client, world)
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Zhou Lan"))
    url = f"/community/residents/{resident.id}/reveal"
    events = count(AuditEvent)
    for reason in ("", "ab"):
        response = client.post(url, data={"reason": reason})
        assert response.status_code == 200 and ID not in response.get_data(as_text=True)
        assert "Write why you need the full ID number" in response.get_data(as_text=True)
    assert count(AuditEvent) == events
    response = client.post(url, data={"reason": "Applying for the elderly allowance"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and ID in html and "insulin" in html
    assert response.headers["Cache-Control"] == "no-store"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal_id"))
    assert (event.subject_type, event.subject_id, event.actor_id, event.note) == (
        "Resident", resident.id, world["staff1"].id, "Applying for the elderly allowance")
    assert ID not in client.get(url).get_data(as_text=True)  # shown once, not again on the next visit
    detail = client.get(f"/community/residents/{resident.id}").get_data(as_text=True)
    assert "Applying for the elderly allowance" in detail  # the access log


def test_grid_workers_cannot_reveal_and_without_an_id_number_there_is_nothing_to_reveal(client, auth, world):
    auth.login("staff1")
    response = client.post(f"/community/residents/{world.resident.id}/reveal", data={"reason": "Checking"})
    assert "No ID number is on file" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal_id")) is None
    auth.logout()
    auth.login("grid")
    assert client.get(f"/community/residents/{world.resident.id}").status_code == 200
    response = client.post(f"/community/residents/{world.resident.id}/reveal", data={"reason": "x" * 10})
    assert response.status_code == 403


def test_search_by_name_or_full_id_number_and_paging(app, client, auth, world):
    auth.login("staff1")
    register(client, world)
    for i in range(4):
        make_resident(world.c1, name=f"Wang {i}")
    make_resident(world.c3, name="Wang in River")
    db.session.commit()
    app.config["PER_PAGE"] = 3

    html = client.get("/community/residents?q=wang").get_data(as_text=True)
    assert html.count("Wang ") == 3 and "Wang in River" not in html and "4 in all" in html
    assert "Wang 3" in client.get("/community/residents?q=wang&page=2").get_data(as_text=True)
    html = client.get(f"/community/residents?q={ID}").get_data(as_text=True)
    assert "Zhou Lan" in html and "Wang 0" not in html
    assert "No resident matches" in client.get("/community/residents?q=nobody").get_data(as_text=True)
    # "%" is taken literally, not as a wildcard.
    assert "No resident matches" in client.get("/community/residents?q=%25").get_data(as_text=True)


def test_wider_scopes_filter_by_community(client, auth, world):
    make_resident(world.c3, name="River Person")
    db.session.commit()
    auth.login("admin")
    html = client.get(f"/community/residents?community={world.c3.id}").get_data(as_text=True)
    assert "River Person" in html and "Wu Mei" not in html
    html = client.get("/community/residents?community=junk").get_data(as_text=True)
    assert "River Person" in html and "Wu Mei" in html  # a bad filter value is ignored
    auth.logout()
    auth.login("staff1")
    html = client.get("/community/residents").get_data(as_text=True)
    assert 'name="community"' not in html and "River Person" not in html


def test_the_list_does_not_query_per_row(client, auth, world):
    auth.login("staff1")
    client.get("/community/residents")
    with counting_queries() as few:
        client.get("/community/residents")
    for i in range(10):
        make_resident(world.c1 if i % 2 else world.grid1, name=f"Person {i}").tags = [VulnerableTag.disabled]
    db.session.commit()
    with counting_queries() as many:
        html = client.get("/community/residents").get_data(as_text=True)
    assert "Person 9" in html
    assert len(many) == len(few)
