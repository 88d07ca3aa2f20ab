"""Start page and notifications."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from linkage import notifications
from linkage.cases import access as case_access, queries as case_queries
from linkage.extensions import db
from linkage.main import today
from linkage.main.forms import NotificationFilters
from linkage.models import Role
from linkage.web import paginate, perform

blueprint = Blueprint("main", __name__)


@blueprint.app_context_processor
def _unread():
    def unread_notifications():
        return notifications.unread_count(current_user) if current_user.is_authenticated else 0
    return {"unread_notifications": unread_notifications}


@blueprint.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    recent = db.session.scalars(notifications.select_for(current_user).limit(5)).all()
    return render_template("main/home.html", recent=recent, render_notification=notifications.render,
                           notification_url=notifications.url, tasks=today.tasks_for(current_user),
                           **_case_work(current_user))


def _case_work(user) -> dict:
    """A social worker's start page lists their case tasks and, for a supervisor, what waits for them."""
    worker = case_access.social_worker_of(user) if user.role == Role.social_worker else None
    if worker is None:
        return {}
    return {"case_tasks": case_queries.tasks_for(worker)[:5],
            "case_approvals": len(case_queries.approvals_waiting_for(worker)),
            "case_overdue": len(case_queries.overdue_for_supervisor(worker))}


PER_PAGE = 25


@blueprint.route("/notifications", endpoint="notifications")
@login_required
def notifications_page():
    filters, chosen, args = _notification_filters()
    page = paginate(notifications.select_for(current_user, **chosen), per_page=PER_PAGE)
    return render_template("main/notifications.html", page=page, filters=filters, filter_args=args,
                           render_notification=notifications.render, notification_url=notifications.url)


@blueprint.post("/notifications/read")
@login_required
def notifications_read():
    """Mark as read what the list shows for the filters it was showing (none: every notification)."""
    _filters, chosen, args = _notification_filters()
    perform(lambda: notifications.mark_read(current_user, **chosen))
    return redirect(url_for("main.notifications", **args))


def _notification_filters():
    """The list's filters from the query string: the form, the query's arguments and the valid values set."""
    filters = NotificationFilters.read()
    args = {name: filters.value(name) for name in ("show", "kind", "q") if filters.value(name) is not None}
    return filters, {"unread": args.get("show") == "unread", "group": args.get("kind"), "text": args.get("q")}, args
