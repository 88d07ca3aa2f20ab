"""Record pages: a volunteer's own record; corrections; the staff desk; certificates; the public notice
and verification pages (no log-in)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from linkage import exports
from linkage.auth.access import require
from linkage.downloads import send_attachment
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import Certificate, CertificateStatus, HoursCorrection, Role, SignUp, VolunteerComplaint
from linkage.records import access, export, numbers, pdf, queries, services
from linkage.records.forms import (AnswerForm, ComplaintForm, CorrectionForm, DecideCorrectionForm, IssueForm,
                                   LookUpForm, RequestCertificateForm, VerifyForm)
from linkage.shifts.access import volunteer_of
from linkage.timeutil import now, today
from linkage.volunteers.access import volunteer_only
from linkage.web import perform

blueprint = Blueprint("records", __name__, url_prefix="/records")


# --- the volunteer's own record --------------------------------------------------------------------------

def _answer_form(volunteer, complaints, form=None):
    form = form or AnswerForm(formdata=None)
    form.complaint.choices = choices((c.id, c.created_at.date().isoformat()) for c in complaints if not c.answered_at)
    return form


@blueprint.route("/mine")
@volunteer_only
def mine(answer_form=None):
    volunteer = volunteer_of(current_user)
    if volunteer is None:
        return render_template("records/mine.html", volunteer=None)
    complaints = queries.complaints_about(volunteer)
    return render_template(
        "records/mine.html", volunteer=volunteer, standing=services.standing(volunteer),
        entries=queries.approved_entries(volunteer), corrections=queries.corrections_of(volunteer),
        certificates=queries.certificates_of(volunteer), complaints=complaints,
        answer_form=_answer_form(volunteer, complaints, answer_form), request_form=RequestCertificateForm(),
        now=now(), CertificateStatus=CertificateStatus)


@blueprint.post("/mine/certificates")
@volunteer_only
def request_certificate():
    volunteer = volunteer_of(current_user)
    if volunteer is None:
        abort(404)
    perform(lambda: services.request_certificate(volunteer, actor=current_user), form=RequestCertificateForm(),
            done=lambda c: _("Your certificate %(number)s is on public notice until %(day)s.", number=c.number,
                             day=c.notice_until.date().isoformat()))
    return redirect(url_for(".mine"))


@blueprint.post("/mine/answer")
@volunteer_only
def answer():
    volunteer = volunteer_of(current_user)
    if volunteer is None:
        abort(404)
    complaints = queries.complaints_about(volunteer)
    form = _answer_form(volunteer, complaints, AnswerForm())
    if perform(lambda: services.answer_complaint(db.session.get(VolunteerComplaint, form.complaint.data),
                                                 form.answer.data, actor=current_user),
               form=form, done=_("Your answer was recorded.")):
        return redirect(url_for(".mine"))
    return mine(answer_form=form)


@blueprint.route("/mine/export.csv")
@volunteer_only
def export_mine():
    volunteer = volunteer_of(current_user)
    if volunteer is None:
        abort(404)
    return send_attachment(export.to_csv(volunteer), "volunteer-record.csv", "text/csv; charset=utf-8")


@blueprint.route("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not access.can_read_certificate(current_user, certificate):
        abort(404)
    if certificate.status != CertificateStatus.issued:
        abort(404)
    body = pdf.render(certificate, volunteer_number=numbers.number_of(certificate.volunteer),
                      code=services.verification_code(certificate))
    return send_attachment(body, f"certificate-{certificate.number}.pdf", "application/pdf")


# --- corrections of approved hours --------------------------------------------------------------------

def _entry_label(record: SignUp) -> str:
    return _("%(title)s, %(day)s, %(name)s: %(minutes)s minutes", title=record.shift.title,
             day=record.shift.start.date().isoformat(), name=record.volunteer.name, minutes=record.minutes)


@blueprint.route("/corrections/new", methods=["GET", "POST"])
@login_required
def correction_new():
    require(current_user.role in access.CORRECTION_FILERS)
    form = CorrectionForm()
    entries = {r.id: r for r in queries.correctable_entries(current_user)}
    form.sign_up.choices = choices((rid, _entry_label(r)) for rid, r in entries.items())
    if perform(lambda: services.file_correction(entries[form.sign_up.data], minutes=form.minutes.data,
                                                reason=form.reason.data, actor=current_user),
               form=form, done=_("Your correction request was filed; the hours stay as they are until it is decided.")):
        return redirect(url_for(".mine") if current_user.role == Role.volunteer else url_for(".correction_new"))
    return render_template("records/correction_new.html", form=form)


@blueprint.route("/corrections", methods=["GET", "POST"])
@login_required
def corrections():
    require(current_user.role in access.CORRECTION_DECIDERS)
    pending = {c.id: c for c in queries.corrections_to_decide(current_user)}
    form = DecideCorrectionForm() if request.method == "POST" else DecideCorrectionForm(formdata=None)
    form.correction.choices = choices((cid, str(cid)) for cid in pending)
    if perform(lambda: services.decide_correction(db.session.get(HoursCorrection, form.correction.data),
                                                  approve=form.decision.data == "approve", note=form.note.data,
                                                  actor=current_user),
               form=form, done=_("The correction was decided.")):
        return redirect(url_for(".corrections"))
    return render_template("records/corrections.html", pending=list(pending.values()), form=form)


# --- the staff desk: a volunteer's record by number -----------------------------------------------------

def _flash_errors(form) -> None:
    """A form posted from the desk page: its field errors as messages there."""
    for errors in form.errors.values():
        flash(" ".join(str(e) for e in errors), "danger")


def _in_scope(number: str):
    volunteer = numbers.find(number)
    if volunteer is None or not access.can_keep_record_of(current_user, volunteer):
        abort(404)
    return volunteer


@blueprint.route("/volunteers")
@login_required
def desk():
    require(access.keeps_records(current_user))
    form = LookUpForm(formdata=request.args)
    volunteer = found = None
    number = (form.number.data or "").strip().upper() if form.validate() else ""
    if number:
        volunteer = numbers.find(number)
        found = volunteer is not None and access.can_keep_record_of(current_user, volunteer)
        volunteer = volunteer if found else None
    return render_template(
        "records/desk.html", form=form, number=number, volunteer=volunteer,
        standing=services.standing(volunteer) if volunteer else None,
        complaints=queries.complaints_about(volunteer) if volunteer else [],
        certificates=queries.certificates_of(volunteer) if volunteer else [],
        to_issue=queries.to_issue(current_user), complaint_form=ComplaintForm(formdata=None),
        issue_form=IssueForm(formdata=None), now=now(), CertificateStatus=CertificateStatus)


@blueprint.post("/volunteers/<number>/complaints")
@login_required
def complain(number):
    require(access.keeps_records(current_user))
    volunteer = _in_scope(number)
    form = ComplaintForm()
    perform(lambda: services.record_complaint(volunteer, form.text.data, actor=current_user),
            form=form, done=_("The complaint was recorded."))
    _flash_errors(form)
    return redirect(url_for(".desk", number=numbers.number_of(volunteer)))


@blueprint.route("/volunteers/<number>/export.csv")
@login_required
def export_record(number):
    require(access.keeps_records(current_user))
    volunteer = _in_scope(number)
    return send_attachment(export.to_csv(volunteer), f"volunteer-record-{number}.csv",
                           "text/csv; charset=utf-8")


@blueprint.get("/volunteers/export.<any(xlsx, csv):kind>")
@login_required
def volunteers_export(kind):
    """The volunteers of the reader's area, ID numbers and phones masked."""
    require(access.keeps_records(current_user))
    headers, rows = exports.volunteers(queries.volunteers_for_export(current_user), str(get_locale()), today())
    return exports.respond(current_user, "volunteers", kind, headers, rows)


