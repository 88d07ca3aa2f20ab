"""gunicorn settings read only by tests/web/test_crash_safety.py (``gunicorn -c``), on SQLite.

A transaction that wrote places (sign-ups) stops just before its COMMIT and waits there until the test
kills the server; the file named by LINKAGE_TEST_PAUSE_MARKER says it got there and how many places it
wrote. From its first place on, the connection keeps a page cache of a few pages, so SQLite spills the
uncommitted pages into the WAL file, as a large transaction on a busy site does: the crash then leaves
uncommitted frames on disk, not only in memory.
"""
import os
import time

import sqlalchemy as sa

workers = 1


def post_worker_init(worker):
    from linkage.extensions import db

    with worker.wsgi.app_context():
        engine = db.engine
    marker = os.environ["LINKAGE_TEST_PAUSE_MARKER"]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count_places(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SIGN_UPS"):
            if not connection.info.get("places"):
                cursor.connection.execute("PRAGMA cache_size = 5")
            connection.info["places"] = connection.info.get("places", 0) + 1

    @sa.event.listens_for(engine, "commit")
    def pause(connection):
        if connection.info.get("places"):
            with open(marker, "w") as handle:
                handle.write(str(connection.info["places"]))
            time.sleep(3600)
