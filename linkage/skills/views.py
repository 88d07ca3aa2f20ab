"""Skill certificate pages: the volunteer's certificates and claims; a social worker's reviews."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required

from linkage import uploads
from linkage.auth.access import require
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import ProofStatus, Skill, SkillCertificate
from linkage.shifts.access import volunteer_of
from linkage.skills import access, queries, services
from linkage.skills.forms import ApproveForm, ClaimForm, RejectForm
from linkage.timeutil import today
from linkage.volunteers.access import volunteer_only
from linkage.web import perform

blueprint = Blueprint("skills", __name__, url_prefix="/skills")


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _claim_form(form=None) -> ClaimForm:
    form = form or ClaimForm(formdata=None)
    form.skill.choices = choices([("", _("Choose…"))] + [(s.id, s.display_name(_locale()))
                                                          for s in queries.proof_skills()])
    return form


@blueprint.route("/mine", methods=["GET", "POST"])
@volunteer_only
def mine():
    volunteer = volunteer_of(current_user)
    form = _claim_form(ClaimForm() if request.method == "POST" else None)
    if volunteer is not None and request.method == "POST":
        def claim():
            file_name, content = uploads.from_request(request.files.get(form.file.name))
            return services.claim(volunteer, db.session.get(Skill, form.skill.data), actor=current_user,
                                  file_name=file_name, content=content)
        if perform(claim, form=form, done=_("Your certificate was sent: a social worker of your area will check it.")):
            return redirect(url_for(".mine"))
    return render_template("skills/mine.html", volunteer=volunteer, form=form, today=today(),
                           certificates=queries.certificates_of(volunteer) if volunteer else [],
                           ProofStatus=ProofStatus, locale=_locale())


@blueprint.get("/certificates/<int:certificate_id>/file")
@login_required
def certificate_file(certificate_id):
    """The uploaded certificate, to its volunteer and the social workers of their area; to anyone else it
    does not exist."""
    certificate = db.session.get(SkillCertificate, certificate_id)
    if certificate is None or certificate.stored_name is None or not access.can_read(current_user, certificate):
        abort(404)
    read = perform(lambda: services.read_file(certificate, actor=current_user))
    if not read:
        abort(404)
    return uploads.send_bytes(read.value, certificate.extension, certificate.skill.display_name(_locale()))


@blueprint.get("/reviews")
@login_required
def reviews():
    require(access.is_reviewer(current_user))
    pending = queries.pending_for(current_user)
    return render_template(
        "skills/reviews.html", pending=pending, decided=queries.decided_by(current_user), today=today(),
        approve_forms={c.id: ApproveForm(formdata=None, prefix=f"a{c.id}",
                                         expires_on=services.default_expiry(c.skill, today())) for c in pending},
        reject_forms={c.id: RejectForm(formdata=None, prefix=f"r{c.id}") for c in pending},
        ProofStatus=ProofStatus, locale=_locale())


def _decidable(certificate_id: int) -> SkillCertificate:
    require(access.is_reviewer(current_user))
    certificate = db.session.get(SkillCertificate, certificate_id)
    if certificate is None or not access.can_review(current_user, certificate.volunteer):
        abort(404)
    return certificate


@blueprint.post("/certificates/<int:certificate_id>/approve")
@login_required
def approve(certificate_id):
    certificate = _decidable(certificate_id)
    form = ApproveForm(prefix=f"a{certificate_id}")
    perform(lambda: services.approve(certificate, actor=current_user, expires_on=form.expires_on.data, today=today()),
            form=form, done=_("The certificate was approved."))
    _flash_errors(form)
    return redirect(url_for(".reviews"))


@blueprint.post("/certificates/<int:certificate_id>/reject")
@login_required
def reject(certificate_id):
    certificate = _decidable(certificate_id)
    form = RejectForm(prefix=f"r{certificate_id}")
    perform(lambda: services.reject(certificate, actor=current_user, reason=form.reason.data),
            form=form, done=_("The certificate was rejected; the volunteer is told why."))
    _flash_errors(form)
    return redirect(url_for(".reviews"))


def _flash_errors(form) -> None:
    """A form posted from the reviews page: its field errors as messages there."""
    for errors in form.errors.values():
        flash(" ".join(str(e) for e in errors), "danger")
