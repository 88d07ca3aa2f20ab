"""Sending bytes to the browser as a named download: spreadsheets, PDFs, calendars, stored uploads."""
from __future__ import annotations

import mimetypes
import unicodedata
from typing import Optional
from urllib.parse import quote

from flask import Response


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def disposition(file_name: str) -> str:
    """The Content-Disposition of a download named ``file_name``: the name itself when it is plain ASCII;
    otherwise an ASCII stand-in and the name in UTF-8 (RFC 6266), which every current browser uses."""
    plain = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode("ascii")
    plain = "".join(ch for ch in plain if ch.isprintable())
    value = f"attachment; filename={_quoted(plain)}"
    if plain != file_name:
        value += "; filename*=UTF-8''" + quote(file_name, safe="!#$&+-.^_`|~")
    return value


def send_attachment(body: bytes, file_name: str, mimetype: Optional[str] = None) -> Response:
    """``body`` as a download named ``file_name`` (its type guessed from the name unless given), never shown
    inline, never kept by a cache."""
    mimetype = mimetype or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition(file_name)
    response.headers["Cache-Control"] = "no-store"
    return response
