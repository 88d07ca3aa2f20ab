"""Lists as spreadsheets: the rows a list page shows, in the same words, personal data masked as on the
page (ID numbers' last four characters only, never health notes), every cell made safe by
``linkage.sheets``. Each export is an audit event: who, which list, how many rows."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from linkage import audit, sheets, timeutil
from linkage.models import Need, Project, Resident, Shift, SignUp, User, Volunteer


def record(actor: User, list_code: str, count: int, kind: str) -> None:
    """The export event (``list.export``); the request boundary commits it before the file is sent."""
    audit.record(actor, "list.export", None, note=f"exported {list_code} {count} {kind}",
                 region_id=actor.region_id, after={"rows": count})


def _gender(code) -> str:
    return {"M": _("Male"), "F": _("Female")}.get(code, "")


def residents(items: Iterable[Resident], locale: str, today: date) -> tuple[list[str], list[list]]:
    """The residents list's columns (no phone, address or health notes: the list shows none)."""
    headers = [_("Name"), _("Gender"), _("Age"), _("ID number"), _("Community or grid"), _("Groups")]
    rows = [[r.name, _gender(r.gender), r.age_on(today) if r.birth_date else "", r.masked_id_number,
             r.region.display_name(locale), "、".join(str(t.label) for t in sorted(r.tags, key=lambda t: t.value))]
            for r in items]
    return headers, rows


def masked_phone(phone) -> str:
    """A phone number as lists show it: its last four digits only."""
    return f"{'*' * (len(phone) - 4)}{phone[-4:]}" if phone and len(phone) > 4 else ""


def volunteers(items: Iterable[tuple[Volunteer, str, int]], locale: str, today: date) -> tuple[list[str], list[list]]:
    """(volunteer, number, approved minutes): ID number and phone masked, no health notes."""
    from linkage.records.services import star_level
    from linkage import settings

    thresholds = settings.get("STAR_THRESHOLDS_HOURS")
    headers = [_("Volunteer number"), _("Name"), _("ID number"), _("Age"), _("Phone"), _("Community"),
               _("Skills"), _("Status"), _("Approved hours"), _("Star level")]
    rows = [[number or "", v.name, v.masked_id_number, v.age_on(today) if v.birth_date else "", masked_phone(v.phone),
             v.region.display_name(locale), "、".join(s.display_name(locale) for s in v.skills), str(v.status.label),
             f"{minutes / 60:.1f}", star_level(minutes / 60, thresholds)[0]]
            for v, number, minutes in items]
    return headers, rows


def approved_hours(items: Iterable[tuple[SignUp, str]], locale: str) -> tuple[list[str], list[list]]:
    """(approved service entry, volunteer number): one row per entry, as the records keep it."""
    headers = [_("Volunteer number"), _("Name"), _("Shift"), _("Where"), _("Starts"), _("Ends"), _("Hours"),
               _("Entered by hand"), _("Confirmed")]
    rows = [[number or "", e.volunteer.name, e.shift.title, e.shift.region.display_name(locale),
             format_datetime(e.checked_in_at or e.shift.start, "short"),
             format_datetime(e.checked_out_at or e.shift.end, "short"), f"{(e.minutes or 0) / 60:.1f}",
             _("Yes") if e.hours_manual else _("No"),
             format_datetime(e.hours_decided_at, "short") if e.hours_decided_at else ""] for e, number in items]
    return headers, rows


def needs(items: Iterable[Need], locale: str) -> tuple[list[str], list[list]]:
    headers = [_("Urgency"), _("Need"), _("Resident"), _("Category"), _("Where"), _("Status"), _("Registered")]
    rows = [[f"{n.urgency} · {n.urgency_label}", n.title, n.resident.name, n.category.display_name(locale),
             n.region.display_name(locale), str(n.status.label), format_date(n.created_at)] for n in items]
    return headers, rows


def respond(actor: User, list_code: str, kind: str, headers, rows):
    """The list as a download, once its export is in the audit trail (the request boundary commits it)."""
    from flask import redirect, request, url_for

    from linkage.web import perform

    if not perform(lambda: record(actor, list_code, len(rows), kind)):
        return redirect(request.referrer or url_for("main.home"))
    return sheets.download(headers, rows, kind, f"{list_code}-{timeutil.today():%Y%m%d}")


def shifts(items: Iterable[Shift], locale: str) -> tuple[list[str], list[list]]:
    headers = [_("Shift"), _("Starts"), _("Ends"), _("Where"), _("Place"), _("Skills"), _("Status")]
    rows = [[s.title, format_datetime(s.start, "short"), format_datetime(s.end, "short"), s.region.display_name(locale),
             s.place or "", "、".join(f"{slot.skill.display_name(locale) if slot.skill else _('Anyone')} × {slot.count}"
                                     for slot in s.slots), str(s.status.label)] for s in items]
    return headers, rows


def projects(items: Iterable[Project], locale: str) -> tuple[list[str], list[list]]:
    headers = [_("Title"), _("Area"), _("Categories"), _("Budget"), _("Bidding deadline"), _("Status")]
    rows = [[p.title, p.region.name, "、".join(c.display_name(locale) for c in p.categories), str(p.budget),
             format_datetime(p.bidding_deadline, "short") if p.bidding_deadline else "", str(p.status.label)]
            for p in items]
    return headers, rows
