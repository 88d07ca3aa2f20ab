"""Locality settings: the domain rules that differ from place to place (PRODUCT.md, "make the uncertain
ones settings"), each declared once here with its type, default, bounds, label and help.

Where a value comes from, first match wins:

1. the value an administrator saved on the settings page (the ``setting_values`` table);
2. the environment variable ``LINKAGE_<NAME>``;
3. the instance file ``instance/settings.toml`` (``NAME = value``, name in any case);
4. the default declared here.

Layers 2 to 4 are resolved once, when the app starts (``load``), into ``app.config``; ``get`` adds the
administrator's values, read once per request (or job) and kept in ``flask.g``. App code reads a setting
only through ``get``. Environment and file values are written as on the settings page: a percentage
as ``60``, hour thresholds as ``100,300,600,1000,1500``.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa
from flask import abort, current_app, g
from flask_babel import lazy_gettext as _l

from linkage import audit
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import SettingValue, User

INSTANCE_FILE = "settings.toml"
SOURCES_KEY = "LOCALITY_SETTING_SOURCES"   # app.config: name -> "environment" | "file" | "default" | "configuration"


@dataclass(frozen=True)
class Spec:
    """One setting. ``kind``: "int", "number" (decimal), "percent" (kept as a share 0..1, written as
    0..100) or "hours" (an increasing list of whole hours)."""
    name: str
    kind: str
    default: Any
    minimum: float
    maximum: float
    label: Any
    help: Any
    unit: Any = ""

    @property
    def variable(self) -> str:
        return f"LINKAGE_{self.name}"

    def parse(self, text: Any) -> Any:
        """The value ``text`` stands for (as typed on the page or in the environment); Refused if invalid."""
        text = str(text if text is not None else "").strip()
        if not text:
            raise Refused(_l("Enter a value."), field="value")
        if self.kind == "words":
            return self._words(text)
        if self.kind == "hours":
            parts = [part for part in re.split(r"[\s,，、;；]+", text) if part]
            try:
                hours = [int(part) for part in parts]
            except ValueError:
                raise Refused(_l("Enter whole numbers of hours separated by commas."), field="value") from None
            if len(hours) != len(self.default):
                raise Refused(_l("Enter exactly %(n)s thresholds, one per star.", n=len(self.default)),
                              field="value")
            if any(not self.minimum <= h <= self.maximum for h in hours):
                raise Refused(_l("Each threshold is from %(min)s to %(max)s hours.",
                                 min=_plain(self.minimum), max=_plain(self.maximum)), field="value")
            if any(b <= a for a, b in zip(hours, hours[1:])):
                raise Refused(_l("Each star needs more hours than the one before."), field="value")
            return hours
        try:
            number = float(text.rstrip("%").strip()) if self.kind != "int" else int(text)
        except ValueError:
            raise Refused(_l("Enter a whole number.") if self.kind == "int" else _l("Enter a number."),
                          field="value") from None
        if number != number or not self.minimum <= number <= self.maximum:  # NaN fails too
            raise Refused(_l("Enter a value from %(min)s to %(max)s.", min=_plain(self.minimum),
                             max=_plain(self.maximum)), field="value")
        if self.kind == "percent":
            return round(number / 100, 4)
        return number

    def _words(self, text: str) -> list[str]:
        """A list of short lower-case words (file name extensions), between ``minimum`` and ``maximum``."""
        words = [part.lstrip(".").lower() for part in re.split(r"[\s,，、;；]+", text) if part]
        if any(not re.fullmatch(r"[a-z0-9]{1,10}", word) for word in words):
            raise Refused(_l("Enter short words of letters and digits separated by commas."), field="value")
        if not self.minimum <= len(words) <= self.maximum:
            raise Refused(_l("Enter from %(min)s to %(max)s words.", min=_plain(self.minimum),
                             max=_plain(self.maximum)), field="value")
        return sorted(set(words))

    def text(self, value: Any) -> str:
        """``value`` written the way ``parse`` reads it."""
        if self.kind == "words":
            return ", ".join(value)
        if self.kind == "hours":
            return ", ".join(str(int(h)) for h in value)
        if self.kind == "percent":
            return _plain(round(float(value) * 100, 2))
        return _plain(value)


def _plain(number: Any) -> str:
    """7.0 -> "7", 7.5 -> "7.5"."""
    return f"{number:g}" if isinstance(number, float) else str(number)


_HOURS, _MINUTES, _DAYS = _l("hours"), _l("minutes"), _l("days")
SPECS = (
    Spec("ATTENDANCE_MIN_SHARE", "percent", 0.6, 1, 100, _l("Attendance needed for hours to count"),
         _l("A volunteer's hours count only when they attended at least this share of the shift."), "%"),
    Spec("STAR_THRESHOLDS_HOURS", "hours", (100, 300, 600, 1000, 1500), 1, 100000, _l("Hours for each star"),
         _l("Confirmed service hours for one to five stars, in increasing order."), _HOURS),
    Spec("MIN_VOLUNTEER_AGE", "int", 14, 14, 25, _l("Minimum volunteer age"),
         _l("Younger people cannot register or sign up as volunteers (the national floor is 14)."),
         _l("years")),
    Spec("ADULT_AGE", "int", 18, 16, 21, _l("Adult age"),
         _l("Younger volunteers need a guardian's consent; younger residents are marked as minors."),
         _l("years")),
    Spec("LEAD_VOLUNTEER_RATIO", "int", 25, 1, 200, _l("Volunteers per lead"),
         _l("A lead social worker supervises at most this many volunteers on a shift."), _l("volunteers")),
    Spec("SERIES_MAX_WEEKS", "int", 26, 1, 52, _l("Longest weekly series"),
         _l("A weekly series of shifts runs for at most this many weeks from its first date."), _l("weeks")),
    Spec("CHECK_IN_OPENS_MINUTES", "int", 60, 0, 720, _l("Check-in opens before the start"),
         _l("How long before a shift starts volunteers can be checked in."), _MINUTES),
    Spec("CHECK_IN_CODE_MINUTES", "int", 5, 1, 60, _l("Check-in code lifetime"),
         _l("How long a check-in or check-out QR code shown by the lead stays good; the lead's page shows a "
            "fresh code well before it expires."), _MINUTES),
    Spec("REMINDER_FIRST_HOURS", "int", 24, 2, 168, _l("First reminder before a shift"),
         _l("How long before a shift volunteers with a place get the first reminder."), _HOURS),
    Spec("REMINDER_SECOND_MINUTES", "int", 120, 10, 720, _l("Second reminder before a shift"),
         _l("How long before a shift volunteers with a place get the second reminder."), _MINUTES),
    Spec("WAITLIST_OFFER_HOURS", "int", 12, 1, 168, _l("Time to answer a waiting-list offer"),
         _l("When a place frees up, the next person on the waiting list is offered it and has this long to "
            "accept (never past the shift's start); otherwise the offer passes to the next person."), _HOURS),
    Spec("WAITLIST_REMINDER_HOURS", "int", 2, 0, 48, _l("Reminder before an offer expires"),
         _l("How long before a waiting-list offer expires the volunteer is reminded once. 0 sends no reminder."),
         _HOURS),
    Spec("CANCEL_CUTOFF_HOURS", "int", 2, 0, 168, _l("Cancellation cut-off"),
         _l("Volunteers can give up a place by themselves until this long before the shift starts; later they "
            "tell the lead. Leaving a waiting list is possible until the start."), _HOURS),
    Spec("NO_SHOW_LIMIT", "int", 3, 0, 20, _l("No-shows before a suspension"),
         _l("Every time a volunteer reaches a multiple of this many no-shows, self sign-up is suspended. "
            "0 never suspends."), _l("no-shows")),
    Spec("NO_SHOW_BLOCK_DAYS", "int", 30, 1, 365, _l("Suspension after no-shows"),
         _l("How long self sign-up stays suspended."), _DAYS),
    Spec("DEFAULT_PRICE_WEIGHT", "percent", 0.30, 0, 100, _l("Default price weight"),
         _l("The share of the price in a new project's comprehensive evaluation; each project can change it."),
         "%"),
    Spec("PANEL_TRIM_MIN", "int", 5, 3, 50, _l("Panel size for dropping extremes"),
         _l("When at least this many experts scored a bid, its highest and lowest scores are dropped before "
            "the average."), _l("experts")),
    Spec("COMPLAINT_WINDOW_DAYS", "int", 7, 1, 60, _l("Complaint window"),
         _l("How long after the award notice a bidding organization may file a complaint."), _DAYS),
    Spec("CERTIFICATE_NOTICE_DAYS", "int", 7, 0, 60, _l("Public notice before a certificate"),
         _l("How long a requested volunteer service certificate is posted publicly before it can be issued."),
         _DAYS),
    Spec("STANDSTILL_DAYS", "int", 10, 0, 60, _l("Standstill before the contract"),
         _l("How long after the award notice the contract may not be signed; an open complaint delays it "
            "further."), _DAYS),
    Spec("AMENDMENT_MIN_HOURS", "int", 72, 1, 720, _l("Bidding time left after a change"),
         _l("A change to a published project's terms made less than this long before the deadline moves the "
            "deadline to this long after the change."), _HOURS),
    Spec("MATCH_TIME_LIMIT", "number", 30.0, 1, 600, _l("Match run time limit"),
         _l("How long a match run searches before it returns the best proposal found; each run can change it."),
         _l("seconds")),
    Spec("MATCH_MAX_TRAVEL_KM", "number", 10.0, 0.5, 100, _l("Longest trip in matching"),
         _l("Match runs never send a volunteer or social worker farther than this, whatever their own limit."),
         _l("km")),
    Spec("MATCH_REST_MINUTES", "int", 30, 0, 720, _l("Rest between shifts"),
         _l("Match runs leave at least this much time between two shifts of the same volunteer."), _MINUTES),
    Spec("VOLUNTEER_WEEKLY_HOURS", "int", 10, 1, 60, _l("Weekly hours of a new volunteer"),
         _l("The weekly hour limit a volunteer's profile starts with; each volunteer can change their own."),
         _HOURS),
    Spec("VOLUNTEER_TRAVEL_KM", "number", 5.0, 0.5, 100, _l("Travel distance of a new volunteer"),
         _l("How far a volunteer's profile says they travel until they change it."), _l("km")),
    Spec("CASELOAD_LIMIT", "int", 20, 1, 200, _l("Caseload of a new social worker"),
         _l("The most open cases a social worker takes, until their organization sets another limit."),
         _l("cases")),
    Spec("UPLOAD_TYPES", "words", ("doc", "docx", "jpeg", "jpg", "pdf", "png", "xls", "xlsx"), 1, 30,
         _l("File types of delivery documents"),
         _l("The file name extensions organizations may upload as reports and documents of a contract."), ""),
    Spec("UPLOAD_MAX_MB", "number", 10.0, 0.1, 100, _l("Largest delivery document"),
         _l("Reports and documents larger than this are refused."), _l("MB")),
    Spec("IMPORT_MAX_MB", "number", 5.0, 0.1, 50, _l("Largest spreadsheet to import"),
         _l("Spreadsheets of residents larger than this are refused before they are read."), _l("MB")),
    Spec("IMPORT_MAX_ROWS", "int", 10000, 1, 100000, _l("Most rows in a spreadsheet to import"),
         _l("A spreadsheet with more rows is refused; it can be split into smaller files."), _l("rows")),
    Spec("FAILED_EVALUATION_BAR_YEARS", "int", 2, 0, 10, _l("Bar after a failed final evaluation"),
         _l("An organization whose final evaluation failed within this many years may not bid (0: never barred)."),
         _l("years")),
    Spec("CASE_ASSESSMENT_DAYS", "int", 7, 1, 90, _l("Days to assess a case"),
         _l("The assessment of a new case is due this many days after it was opened."), _DAYS),
    Spec("CASE_PLAN_DAYS", "int", 14, 1, 90, _l("Days to plan a case"),
         _l("The case plan is due this many days after the assessment was approved."), _DAYS),
    Spec("CASE_REVIEW_DAYS", "int", 90, 7, 365, _l("Days until a case review"),
         _l("The review of a case is due this many days after its plan was approved."), _DAYS),
    Spec("CASE_REFERRAL_ANSWER_DAYS", "int", 3, 1, 30, _l("Days to answer a referral"),
         _l("A referral nobody has accepted or declined after this many days is flagged to the case's owner "
            "and supervisors."), _DAYS),
    Spec("RESPONSE_HOURS_ROUTINE", "int", 120, 1, 8760, _l("Response target, routine needs"),
         _l("How long a routine need may wait for the community's response (verified or turned down), unless "
            "its sector has its own target on the response targets page."), _HOURS),
    Spec("RESPONSE_HOURS_SOON", "int", 72, 1, 8760, _l("Response target, needs wanted soon"),
         _l("The same for needs of urgency 2 (soon)."), _HOURS),
    Spec("RESPONSE_HOURS_URGENT", "int", 24, 1, 8760, _l("Response target, urgent needs"),
         _l("The same for needs of urgency 3 (urgent)."), _HOURS),
    Spec("RESPONSE_HOURS_CRITICAL", "int", 8, 1, 8760, _l("Response target, critical needs"),
         _l("The same for needs of urgency 4 (critical)."), _HOURS),
    Spec("SERVICE_HOURS_ROUTINE", "int", 336, 1, 8760, _l("Service target, routine needs"),
         _l("How long a verified routine need may wait to be taken up by a project, a shift or a case, counted "
            "from its verification. The dashboards' coverage and the forecast's coverage gap measure against it."),
         _HOURS),
    Spec("SERVICE_HOURS_SOON", "int", 168, 1, 8760, _l("Service target, needs wanted soon"),
         _l("The same for needs of urgency 2 (soon)."), _HOURS),
    Spec("SERVICE_HOURS_URGENT", "int", 72, 1, 8760, _l("Service target, urgent needs"),
         _l("The same for needs of urgency 3 (urgent)."), _HOURS),
    Spec("SERVICE_HOURS_CRITICAL", "int", 24, 1, 8760, _l("Service target, critical needs"),
         _l("The same for needs of urgency 4 (critical)."), _HOURS),
    Spec("ESCALATION_AFTER_HOURS", "int", 48, 1, 8760, _l("Escalation to the street"),
         _l("A need still without a response this long after its target was missed is escalated to the "
            "street's civil affairs staff."), _HOURS),
    Spec("NEED_EXPIRY_DAYS", "int", 120, 1, 3650, _l("Needs expire after"),
         _l("A need nobody has taken up (still submitted or open) expires this long after it was "
            "submitted, or as soon as its time window has ended."), _DAYS),
    Spec("ON_TIME_MIN_COUNT", "int", 10, 1, 10000, _l("Smallest count for an on-time share"),
         _l("The on-time report shows a share only for a sector and community with at least this many needs "
            "due; fewer would say more about chance than about the service."), _l("needs")),
    Spec("MEETING_UNSERVED_DAYS", "int", 14, 1, 365, _l("Unserved needs on a joint meeting's agenda"),
         _l("A verified need still without a service this long after it was submitted goes on the agenda of the "
            "next joint meeting of its community or street."), _DAYS),
    Spec("MEETING_LOOKAHEAD_DAYS", "int", 14, 1, 90, _l("Shifts on a joint meeting's agenda"),
         _l("Shifts short of volunteers that start within this many days of a joint meeting go on its agenda."),
         _DAYS),
    Spec("PHOTO_MAX_MB", "number", 5.0, 0.1, 20, _l("Largest photo of a need"),
         _l("Photos (JPG or PNG) attached to a need larger than this are refused."), _l("MB")),
    Spec("PHOTOS_PER_NEED", "int", 3, 0, 10, _l("Photos per need"),
         _l("How many photos one request may carry (0: none)."), _l("photos")),
    Spec("DUPLICATE_RADIUS_M", "int", 300, 0, 5000, _l("Distance of a likely duplicate"),
         _l("Before a need is filed, open needs of the same category this close are suggested to join instead "
            "(the resident's own open needs of the category always are; 0: only those)."), _l("m")),
    Spec("RETENTION_MONTHS", "int", 36, 1, 240, _l("Keep closed needs' personal details"),
         _l("This long after a need closed, its personal details (description, caller's number, photos) are "
            "removed by a scheduled batch; the need itself stays in the statistics."), _l("months")),
    Spec("RATING_FOLLOW_UP_AT", "int", 2, 1, 4, _l("Rating that opens a follow-up"),
         _l("A visit rated this low or lower (1 to 5) opens a follow-up for the community's staff."), _l("points")),
    Spec("RATING_MIN_COUNT", "int", 5, 1, 1000, _l("Smallest count for an average rating"),
         _l("Shifts, projects, organizations and communities show their residents' average rating only from "
            "this many ratings on, so that no single resident's rating can be read from it."), _l("ratings")),
)
REGISTRY = {spec.name: spec for spec in SPECS}


class SettingError(ValueError):
    """A value in the environment or the instance file is not valid (raised when the app starts)."""


def _checked(spec: Spec, raw: Any, where: str) -> Any:
    if isinstance(raw, (list, tuple)):
        raw = ",".join(str(item) for item in raw)
    try:
        return spec.parse(raw)
    except Refused as refusal:
        raise SettingError(f"{where}: {spec.name} = {raw!r} is not valid: {refusal.message}") from None


def load(instance_path: str, environ=os.environ) -> tuple[dict, dict]:
    """Values and their sources from the environment, the instance file and the defaults."""
    path = os.path.join(instance_path, INSTANCE_FILE)
    in_file: dict = {}
    if os.path.exists(path):
        with open(path, "rb") as handle:
            try:
                in_file = {str(key).upper(): value for key, value in tomllib.load(handle).items()}
            except tomllib.TOMLDecodeError as error:
                raise SettingError(f"{path}: {error}") from None
        unknown = sorted(set(in_file) - set(REGISTRY))
        if unknown:
            raise SettingError(f"{path}: unknown settings {', '.join(unknown)}")
    values, sources = {}, {}
    for spec in SPECS:
        if environ.get(spec.variable, "").strip():
            values[spec.name], sources[spec.name] = _checked(spec, environ[spec.variable], spec.variable), "environment"
        elif spec.name in in_file:
            values[spec.name], sources[spec.name] = _checked(spec, in_file[spec.name], path), "file"
        else:
            default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
            values[spec.name], sources[spec.name] = default, "default"
    return values, sources


def spec_or_404(name: str) -> Spec:
    spec = REGISTRY.get(name)
    if spec is None:
        abort(404)
    return spec


def _saved() -> dict:
    """The administrator's values, read once per request (or job) and kept in ``g``."""
    if "locality_settings" not in g:
        saved = {}
        for row in db.session.scalars(sa.select(SettingValue)):
            spec = REGISTRY.get(row.name)
            if spec is None:
                continue
            try:  # a value saved under older bounds falls back to the configuration
                saved[row.name] = spec.parse(spec.text(row.value))
            except (Refused, TypeError, ValueError):
                continue
        g.locality_settings = saved
    return g.locality_settings


