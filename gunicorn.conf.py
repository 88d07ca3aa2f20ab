"""gunicorn settings (``make serve``; in production ``gunicorn -c gunicorn.conf.py wsgi:app``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker writes its metrics into that folder and /metrics
adds them up: the folder is emptied when gunicorn starts, and a worker that exits is marked dead."""
import os

accesslog = "-"  # gunicorn's own access log; LINKAGE_LOG_FORMAT=json writes the app's request log as JSON


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
