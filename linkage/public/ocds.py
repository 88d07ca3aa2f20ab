"""A purchase as Open Contracting Data Standard 1.1 releases, all under one ``ocid`` (the configured
prefix and the project's number): planning and tender when the project is published, a tender update
when the bidding closes (the bid count), the award when the award notice is out (with every ranked bid
and its price, through the bid extension), the signed contract (its installments as milestones) and its
implementation (payments as transactions, each tied to its installment's milestone through the
transaction milestones extension; evaluations as assessment milestones).

Plain functions from rows to dicts; what a release may say follows the public page's rules (never a
price before the award notice, never a person's name)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Optional

from flask import current_app
from flask_babel import force_locale

from linkage.models import Bid, BidStatus, Contract, Evaluation, Installment, Organization, Project, ProjectStatus
from linkage.projects import access
from linkage.public import queries

CURRENCY = "CNY"
LANGUAGE = "zh"
# The extensions the releases use (bids; transactions' related milestones), by their published URLs.
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_transaction_milestones_extension/"
    "1.1/extension.json",
]
PUBLISHER = "Linkage"

TENDER_STATUS = {ProjectStatus.published: "active", ProjectStatus.bidding_closed: "active",
                 ProjectStatus.evaluated: "active", ProjectStatus.cancelled: "cancelled",
                 ProjectStatus.failed: "unsuccessful"}
BID_STATUS = {BidStatus.won: "valid", BidStatus.lost: "valid"}


def ocid(project: Project) -> str:
    return f"{current_app.config['OCDS_PREFIX']}{project.id}"


def _date(value) -> str:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00Z"


def _value(amount: Decimal) -> dict:
    return {"amount": float(amount), "currency": CURRENCY}


# --------------------------------------------------------------------------- parties


def _buyer(project: Project) -> dict:
    region = project.region
    return {"id": f"linkage-region-{region.id}", "name": f"{region.name}民政部门"}


def _organization(org: Organization) -> dict:
    return {"id": f"linkage-org-{org.id}", "name": org.name}


def _parties(project: Project, *suppliers: Organization, tenderers=()) -> list[dict]:
    parties = [{**_buyer(project), "roles": ["buyer", "procuringEntity", "payer"]}]
    roles: dict[int, tuple] = {}
    for org in tenderers:
        roles[org.id] = (org, ["tenderer"])
    for org in suppliers:
        roles[org.id] = (org, [*roles.get(org.id, (org, []))[1], "supplier", "payee"])
    parties += [{**_organization(org), "roles": r} for org, r in roles.values()]
    return parties


def _compact(value):
    """Without empty strings, lists and objects (the standard asks that a field without a value be left out)."""
    if isinstance(value, dict):
        value = {key: _compact(item) for key, item in value.items()}
        return {key: item for key, item in value.items() if item not in ("", [], {}, None)}
    if isinstance(value, list):
        return [item for item in (_compact(item) for item in value) if item not in ("", [], {}, None)]
    return value


def _release(project: Project, stage: str, tag: str, date, **content) -> dict:
    return _compact({"ocid": ocid(project), "id": f"{ocid(project)}-{stage}", "date": _date(date), "tag": [tag],
                     "initiationType": "tender", "language": LANGUAGE, "buyer": _buyer(project), **content})


# --------------------------------------------------------------------------- planning and tender


def _planning(project: Project) -> dict:
    return _release(project, "planning", "planning", queries.published_on(project), parties=_parties(project), planning={
        "rationale": project.description or project.title,
        "budget": {"description": project.title, "amount": _value(project.budget)}})


def _criteria_details(project: Project) -> str:
    price = round(project.price_weight * 100)
    with force_locale("zh_CN"):
        criteria = [f"{c.label} {c.weight} %" for c in project.criteria]
    parts = [f"价格 {price} %", f"技术 {100 - price} %（{'，'.join(criteria)}）" if criteria else f"技术 {100 - price} %"]
    return "；".join(parts)


def _tender(project: Project) -> dict:
    items = [{"id": str(c.id), "description": c.name,
              "classification": {"scheme": "linkage-category", "id": c.code, "description": c.name}}
             for c in project.categories]
    tender = {"id": f"{ocid(project)}-tender", "title": project.title, "description": project.description,
              "status": "active", "procuringEntity": _buyer(project), "items": items,
              "value": _value(project.budget), "procurementMethod": "open",
              "mainProcurementCategory": "services", "awardCriteria": "ratedCriteria",
              "awardCriteriaDetails": _criteria_details(project), "submissionMethod": ["electronicSubmission"],
              "tenderPeriod": {"startDate": _date(queries.published_on(project)), "endDate": _date(project.bidding_deadline)},
              "contractPeriod": {"startDate": _date(project.service_start), "endDate": _date(project.service_end)},
              "eligibilityCriteria": f"社会组织等级不低于 {project.min_grade}A，成立不少于 {project.min_years} 年"}
    return _release(project, "tender", "tender", queries.published_on(project), parties=_parties(project), tender=tender)


def _bids(project: Project, at: datetime) -> dict:
    """The bid extension's section: the count after the deadline, each ranked bid once the award notice is out."""
    count = queries.bid_count(project, at)
    section = {"statistics": [{"id": "bids", "measure": "bids", "value": count, "date": _date(project.bidding_deadline)}]}
    ranked = queries.ranking(project, at)
    if ranked:
        section["details"] = [{"id": str(bid.id), "date": _date(bid.submitted_at or bid.created_at),
                               "status": BID_STATUS[bid.status], "tenderers": [_organization(bid.organization)],
                               "value": _value(bid.price)} for _rank, bid in ranked]
    return section


