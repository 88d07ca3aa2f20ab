"""The Chinese interface speaks only Chinese: every page each demo role reaches, read in zh_CN, shows
no English words, dotted codes, internal ids or raw JSON.

Pages are found as a user finds them: from the home page through the navigation, then the pages those
link to (lists to detail pages of the seeded objects), three clicks deep, a few of each kind.
Text inside an element marked ``translate="no"`` (user names, codes that are data) or marked as another
language (``lang="en"``: the language switch) is not checked.
"""
from __future__ import annotations

import re
from collections import deque
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import (MatchKind, Need, NeedStatus, Project, ProjectStatus, Region, RegionLevel, Shift,
                            ShiftStatus, Skill, User, Volunteer)
from linkage.needs import services as need_services
from linkage.projects import services as project_services
from linkage.seed import DEMO_PASSWORD
from linkage.shifts import services as shift_services
from linkage.timeutil import LOCAL_TZ, today
from linkage.volunteers import services as volunteer_services

# Links that are not pages to read, or that change something.
NOT_PAGES = re.compile(r"^/(static|auth/logout|api)|\.(csv|ics|pdf|png|json)$|/export|/calendar|/certificate|/qr")
DEPTH = 3
PER_KIND = 2
# Words that are fine in the Chinese interface: the product's name, file formats, abbreviations Chinese
# uses as they are (AED: the defibrillator).
ALLOWED_WORDS = {"Linkage", "CSV", "PDF", "iCal", "iCalendar", "Excel", "OpenAPI", "API", "JSON", "QR", "AED", "JPG", "PNG"}
LEFTOVERS = [
    ("English word", re.compile(r"(?<![A-Za-z0-9_.@/])[A-Za-z]{3,}(?![A-Za-z0-9_@/])")),
    ("dotted code", re.compile(r"\b[a-z_]+\.[a-z_]+\b")),
    ("internal id", re.compile(r"\b[a-z]{1,2}\d+\b")),
    ("JSON brace", re.compile(r"[{}]")),
]


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attribute values, scripts or styles, nor ``translate="no"``."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is its text hidden from the check

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        hidden = (self.stack[-1] if self.stack else False) or tag in ("script", "style", "template") or (
            attributes.get("translate") == "no") or not (attributes.get("lang") or "zh").startswith("zh")
        self.stack.append(hidden)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def leftovers(html: str) -> list[str]:
    text = visible_text(html)
    found = []
    for kind, pattern in LEFTOVERS:
        for match in pattern.finditer(text):
            word = match.group(0)
            if kind == "English word" and word in ALLOWED_WORDS:
                continue
            start = max(match.start() - 20, 0)
            found.append(f"{kind} {word!r} in …{text[start:match.end() + 20]}…")
    return found


def links(html: str) -> list[str]:
    return re.findall(r'<a\s[^>]*href="(/[^"#]*)"', html)


def kind_of(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


def crawl(client, seen: set[str]) -> dict[str, list[str]]:
    """Every page reachable from the home page within DEPTH clicks: url → its leftovers. ``seen``
    collects the pages read."""
    seen_kinds: dict[str, int] = {}
    queue = deque([("/", 0)])
    problems: dict[str, list[str]] = {}
    while queue:
        url, depth = queue.popleft()
        path = urlsplit(url).path
        if url in seen or NOT_PAGES.search(path):
            continue
        kind = kind_of(url)
        if seen_kinds.get(kind, 0) >= PER_KIND:
            continue
        seen.add(url)
        seen_kinds[kind] = seen_kinds.get(kind, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        found = leftovers(html)
        if found:
            problems[url] = found
        if depth < DEPTH:
            queue.extend((link.replace("&amp;", "&"), depth + 1) for link in links(html))
    return problems


def test_the_checker_finds_leftovers():
    html = ('<p title="Hidden attribute">项目 project.create 已创建</p><script>var x = {a: 1};</script>'
            '<span translate="no">username</span><td>v801</td><td>{"status": "active"}</td><p>约 3 km · CSV</p>'
            '<button lang="en">English</button><p>Sign-ups</p>')
    words = {problem.split("'")[1] for problem in leftovers(html)}
    assert words == {"project", "project.create", "v801", "{", "}", "status", "active", "Sign", "ups"}


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 3.0}


def _match_runs(civil: User) -> None:
    """One proposed run of each kind on the demo data, so their pages are read too."""
    from linkage.matching import services as matching

    tomorrow = today() + timedelta(days=1)
    monday = datetime.combine(tomorrow - timedelta(days=tomorrow.weekday()), time.min, LOCAL_TZ)
    street = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.street)
                                .order_by(Region.code)).first()
    district = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.district))
    runs = [matching.create_run(MatchKind.shifts, street, actor=civil, period_start=monday,
                                period_end=monday + timedelta(days=7)).id,
            matching.create_run(MatchKind.award, district, actor=civil).id,
            matching.create_run(MatchKind.cases, district, actor=civil).id]
    db.session.commit()
    for run_id in runs:
        matching.start(run_id)
        db.session.commit()


@pytest.fixture
def demo(app, seeded_demo):
    """The demo district, plus a few recorded changes so that trails and the audit page have rows of
    every shape: statuses, reasons, skill and slot lists, times, numbers."""
    logins = seeded_demo
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        need = db.session.scalars(sa.select(Need).where(
            Need.status == NeedStatus.submitted,
            Region.subtree_clause(Need.region_id, users["community"].region))).first()
        need_services.verify_need(need, actor=users["community"], note="已电话核实")
        draft = db.session.scalars(sa.select(Project).where(Project.status == ProjectStatus.draft)).first()
        project_services.cancel_project(draft, "预算调整，改为下季度立项", actor=users["civil"])
        shift = db.session.scalars(sa.select(Shift).where(Shift.status == ShiftStatus.open)
                                   .order_by(Shift.start.desc())).first()
        shift_services.cancel_shift(shift, "场地临时维修", actor=users["admin"])
        volunteer = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == users["volunteer"].id))
        volunteer_services.update_profile(volunteer, volunteer_services.ProfileData(
            name=volunteer.name, id_number=None, community=volunteer.region,
            skills=db.session.scalars(sa.select(Skill).limit(3)).all(), weekly_hours=6,
            windows=[(5, time(9), time(12))]), user=users["volunteer"], actor=users["volunteer"], today=today())
        db.session.commit()
        _match_runs(users["civil"])
    return logins


def test_every_page_of_every_demo_role_reads_in_chinese(app, client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    report, read = {}, set()
    for username in demo_usernames():
        client.post("/auth/logout")
        response = client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        seen: set[str] = set()
        for url, found in crawl(client, seen).items():
            report[f"{username} {url}"] = found
        read |= seen
    lines = [f"{page}: {problem}" for page, found in sorted(report.items()) for problem in found]
    assert not lines, "\n".join(lines)
    # The pages most likely to leak codes were read: match runs of every kind, roster, audit.
    assert sum(1 for url in read if re.fullmatch(r"/matching/\d+", urlsplit(url).path)) >= 3
    assert any(url.startswith("/admin/audit") for url in read)


def demo_usernames() -> list[str]:
    from linkage.seed.demo import DEMO_ACCOUNTS
    return [username for username, *_ in DEMO_ACCOUNTS]
