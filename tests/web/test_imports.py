"""Spreadsheets: importing residents (template, preview by row and column, all or nothing, scope),
exports of lists (scope, masking, audit) and cells that never run as formulas."""
import io
import os
import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from linkage import sheets
from linkage.community import services as community_services
from linkage.extensions import db
from linkage.identifiers import resident_id_check_char
from linkage.imports import services
from linkage.models import AuditEvent, Region, Resident, User
from tests.factories import make_resident



def headers(locale="en"):
    """The template's headers; the test accounts read English."""
    return services.headers(locale)


def resident_id(i: int) -> str:
    born = date(1940, 1, 1) + timedelta(days=i // 999)
    first17 = f"110105{born:%Y%m%d}{i % 999 + 1:03d}"
    return first17 + resident_id_check_char(first17)


def rows(n: int, community: str, start: int = 0) -> list[list[str]]:
    return [[f"居民{i}", resident_id(i), community, f"{i}号楼", "13800001111", "", "", "是"]
            for i in range(start, start + n)]


def count(model=Resident):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, name: str, body: bytes):
    return client.post("/imports/residents", data={"file": (io.BytesIO(body), name)},
                       content_type="multipart/form-data")


def problems_on(page: str) -> set[tuple[int, str]]:
    """(row, column) of every problem the preview lists."""
    return {(int(row), unescape(column)) for row, column in
            re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>", page)}


def preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def test_template_has_the_headers_and_an_example_row_that_is_refused(client, auth, world):
    world["staff1"].locale = "zh_CN"
    db.session.commit()
    auth.login("staff1")
    csv_body = client.get("/imports/residents/template.csv")
    assert csv_body.status_code == 200 and csv_body.headers["Content-Disposition"].endswith('.csv"')
    table = sheets.read("t.csv", csv_body.get_data())
    assert table[0] == headers("zh_CN") and len(table) == 2 and table[0][0] == "姓名"
    assert table[1][1] == services.EXAMPLE_ID and table[1][2] == world.c1.code
    xlsx_body = client.get("/imports/residents/template.xlsx").get_data()
    workbook = load_workbook(io.BytesIO(xlsx_body))
    assert [c.value for c in workbook.worksheets[0][1]] == headers("zh_CN")
    assert len(workbook.worksheets) == 2   # the sheet explaining every column
    assert any("18" in str(c.value) for row in workbook.worksheets[1].iter_rows() for c in row)
    # Uploaded unchanged, the example row is not imported.
    page = client.get(preview_url(upload(client, "t.csv", csv_body.get_data()))).get_data(as_text=True)
    assert (2, headers("zh_CN")[1]) in problems_on(page)


def test_five_thousand_rows_with_a_dozen_errors_are_all_reported_and_nothing_is_written(client, auth, world):
    registered = resident_id(90_001)
    community_services.register_resident(actor=world["staff1"], name="Already Here", id_number=registered,
                                         region=world.c1, address="1-1", consent=True)
    db.session.commit()
    table = rows(5000, world.c1.code)
    name, number, place, address, phone, tags, notes, consent = headers()
    wrong_check = resident_id(9)[:17] + ("0" if resident_id(9)[17] != "0" else "1")
    planted = {
        (12, number): lambda r: r.__setitem__(1, wrong_check),                    # bad check character
        (40, place): lambda r: r.__setitem__(2, "不存在社区"),                      # unknown community
        (77, place): lambda r: r.__setitem__(2, world.c3.code),                    # another street's community
        (150, name): lambda r: r.__setitem__(0, ""),                               # missing required
        (333, number): lambda r: r.__setitem__(1, table[330][1]),                  # duplicate within the file
        (600, number): lambda r: r.__setitem__(1, registered),                     # already registered
        (1200, number): lambda r: r.__setitem__(1, "11010519491331" + "0011"),     # impossible birth date
        (2001, number): lambda r: r.__setitem__(1, "1101051949"),                  # wrong length
        (2500, phone): lambda r: r.__setitem__(4, "12345"),                        # bad phone
        (3100, tags): lambda r: r.__setitem__(5, "无此群体"),                        # unknown group
        (4000, consent): lambda r: r.__setitem__(7, "否"),                          # no consent
        (5001, address): lambda r: r.__setitem__(3, ""),                           # missing required, last row
    }
    for (row, _column), plant in planted.items():
        plant(table[row - 2])
    body = sheets.to_csv(headers(), table)
    auth.login("staff1")
    before, events = count(), count(AuditEvent)
    url = preview_url(upload(client, "residents.csv", body))
    page = client.get(url).get_data(as_text=True)
    assert problems_on(page) == set(planted)
    assert "No community or grid of your area" in page or "不存在社区" in page
    # Confirming anyway writes nothing and lists the same problems.
    response = client.post(url, data={})
    assert response.status_code == 200 and problems_on(response.get_data(as_text=True)) == set(planted)
    assert count() == before and count(AuditEvent) == events


@pytest.mark.slow
def test_a_clean_file_of_five_thousand_is_written_through_the_form_rules(client, auth, world, app):
    table = rows(5000, world.c1.code)
    table[1][2] = world.grid1.name   # a grid by its name
    table[2][5] = "独居老人"
    auth.login("staff1")
    before, registers = count(), count(AuditEvent)
    url = preview_url(upload(client, "residents.csv", sheets.to_csv(headers(), table)))
    page = client.get(url).get_data(as_text=True)
    assert "5000" in page and not problems_on(page)
    response = client.post(url, data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/community/residents")
    assert count() == before + 5000
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == world["staff1"].id)).all()
    assert actions.count("resident.register") == 5000 and actions.count("resident.import") == 1
    assert actions.count("resident.consent_record") == 5000   # each resident's consent, collected on paper
    assert count(AuditEvent) == registers + 10001
    third = db.session.scalar(sa.select(Resident).where(Resident.name == "居民2"))
    assert third.region == world.c1 and {t.value for t in third.tags} == {"elderly_alone"}
    assert db.session.scalar(sa.select(Resident).where(Resident.name == "居民1")).region == world.grid1
    assert third.consent_at is not None and third.id_number_encrypted and resident_id(2) not in str(third.id_number_encrypted)
    # The kept file is gone; its preview no longer exists.
    token = url.rsplit("/", 1)[-1]
    assert not os.path.exists(os.path.join(app.instance_path, "uploads", "imports", token))
    assert client.get(url).status_code == 404


