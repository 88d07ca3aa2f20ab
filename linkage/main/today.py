"""What each person must do today: the start page's task list, with counts.

One entry per kind of task (``TASKS``): the roles it concerns, its words, and a function that counts
it for a user with the same scoped query the page it links to lists (so the count and the page always
agree), and returns that page's URL. The start page shows the tasks whose count is above zero."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

import sqlalchemy as sa
from flask import g, url_for
from flask_babel import ngettext

from linkage.community import queries as community_queries
from linkage.contracts import queries as contract_queries
from linkage.extensions import db
from linkage.matching.access import visible_runs
from linkage.ratings import queries as rating_queries
from linkage.skills import queries as skill_queries
from linkage.meetings import queries as meeting_queries
from linkage.models import (HOLDING_STATUSES, Contract, ContractStatus, FollowUpStatus, MatchRun,
                            MatchStatus, Need, NeedStatus, OrgStatus, PanelMember, PanelStatus, Project,
                            ProjectStatus, Role, Shift, ShiftStatus, SignUp, SignUpStatus)
from linkage.needs import queries as need_queries
from linkage.organizations import queries as organization_queries
from linkage.projects import queries as project_queries
from linkage.records import queries as record_queries
from linkage.shifts import queries as shift_queries
from linkage.shifts.access import social_worker_of, volunteer_of
from linkage.timeutil import local_day_start, now as clock, to_local
from linkage.volunteers import queries as volunteer_queries

R = Role


@dataclass(frozen=True)
class Task:
    """One line of the start page: "3 needs wait for your verification", linking to where they are."""
    key: str
    text: str
    count: int
    url: str
    urgent: bool = False


def _count(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def _tomorrow_end(moment: datetime) -> datetime:
    return local_day_start(to_local(moment).date() + timedelta(days=2))


# Each counter: (user, moment) -> (count, url), or None when the task does not apply to this user.
Counter = Callable[[object, datetime], Optional[tuple[int, str]]]


def _needs_to_verify(user, moment):
    query = need_queries.needs_visible_to(user).where(Need.status == NeedStatus.submitted)
    return _count(query), url_for("community.needs", status=NeedStatus.submitted.value)


def _needs_overdue(user, moment):
    query = need_queries.needs_visible_to(user).where(Need.status == NeedStatus.submitted,
                                                      Need.overdue_at.is_not(None))
    return _count(query), url_for("community.needs", status=NeedStatus.submitted.value)


def _accounts_to_verify(user, moment):
    return _count(community_queries.accounts_to_verify_for(user)), url_for("community.accounts")


def _certificates_to_issue(user, moment):
    due = [c for c in record_queries.to_issue(user) if c.notice_until <= moment]
    return len(due), url_for("records.desk")


def _organizations_to_verify(user, moment):
    query = organization_queries.organizations_visible_to(user, OrgStatus.registered)
    return _count(query), url_for("organizations.index", status=OrgStatus.registered.value)


def _runs_to_approve(user, moment):
    return _count(visible_runs(user).where(MatchRun.status == MatchStatus.proposed)), url_for("matching.index")


def _projects_to_award(user, moment):
    if user.role != R.civil_affairs:
        return None
    query = project_queries.projects_visible_to(user, ProjectStatus.evaluated)
    return _count(query), url_for("projects.index", status=ProjectStatus.evaluated.value)


def _bidding_closed(user, moment):
    if user.role != R.civil_affairs:
        return None
    query = project_queries.projects_visible_to(user, ProjectStatus.bidding_closed)
    return _count(query), url_for("projects.index", status=ProjectStatus.bidding_closed.value)


def _panels_waiting(user, moment):
    """Panels the expert sits on whose bids still wait for their scores (or their declaration)."""
    query = (sa.select(PanelMember.id).join(Project, Project.id == PanelMember.project_id)
             .where(PanelMember.expert_id == user.id,
                    PanelMember.status.in_((PanelStatus.assigned, PanelStatus.joined)),
                    Project.status == ProjectStatus.bidding_closed, ~PanelMember.scores.any()))
    return _count(query), url_for("projects.index")


def _contracts_to_sign(user, moment):
    if user.role != R.org_admin:
        return None
    query = contract_queries.contracts_visible_to(user).where(Contract.status == ContractStatus.draft)
    return _count(query), url_for("contracts.index")


def _open_for_bids(user, moment):
    if user.organization_id is None:
        return None
    query = (project_queries.projects_visible_to(user, ProjectStatus.published)
             .where(Project.bidding_deadline > moment))
    return _count(query), url_for("projects.index", status=ProjectStatus.published.value)


def _led_shifts_soon(user, moment):
    worker = social_worker_of(user)
    if worker is None:
        return None
    query = sa.select(Shift.id).where(Shift.lead_id == worker.id, Shift.start >= moment,
                                      Shift.start < _tomorrow_end(moment),
                                      Shift.status.in_((ShiftStatus.open, ShiftStatus.staffed)))
    return _count(query), url_for("shifts.index")


def _hours_to_approve(user, moment):
    """The hours waiting on the shifts whose roster ``user`` keeps: the hours-to-approve page's own list."""
    return _count(shift_queries.hours_to_approve(user)), url_for("shifts.hours_to_approve")


