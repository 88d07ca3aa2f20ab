"""Dashboards on the seeded demo district: every figure equals a count written here by hand in SQL, each
reader sees their own scope only, and the tables download as safe CSV, in Chinese too.

Tests that only read the demo share one copy of it for the module, tests that write get a copy of their own
(tests/conftest.py, ``DemoSnapshot``)."""
from __future__ import annotations

import csv
import io
import re
import statistics
import uuid
from datetime import timedelta
from html import escape

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from linkage import create_app
from linkage.extensions import db
from linkage.models import MatchKind, MatchRun, MatchStatus, Need, Region, RegionLevel, User
from linkage.needs import served
from linkage.seed import DEMO_PASSWORD
from linkage.timeutil import local_day_start, now, today
from tests.conftest import BASE_CONFIG, FreshContextClient

pytestmark = pytest.mark.slow

# A year back from today: the demo's whole history.
START, END = today() - timedelta(days=365), today()
PERIOD = {"date_from": START.isoformat(), "date_to": END.isoformat()}
# The region a row is counted in: a grid counts in its community.
COMMUNITY_OF = "CASE WHEN r.level = 'community' THEN r.id ELSE r.parent_id END"


@pytest.fixture(scope="module")
def shared_app(demo_snapshot, tmp_path_factory):
    """One app on one copy of the demo for the tests that only read it."""
    instance = tmp_path_factory.mktemp("shared") / "instance"
    url = demo_snapshot.copy(instance)
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                              "RATELIMIT_KEY_PREFIX": f"linkage-test-{uuid.uuid4().hex}"})
    application.test_client_class = FreshContextClient
    try:
        yield application
        with application.app_context():
            db.engine.dispose()
    finally:
        demo_snapshot.drop(url)


def _client(application):
    # Log-in throttling counts live in the rate-limit storage: each test counts on its own.
    application.config["RATELIMIT_KEY_PREFIX"] = f"linkage-test-{uuid.uuid4().hex}"
    client = application.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def demo(shared_app):
    """A client on the shared demo: for tests that write nothing the others would see."""
    with shared_app.app_context():
        yield _client(shared_app)
        db.session.remove()


@pytest.fixture
def own_app(app, seeded_demo):
    """An app on a copy of the demo of the test's own, for tests that change it."""
    return app


@pytest.fixture
def own_demo(own_app):
    return _client(own_app)


def login(client, username):
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302


def period():
    """The period's bounds as stored (naive UTC), for the hand-written queries."""
    return {"start": local_day_start(START).replace(tzinfo=None),
            "end": local_day_start(END + timedelta(days=1)).replace(tzinfo=None)}


def hours(later: str, earlier: str) -> str:
    if db.engine.dialect.name == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)"
    return f"((julianday({later}) - julianday({earlier})) * 24.0)"


def served_counts(group: str, join: bool = False):
    """(group, counted, served in time) of the needs filed in the period, by the served-in-time rule written
    out by hand with the default service targets."""
    target = "CASE n.urgency WHEN 4 THEN 24 WHEN 3 THEN 72 WHEN 2 THEN 168 ELSE 336 END"
    taken = "COALESCE(n.matched_at, n.delivered_at)"
    joined = "JOIN regions r ON r.id = n.region_id " if join else ""
    return sql(
        f"SELECT {group} AS g, SUM(CASE WHEN {taken} IS NOT NULL OR {hours(':now', 'n.verified_at')} >= {target} "
        f"THEN 1 ELSE 0 END), SUM(CASE WHEN {taken} IS NOT NULL AND {hours(taken, 'n.verified_at')} <= {target} "
        f"THEN 1 ELSE 0 END) FROM needs n {joined}WHERE n.created_at >= :start AND n.created_at < :end "
        "AND n.duplicate_of_id IS NULL AND n.verified_at IS NOT NULL AND n.status NOT IN ('withdrawn', 'merged') "
        "AND n.channel != 'paper_record' GROUP BY g", now=now().replace(tzinfo=None))


def sql(query: str, **params):
    return db.session.execute(text(query), {**period(), **params}).all()


