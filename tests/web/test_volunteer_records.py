"""A volunteer's record through the pages: locked hours and corrections, number and stars, certificates with
public notice and verification, complaints, and the export with its scope."""
import csv
import io
import re
from datetime import timedelta

from linkage import timeutil
from linkage.extensions import db
from linkage.models import Certificate, CertificateStatus, HoursCorrection, SignUp
from linkage.records import numbers, services
from tests.factories import now
from tests.records_support import approved_entry


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_profile_and_the_record_page_show_number_hours_and_stars(client, auth, world):
    for days in range(1, 4):
        approved_entry(world, minutes=120, days_ago=days)
    db.session.commit()
    auth.login("vol")
    record_page = _page(client.get("/records/mine"))
    number = numbers.number_of(world.volunteer)
    assert numbers.is_valid(number) and number in record_page
    assert re.search(r'cumulative-hours">6\.0<', record_page)
    assert "94.0" in record_page          # hours to the first star (100 h)
    profile = _page(client.get("/volunteers/profile"))
    assert number in profile and "6.0" in profile


def test_a_star_shows_once_the_threshold_is_reached(client, auth, world):
    from linkage import settings
    settings.change("STAR_THRESHOLDS_HOURS", "2, 4, 6, 8, 10", actor=world["admin"])
    approved_entry(world, minutes=120)
    approved_entry(world, minutes=120, days_ago=4)
    db.session.commit()
    auth.login("vol")
    page = _page(client.get("/records/mine"))
    assert re.search(r'class="value star-level"[^>]*>★★<', page)


def test_the_roster_refuses_to_decide_approved_hours_again(client, auth, world):
    record = approved_entry(world, minutes=120)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/shifts/{record.shift_id}/roster/hours",
                           data={"sign_ups": str(record.id), "decision": "decline", "reason": "late"})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(SignUp, record.id).minutes == 120
    assert db.session.get(SignUp, record.id).hours_status.value == "approved"