def test_imported_residents_events_name_them_and_their_community(client, auth, world):
    """Written in batches, each resident's events still name the resident and the community, and the chain holds."""
    from linkage.audit import verify

    auth.login("staff1")
    url = preview_url(upload(client, "residents.csv", sheets.to_csv(headers(), rows(3, world.c1.code))))
    assert client.post(url, data={}).status_code == 302
    residents = {r.id: r for r in db.session.scalars(sa.select(Resident).where(Resident.name.like("居民%")))}
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.in_(
        ("resident.register", "resident.consent_record")))).all()
    assert len(events) == 6 and {e.subject_id for e in events} == set(residents)
    assert {(e.subject_type, e.region_id) for e in events} == {("Resident", world.c1.id)}
    assert all(e.after["region_id"] == world.c1.id for e in events if e.action == "resident.register")
    assert verify().intact


def test_a_resident_registered_between_the_check_and_the_write_is_reported_and_nothing_is_written(
        client, auth, world, monkeypatch):
    """Another clerk registers a resident of the file after its rows were checked: the batch's flush fails,
    and the rows written again one by one name that row; nothing is written."""
    table = rows(5, world.c1.code)
    checked, clerk, community = services.already_registered, world["staff1"].id, world.c1.id

    def registered_meanwhile(*args, **kwargs):   # in the request's session
        found = checked(*args, **kwargs)
        community_services.register_resident(actor=db.session.get(User, clerk), name="Registered Meanwhile",
                                             id_number=table[3][1], region=db.session.get(Region, community),
                                             address="1-1", consent=True)
        return found

    auth.login("staff1")
    url = preview_url(upload(client, "residents.csv", sheets.to_csv(headers(), table)))
    before, events = count(), count(AuditEvent)
    monkeypatch.setattr(services, "already_registered", registered_meanwhile)
    response = client.post(url, data={})
    assert response.status_code == 200 and problems_on(response.get_data(as_text=True)) == {(5, headers()[1])}
    assert count() == before and count(AuditEvent) == events


