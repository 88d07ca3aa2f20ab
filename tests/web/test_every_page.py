"""Crawl every GET page as every role: no page answers 500, anonymous users are sent to sign in."""
import re

import pytest


ROLES = ["admin", "civil", "civil2", "staff1", "staff3", "orgadmin", "worker", "vol", "resident", "grid",
         "expert", "observer"]
PUBLIC = {"static", "bootstrap.static", "auth.login", "auth.register", "main.home", "public",
          # the probes answer anyone; metrics answer the test client because it connects from loopback
          "operations.healthz", "operations.readyz", "operations.metrics_page",
          # the public notice of certificates and the page where anyone checks one
          "records.notice", "records.verify"}


def _urls(app, ids=(1, 2, 999999)):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        params = sorted(rule.arguments)
        if any(not re.search(rf"<int:{name}>", rule.rule) for name in params):
            continue  # only integer parameters can be filled blindly
        for value in (ids if params else (None,)):
            url = rule.rule
            for name in params:
                url = url.replace(f"<int:{name}>", str(value))
            yield rule.endpoint, url


@pytest.mark.parametrize("username", ROLES)
def test_no_page_fails_for_any_role(client, auth, world, username, app):
    auth.login(username)
    failures = []
    for endpoint, url in _urls(app):
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((endpoint, url, response.status_code))
    assert not failures, failures


def test_anonymous_users_are_sent_to_sign_in(client, world, app):
    for endpoint, url in _urls(app, ids=(1,)):
        response = client.get(url)
        assert response.status_code < 500, (endpoint, url)
        if endpoint.split(".")[0] not in {"public", "api"} and endpoint not in PUBLIC:
            assert response.status_code in (302, 401, 403, 404), (endpoint, url, response.status_code)
