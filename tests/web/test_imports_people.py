"""Spreadsheets of volunteers and needs: preview by row and column, all or nothing, through the services the
forms use; exports of the volunteer list and of approved hours within the reader's area, masked and safe."""
import io
import re
from datetime import date, datetime, timedelta, timezone
from html import unescape

import pytest
import sqlalchemy as sa

from linkage import sheets
from linkage.extensions import db
from linkage.identifiers import resident_id_check_char
from linkage.imports import needs as need_imports
from linkage.imports import services
from linkage.imports import volunteers as volunteer_imports
from linkage.models import (AuditEvent, ConsentChannel, ConsentPurpose, HoursStatus, Need, NeedChannel,
                            ResidentConsent, SignUp, SignUpStatus, Volunteer, VolunteerNumber)
from linkage.security import decrypt
from tests.factories import make_resident, make_shift, make_volunteer


def person_id(i: int, born_from=date(1960, 1, 1)) -> str:
    born = born_from + timedelta(days=i // 999)
    first17 = f"110105{born:%Y%m%d}{i % 999 + 1:03d}"
    return first17 + resident_id_check_char(first17)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, kind: str, body: bytes, name="file.csv"):
    return client.post(f"/imports/{kind}", data={"file": (io.BytesIO(body), name)}, content_type="multipart/form-data")


def problems_on(page: str) -> set[tuple[int, str]]:
    return {(int(row), unescape(column)) for row, column in re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>", page)}


def preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


# --- volunteers ---------------------------------------------------------------------------------------------

def volunteer_rows(n, world):
    return [[f"志愿者{i}", person_id(i), world.c1.code, "13900001111", world.elder_care.code, "8"] for i in range(n)]


@pytest.mark.slow
def test_volunteers_five_thousand_rows_with_a_dozen_errors_are_all_reported_and_nothing_is_written(client, auth,
                                                                                                   world):
    taken = person_id(90_001)
    make_volunteer(world.c1, name="Already", birth_date=date(1970, 1, 1)).set_id_number(taken)
    db.session.commit()
    table = volunteer_rows(5000, world)
    name, number, community, phone, skills, hours = services.headers("en", volunteer_imports.KIND)
    wrong_check = person_id(9)[:17] + ("0" if person_id(9)[17] != "0" else "1")
    young = date.today().replace(year=date.today().year - 10)
    young_first17 = f"110105{young:%Y%m%d}001"
    planted = {
        (12, number): lambda r: r.__setitem__(1, wrong_check),                     # bad check character
        (40, community): lambda r: r.__setitem__(2, "不存在社区"),                  # unknown community
        (77, community): lambda r: r.__setitem__(2, world.c3.code),                # another street's community
        (90, community): lambda r: r.__setitem__(2, world.grid1.code),             # a grid, not a community
        (150, name): lambda r: r.__setitem__(0, ""),                               # missing required
        (333, number): lambda r: r.__setitem__(1, table[330][1]),                  # duplicate within the file
        (600, number): lambda r: r.__setitem__(1, taken),                          # already a volunteer
        (1200, number): lambda r: r.__setitem__(1, young_first17 + resident_id_check_char(young_first17)),  # too young
        (2500, phone): lambda r: r.__setitem__(3, "12345"),                        # bad phone
        (3100, skills): lambda r: r.__setitem__(4, "无此技能"),                     # unknown skill
        (4000, hours): lambda r: r.__setitem__(5, "99"),                           # out of range
        (5001, number): lambda r: r.__setitem__(1, services.EXAMPLE_ID),           # the template's example
    }
    for (row, _column), plant in planted.items():
        plant(table[row - 2])
    auth.login("staff1")
    before, events = count(Volunteer), count(AuditEvent)
    url = preview_url(upload(client, "volunteers", sheets.to_csv(services.headers("en", volunteer_imports.KIND), table)))
    page = client.get(url).get_data(as_text=True)
    assert problems_on(page) == set(planted)
    response = client.post(url, data={})
    assert response.status_code == 200 and problems_on(response.get_data(as_text=True)) == set(planted)
    assert count(Volunteer) == before and count(AuditEvent) == events


@pytest.mark.slow
@pytest.mark.timeout(1200)   # 5,000 writes through the services: minutes on a busy machine
def test_volunteers_clean_file_of_five_thousand_is_written_through_the_registration_rule(client, auth, world):
    table = volunteer_rows(5000, world)
    auth.login("staff1")
    before = count(Volunteer)
    url = preview_url(upload(client, "volunteers", sheets.to_xlsx(services.headers("en", volunteer_imports.KIND), table),
                             "v.xlsx"))
    assert "5000" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/records/volunteers")
    assert count(Volunteer) == before + 5000
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == world["staff1"].id)).all()
    assert actions.count("volunteer.register") == 5000 and actions.count("volunteer.import") == 1
    third = db.session.scalar(sa.select(Volunteer).where(Volunteer.name == "志愿者2"))
    assert third.region == world.c1 and [s.code for s in third.skills] == [world.elder_care.code]
    assert third.weekly_minutes_limit == 8 * 60 and decrypt(third.id_number_encrypted) == person_id(2)
    assert client.get(url).status_code == 404   # the kept file is gone


