"""Lab 1's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 01-escape` (the margins its thresholds were set from)
and by tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails";
a check in "unpinned" sits too near its threshold on some machines to be pinned either way.
Each is the reference's answer with named swaps (lab_variants.changed), but the first: the
codec the lab starts from, handed in as the answer.
"""

import functools

import lab_variants

changed = functools.partial(lab_variants.changed, "01-escape")

NAIVE = {  # correct, and allocating per message like the codec the lab starts from
    "encode": "def encode(kind, body, buffers):\n    return encode_naive(kind, body)\n",
    "send_all": "def send_all(messages, send, buffers):\n    send_all_naive(messages, send)\n",
}

# The reference's frame, built in a view of the pooled buffer -- what the wrong ones change.
IN_VIEW = """        with memoryview(buf) as view, view[:n] as frame:
            HEADER.pack_into(frame, 0, len(body) + 1, kind)
            frame[HEADER.size:] = body
            send(frame)
"""

# The frame built in the bytearray itself, then sent through a view.
SLICE = changed("send_all", (IN_VIEW, """        HEADER.pack_into(buf, 0, len(body) + 1, kind)
        buf[HEADER.size:n] = body
        with memoryview(buf) as view, view[:n] as frame:
            send(frame)
"""))

ZERO = changed("send_all", ("        buf = buffers.get(n)\n", """        buf = buffers.get(n)
        buf[:] = bytes(len(buf))   # 'reset' the buffer: allocates and zero-fills anyway
"""))

# A queue.Queue of free buffers per power-of-two size, instead of the lab's pool. The names
# it needs are defined after the function, which finds them when it is called.
QUEUE = changed("send_all", ("        buf = buffers.get(n)\n", """        size = 1 << (n - 1).bit_length()
        q = _q.setdefault(size, queue.Queue())
        try:
            buf = q.get_nowait()
        except queue.Empty:
            buf = bytearray(size)
"""), ("        buffers.put(buf)\n", "        q.put_nowait(buf)\n"), then="""

import queue
_q = {}
""")

VARIANTS = [
    {"name": "naive codec", "answers": NAIVE, "fails": ["frame_allocations", "latency"]},
    # CPython copies a bytes body into a temporary bytearray first (bytearray_ass_subscript):
    # a fresh frame-sized block per message, as costly as the naive codec's.
    {"name": "bytearray slice assignment", "answers": SLICE,
     "fails": ["frame_allocations", "latency"]},
    {"name": "zero-fill reset", "answers": ZERO,
     "fails": ["frame_allocations", "latency"]},
    # Right, if slower: a locked queue per size class still allocates no frame per message.
    {"name": "queue.Queue pool", "answers": QUEUE, "fails": []},
]