def _tender_update(project: Project, at: datetime) -> Optional[dict]:
    """When the bidding closed: the number of bids (and, for a failed or cancelled tender, its end)."""
    if access.bidding_sealed(project, at) and project.status == ProjectStatus.published:
        return None
    status = TENDER_STATUS.get(project.status, "complete")
    tender = {"id": f"{ocid(project)}-tender", "status": status}
    content = {"tender": tender, "parties": _parties(project)}
    if not access.bidding_sealed(project, at):
        tender["numberOfTenderers"] = queries.bid_count(project, at)
        content["bids"] = {"statistics": _bids(project, at)["statistics"]}
    date = min(project.bidding_deadline, at)
    return _release(project, "tender-update", "tenderUpdate", date, **content)


# --------------------------------------------------------------------------- award, contract, implementation


def _award_id(project: Project) -> str:
    return f"{ocid(project)}-award"


def _award(project: Project, at: datetime) -> Optional[dict]:
    ranked = queries.ranking(project, at)
    winner: Optional[Bid] = next((bid for _rank, bid in ranked if bid.status == BidStatus.won), None)
    if winner is None or project.awarded_at is None:
        return None
    award = {"id": _award_id(project), "title": project.title, "status": "active", "date": _date(project.awarded_at),
             "value": _value(winner.price), "suppliers": [_organization(winner.organization)],
             "contractPeriod": {"startDate": _date(project.service_start), "endDate": _date(project.service_end)}}
    tenderers = [bid.organization for _rank, bid in ranked]
    return _release(project, "award", "award", project.awarded_at,
                    parties=_parties(project, winner.organization, tenderers=tenderers),
                    tender={"id": f"{ocid(project)}-tender", "status": "complete",
                            "numberOfTenderers": queries.bid_count(project, at)},
                    awards=[award], bids=_bids(project, at))


def _installment_milestone(installment: Installment) -> dict:
    with force_locale("zh_CN"):
        title = str(installment.milestone.label)
    milestone = {"id": f"installment-{installment.id}", "title": title, "type": "financing",
                 "description": f"合同金额的 {installment.percent} %：{installment.amount} 元",
                 "code": installment.milestone.value,
                 "status": "met" if installment.released else "scheduled"}
    if installment.released:
        milestone["dateMet"] = _date(installment.released_at)
    return milestone


