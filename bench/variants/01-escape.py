"""Lab 1's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 01-escape` (the margins its thresholds were set from)
and by tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails";
a check in "unpinned" sits too near its threshold on some machines to be pinned either way.
"""

NAIVE = {  # correct, and allocating per message like the codec the lab starts from
    "encode": "def encode(kind, body, buffers):\n    return encode_naive(kind, body)\n",
    "send_all": "def send_all(messages, send, buffers):\n    send_all_naive(messages, send)\n",
}

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

VARIANTS = [
    {"name": "naive codec", "answers": NAIVE, "fails": ["frame_allocations", "latency"]},
    # CPython copies a bytes body into a temporary bytearray first (bytearray_ass_subscript):
    # a fresh frame-sized block per message, as costly as the naive codec's.
    {"name": "bytearray slice assignment", "answers": {"send_all": SLICE},
     "fails": ["frame_allocations", "latency"]},
    {"name": "zero-fill reset", "answers": {"send_all": ZERO},
     "fails": ["frame_allocations", "latency"]},
    # Right, if slower: a locked queue per size class still allocates no frame per message.
    {"name": "queue.Queue pool", "answers": {"send_all": QUEUE}, "fails": []},
]
