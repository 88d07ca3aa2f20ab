"""Contract rules: drawing up and signing, renewal, installments and payments, evaluations, the delivery
workspace (documents, change requests).

Every function takes the acting user, flushes and never commits; a refused action raises ``Refused``
before anything is written. A contract's row is locked (``SELECT … FOR UPDATE``) before its state is
checked, so two staff members never pay one installment twice nor record two verdicts at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from linkage import audit, uploads
from linkage.contracts import access, queries
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import (Bid, BidStatus, ChangeKind, ChangeRequest, ChangeStatus, Contract, ContractStatus,
                            Document, DocumentKind, Evaluation, EvaluationKind, Installment, Milestone, Payment,
                            Project, ProjectStatus, SocialWorker, User)
from linkage.notifications import link, notify
from linkage.organizations.queries import organization_users
from linkage.organizations.services import add_years
from linkage.projects import services as project_services
from linkage.timeutil import now, today

CENT = Decimal("0.01")
TERM_YEARS = 1                 # a contract runs one year ...
MAX_TERM_YEARS = project_services.MAX_TERM_YEARS   # ... renewed, up to three in all
DEFAULT_SHARES = {Milestone.signing: 30, Milestone.midterm: 40, Milestone.final: 30}
_CONTRACT_FIELDS = ("status", "amount", "term_start", "term_end", "renewals", "target_residents", "target_visits",
                    "target_hours", "evaluator_id")


def _lock(contract: Contract) -> Contract:
    return db.session.execute(
        sa.select(Contract).where(Contract.id == contract.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _lock_project(project: Project) -> Project:
    return db.session.execute(
        sa.select(Project).where(Project.id == project.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _snapshot(contract: Contract) -> dict:
    return {**audit.snapshot(contract, *_CONTRACT_FIELDS),
            "installments": [[i.milestone.value, i.percent, str(i.amount)] for i in contract.installments]}


def _record(actor: User, action: str, subject, contract: Contract, **kwargs) -> None:
    audit.record(actor, action, subject, region_id=contract.region_id, **kwargs)


def winning_bid(project: Project) -> Optional[Bid]:
    return db.session.scalar(sa.select(Bid).where(Bid.project_id == project.id, Bid.status == BidStatus.won))


# --------------------------------------------------------------------------- drawing up and signing


@dataclass
class ContractData:
    amount: Optional[Decimal]
    term_start: Optional[date]
    shares: dict                  # Milestone → whole percent
    target_residents: Optional[int] = None   # None: the project's
    target_visits: Optional[int] = None
    target_hours: Optional[int] = None


def default_data(project: Project) -> ContractData:
    """What the contract form starts from: the winning price, a year from the service start, 30/40/30,
    the project's targets."""
    bid = winning_bid(project)
    return ContractData(amount=bid.price if bid is not None else None, term_start=project.service_start,
                        shares=dict(DEFAULT_SHARES), target_residents=project.target_beneficiaries,
                        target_visits=project.target_visits, target_hours=project.target_hours)