def _contract_id(contract: Contract) -> str:
    return f"{ocid(contract.project)}-contract-{contract.id}"


def _contract(project: Project, contract: Contract) -> dict:
    status = "terminated" if project.status in queries.DONE_STATUSES else "active"
    body = {"id": _contract_id(contract), "awardID": _award_id(project), "title": project.title, "status": status,
            "period": {"startDate": _date(contract.term_start), "endDate": _date(contract.term_end)},
            "value": _value(contract.amount), "dateSigned": _date(contract.signed_at),
            "milestones": [_installment_milestone(i) for i in contract.installments]}
    return _release(project, "contract", "contract", contract.signed_at,
                    parties=_parties(project, contract.organization), contracts=[body])


def _evaluation_milestone(evaluation: Evaluation) -> dict:
    with force_locale("zh_CN"):
        title = str(evaluation.kind.label)
    satisfaction = "—" if evaluation.satisfaction is None else f"{evaluation.satisfaction:.2f}"
    return {"id": f"evaluation-{evaluation.id}", "title": title, "type": "assessment",
            "status": "met" if evaluation.passed else "notMet", "dateMet": _date(evaluation.created_at),
            "description": f"评估得分 {evaluation.score:g}；服务目标完成 {evaluation.targets_met:g} %；"
                           f"居民满意度 {satisfaction}（{evaluation.ratings} 条评价）"}


def _transactions(project: Project, contract: Contract) -> list[dict]:
    transactions = []
    for installment in contract.installments:
        payment = installment.payment
        if payment is None:
            continue
        milestone = _installment_milestone(installment)
        transactions.append({
            "id": f"payment-{payment.id}", "date": _date(payment.approved_at), "value": _value(payment.amount),
            "payer": _buyer(project), "payee": _organization(contract.organization),
            "relatedImplementationMilestone": {"id": milestone["id"], "title": milestone["title"]}})
    return transactions


def _implementation(project: Project, contract: Contract) -> Optional[dict]:
    transactions = _transactions(project, contract)
    evaluations = queries.evaluations(project)
    if not transactions and not evaluations:
        return None
    dates = [i.payment.approved_at for i in contract.installments if i.payment is not None]
    dates += [e.created_at for e in evaluations]
    milestones = [_installment_milestone(i) for i in contract.installments]
    milestones += [_evaluation_milestone(e) for e in evaluations]
    body = {"id": _contract_id(contract), "awardID": _award_id(project),
            "implementation": {"transactions": transactions, "milestones": milestones}}
    return _release(project, "implementation", "implementation", max(dates),
                    parties=_parties(project, contract.organization), contracts=[body])


# --------------------------------------------------------------------------- packages


def releases(project: Project, at: datetime) -> list[dict]:
    """The purchase's releases so far, oldest first (none for a project that is not public)."""
    if not queries.is_public(project):
        return []
    found = [_planning(project), _tender(project), _tender_update(project, at), _award(project, at)]
    contract = queries.signed_contract(project)
    if contract is not None and queries.ranking(project, at):
        found += [_contract(project, contract), _implementation(project, contract)]
    return [release for release in found if release is not None]


def _package(project: Project, at: datetime, uri: str) -> dict:
    return {"uri": uri, "version": "1.1", "publishedDate": _date(at), "publisher": {"name": PUBLISHER},
            "extensions": list(EXTENSIONS)}


def release_package(project: Project, at: datetime, uri: str) -> dict:
    return {**_package(project, at, uri), "releases": releases(project, at)}


def record_package(project: Project, at: datetime, uri: str, releases_uri: str) -> dict:
    """The record of the purchase: its releases embedded, under its ocid; ``releases_uri`` is their package's."""
    return {**_package(project, at, uri), "packages": [releases_uri],
            "records": [{"ocid": ocid(project), "releases": releases(project, at)}]}
