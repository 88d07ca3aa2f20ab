"""Contract pages: the list, drawing up, the contract with its installments, evaluations and the delivery
workspace (progress, documents, change requests)."""

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from linkage import audit, uploads
from linkage.auth.access import require, role_required
from linkage.contracts import access, queries, services
from linkage.contracts.forms import ChangeForm, ContractFilters, ContractForm, DocumentForm, EvaluationForm, EvaluatorForm
from linkage.listing import member
from linkage.extensions import db
from linkage.forms import choices
from linkage.models import (ContractStatus, ChangeRequest, Contract, Document, DocumentKind, EvaluationKind, Installment, Project,
                            Role, SocialWorker, User)
from linkage.organizations.queries import workers_of
from linkage.organizations.forms import ReasonForm
from linkage.projects import access as project_access
from linkage.web import paginate, perform

blueprint = Blueprint("contracts", __name__, url_prefix="/contracts")


def _contract_or_404(contract_id, check=access.can_view_contract) -> Contract:
    contract = db.get_or_404(Contract, contract_id)
    require(check(current_user, contract))
    return contract


def _to_detail(contract):
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@blueprint.route("/")
@role_required(Role.civil_affairs, Role.org_admin, Role.social_worker, Role.expert)
def index():
    filters = ContractFilters.read()
    query = queries.search_contracts(queries.contracts_visible_to(current_user), filters.value("q"),
                                     member(ContractStatus, filters.value("status")))
    return render_template("contracts/index.html", page=paginate(query), filters=filters)


@blueprint.route("/new/<int:project_id>", methods=["GET", "POST"])
@role_required(Role.civil_affairs)
def new(project_id):
    project = db.get_or_404(Project, project_id)
    require(project_access.can_manage_project(current_user, project))
    existing = queries.contract_of(project)
    if existing is not None:
        return _to_detail(existing)
    form = ContractForm()
    if request.method == "GET":
        form.fill(services.default_data(project))
    created = perform(lambda: services.create_contract(project, form.to_data(), actor=current_user), form=form,
                      done=_("Contract drawn up; the organization's admin was asked to sign it."))
    if created:
        return _to_detail(created.value)
    return render_template("contracts/new.html", project=project, form=form,
                           bid=services.winning_bid(project))


@blueprint.route("/<int:contract_id>")
@login_required
def detail(contract_id):
    return _render_detail(_contract_or_404(contract_id))


def _forms(contract, failed):
    forms = {}
    if access.can_manage_contract(current_user, contract):
        forms["evaluator"] = EvaluatorForm(formdata=None, evaluator=contract.evaluator_id)
        forms["evaluator"].evaluator.choices = choices(
            (u.id, u.display_name) for u in queries.evaluator_choices(contract))
    if access.can_deliver(current_user, contract):
        forms["document"] = DocumentForm(formdata=None)
    if access.can_request_change(current_user, contract):
        forms["change"] = ChangeForm(formdata=None, team=[w.id for w in contract.team])
    if failed:
        forms[failed[0]] = failed[1]
    return forms


def _render_detail(contract, failed=None, status=200):
    """The contract page; ``failed`` is (form key, form) of a form that needs correcting."""
    manages = access.can_manage_contract(current_user, contract)
    changes = queries.change_requests_of(contract)
    decide = {c.id: ReasonForm(formdata=None, prefix=f"cr{c.id}") for c in changes} if manages else {}
    if failed and failed[0] in decide:
        decide[failed[0]] = failed[1]
    forms = _forms(contract, failed)
    project = contract.project
    return render_template(
        "contracts/detail.html", contract=contract, project=project, manages=manages, forms=forms,
        decide=decide, changes=changes, documents=queries.documents_of(contract),
        progress=queries.progress(project, contract), spending=queries.spending(project, contract),
        can_sign=access.can_sign(current_user, contract), can_evaluate=access.can_evaluate(current_user, contract),
        is_contractor=access.is_contractor(current_user, contract),
        refused=failed[1].form_errors if failed else [],
        workers=_workers(contract) if "change" in forms else [],
        trail=audit.trail("Contract", contract.id) if manages else []), status


@blueprint.post("/<int:contract_id>/sign")
@role_required(Role.org_admin)
def sign(contract_id):
    contract = _contract_or_404(contract_id, access.is_contractor)
    perform(lambda: services.sign_contract(contract, actor=current_user),
            done=_("Contract signed: the project is contracted and the first installment is due."))
    return _to_detail(contract)


@blueprint.post("/<int:contract_id>/renew")
@role_required(Role.civil_affairs)
def renew(contract_id):
    contract = _contract_or_404(contract_id, access.can_manage_contract)
    perform(lambda: services.renew_contract(contract, actor=current_user), done=_("Contract renewed for one more year."))
    return _to_detail(contract)


