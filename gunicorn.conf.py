"""gunicorn settings (``make serve``; in production ``gunicorn -c gunicorn.conf.py wsgi:app``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker writes its metrics into that folder and /metrics
adds them up: the folder is emptied when gunicorn starts, and a worker that exits is marked dead."""
import os

# gunicorn's access log prints URLs and query strings (which may hold personal data); with JSON logs
# (LINKAGE_LOG_FORMAT=json, the default in production) the app's request log replaces it.
_json_logs = (os.environ.get("LINKAGE_LOG_FORMAT")
              or ("json" if os.environ.get("LINKAGE_ENV") == "production" else "text")) == "json"
accesslog = None if _json_logs else "-"


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
