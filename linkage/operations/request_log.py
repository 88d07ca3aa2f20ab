"""One log line per request: request id, method, endpoint, status, duration and the account's numeric
id. Never a URL, query string, form field or name: those may hold personal data.

The request id comes from ``X-Request-Id`` when a proxy sends a well-formed one, else it is made
here; the response carries it back. ``LOG_FORMAT=json`` writes the app's log as JSON, one object a line."""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import sqlalchemy as sa
from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

from linkage.operations import metrics

log = logging.getLogger("linkage.requests")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
HEADER = "X-Request-Id"


class JsonHandler(logging.StreamHandler):
    """The app's JSON log handler (one per process). It writes to whatever standard error is when a
    record comes, not to the one there was when the handler was made (which may have been closed)."""

    _chosen = None  # a stream chosen with setStream; standard error otherwise

    @property
    def stream(self):
        return self._chosen or sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        self._chosen = None if value is sys.stderr else value


def request_id() -> str:
    given = request.headers.get(HEADER, "")
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def begin() -> None:
    g.request_id = request_id()
    g.request_started = time.perf_counter()


def _user_id():
    """The signed-in account's id when the request loaded it (a health probe loads no one). Read from the
    row's identity: after the request's commit the account is not loaded again just to log its id."""
    user = g.get("_login_user")
    if user is None or getattr(user, "is_anonymous", True):
        return None
    identity = sa.inspect(user).identity
    return identity[0] if identity else None


def finish(response: Response) -> Response:
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.url_rule.endpoint if request.url_rule is not None else None
    response.headers[HEADER] = g.get("request_id") or request_id()
    metrics.observe_request(endpoint, request.method, response.status_code, seconds)
    log.info("request", extra={"request_id": response.headers[HEADER], "method": request.method,
                               "endpoint": endpoint, "status": response.status_code,
                               "duration_ms": round(seconds * 1000, 1), "user_id": _user_id()})
    return response


def configure_logging(app: Flask) -> None:
    """JSON lines on standard error for the ``linkage`` loggers (the app's and the request log)."""
    if app.config.get("LOG_FORMAT") != "json":
        return
    logger = logging.getLogger("linkage")
    if not any(isinstance(handler, JsonHandler) for handler in logger.handlers):
        handler = JsonHandler()
        handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}", style="{"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request(begin)
    app.after_request(finish)
