"""The navigation bar: which areas each role sees. Entries whose view is absent are skipped."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from linkage.models import Role

R = Role
# (endpoint, label, roles)
NAVIGATION = [
    ("needs.mine", _l("My needs"), {R.resident}),
    ("ratings.mine", _l("Rate my visits"), {R.resident}),
    ("community.residents", _l("Residents"), {R.community_staff, R.grid_worker}),
    ("community.needs", _l("Needs"), {R.community_staff, R.grid_worker, R.civil_affairs, R.observer}),
    ("organizations.mine", _l("My organization"), {R.org_admin, R.social_worker}),
    ("organizations.index", _l("Organizations"), {R.civil_affairs, R.observer, R.admin}),
    ("projects.index", _l("Projects"), {R.civil_affairs, R.org_admin, R.social_worker, R.observer, R.expert,
                                        R.admin}),
    ("contracts.index", _l("Contracts"), {R.civil_affairs, R.org_admin, R.social_worker, R.expert}),
    ("shifts.index", _l("Shifts"), {R.community_staff, R.social_worker, R.org_admin, R.volunteer, R.civil_affairs,
                                    R.observer}),
    ("volunteers.my_shifts", _l("My shifts"), {R.volunteer}),
    ("volunteers.profile", _l("My profile"), {R.volunteer}),
    ("volunteers.hours", _l("My hours"), {R.volunteer}),
    ("cases.index", _l("Cases"), {R.social_worker, R.org_admin}),
    ("records.mine", _l("My record"), {R.volunteer}),
    ("records.corrections", _l("Corrections"), {R.social_worker, R.community_staff}),
    ("skills.reviews", _l("Certificates to check"), {R.social_worker}),
    ("records.desk", _l("Volunteer records"), {R.community_staff, R.civil_affairs, R.admin}),
    ("volunteers.minors", _l("Minor volunteers"), {R.community_staff, R.social_worker}),
    ("matching.index", _l("Match runs"), {R.civil_affairs, R.social_worker}),
    ("meetings.index", _l("Joint meetings"), {R.community_staff, R.civil_affairs, R.observer, R.org_admin,
                                               R.social_worker}),
    ("ratings.community", _l("Ratings"), {R.community_staff}),
    ("community.on_time", _l("On time"), {R.community_staff, R.civil_affairs, R.admin}),
    ("forecast.index", _l("Needs forecast"), {R.community_staff, R.civil_affairs, R.admin}),
    ("community.accounts", _l("Verify accounts"), {R.community_staff, R.civil_affairs}),
    ("admin.users", _l("Users"), {R.admin}),
    ("admin.audit", _l("Audit trail"), {R.admin, R.civil_affairs}),
    ("admin.settings_page", _l("Settings"), {R.admin}),
    ("admin.response_targets", _l("Response targets"), {R.admin}),
    ("admin.taxonomy_page", _l("Taxonomy"), {R.admin}),
    ("admin.regions_page", _l("Regions"), {R.admin}),
]


def items_for(user):
    if not user.is_authenticated:
        return []
    views = current_app.view_functions
    return [(endpoint, label) for endpoint, label, roles in NAVIGATION
            if endpoint in views and (user.role in roles or (user.role == R.admin and endpoint.startswith("admin.")))]