def table(client, name, **args) -> list[list[str]]:
    response = client.get(f"/dashboards/{name}.csv", query_string={**PERIOD, **args})
    assert response.status_code == 200, name
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))[1:]


def page_cells(html: str, name: str) -> list[list[str]]:
    """The cells of the page's table ``name`` (the accessible table beside the chart)."""
    found = re.search(rf'<table[^>]*data-table="{name}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, name
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)]


def community_names() -> dict[int, str]:
    return {r.id: r.name_en or r.name for r in db.session.scalars(
        sa.select(Region).where(Region.level == RegionLevel.community))}


def test_the_district_figures_equal_hand_written_sql_counts(demo):
    client = demo
    login(client, "civil")
    names = community_names()
    html = client.get("/dashboards/", query_string=PERIOD).get_data(as_text=True)

    # Needs by community: filed in the period, merged duplicates counted once (in the need they joined).
    expected = {names[c]: n for c, n in sql(
        f"SELECT {COMMUNITY_OF} AS c, COUNT(*) FROM needs n JOIN regions r ON r.id = n.region_id "
        "WHERE n.created_at >= :start AND n.created_at < :end AND n.duplicate_of_id IS NULL GROUP BY c")}
    shown = {row[0]: int(row[-1]) for row in table(client, "needs-by-community")}
    assert shown == expected and sum(expected.values()) > 50
    assert {cells[0]: cells[-1] for cells in page_cells(html, "needs-by-community")} == \
        {name: f"{n:,}" for name, n in expected.items()}

    # Needs by sector: the top of the taxonomy (categories are at most three deep).
    expected = dict(sql(
        "SELECT COALESCE(g.name_en, p.name_en, c.name_en), COUNT(*) FROM needs n JOIN categories c ON c.id = n.category_id "
        "LEFT JOIN categories p ON p.id = c.parent_id LEFT JOIN categories g ON g.id = p.parent_id "
        "WHERE n.created_at >= :start AND n.created_at < :end AND n.duplicate_of_id IS NULL "
        "GROUP BY COALESCE(g.name_en, p.name_en, c.name_en)"))
    assert {row[0]: int(row[1]) for row in table(client, "needs-by-sector")} == expected

    # Served within the service target (linkage.needs.served), counted from verification with the default
    # targets: verified needs filed in the period, paper records, withdrawn and merged needs left out.
    served_sql = served_counts("n.urgency")
    labels = {1: "Routine", 2: "Soon", 3: "Urgent", 4: "Critical"}
    expected = {labels[u]: (counted, on_time) for u, counted, on_time in served_sql}
    shown = table(client, "coverage")
    assert [row[0] for row in shown] == ["Critical", "Urgent", "Soon", "Routine"]
    for label, counted, on_time, share in shown:
        want = expected.get(label, (0, 0))
        assert int(counted) == want[0], label
        if want[0] >= 10:  # ON_TIME_MIN_COUNT
            assert int(on_time) == want[1] and share == f"{want[1] / want[0] * 100:.1f}", label
        else:
            assert on_time == "" and share == "", label
    # Not a trivial figure: some urgencies are shown, and neither all served in time nor none.
    assert sum(1 for want in expected.values() if want[0] >= 10) >= 2
    total, in_time = (sum(want[i] for want in expected.values()) for i in (0, 1))
    assert 0 < in_time < total
    assert "Served within the service target, by urgency" in html
    # The map's colour: the same rule per community, said in each point's words.
    mapped = served_counts(COMMUNITY_OF, join=True)
    for community, counted, on_time in mapped:
        share = f"{on_time / counted * 100:.1f}%" if counted >= 10 else "—"
        assert re.search(rf"<title>{re.escape(escape(names[community]))}: [\d,]+ needs, served within the service "
                         rf"target: {re.escape(share)}</title>", html), names[community]
    assert sum(1 for _c, counted, _o in mapped if counted >= 10) >= 2

    # Response times: filing to delivery, the median of the hours SQL gives one by one.
    spans = [float(h) for (h,) in sql(
        f"SELECT {hours('delivered_at', 'created_at')} FROM needs WHERE created_at >= :start AND created_at < :end "
        "AND duplicate_of_id IS NULL AND delivered_at IS NOT NULL")]
    whole = next(row for row in table(client, "response-times") if row[0] == "Filed → delivered")
    assert int(whole[1]) == len(spans) > 5
    assert float(whole[2]) == pytest.approx(statistics.median(spans), abs=0.06)
    ordered = sorted(spans)
    assert float(whole[3]) == pytest.approx(ordered[-(-9 * len(ordered) // 10) - 1], abs=0.06)

    # Volunteer hours: approved minutes of the shifts held in the period.
    expected = {names[c]: round(m / 60, 1) for c, m in sql(
        f"SELECT {COMMUNITY_OF} AS c, SUM(s.minutes) FROM sign_ups s JOIN shifts sh ON sh.id = s.shift_id "
        "JOIN regions r ON r.id = sh.region_id WHERE sh.start >= :start AND sh.start < :end "
        "AND s.hours_status = 'approved' GROUP BY c")}
    assert {row[0]: float(row[1]) for row in table(client, "hours-by-community")} == expected
    assert sum(float(row[1]) for row in table(client, "hours-by-week")) == pytest.approx(sum(expected.values()), abs=0.5)

    # No-shows: of the sign-ups expected to come (checked in, out, or not come).
    expected = {names[c]: (n, missed) for c, n, missed in sql(
        f"SELECT {COMMUNITY_OF} AS c, COUNT(*), SUM(CASE WHEN s.status = 'no_show' THEN 1 ELSE 0 END) "
        "FROM sign_ups s JOIN shifts sh ON sh.id = s.shift_id JOIN regions r ON r.id = sh.region_id "
        "WHERE sh.start >= :start AND sh.start < :end AND s.status IN ('checked_in', 'checked_out', 'no_show') GROUP BY c")}
    assert {row[0]: (int(row[1]), int(row[2])) for row in table(client, "no-shows")} == expected

    # Visit ratings given in the period, per community of the visit's shift.
    expected = {names[c]: (n, total) for c, n, total in sql(
        f"SELECT {COMMUNITY_OF} AS c, COUNT(*), SUM(v.rating) FROM visit_ratings v JOIN shifts sh ON sh.id = v.shift_id "
        "JOIN regions r ON r.id = sh.region_id WHERE v.created_at >= :start AND v.created_at < :end GROUP BY c")}
    shown = table(client, "satisfaction")
    assert {row[0]: int(row[1]) for row in shown} == {name: n for name, (n, _t) in expected.items()}
    for name, count, average in shown:
        n, total = expected[name]
        assert average == (str(round(total / n, 1)) if n >= 5 else ""), name  # RATING_MIN_COUNT

    # Spending: what was paid on each contracted project until the period's end.
    expected = {title: f"{paid or 0:.2f}" for title, paid in sql(
        "SELECT p.title, (SELECT SUM(pay.amount) FROM payments pay JOIN installments i ON i.id = pay.installment_id "
        "WHERE i.contract_id = c.id AND pay.approved_at < :end) FROM projects p JOIN contracts c ON c.project_id = p.id "
        "WHERE p.service_start <= :end_day AND p.service_end >= :start_day",
        start_day=START, end_day=END + timedelta(days=1))}
    assert {row[0]: row[3] for row in table(client, "spending")} == expected and expected


def test_a_community_sees_its_own_figures_only_whatever_the_address_says(demo):
    client = demo
    login(client, "community")
    staff = db.session.scalar(sa.select(User).where(User.username == "community"))
    other = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.community, Region.id != staff.region_id))
    rows = table(client, "needs-by-community")
    assert [row[0] for row in rows] == [staff.region.name_en or staff.region.name]
    for url in ("/dashboards/", "/dashboards/needs-by-community.csv", "/dashboards/hours-by-community.csv"):
        assert client.get(url, query_string={**PERIOD, "area": other.id}).status_code == 403, url
        assert client.get(url, query_string={**PERIOD, "area": other.parent_id}).status_code == 403, url
    # The street as a whole is out of scope too; a community of the reader's own is fine.
    assert client.get("/dashboards/", query_string={"area": staff.region_id}).status_code == 200
    # Figures of the district reader for that other community are not in the community reader's page.
    login(client, "civil")
    assert other.name_en in [row[0] for row in table(client, "needs-by-community")]


def test_an_organization_reads_its_own_projects_and_a_social_worker_their_own_shifts(demo):
    client = demo
    login(client, "orgadmin")
    admin = db.session.scalar(sa.select(User).where(User.username == "orgadmin"))
    expected = {title for (title,) in sql(
        "SELECT p.title FROM projects p JOIN contracts c ON c.project_id = p.id WHERE c.organization_id = :org "
        "AND p.service_start <= :end_day AND p.service_end >= :start_day",
        org=admin.organization_id, start_day=START, end_day=END + timedelta(days=1))}
    assert {row[0] for row in table(client, "spending")} == expected
    every = {title for (title,) in sql("SELECT p.title FROM projects p JOIN contracts c ON c.project_id = p.id")}
    assert expected < every  # another organization's contract is left out

    login(client, "worker")
    worker = db.session.scalar(sa.select(User).where(User.username == "worker"))
    (minutes,), = sql("SELECT COALESCE(SUM(s.minutes), 0) FROM sign_ups s JOIN shifts sh ON sh.id = s.shift_id "
                      "JOIN social_workers w ON w.id = sh.lead_id WHERE w.user_id = :user AND s.hours_status = 'approved' "
                      "AND sh.start >= :start AND sh.start < :end", user=worker.id)
    shown = sum(float(row[1]) for row in table(client, "hours-by-community"))
    assert shown == pytest.approx(minutes / 60, abs=0.1) and minutes > 0
    (all_minutes,), = sql("SELECT SUM(minutes) FROM sign_ups WHERE hours_status = 'approved'")
    assert all_minutes > minutes


def test_csv_downloads_are_formula_safe_named_and_refuse_unknown_tables(own_demo):
    client = own_demo
    db.session.execute(text("UPDATE projects SET title = '=HYPERLINK(\"x\")' WHERE id = "
                            "(SELECT MIN(project_id) FROM contracts)"))
    db.session.commit()
    login(client, "civil")
    response = client.get("/dashboards/spending.csv", query_string=PERIOD)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="spending-')
    assert "'=HYPERLINK" in response.get_data(as_text=True)
    assert client.get("/dashboards/no-such-table.csv").status_code == 404
    html = client.get("/dashboards/", query_string=PERIOD).get_data(as_text=True)
    for name in ("needs-by-sector", "needs-by-community", "coverage", "response-times", "hours-by-week",
                 "hours-by-community", "spending", "satisfaction", "no-shows", "match-runs"):
        assert f'data-csv="{name}"' in html
        assert client.get(f"/dashboards/{name}.csv", query_string=PERIOD).status_code == 200


def test_charts_are_svg_drawn_under_the_content_security_policy(demo):
    client = demo
    login(client, "civil")
    response = client.get("/dashboards/", query_string=PERIOD)
    html = response.get_data(as_text=True)
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert html.count('<svg class="chart"') >= 9  # nine charts with data and the map
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert '<circle class="map-point' in html  # communities placed by their coordinates
    assert 'class="table-responsive"' in html


def test_the_dashboard_in_chinese(demo):
    client = demo
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    login(client, "street")
    html = client.get("/dashboards/", query_string=PERIOD).get_data(as_text=True)
    assert "按社区和紧急程度的需求" in html and "¥" in html
    header = client.get("/dashboards/needs-by-sector.csv").get_data(as_text=True).splitlines()[0]
    assert header == "\ufeff服务领域,需求"
    header = client.get("/dashboards/coverage.csv").get_data(as_text=True).splitlines()[0]
    assert header == "\ufeff紧急程度,统计需求数,在服务时限内得到服务,服务时限内得到服务的比例（%）"
    assert "按紧急程度统计：在服务时限内得到服务的需求" in html and "在服务时限内得到服务：" in html


def test_bad_filters_are_ignored_with_a_message(demo):
    client = demo
    login(client, "civil")
    grid = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.grid))
    for args in ({"date_from": "not a date"}, {"date_from": "2026-05-01", "date_to": "2026-01-01"},
                 {"date_from": "2020-01-01", "date_to": "2026-01-01"}, {"area": "abc"}, {"area": grid.id},
                 {"area": 10 ** 12}, {"view": "everything"}):
        response = client.get("/dashboards/", query_string=args)
        assert response.status_code == 200, args
        assert "invalid-feedback" in response.get_data(as_text=True) or "view" in args, args