@blueprint.post("/<int:contract_id>/evaluator")
@role_required(Role.civil_affairs)
def evaluator(contract_id):
    contract = _contract_or_404(contract_id, access.can_manage_contract)
    form = EvaluatorForm()
    form.evaluator.choices = choices((u.id, u.display_name) for u in queries.evaluator_choices(contract))
    if perform(lambda: services.assign_evaluator(contract, db.session.get(User, form.evaluator.data),
                                                 actor=current_user),
               form=form, done=_("Evaluator assigned.")):
        return _to_detail(contract)
    return _render_detail(contract, ("evaluator", form))


@blueprint.post("/<int:contract_id>/installments/<int:installment_id>/pay")
@role_required(Role.civil_affairs)
def pay(contract_id, installment_id):
    contract = _contract_or_404(contract_id, access.can_manage_contract)
    installment = db.get_or_404(Installment, installment_id)
    if installment.contract_id != contract.id:
        abort(404)
    perform(lambda: services.record_payment(installment, actor=current_user), done=_("Payment recorded."))
    return _to_detail(contract)


@blueprint.route("/<int:contract_id>/evaluate/<any(midterm, final):kind>", methods=["GET", "POST"])
@role_required(Role.expert)
def evaluate(contract_id, kind):
    contract = _contract_or_404(contract_id, access.is_evaluator)
    kind = EvaluationKind(kind)
    form = EvaluationForm()
    if perform(lambda: services.evaluate(contract, kind, form.to_data(), actor=current_user), form=form,
               done=_("Evaluation recorded.")):
        return _to_detail(contract)
    project = contract.project
    return render_template("contracts/evaluate.html", contract=contract, project=project, kind=kind, form=form,
                           progress=queries.progress(project, contract),
                           spending=queries.spending(project, contract),
                           open_now=project.status in services.EVALUATION_STEPS[kind][0])


@blueprint.post("/<int:contract_id>/documents")
@role_required(Role.org_admin, Role.social_worker)
def upload(contract_id):
    contract = _contract_or_404(contract_id, access.is_contractor)
    form = DocumentForm()
    if perform(lambda: services.upload_document(contract, _upload(form), actor=current_user), form=form,
               done=_("Document uploaded.")):
        return _to_detail(contract)
    return _render_detail(contract, ("document", form))


def _upload(form) -> services.Upload:
    """The uploaded file as the service checks it: its name as sent, and no more bytes than the limit plus one."""
    file_name, content = uploads.from_request(request.files.get(form.file.name))
    kind = DocumentKind(form.kind.data) if form.kind.data in {k.value for k in DocumentKind} else DocumentKind.report
    return services.Upload(file_name=file_name, content=content, kind=kind,
                           title=form.title.data or "")


@blueprint.route("/<int:contract_id>/documents/<int:document_id>")
@login_required
def document(contract_id, document_id):
    """A document, to those who may read the contract; to anyone else it does not exist."""
    contract = db.get_or_404(Contract, contract_id)
    found = db.get_or_404(Document, document_id)
    if found.contract_id != contract.id or not access.can_view_contract(current_user, contract):
        abort(404)
    return uploads.attachment(services.AREA, found.stored_name, found.extension, found.title)


def _workers(contract) -> list[SocialWorker]:
    """Who a change of team may name: the contracted organization's active social workers."""
    return list(db.session.scalars(workers_of(contract.organization, active_only=True)))


def _team(form) -> list[SocialWorker]:
    return list(db.session.scalars(sa.select(SocialWorker).where(SocialWorker.id.in_(form.team.data or []))))


@blueprint.post("/<int:contract_id>/changes")
@role_required(Role.org_admin)
def change(contract_id):
    contract = _contract_or_404(contract_id, access.is_contractor)
    form = ChangeForm()
    form.team.choices = choices((w.id, w.name) for w in _workers(contract))
    if perform(lambda: services.request_change(contract, form.to_data(_team(form)), actor=current_user),
               form=form, done=_("Change request sent to civil affairs.")):
        return _to_detail(contract)
    return _render_detail(contract, ("change", form))


@blueprint.post("/<int:contract_id>/changes/<int:change_id>/<any(approve, decline):verb>")
@role_required(Role.civil_affairs)
def decide(contract_id, change_id, verb):
    contract = _contract_or_404(contract_id, access.can_manage_contract)
    found = db.session.scalar(sa.select(ChangeRequest).where(ChangeRequest.id == change_id,
                                                             ChangeRequest.contract_id == contract.id))
    if found is None:
        abort(404)
    form = ReasonForm(prefix=f"cr{found.id}")
    if perform(lambda: services.decide_change(found, verb == "approve", form.reason.data, actor=current_user),
               form=form, done=_("Change approved.") if verb == "approve" else _("Change declined.")):
        return _to_detail(contract)
    return _render_detail(contract, (found.id, form))

