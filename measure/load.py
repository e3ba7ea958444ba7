"""What else the machine did while something was measured."""

import os
import time


class OtherLoad:
    """The CPUs other processes kept busy while the grader measured (Linux; else None).

    The machine's busy time (/proc/stat: all but idle and iowait) less what the measurement's
    own processes report they used (``mine``) and this process's own, per second of wall
    time. Their own time cannot come from this process's children counts: processes in
    bubblewrap's PID namespace are reaped inside it, and never reach them.
    """

    def __init__(self):
        self.busy = self.wall = 0.0
        self._start = None

    def start(self):
        self._start = (_busy_seconds(), time.monotonic(), _own_seconds())

    def stop(self, mine):
        """End a measurement whose processes used mine CPU seconds, by their own account."""
        busy, wall, own = self._start
        if busy is not None:
            self.busy += _busy_seconds() - busy - (_own_seconds() - own) - mine
            self.wall += time.monotonic() - wall

    @property
    def cpus(self):
        """CPUs kept busy by others, on average; None where /proc/stat cannot tell, or over
        less than half a second (its counts advance in ticks of 10 ms)."""
        return max(self.busy, 0.0) / self.wall if self.wall >= 0.5 else None


def _busy_seconds():
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]  # user .. steal
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _own_seconds():
    t = os.times()
    return t.user + t.system