def _corrections_to_decide(user, moment):
    return len(record_queries.corrections_to_decide(user)), url_for("records.corrections")


def _volunteer(user):
    """The user's volunteer record, read once per request for all the tasks."""
    if "today_volunteer" not in g:
        g.today_volunteer = volunteer_of(user)
    return g.today_volunteer


def _my_shifts_soon(user, moment):
    volunteer = _volunteer(user)
    if volunteer is None:
        return None
    query = (volunteer_queries.upcoming_sign_ups(volunteer, now=moment)
             .where(SignUp.status.in_(HOLDING_STATUSES), Shift.start < _tomorrow_end(moment)))
    return _count(query), url_for("volunteers.my_shifts")


def _decisions_due(user, moment):
    """Decisions of joint meetings the user carries out, due within two days or late."""
    due = meeting_queries.decisions_due(user, to_local(moment).date() + timedelta(days=2))
    first = due[0].meeting_id if due else None
    return len(due), (url_for("meetings.detail", meeting_id=first) + "#decisions" if first else "")


def _follow_ups(user, moment):
    """Follow-ups of low visit ratings open in the staff member's community."""
    return len(rating_queries.follow_ups_for(user, status=FollowUpStatus.open)), url_for("ratings.community")


def _claims_to_decide(user, moment):
    """Volunteers' certificates waiting for a social worker of their area."""
    return len(skill_queries.pending_for(user)), url_for("skills.reviews")


def _offers_to_answer(user, moment):
    """Places offered from a waiting list that the volunteer has yet to accept or decline."""
    volunteer = _volunteer(user)
    if volunteer is None:
        return None
    shift_ids = db.session.scalars(sa.select(SignUp.shift_id).join(Shift, Shift.id == SignUp.shift_id).where(
        SignUp.volunteer_id == volunteer.id, SignUp.status == SignUpStatus.offered,
        SignUp.offer_expires_at > moment).order_by(SignUp.offer_expires_at)).all()
    return len(shift_ids), (url_for("shifts.offer", shift_id=shift_ids[0]) if shift_ids else "")


def _needs_to_rate(user, moment):
    query = need_queries.own_needs(user).where(Need.status == NeedStatus.delivered)
    return _count(query), url_for("needs.mine")


@dataclass(frozen=True)
class TaskKind:
    """A kind of task: who has it, how many they have (and where), and its words for a count."""
    key: str
    roles: frozenset
    count: Counter
    words: Callable[[int], str]
    urgent: bool = False


