"""Health and readiness probes, Prometheus metrics and the JSON request log."""
import io
import json
import logging
import os
import re
import uuid

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from linkage.extensions import db
from linkage.models import MatchRun, MatchStatus, Role
from linkage.operations.request_log import JsonHandler
from tests.conftest import PASSWORD
from tests.factories import make_need, make_user

REDIS_URL = os.environ.get("LINKAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")
REMOTE = {"REMOTE_ADDR": "10.20.30.40"}


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- /healthz and /readyz --------------------------------------------------------------------------------

def test_healthz_answers_without_the_database_or_a_cookie(client):
    statements = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get("/healthz")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []
    assert response.status_code == 200
    assert response.get_json() == {"status": "up"}
    assert "Set-Cookie" not in response.headers


def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready" and body["database"].startswith("reachable")
    assert body["redis"] == "not configured"
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(tmp_path):
    from linkage import create_app
    from tests.conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unready" and body["database"].startswith("unreachable")
    assert body["redis"] == "not configured"


@pytest.mark.parametrize("app_config", [{"RATELIMIT_DEFAULT": "5 per minute"}])
def test_probes_and_metrics_are_not_rate_limited(client):
    """Under a site-wide limit that stops the sixth page view, the probes keep answering."""
    assert [client.get("/").status_code for _ in range(6)] == [200] * 5 + [429]
    for path in ("/healthz", "/readyz", "/metrics"):
        assert {client.get(path).status_code for _ in range(10)} == {200}, path


class TestWithRedis:
    @pytest.fixture
    def app_config(self):
        return {"JOB_MODE": "redis", "REDIS_URL": REDIS_URL, "JOB_QUEUE": f"linkage-test-{uuid.uuid4().hex[:8]}"}

    def test_readyz_pings_redis(self, client):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.get_json()["redis"] == "reachable"

    def test_readyz_is_503_naming_redis_when_it_does_not_answer(self, client, app):
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["database"].startswith("reachable") and body["redis"].startswith("unreachable")

    def test_metrics_report_the_queue_length(self, client, app):
        from redis import Redis
        from rq import Queue

        queue = Queue(app.config["JOB_QUEUE"], connection=Redis.from_url(REDIS_URL))
        try:
            for run_id in (101, 102, 103):
                queue.enqueue("linkage.matching.services.execute_run", run_id)
            page = client.get("/metrics").get_data(as_text=True)
        finally:
            queue.delete(delete_jobs=True)
        assert re.search(r"^linkage_match_queue_length 3\.0$", page, re.M), page[-500:]


# --- /metrics ----------------------------------------------------------------------------------------------

def test_metrics_count_requests_by_endpoint_never_by_url(client, auth, world):
    auth.login("staff1")
    need = make_need(world.resident, world.visits)
    db.session.commit()
    before = sample("linkage_http_requests_total", endpoint="community.need_detail", method="GET", status="200")
    assert client.get(f"/community/needs/{need.id}").status_code == 200
    page = client.get("/metrics").get_data(as_text=True)
    assert sample("linkage_http_requests_total", endpoint="community.need_detail", method="GET",
                  status="200") == before + 1
    assert 'linkage_http_request_duration_seconds_count{endpoint="community.need_detail",method="GET"}' in page
    assert f"/community/needs/{need.id}" not in page


def test_an_unknown_url_is_counted_as_unmatched(client):
    before = sample("linkage_http_requests_total", endpoint="unmatched", method="GET", status="404")
    assert client.get("/no-such-page/12345").status_code == 404
    assert sample("linkage_http_requests_total", endpoint="unmatched", method="GET", status="404") == before + 1
    assert "/no-such-page" not in client.get("/metrics").get_data(as_text=True)


def test_metrics_answer_loopback_and_refuse_other_addresses(client):
    assert client.get("/metrics").status_code == 200
    refused = client.get("/metrics", environ_base=REMOTE)
    assert refused.status_code == 403 and "linkage_" not in refused.get_data(as_text=True)


class TestMetricsToken:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_TOKEN": "scrape-token-1"}

    def test_with_a_token_set_only_its_bearer_may_scrape(self, client):
        assert client.get("/metrics").status_code == 403  # loopback is not enough once a token is set
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-1"}, environ_base=REMOTE)
        assert scraped.status_code == 200
        assert "linkage_http_requests_total" in scraped.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}])
