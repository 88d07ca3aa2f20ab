"""Native solvers' output: HiGHS prints progress lines to standard output whatever its options say, and
the command line's standard output is JSON."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_REDIRECT = threading.Lock()
_redirected = {"count": 0, "saved": None}


@contextlib.contextmanager
def stdout_to_stderr():
    """Send what native code writes to standard output to standard error meanwhile (nests, and is shared
    by threads: the first in redirects, the last out restores)."""
    with _REDIRECT:
        if _redirected["count"] == 0:
            try:
                sys.stdout.flush()
                _redirected["saved"] = os.dup(1)
                os.dup2(2, 1)
            except (OSError, ValueError):  # no standard output or error to speak of: leave them
                _redirected["saved"] = None
        _redirected["count"] += 1
    try:
        yield
    finally:
        with _REDIRECT:
            _redirected["count"] -= 1
            if _redirected["count"] == 0 and _redirected["saved"] is not None:
                os.dup2(_redirected["saved"], 1)
                os.close(_redirected["saved"])
                _redirected["saved"] = None