def test_match_runs_are_compared_with_first_come_from_their_stored_baseline(own_app, own_demo):
    own_app.config.update(JOB_MODE="inline", MATCH_TIME_LIMIT=3.0)
    from linkage.matching import services

    client = own_demo
    civil = db.session.scalar(sa.select(User).where(User.username == "civil"))
    run_id = services.create_run(MatchKind.cases, civil.region, actor=civil).id
    db.session.commit()
    services.start(run_id)
    db.session.commit()
    run = db.session.get(MatchRun, run_id)
    assert run.status == MatchStatus.proposed
    (stored_result, stored_baseline), = db.session.execute(
        text("SELECT result, baseline FROM match_runs WHERE id = :id"), {"id": run_id}).all()
    import json
    result = stored_result if isinstance(stored_result, dict) else json.loads(stored_result)
    baseline = stored_baseline if isinstance(stored_baseline, dict) else json.loads(stored_baseline)
    ours = result["stats"]["coverage_by_urgency"]
    theirs = baseline["coverage_by_urgency"]
    login(client, "civil")
    rows = table(client, "match-runs", date_from=today().isoformat(), date_to=today().isoformat())
    assert [row[3:] for row in rows] == [[str(sum(p[1] for p in ours.values())), str(sum(p[0] for p in ours.values())),
                                          str(sum(p[0] for p in theirs.values()))]]
    login(client, "community")  # community staff have no match runs of their own
    assert table(client, "match-runs", date_from=today().isoformat(), date_to=today().isoformat()) == []


