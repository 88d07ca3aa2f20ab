"""Skills that need proof: a volunteer's claim with a certificate, a social worker's decision, the one rule
that decides whether it counts for a slot on the shift's day (sign-up and match runs), training sessions
that grant it, and supervision notes on volunteers."""
from __future__ import annotations

import io
import os
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from linkage.errors import Refused
from linkage.extensions import db
from linkage.matching import problems
from linkage.models import (AuditEvent, HoursStatus, ProofSource, ProofStatus, SignUp, SignUpStatus,
                            SkillCertificate, SupervisionNote)
from linkage.shifts import services as shift_services
from linkage.skills import services as skill_services
from linkage.timeutil import LOCAL_TZ, to_local, today
from tests.factories import make_certificate, make_shift
from tests.web.test_shifts_support import (add_sign_up, hour, notifications, project_shift, sign_up_as, sign_up_of,
                                           text, volunteer)

SCAN = b"%PDF-1.4 first-aid certificate of the Red Cross"


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def claim(client, skill, content=SCAN, name="red-cross.pdf"):
    return client.post("/skills/mine", content_type="multipart/form-data",
                       data={"skill": str(skill.id), "file": (io.BytesIO(content), name)})


def certificates(volunteer) -> list[SkillCertificate]:
    return list(db.session.scalars(sa.select(SkillCertificate).where(SkillCertificate.volunteer_id == volunteer.id)
                                   .order_by(SkillCertificate.id)))


def actions(action) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_a_claim_approved_by_a_social_worker_of_the_area_opens_the_slot(app, client, auth, world):
    shift = project_shift(world, slots=((world.first_aid, 1),))
    db.session.commit()
    # Listed on the profile is not enough: the slot wants an approved certificate.
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "This shift needs a certificate a social worker has approved: First aid." in text(response)
    assert "Upload a certificate" in text(client.get("/volunteers/profile"))
    page = client.get("/skills/mine")
    assert page.status_code == 200 and "First aid" in text(page) and "Elder care" not in text(page)
    response = claim(client, world.first_aid)
    assert response.status_code == 302, text(response)
    [certificate] = certificates(world.volunteer)
    assert certificate.status == ProofStatus.pending and certificate.source == ProofSource.upload
    stored = os.path.join(app.instance_path, "uploads", "skill_certificates", certificate.stored_name)
    with open(stored, "rb") as handle:
        assert SCAN not in handle.read()   # encrypted at rest
    assert "Waiting for a social worker" in text(client.get("/skills/mine"))
    # Still waiting: still refused.
    assert sign_up_of(shift, world.volunteer) is None
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "needs a certificate a social worker has approved" in text(response)
    # The social worker of the volunteer's street sees the claim, opens the file and approves it.
    auth.logout()
    auth.login("worker")
    queue = text(client.get("/skills/reviews"))
    assert world.volunteer.name in queue and "First aid" in queue
    download = client.get(f"/skills/certificates/{certificate.id}/file")
    assert download.status_code == 200 and download.data == SCAN
    last_day = today() + timedelta(days=400)
    response = client.post(f"/skills/certificates/{certificate.id}/approve",
                           data={f"a{certificate.id}-expires_on": last_day.isoformat()})
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert certificate.status == ProofStatus.approved and certificate.expires_on == last_day
    assert certificate.decided_by_id == world["worker"].id
    [event] = actions("skill_certificate.approve")
    assert event.subject_id == certificate.id and event.after["status"] == "approved"
    assert event.after["expires_on"] == last_day.isoformat()
    [told] = notifications(world["vol"], "skill_certificate_approved")
    assert told.params["date"] == last_day.isoformat()
    # Now the slot takes the volunteer.
    auth.logout()
    response = sign_up_as(client, auth, world.volunteer, shift)
    record = sign_up_of(shift, world.volunteer)
    assert record.status == SignUpStatus.assigned and record.slot_id == shift.slots[0].id
    assert "Valid until" in text(client.get("/skills/mine"))


def test_a_rejection_needs_a_reason_that_the_volunteer_reads(client, auth, world):
    auth.login("vol")
    claim(client, world.first_aid)
    [certificate] = certificates(world.volunteer)
    auth.logout()
    auth.login("worker")
    client.post(f"/skills/certificates/{certificate.id}/reject", data={f"r{certificate.id}-reason": ""})
    db.session.refresh(certificate)
    assert certificate.status == ProofStatus.pending
    client.post(f"/skills/certificates/{certificate.id}/reject",
                data={f"r{certificate.id}-reason": "The scan is unreadable."})
    db.session.refresh(certificate)
    assert certificate.status == ProofStatus.rejected and certificate.reason == "The scan is unreadable."
    [told] = notifications(world["vol"], "skill_certificate_rejected")
    assert told.params["reason"] == "The scan is unreadable."
    assert actions("skill_certificate.reject")[0].note == "The scan is unreadable."
    auth.logout()
    auth.login("vol")
    assert "Reason: The scan is unreadable." in text(client.get("/skills/mine"))


