"""Browser tests: the app served on a local port, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from linkage.extensions import db

CHROMIUM = os.environ.get("LINKAGE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "test-artifacts")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free local port in a thread; yields the base URL."""
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class CommittingPage:
    """A Playwright page whose every call first ends the test's own transaction: on SQLite a
    transaction holds the write lock, and the server's threads would wait for it; the test also
    reads fresh rows after each step."""

    def __init__(self, page, base_url):
        self._page = page
        self.base_url = base_url

    def __getattr__(self, name):
        attr = getattr(self._page, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            db.session.commit()
            return attr(*args, **kwargs)
        return call


def policy_violations(tab) -> list[str]:
    """What the Content-Security-Policy blocks on ``tab`` (Chromium reports it on the console); the
    policy allows no inline script or style, so a page that needs them breaks and the list fills."""
    blocked = []
    tab.on("console", lambda message: blocked.append(message.text)
           if "Content Security Policy" in message.text else None)
    return blocked


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    tab = context.new_page()
    blocked = policy_violations(tab)
    yield CommittingPage(tab, live_server)
    os.makedirs(ARTIFACTS, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    tab.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)
    context.close()
    assert blocked == [], blocked


def login(page, username, password=None, url=None):
    """Sign in on ``page``: from the log-in form, or from ``url``, a page that asks to sign in first and
    comes back after."""
    from tests.conftest import PASSWORD

    page.goto(url or page.base_url + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or PASSWORD)
    send(page, "main form button[type=submit]")  # the page the log-in leads to, loaded


def send(page, selector):
    """Click what sends a form and wait for the page the server answers with, loaded: a check
    made right after a bare click can read the page the form was on."""
    with page.expect_navigation():
        page.click(selector)


def submit(page, selector):
    """``send``, then half a second of network quiet: what the page's script fetches has come too."""
    send(page, selector)
    page.wait_for_load_state("networkidle")
