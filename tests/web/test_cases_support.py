"""People and needs the case tests share: organization 1 has the social worker ``worker`` (level 2),
their supervisor ``senior`` (level 3) and a colleague ``colleague`` (level 2); organization 2 has
``worker2``; a professional need of resident Wu Mei sits in a running project organization 1 won."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import BidStatus, ProjectStatus, Role, SocialWorker, WorkerLevel
from tests.factories import make_bid, make_need, make_project, make_resident, make_social_worker, make_user, now


def case_people(world) -> SimpleNamespace:
    senior = db.session.scalar(sa.select(SocialWorker).where(SocialWorker.name == "Wang Fang"))
    senior.user = world.users["senior"] = make_user("senior", Role.social_worker, world.street1,
                                                    organization=world.org1)
    colleague_user = world.users["colleague"] = make_user("colleague", Role.social_worker, world.street1,
                                                          organization=world.org1)
    colleague = make_social_worker(world.org1, colleague_user, name="Zhou Min", level=WorkerLevel.social_worker)
    project = make_project(world.street1, status=ProjectStatus.in_progress, title="Care for elderly living alone",
                           deadline=now() - timedelta(days=30))
    make_bid(project, world.org1, status=BidStatus.won)
    db.session.flush()
    return SimpleNamespace(worker=world.worker, senior=senior, colleague=colleague, worker2=world.worker2,
                           project=project)


def professional_need(world, project=None, resident=None, title="Weekly visits and a care plan"):
    need = make_need(resident or world.resident, world.visits, title=title)
    need.needs_professional = True
    need.project = project
    db.session.flush()
    return need


def another_resident(world, name="Qian Lan"):
    return make_resident(world.c1, name=name)