def test_an_xlsx_file_is_imported(client, auth, world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers())
    for row in rows(3, world.c1.name):
        sheet.append(row)
    sheet.append([None] * 8)   # blank rows are skipped
    out = io.BytesIO()
    workbook.save(out)
    auth.login("staff1")
    url = preview_url(upload(client, "residents.xlsx", out.getvalue()))
    assert client.post(url, data={}).status_code == 302
    assert {r.name for r in db.session.scalars(sa.select(Resident).where(Resident.region_id == world.c1.id))} >= {
        "居民0", "居民1", "居民2"}


def test_a_gb18030_csv_is_read(client, auth, world):
    world.c1.name = "梅园社区"
    db.session.commit()
    text = ",".join(headers("zh_CN")) + "\r\n" + "王秀英," + resident_id(5) + ",梅园社区,梅园路3号,,独居老人,,是\r\n"
    body = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    auth.login("staff1")
    url = preview_url(upload(client, "居民.csv", body))
    assert client.post(url, data={}).status_code == 302
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "王秀英"))
    assert resident.region == world.c1 and resident.address == "梅园路3号"


def test_utf8_with_and_without_byte_order_mark_read_alike():
    plain = "姓名,地址\r\n王,=1\r\n".encode("utf-8")
    assert sheets._read_csv(plain) == sheets._read_csv(b"\xef\xbb\xbf" + plain) == [["姓名", "地址"], ["王", "=1"]]


def test_unreadable_or_wrong_files_are_refused_on_the_upload_form(client, auth, world):
    auth.login("staff1")
    for name, body in (("r.txt", b"a,b"), ("r.xlsx", b"not a zip"), ("r.csv", b"")):
        response = upload(client, name, body)
        assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    assert not os.path.isdir(os.path.join(client.application.instance_path, "uploads", "imports")) or \
        not os.listdir(os.path.join(client.application.instance_path, "uploads", "imports"))


def test_another_persons_preview_is_not_found(client, auth, world):
    auth.login("staff1")
    url = preview_url(upload(client, "r.csv", sheets.to_csv(headers(), rows(2, world.c1.code))))
    auth.as_(world["staff3"])
    assert client.get(url).status_code == 404
    assert client.post(url, data={}).status_code == 404
    auth.as_(world["staff1"])
    assert client.get(url).status_code == 200


def test_staff_import_only_into_their_own_communities(client, auth, world):
    auth.login("staff3")
    url = preview_url(upload(client, "r.csv", sheets.to_csv(headers(), rows(2, world.c1.code))))
    page = client.get(url).get_data(as_text=True)
    assert problems_on(page) == {(2, headers()[2]), (3, headers()[2])}
    before = count()
    client.post(url, data={})
    assert count() == before


# --- exports ---------------------------------------------------------------------------------------------

