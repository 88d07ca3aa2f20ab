"""Import pages: the template, the upload, the preview of every row and the confirmation.

Upload → the file is checked it can be read and kept under a random token → the preview lists every
problem by row and column and the residents that would be registered → "Import" writes all of them in
one transaction, or none.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from linkage import settings, sheets, uploads
from linkage.auth.access import require, role_required
from linkage.community.access import RESIDENT_ROLES
from linkage.community.services import CHOOSABLE_TAGS
from linkage.imports import access, services
from linkage.imports.forms import ConfirmForm, UploadForm
from linkage.web import perform

blueprint = Blueprint("imports", __name__, url_prefix="/imports")


def _page(form, **context):
    return render_template("imports/residents.html", form=form, columns=services.COLUMNS, tags=CHOOSABLE_TAGS,
                           max_rows=settings.get("IMPORT_MAX_ROWS"), **context)


@blueprint.route("/residents", methods=["GET", "POST"])
@role_required(*RESIDENT_ROLES)
def residents():
    require(access.can_import_residents(current_user))
    form = UploadForm()
    file_name, content = uploads.from_request(form.file.data, sheets.size_limit())
    kept = perform(lambda: services.keep(current_user, file_name, content), form=form)
    if kept:
        return redirect(url_for(".residents_preview", token=kept.value))
    return _page(form)


@blueprint.get("/residents/template.<any(xlsx, csv):kind>")
@role_required(*RESIDENT_ROLES)
def residents_template(kind):
    body = services.template(current_user, kind)
    return sheets.send(body, kind, "residents-template")


def _kept_or_404(token):
    kept = services.kept_file(current_user, token)
    if kept is None:
        abort(404)
    return kept


@blueprint.get("/residents/<token>")
@role_required(*RESIDENT_ROLES)
def residents_preview(token):
    file_name, content = _kept_or_404(token)
    checked = perform(lambda: services.preview(current_user, file_name, content)).value
    return render_template("imports/residents_preview.html", preview=checked, file_name=file_name, token=token,
                           form=ConfirmForm(formdata=None), columns=services.COLUMNS)


@blueprint.post("/residents/<token>")
@role_required(*RESIDENT_ROLES)
def residents_confirm(token):
    file_name, content = _kept_or_404(token)
    form = ConfirmForm()
    done = perform(lambda: services.import_residents(current_user, file_name, content, actor=current_user),
                   form=form, done=lambda rows: _("%(n)s residents are registered.", n=len(rows)))
    if done:
        services.discard(token)
        return redirect(url_for("community.residents"))
    refusal = done.refusal
    checked = refusal.preview if isinstance(refusal, services.ImportRefused) else None
    return render_template("imports/residents_preview.html", preview=checked, file_name=file_name, token=token,
                           form=form, columns=services.COLUMNS, refused=True)
