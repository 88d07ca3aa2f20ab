"""Import pages: the template, the upload, the preview of every row and the confirmation, for residents,
volunteers and needs alike.

Upload → the file is checked it can be read and kept under a random token → the preview lists every
problem by row and column and the rows that would be written → "Import" writes all of them in one
transaction, or none.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from linkage import settings, sheets, uploads
from linkage.auth.access import require, role_required
from linkage.community.services import CHOOSABLE_TAGS
from linkage.imports import access, needs, services, volunteers
from linkage.imports.forms import ConfirmForm, UploadForm
from linkage.web import perform

blueprint = Blueprint("imports", __name__, url_prefix="/imports")

KINDS = {"residents": services.RESIDENTS, "volunteers": volunteers.KIND, "needs": needs.KIND}
# Where each kind's list lives (back links, and where a finished import leads).
LISTS = {"residents": "community.residents", "volunteers": "records.desk", "needs": "community.needs"}
DONE = {"residents": _l("%(n)s residents are registered."), "volunteers": _l("%(n)s volunteers are registered."),
        "needs": _l("%(n)s needs are registered and wait for verification.")}


def _kept_or_404(kind, token):
    kept = services.kept_file(current_user, token, kind.code)
    if kept is None:
        abort(404)
    return kept


def _preview_page(kind, form, checked, file_name, token, **context):
    return render_template("imports/preview.html", kind=kind.code, preview=checked, file_name=file_name,
                           token=token, form=form, columns=kind.columns, list_endpoint=LISTS[kind.code], **context)


def _routes(code):
    """The four pages of one kind: upload, template, preview, confirm (endpoints ``<code>``, ``<code>_…``)."""
    kind = KINDS[code]
    roles = access.IMPORTERS[code]

    @role_required(*roles)
    def upload():
        require(access.can_import(current_user, code))
        form = UploadForm()
        file_name, content = uploads.from_request(form.file.data, sheets.size_limit())
        kept = perform(lambda: services.keep(current_user, file_name, content, code), form=form)
        if kept:
            return redirect(url_for(f".{code}_preview", token=kept.value))
        return render_template("imports/upload.html", kind=code, form=form, columns=kind.columns,
                               tags=CHOOSABLE_TAGS, max_rows=settings.get("IMPORT_MAX_ROWS"),
                               list_endpoint=LISTS[code])

    @role_required(*roles)
    def template(kind):   # the file's kind: xlsx or csv
        require(access.can_import(current_user, code))
        return sheets.send(services.template(current_user, kind, KINDS[code]), kind, f"{code}-template")

    @role_required(*roles)
    def preview(token):
        file_name, content = _kept_or_404(kind, token)
        checked = perform(lambda: services.preview(current_user, file_name, content, kind)).value
        return _preview_page(kind, ConfirmForm(formdata=None), checked, file_name, token)

    @role_required(*roles)
    def confirm(token):
        file_name, content = _kept_or_404(kind, token)
        form = ConfirmForm()
        done = perform(lambda: services.run_import(current_user, file_name, content, actor=current_user, kind=kind),
                       form=form, done=lambda rows: str(DONE[code]) % {"n": len(rows)})
        if done:
            services.discard(token)
            return redirect(url_for(LISTS[code]))
        refusal = done.refusal
        checked = refusal.preview if isinstance(refusal, services.ImportRefused) else None
        return _preview_page(kind, form, checked, file_name, token, refused=True)

    blueprint.add_url_rule(f"/{code}", code, upload, methods=["GET", "POST"])
    blueprint.add_url_rule(f"/{code}/template.<any(xlsx, csv):kind>", f"{code}_template", template)
    blueprint.add_url_rule(f"/{code}/<token>", f"{code}_preview", preview, methods=["GET"])
    blueprint.add_url_rule(f"/{code}/<token>", f"{code}_confirm", confirm, methods=["POST"])


for _code in KINDS:
    _routes(_code)
