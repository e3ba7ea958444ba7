"""How Lab 1's latency and allocation thresholds were set: grade plausible submissions.

Usage: .venv/bin/python bench/lab1_variants.py [TIMES]   (each submission graded TIMES times)

A threshold must sit far from both sides: the reference passes with margin, and a plausible
wrong solution (allocating per message, zero-filling, copying twice) fails with margin.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_autograder import NAIVE, SOLUTION, variant  # noqa: E402

from autograder import grade as grading  # noqa: E402
from autograder import lab as labs  # noqa: E402

SLICE = """def send_all(messages, send, buffers):
    for kind, body in messages:
        n = frame_size(kind, body)
        buf = buffers.get(n)
        HEADER.pack_into(buf, 0, len(body) + 1, kind)
        buf[HEADER.size:n] = body
        with memoryview(buf) as view, view[:n] as frame:
            send(frame)
        buffers.put(buf)
"""
ZERO = """def send_all(messages, send, buffers):
    for kind, body in messages:
        n = frame_size(kind, body)
        buf = buffers.get(n)
        buf[:] = bytes(len(buf))   # 'reset' the buffer: allocates and zero-fills anyway
        with memoryview(buf) as view, view[:n] as frame:
            HEADER.pack_into(frame, 0, len(body) + 1, kind)
            frame[HEADER.size:] = body
            send(frame)
        buffers.put(buf)
"""
QUEUE = """import queue
_q = {}
def send_all(messages, send, buffers):
    for kind, body in messages:
        n = frame_size(kind, body)
        size = 1 << (n - 1).bit_length()
        q = _q.setdefault(size, queue.Queue())
        try:
            buf = q.get_nowait()
        except queue.Empty:
            buf = bytearray(size)
        with memoryview(buf) as view, view[:n] as frame:
            HEADER.pack_into(frame, 0, len(body) + 1, kind)
            frame[HEADER.size:] = body
            send(frame)
        q.put_nowait(buf)
"""


def main(times=1):
    lab = labs.load("01-escape")
    tmp = Path(tempfile.mkdtemp())
    submissions = [("reference solution", SOLUTION),
                   ("naive codec", variant(tmp, "naive", **NAIVE)),
                   ("bytearray slice assignment", variant(tmp, "slice", send_all=SLICE)),
                   ("zero-fill reset", variant(tmp, "zero", send_all=ZERO)),
                   ("queue.Queue pool", variant(tmp, "queue", send_all=QUEUE))]
    print(f"{'submission':28s} {'score':>6s} {'latency':>8s} {'stdev':>6s}  allocations")
    for name, path in submissions:
        for _ in range(times):
            report = grading.grade(lab, path)
            by_kind = {r.check.kind: r for r in report.results}
            latency = by_kind["latency"]
            spread = latency.detail.split("relative stdev ")[-1][:4]
            print(f"{name:28s} {report.score:>6g} {latency.measured:>8s} {spread:>6s}  "
                  f"{by_kind['allocations'].measured}")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