TASKS = [
    TaskKind("decisions_due", frozenset(Role), _decisions_due,
             lambda n: ngettext("%(num)s decision of a joint meeting is yours to carry out within two days",
                                "%(num)s decisions of joint meetings are yours to carry out within two days", n),
             urgent=True),
    TaskKind("offers_to_answer", frozenset({R.volunteer}), _offers_to_answer,
             lambda n: ngettext("%(num)s place offered to you from a waiting list waits for your answer",
                                "%(num)s places offered to you from waiting lists wait for your answer", n),
             urgent=True),
    TaskKind("follow_ups", frozenset({R.community_staff}), _follow_ups,
             lambda n: ngettext("%(num)s low rating of a visit waits for your follow-up",
                                "%(num)s low ratings of visits wait for your follow-up", n), urgent=True),
    TaskKind("claims_to_decide", frozenset({R.social_worker}), _claims_to_decide,
             lambda n: ngettext("%(num)s volunteer's certificate waits for your approval",
                                "%(num)s volunteers' certificates wait for your approval", n)),
    TaskKind("needs_overdue", frozenset({R.community_staff, R.civil_affairs}), _needs_overdue,
             lambda n: ngettext("%(num)s need is past its response target",
                                "%(num)s needs are past their response target", n), urgent=True),
    TaskKind("needs_to_verify", frozenset({R.community_staff, R.grid_worker}), _needs_to_verify,
             lambda n: ngettext("%(num)s need waits for verification",
                                "%(num)s needs wait for verification", n)),
    TaskKind("accounts_to_verify", frozenset({R.community_staff, R.civil_affairs}), _accounts_to_verify,
             lambda n: ngettext("%(num)s self-registered account waits for verification",
                                "%(num)s self-registered accounts wait for verification", n)),
    TaskKind("organizations_to_verify", frozenset({R.civil_affairs, R.admin}), _organizations_to_verify,
             lambda n: ngettext("%(num)s organization waits for verification",
                                "%(num)s organizations wait for verification", n)),
    TaskKind("bidding_closed", frozenset({R.civil_affairs}), _bidding_closed,
             lambda n: ngettext("%(num)s project has closed bidding and waits for its evaluation",
                                "%(num)s projects have closed bidding and wait for their evaluation", n)),
    TaskKind("projects_to_award", frozenset({R.civil_affairs}), _projects_to_award,
             lambda n: ngettext("%(num)s evaluated project waits for the award",
                                "%(num)s evaluated projects wait for the award", n)),
    TaskKind("runs_to_approve", frozenset({R.civil_affairs, R.social_worker}), _runs_to_approve,
             lambda n: ngettext("%(num)s match run waits for approval",
                                "%(num)s match runs wait for approval", n)),
    TaskKind("certificates_to_issue", frozenset({R.community_staff, R.civil_affairs, R.admin}), _certificates_to_issue,
             lambda n: ngettext("%(num)s service certificate has ended its public notice and can be issued",
                                "%(num)s service certificates have ended their public notice and can be issued", n)),
    TaskKind("panels_waiting", frozenset({R.expert}), _panels_waiting,
             lambda n: ngettext("%(num)s project waits for your scores",
                                "%(num)s projects wait for your scores", n)),
    TaskKind("contracts_to_sign", frozenset({R.org_admin}), _contracts_to_sign,
             lambda n: ngettext("%(num)s contract waits for your signature",
                                "%(num)s contracts wait for your signature", n)),
    TaskKind("open_for_bids", frozenset({R.org_admin}), _open_for_bids,
             lambda n: ngettext("%(num)s project is open for bids",
                                "%(num)s projects are open for bids", n)),
    TaskKind("led_shifts_soon", frozenset({R.social_worker}), _led_shifts_soon,
             lambda n: ngettext("You lead %(num)s shift today or tomorrow",
                                "You lead %(num)s shifts today or tomorrow", n)),
    TaskKind("hours_to_approve", frozenset({R.social_worker, R.community_staff, R.org_admin}), _hours_to_approve,
             lambda n: ngettext("%(num)s volunteer's hours wait for your approval",
                                "%(num)s volunteers' hours wait for your approval", n)),
    TaskKind("corrections_to_decide", frozenset({R.social_worker, R.community_staff}), _corrections_to_decide,
             lambda n: ngettext("%(num)s request to correct hours waits for your decision",
                                "%(num)s requests to correct hours wait for your decision", n)),
    TaskKind("my_shifts_soon", frozenset({R.volunteer}), _my_shifts_soon,
             lambda n: ngettext("You have %(num)s shift today or tomorrow",
                                "You have %(num)s shifts today or tomorrow", n)),
    TaskKind("needs_to_rate", frozenset({R.resident}), _needs_to_rate,
             lambda n: ngettext("%(num)s of your requests was served: tell us how it went",
                                "%(num)s of your requests were served: tell us how it went", n)),
]


def tasks_for(user, moment: Optional[datetime] = None) -> list[Task]:
    """The user's tasks with a count above zero, urgent ones first, in ``TASKS`` order."""
    if not user.is_authenticated:
        return []
    moment = moment or clock()
    found = []
    for kind in TASKS:
        if user.role not in kind.roles:
            continue
        counted = kind.count(user, moment)
        if counted is not None and counted[0] > 0:
            found.append(Task(kind.key, kind.words(counted[0]), counted[0], counted[1], kind.urgent))
    return sorted(found, key=lambda task: not task.urgent)