def test_imported_volunteers_are_numbered_in_file_order_and_their_events_name_them(client, auth, world):
    """Written in batches, the volunteers are numbered one after the other in the order of the file, after the
    district's last number, and each one's event names them and their community; the chain holds."""
    from linkage.audit import verify
    from linkage.records import numbers

    numbers.assign(make_volunteer(world.c1, name="Numbered Before"))
    db.session.commit()
    auth.login("staff1")
    heads = services.headers("en", volunteer_imports.KIND)
    url = preview_url(upload(client, "volunteers", sheets.to_csv(heads, volunteer_rows(3, world))))
    assert client.post(url, data={}).status_code == 302
    imported = db.session.scalars(sa.select(Volunteer).where(Volunteer.name.like("志愿者%")).order_by(Volunteer.id)).all()
    assert [v.name for v in imported] == ["志愿者0", "志愿者1", "志愿者2"]
    given = [numbers.number_of(v) for v in imported]
    assert all(numbers.is_valid(number) for number in given)
    division, sequences = given[0][:6], [int(number[6:14]) for number in given]
    before = db.session.scalar(sa.select(sa.func.max(VolunteerNumber.sequence)).where(
        VolunteerNumber.division == division, VolunteerNumber.volunteer_id.not_in([v.id for v in imported]))) or 0
    assert sequences == [before + 1, before + 2, before + 3]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.register")
                                .order_by(AuditEvent.id)).all()[-3:]
    assert [e.subject_id for e in events] == [v.id for v in imported]
    assert {(e.region_id, e.after["region_id"]) for e in events} == {(world.c1.id, world.c1.id)}
    assert verify().intact


# --- needs --------------------------------------------------------------------------------------------------

def need_rows(n, numbers, world):
    return [[numbers[i % len(numbers)], world.visits.code, f"上门探访{i}", "", str(i % 4 + 1), "2031-03-01 09:00",
             "2031-03-01 11:00", "每周", "是"] for i in range(n)]


def residents_with_numbers(world, n=5):
    residents = [make_resident(world.c1, name=f"居民{i}", born=date(1940 + i, 2, 3)) for i in range(n)]
    db.session.commit()
    return residents, [decrypt(r.id_number_encrypted) for r in residents]


@pytest.mark.slow
def test_needs_five_thousand_rows_with_a_dozen_errors_are_all_reported_and_nothing_is_written(client, auth, world):
    _residents, numbers = residents_with_numbers(world)
    other = make_resident(world.c3, name="Elsewhere", born=date(1950, 5, 5))
    db.session.commit()
    table = need_rows(5000, numbers, world)
    heads = services.headers("en", need_imports.KIND)
    number, category, title, _details, urgency, start, end, recurrence, consent = heads
    wrong_check = numbers[0][:17] + ("0" if numbers[0][17] != "0" else "1")
    planted = {
        (12, number): lambda r: r.__setitem__(0, wrong_check),                    # bad check character
        (40, number): lambda r: r.__setitem__(0, person_id(77_777)),              # nobody registered
        (77, number): lambda r: r.__setitem__(0, decrypt(other.id_number_encrypted)),  # another community's
        (150, category): lambda r: r.__setitem__(1, "无此类别"),                    # unknown category
        (333, title): lambda r: r.__setitem__(2, ""),                              # missing required
        (600, urgency): lambda r: r.__setitem__(4, "9"),                           # urgency out of range
        (1200, start): lambda r: r.__setitem__(5, "31/12/2031"),                   # date format
        (2001, end): lambda r: r.__setitem__(6, "2031-02-01 08:00"),               # end before start
        (2500, recurrence): lambda r: r.__setitem__(7, "每天三次"),                  # unknown recurrence
        (3100, consent): lambda r: r.__setitem__(8, "否"),                          # no consent
        (4000, title): lambda r: r.__setitem__(2, "长" * 201),                      # too long
        (5001, end): lambda r: (r.__setitem__(5, ""), r.__setitem__(6, "2020-01-01")),  # already ended
    }
    for (row, _column), plant in planted.items():
        plant(table[row - 2])
    auth.login("staff1")
    before, events = count(Need), count(AuditEvent)
    url = preview_url(upload(client, "needs", sheets.to_csv(heads, table)))
    page = client.get(url).get_data(as_text=True)
    assert problems_on(page) == set(planted)
    response = client.post(url, data={})
    assert response.status_code == 200 and problems_on(response.get_data(as_text=True)) == set(planted)
    assert count(Need) == before and count(AuditEvent) == events


