"""Error pages: no raw tracebacks, a message in the user's language."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from linkage.extensions import db
from linkage.web import BUSY, is_lock_timeout


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def register(app):
    messages = {
        400: lambda: _("The request could not be understood. Go back, check the form and try again."),
        403: lambda: _("You do not have access to this page."),
        404: lambda: _("This page does not exist, or it was removed."),
        405: lambda: _("This action is not allowed here."),
        500: lambda: _("Something went wrong on our side. Nothing was changed; please try again."),
    }

    def render(code, message):
        if _wants_json():
            return {"error": message, "status": code}, code
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render(400, _("The form expired or was sent from another page. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code or 500
        if code == 403 and error.description == "pending":
            return render(403, _("Your account is waiting for verification by staff. You will be notified."))
        message = messages.get(code, lambda: error.name)()
        response = render(code, message)
        if code == 405 and getattr(error, "valid_methods", None):
            response = (*response, {"Allow": ", ".join(error.valid_methods)})
        return response

    @app.errorhandler(Exception)
    def unhandled(error):
        db.session.rollback()
        if is_lock_timeout(error):  # outside perform(): the same words, as a page
            return render(503, str(BUSY))
        app.logger.exception("Unhandled error on %s", request.path)
        return render(500, messages[500]())
