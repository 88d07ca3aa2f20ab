"""Filters and globals for templates."""
from flask import g, request
from flask_babel import format_date, format_time, get_locale, get_translations, gettext as _
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from linkage import audit_text, settings
from linkage.community import consents
from linkage.formats import money, moment, number, percent
from linkage.imports.access import can_import
from linkage.main.navigation import bar_for, items_for

BADGE = {
    "submitted": "secondary", "open": "primary", "matched": "info", "in_service": "info",
    "delivered": "success", "closed": "success", "rejected": "danger", "withdrawn": "secondary",
    "expired": "secondary", "merged": "secondary", "registered": "warning", "active": "success", "suspended": "warning",
    "blacklisted": "dark", "draft": "secondary", "published": "primary", "bidding_closed": "warning",
    "evaluated": "info", "awarded": "success", "contracted": "success", "in_progress": "info",
    "completed": "success", "cancelled": "secondary", "failed": "danger", "won": "success",
    "lost": "secondary", "disqualified": "danger", "scored": "info", "staffed": "success",
    "under_way": "info", "done": "success", "assigned": "success", "waitlisted": "warning", "offered": "primary",
    "requested": "info", "checked_in": "info", "checked_out": "success", "no_show": "danger",
    "pending": "warning", "approved": "success", "declined": "danger", "queued": "secondary",
    "running": "info", "proposed": "primary", "infeasible": "danger",
}


def status_badge(status) -> Markup:
    value = getattr(status, "value", status)
    label = getattr(status, "label", value)
    return Markup(f'<span class="badge text-bg-{BADGE.get(value, "secondary")}">{escape(label)}</span>')


def _finalize(value):
    """Escape lazy translations like any other text: flask-babel's LazyString declares itself safe
    HTML, so one formatted with typed input (a name in a refusal) would otherwise skip escaping."""
    return str(value) if isinstance(value, LazyString) else value


def _translations():
    """The request's translations, looked up once per request: a list page calls ``_()`` hundreds of
    times, and flask-babel looks up its context, the domain and the locale on every call. Kept where
    flask-babel itself keeps them (``babel_translations`` on its context), so its ``refresh()`` and
    ``force_locale()`` reset them."""
    context = g.get("_flask_babel")
    translations = getattr(context, "babel_translations", None)
    if translations is None:
        translations = get_translations()
        context = g.get("_flask_babel")  # made by the look-up
        if context is not None:
            context.babel_translations = translations
    return translations


def _install_gettext(app) -> None:
    """Templates' ``_()``/``ngettext()``: flask-babel's, with the translations looked up once per request."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def hours_text(hours) -> str:
    """A span of whole hours as people say it: "8 hours", "3 days", "2 days 6 hours"."""
    hours = int(hours)
    days, rest = divmod(hours, 24)
    if hours < 48 or days == 0:
        return _("%(n)s hours", n=hours)
    if rest == 0:
        return _("%(n)s days", n=days)
    return _("%(days)s days %(hours)s hours", days=days, hours=rest)


def register(app):
    _install_gettext(app)
    audit_text.register(app)
    app.jinja_env.finalize = _finalize
    app.jinja_env.filters["datetime"] = moment
    app.jinja_env.filters["date"] = lambda v, fmt="medium": format_date(v, fmt) if v else "—"
    app.jinja_env.filters["time"] = lambda v, fmt="short": format_time(v, fmt) if v else "—"
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["hours_text"] = hours_text
    app.jinja_env.filters["badge"] = status_badge
    app.jinja_env.globals["nav_items"] = items_for
    app.jinja_env.globals["navigation_bar"] = bar_for
    app.jinja_env.globals["setting"] = settings.get
    app.jinja_env.globals["data_consent_missing"] = consents.data_consent_missing
    app.jinja_env.globals["can_import"] = can_import
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())

    @app.context_processor
    def _request_path():
        return {"request_path": request.path}