def get(name: str) -> Any:
    """The value of locality setting ``name`` (the only way app code reads one)."""
    if name not in REGISTRY:
        raise KeyError(name)
    saved = _saved()
    return saved[name] if name in saved else current_app.config[name]


class _Current:
    def __init__(self, name: str):
        self.name = name

    def __str__(self) -> str:
        return REGISTRY[self.name].text(get(self.name))


def current(name: str) -> _Current:
    """A setting's value as a message parameter, read each time the message is shown:
    ``_l("at least %(age)s", age=settings.current("MIN_VOLUNTEER_AGE"))`` in a form declared at import."""
    if name not in REGISTRY:
        raise KeyError(name)
    return _Current(name)


def source(name: str) -> str:
    """Where the current value comes from: "database", "environment", "file", "configuration" or "default"."""
    if name in _saved():
        return "database"
    return current_app.config.get(SOURCES_KEY, {}).get(name, "configuration")


SOURCE_LABELS = {
    "database": _l("Set by an administrator"),
    "environment": _l("Environment variable"),
    "file": _l("Instance file"),
    "configuration": _l("Server configuration"),
    "default": _l("Default"),
}


@dataclass
class Row:
    spec: Spec
    value: Any
    text: str
    source: str
    default_text: str

    @property
    def source_label(self):
        return SOURCE_LABELS[self.source]


