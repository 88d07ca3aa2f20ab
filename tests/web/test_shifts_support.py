"""Builders and helpers shared by the shift and volunteer tests (no tests here).

tests/factories.py is shared and not ours to edit; these add what the shift tests need on top.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (AuditEvent, BidStatus, Notification, ProjectStatus, Role, Shift, SignUp, SignUpStatus,
                            Volunteer)
from linkage.timeutil import to_local
from tests.factories import give_consent, make_bid, make_need, make_project, make_shift, make_user, make_volunteer

_seq = itertools.count(1)


def now() -> datetime:
    return datetime.now(timezone.utc)


def hour(days: int = 3, at: int = 10) -> datetime:
    """A whole local hour ``days`` from today (local time ``at``:00), as aware UTC."""
    local = to_local(now()).replace(hour=at, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return local.astimezone(timezone.utc)


def local_field(value: datetime) -> str:
    """How a datetime-local input sends ``value``."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M")


def running_project(world, org=None, needs=(), status=ProjectStatus.in_progress, region=None, title=None):
    """A project of street 1 that ``org`` (default org1) won and runs."""
    project = make_project(region or world.street1, creator=world["civil"], status=status, needs=needs,
                           title=title or f"Project {next(_seq)}")
    make_bid(project, org or world.org1, status=BidStatus.won)
    return project


def project_shift(world, project=None, **kwargs):
    """A shift of a running org1 project, led by ``worker`` and created by them."""
    project = project or running_project(world)
    kwargs.setdefault("lead", world.worker)
    shift = make_shift(kwargs.pop("region", world.c1), project=project, **kwargs)
    shift.created_by = world["worker"]
    db.session.flush()
    return shift


def volunteer(world, region=None, skills=(), name=None, birth_date=date(1990, 1, 1), **fields):
    """A verified volunteer account with its record."""
    region = region or world.c1
    n = next(_seq)
    user = make_user(f"v{n}x", Role.volunteer, region)
    record = make_volunteer(region, user, name=name or f"Volunteer {n}", skills=skills, birth_date=birth_date)
    if fields.pop("guardian_consent", False):
        give_consent(record)
    for key, value in fields.items():
        setattr(record, key, value)
    db.session.flush()
    return record


def add_sign_up(shift, record, status=SignUpStatus.assigned, slot=None, **fields):
    sign_up = SignUp(shift=shift, volunteer=record, status=status,
                     slot=slot if slot is not None else (shift.slots[0] if status == SignUpStatus.assigned else None),
                     **fields)
    db.session.add(sign_up)
    db.session.flush()
    return sign_up


def need(world, urgency=3, project=None, title="Visit"):
    record = make_need(world.resident, world.visits, urgency=urgency, title=title)
    if project is not None:
        record.project = project
        db.session.flush()
    return record


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def audit_actions(subject=None) -> list[str]:
    query = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    if subject is not None:
        query = query.where(AuditEvent.subject_type == type(subject).__name__, AuditEvent.subject_id == subject.id)
    return list(db.session.scalars(query))


def notifications(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def sign_up_as(client, auth, record, shift):
    """Sign in as the volunteer ``record`` and press "sign up" on ``shift``."""
    auth.as_(record.user)
    return client.post(f"/shifts/{shift.id}/sign-up", follow_redirects=True)


def sign_up_of(shift: Shift, record: Volunteer):
    return db.session.scalar(sa.select(SignUp).where(SignUp.shift_id == shift.id,
                                                     SignUp.volunteer_id == record.id))


def text(response) -> str:
    return response.get_data(as_text=True)
