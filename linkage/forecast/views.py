"""The needs forecast and plan purchases page."""
from flask import Blueprint, render_template
from flask_login import current_user

from linkage.auth.access import role_required
from linkage.extensions import db
from linkage.forecast import access, model, plan, store

blueprint = Blueprint("forecast", __name__, url_prefix="/forecast")


@blueprint.get("/")
@role_required(*access.FORECAST_READERS)
def index():
    """Needs expected next quarter in the reader's scope, and the purchases they suggest."""
    report = plan.report(current_user)
    waiting = plan.waiting(report)
    if waiting:
        db.session.rollback()  # the page wrote nothing; the fit opens its own transactions (one writer on SQLite)
        if store.ask_for_fits():
            report = plan.report(current_user)
            waiting = plan.waiting(report)
    return render_template("forecast/index.html", report=report, model=model, waiting=waiting,
                           can_draft=access.can_draft_purchase(current_user))
