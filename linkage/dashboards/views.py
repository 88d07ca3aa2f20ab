"""Dashboards per scope: figures for a period and an area, each chart with its table and a CSV of it."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user

from linkage import sheets, timeutil
from linkage.auth.access import require, role_required
from linkage.dashboards import access, queries, tables
from linkage.dashboards.forms import DashboardFilterForm
from linkage.extensions import db
from linkage.models import Region, RegionLevel
from linkage.needs.forms import with_placeholder
from linkage.forms import choices
from linkage.web import id_arg

blueprint = Blueprint("dashboards", __name__, url_prefix="/dashboards")
# The period a dashboard opens with, ending today.
DEFAULT_DAYS = 90


def _locale() -> str:
    return str(get_locale())


def _area_choices(scope: access.Scope, locale: str):
    """The streets and communities of the scope's region, for the area filter."""
    if scope.region is None:
        query = db.select(Region).where(Region.level.in_((RegionLevel.street, RegionLevel.community)))
    else:
        query = Region.select_in(scope.region).where(Region.level.in_((RegionLevel.street, RegionLevel.community)),
                                                     Region.id != scope.region.id)
    regions = db.session.scalars(query.order_by(Region.path))
    return choices([(r.id, ("— " if r.level == RegionLevel.community else "") + r.display_name(locale))
                    for r in regions])


def _filters():
    """The reader's filters: the scope (403 for an area outside it), the period, and the form as set."""
    form = DashboardFilterForm(formdata=request.args)
    offered = access.views_offered(current_user)
    scope = access.scope_for(current_user, request.args.get("view") if offered else None)
    # An area outside the reader's scope is refused (403); one that is no area of theirs to choose (a grid,
    # no such region, not a number) is a bad filter: ignored, with a message on the field.
    asked = db.session.get(Region, id_arg("area")) if id_arg("area") else None
    if asked is not None:
        require(scope is not None and access.can_read_area(scope, asked))
    form.area.choices = with_placeholder(_area_choices(scope, _locale()) if scope else [], _l("My whole area"))
    form.validate()
    today = timeutil.today()
    end_day = form.value("date_to") or today
    start_day = form.value("date_from") or end_day - timedelta(days=DEFAULT_DAYS - 1)
    if start_day > end_day:
        start_day = end_day - timedelta(days=DEFAULT_DAYS - 1)
    form.date_from.data, form.date_to.data = start_day, end_day
    if scope is None:
        return None, form, offered
    area = db.session.get(Region, form.value("area")) if form.value("area") else None
    filters = queries.Filters(scope, area, timeutil.local_day_start(start_day),
                              timeutil.local_day_start(end_day + timedelta(days=1)))
    return filters, form, offered


def _tables(filters):
    return tables.build(queries.dashboard(filters, timeutil.now()), _locale()) if filters else []


@blueprint.get("/")
@role_required(*access.DASHBOARD_ROLES)
def index():
    filters, form, offered = _filters()
    return render_template("dashboards/index.html", tables=_tables(filters), filters=filters, form=form,
                           offered=offered, query=request.args.to_dict())


@blueprint.get("/<name>.csv")
@role_required(*access.DASHBOARD_ROLES)
def table_csv(name):
    filters, form, _offered = _filters()
    table = next((t for t in _tables(filters) if t.name == name), None)
    if table is None:
        abort(404)
    return sheets.download(table.headers, table.rows, "csv",
                           f"{name}-{form.date_from.data:%Y%m%d}-{form.date_to.data:%Y%m%d}")
