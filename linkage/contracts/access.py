"""Who may see and act on a contract: the one place for these rules.

Civil affairs staff who manage the project draw up the contract, record payments, assign the evaluator
and decide change requests; the contracted organization's members see it and deliver (its admin signs
and asks for changes); the expert assigned as evaluator sees it and enters the evaluations."""
from __future__ import annotations

import sqlalchemy as sa

from linkage.models import Contract, ContractStatus, Region, Role, User
from linkage.projects.access import ORG_ROLES, can_manage_project


def can_manage_contract(user: User, contract: Contract) -> bool:
    return can_manage_project(user, contract.project)


def is_contractor(user: User, contract: Contract) -> bool:
    """A member (admin or social worker) of the contracted organization."""
    return (user.role in ORG_ROLES and user.organization_id is not None
            and user.organization_id == contract.organization_id)


def is_evaluator(user: User, contract: Contract) -> bool:
    return user.role == Role.expert and contract.evaluator_id is not None and contract.evaluator_id == user.id


def can_view_contract(user: User, contract: Contract) -> bool:
    return can_manage_contract(user, contract) or is_contractor(user, contract) or is_evaluator(user, contract)


def can_sign(user: User, contract: Contract) -> bool:
    """The contracted organization's admin confirms and signs a contract waiting for signature."""
    return (user.role == Role.org_admin and is_contractor(user, contract)
            and contract.status == ContractStatus.draft)


def can_deliver(user: User, contract: Contract) -> bool:
    """Upload reports and documents: the organization's members, once the contract is signed."""
    return is_contractor(user, contract) and contract.status == ContractStatus.signed


def can_request_change(user: User, contract: Contract) -> bool:
    return user.role == Role.org_admin and can_deliver(user, contract)


def can_evaluate(user: User, contract: Contract) -> bool:
    return is_evaluator(user, contract) and contract.status == ContractStatus.signed


def visible_contracts(user: User):
    """SQL condition on ``Contract`` joined with its ``Region``: the contracts ``user`` may read."""
    if user.role == Role.admin:
        return sa.true()
    if user.role == Role.civil_affairs and user.region is not None:
        return Region.path.startswith(user.region.path)
    if user.role in ORG_ROLES and user.organization_id is not None:
        return Contract.organization_id == user.organization_id
    if user.role == Role.expert:
        return Contract.evaluator_id == user.id
    return sa.false()
