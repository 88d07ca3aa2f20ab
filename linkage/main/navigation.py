"""The navigation bar: which pages each role sees, grouped in a few menus. Entries whose view is absent
are skipped. One line an entry: (menu, endpoint, label, roles); a menu's entries show in this order."""
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from linkage.models import Role

R = Role
NEEDS = _l("Needs")
VOLUNTEERING = _l("Volunteers & shifts")
PROJECTS = _l("Projects")
RECORDS = _l("Records")
ADMIN = _l("Administration")
MENUS = (NEEDS, VOLUNTEERING, PROJECTS, RECORDS, ADMIN)
# A role with this many entries or fewer sees them side by side, without menus.
FLAT_UP_TO = 5

NAVIGATION = [
    (NEEDS, "needs.mine", _l("My needs"), {R.resident}),
    (NEEDS, "ratings.mine", _l("Rate my visits"), {R.resident}),
    (NEEDS, "community.residents", _l("Residents"), {R.community_staff, R.grid_worker}),
    (NEEDS, "community.needs", _l("Needs"), {R.community_staff, R.grid_worker, R.civil_affairs, R.observer}),
    (NEEDS, "ratings.community", _l("Ratings"), {R.community_staff}),
    (PROJECTS, "organizations.mine", _l("My organization"), {R.org_admin, R.social_worker}),
    (PROJECTS, "organizations.index", _l("Organizations"), {R.civil_affairs, R.observer, R.admin}),
    (PROJECTS, "projects.index", _l("Projects"), {R.civil_affairs, R.org_admin, R.social_worker, R.observer,
                                                  R.expert, R.admin}),
    (PROJECTS, "contracts.index", _l("Contracts"), {R.civil_affairs, R.org_admin, R.social_worker, R.expert}),
    (PROJECTS, "cases.index", _l("Cases"), {R.social_worker, R.org_admin}),
    (PROJECTS, "matching.index", _l("Match runs"), {R.civil_affairs, R.social_worker}),
    (PROJECTS, "meetings.index", _l("Joint meetings"), {R.community_staff, R.civil_affairs, R.observer,
                                                        R.org_admin, R.social_worker}),
    (VOLUNTEERING, "shifts.index", _l("Shifts"), {R.community_staff, R.social_worker, R.org_admin, R.volunteer,
                                                  R.civil_affairs, R.observer}),
    (VOLUNTEERING, "volunteers.my_shifts", _l("My shifts"), {R.volunteer}),
    (VOLUNTEERING, "volunteers.profile", _l("My profile"), {R.volunteer}),
    (VOLUNTEERING, "volunteers.hours", _l("My hours"), {R.volunteer}),
    (VOLUNTEERING, "records.mine", _l("My record"), {R.volunteer}),
    (VOLUNTEERING, "shifts.hours_to_approve", _l("Hours to approve"), {R.community_staff, R.social_worker,
                                                                       R.org_admin}),
    (VOLUNTEERING, "skills.reviews", _l("Certificates to check"), {R.social_worker}),
    (VOLUNTEERING, "volunteers.minors", _l("Minor volunteers"), {R.community_staff, R.social_worker}),
    (RECORDS, "records.desk", _l("Volunteer records"), {R.community_staff, R.civil_affairs, R.admin}),
    (RECORDS, "records.corrections", _l("Corrections"), {R.social_worker, R.community_staff}),
    (RECORDS, "community.on_time", _l("On time"), {R.community_staff, R.civil_affairs, R.admin}),
    (RECORDS, "dashboards.index", _l("Dashboard"), {R.civil_affairs, R.observer, R.community_staff, R.org_admin,
                                                    R.social_worker, R.admin}),
    (RECORDS, "forecast.index", _l("Needs forecast"), {R.community_staff, R.civil_affairs, R.admin}),
    (RECORDS, "admin.audit", _l("Audit trail"), {R.admin, R.civil_affairs}),
    (ADMIN, "community.accounts", _l("Verify accounts"), {R.community_staff, R.civil_affairs}),
    (ADMIN, "admin.users", _l("Users"), {R.admin}),
    (ADMIN, "admin.settings_page", _l("Settings"), {R.admin}),
    (ADMIN, "admin.response_targets", _l("Response targets"), {R.admin}),
    (ADMIN, "admin.taxonomy_page", _l("Taxonomy"), {R.admin}),
    (ADMIN, "admin.regions_page", _l("Regions"), {R.admin}),
]


def entries_for(user) -> list[tuple]:
    """The (menu, endpoint, label) entries ``user`` sees, in the table's order."""
    if not user.is_authenticated:
        return []
    views = current_app.view_functions
    return [(menu, endpoint, label) for menu, endpoint, label, roles in NAVIGATION
            if endpoint in views and (user.role in roles or (user.role == R.admin and endpoint.startswith("admin.")))]


def items_for(user) -> list[tuple]:
    """The (endpoint, label) pages ``user`` sees, one after another (the start page's tiles)."""
    return [(endpoint, label) for _menu, endpoint, label in entries_for(user)]


@dataclass
class Link:
    label: str
    href: str
    active: bool = False


@dataclass
class Menu:
    label: str
    key: str
    links: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


def _is_current(href: str, path: str) -> bool:
    return href != "/" and (path == href or path.startswith(href.rstrip("/") + "/"))


def bar_for(user, path: str) -> list:
    """The navigation bar for ``user`` on ``path``: plain links when there are few entries, otherwise one
    menu per area (an area with one entry stays a plain link). The entry for ``path`` is marked active."""
    entries = entries_for(user)
    links = [(menu, Link(str(label), url_for(endpoint))) for menu, endpoint, label in entries]
    for _menu, link in links:
        link.active = _is_current(link.href, path)
    if len(links) <= FLAT_UP_TO:
        return [link for _menu, link in links]
    bar = []
    for number, menu in enumerate(MENUS):
        grouped = [link for entry_menu, link in links if entry_menu is menu]
        if len(grouped) == 1:
            bar.append(grouped[0])
        elif grouped:
            bar.append(Menu(str(menu), f"navmenu-{number}", grouped))
    return bar
