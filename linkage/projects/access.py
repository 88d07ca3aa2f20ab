"""Who may enter the technical scores of a project's bids: the one place for this check."""
from __future__ import annotations

from linkage.models import Project, ProjectStatus, Role, User
from linkage.projects.queries import can_manage_project

# A project whose bidding has closed and whose evaluation is not over.
SCORING_STATUSES = (ProjectStatus.bidding_closed, ProjectStatus.evaluated)


def is_assigned_expert(user: User, project: Project) -> bool:
    """An expert evaluator is assigned to the published projects of their region subtree."""
    return (user.role == Role.expert and project.status != ProjectStatus.draft
            and user.can_see_region(project.region))


def can_enter_scores(user: User, project: Project) -> bool:
    """Civil affairs staff who manage the project (any time: the page says when scoring is open), and
    the experts assigned to it once the bidding deadline has passed and until the evaluation is over."""
    if can_manage_project(user, project):
        return True
    return is_assigned_expert(user, project) and project.status in SCORING_STATUSES
