"""fault: the submission serves or calls services on loopback with injected faults (a
primary down, a slow one); the workload reports the numbers the check's expect table bounds.

Only on loopback: the sandbox's network namespace reaches nothing else."""

import fcntl
import socket
import struct

from .metrics import expected, grade, run  # noqa: F401 -- the kind's grader and sandbox sides
from .metrics import rule as _rule


def rule(check):
    return _rule(check, "services on loopback with injected faults")


# -- in the sandbox ---------------------------------------------------------------------------

def as_root():
    """Bring up the loopback interface of this (private) network namespace, before the harness
    drops its privileges: it takes CAP_NET_ADMIN in the namespace.

    A namespace made by unshare has its lo down: connecting to 127.0.0.1 fails with "Network
    is unreachable". Bubblewrap's namespace, and the host's, have lo up already: nothing
    changes there (and no capability is needed to see that).
    """
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, siocgifflags, request)[:18])[1]
        if not flags & iff_up:
            fcntl.ioctl(s, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))
