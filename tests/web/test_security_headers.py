"""Security headers: every kind of response carries the Content-Security-Policy (no inline script),
refuses framing, forbids MIME sniffing and keeps the referrer on the site; HSTS only in production."""
import os
import re

import pytest
import sqlalchemy as sa
from flask import Flask

from linkage import config, headers
from linkage.extensions import db
from linkage.headers import CONTENT_SECURITY_POLICY
from linkage.models import Resident
from tests.web.test_community_residents import ID, register
from tests.web.test_matching_runs import start_run, week  # noqa: F401  (fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture
def app_config():
    return {"JOB_MODE": "inline", "MATCH_TIME_LIMIT": 5.0}


def assert_protected(response, what):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, name, response.headers.get(name))
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, what
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what
    assert "Strict-Transport-Security" not in response.headers, what  # tests run over plain http
    response.close()


def test_every_kind_of_response_carries_the_headers(client, auth, world):
    anonymous = {"home": client.get("/"), "log-in form": client.get("/auth/login"),
                 "not found": client.get("/no-such-page"), "static file": client.get("/static/app.css"),
                 "bootstrap": client.get(re.search(r'href="([^"]*bootstrap[^"]*\.css)"',
                                                   client.get("/auth/login").get_data(as_text=True))[1])}
    for what, response in anonymous.items():
        assert_protected(response, what)
    auth.login("civil")
    signed_in = {"dashboard": client.get("/"), "project list": client.get("/projects/"),
                 "forbidden": client.get("/admin/settings"),
                 "refused form": client.post("/projects/new", data={}),
                 "redirect after a post": client.post("/auth/logout")}
    for what, response in signed_in.items():
        assert_protected(response, what)
    assert signed_in["forbidden"].status_code == 403 and signed_in["redirect after a post"].status_code == 302
    assert anonymous["static file"].status_code == 200 and anonymous["bootstrap"].status_code == 200


def test_the_id_number_reveal_cannot_be_framed(client, auth, world):
    auth.login("staff1")
    register(client, world)
    resident = db.session.scalar(sa.select(Resident).where(Resident.name == "Zhou Lan"))
    url = f"/community/residents/{resident.id}/reveal"
    assert_protected(client.get(url), "reveal form")
    response = client.post(url, data={"reason": "Applying for the elderly allowance"})
    assert ID in response.get_data(as_text=True)
    assert_protected(response, "revealed ID number")


def test_the_match_run_approval_page_cannot_be_framed(client, auth, world, week):  # noqa: F811
    auth.login("civil")
    run = start_run(client, world, week=week["monday"].isoformat())
    page = client.get(f"/matching/{run.id}")
    assert f"/matching/{run.id}/approve" in page.get_data(as_text=True)
    assert_protected(page, "match run with its approve button")
    assert_protected(client.get(f"/matching/{run.id}/status.json"), "run status (JSON)")


def test_hsts_only_in_production(client, monkeypatch, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    monkeypatch.delenv("LINKAGE_HSTS", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert config.from_environment(str(tmp_path))["HSTS"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")  # production: served over HTTPS only
    assert config.from_environment(str(tmp_path))["HSTS"] is True
    production = Flask(__name__)
    production.config["HSTS"] = True
    headers.init_app(production)
    production.add_url_rule("/", "home", lambda: "ok")
    response = production.test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_templates_and_scripts_hold_no_inline_script_or_style():
    """The policy allows no inline script or style: templates load static files only."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style\b|javascript:", re.I)
    found = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "templates")):
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                found += [(name, m.group(0)) for m in inline.finditer(handle.read())]
    assert found == []
