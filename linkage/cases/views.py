"""Social workers' cases: the caseload and tasks, opening a case, the case page with its status bar,
supervision, notes and contacts, services, referrals and transfers."""
from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from linkage.auth.access import require
from linkage.cases import access, queries, services
from linkage import uploads
from linkage.cases.forms import (AnswerForm, ApprovalRequestForm, CaseDocumentForm, CaseFilters, DecisionForm,
                                 HandOverForm, CaseNoteForm, OpenCaseForm, ReassignForm, RevokeForm, ServiceForm)
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (STAGE_ORDER, CaseDocument, CaseStage, CaseStatus, Need, NoteKind, Role, Shift, SocialWorker,
                            Volunteer)
from linkage.needs.forms import with_placeholder
from linkage.timeutil import local_to_utc
from linkage.listing import member
from linkage.web import id_arg, paginate, perform

blueprint = Blueprint("cases", __name__, url_prefix="/cases")


def _case_or_404(case_id, check=access.can_read):
    case = queries.case_for_page(case_id)
    if case is None:
        abort(404)
    require(check(current_user, case))
    return case


@blueprint.get("/")
@login_required
def index():
    require(access.can_see_caseload(current_user))
    if current_user.role == Role.org_admin:
        return _organization_index(current_user.organization_id or 0)
    worker = access.social_worker_of(current_user)
    if worker is None:
        return render_template("cases/index.html", worker=None)
    supervised = queries.supervised_ids(worker)
    filters, owner = _worker_filters(worker, supervised)
    page = paginate(queries.owned_cases([owner.id], member(CaseStatus, filters.value("status")), filters.value("q")))
    return render_template(
        "cases/index.html", worker=worker, page=page, filters=filters, owner=owner, tasks=queries.tasks_for(worker),
        open_count=queries.open_case_counts([worker.id]).get(worker.id, 0),
        referrals=queries.referred_cases(worker), transfers=queries.transfers_offered(worker),
        approvals=queries.approvals_waiting_for(worker), overdue=queries.overdue_for_supervisor(worker),
        stale=queries.stale_referrals([worker.id, *supervised]), can_open=access.can_open_cases(current_user),
        left=[(w, n) for w, n in queries.left_with_open_cases(worker.organization_id)
              if access.is_supervisor_of(worker, w)])


def _worker_filters(worker: SocialWorker, supervised: list[int]):
    """A social worker's case list filters: their own cases, or a supervisor's choice of one of the social workers
    they supervise (never anyone else's)."""
    others = [w for w in queries.supervised_workers(worker) if w.id in supervised]
    filters = CaseFilters.read(worker=choices([("", _("Mine"))] + [(w.id, w.name) for w in others]))
    chosen = filters.value("worker")
    return filters, next((w for w in others if w.id == chosen), worker)


def _organization_index(org_id: int):
    caseload = queries.organization_caseload(org_id)
    filters = CaseFilters.read(worker=choices([("", _("All"))] + [(w.id, w.name) for w, _count in caseload]))
    page = paginate(queries.organization_cases(org_id, member(CaseStatus, filters.value("status")),
                                               filters.value("q"), filters.value("worker")))
    return render_template("cases/organization.html", caseload=caseload, page=page, filters=filters,
                           left=queries.left_with_open_cases(org_id), can_open=access.can_open_cases(current_user))


def _org_id_of(user):
    if user.role == Role.org_admin:
        return user.organization_id
    worker = access.social_worker_of(user)
    return worker.organization_id if worker else None


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(access.can_open_cases(current_user))
    org_id = _org_id_of(current_user)
    needs = queries.needs_to_open(org_id)
    form = OpenCaseForm(need=id_arg("need"))
    form.need.choices = with_placeholder(choices([(n.id, f"{n.title} · {n.resident.name}") for n in needs]))
    owners = ([access.social_worker_of(current_user)] if current_user.role == Role.social_worker
              else queries.owner_choices(org_id))
    form.owner.choices = with_placeholder(choices([(w.id, w.name) for w in owners]))
    if current_user.role == Role.social_worker and request.method == "GET":
        form.owner.data = owners[0].id
    outcome = perform(lambda: services.open_case([db.session.get(Need, form.need.data)],
                                                 db.session.get(SocialWorker, form.owner.data), actor=current_user),
                      form=form, done=_("The case was opened."))
    if outcome:
        case = outcome.value
        return redirect(url_for(".detail", case_id=case.id) if access.can_read(current_user, case)
                        else url_for(".index"))
    chosen = db.session.get(Need, form.need.data) if form.need.data in {n.id for n in needs} else None
    duplicate = getattr(outcome.refusal, "case", None) or (queries.open_case_of(chosen.resident_id) if chosen else None)
    return render_template("cases/new.html", form=form, duplicate=duplicate,
                           duplicate_readable=duplicate is not None and access.can_read(current_user, duplicate))


