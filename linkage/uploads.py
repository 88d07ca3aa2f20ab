"""Uploaded files, for every area that takes them (contracts' reports, cases' documents): the checks of
name, type, size and first bytes; storage in the instance folder under a random name, outside the
database (optionally encrypted at rest); reading back; serving as an attachment.

The allowed types and the size limit are the locality settings ``UPLOAD_TYPES`` and ``UPLOAD_MAX_MB``.
A stored name is 32 random hex digits, never a name the user chose, so no upload can reach outside its
folder."""
from __future__ import annotations

import mimetypes
import os
import re
import secrets
from typing import Optional

import sqlalchemy as sa
from flask import abort, current_app
from flask_babel import lazy_gettext as _l

from linkage import security, settings
from linkage.database import within
from linkage.downloads import send_attachment
from linkage.errors import Refused
from linkage.extensions import db

# What a file of each type starts with: a file whose bytes say otherwise is refused.
SIGNATURES = {
    "pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",),
}
_UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f]|(^|[^.])\.\.($|[^.])|^\.")
_STORED_NAME = re.compile(r"[0-9a-f]{32}")


# Photos attached to a need: images only, whatever UPLOAD_TYPES allows for documents; size PHOTO_MAX_MB.
PHOTO_TYPES = ("jpeg", "jpg", "png")


def size_limit(setting: str = "UPLOAD_MAX_MB") -> int:
    """Largest file in bytes (``UPLOAD_MAX_MB``, or the size setting named)."""
    return int(float(settings.get(setting)) * 1024 * 1024)


def check(file_name: Optional[str], content: bytes, *, types: Optional[tuple] = None,
          size_setting: str = "UPLOAD_MAX_MB", field: str = "file") -> str:
    """The file's extension, or Refused: a name with a path in it, a type not allowed (``types``, else
    ``UPLOAD_TYPES``), bytes that are not what the name says, an empty or oversized file."""
    name = file_name or ""
    if not name.strip():
        raise Refused(_l("Choose a file."), field=field)
    if _UNSAFE_NAME.search(name) or len(name) > 200:
        raise Refused(_l("The file name may not contain a folder path; rename the file and try again."), field=field)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [kind for kind in settings.get("UPLOAD_TYPES") if types is None or kind in types]
    if extension not in allowed:
        raise Refused(_l("Files of this type are not accepted; upload one of: %(types)s.",
                         types=", ".join(allowed)), field=field)
    if not content:
        raise Refused(_l("The file is empty."), field=field)
    if len(content) > size_limit(size_setting):
        raise Refused(_l("The file is larger than %(mb)s MB.", mb=settings.REGISTRY[size_setting].text(
            settings.get(size_setting))), field=field)
    signatures = SIGNATURES.get(extension)
    if signatures and not content.startswith(signatures):
        raise Refused(_l("The file's content is not a .%(ext)s file.", ext=extension), field=field)
    return extension


def folder(area: str) -> str:
    """Where an area's uploads live: ``<instance>/uploads/<area>``."""
    return os.path.join(current_app.instance_path, "uploads", area)


def stored_path(area: str, stored_name: str) -> str:
    """The path of a stored file: the area's folder and a random name, never a user's path."""
    if not _STORED_NAME.fullmatch(stored_name or ""):
        raise ValueError("not a stored file name")
    return os.path.join(folder(area), stored_name)


def new_name() -> str:
    return secrets.token_hex(16)


def store(area: str, stored_name: str, content: bytes, *, encrypted: bool = False) -> str:
    """Write ``content`` under ``stored_name`` (a new file, readable by the server only); with
    ``encrypted`` the bytes on disk are AES-GCM ciphertext. Returns the path (to remove it if the row fails)."""
    os.makedirs(folder(area), mode=0o700, exist_ok=True)
    path = stored_path(area, stored_name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(security.encrypt_bytes(content) if encrypted else content)
    return path


def store_with_row(area: str, row, content: bytes, *, encrypted: bool = False) -> None:
    """Write ``content`` under ``row.stored_name`` and add ``row`` (a document, a certificate, a consent form,
    a need's photo) to the session, all or nothing: should the flush fail, or the transaction (or the savepoint)
    roll back later, the file is removed again, so no file outlives its row."""
    path = store(area, row.stored_name, content, encrypted=encrypted)
    session = db.session
    session.info.setdefault(_WRITTEN, []).append((session().get_nested_transaction(), path))
    session.add(row)
    try:
        session.flush()
    except BaseException:
        _unlink(path)
        raise


# session.info: [(savepoint or None, path)] of the files this transaction wrote, removed should it roll back.
_WRITTEN = "linkage_uploads_written"


def _unlink(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


@sa.event.listens_for(db.session, "after_commit")
def _keep_committed(session) -> None:
    """The rows are in: their files stay (a savepoint released is not the end: its files wait for the rest)."""
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _remove_rolled_back(session, previous_transaction) -> None:
    """A savepoint rolled back: the files written inside it go with their rows."""
    written = session.info.get(_WRITTEN)
    if not written or not previous_transaction.nested:
        return
    kept = []
    for transaction, path in written:
        if within(transaction, previous_transaction):
            _unlink(path)
        else:
            kept.append((transaction, path))
    session.info[_WRITTEN] = kept


@sa.event.listens_for(db.session, "after_transaction_end")
def _remove_uncommitted(session, transaction) -> None:
    """The transaction ended without a commit (rolled back, or the session closed): its files go."""
    if transaction.parent is None:
        for _transaction, path in session.info.pop(_WRITTEN, None) or ():
            _unlink(path)


def read_back(area: str, stored_name: str, *, encrypted: bool = False) -> Optional[bytes]:
    """The stored file's bytes (decrypted when stored encrypted), or None when the file is gone."""
    path = stored_path(area, stored_name)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        content = handle.read()
    return security.decrypt_bytes(content) if encrypted else content


def read_stored(area: str, stored_name: str, missing, *, encrypted: bool = True) -> bytes:
    """The stored file's bytes for a service to hand out; Refused with ``missing`` when the file is gone from
    the instance folder (restored without its uploads)."""
    content = read_back(area, stored_name, encrypted=encrypted)
    if content is None:
        raise Refused(missing)
    return content


def remove(area: str, stored_name: str) -> None:
    """Delete a stored file (gone already: nothing to do)."""
    _unlink(stored_path(area, stored_name))


def from_request(file_storage, limit: Optional[int] = None) -> tuple[str, bytes]:
    """An uploaded file as the checks read it: its name as sent, and no more bytes than the limit plus one."""
    if file_storage is None:
        return "", b""
    return file_storage.filename or "", file_storage.stream.read((limit or size_limit()) + 1)


def attachment(area: str, stored_name: str, extension: str, title: str, *, encrypted: bool = False):
    """The stored file as a download (never shown inline, never cached); 404 when it is gone from the
    instance folder (restored without its uploads)."""
    content = read_back(area, stored_name, encrypted=encrypted)
    if content is None:
        abort(404)
    return send_bytes(content, extension, title)


def send_bytes(content: bytes, extension: str, title: str):
    """Bytes already read back (and decrypted) as a download named after ``title``, never shown inline,
    never kept by a cache."""
    return send_attachment(content, f"{title[:80]}.{extension}", mimetypes.guess_type(f"x.{extension}")[0])