@blueprint.get("/hours/export.<any(xlsx, csv):kind>")
@login_required
def hours_export(kind):
    """Approved service hours of the volunteers of the reader's area, one row per entry."""
    require(access.keeps_records(current_user))
    headers, rows = exports.approved_hours(queries.approved_hours_for_export(current_user), str(get_locale()))
    return exports.respond(current_user, "approved-hours", kind, headers, rows)


@blueprint.post("/certificates/<int:certificate_id>/issue")
@login_required
def issue(certificate_id):
    certificate = db.session.get(Certificate, certificate_id)
    require(current_user.role in (Role.community_staff, Role.admin))
    if certificate is None or not access.can_issue_certificate(current_user, certificate):
        abort(404)
    form = IssueForm()
    perform(lambda: services.issue_certificate(certificate, person_in_charge=form.person_in_charge.data,
                                               contact=form.contact.data, actor=current_user),
            form=form, done=_("The certificate was issued."))
    _flash_errors(form)
    return redirect(url_for(".desk"))


# --- public: the notice and the verification page -------------------------------------------------------

@blueprint.route("/notice")
def notice():
    return render_template("records/notice.html", certificates=queries.on_notice(), numbers=numbers)


@blueprint.route("/verify", methods=["GET", "POST"])
def verify():
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        certificate = services.verify(form.number.data, form.code.data)
        result = certificate if certificate is not None else False
    return render_template("records/verify.html", form=form, result=result, numbers=numbers)
