"""Spreadsheets in and out: reading .xlsx and .csv uploads into rows of text, writing lists as .xlsx and
.csv downloads, and the one rule that keeps a written cell from running as a formula.

A .csv is read as UTF-8 (with or without a byte-order mark), else as GB18030 (what spreadsheet programs
set to Chinese save); a .csv is written as UTF-8 with a byte-order mark so they read the Chinese right.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response
from flask_babel import lazy_gettext as _l

from linkage import settings
from linkage.downloads import send_attachment
from linkage.errors import Refused

FORMATS = ("xlsx", "csv")
MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "csv": "text/csv; charset=utf-8"}
# A cell starting with one of these is a formula (or the start of one) to a spreadsheet program.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    """A cell as text that no spreadsheet program runs as a formula: a leading ``'`` where it could."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def size_limit() -> int:
    """Largest spreadsheet accepted for import, in bytes (``IMPORT_MAX_MB``)."""
    return int(float(settings.get("IMPORT_MAX_MB")) * 1024 * 1024)


def format_of(file_name: str) -> str:
    """"xlsx" or "csv" from the file's name, or Refused."""
    extension = (file_name or "").rsplit(".", 1)[-1].lower() if "." in (file_name or "") else ""
    if extension not in FORMATS:
        raise Refused(_l("Upload the filled template as an .xlsx or .csv file."), field="file")
    return extension


def _text(value) -> str:
    """A cell read from a workbook as the text a person typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise Refused(_l("The .csv file's text could not be read: save it as \"CSV UTF-8\" and try again."),
                      field="file") from None


def _read_csv(content: bytes) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(_decode(content), newline=""))]


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Refused(_l("The file is not an Excel workbook (.xlsx) that can be read."), field="file") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read(file_name: str, content: bytes) -> list[list[str]]:
    """The first sheet of an uploaded .xlsx or .csv as rows of stripped text, blank rows dropped
    (the header row first); Refused for a file of another type, too large, too long or unreadable."""
    kind = format_of(file_name)
    if not content:
        raise Refused(_l("The file is empty."), field="file")
    if len(content) > size_limit():
        raise Refused(_l("The file is larger than %(mb)s MB.", mb=settings.REGISTRY["IMPORT_MAX_MB"].text(
            settings.get("IMPORT_MAX_MB"))), field="file")
    if kind == "xlsx" and not content.startswith(b"PK\x03\x04"):
        raise Refused(_l("The file's content is not a .%(ext)s file.", ext=kind), field="file")
    rows = _read_xlsx(content) if kind == "xlsx" else _read_csv(content)
    rows = [row for row in rows if any(cell for cell in row)]
    limit = int(settings.get("IMPORT_MAX_ROWS"))
    if len(rows) - 1 > limit:
        raise Refused(_l("The file has more than %(n)s rows; split it into smaller files.", n=limit),
                      field="file")
    return rows


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte-order mark; every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], title: str = "Sheet1") -> bytes:
    """One sheet, every cell written as safe text (never a formula), the header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(text))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            cell.data_type = "s"   # text as typed: openpyxl would otherwise read "=..." as a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(headers: Sequence[str], rows: Iterable[Sequence], kind: str, file_stem: str) -> Response:
    """A list as an .xlsx or .csv attachment, never cached."""
    return send(to_xlsx(headers, rows, file_stem) if kind == "xlsx" else to_csv(headers, rows), kind, file_stem)


def send(body: bytes, kind: str, file_stem: str) -> Response:
    """Spreadsheet bytes as an attachment named ``file_stem.kind``, never cached."""
    return send_attachment(body, f"{file_stem}.{kind}", MIMETYPES[kind])
