"""The dashboard's figures as tables: headers, the values a CSV download holds, the cells the page shows
(per locale, money in CNY) and the chart drawn from them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Optional

from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_percent
from flask_babel import gettext as _

from linkage import timeutil
from linkage.dashboards import charts
from linkage.dashboards.queries import Dashboard
from linkage.models import URGENCY_LABELS

MISSING = "—"


@dataclass
class Table:
    name: str
    title: str
    headers: list
    rows: list = field(default_factory=list)     # values for the CSV
    cells: list = field(default_factory=list)    # text for the page
    chart: Optional[dict] = None
    map: Optional[dict] = None
    note: str = ""
    wide: bool = False   # a table of long names: drawn under its chart at full width, not beside it
    text_columns: int = 1  # the leading columns of words (names, dates, kinds): left-aligned; the rest are numbers

    def numeric(self, column: int) -> bool:
        """Whether the column holds numbers, which the page right-aligns (words stay left-aligned)."""
        return column >= self.text_columns


def _number(value, digits: int = 1) -> str:
    return MISSING if value is None else format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


def _share(value) -> str:
    return MISSING if value is None else format_percent(value, format="#,##0.0%")


def _money(value: Decimal) -> str:
    return format_currency(value, "CNY")


def _csv_share(value) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _leg(leg: str) -> str:
    return {"matched": _("Filed → matched"), "delivered": _("Matched → delivered"),
            "whole": _("Filed → delivered")}[leg]


def build(d: Dashboard, locale: str) -> list[Table]:
    tables = [_needs_by_sector(d, locale), _needs_by_community(d, locale), _coverage(d), _response(d),
              _hours_by_week(d), _hours_by_community(d, locale), _spending(d), _satisfaction(d, locale),
              _no_shows(d, locale), _match_runs(d, locale)]
    return tables


def _needs_by_sector(d, locale) -> Table:
    t = Table("needs-by-sector", _("Needs by sector"), [_("Sector"), _("Needs")])
    for sector, count in d.needs_by_sector:
        t.rows.append([sector.display_name(locale), count])
        t.cells.append([sector.display_name(locale), _number(count, 0)])
    if t.rows:
        t.chart = charts.bars([r[0] for r in t.rows], [_("Needs")], [[r[1]] for r in t.rows], [c[1] for c in t.cells])
    return t


def _needs_by_community(d, locale) -> Table:
    urgencies = [str(URGENCY_LABELS[level]) for level in (1, 2, 3, 4)]
    t = Table("needs-by-community", _("Needs by community and urgency"), [_("Community"), *urgencies, _("Needs")])
    for place, counts in d.needs_by_community:
        t.rows.append([place.display_name(locale), *counts, sum(counts)])
        t.cells.append([place.display_name(locale), *(_number(c, 0) for c in counts), _number(sum(counts), 0)])
    if t.rows:
        t.chart = charts.bars([r[0] for r in t.rows], urgencies, [r[1:5] for r in t.rows], [c[5] for c in t.cells],
                              stacked=True)
    coverage = d.coverage_by_community
    points = [{"label": place.display_name(locale), "latitude": place.latitude, "longitude": place.longitude,
               "size": sum(counts), "css": charts.share_class(coverage[place.id].share if place.id in coverage else None),
               "text": _("%(needs)s needs, served within the service target: %(share)s",
                         needs=_number(sum(counts), 0),
                         share=_share(coverage[place.id].share) if place.id in coverage else MISSING)}
              for place, counts in d.needs_by_community]
    t.map = charts.community_map(points)
    return t


def _coverage(d) -> Table:
    t = Table("coverage", _("Served within the service target, by urgency"),
              [_("Urgency"), _("Needs counted"), _("Served within the service target"),
               _("Share served within the service target (%)")])
    for row in d.coverage:
        label = str(URGENCY_LABELS[row.key])
        t.rows.append([label, row.counted, row.on_time if row.shown else "", _csv_share(row.share)])
        t.cells.append([label, _number(row.counted, 0), _number(row.on_time, 0) if row.shown else MISSING,
                        _share(row.share) if row.shown else _("Too few to report")])
    t.note = _("Verified needs filed in the period, counted once taken up or once their service target has "
               "passed: served within the service target when a project, a shift or a case took them up within "
               "the target of their urgency after verification (the targets are locality settings).")
    shown = [(r, c) for r, c in zip(d.coverage, t.cells) if r.shown]
    if shown:
        t.chart = charts.bars([c[0] for _r, c in shown], [_("Served within the service target")],
                              [[r.share * 100] for r, _c in shown], [c[3] for _r, c in shown])
    return t


def _response(d) -> Table:
    t = Table("response-times", _("Response times (hours)"),
              [_("Stage"), _("Needs"), _("Median hours"), _("90th percentile hours")])
    for spread in d.response_times:
        t.rows.append([_leg(spread.leg), spread.count,
                       "" if spread.median is None else round(spread.median, 1),
                       "" if spread.p90 is None else round(spread.p90, 1)])
        t.cells.append([_leg(spread.leg), _number(spread.count, 0), _number(spread.median), _number(spread.p90)])
    if any(s.count for s in d.response_times):
        t.chart = charts.bars([r[0] for r in t.cells], [_("Median"), _("90th percentile")],
                              [[s.median or 0, s.p90 or 0] for s in d.response_times],
                              [f"{c[2]} / {c[3]}" for c in t.cells])
    return t


def _hours_by_week(d) -> Table:
    t = Table("hours-by-week", _("Approved volunteer hours by week"), [_("Week starting"), _("Hours")])
    for monday, hours in d.hours_by_week:
        label = format_date(date.fromisoformat(monday), "short")
        t.rows.append([monday, round(hours, 1)])
        t.cells.append([label, _number(hours)])
    if t.rows:
        t.chart = charts.line([c[0] for c in t.cells], [r[1] for r in t.rows], [c[1] for c in t.cells])
    return t


def _hours_by_community(d, locale) -> Table:
    t = Table("hours-by-community", _("Approved volunteer hours by community"), [_("Community"), _("Hours")])
    for place, hours in d.hours_by_community:
        t.rows.append([place.display_name(locale), round(hours, 1)])
        t.cells.append([place.display_name(locale), _number(hours)])
    if t.rows:
        t.chart = charts.bars([r[0] for r in t.rows], [_("Hours")], [[r[1]] for r in t.rows], [c[1] for c in t.cells])
    return t


def _spending(d) -> Table:
    t = Table("spending", _("Project spending against budget (CNY)"),
              [_("Project"), _("Budget"), _("Contracted"), _("Paid"), _("Paid of budget (%)")], wide=True)
    for row in d.spending:
        share = float(row.paid / row.budget) if row.budget else None
        t.rows.append([row.title, f"{row.budget:.2f}", f"{row.contracted:.2f}", f"{row.paid:.2f}", _csv_share(share)])
        t.cells.append([row.title, _money(row.budget), _money(row.contracted), _money(row.paid), _share(share)])
    if t.rows:
        t.chart = charts.bars(
            [r.title for r in d.spending], [_("Paid"), _("Contracted, not yet paid"), _("Budget not contracted")],
            [[float(r.paid), float(max(r.contracted - r.paid, 0)), float(max(r.budget - max(r.contracted, r.paid), 0))]
             for r in d.spending], [c[1] for c in t.cells], stacked=True)
    return t


def _satisfaction(d, locale) -> Table:
    t = Table("satisfaction", _("Visit ratings by community"), [_("Community"), _("Ratings"), _("Average of 5")])
    minimum = None
    for place, rollup in d.satisfaction:
        minimum = rollup.minimum
        t.rows.append([place.display_name(locale), rollup.count, "" if rollup.average is None else rollup.average])
        t.cells.append([place.display_name(locale), _number(rollup.count, 0),
                        _number(rollup.average) if rollup.shown else _("Too few to report")])
    shown = [(p, r) for p, r in d.satisfaction if r.shown]
    if shown:
        t.chart = charts.bars([p.display_name(locale) for p, _r in shown], [_("Average of 5")],
                              [[r.average] for _p, r in shown], [_number(r.average) for _p, r in shown])
    if minimum is not None:
        t.note = _("An average is shown from %(n)s ratings on.", n=minimum)
    return t


def _no_shows(d, locale) -> Table:
    t = Table("no-shows", _("No-shows by community"),
              [_("Community"), _("Expected to come"), _("Did not come"), _("No-show rate (%)")])
    for row in d.no_shows:
        t.rows.append([row.place.display_name(locale), row.expected, row.no_shows, _csv_share(row.rate)])
        t.cells.append([row.place.display_name(locale), _number(row.expected, 0), _number(row.no_shows, 0),
                        _share(row.rate)])
    if t.rows:
        t.chart = charts.bars([r[0] for r in t.rows], [_("No-show rate")], [[(r.rate or 0) * 100] for r in d.no_shows],
                              [c[3] for c in t.cells])
    return t


def _match_runs(d, locale) -> Table:
    t = Table("match-runs", _("Match runs against first come, first served"),
              [_("Run"), _("Area"), _("Kind"), _("To cover"), _("Covered by the run"), _("Covered first come")],
              wide=True, text_columns=3)
    for run in d.match_runs:
        when = format_datetime(run.created_at, "short")
        t.rows.append([timeutil.to_local(run.created_at).strftime("%Y-%m-%d %H:%M"), run.region_name(locale),
                       str(run.kind.label), run.total, run.ours, run.first_come])
        t.cells.append([when, run.region_name(locale), str(run.kind.label), _number(run.total, 0),
                        _number(run.ours, 0), _number(run.first_come, 0)])
    if t.rows:
        t.chart = charts.bars([f"{c[0]} {c[1]}" for c in t.cells], [_("Covered by the run"), _("Covered first come")],
                              [[r.ours, r.first_come] for r in d.match_runs],
                              [f"{c[4]} / {c[5]}" for c in t.cells])
    return t
