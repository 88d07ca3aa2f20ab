"""Documents on a case: checked like contracts' documents (type, size, first bytes, no paths), stored
encrypted under a random name, downloaded only by those who may open the case (everyone else: 404), each
download in the access log. Services naming the volunteers who helped on their shift. A case run's page
linking the cases it opened."""
from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linkage import security
from linkage.cases import services
from linkage.extensions import db
from linkage.models import (AuditEvent, Case, CaseDocument, CaseService, CaseStage, ShiftStatus, SignUp,
                            SignUpStatus)
from linkage.timeutil import LOCAL_TZ, now
from tests.factories import make_shift, make_user, make_volunteer
from tests.web.test_cases_support import case_people, professional_need

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def app_config():
    return {"UPLOAD_MAX_MB": 0.01, "JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}   # 10,485 bytes


@pytest.fixture
def people(world):
    p = case_people(world)
    db.session.commit()
    return p


@pytest.fixture
def case(world, people):
    opened = services.open_case([professional_need(world, people.project)], people.worker, actor=world["orgadmin"])
    db.session.commit()
    return opened


def upload(client, case, name, content, title="Signed consent"):
    return client.post(f"/cases/{case.id}/documents", content_type="multipart/form-data",
                       data={"title": title, "file": (io.BytesIO(content), name)})


def folder(app):
    return os.path.join(app.instance_path, "uploads", "cases")


def stored_files(app):
    return sorted(os.listdir(folder(app))) if os.path.isdir(folder(app)) else []


def downloads(case_id):
    return [e.actor_id for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "case.read_document", AuditEvent.subject_id == case_id).order_by(AuditEvent.id))]


def test_a_document_is_stored_encrypted_and_only_those_who_open_the_case_download_it(client, auth, world, people,
                                                                                       case, app):
    auth.login("worker")
    assert upload(client, case, "consent.pdf", PDF).status_code == 302
    document = db.session.scalar(sa.select(CaseDocument))
    assert document.case_id == case.id and document.file_name == "consent.pdf" and document.size == len(PDF)
    assert stored_files(app) == [document.stored_name] and "consent" not in document.stored_name
    with open(os.path.join(folder(app), document.stored_name), "rb") as handle:
        on_disk = handle.read()
    assert on_disk != PDF and b"%PDF" not in on_disk and security.decrypt_bytes(on_disk) == PDF
    upload_event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.document_upload"))
    assert upload_event.subject_id == case.id and upload_event.actor_id == world["worker"].id
    assert "Signed consent" not in str(upload_event.after)   # the audit trail keeps no words of the case
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    url = f"/cases/{case.id}/documents/{document.id}"
    assert "Signed consent" in page and url in page

    for username in ("worker", "senior"):   # the owner and their supervisor
        auth.as_(world[username])
        response = client.get(url)
        assert response.status_code == 200 and response.data == PDF, username
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["Cache-Control"] == "no-store"
        response.close()
    assert downloads(case.id) == [world["worker"].id, world["senior"].id]
    # Another social worker of the same organization, its admin, community staff, civil affairs, admins,
    # another organization's social worker: the document does not exist for them.
    for username in ("colleague", "orgadmin", "staff1", "civil", "admin", "worker2", "vol"):
        auth.as_(world[username])
        assert client.get(url).status_code == 404, username
    assert downloads(case.id) == [world["worker"].id, world["senior"].id]
    auth.as_(world["worker"])
    assert client.get(f"/cases/{case.id + 1}/documents/{document.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/documents/{document.id + 1}").status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("virus.exe", b"MZ\x90\x00", "Files of this type are not accepted"),
    ("big.pdf", b"%PDF-" + b"x" * 11000, "The file is larger than"),
    ("../../etc/consent.pdf", PDF, "may not contain a folder path"),
    ("..\\consent.pdf", PDF, "may not contain a folder path"),
    ("folder/consent.pdf", PDF, "may not contain a folder path"),
    ("photo.pdf", b"\x89PNG\r\n\x1a\n....", "is not a .pdf file"),
    ("empty.pdf", b"", "The file is empty"),
])
def test_a_wrong_file_is_refused_and_nothing_is_stored(client, auth, world, case, app, name, content, message):
    auth.login("worker")
    response = upload(client, case, name, content)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CaseDocument.id))) == 0
    assert stored_files(app) == []