def overview() -> list[Row]:
    """Every setting with its current value and where it comes from, for the settings page."""
    return [Row(spec, get(spec.name), spec.text(get(spec.name)), source(spec.name), spec.text(spec.default))
            for spec in SPECS]


def _row(name: str) -> Optional[SettingValue]:
    return db.session.scalar(sa.select(SettingValue).where(SettingValue.name == name))


def change(name: str, text: str, *, actor: User) -> Any:
    """Save the administrator's value for ``name`` (validated first; nothing is written if it is refused)."""
    spec = REGISTRY[name]
    value = spec.parse(text)
    before = get(name)
    row = _row(name)
    if row is None:
        row = SettingValue(name=name, value=value, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.value, row.updated_by_id = value, actor.id
    db.session.flush()
    audit.record(actor, "setting.change", row, before={"name": name, "value": before},
                 after={"name": name, "value": value})
    g.pop("locality_settings", None)
    return value


def reset(name: str, *, actor: User) -> Any:
    """Remove the administrator's value: the environment, the instance file or the default applies again."""
    row = _row(name)
    if row is None:
        raise Refused(_l("This setting has no value set by an administrator."))
    before = get(name)
    audit.record(actor, "setting.reset", row, before={"name": name, "value": before},
                 after={"name": name, "value": current_app.config[name]})
    db.session.delete(row)
    db.session.flush()
    g.pop("locality_settings", None)
    return current_app.config[name]