def test_exports_hold_only_the_users_scope_masked_and_audited(client, auth, world):
    make_resident(world.c1, name="Near Wang", born=date(1950, 1, 1))
    make_resident(world.c3, name="Far Li", born=date(1951, 1, 1))
    db.session.commit()
    auth.login("staff1")
    body = client.get("/community/residents/export.csv")
    assert body.status_code == 200 and body.headers["Cache-Control"] == "no-store"
    table = sheets.read("r.csv", body.get_data())
    names = [row[0] for row in table[1:]]
    assert "Near Wang" in names and "Far Li" not in names
    near = next(row for row in table if row[0] == "Near Wang")
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Near Wang"))
    assert near[3] == resident.masked_id_number and near[3].startswith("*" * 14)
    xlsx = load_workbook(io.BytesIO(client.get("/community/residents/export.xlsx").get_data()))
    cells = [c.value for row in xlsx.worksheets[0].iter_rows() for c in row]
    assert "Near Wang" in cells and "Far Li" not in cells
    assert not any(isinstance(v, str) and re.fullmatch(r"\d{17}[\dX]", v) for v in cells)
    # The filter the list shows applies to the export too.
    filtered = sheets.read("r.csv", client.get("/community/residents/export.csv?q=Near").get_data())
    assert [row[0] for row in filtered[1:]] == ["Near Wang"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "list.export")).all()
    assert [(e.actor_id, e.note) for e in events][-1] == (world["staff1"].id, "exported residents 1 csv")
    assert len(events) == 3


def test_needs_export_never_names_another_communitys_needs(client, auth, world):
    from tests.factories import make_need

    far = make_resident(world.c3, name="Far Li", born=date(1951, 1, 1))
    make_need(far, world.visits, title="Far away need")
    make_need(world.resident, world.visits, title="Near need")
    db.session.commit()
    auth.login("staff1")
    table = sheets.read("n.csv", client.get("/community/needs/export.csv?status=all").get_data())
    titles = [row[1] for row in table[1:]]
    assert "Near need" in titles and "Far away need" not in titles
    assert client.get("/community/needs/export.xlsx").status_code == 200


# --- formula injection -----------------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_a_formula_is_written_as_text(start):
    assert sheets.safe_cell(start + "1+1") == "'" + start + "1+1"
    assert sheets.safe_cell("1+1") == "1+1" and sheets.safe_cell(None) == "" and sheets.safe_cell(5) == "5"


def test_exports_escape_formulas_in_both_formats(client, auth, world):
    hostile = '=HYPERLINK("http://evil.example","x")'
    make_resident(world.c1, name=hostile, born=date(1950, 3, 3))
    make_resident(world.c1, name="@SUM(1+1)", born=date(1950, 3, 4))
    db.session.commit()
    auth.login("staff1")
    table = sheets.read("r.csv", client.get("/community/residents/export.csv").get_data())
    names = {row[0] for row in table[1:]}
    assert "'" + hostile in names and "'@SUM(1+1)" in names and hostile not in names
    workbook = load_workbook(io.BytesIO(client.get("/community/residents/export.xlsx").get_data()))
    cells = {c.value: c.data_type for row in workbook.worksheets[0].iter_rows() for c in row}
    assert cells.get("'" + hostile) == "s" and hostile not in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_shift_and_project_lists_export_what_the_list_shows(client, auth, world):
    from tests.factories import make_project, make_shift

    make_shift(world.c1, title="Near shift")
    make_shift(world.c3, title="Far shift")
    make_project(world.street1, title="Street X project")
    make_project(world.street2, title="Street Y project")
    db.session.commit()
    auth.login("staff1")
    shifts_page = client.get("/shifts/?when=all").get_data(as_text=True)
    table = sheets.read("s.csv", client.get("/shifts/export.csv?when=all").get_data())
    titles = [row[0] for row in table[1:]]
    assert "Near shift" in titles and "Far shift" not in titles and all(t in shifts_page for t in titles)
    xlsx = load_workbook(io.BytesIO(client.get("/shifts/export.xlsx?when=all").get_data()))
    assert [row[0].value for row in xlsx.worksheets[0].iter_rows(min_row=2)] == titles
    auth.as_(world["civil2"])
    projects = sheets.read("p.csv", client.get("/projects/export.csv").get_data())
    assert "Street Y project" in [row[0] for row in projects[1:]]
    assert "Street X project" not in [row[0] for row in projects[1:]]
    notes = db.session.scalars(sa.select(AuditEvent.note).where(AuditEvent.action == "list.export")
                               .order_by(AuditEvent.id)).all()
    assert notes == [f"exported shifts {len(titles)} csv", f"exported shifts {len(titles)} xlsx",
                     f"exported projects {len(projects) - 1} csv"]