def _detail_page(case, **forms):
    read = perform(lambda: services.read_notes(case, actor=current_user))
    if not read:
        abort(403)
    worker = access.social_worker_of(current_user)
    forms = {"approval_form": ApprovalRequestForm(formdata=None), "decision_form": DecisionForm(formdata=None),
             "note_form": CaseNoteForm(formdata=None), "service_form": ServiceForm(formdata=None),
             "refer_form": HandOverForm(formdata=None, prefix="refer"),
             "transfer_form": HandOverForm(formdata=None, prefix="transfer"),
             "answer_form": AnswerForm(formdata=None), "revoke_form": RevokeForm(formdata=None),
             "document_form": CaseDocumentForm(formdata=None), **forms}
    _fill_choices(case, forms)
    response = make_response(render_template(
        "cases/detail.html", case=case, notes=read.value.notes, summaries=read.value.summaries,
        stages=STAGE_ORDER, task=queries.task_of(case), pending=services.pending_approval(case),
        is_owner=access.can_work(current_user, case), can_note=access.can_write_notes(current_user, case),
        can_supervise=access.can_supervise(current_user, case), me=worker,
        supervisors=access.supervisors_of(case.owner), free_step=services.FREE_STEPS.get(case.stage),
        approval_stage=services.APPROVED_STAGE.get(case.stage), stale=queries.is_unanswered_too_long,
        services_open=case.stage in (CaseStage.services, CaseStage.review), documents=queries.documents_of(case),
        **forms))
    response.headers["Cache-Control"] = "no-store"  # the notes are not kept by browsers or proxies
    return response


def _fill_choices(case, forms):
    forms["refer_form"].worker.choices = with_placeholder(choices(
        [(w.id, f"{w.name} · {w.organization.name}") for w in queries.referral_choices(case)]))
    forms["transfer_form"].worker.choices = with_placeholder(choices(
        [(w.id, w.name) for w in queries.transfer_choices(case)]))
    shifts = queries.service_shifts(case)
    forms["service_form"].shift.choices = choices([("", _("No shift"))]) + choices(
        [(s.id, s.title) for s in shifts])
    forms["service_form"].volunteers.choices = choices(
        [(v.id, f"{v.name} · {s.title}") for v, s in queries.service_helpers(shifts)])
    forms["revoke_form"].referral.choices = choices(
        [(r.id, r.worker.name) for r in case.referrals if r.status.value in ("pending", "accepted")])


@blueprint.get("/<int:case_id>")
@login_required
def detail(case_id):
    return _detail_page(_case_or_404(case_id))


def _act(case_id, action, *, form=None, form_name=None, done=None, check=access.can_read):
    """Run ``action(case)`` on the case; on success back to the case page (or the list, when the
    actor no longer reads it), else the page again with the form's errors."""
    case = _case_or_404(case_id, check)
    if form is not None:
        _fill_choices(case, {form_name: form} | _blank_forms(form_name))
    if perform(lambda: action(case), form=form, done=done):
        fresh = queries.case_for_page(case_id)
        return redirect(url_for(".detail", case_id=case_id) if access.can_read(current_user, fresh)
                        else url_for(".index"))
    if form is None:
        return redirect(url_for(".detail", case_id=case_id))
    return _detail_page(queries.case_for_page(case_id), **{form_name: form})


def _blank_forms(taken):
    blank = {"refer_form": HandOverForm(formdata=None, prefix="refer"),
             "transfer_form": HandOverForm(formdata=None, prefix="transfer"),
             "service_form": ServiceForm(formdata=None), "revoke_form": RevokeForm(formdata=None)}
    blank.pop(taken, None)
    return blank


@blueprint.post("/<int:case_id>/advance")
@login_required
def advance(case_id):
    return _act(case_id, lambda case: services.advance(case, actor=current_user),
                done=_("The case moved to the next stage."))


@blueprint.post("/<int:case_id>/approval")
@login_required
def request_approval(case_id):
    form = ApprovalRequestForm()
    return _act(case_id, lambda case: services.request_approval(case, actor=current_user, summary=form.summary.data),
                form=form, form_name="approval_form", done=_("Your supervisor was asked for approval."))


@blueprint.post("/<int:case_id>/decide")
@login_required
def decide(case_id):
    form = DecisionForm()
    return _act(case_id, lambda case: services.decide(case, actor=current_user, approve=form.decision.data == "approve",
                                                      comment=form.comment.data),
                form=form, form_name="decision_form", done=_("Your decision was recorded."))


