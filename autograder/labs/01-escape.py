"""Workloads for Lab 1's measured checks, run in the sandbox on the notebook's namespace.

Each takes ns -- the lab's given cells and the submission's solution cells, executed -- and
returns what its check kind measures. The frames are attachment-sized (64 KiB to 1 MiB):
the frames for which the lab's notebook shows that pooling pays.
"""

import random


def messages(seed, count):
    rng = random.Random(seed)
    return [(rng.randrange(256), rng.randbytes(rng.randrange(64 << 10, (1 << 20) - 5)))
            for _ in range(count)]


def discard(frame):
    pass


def stream_frames(ns):
    """allocations: (run, units) -- one send_all of 24 messages, after a warm-up pass."""
    batch = messages(seed=1, count=24)
    buffers = ns["pool"].BufferPool(max_size=ns["MAX_FRAME"])
    ns["send_all"](batch, discard, buffers)  # the pool now holds a buffer of every class used
    return (lambda: ns["send_all"](batch, discard, buffers)), len(batch)


def stream_latency(ns):
    """latency: (baseline, candidate) -- the naive and the submitted send_all, same frames."""
    batch = messages(seed=2, count=12)
    buffers = ns["pool"].BufferPool(max_size=ns["MAX_FRAME"])
    naive, send_all = ns["send_all_naive"], ns["send_all"]
    return (lambda: naive(batch, discard)), (lambda: send_all(batch, discard, buffers))
