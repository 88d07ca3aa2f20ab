"""How much of the machine a solve is getting: the share of a core its thread has had, and how many
cores other processes kept busy meanwhile (Linux's /proc/stat; elsewhere that part reads 0). The solve's
own child processes that have ended (HiGHS's searches, matching.mip) are not others. And a way to
run work on only the CPU time nobody else wants (``at_lowest_priority``)."""

from __future__ import annotations

import os
import sys
import threading
import time

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (user, nice, system, irq, softirq, steal:
    steal is time the host gave to others), or None where /proc/stat cannot be read."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:9]] + [0] * (9 - len(fields))
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of its child processes that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Clock:
    """Started where a solve starts; read while it runs."""

    def __init__(self):
        self.wall = time.monotonic()
        self.thread = time.thread_time()
        self.process = own_cpu_seconds()
        self.busy = _machine_busy_seconds()

    def core_share(self) -> float:
        """The share of one core this thread has had since the start (1.0 on a quiet machine)."""
        wall = time.monotonic() - self.wall
        return 1.0 if wall < 0.5 else min(1.0, (time.thread_time() - self.thread) / wall)

    def others_cores(self) -> float:
        """How many cores other processes kept busy on average since the start (0.0 if unknown)."""
        wall = time.monotonic() - self.wall
        busy = _machine_busy_seconds()
        if wall < 0.5 or busy is None or self.busy is None:
            return 0.0
        ours = own_cpu_seconds() - self.process
        return max(0.0, (busy - self.busy - ours) / wall)


LOWEST_PRIORITY = 19  # the nice value of work that takes only what is left


def at_lowest_priority(work):
    """``work()`` in a thread of its own at the lowest scheduling priority, so that it gets only the
    CPU time no other thread or process wants; its value, or its exception, is the caller's. On Linux
    a nice value is a thread's own and the threads it starts inherit it (a CP-SAT search's workers);
    elsewhere ``work`` runs at the caller's priority."""
    box: dict = {}

    def run():
        if sys.platform.startswith("linux"):
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
            except OSError:
                pass
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller as it is
            box["error"] = exc

    thread = threading.Thread(target=run, name="lowest-priority", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