def test_a_correction_filed_by_the_volunteer_and_approved_by_staff_changes_the_hours(client, auth, world):
    record = approved_entry(world, minutes=120)
    db.session.commit()
    auth.login("vol")
    page = _page(client.get("/records/corrections/new"))
    assert f'value="{record.id}"' in page
    response = client.post("/records/corrections/new",
                           data={"sign_up": record.id, "minutes": "75", "reason": "I left at 10:15"})
    assert response.status_code == 302
    correction = db.session.scalar(db.select(HoursCorrection))
    assert correction.minutes_requested == 75 and db.session.get(SignUp, record.id).minutes == 120
    auth.logout()
    auth.login("staff3")                      # another community's staff: not theirs to decide
    assert "I left at 10:15" not in _page(client.get("/records/corrections"))
    client.post("/records/corrections", data={"correction": correction.id, "decision": "approve"})
    db.session.expire_all()
    assert db.session.get(SignUp, record.id).minutes == 120
    auth.logout()
    auth.login("staff1")
    assert "I left at 10:15" in _page(client.get("/records/corrections"))
    assert client.post("/records/corrections", data={"correction": correction.id, "decision": "approve"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SignUp, record.id).minutes == 75
    assert db.session.get(HoursCorrection, correction.id).status.value == "approved"
    auth.logout()
    auth.login("vol")
    assert re.search(r'cumulative-hours">1\.2<', _page(client.get("/records/mine")))


def test_a_certificate_is_posted_then_issued_then_verified(client, auth, world):
    approved_entry(world, minutes=150, title="敬老院陪伴")
    db.session.commit()
    requested = now()
    auth.login("vol")
    with timeutil.as_of(requested):
        assert client.post("/records/mine/certificates").status_code == 302
    certificate = db.session.scalar(db.select(Certificate))
    number = numbers.number_of(world.volunteer)
    auth.logout()
    notice = _page(client.get("/records/notice"))        # public, no log-in
    assert certificate.number in notice and world.volunteer.name in notice and number in notice
    auth.login("staff1")
    desk = _page(client.get("/records/volunteers"))
    assert certificate.number in desk and f"/records/certificates/{certificate.id}/issue" not in desk
    form = {"person_in_charge": "王主任", "contact": "021-12345678"}
    with timeutil.as_of(requested + timedelta(days=6, hours=23)):
        client.post(f"/records/certificates/{certificate.id}/issue", data=form)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.notice
    with timeutil.as_of(requested + timedelta(days=7, minutes=1)):
        assert f"/records/certificates/{certificate.id}/issue" in _page(client.get("/records/volunteers"))
        assert client.post(f"/records/certificates/{certificate.id}/issue", data=form).status_code == 302
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    assert certificate.status == CertificateStatus.issued
    assert certificate.number not in _page(client.get("/records/notice"))
    auth.logout()
    auth.login("vol")
    pdf = client.get(f"/records/certificates/{certificate.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    auth.logout()
    code = services.verification_code(certificate)
    genuine = _page(client.post("/records/verify", data={"number": certificate.number, "code": code}))
    assert "alert-success" in genuine and world.volunteer.name in genuine
    forged = _page(client.post("/records/verify", data={"number": certificate.number, "code": "ABCDEFGH"}))
    assert "alert-success" not in forged and "alert-danger" in forged and world.volunteer.name not in forged


def test_another_volunteer_cannot_download_a_certificate(client, auth, world):
    approved_entry(world, minutes=150)
    with timeutil.as_of(now() - timedelta(days=8)):
        certificate = services.request_certificate(world.volunteer, actor=world["vol"])
    services.issue_certificate(certificate, person_in_charge="王主任", contact="021", actor=world["staff1"])
    db.session.commit()
    auth.login("vol3")
    assert client.get(f"/records/certificates/{certificate.id}.pdf").status_code == 404


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_export_for_the_volunteer_and_for_staff_in_scope_only(client, auth, world):
    approved_entry(world, minutes=120, title="@cmd|' /C calc'!A0")
    db.session.commit()
    number = numbers.assign(world.volunteer)
    db.session.commit()
    auth.login("vol")
    rows = _csv(client.get("/records/mine/export.csv"))
    assert rows[0][:2] == ["志愿者编号", "姓名"] and rows[1][0] == number
    assert rows[1][rows[0].index("服务项目名称")] == "'@cmd|' /C calc'!A0"
    auth.logout()
    auth.login("staff1")
    assert _csv(client.get(f"/records/volunteers/{number}/export.csv"))[1][0] == number
    auth.logout()
    auth.login("staff3")                       # another community's staff
    assert client.get(f"/records/volunteers/{number}/export.csv").status_code == 404
    looked_up = _page(client.get("/records/volunteers", query_string={"number": number}))
    assert "alert-warning" in looked_up and world.volunteer.name not in looked_up
    auth.logout()
    auth.login("vol3")
    assert client.get(f"/records/volunteers/{number}/export.csv").status_code == 403


def test_a_complaint_is_recorded_by_staff_and_answered_by_the_volunteer(client, auth, world):
    number = numbers.assign(world.volunteer)
    db.session.commit()
    auth.login("staff3")
    assert client.post(f"/records/volunteers/{number}/complaints", data={"text": "x"}).status_code == 404
    auth.logout()
    auth.login("staff1")
    assert client.post(f"/records/volunteers/{number}/complaints",
                       data={"text": "Left the elderly man alone"}).status_code == 302
    assert "Left the elderly man alone" in _page(client.get("/records/volunteers", query_string={"number": number}))
    auth.logout()
    auth.login("vol")
    page = _page(client.get("/records/mine"))
    assert "Left the elderly man alone" in page
    complaint_id = re.search(r'<option[^>]*value="(\d+)"', page.split('name="complaint"')[1]).group(1)
    assert client.post("/records/mine/answer", data={"complaint": complaint_id,
                                                     "answer": "His daughter came"}).status_code == 302
    assert "His daughter came" in _page(client.get("/records/mine"))