@blueprint.post("/<int:case_id>/notes")
@login_required
def note(case_id):
    form = CaseNoteForm()
    return _act(case_id, lambda case: services.add_note(
        case, actor=current_user, kind=NoteKind(form.kind.data), happened_at=local_to_utc(form.happened_at.data),
        text=form.text.data), form=form, form_name="note_form", done=_("The note was saved."))


@blueprint.post("/<int:case_id>/services")
@login_required
def service(case_id):
    form = ServiceForm()
    return _act(case_id, lambda case: services.record_service(
        case, actor=current_user, description=form.description.data,
        delivered_at=local_to_utc(form.delivered_at.data),
        shift=db.session.get(Shift, form.shift.data) if form.shift.data else None,
        volunteers=[db.session.get(Volunteer, v) for v in form.volunteers.data or []]),
        form=form, form_name="service_form", done=_("The service was recorded."))


@blueprint.post("/<int:case_id>/documents")
@login_required
def upload(case_id):
    form = CaseDocumentForm()

    def store(case):
        file_name, content = uploads.from_request(request.files.get(form.file.name))
        return services.upload_document(case, actor=current_user, title=form.title.data, file_name=file_name,
                                        content=content)
    return _act(case_id, store, form=form, form_name="document_form", done=_("The document was added to the case."))


@blueprint.get("/<int:case_id>/documents/<int:document_id>")
@login_required
def document(case_id, document_id):
    """A case's document, to those who may open the case (the download is in the access log); to anyone
    else it does not exist."""
    case = queries.case_for_page(case_id)
    found = db.session.get(CaseDocument, document_id)
    if case is None or found is None or found.case_id != case.id or not access.can_read(current_user, case):
        abort(404)
    read = perform(lambda: services.read_document(case, document_id, actor=current_user))
    if not read:
        abort(404)
    found, content = read.value
    return uploads.send_bytes(content, found.extension, found.title)


@blueprint.post("/<int:case_id>/referrals")
@login_required
def refer(case_id):
    form = HandOverForm(prefix="refer")
    return _act(case_id, lambda case: services.refer(case, actor=current_user,
                                                     worker=db.session.get(SocialWorker, form.worker.data),
                                                     reason=form.reason.data),
                form=form, form_name="refer_form", done=_("The referral was sent."))


@blueprint.post("/<int:case_id>/referrals/revoke")
@login_required
def revoke_referral(case_id):
    form = RevokeForm()
    return _act(case_id, lambda case: services.revoke_referral(case, form.referral.data, actor=current_user),
                form=form, form_name="revoke_form", done=_("The referral was revoked."))


@blueprint.post("/<int:case_id>/referral/<any(accept, decline):verb>")
@login_required
def answer_referral(case_id, verb):
    form = AnswerForm()
    return _act(case_id, lambda case: services.answer_referral(case, actor=current_user, accept=verb == "accept",
                                                               answer=form.answer.data),
                form=form, form_name="answer_form", done=_("Your answer was recorded."))


@blueprint.post("/<int:case_id>/transfer")
@login_required
def transfer(case_id):
    form = HandOverForm(prefix="transfer")
    return _act(case_id, lambda case: services.request_transfer(case, actor=current_user,
                                                                worker=db.session.get(SocialWorker, form.worker.data),
                                                                reason=form.reason.data),
                form=form, form_name="transfer_form", done=_("The transfer was offered."))


@blueprint.post("/<int:case_id>/transfer/<any(accept, decline):verb>")
@login_required
def answer_transfer(case_id, verb):
    form = AnswerForm()
    return _act(case_id, lambda case: services.answer_transfer(case, actor=current_user, accept=verb == "accept",
                                                               answer=form.answer.data),
                form=form, form_name="answer_form", done=_("Your answer was recorded."))


@blueprint.route("/workers/<int:worker_id>/reassign", methods=["GET", "POST"])
@login_required
def reassign(worker_id):
    """The open cases of a social worker who left, handed to another of the organization."""
    worker = db.get_or_404(SocialWorker, worker_id)
    require(access.can_reassign(current_user, worker))
    form = ReassignForm()
    form.worker.choices = with_placeholder(choices(
        [(w.id, f"{w.name} · {w.caseload_limit - counts}") for w, counts in _with_counts(
            queries.reassign_choices(worker))]))
    outcome = perform(lambda: services.reassign_cases(worker, db.session.get(SocialWorker, form.worker.data),
                                                      actor=current_user),
                      form=form, done=lambda cases: _("%(count)s cases were handed over.", count=len(cases)))
    if outcome:
        return redirect(url_for(".index"))
    return render_template("cases/reassign.html", worker=worker, form=form, cases=queries.open_cases_of(worker))


def _with_counts(workers):
    counts = queries.open_case_counts(w.id for w in workers)
    return [(w, counts.get(w.id, 0)) for w in workers]
