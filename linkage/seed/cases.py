"""The demo's cases: the demo social worker's caseload in different stages, written through the case
services as of the day each step happened (``demo.later``), so the supervisor ``supervisor`` (a senior
social worker of the same organization) has a request to decide, a task is due, one is overdue, and a
referral nobody answered is flagged."""
from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Optional

import sqlalchemy as sa

from linkage.cases import queries as case_queries, services as case_services
from linkage import audit
from linkage.extensions import db
from linkage.models import Case, CaseStatus, Need, NeedStatus, NoteKind, Shift, ShiftStatus, SocialWorker, User
from linkage.models.cases import case_needs
from linkage.organizations import services as org_services

# The demo's signed consent form: a one-page PDF (stored encrypted like any case document).
CONSENT_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
               b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
               b"trailer << /Root 1 0 R >>\n%%EOF\n")

# Each story: (days ago it opened, [(days ago, step, words)]): a step is one call of the case services.
STORIES = [
    ("closed", 75, [(74, "advance", ""), (73, "note:visit", "首次家访：老人独居，行动不便，子女在外地。"),
                    (72, "ask", "评估完成：需要每周探访和助餐，居家环境有跌倒风险。"), (71, "approve", "同意评估结论。"),
                    (69, "ask", "服务计划：每周两次志愿者探访，每日助餐，加装扶手。"), (68, "approve", "计划可行。"),
                    (60, "service", "志愿者上门探访并协助加装扶手"), (30, "advance", ""),
                    (28, "ask", "目标已达成，老人同意结案，转入社区常规关怀。"), (27, "approve", "同意结案。")]),
    ("services", 40, [(39, "advance", ""), (38, "note:visit", "家访：老人情绪低落，提到邻里矛盾。"),
                      (38, "document", "服务知情同意书"),
                      (36, "ask", "评估：独居、轻度抑郁倾向，需要心理支持和邻里调解。"), (35, "approve", "同意。"),
                      (33, "ask", "服务计划：每两周心理陪伴一次，联系调解员介入邻里矛盾。"),
                      (32, "send_back", "请补充紧急联系人和随访频率。"),
                      (31, "ask", "服务计划（修订）：每两周心理陪伴，每月电话随访，已登记紧急联系人。"),
                      (30, "approve", "可以执行。"), (20, "service", "心理陪伴服务一次"),
                      (6, "refer", "需要法律援助，咨询房屋租赁纠纷。"),
                      (3, "service", "志愿者陪同老人复诊并协助取药"),
                      (2, "note:call", "电话随访：老人状态平稳，邻里调解已约定时间。")]),
    ("waiting", 12, [(11, "advance", ""), (10, "note:visit", "家访：家庭照护压力大，需要喘息服务。"),
                     (2, "ask", "评估：照护者长期疲劳，建议每周喘息服务和照护技能培训。")]),
    ("overdue", 10, []),
]


def _worker_user(worker: SocialWorker) -> User:
    return db.session.get(User, worker.user_id)


def _need_for(worker: SocialWorker) -> Optional[Need]:
    """The longest-waiting open professional need of a resident without an open case."""
    in_case = sa.select(case_needs.c.need_id)
    for need in db.session.scalars(sa.select(Need).where(
            Need.needs_professional.is_(True), Need.status == NeedStatus.open, Need.case_worker_id.is_(None),
            Need.id.not_in(in_case)).order_by(Need.verified_at, Need.id)):
        if case_queries.open_case_of(need.resident_id) is None:
            return need
    return None


def _assign(demo, need: Need, worker: SocialWorker) -> None:
    """The district's case run gave the need to the worker: the seed runs no case run, so it records what
    the run's approval records on the need (as ``_take_up`` does for the needs' own history)."""
    before = audit.snapshot(need, "status", "case_worker_id")
    need.case_worker_id, need.status, need.matched_at = worker.id, NeedStatus.matched, case_services.now()
    audit.record(db.session.get(User, demo.users["civil"]), "need.assign_case", need, before=before,
                 after=audit.snapshot(need, "status", "case_worker_id"))