@pytest.mark.slow
@pytest.mark.timeout(1200)   # 5,000 writes through the services: minutes on a busy machine
def test_needs_clean_file_of_five_thousand_is_filed_through_submit_need_as_imported(client, auth, world):
    residents, numbers = residents_with_numbers(world)
    table = need_rows(5000, numbers, world)
    auth.login("staff1")
    url = preview_url(upload(client, "needs", sheets.to_csv(services.headers("en", need_imports.KIND), table)))
    assert "5000" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/community/needs")
    assert count(Need) == 5000
    assert set(db.session.scalars(sa.select(Need.channel))) == {NeedChannel.spreadsheet}
    shared = db.session.scalars(sa.select(ResidentConsent).where(ResidentConsent.purpose == ConsentPurpose.sharing)).all()
    assert len(shared) == 5000 and {c.channel for c in shared} == {ConsentChannel.spreadsheet}
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == world["staff1"].id)).all()
    assert actions.count("need.submit") == 5000 and actions.count("need.import") == 1
    first = db.session.scalar(sa.select(Need).where(Need.title == "上门探访0"))
    assert first.resident_id == residents[0].id and first.urgency == 1 and first.recurrence.value == "weekly"
    assert first.window_start.astimezone(timezone.utc).replace(tzinfo=None) == datetime(2031, 3, 1, 1, 0)


def test_imported_needs_events_name_them_their_kind_and_their_consents(client, auth, world):
    """Filed in batches, each need's event names the need, its community and its kind, and each sharing
    consent's event names its need; the chain holds."""
    from linkage.audit import verify

    residents, numbers = residents_with_numbers(world, n=2)
    auth.login("staff1")
    url = preview_url(upload(client, "needs", sheets.to_csv(services.headers("en", need_imports.KIND),
                                                              need_rows(3, numbers, world))))
    assert client.post(url, data={}).status_code == 302
    needs = db.session.scalars(sa.select(Need).order_by(Need.id)).all()
    assert [n.title for n in needs] == ["上门探访0", "上门探访1", "上门探访2"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.in_(
        ("need.submit", "resident.consent_record"))).order_by(AuditEvent.id)).all()[-6:]
    submitted = [e for e in events if e.action == "need.submit"]
    assert [e.subject_id for e in submitted] == [n.id for n in needs]
    assert {(e.region_id, e.after["category_id"]) for e in submitted} == {(world.c1.id, world.visits.id)}
    shared = [e for e in events if e.action == "resident.consent_record"]
    assert [(e.subject_id, e.after["need_id"], e.after["purpose"]) for e in shared] == [
        (n.resident_id, n.id, ConsentPurpose.sharing.value) for n in needs]
    assert verify().intact


def test_a_resident_who_withdrew_consent_to_their_data_gets_no_imported_need(client, auth, world):
    from linkage.community import consents
    residents, numbers = residents_with_numbers(world, 1)
    consents.withdraw(consents.current(residents[0], ConsentPurpose.personal_data), actor=world["staff1"],
                      channel=ConsentChannel.by_phone)
    db.session.commit()
    auth.login("staff1")
    url = preview_url(upload(client, "needs", sheets.to_csv(services.headers("en", need_imports.KIND),
                                                             need_rows(3, numbers, world))))
    response = client.post(url, data={})
    assert response.status_code == 200 and "no request can be filed" in response.get_data(as_text=True)
    assert count(Need) == 0


