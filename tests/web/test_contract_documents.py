"""The delivery workspace's documents: type and size checked, names with paths refused, stored under a
random name in the instance folder, served only to those who may read the contract."""
from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Document
from tests.web.test_contracts import signed_contract
from tests.web.test_projects_support import english, events, text  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def app_config():
    return {"UPLOAD_MAX_MB": 0.01}   # 10,485 bytes


def upload(client, contract, name, content, title="Monthly report"):
    return client.post(f"/contracts/{contract.id}/documents", content_type="multipart/form-data",
                       data={"kind": "report", "title": title, "file": (io.BytesIO(content), name)})


def uploads_folder(app):
    return os.path.join(app.instance_path, "uploads", "contracts")


def stored_files(app):
    folder = uploads_folder(app)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_a_report_is_stored_under_a_random_name_and_served_with_access_checks(client, auth, world, app):
    _project, contract = signed_contract(world, client, auth)
    auth.as_(world["worker"])
    assert upload(client, contract, "report-march.pdf", PDF).status_code == 302
    document = db.session.scalar(sa.select(Document))
    assert document.file_name == "report-march.pdf" and document.size == len(PDF)
    assert stored_files(app) == [document.stored_name] and "report" not in document.stored_name
    with open(os.path.join(uploads_folder(app), document.stored_name), "rb") as handle:
        assert handle.read() == PDF
    assert events("document.upload", document)
    url = f"/contracts/{contract.id}/documents/{document.id}"

    for username in ("worker", "orgadmin", "civil"):
        auth.as_(world[username])
        response = client.get(url)
        assert response.status_code == 200 and response.data == PDF, username
        assert response.headers["Content-Disposition"].startswith("attachment")
        response.close()
    for username in ("orgadmin2", "worker2", "civil2", "expert", "vol"):
        auth.as_(world[username])
        assert client.get(url).status_code == 404, username
    auth.as_(world["orgadmin"])
    assert client.get(f"/contracts/{contract.id + 1}/documents/{document.id}").status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("setup.exe", b"MZ\x90\x00", "Files of this type are not accepted"),
    ("report.html", b"<script>alert(1)</script>", "Files of this type are not accepted"),
    ("report.pdf", b"MZ\x90\x00 not a pdf", "is not a .pdf file"),
    ("report.pdf", PDF + b"x" * 11_000, "larger than 0.01 MB"),
    ("report.pdf", b"", "The file is empty."),
    ("../../etc/passwd.pdf", PDF, "may not contain a folder path"),
    ("..\\..\\boot.pdf", PDF, "may not contain a folder path"),
    ("/etc/cron.d/x.pdf", PDF, "may not contain a folder path"),
    (".hidden.pdf", PDF, "may not contain a folder path"),
])
def test_bad_uploads_are_refused_and_nothing_is_written(client, auth, world, app, name, content, message):
    _project, contract = signed_contract(world, client, auth)
    auth.as_(world["orgadmin"])
    response = upload(client, contract, name, content)
    assert response.status_code == 200 and message in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert stored_files(app) == []
    assert not os.path.exists(os.path.join(app.instance_path, "..", "etc"))


def test_another_organization_cannot_upload_nor_before_the_signature(client, auth, world, app):
    _project, contract = signed_contract(world, client, auth)
    auth.as_(world["orgadmin2"])
    assert upload(client, contract, "report.pdf", PDF).status_code == 403
    auth.as_(world["civil"])
    assert upload(client, contract, "report.pdf", PDF).status_code == 403
    assert stored_files(app) == []