def _open(demo, opened: dict, key: str, worker_id: int) -> None:
    worker = db.session.get(SocialWorker, worker_id)
    need = _need_for(worker)
    if need is None:
        return
    _assign(demo, need, worker)
    opened[key] = case_services.open_case([need], worker, actor=_worker_user(worker)).id


def _shift_for(case: Case) -> Optional[Shift]:
    """A shift of the case's organization, one where volunteers held places when there is such a shift."""
    shifts = [s for s in case_queries.service_shifts(case) if s.status != ShiftStatus.cancelled]
    helped = {shift.id for _, shift in case_queries.service_helpers(shifts)}
    return next((s for s in shifts if s.id in helped), shifts[0] if shifts else None)


def _colleague(demo, *taken: int) -> Optional[SocialWorker]:
    """An active social worker of the demo worker's organization other than ``taken``."""
    org_id = db.session.get(SocialWorker, demo.demo_worker_id).organization_id
    return db.session.scalar(sa.select(SocialWorker).where(
        SocialWorker.organization_id == org_id, SocialWorker.active.is_(True), SocialWorker.id.not_in(taken))
        .order_by(SocialWorker.id).limit(1))


def _give_login(demo, worker_id: int, username: str, password: str) -> None:
    """The organization's admin gives a colleague a log-in (the one the referral names)."""
    worker = db.session.get(SocialWorker, worker_id)
    if worker.user_id is None and worker.active:
        org_services.create_worker_login(worker, username, password,
                                         actor=db.session.get(User, demo.users["orgadmin"]))


def _step(opened: dict, key: str, supervisor_id: int, referred_id: Optional[int], step: str, words: str) -> None:
    case_id = opened.get(key)
    case = db.session.get(Case, case_id) if case_id else None
    if case is None or case.status != CaseStatus.open:
        return
    owner = _worker_user(case.owner)
    supervisor = db.session.get(User, supervisor_id)
    moment = case_services.now()
    if step == "advance":
        case_services.advance(case, actor=owner)
    elif step.startswith("note:"):
        case_services.add_note(case, actor=owner, kind=NoteKind(step[5:]), happened_at=moment - timedelta(hours=2),
                               text=words)
    elif step == "ask":
        case_services.request_approval(case, actor=owner, summary=words)
    elif step in ("approve", "send_back"):
        case_services.decide(case, actor=supervisor, approve=step == "approve", comment=words)
    elif step == "service":
        shift = _shift_for(case)
        helpers = [volunteer for volunteer, _ in case_queries.service_helpers([shift] if shift else [])][:2]
        case_services.record_service(case, actor=owner, description=words, delivered_at=moment - timedelta(hours=3),
                                     shift=shift, volunteers=helpers)
    elif step == "document":
        case_services.upload_document(case, actor=owner, title=words, file_name="consent.pdf", content=CONSENT_PDF)
    elif step == "refer" and referred_id:
        case_services.refer(case, actor=owner, worker=db.session.get(SocialWorker, referred_id), reason=words)


def plan_cases(demo, supervisor_worker_id: int, password: str) -> None:
    """Keep the demo worker's case stories for ``demo.later`` (run with the rest of the history)."""
    worker = db.session.get(SocialWorker, demo.demo_worker_id)
    supervisor_user_id = db.session.get(SocialWorker, supervisor_worker_id).user_id
    colleague = _colleague(demo, worker.id, supervisor_worker_id)
    referred_id = colleague.id if colleague else None
    if colleague is not None:
        demo.later(demo.now - timedelta(days=90), partial(_give_login, demo, colleague.id, "worker02", password))
    opened: dict[str, int] = {}
    for key, days_ago, steps in STORIES:
        demo.later(demo.now - timedelta(days=days_ago), partial(_open, demo, opened, key, worker.id))
        for order, (step_days_ago, step, words) in enumerate(steps):
            moment = demo.now - timedelta(days=step_days_ago, minutes=-order)
            demo.later(moment, partial(_step, opened, key, supervisor_user_id, referred_id, step, words))
    demo.counts["cases"] = len(STORIES)
