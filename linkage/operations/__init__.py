"""What operators watch: readiness and configuration checks (``/readyz``, ``flask check``), Prometheus
metrics (``/metrics``) and the request log."""
