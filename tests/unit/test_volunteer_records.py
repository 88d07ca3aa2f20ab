"""The rules of a volunteer's record: numbers, locked hours and corrections, stars, certificates, export."""
import csv
import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from linkage import timeutil
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import CertificateStatus, CorrectionStatus, HoursStatus, Role, SignUp
from linkage.records import export, numbers, pdf, services
from linkage.shifts import places
from tests.factories import make_resident_id, make_user, make_volunteer, now, volunteer_id_number
from tests.records_support import approved_entry


# --- volunteer numbers ------------------------------------------------------------------------------

def test_numbers_are_division_sequence_and_check_character_unique_and_never_an_id_number(world):
    volunteers = [make_volunteer(world.c1, name=f"V{i}") for i in range(5)] + [make_volunteer(world.c3, name="W")]
    assigned = [numbers.assign(v) for v in volunteers]
    assert len(set(assigned)) == len(assigned)
    for number in assigned:
        assert re.fullmatch(r"310101\d{8}[0-9X]", number) and numbers.is_valid(number)
        assert number != make_resident_id() and len(number) != len(make_resident_id())
    sequences = [int(n[6:14]) for n in assigned]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert numbers.assign(volunteers[0]) == assigned[0]          # assigned once, kept
    assert numbers.find(assigned[2]).id == volunteers[2].id


def test_the_check_character_catches_a_mistyped_digit():
    number = numbers.compose("310101", 16)
    assert numbers.is_valid(number)
    wrong = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    assert not numbers.is_valid(wrong)
    assert numbers.check_character("31010100000001") == numbers.compose("310101", 1)[-1]


def test_registration_gives_a_volunteer_a_number(world, app):
    from linkage.auth.services import register
    user = register(username="newvol", password="a-long-good-passphrase-42", display_name="New Vol",
                    role=Role.volunteer, community=world.c1, phone=None, locale=None,
                    id_number=volunteer_id_number(date(1990, 3, 7)))
    from linkage.models import Volunteer
    volunteer = db.session.scalar(db.select(Volunteer).where(Volunteer.user_id == user.id))
    assert numbers.is_valid(numbers.number_of(volunteer))


# --- locked hours and corrections -------------------------------------------------------------------------

def test_approved_hours_refuse_any_change(world):
    record = approved_entry(world)
    db.session.commit()
    record.minutes = 200
    with pytest.raises(Refused):
        db.session.flush()
    db.session.rollback()
    record = db.session.get(SignUp, record.id)
    assert record.minutes == 120
    with pytest.raises(Refused):
        places.decide_hours([record], approve=False, reason="late", actor=world["worker"])
    db.session.rollback()
    assert db.session.get(SignUp, record.id).hours_status == HoursStatus.approved


def test_an_approved_correction_changes_the_hours_and_the_total(world):
    record = approved_entry(world, minutes=120)
    approved_entry(world, minutes=60, days_ago=5)
    assert services.standing(world.volunteer).minutes == 180
    correction = services.file_correction(record, minutes=90, reason="I left early", actor=world["vol"])
    assert db.session.get(SignUp, record.id).minutes == 120      # unchanged until decided
    services.decide_correction(correction, approve=True, note="", actor=world["staff1"])
    db.session.commit()
    assert db.session.get(SignUp, record.id).minutes == 90
    assert services.standing(world.volunteer).minutes == 150
    assert correction.status == CorrectionStatus.approved and correction.minutes_before == 120
    assert correction.decided_by_id == world["staff1"].id


def test_a_rejected_correction_keeps_the_hours_and_the_record(world):
    record = approved_entry(world, minutes=120)
    correction = services.file_correction(record, minutes=100, reason="I came late", actor=world["worker"])
    with pytest.raises(Refused):   # the one who filed it does not decide it
        services.decide_correction(correction, approve=True, note="", actor=world["worker"])
    with pytest.raises(Refused):   # another community's staff cannot
        services.decide_correction(correction, approve=True, note="", actor=world["staff3"])
    with pytest.raises(Refused):
        services.decide_correction(correction, approve=False, note="", actor=world["staff1"])
    services.decide_correction(correction, approve=False, note="The sign-in sheet says 2 hours", actor=world["staff1"])
    assert db.session.get(SignUp, record.id).minutes == 120 and correction.status == CorrectionStatus.rejected


def test_who_may_file_and_what(world):
    record = approved_entry(world)
    with pytest.raises(Refused):   # another volunteer
        services.file_correction(record, minutes=60, reason="x", actor=world["vol3"])
    with pytest.raises(Refused):   # longer than the shift
        services.file_correction(record, minutes=10 * 60, reason="x", actor=world["vol"])
    with pytest.raises(Refused):
        services.file_correction(record, minutes=60, reason=" ", actor=world["vol"])
    services.file_correction(record, minutes=60, reason="left early", actor=world["vol"])
    with pytest.raises(Refused):   # one open request per entry
        services.file_correction(record, minutes=30, reason="left earlier", actor=world["worker"])


