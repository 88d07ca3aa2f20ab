"""What the hostile-field probe needs besides the cases: the forms as a browser sees them, hostile values,
and the database as rows (to prove a refusal wrote nothing and an accepted value was stored whole)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import sqlalchemy as sa
from hypothesis import strategies as st

from linkage.extensions import db

# --- the forms on a page, as a browser would submit them ---------------------------------------------------


@dataclass
class PageField:
    name: str
    kind: str                       # text, textarea, number, date, datetime-local, time, select, radio, ...
    values: list = field(default_factory=list)     # what the page would send as it stands
    options: list = field(default_factory=list)    # for select, radio and checkbox groups
    maxlength: int | None = None
    multiple: bool = False


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict = field(default_factory=dict)

    def add(self, name, kind, value=None, chosen=False, maxlength=None, multiple=False):
        if kind == "submit" and name in self.fields:
            return   # a browser sends the one button pressed: the first stands for it
        entry = self.fields.get(name)
        if entry is None or entry.kind == "submit":
            entry = self.fields[name] = PageField(name, kind, maxlength=maxlength, multiple=multiple)
        if kind in ("radio", "checkbox"):
            entry.options.append(value)
            if chosen:
                entry.values.append(value)
        elif value is not None:
            entry.values.append(value)

    def submission(self) -> dict:
        """What submitting the form untouched sends: selected options, or a select's first real option."""
        data = {}
        for name, entry in self.fields.items():
            values = list(entry.values)
            if entry.kind == "select" and not values and not entry.multiple:
                values = [next((o for o in entry.options if o), "")]
            if entry.kind == "radio" and not values and entry.options:
                values = [entry.options[0]]
            if values:
                data[name] = values if len(values) > 1 else values[0]
        return data


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._select: tuple | None = None
        self._textarea: list | None = None
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(PageForm(a.get("action") or "", (a.get("method") or "get").lower()))
        if not self.forms or "name" not in a and tag in ("input", "select", "textarea", "button"):
            return
        form = self.forms[-1]
        length = int(a["maxlength"]) if a.get("maxlength") else None
        if tag == "input" and a.get("type") not in ("submit", "button", "reset", "image", "file"):
            kind = a.get("type") or "text"
            if kind in ("radio", "checkbox"):
                form.add(a["name"], kind, a.get("value", "on"), chosen="checked" in a)
            else:
                form.add(a["name"], kind, a.get("value", ""), maxlength=length)
        elif tag in ("input", "button") and a.get("type") in ("submit", None) and a.get("value") is not None:
            form.add(a["name"], "submit", a["value"])
        elif tag == "select":
            self._select = (a["name"], "multiple" in a)
            form.add(a["name"], "select", multiple="multiple" in a)
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea":
            self._textarea = [a["name"], "", length]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            value, selected, text = self._option
            entry = self.forms[-1].fields[self._select[0]]
            entry.options.append(text.strip() if value is None else value)
            if selected:
                entry.values.append(entry.options[-1])
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text, length = self._textarea
            text = text.removeprefix("\r\n").removeprefix("\n")   # the line break after the tag is no content
            self.forms[-1].add(name, "textarea", text, maxlength=length)
            self._textarea = None


def forms_on(html: str) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


# --- hostile values -----------------------------------------------------------------------------------------

HUGE = "99999999999999999999"
HOSTILE_VALUES = [
    HUGE, "2147483648", "-2147483649", "9223372036854775808", "-1", "0", "1.5", "NaN", "inf", "-inf", "1e400",
    "\x00", "a\x00b", "\x01\x08\x1b\x7f", "line\r\nbreak", "x" * 10_000,
    "\u202e\u200b\ufeff名字\U0001F984\u01c5",
    "' OR 1=1 --", "\"; DROP TABLE users; --", "<script>alert(1)</script>", "%", "\\", "%s%n",
    "9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31T23:59", "0001-01-01T00:00", "24:61",
    "", " ", "None", "true", "[]", "{}",
]
_SCALAR = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=30), st.integers().map(str),
                    st.floats().map(repr))
# One change to one field: a new value, the field left out, sent twice (the page's value and a hostile
# one), or a list of hostile values where one is expected.
MUTATIONS = st.one_of(
    _SCALAR.map(lambda value: ("set", value)),
    st.just(("missing", None)),
    _SCALAR.map(lambda value: ("twice", value)),
    st.lists(_SCALAR, min_size=2, max_size=3).map(lambda values: ("list", values)),
)


def mutated(data: dict, name: str, mutation) -> dict:
    how, value = mutation
    data = dict(data)
    if how == "missing":
        data.pop(name, None)
    elif how == "set" or how == "list":
        data[name] = value
    else:
        present = data.get(name, "")
        data[name] = (present if isinstance(present, list) else [present]) + [value]
    return data


# --- the database as rows -----------------------------------------------------------------------------------


def snapshot() -> dict:
    """Every row of every table, as a sorted list of its rows per table (each row a tuple of texts). On
    PostgreSQL one round trip reads them all, each row as the server writes it as text."""
    db.session.expire_all()
    tables = db.metadata.sorted_tables
    rows: dict[str, list] = {table.name: [] for table in tables}
    if db.session.get_bind().dialect.name == "postgresql":
        every_row = " UNION ALL ".join(f"SELECT '{table.name}', t::text FROM \"{table.name}\" AS t"
                                       for table in tables)
        for name, row in db.session.execute(sa.text(every_row)):
            rows[name].append((row,))
    else:
        for table in tables:
            rows[table.name] = [tuple(map(repr, row)) for row in db.session.execute(sa.select(table))]
    db.session.commit()
    return {name: sorted(found) for name, found in rows.items()}


def changed(before: dict, after: dict, tables=None) -> dict:
    """Per table, the rows that are new or different."""
    found = {}
    for name in after:
        if (tables is None or name in tables) and after[name] != before[name]:
            earlier = set(before[name])
            found[name] = [row for row in after[name] if row not in earlier]
    return found


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def stored_whole(value: str, tables: list[str]) -> list[str]:
    """Where ``value`` (as sent, or without surrounding blanks) is stored whole in the changed rows of
    ``tables``: "table.column" for each place, each checked against the column's declared length."""
    wanted = {value, value.strip()}
    places = []
    for table in db.metadata.sorted_tables:
        if table.name not in tables:
            continue
        for row in db.session.execute(sa.select(table)):
            for column, cell in zip(table.columns, row):
                if any(text in wanted or any(w and w in text for w in wanted) for text in _texts(cell)):
                    length = getattr(column.type, "length", None)
                    assert length is None or len(value.strip()) <= length, (
                        f"{table.name}.{column.name} holds {length} characters; accepted: {len(value)}")
                    places.append(f"{table.name}.{column.name}")
    db.session.commit()
    return places
