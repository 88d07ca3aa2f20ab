"""Lists as spreadsheets: the rows a list page shows, in the same words, personal data masked as on the
page (ID numbers' last four characters only, never health notes), every cell made safe by
``linkage.sheets``. Each export is an audit event: who, which list, how many rows."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from flask_babel import format_date
from flask_babel import gettext as _

from linkage import audit, sheets
from linkage.models import Need, Resident, User


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


def needs(items: Iterable[Need], locale: str) -> tuple[list[str], list[list]]:
    headers = [_("Urgency"), _("Need"), _("Resident"), _("Category"), _("Where"), _("Status"), _("Registered")]
    rows = [[f"{n.urgency} · {n.urgency_label}", n.title, n.resident.name, n.category.display_name(locale),
             n.region.display_name(locale), str(n.status.label), format_date(n.created_at)] for n in items]
    return headers, rows


def download(headers, rows, kind: str, stem: str, today: date):
    return sheets.download(headers, rows, kind, f"{stem}-{today:%Y%m%d}")