def test_only_certificates_of_the_accepted_kinds_are_taken(client, auth, world):
    auth.login("vol")
    response = claim(client, world.first_aid, content=b"PK\x03\x04 a word file", name="certificate.docx")
    assert "Files of this type are not accepted; upload one of: jpeg, jpg, pdf, png." in text(response)
    response = claim(client, world.first_aid, content=b"not a pdf", name="certificate.pdf")
    assert "not a .pdf file" in text(response)
    response = claim(client, world.elder_care)
    assert "Choose from the list." in text(response) or "needs a certificate" in text(response)
    assert certificates(world.volunteer) == []


def test_a_social_worker_of_another_area_neither_sees_nor_decides_the_claim(client, auth, world):
    auth.login("vol")
    claim(client, world.first_aid)
    [certificate] = certificates(world.volunteer)
    auth.logout()
    auth.login("worker2")
    assert world.volunteer.name not in text(client.get("/skills/reviews"))
    response = client.post(f"/skills/certificates/{certificate.id}/approve",
                           data={f"a{certificate.id}-expires_on": (today() + timedelta(days=30)).isoformat()})
    assert response.status_code == 404
    assert client.get(f"/skills/certificates/{certificate.id}/file").status_code == 404
    db.session.refresh(certificate)
    assert certificate.status == ProofStatus.pending and actions("skill_certificate.approve") == []


def test_an_expired_certificate_is_refused_with_its_date_by_sign_up_and_by_a_match_run(app, client, auth, world):
    """Valid today, expired on the shift's day: the rule asks about the shift's day."""
    start = hour(days=3)
    shift = project_shift(world, slots=((world.first_aid, 1),), start=start)
    last_day = to_local(start).date() - timedelta(days=1)
    make_certificate(world.volunteer, world.first_aid, expires_on=last_day)
    db.session.commit()
    response = sign_up_as(client, auth, world.volunteer, shift)
    assert "Your certificate for First aid expired on" in text(response)
    assert sign_up_of(shift, world.volunteer) is None
    # The profile says it is expired once it is.
    db.session.get(SkillCertificate, certificates(world.volunteer)[0].id).expires_on = today() - timedelta(days=1)
    db.session.commit()
    assert "Expired on" in text(client.get("/volunteers/profile"))
    db.session.get(SkillCertificate, certificates(world.volunteer)[0].id).expires_on = last_day
    db.session.commit()
    # A match run is never offered the pair, and a pin of it is refused with the same reason.
    begin = start - timedelta(days=1)
    with app.test_request_context():
        problem, _inputs = problems.build_shift_problem(world.street1, begin, begin + timedelta(days=7))
        pair = [f"v{world.volunteer.id}", f"s{shift.id}"]
        assert pair in problem["forbids"]
        entry = next(v for v in problem["volunteers"] if v["id"] == pair[0])
        assert "first_aid" not in entry["skills"]
        with pytest.raises(Refused) as refused:
            problems.build_shift_problem(world.street1, begin, begin + timedelta(days=7), pins=[pair])
        assert "Your certificate for 急救 expired on" in str(refused.value)   # the run records the skill as named
    # Renewed up to the shift's day: both paths take them.
    make_certificate(world.volunteer, world.first_aid, expires_on=to_local(start).date())
    db.session.commit()
    with app.test_request_context():
        problem, _inputs = problems.build_shift_problem(world.street1, begin, begin + timedelta(days=3))
    assert [f"v{world.volunteer.id}", f"s{shift.id}"] not in problem["forbids"]
    sign_up_as(client, auth, world.volunteer, shift)
    assert sign_up_of(shift, world.volunteer).status == SignUpStatus.assigned


