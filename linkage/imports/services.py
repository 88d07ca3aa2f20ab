"""Importing residents from a spreadsheet: the template, the check of every row (the preview), and the
all-or-nothing write through ``register_resident``, the function the registration form calls.

An uploaded file is kept, encrypted, in the instance folder under a random token until it is imported
or abandoned (a day later it is removed); never in the session. Services flush, never commit.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from linkage import audit, sheets, uploads
from linkage.community import services as community
from linkage.community.access import community_scope
from linkage.community.services import CHOOSABLE_TAGS
from linkage.database import batch
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import read_id_number
from linkage.models import ConsentChannel, Region, RegionLevel, Resident, Role, User
from linkage.security import blind_index

AREA = "imports"
KEEP_SECONDS = 24 * 3600
# The template's example row: a published sample ID number, never a real person's; left in, it is refused.
EXAMPLE_ID = "11010519491231002X"
YES = {"是", "yes", "y", "1", "true", "同意", "已同意"}
BATCH_ROWS = 500   # rows written between two flushes of an import


@dataclass(frozen=True)
class Column:
    key: str
    header: object        # lazy text: the header in the user's language
    required: bool
    example: str
    explain: object


COLUMNS = (
    Column("name", _l("Full name"), True, "王秀英", _l("The resident's name as on the ID card.")),
    Column("id_number", _l("Resident ID number"), True, EXAMPLE_ID,
           _l("18 characters; the last is a digit or X. Birth date and gender are read from it.")),
    Column("community", _l("Community or grid"), True, "",
           _l("The code or the name of a community or grid in your area, as on the residents page.")),
    Column("address", _l("Address"), True, "3号楼2单元501室", _l("Building, unit and room.")),
    Column("phone", _l("Phone"), False, "13800138000",
           _l("An 11-digit mobile number or a landline number with its area code.")),
    Column("tags", _l("Vulnerable groups"), False, "",
           _l("Any of the groups below, separated by commas; leave empty for none.")),
    Column("health_notes", _l("Health notes"), False, "",
           _l("Stored encrypted; shown only with a recorded reason.")),
    Column("consent", _l("Consent given"), True, "是",
           _l("\"Yes\" once the resident consented to the processing of their personal data.")),
)
MAX_LENGTHS = {"name": 100, "address": 255, "health_notes": 2000}


@dataclass
class Problem:
    row: int          # the row number the spreadsheet program shows (the header is row 1)
    column: str       # the column's header, or "" for the whole row
    message: str


@dataclass
class Preview:
    rows: list[dict] = field(default_factory=list)     # each: "row" (its number) and the service's arguments
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems


class ImportRefused(Refused):
    """Nothing was written; ``preview`` says why, row by row."""

    def __init__(self, preview: Preview):
        super().__init__(_l("Nothing was imported: correct the rows listed below and upload the file again."))
        self.preview = preview


@dataclass(frozen=True)
class Kind:
    """What one kind of import brings in: its columns, the check of a row (``checker(user)``: ``row()`` and
    ``finish()``), the service call that writes a checked row (``write(row, actor)``, the one the form
    calls) and the words of its pages. Residents, volunteers and needs share everything else here."""
    code: str                       # "residents": the URL, the kept file's kind, the audit event's subject
    columns: tuple
    max_lengths: dict
    checker: Callable
    write: Callable
    sample: Callable                # user -> example values of the template's row 2
    notes: Callable                 # -> extra (title, text) lines of the template's explanation sheet
    sheet_title: object
    event: str                      # the audit event of the whole file


# --- the template -----------------------------------------------------------------------------------------

def headers(locale: Optional[str] = None, kind: Optional[Kind] = None) -> list[str]:
    columns = (kind or RESIDENTS).columns
    if locale is None:
        return [str(c.header) for c in columns]
    with force_locale(locale):
        return [str(c.header) for c in columns]


def template(user: User, file_kind: str, kind: Optional[Kind] = None) -> bytes:
    """The headers and one example row (in ``user``'s area); the .xlsx adds a sheet that explains every column."""
    kind = kind or RESIDENTS
    sample = {**{c.key: c.example for c in kind.columns}, **kind.sample(user)}
    names = headers(kind=kind)
    rows = [[sample[c.key] for c in kind.columns]]
    if file_kind == "csv":
        return sheets.to_csv(names, rows)
    from openpyxl import load_workbook   # a second sheet: what every column takes

    workbook = load_workbook(io.BytesIO(sheets.to_xlsx(names, rows, str(kind.sheet_title))))
    notes = workbook.create_sheet(_("How to fill in"))
    notes.append([_("Column"), _("Required"), _("What to write")])
    for column in kind.columns:
        notes.append([str(column.header), _("Yes") if column.required else _("No"), str(column.explain)])
    notes.append([])
    for title, text in kind.notes():
        notes.append([str(title), "", str(text)])
    notes.append([_("Example row"), "", _("Row 2 is an example: replace it with your own rows or delete it.")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _resident_sample(user: User) -> dict:
    example = _regions_in_scope(user)
    return {"community": example[0].code if example else "", "tags": str(CHOOSABLE_TAGS[0].label)}


def _resident_notes() -> list:
    return [(_("Vulnerable groups"), "、".join(str(t.label) for t in CHOOSABLE_TAGS))]


# --- keeping an upload between preview and confirmation --------------------------------------------------

def _sweep() -> None:
    """Remove previews nobody confirmed within a day."""
    directory = uploads.folder(AREA)
    if not os.path.isdir(directory):
        return
    cutoff = time.time() - KEEP_SECONDS
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.path.getmtime(path) < cutoff:
            os.remove(path)


def keep(user: User, file_name: str, content: bytes, kind: str = "residents") -> str:
    """Check the upload can be read, keep it encrypted under a new random token, and return the token."""
    sheets.read(file_name, content)
    _sweep()
    token = uploads.new_name()
    kept = json.dumps({"owner": user.id, "kind": kind, "name": file_name,
                       "content": base64.b64encode(content).decode()})
    uploads.store(AREA, token, kept.encode(), encrypted=True)
    return token


def kept_file(user: User, token: str, kind: str = "residents") -> Optional[tuple[str, bytes]]:
    """(file name, content) of ``user``'s kept upload of ``kind``, or None: unknown, removed, someone else's
    or of another kind."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    data = uploads.read_back(AREA, token, encrypted=True)
    if data is None:
        return None
    kept = json.loads(data)
    if kept["owner"] != user.id or kept.get("kind", "residents") != kind:
        return None
    return kept["name"], base64.b64decode(kept["content"])


def discard(token: str) -> None:
    path = uploads.stored_path(AREA, token)
    if os.path.isfile(path):
        os.remove(path)


# --- checking every row -----------------------------------------------------------------------------------

def _regions_in_scope(user: User, levels=(RegionLevel.community, RegionLevel.grid)) -> list[Region]:
    scope = community_scope(user)
    query = sa.select(Region).where(Region.level.in_(levels))
    if scope is not None:
        query = query.where(Region.path.startswith(scope.path))
    elif user.role != Role.admin:
        return []
    return list(db.session.scalars(query.order_by(Region.path)))


def name_lookup(items) -> dict:
    """Code or name (Chinese or English) → item (a region, a category); a name two items share maps to None
    (ambiguous: the code must be written)."""
    items = list(items)
    found: dict = {}
    for item in items:
        for name in {item.name, item.name_en} - {""}:
            found[name.casefold()] = None if name.casefold() in found else item
    for item in items:
        found[item.code.casefold()] = item
    return found


def region_lookup(user: User, levels=(RegionLevel.community, RegionLevel.grid)) -> dict[str, Optional[Region]]:
    """``name_lookup`` of the regions of ``levels`` in ``user``'s area."""
    return name_lookup(_regions_in_scope(user, levels))


def label_lookup(members) -> dict:
    """Value or label (Chinese or English) → member of an enumeration (a group, a recurrence)."""
    names = {}
    for member in members:
        names[member.value.casefold()] = member
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                names[str(member.label).casefold()] = member
    return names


def _header_map(header: list[str], kind: Optional[Kind] = None) -> tuple[dict[str, int], list[str]]:
    """Column key → position in the file, matched by the header in Chinese or English; the missing ones."""
    kind = kind or RESIDENTS
    names = {}
    for locale in ("zh_CN", "en"):
        for column, text in zip(kind.columns, headers(locale, kind)):
            names[text.casefold()] = column.key
    positions = {}
    for position, text in enumerate(header):
        key = names.get(text.strip().casefold())
        if key and key not in positions:
            positions[key] = position
    missing = [str(c.header) for c in kind.columns if c.required and c.key not in positions]
    return positions, missing


def required_and_lengths(kind: Kind, values: dict) -> list[tuple[str, str]]:
    """(column key, problem) of the required cells left empty and the cells too long."""
    found = []
    for column in kind.columns:
        if column.required and not values.get(column.key):
            found.append((column.key, _("This column must be filled in.")))
        elif len(values.get(column.key, "")) > kind.max_lengths.get(column.key, 10_000):
            found.append((column.key, _("At most %(n)s characters.", n=kind.max_lengths[column.key])))
    return found


def named_one(lookup: dict, text: str, ambiguous: Callable, unknown: Callable):
    """The item a cell names (code or name, from ``name_lookup``) and why it cannot be used:
    ``ambiguous()`` when two items have that name, ``unknown()`` when none has."""
    if not text:
        return None, None
    item = lookup.get(text.casefold())
    if item is not None:
        return item, None
    if text.casefold() in lookup:
        return None, ambiguous()
    return None, unknown()


def region_problem(regions: dict, text: str):
    """The region a cell names (code or name, from ``region_lookup``) and why it cannot be used."""
    return named_one(regions, text, lambda: _("Two communities or grids have this name: write its code instead."),
                     lambda: _("No community or grid of your area has this code or name: \"%(name)s\".", name=text))


def phone_problem(values: dict) -> list[tuple[str, object]]:
    """The phone cell's problem: anything but a mobile or landline number."""
    if values.get("phone") and not re.match(community.PHONE_PATTERN, values["phone"]):
        return [("phone", community.PHONE_PROBLEM)]
    return []


def id_number_cell(text: str, number: int, seen: Optional[dict] = None, rule: Optional[Callable] = None):
    """(normalized ID number, what it says, why the row cannot use it or None): not a valid number, the
    template's example, refused by ``rule(info)`` (a message or None: a volunteer's age), or (with ``seen``,
    the numbers of the rows before) a number already in the file."""
    normalized, info, problem = read_id_number(text)
    if not normalized:
        return normalized, None, None
    if normalized == EXAMPLE_ID:
        return normalized, None, _("This is the template's example row: replace it or delete it.")
    if problem:
        return normalized, None, problem
    refusal = rule(info) if rule is not None else None
    if refusal:
        return normalized, info, refusal
    if seen is not None:
        if normalized in seen:
            return normalized, None, _("The same ID number is already in row %(row)s of this file.",
                                       row=seen[normalized])
        seen[normalized] = number
    return normalized, info, None


def named_items(text: str, lookup: dict, problem: Callable) -> tuple[list, list]:
    """The items a cell names, separated by commas (any of ,，、;；), and ``problem(word)`` for every word
    ``lookup`` does not know."""
    items, problems = [], []
    for word in (w.strip() for w in re.split(r"[,，、;；]", text or "")):
        if word and word.casefold() not in lookup:
            problems.append(problem(word))
        elif word:
            items.append(lookup[word.casefold()])
    return items, problems


def consent_problem(values: dict, message) -> list[tuple[str, object]]:
    """The consent cell's problem: anything but a "Yes" in it."""
    if values.get("consent") and values["consent"].casefold() not in YES:
        return [("consent", message)]
    return []


def row_done(kind: Kind, number: int, found: list, problems: list[Problem]) -> bool:
    """Add the messages of ``found`` (column key, message or None) to ``problems`` as row ``number``'s;
    True when there were none, so that the row's arguments can be built."""
    found = [(key, message) for key, message in found if message]
    header = {c.key: str(c.header) for c in kind.columns} if found else {}
    problems += [Problem(number, header[key], str(message)) for key, message in found]
    return not found


def already_registered(kind: Kind, rows: list[dict], problems: list[Problem], column, id_number: Callable,
                       message) -> list[dict]:
    """Rows whose ID number (``id_number(row)``) is already in ``column``, the blind index of a register,
    are reported with ``message`` and left out (one query per thousand rows)."""
    by_index = {blind_index(id_number(row)): row for row in rows}
    indexes = list(by_index)
    taken = set()
    for start in range(0, len(indexes), 1000):
        taken |= set(db.session.scalars(sa.select(column).where(column.in_(indexes[start:start + 1000]))))
    header = next(str(c.header) for c in kind.columns if c.key == "id_number")
    for index in taken:
        problems.append(Problem(by_index[index]["row"], header, str(message)))
    return [row for row in rows if blind_index(id_number(row)) not in taken]


class _Checker:
    """The checks of one file's rows, with what the whole file shares (regions, tags, ID numbers seen)."""

    def __init__(self, user: User):
        self.regions = region_lookup(user)
        self.tags = label_lookup(CHOOSABLE_TAGS)
        self.seen: dict[str, int] = {}

    def row(self, number: int, values: dict, problems: list[Problem]) -> Optional[dict]:
        """The service's arguments for one row, or None with its problems added to ``problems``."""
        found = required_and_lengths(RESIDENTS, values)
        id_number, _info, message = id_number_cell(values.get("id_number", ""), number, self.seen)
        found.append(("id_number", message))
        region, message = region_problem(self.regions, values.get("community", ""))
        found.append(("community", message))
        found += phone_problem(values)
        tags, messages = named_items(values.get("tags", ""), self.tags, lambda word: _(
            "\"%(word)s\" is not one of the groups of the template.", word=word))
        found += [("tags", m) for m in messages]
        found += consent_problem(values, _("Write \"Yes\" once the resident has consented; without consent "
                                           "nobody is registered."))
        if not row_done(RESIDENTS, number, found, problems):
            return None
        return {"row": number, "name": values["name"], "id_number": id_number, "region": region,
                "address": values["address"], "phone": values.get("phone") or None, "tags": tags,
                "health_notes": values.get("health_notes", ""), "consent": True,
                "channel": ConsentChannel.spreadsheet}

    def finish(self, rows: list[dict], problems: list[Problem]) -> list[dict]:
        """Rows whose ID number is already in the register are reported."""
        return already_registered(RESIDENTS, rows, problems, Resident.id_number_index,
                                  lambda row: row["id_number"], community.DUPLICATE_ID)


def preview(user: User, file_name: str, content: bytes, kind: Optional[Kind] = None) -> Preview:
    """Every problem of the file, by row and column, and the rows that would be written."""
    kind = kind or RESIDENTS
    table = sheets.read(file_name, content)
    result = Preview()
    if not table:
        result.problems.append(Problem(1, "", _("The file is empty.")))
        return result
    positions, missing = _header_map(table[0], kind)
    if missing:
        result.problems.append(Problem(1, "", _("These columns of the template are missing: %(names)s.",
                                                names="、".join(missing))))
        return result
    checker = kind.checker(user)
    for number, cells in enumerate(table[1:], start=2):
        values = {key: (cells[pos] if pos < len(cells) else "").strip() for key, pos in positions.items()}
        row = checker.row(number, values, result.problems)
        if row is not None:
            result.rows.append(row)
    if not table[1:]:
        result.problems.append(Problem(2, "", _("The file has no rows below the header row.")))
    result.rows = checker.finish(result.rows, result.problems)
    result.problems.sort(key=lambda p: (p.row, p.column))
    return result


def run_import(user: User, file_name: str, content: bytes, *, actor: User, kind: Kind) -> list:
    """Write every row of the file through the service its form calls, or none (``ImportRefused``, with
    every problem found). The service's own event per row, one ``kind.event`` for the file."""
    checked = preview(user, file_name, content, kind)
    if not checked.ok:
        raise ImportRefused(checked)
    written: list = []
    header = {c.key: str(c.header) for c in kind.columns}

    def write(rows: list[dict]) -> None:
        for row in rows:
            arguments = {key: value for key, value in row.items() if key != "row"}
            try:
                written.append(kind.write(arguments, actor))
            except Refused as refusal:   # a rule only the service knows, or a clerk writing at the same time
                checked.problems.append(Problem(row["row"], header.get(refusal.field or "", ""),
                                                str(refusal.message)))

    # Rows are written BATCH_ROWS at a time, each batch flushed at once (``database.batch``): the preview
    # checked them against the register. A row someone registered meanwhile makes the batch's flush fail:
    # the batch is then written again row by row, whose rules name that row.
    for start in range(0, len(checked.rows), BATCH_ROWS):
        rows = checked.rows[start:start + BATCH_ROWS]
        written_before, problems_before = len(written), len(checked.problems)
        try:
            with db.session.begin_nested():
                with batch(db.session):
                    write(rows)
                db.session.flush()
        except sa.exc.IntegrityError:
            del written[written_before:], checked.problems[problems_before:]
            write(rows)
    if checked.problems:
        raise ImportRefused(checked)
    audit.record(actor, kind.event, None, note=file_name[:100], after={"rows": len(written)})
    return written


def import_residents(user: User, file_name: str, content: bytes, *, actor: User) -> list[Resident]:
    """Register every resident of the file through ``register_resident``, or none (``ImportRefused``)."""
    return run_import(user, file_name, content, actor=actor, kind=RESIDENTS)


RESIDENTS = Kind(code="residents", columns=COLUMNS, max_lengths=MAX_LENGTHS, checker=_Checker,
                 write=lambda arguments, actor: community.register_resident(actor=actor, **arguments),
                 sample=_resident_sample, notes=_resident_notes, sheet_title=_l("Residents"), event="resident.import")