# --- who may, and within what -------------------------------------------------------------------------------

def test_templates_name_the_importers_area_and_other_roles_are_refused(client, auth, world):
    auth.login("staff1")
    for kind, module in (("volunteers", volunteer_imports), ("needs", need_imports)):
        table = sheets.read("t.csv", client.get(f"/imports/{kind}/template.csv").get_data())
        assert table[0] == services.headers("en", module.KIND) and len(table) == 2
        assert client.get(f"/imports/{kind}/template.xlsx").status_code == 200
        assert "spreadsheet" in client.get(f"/imports/{kind}").get_data(as_text=True)
    assert sheets.read("t.csv", client.get("/imports/volunteers/template.csv").get_data())[1][2] == world.c1.code
    auth.as_(world["grid"])
    assert client.get("/imports/volunteers").status_code == 403
    assert client.get("/imports/needs").status_code == 403
    auth.as_(world["vol"])
    assert client.get("/imports/volunteers/template.csv").status_code == 403


def test_another_communitys_staff_reach_no_preview_of_ours(client, auth, world):
    auth.login("staff1")
    url = preview_url(upload(client, "volunteers", sheets.to_csv(services.headers("en", volunteer_imports.KIND),
                                                                  volunteer_rows(2, world))))
    # A preview's token works for its own kind only.
    assert client.get(url.replace("/volunteers/", "/needs/")).status_code == 404
    auth.as_(world["staff3"])
    assert client.get(url).status_code == 404
    assert client.post(url, data={}).status_code == 404
    assert count(Volunteer) == 2   # the world's two


def approved(volunteer, shift, minutes=120):
    sign_up = SignUp(shift=shift, volunteer=volunteer, status=SignUpStatus.checked_out, minutes=minutes,
                     hours_status=HoursStatus.approved)
    db.session.add(sign_up)
    return sign_up


def test_exports_of_volunteers_and_approved_hours_stay_in_the_readers_area_masked_and_safe(client, auth, world):
    mine = make_volunteer(world.c1, name="=HYPERLINK(\"http://x\")", birth_date=date(1991, 4, 5))
    mine.phone = "13912345678"
    theirs = make_volunteer(world.c3, name="Far Away")
    approved(mine, make_shift(world.c1, title="Visit A"))
    approved(theirs, make_shift(world.c3, title="Visit B"))
    db.session.commit()
    auth.login("staff1")
    listed = client.get("/records/volunteers/export.csv")
    assert listed.status_code == 200
    table = sheets.read("v.csv", listed.get_data())
    names = {row[1] for row in table[1:]}
    assert "'=HYPERLINK(\"http://x\")" in names and "Far Away" not in names
    row = next(r for r in table if r[1].startswith("'="))
    assert row[2].startswith("*" * 14) and "1991" not in row[2] and row[4] == "*******5678"
    hours = sheets.read("h.csv", client.get("/records/hours/export.csv").get_data())
    assert [r[2] for r in hours[1:]] == ["Visit A"] and hours[1][6] == "2.0"
    assert client.get("/records/hours/export.xlsx").status_code == 200
    assert client.get("/records/volunteers/export.xlsx").status_code == 200
    exported = db.session.scalars(sa.select(AuditEvent.note).where(AuditEvent.action == "list.export")).all()
    assert any("volunteers" in n for n in exported) and any("approved-hours" in n for n in exported)
    auth.as_(world["staff3"])
    table = sheets.read("v.csv", client.get("/records/volunteers/export.csv").get_data())
    assert {row[1] for row in table[1:]} == {"Far Away", "Zhao Lei"}
    assert [r[2] for r in sheets.read("h.csv", client.get("/records/hours/export.csv").get_data())[1:]] == ["Visit B"]
    auth.as_(world["vol"])
    assert client.get("/records/volunteers/export.csv").status_code == 403
    assert client.get("/records/hours/export.csv").status_code == 403


def test_the_import_pages_read_in_chinese(client, auth, world):
    world["staff1"].locale = "zh_CN"
    db.session.commit()
    auth.login("staff1")
    assert "从表格导入志愿者" in client.get("/imports/volunteers").get_data(as_text=True)
    assert "从表格导入需求" in client.get("/imports/needs").get_data(as_text=True)
    assert services.headers("zh_CN", need_imports.KIND)[0] == "居民身份证号码"