def test_who_may_add_documents(client, auth, world, people, case):
    auth.login("colleague")   # may not open the case at all
    assert upload(client, case, "consent.pdf", PDF).status_code == 403
    auth.as_(world["worker"])
    client.post(f"/cases/{case.id}/referrals", data={"refer-worker": people.worker2.id,
                                                      "refer-reason": "Legal advice on the lease"})
    auth.as_(world["worker2"])
    response = upload(client, case, "lease.pdf", PDF)   # named by a referral not yet accepted
    assert response.status_code == 200 and "may add documents" in response.get_data(as_text=True)
    client.post(f"/cases/{case.id}/referral/accept", data={"answer": ""})
    assert upload(client, case, "lease.pdf", PDF, title="Lease reviewed").status_code == 302
    document = db.session.scalar(sa.select(CaseDocument))
    assert document.title == "Lease reviewed" and document.uploaded_by_id == world["worker2"].id
    assert client.get(f"/cases/{case.id}/documents/{document.id}").data == PDF


# --- volunteers on a service ----------------------------------------------------------------------------

def _local(moment):
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _shift_with_places(world, people):
    """A shift of organization 1's project two hours ago: Chen Jie held a place, Sun Li only waited."""
    shift = make_shift(world.c1, project=people.project, start=now() - timedelta(hours=3), title="Home repairs")
    shift.status = ShiftStatus.done
    held = make_volunteer(world.c1, make_user("chenjie", world["vol"].role, world.c1), name="Chen Jie")
    waited = make_volunteer(world.c1, make_user("sunli", world["vol"].role, world.c1), name="Sun Li")
    db.session.add_all([SignUp(shift=shift, volunteer=held, status=SignUpStatus.checked_out),
                        SignUp(shift=shift, volunteer=waited, status=SignUpStatus.waitlisted)])
    return shift, held, waited


def test_a_service_names_the_volunteers_who_held_a_place_on_its_shift(client, auth, world, people, case):
    shift, held, waited = _shift_with_places(world, people)
    case.stage = CaseStage.services
    db.session.commit()
    auth.login("worker")
    url = f"/cases/{case.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Chen Jie · Home repairs" in page and "Sun Li" not in page   # only holders are offered
    data = {"description": "Heating repaired", "delivered_at": _local(now() - timedelta(hours=1)),
            "shift": shift.id}
    response = client.post(f"{url}/services", data={**data, "volunteers": [waited.id]})
    assert response.status_code == 200 and "Choose from the list." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CaseService.id))) == 0
    assert client.post(f"{url}/services", data={**data, "volunteers": [held.id]}).status_code == 302
    service = db.session.scalar(sa.select(CaseService))
    assert [v.name for v in service.volunteers] == ["Chen Jie"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.service"))
    assert event.after["volunteer_ids"] == [held.id]
    assert "Volunteers who helped: Chen Jie" in client.get(url).get_data(as_text=True)


def test_the_service_refuses_volunteers_without_a_place_or_without_a_shift(app, world, people, case):
    shift, held, waited = _shift_with_places(world, people)
    case.stage = CaseStage.services
    db.session.flush()
    moment = now() - timedelta(hours=1)
    from linkage.errors import Refused
    with pytest.raises(Refused, match="Sun Li had no place"):
        services.record_service(case, actor=world["worker"], description="Heating repaired", delivered_at=moment,
                                shift=shift, volunteers=[held, waited])
    with pytest.raises(Refused, match="Choose the shift"):
        services.record_service(case, actor=world["worker"], description="Heating repaired", delivered_at=moment,
                                volunteers=[held])
    service = services.record_service(case, actor=world["worker"], description="Heating repaired",
                                      delivered_at=moment, shift=shift, volunteers=[held, held])
    assert service.volunteers == [held]


# --- a case run's page ----------------------------------------------------------------------------------

def test_the_run_page_links_the_cases_it_opened_to_those_who_may_open_them(client, auth, world, people):
    from tests.web.test_cases_pages import _case_from_a_run
    opened = _case_from_a_run(world, people, client, auth)
    run_url = f"/matching/{opened.match_run_id}"
    auth.login("civil")   # approved the run; may not open the case
    page = client.get(run_url).get_data(as_text=True)
    assert 'id="hidden-cases"' in page and "1 case is open only" in page
    assert f"/cases/{opened.id}" not in page and opened.title not in page.split('id="opened-cases"')[1]
    # A reader of the run who may open the case (here: the run shown to its owner) gets the link.
    run = opened.match_run
    run.created_by_id = world["worker"].id
    db.session.commit()
    auth.as_(world["worker"])
    page = client.get(run_url).get_data(as_text=True)
    assert f'href="/cases/{opened.id}"' in page and 'id="hidden-cases"' not in page
    assert db.session.get(Case, opened.id).match_run_id == run.id
