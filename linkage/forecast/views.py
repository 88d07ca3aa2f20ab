"""The needs forecast and plan purchases page."""
from flask import Blueprint, render_template
from flask_login import current_user

from linkage.auth.access import role_required
from linkage.forecast import access, model, plan

blueprint = Blueprint("forecast", __name__, url_prefix="/forecast")


@blueprint.get("/")
@role_required(*access.FORECAST_READERS)
def index():
    """Needs expected next quarter in the reader's scope, and the purchases they suggest."""
    report, waiting = plan.report_for_page(current_user)
    return render_template("forecast/index.html", report=report, model=model, waiting=waiting,
                           can_draft=access.can_draft_purchase(current_user))