def test_the_sql_verdict_of_serving_is_the_python_rule_need_by_need(demo):
    targets, moment = served.ServiceTargets.load(), now()
    counted, in_time = served.verdict_sql(targets, moment)
    rows = dict((need_id, (bool(c), bool(o))) for need_id, c, o in db.session.execute(
        sa.select(Need.id, sa.case((counted, 1), else_=0), sa.case((in_time, 1), else_=0))))
    verdicts = []
    for need in db.session.scalars(sa.select(Need)):
        verdict = served.verdict(need, targets, moment)
        assert rows[need.id] == (verdict is not None, verdict is True), need.id
        verdicts.append(verdict)
    # The demo holds every case: served in time, late, not yet due.
    assert verdicts.count(True) > 20 and verdicts.count(False) > 20 and verdicts.count(None) > 20


def _aligned_cells(html: str, name: str) -> list[list[tuple[str, bool]]]:
    """The header row and the body rows of the page's table ``name``: each cell's text and whether it is
    right-aligned (Bootstrap's ``text-end``)."""
    found = re.search(rf'<table[^>]*data-table="{name}".*?</table>', html, re.S)
    assert found, name
    return [[(re.sub(r"<[^>]+>", "", body).strip(), "text-end" in attributes)
             for attributes, body in re.findall(r"<t[hd]([^>]*)>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S)]


def test_tables_right_align_numbers_only(demo):
    login(demo, "civil")
    html = demo.get("/dashboards/", query_string=PERIOD).get_data(as_text=True)
    rows = _aligned_cells(html, "match-runs")
    assert len(rows) > 1, "the demo has match runs"
    assert [right for _text, right in rows[0]] == [False, False, False, True, True, True]  # run, area, kind | numbers
    for row in rows[1:]:
        assert [right for _text, right in row] == [False, False, False, True, True, True]
        assert all(re.fullmatch(r"[\d,]+", text) for text, _right in row[3:])
    rows = _aligned_cells(html, "needs-by-community")
    assert all([right for _text, right in row] == [False] + [True] * (len(row) - 1) for row in rows)