def test_a_finished_match_run_records_its_duration_and_the_solvers_gap_and_time(client, auth, world):
    need = make_need(world.resident, world.visits, urgency=3)
    need.needs_professional = True
    db.session.commit()
    runs = sample("linkage_match_run_duration_seconds_count", kind="cases", status="proposed")
    solves = sample("linkage_solver_duration_seconds_count", kind="cases")
    gaps = sample("linkage_solver_gap_ratio_count", kind="cases")
    auth.login("civil")
    response = client.post("/matching/new", data={"kind": "cases", "region": world.district.id, "time_limit": 5})
    assert response.status_code == 302
    run = db.session.scalars(sa.select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.status == MatchStatus.proposed
    assert sample("linkage_match_run_duration_seconds_count", kind="cases", status="proposed") == runs + 1
    assert sample("linkage_solver_duration_seconds_count", kind="cases") == solves + 1
    assert sample("linkage_solver_gap_ratio_count", kind="cases") == gaps + 1


# --- the request log -----------------------------------------------------------------------------------------

@pytest.fixture
def json_log(app):
    """What the app's JSON log handler writes, read back as parsed lines."""
    logger = logging.getLogger("linkage")
    handler = next(h for h in logger.handlers if isinstance(h, JsonHandler))
    buffer, level = io.StringIO(), logger.level
    handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.parametrize("app_config", [{"LOG_FORMAT": "json"}])
def test_one_json_line_per_request_without_personal_data(client, world, json_log):
    user = make_user("zhangxy", Role.volunteer, region=world.c1, name="张秀英")
    user.phone = "13912345678"
    db.session.commit()
    client.post("/auth/login", data={"username": "zhangxy", "password": PASSWORD})
    response = client.get("/?search=13912345678&name=%E5%BC%A0%E7%A7%80%E8%8B%B1",
                          headers={"X-Request-Id": "edge-42"})
    assert response.headers["X-Request-Id"] == "edge-42"
    lines = [line for line in json_log() if line.get("message") == "request"]
    assert len(lines) == 2
    home = lines[-1]
    assert {key: home[key] for key in ("request_id", "method", "endpoint", "status", "user_id")} == {
        "request_id": "edge-42", "method": "GET", "endpoint": "main.home", "status": 200, "user_id": user.id}
    assert isinstance(home["duration_ms"], float)
    assert lines[0]["endpoint"] == "auth.login" and lines[0]["status"] == 302
    written = json.dumps(lines, ensure_ascii=False)
    for personal in ("张秀英", "13912345678", "zhangxy", PASSWORD, "search", "%E5"):
        assert personal not in written


@pytest.mark.parametrize("app_config", [{"LOG_FORMAT": "json"}])
def test_a_request_id_is_made_when_none_or_a_malformed_one_is_given(client, json_log):
    made = client.get("/healthz").headers["X-Request-Id"]
    replaced = client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and re.fullmatch(r"[0-9a-f]{32}", replaced)
    assert [line["request_id"] for line in json_log()] == [made, replaced]
    assert [line["user_id"] for line in json_log()] == [None, None]


def test_metrics_of_several_processes_add_up_in_multiprocess_mode(tmp_path, monkeypatch):
    """As under gunicorn with PROMETHEUS_MULTIPROC_DIR: two processes answer, one scrape counts both."""
    import subprocess
    import sys

    from linkage.operations.metrics import exposition

    folder = tmp_path / "prometheus"
    folder.mkdir()
    record = ("from linkage.operations import metrics; "
              "metrics.observe_request('main.home', 'GET', 200, 0.02); "
              "metrics.observe_match_run('shifts', 'proposed', 12.0, {'objective': 90, 'bound': 100, 'seconds': 9.5})")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], check=True,
                       env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert len(list(folder.glob("*.db"))) >= 2  # each process wrote its own samples
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    page = exposition(queue_length=None).decode()
    assert 'linkage_http_requests_total{endpoint="main.home",method="GET",status="200"} 2.0' in page
    assert 'linkage_match_run_duration_seconds_count{kind="shifts",status="proposed"} 2.0' in page
    gap_sum = re.search(r'^linkage_solver_gap_ratio_sum\{kind="shifts"\} (\S+)$', page, re.M)
    assert float(gap_sum.group(1)) == pytest.approx(2 * (100 - 90) / 90)  # |objective − bound| / objective
