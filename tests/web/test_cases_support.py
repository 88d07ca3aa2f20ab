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


# --- fresh cases for the hostile-field probe: each submission gets its own --------------------------------

def fresh_case(world, n, *, owner=None, stage=None):
    """An open case of a new resident, owned by ``owner`` (default: ``worker``'s Li Hua), in ``stage``."""
    from linkage.cases import services
    from linkage.models import CaseStage, Project
    world.worker.caseload_limit = 200
    project = db.session.scalar(sa.select(Project).where(Project.title == "Probe cases project"))
    if project is None:
        project = make_project(world.street1, status=ProjectStatus.in_progress, title="Probe cases project",
                               deadline=now() - timedelta(days=30))
        make_bid(project, world.org1, status=BidStatus.won)
    owner = owner or world.worker
    need = professional_need(world, project, resident=make_resident(world.c1, name=f"Probe resident {n}"))
    case = services.open_case([need], owner, actor=world.users["orgadmin"])
    case.stage = stage or CaseStage.intake
    db.session.flush()
    return case


def fresh_worker(world, n, level=WorkerLevel.social_worker):
    """Another social worker of organization 1, with an account."""
    user = make_user(f"probe-worker{n}", Role.social_worker, world.street1, organization=world.org1)
    return make_social_worker(world.org1, user, name=f"Probe Worker {n}", level=level)
