"""Start page and notifications."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from linkage import notifications
from linkage.extensions import db
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
                           notification_url=notifications.url)


@blueprint.route("/notifications", endpoint="notifications")
@login_required
def notifications_page():
    page = paginate(notifications.select_for(current_user), per_page=25)
    return render_template("main/notifications.html", page=page, render_notification=notifications.render,
                           notification_url=notifications.url)


@blueprint.post("/notifications/read")
@login_required
def notifications_read():
    perform(lambda: notifications.mark_all_read(current_user))
    return redirect(url_for("main.notifications"))