def test_approved_hours_on_a_training_session_grant_its_certificate(client, auth, world):
    start = hour(days=-2)
    shift = make_shift(world.c1, lead=world.worker, start=start, slots=((None, 5),), title="First-aid course")
    shift.trains_skill = world.first_aid
    trainee = volunteer(world, name="Trainee Wu")
    add_sign_up(shift, trainee, status=SignUpStatus.checked_out, checked_in_at=start,
                checked_out_at=start + timedelta(hours=2), minutes=120, hours_status=HoursStatus.pending)
    db.session.commit()
    record = sign_up_of(shift, trainee)
    # Checked out is not yet final: nothing granted before the lead approves the hours.
    assert certificates(trainee) == []
    auth.login("worker")
    response = client.post(f"/shifts/{shift.id}/roster/hours", data={"sign_ups": [record.id], "decision": "approve"})
    assert response.status_code == 302
    [certificate] = certificates(trainee)
    day = to_local(start).date()
    assert certificate.source == ProofSource.training and certificate.status == ProofStatus.approved
    assert certificate.shift_id == shift.id
    assert certificate.expires_on == skill_services.months_later(day, world.first_aid.validity_months)
    assert actions("skill_certificate.grant")[0].subject_id == certificate.id
    assert notifications(trainee.user, "skill_certificate_granted")
    assert "Training session" in text(client.get(f"/shifts/{shift.id}"))


def test_a_declined_entry_on_a_training_session_grants_nothing(app, world):
    start = hour(days=-2)
    shift = make_shift(world.c1, lead=world.worker, start=start, slots=((None, 5),), title="First-aid course")
    shift.trains_skill = world.first_aid
    trainee = volunteer(world, name="Trainee Wu")
    add_sign_up(shift, trainee, status=SignUpStatus.checked_out, checked_in_at=start,
                checked_out_at=start + timedelta(hours=2), minutes=120, hours_status=HoursStatus.pending)
    db.session.flush()
    from linkage.shifts import places
    with app.test_request_context():
        places.decide_hours([sign_up_of(shift, trainee)], approve=False, reason="Left early", actor=world["worker"])
    assert certificates(trainee) == []


def test_only_a_skill_that_needs_proof_is_trained(app, world):
    start = hour(days=5)
    data = shift_services.ShiftData(title="Cooking", community=world.c1, place="Hall", start=start,
                                    end=start + timedelta(hours=2), min_volunteers=1, slots=[(None, 3)],
                                    lead=world.worker, trains_skill=world.elder_care)
    with app.test_request_context(), pytest.raises(Refused):
        shift_services.create_shift(data, project=None, actor=world["staff1"])


def test_months_later_keeps_the_day_or_takes_the_months_last():
    assert skill_services.months_later(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert skill_services.months_later(date(2026, 11, 30), 24) == date(2028, 11, 30)
    assert skill_services.months_later(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_supervision_notes_are_written_by_the_lead_and_read_in_the_area_only(client, auth, world):
    shift = project_shift(world, slots=((None, 3),), lead=world.worker)
    add_sign_up(shift, world.volunteer)
    db.session.commit()
    url = f"/volunteers/{world.volunteer.id}/supervision"
    notes_url = url + "/notes"
    auth.login("worker")
    roster = text(client.get(f"/shifts/{shift.id}/roster"))
    assert url in roster
    response = client.post(notes_url, data={"text": "Punctual and patient with the residents."})
    assert response.status_code == 302
    [note] = db.session.scalars(sa.select(SupervisionNote)).all()
    assert note.author_id == world["worker"].id and note.volunteer_id == world.volunteer.id
    [event] = actions("volunteer.supervision_note")
    assert event.subject_id == world.volunteer.id and event.after == {"note_id": note.id}
    auth.logout()
    # Staff of the volunteer's community read it and may not write.
    auth.login("staff1")
    assert "Punctual and patient" in text(client.get(url))
    assert client.post(notes_url, data={"text": "x"}).status_code == 403
    auth.logout()
    # The volunteer, another area's staff and social worker, an organization admin: not there for them.
    for username in ("vol", "staff3", "worker2", "orgadmin"):
        auth.login(username)
        assert client.get(url).status_code == 404, username
        assert client.post(notes_url, data={"text": "x"}).status_code == 404, username
        auth.logout()
    assert db.session.scalar(sa.select(sa.func.count(SupervisionNote.id))) == 1


def test_an_empty_note_is_refused_on_the_field(client, auth, world):
    shift = project_shift(world, slots=((None, 3),), lead=world.worker)
    add_sign_up(shift, world.volunteer)
    db.session.commit()
    auth.login("worker")
    response = client.post(f"/volunteers/{world.volunteer.id}/supervision/notes", data={"text": "  "})
    assert response.status_code == 200 and "Write the note." in text(response)
    assert db.session.scalar(sa.select(sa.func.count(SupervisionNote.id))) == 0
