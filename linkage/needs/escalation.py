"""Overdue needs: flagged to the community at their response target, escalated to the street a second
period later (``ESCALATION_AFTER_HOURS``), and expired when nobody took them up (``NEED_EXPIRY_DAYS``
after submission, or when their time window has ended).

:func:`check` is a background job: the worker (or, without Redis, the web process) runs it every
ESCALATION_INTERVAL_SECONDS (``linkage.jobs.SCHEDULE``), and ``flask needs escalate`` runs it by hand or
from cron. Each step is recorded on the need (``overdue_at``, ``escalated_at``, the expired status) under a
row lock, in the transaction that writes its audit event and notifications, so a rerun, or two runs at
once, never does it twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from linkage import audit, notifications, settings, timeutil
from linkage.extensions import db
from linkage.models import AccountStatus, Need, NeedStatus, RegionLevel, Role, User
from linkage.models.needs import EXPIRABLE
from linkage.needs import services
from linkage.needs.targets import Targets
from linkage.notifications import link

log = logging.getLogger(__name__)
# The system's own note on an expired need (shown in the reader's language by ``linkage.audit_text``).
EXPIRY_NOTE = "not taken up in time"


@dataclass
class Outcome:
    flagged: int = 0
    escalated: int = 0
    expired: int = 0

    def __str__(self) -> str:
        return f"{self.flagged} flagged, {self.escalated} escalated, {self.expired} expired"


def _staff(role: Role, region) -> list[User]:
    if region is None:
        return []
    return list(db.session.scalars(sa.select(User).where(User.role == role, User.region_id == region.id,
                                                         User.status == AccountStatus.active)))


def _locked(need_id: int) -> Need:
    return db.session.scalars(sa.select(Need).where(Need.id == need_id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def flag_overdue(need: Need, hours: int, now: datetime) -> bool:
    """Mark a need still waiting for the community's response as past its target; tell the community."""
    need = _locked(need.id)
    if need.status != NeedStatus.submitted or need.overdue_at is not None:
        return False
    need.overdue_at = now
    audit.record(None, "need.flag_overdue", need, before={"status": need.status, "overdue_at": None},
                 after={"status": need.status, "overdue_at": now, "target_hours": hours})
    community = need.region.ancestor_at(RegionLevel.community)
    notifications.notify(_staff(Role.community_staff, community), "need_overdue",
                         link=link("community.need_detail", need_id=need.id), title=need.title, hours=hours)
    return True


def escalate(need: Need, after_hours: int, now: datetime) -> bool:
    """Escalate a flagged need still without a response to the street's civil affairs staff."""
    need = _locked(need.id)
    if need.status != NeedStatus.submitted or need.overdue_at is None or need.escalated_at is not None:
        return False
    need.escalated_at = now
    audit.record(None, "need.escalate", need, before={"status": need.status, "escalated_at": None},
                 after={"status": need.status, "escalated_at": now})
    community = need.region.ancestor_at(RegionLevel.community)
    street = need.region.street()
    notifications.notify(_staff(Role.civil_affairs, street), "need_escalated",
                         link=link("community.need_detail", need_id=need.id), title=need.title,
                         community=community.name if community is not None else "", hours=after_hours)
    return True


def _expiry_due(need: Need, now: datetime, expiry: timedelta) -> bool:
    return (need.window_end is not None and need.window_end <= now) or need.created_at + expiry <= now


def check(now: Optional[datetime] = None) -> Outcome:
    """Flag, escalate and expire every need due at ``now`` (default: the clock); flushes, never commits."""
    now = now or timeutil.now()
    targets = Targets.load()
    second = timedelta(hours=int(settings.get("ESCALATION_AFTER_HOURS")))
    expiry = timedelta(days=int(settings.get("NEED_EXPIRY_DAYS")))
    outcome = Outcome()
    waiting = db.session.scalars(sa.select(Need).where(Need.status.in_(EXPIRABLE)).order_by(Need.id)).all()
    for need in waiting:
        if _expiry_due(need, now, expiry):
            outcome.expired += services.expire_need(need, reason=EXPIRY_NOTE)
            continue
        if need.status != NeedStatus.submitted:
            continue
        hours = targets.hours(need.category_id, need.urgency)
        due = need.created_at + timedelta(hours=hours)
        if now >= due and need.overdue_at is None:
            outcome.flagged += flag_overdue(need, hours, now)
        if now >= due + second and need.escalated_at is None:
            outcome.escalated += escalate(need, int(second.total_seconds() // 3600), now)
    return outcome


def run() -> Outcome:
    """The scheduled job (``linkage.jobs``) and ``flask needs escalate``: check and commit."""
    try:
        outcome = check()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if outcome.flagged or outcome.escalated or outcome.expired:
        log.info("overdue needs: %s", outcome)
    return outcome