# --- stars --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hours, stars", [(0, 0), (99.9, 0), (100, 1), (299, 1), (300, 2), (600, 3), (999, 3),
                                           (1000, 4), (1500, 5), (5000, 5)])
def test_star_levels_follow_the_national_thresholds(hours, stars):
    assert services.star_level(hours, (100, 300, 600, 1000, 1500))[0] == stars


def test_the_standing_uses_the_star_setting(world, app):
    approved_entry(world, minutes=120)
    assert services.standing(world.volunteer).stars == 0
    from linkage import settings
    settings.change("STAR_THRESHOLDS_HOURS", "1, 5, 10, 20, 40", actor=world["admin"])
    assert services.standing(world.volunteer).stars == 1


# --- certificates -------------------------------------------------------------------------------------

def _issue_after_notice(world, certificate):
    with timeutil.as_of(certificate.notice_until):
        return services.issue_certificate(certificate, person_in_charge="王主任", contact="021-12345678",
                                          actor=world["staff1"])


def test_a_certificate_is_issued_only_after_its_public_notice(world):
    approved_entry(world, minutes=150)
    requested = now()
    with timeutil.as_of(requested):
        certificate = services.request_certificate(world.volunteer, actor=world["vol"])
    assert certificate.status == CertificateStatus.notice
    assert certificate.notice_until == requested + timedelta(days=7)
    with pytest.raises(Refused):   # a second one while one is on notice
        services.request_certificate(world.volunteer, actor=world["vol"])
    with timeutil.as_of(requested + timedelta(days=6, hours=23)):
        with pytest.raises(Refused):
            services.issue_certificate(certificate, person_in_charge="王主任", contact="021-12345678",
                                       actor=world["staff1"])
    assert certificate.status == CertificateStatus.notice and services.verification_code(certificate) is None
    with pytest.raises(Refused):   # another community's staff
        with timeutil.as_of(requested + timedelta(days=8)):
            services.issue_certificate(certificate, person_in_charge="x", contact="y", actor=world["staff3"])
    _issue_after_notice(world, certificate)
    assert certificate.status == CertificateStatus.issued and certificate.handler_name == world["staff1"].display_name
    code = services.verification_code(certificate)
    assert services.verify(certificate.number, code).id == certificate.id
    assert services.verify(certificate.number.lower(), code.lower()).id == certificate.id
    assert services.verify(certificate.number, "WRONG123") is None
    assert services.verify("ZYFW0000", code) is None


def test_the_certificate_pdf_has_the_four_parts_in_chinese(world):
    approved_entry(world, minutes=150, title="敬老院陪伴")
    certificate = services.request_certificate(world.volunteer, actor=world["vol"])
    _issue_after_notice(world, certificate)
    number = numbers.number_of(world.volunteer)
    body = pdf.render(certificate, volunteer_number=number, code=services.verification_code(certificate))
    # The extracted glyphs come with separators (spaces or NULs) between them: compare without.
    text = re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))
    for words in ("志愿服务证明", "一、志愿者身份信息", "姓名", world.volunteer.name.replace(" ", ""), "志愿者编号", number,
                  "二、志愿服务时长与内容", "2.5小时", "敬老院陪伴",
                  "三、出具证明单位", world.c1.name.replace(" ", ""), "负责人：王主任", "经办人", "联系电话：021-12345678",
                  "四、证明编号与日期", certificate.number, "出具日期", services.verification_code(certificate)):
        assert words in text, words
    assert b"/FontFile" in body or b"/FontFile3" in body   # the font travels inside the file


# --- the export ---------------------------------------------------------------------------------------

def test_the_export_has_the_national_data_elements_and_defuses_formulas(world):
    approved_entry(world, minutes=120, title="=HYPERLINK(\"http://evil\")")
    approved_entry(world, minutes=60, title="+SUM(A1)", days_ago=5)
    rows = list(csv.reader(io.StringIO(export.to_csv(world.volunteer).decode("utf-8-sig"))))
    assert tuple(rows[0]) == export.COLUMNS
    assert {"志愿者编号", "姓名", "服务时长（小时）", "累计志愿服务时长（小时）", "星级"} <= set(rows[0])
    body = rows[1:]
    assert len(body) == 2 and all(row[0] == numbers.number_of(world.volunteer) for row in body)
    titles = [row[rows[0].index("服务项目名称")] for row in body]
    assert titles == ["'+SUM(A1)", "'=HYPERLINK(\"http://evil\")"]
    assert body[0][rows[0].index("累计志愿服务时长（小时）")] == "3.0"
    for row in body:
        assert not any(cell[:1] in "=+-@" for cell in row)
