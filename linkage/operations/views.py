"""Probes and metrics for operators: no log-in, no session, no personal data."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from linkage.extensions import csrf, limiter
from linkage.operations import checks, metrics

blueprint = Blueprint("operations", __name__)
LOOPBACK = {"127.0.0.1", "::1"}


@blueprint.get("/healthz")
def healthz():
    """The process answers; nothing else is asked."""
    return jsonify(status="up")


@blueprint.get("/readyz")
def readyz():
    """The database answers SELECT 1 and Redis (where configured) a ping; 503 names what failed."""
    results = checks.readiness(current_app._get_current_object())
    ready = all(result.ok for result in results)
    body = {"status": "ready" if ready else "unready", **{result.name: result.detail for result in results}}
    return jsonify(body), 200 if ready else 503


def may_scrape() -> bool:
    """With LINKAGE_METRICS_TOKEN set, the bearer token; without it, the loopback address only."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        return hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode())
    return request.remote_addr in LOOPBACK


@blueprint.get("/metrics")
def metrics_page():
    if not may_scrape():
        return Response("forbidden\n", status=403, mimetype="text/plain")
    length = checks.queue_length(current_app._get_current_object())
    return Response(metrics.exposition(length), content_type=metrics.CONTENT_TYPE)


csrf.exempt(blueprint)
limiter.exempt(blueprint)