def _check_data(project: Project, bid: Bid, data: ContractData) -> None:
    if data.amount is None or not Decimal(0) < data.amount <= project_services.MAX_BUDGET:
        raise Refused(_l("Enter an amount above zero."), field="amount")
    if data.amount > project.budget:
        raise Refused(_l("The amount may not exceed the budget of %(budget)s.",
                         budget=project_services.money_text(project.budget)), field="amount")
    if data.term_start is None:
        raise Refused(_l("Enter the day the contract starts."), field="term_start")
    if any(value is None or not 0 <= value <= 100 for value in data.shares.values()):
        raise Refused(_l("Each installment is from 0 to 100 %."), field="share_signing")
    total = sum(data.shares.values())
    if total != 100:
        raise Refused(_l("The installments add up to %(total)s %%; they must add up to 100 %%.", total=total),
                      field="share_signing")
    for name in ("target_residents", "target_visits", "target_hours"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 10**7:
            raise Refused(_l("This number is out of range."), field=name)


def _installments(amount: Decimal, shares: dict) -> list[Installment]:
    """Installments of the shares given (none for a share of 0); the last takes the rounding cents."""
    kept = [(milestone, shares[milestone]) for milestone in Milestone if shares.get(milestone)]
    installments, left = [], amount
    for position, (milestone, percent) in enumerate(kept):
        part = (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        part = left if position == len(kept) - 1 else part
        left -= part
        installments.append(Installment(position=position, milestone=milestone, percent=percent, amount=part))
    return installments


def create_contract(project: Project, data: ContractData, *, actor: User) -> Contract:
    """Civil affairs draw up the contract of an awarded project; the organization's admin signs it."""
    project = _lock_project(project)
    if project.status != ProjectStatus.awarded:
        raise Refused(_l("A contract is drawn up for an awarded project (this one is \"%(status)s\").",
                         status=project.status.label))
    if queries.contract_of(project) is not None:
        raise Refused(_l("This project already has a contract."))
    bid = winning_bid(project)
    if bid is None:
        raise Refused(_l("This project has no winning bid."))
    _check_data(project, bid, data)
    contract = Contract(
        project=project, bid=bid, organization_id=bid.organization_id, region_id=project.region_id,
        status=ContractStatus.draft, amount=Decimal(data.amount).quantize(CENT), term_start=data.term_start,
        term_end=add_years(data.term_start, TERM_YEARS), created_by_id=actor.id,
        target_residents=_or(data.target_residents, project.target_beneficiaries),
        target_visits=_or(data.target_visits, project.target_visits),
        target_hours=_or(data.target_hours, project.target_hours))
    contract.installments = _installments(contract.amount, data.shares)
    contract.team = list(bid.team)
    db.session.add(contract)
    db.session.flush()
    _record(actor, "contract.create", contract, contract, after=_snapshot(contract))
    notify(organization_users(bid.organization), "contract_to_sign",
           link=link("contracts.detail", contract_id=contract.id), title=project.title)
    return contract


def _or(value: Optional[int], default: int) -> int:
    return default if value is None else value


def _release(installment: Installment, actor: User, contract: Contract) -> None:
    if installment.released:
        return
    installment.released_at = now()
    db.session.flush()
    _record(actor, "installment.release", installment, contract,
            after={"milestone": installment.milestone.value, "amount": str(installment.amount)})


def _installment(contract: Contract, milestone: Milestone) -> Optional[Installment]:
    return next((i for i in contract.installments if i.milestone == milestone), None)


def sign_contract(contract: Contract, *, actor: User) -> None:
    """The organization's admin confirms and signs: the project becomes contracted (through the project
    rules, which decide when a contract may be signed) and the signing installment is due."""
    contract = _lock(contract)
    if not access.can_sign(actor, contract):
        raise Refused(_l("Only the contracted organization's admin signs, once."))
    project_services.mark_contracted(contract.project, actor=actor)
    before = audit.snapshot(contract, "status")
    contract.status, contract.signed_by_id, contract.signed_at = ContractStatus.signed, actor.id, now()
    db.session.flush()
    _record(actor, "contract.sign", contract, contract, before=before, after=audit.snapshot(contract, "status"))
    signing = _installment(contract, Milestone.signing)
    if signing is not None:
        _release(signing, actor, contract)


def renew_contract(contract: Contract, *, actor: User) -> None:
    """One more year, up to three in all, each only after an evaluation passed since the last renewal."""
    contract = _lock(contract)
    if contract.status != ContractStatus.signed:
        raise Refused(_l("Only a signed contract can be renewed."))
    new_end = add_years(contract.term_end, 1)
    if new_end > add_years(contract.term_start, MAX_TERM_YEARS):
        raise Refused(_l("A contract runs three years at most; it cannot be renewed again."))
    since = contract.renewed_at or contract.signed_at
    if not any(e.passed and e.created_at > since for e in contract.evaluations):
        raise Refused(_l("A renewal needs an evaluation passed since the contract was signed or last renewed."))
    before = audit.snapshot(contract, "term_end", "renewals")
    contract.term_end, contract.renewals, contract.renewed_at = new_end, contract.renewals + 1, now()
    db.session.flush()
    _record(actor, "contract.renew", contract, contract, before=before,
            after=audit.snapshot(contract, "term_end", "renewals"))


def assign_evaluator(contract: Contract, evaluator: Optional[User], *, actor: User) -> None:
    """Civil affairs name the expert (panel member or third-party evaluator) who evaluates the contract."""
    contract = _lock(contract)
    if evaluator is None or evaluator not in queries.evaluator_choices(contract):
        raise Refused(_l("Choose an expert evaluator of the project's area."), field="evaluator")
    before = audit.snapshot(contract, "evaluator_id")
    contract.evaluator_id = evaluator.id
    db.session.flush()
    _record(actor, "contract.assign_evaluator", contract, contract, before=before,
            after=audit.snapshot(contract, "evaluator_id"))
    notify([evaluator], "contract_evaluator", link=link("contracts.detail", contract_id=contract.id),
           title=contract.project.title)


# --------------------------------------------------------------------------- payments


def record_payment(installment: Installment, *, actor: User) -> Payment:
    """Civil affairs record that an installment was paid, once its milestone is reached."""
    contract = _lock(installment.contract)
    if not access.can_manage_contract(actor, contract):
        raise Refused(_l("Only the civil affairs staff who manage the project record payments."))
    installment = db.session.execute(sa.select(Installment).where(Installment.id == installment.id)
                                     .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if installment.payment is not None:
        raise Refused(_l("This installment was already paid."))
    if not installment.released:
        raise Refused(_l("This installment is due %(milestone)s; that milestone has not been reached.",
                         milestone=str(installment.milestone.label).lower()))
    payment = Payment(installment=installment, amount=installment.amount, approved_by_id=actor.id, approved_at=now())
    db.session.add(payment)
    db.session.flush()
    _record(actor, "payment.record", payment, contract,
            after={"installment_id": installment.id, "milestone": installment.milestone.value,
                   "amount": str(payment.amount)})
    return payment


# --------------------------------------------------------------------------- evaluations

# Which project status an evaluation may be entered in, and where a passed one takes the project.
EVALUATION_STEPS = {
    EvaluationKind.midterm: ((ProjectStatus.contracted, ProjectStatus.in_progress), Milestone.midterm),
    EvaluationKind.final: ((ProjectStatus.midterm_evaluated, ProjectStatus.completed), Milestone.final),
}


@dataclass
class EvaluationData:
    score: Optional[float]
    passed: bool
    financial_note: str = ""
    comment: str = ""


def _check_evaluation(contract: Contract, kind: EvaluationKind, data: EvaluationData, actor: User) -> None:
    if not access.is_evaluator(actor, contract):
        raise Refused(_l("Only the expert assigned to evaluate this contract enters its evaluations."))
    if contract.status != ContractStatus.signed:
        raise Refused(_l("The contract is not signed yet."))
    allowed, _milestone = EVALUATION_STEPS[kind]
    if contract.project.status not in allowed:
        raise Refused(_l("A %(kind)s cannot be entered while the project is \"%(status)s\".",
                         kind=str(kind.label).lower(), status=contract.project.status.label))
    if data.score is None or not 0 <= data.score <= 100:
        raise Refused(_l("The score is from 0 to 100."), field="score")


def _move_project(project: Project, target: ProjectStatus, action: str, actor: User) -> None:
    before = audit.snapshot(project, "status")
    project.status = target
    db.session.flush()
    audit.record(actor, action, project, before=before, after=audit.snapshot(project, "status"))


def evaluate(contract: Contract, kind: EvaluationKind, data: EvaluationData, *, actor: User) -> Evaluation:
    """The assigned evaluator's mid-term check or final evaluation. The targets met, the residents'
    satisfaction and the share of the money paid are computed from the platform's records; a pass
    releases the matching installment and moves the project on (mid-term evaluated; completed, then final
    evaluated). A failed final evaluation still closes the project and bars the organization's bids for
    a while (``FAILED_EVALUATION_BAR_YEARS``)."""
    contract = _lock(contract)
    project = _lock_project(contract.project)
    _check_evaluation(contract, kind, data, actor)
    figures = queries.progress(project, contract)
    spent = queries.spending(project, contract)
    evaluation = Evaluation(
        contract=contract, organization_id=contract.organization_id, kind=kind, evaluator_id=actor.id,
        targets_met=figures.targets_met, satisfaction=figures.satisfaction, ratings=figures.ratings,
        spent_share=float(spent.paid_of_amount), financial_note=(data.financial_note or "").strip(),
        score=float(data.score), passed=bool(data.passed), comment=(data.comment or "").strip(), created_at=now())
    db.session.add(evaluation)
    db.session.flush()
    _record(actor, f"evaluation.{kind.value}", evaluation, contract,
            after=audit.snapshot(evaluation, "targets_met", "satisfaction", "ratings", "spent_share",
                                 "score", "passed"), note=evaluation.comment)
    _, milestone = EVALUATION_STEPS[kind]
    if kind == EvaluationKind.midterm and evaluation.passed:
        _move_project(project, ProjectStatus.midterm_evaluated, "project.midterm", actor)
    if kind == EvaluationKind.final:
        if project.status != ProjectStatus.completed:
            _move_project(project, ProjectStatus.completed, "project.complete", actor)
        _move_project(project, ProjectStatus.final_evaluated, "project.final", actor)
    installment = _installment(contract, milestone)
    if evaluation.passed and installment is not None:
        _release(installment, actor, contract)
    notify(organization_users(contract.organization), "contract_evaluated",
           link=link("contracts.detail", contract_id=contract.id), title=project.title)
    return evaluation


# --------------------------------------------------------------------------- documents

AREA = "contracts"   # documents' folder under the instance's uploads (linkage/uploads.py); stored in clear
SIGNATURES = uploads.SIGNATURES
size_limit = uploads.size_limit


def upload_folder() -> str:
    return uploads.folder(AREA)


def stored_path(document: Document) -> str:
    """Where a document's bytes live: the instance folder and a random name, never a user's path."""
    return uploads.stored_path(AREA, document.stored_name)


@dataclass
class Upload:
    file_name: str
    content: bytes               # at most the size limit plus one byte (the view reads no more)
    kind: DocumentKind = DocumentKind.report
    title: str = ""


def _check_upload(upload: Upload) -> str:
    """The file's extension, or Refused (``uploads.check``)."""
    return uploads.check(upload.file_name, upload.content)


def upload_document(contract: Contract, upload: Upload, *, actor: User) -> Document:
    """Store a report or document of the organization's delivery under a random name in the instance folder."""
    contract = _lock(contract)
    if not access.can_deliver(actor, contract):
        raise Refused(_l("Only the contracted organization uploads, once the contract is signed."))
    title = (upload.title or "").strip()
    if not title:
        raise Refused(_l("Give the document a title."), field="title")
    extension = _check_upload(upload)
    document = Document(contract=contract, kind=upload.kind, title=title, file_name=upload.file_name.strip(),
                        extension=extension, stored_name=uploads.new_name(), size=len(upload.content),
                        uploaded_by_id=actor.id, uploaded_at=now())
    uploads.store_with_row(AREA, document, upload.content)
    _record(actor, "document.upload", document, contract,
            after=audit.snapshot(document, "title", "file_name", "size"))
    return document


# --------------------------------------------------------------------------- change requests


@dataclass
class ChangeData:
    kind: Optional[ChangeKind]
    description: str
    new_end: Optional[date] = None                 # a schedule change: the day the service is to end
    team: list[SocialWorker] = field(default_factory=list)   # a team change: the whole new team


def _team_ids(team) -> list[int]:
    return sorted(worker.id for worker in team)


def _check_schedule(contract: Contract, new_end: Optional[date]) -> None:
    if new_end is None:
        raise Refused(_l("Give the day the service is to end."), field="new_end")
    if new_end < today():
        raise Refused(_l("The new end may not be in the past."), field="new_end")
    if new_end <= contract.term_start:
        raise Refused(_l("The new end comes after the start of the term (%(start)s).",
                         start=contract.term_start.isoformat()), field="new_end")
    if new_end > add_years(contract.term_start, MAX_TERM_YEARS):
        raise Refused(_l("A contract runs three years at most."), field="new_end")
    if new_end == contract.term_end:
        raise Refused(_l("That is already the end of the term."), field="new_end")


def _check_team(contract: Contract, team: list[SocialWorker]) -> None:
    project = contract.project
    if any(worker.organization_id != contract.organization_id or not worker.active for worker in team):
        raise Refused(_l("The team is made of your organization's active social workers."), field="team")
    have = project_services.qualified_count(project, team)
    if have < max(project.required_workers, 1):
        raise Refused(_l("This project needs at least %(n)s social workers at the level \"%(level)s\" or "
                         "above; the team has %(have)s.", n=max(project.required_workers, 1),
                         level=project.required_worker_level.label, have=have), field="team")
    if _team_ids(team) == _team_ids(contract.team):
        raise Refused(_l("That is already the contract's team."), field="team")


def _check_change(contract: Contract, kind: ChangeKind, new_end: Optional[date], team: list[SocialWorker]) -> None:
    """What a change asks for is possible now: checked when it is asked for and again when it is approved."""
    if kind == ChangeKind.schedule:
        _check_schedule(contract, new_end)
    else:
        _check_team(contract, team)


def request_change(contract: Contract, data: ChangeData, *, actor: User) -> ChangeRequest:
    contract = _lock(contract)
    if not access.can_request_change(actor, contract):
        raise Refused(_l("Only the contracted organization's admin asks for changes, once the contract is signed."))
    if data.kind is None:
        raise Refused(_l("Choose what is to change."), field="kind")
    description = (data.description or "").strip()
    if not description:
        raise Refused(_l("Describe the change and why it is needed."), field="description")
    _check_change(contract, data.kind, data.new_end, data.team)
    schedule = data.kind == ChangeKind.schedule
    change = ChangeRequest(contract=contract, kind=data.kind, description=description, requested_by_id=actor.id,
                           requested_at=now(), new_end=data.new_end if schedule else None,
                           team=[] if schedule else list(data.team))
    db.session.add(change)
    db.session.flush()
    _record(actor, "change.request", change, contract, after=_change_snapshot(change), note=description)
    return change


def _change_snapshot(change: ChangeRequest) -> dict:
    wanted = {"new_end": change.new_end.isoformat()} if change.kind == ChangeKind.schedule else {"team": _team_ids(change.team)}
    return {**audit.snapshot(change, "status"), **wanted}


def _terms(contract: Contract) -> dict:
    return {**audit.snapshot(contract, "term_end"), "team": _team_ids(contract.team)}


def apply_change(change: ChangeRequest, contract: Contract, *, actor: User) -> None:
    """An approved change made: the contract's end or its team becomes what the request asked for."""
    _check_change(contract, change.kind, change.new_end, change.team)
    before = _terms(contract)
    if change.kind == ChangeKind.schedule:
        contract.term_end = change.new_end
    else:
        contract.team = list(change.team)
    db.session.flush()
    _record(actor, "contract.change", contract, contract, before=before, after=_terms(contract))


def decide_change(change: ChangeRequest, approve: bool, note: str, *, actor: User) -> None:
    contract = _lock(change.contract)
    if not access.can_manage_contract(actor, contract):
        raise Refused(_l("Only the civil affairs staff who manage the project decide changes."))
    change = db.session.execute(sa.select(ChangeRequest).where(ChangeRequest.id == change.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    if change.status != ChangeStatus.pending:
        raise Refused(_l("This change request was already decided."))
    note = (note or "").strip()
    if not approve and not note:
        raise Refused(_l("Give the reason; the organization is told."), field="reason")
    if approve:
        apply_change(change, contract, actor=actor)
    before = audit.snapshot(change, "status")
    change.status = ChangeStatus.approved if approve else ChangeStatus.declined
    change.decided_by_id, change.decided_at, change.decision_note = actor.id, now(), note
    db.session.flush()
    _record(actor, "change.approve" if approve else "change.decline", change, contract, before=before,
            after=audit.snapshot(change, "status"), note=note)
    notify(organization_users(contract.organization), "change_decided",
           link=link("contracts.detail", contract_id=contract.id), title=contract.project.title)
