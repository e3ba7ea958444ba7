"""Lab 2's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 02-local` (margins) and by
tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails".
Each is the reference answer with the changes its swaps name (lab_variants.changed), so that
it is wrong in exactly that way and follows the reference as it changes.
"""

import functools

import lab_variants

changed = functools.partial(lab_variants.changed, "02-local")

# Task 1's pieces of the reference LocalPool that the variants replace: where __init__ keeps
# the threads' Locals, and get's and put's lookup of this thread's own.
TLS = "        self.tls = threading.local()  # this thread's Local, as tls.mine\n"
GET_LOOKUP = """        try:
            local = self.tls.mine
        except AttributeError:  # this thread's first call
            local = self.tls.mine = Local()
"""
PUT_LOOKUP = GET_LOOKUP.replace("  # this thread's first call", "")
GET_BODY = GET_LOOKUP + """        x = local.private
        if x is not None:
            local.private = None
            return x
        if local.shared:
            return local.shared.pop()  # the head: the most recently put
"""
PUT_BODY = PUT_LOOKUP + """        if local.private is None:
            local.private = x
        else:
            local.shared.append(x)
"""


def lookup(keep, find, *more):
    """LocalPool keeping the threads' Locals as keep says (in __init__), finding this
    thread's as find says (in get and put), with more swaps."""
    return changed("local_pool", (TLS, keep), (GET_LOOKUP, find), (PUT_LOOKUP, find), *more)


def locked(body):
    """body (lines of a method) run holding self.lock. acquire and release, not `with`: a
    with-block also allocates two bound methods per call, which the allocation check would
    count, and the variants that lock are about time."""
    inner = "".join("    " + line if line.strip() else line for line in body.splitlines(True))
    return ("        self.lock.acquire()\n        try:\n" + inner
            + "        finally:\n            self.lock.release()\n")


# Keyed by threading.get_ident(): correct, lock-free under the GIL -- and a new int object
# on every call (thread identifiers are far above 256, CPython's small-int cache).
IDENT_DICT = lookup("        self.locals = {}  # each thread's Local, by threading.get_ident()\n",
                    """        key = threading.get_ident()
        local = self.locals.get(key)
        if local is None:
            local = self.locals[key] = Local()
""")

# Right, but counting its gets for a hit rate with a plain int: past 256 each += allocates.
INT_COUNTER = changed(
    "local_pool",
    (GET_LOOKUP, GET_LOOKUP + "        self.tls.gets = getattr(self.tls, 'gets', 0) + 1\n"))

# Per-thread slots, and one lock around every call "to be safe": a lock per call again.
GLOBAL_LOCK = changed(
    "local_pool", (TLS, TLS + "        self.lock = threading.Lock()  # to be safe\n"),
    (GET_BODY, locked(GET_BODY)), (PUT_BODY, locked(PUT_BODY)))

# One Local kept on the pool, for every thread: the per-thread lookup is missing. Under the
# GIL its slot is seldom read by one thread and cleared by another in between; the
# concurrency check makes every line a possible switch, as free threading does.
ONE_LOCAL = lookup("        self.local = Local()  # one for every thread\n",
                   "        local = self.local\n")

# Right: a threading.local subclass whose __init__ runs once in every thread.
SLOTS = """class _Slots(threading.local):
    def __init__(self):
        self.private = None
        self.shared = deque()


class LocalPool:"""
LOCAL_SUBCLASS = lookup("        self.mine = _Slots()  # each thread sees its own\n",
                        "        local = self.mine\n", ("class LocalPool:", SLOTS))

# None is ignored only on the way to the private slot: with the slot full, put(None) pushes
# None onto the shared deque, and a later get returns None instead of a new object.
NONE_TO_SHARED = changed(
    "local_pool", ("        if x is None:\n            return\n        try:", "        try:"),
    ("        if local.private is None:\n            local.private = x\n",
     "        if local.private is None:\n            if x is not None:\n"
     "                local.private = x\n"))

# A private slot per thread but one shared deque for the whole pool, checked then popped:
# objects cross threads (another thread's get returns what this one put), and its
# check-then-pop is a race (one thread checks, another pops the last object, the first pops
# an empty deque) that random preemption finds only by chance: no_double_handout forces it.
ONE_SHARED_DEQUE = changed(
    "local_pool", (TLS, TLS + "        self.shared = deque()  # one for the whole pool\n"),
    ("        if local.shared:\n            return local.shared.pop()",
     "        if self.shared:\n            return self.shared.pop()"),
    ("            local.shared.append(x)", "            self.shared.append(x)"))


# Task 2: CappedPool(new, cap). Each keeps the reference's per-thread fast path and differs in
# what it does over the cap (OVER) or on a miss (MISS).
OVER = """            with self.lock:
                if len(self.central) < self.central_batches:
                    self.central.append(batch)
            # else dropped: central is full, and the collector frees the batch
"""
MISS = """            with self.lock:
                batch = self.central.pop() if self.central else None
            if batch:
                local.shared.extend(batch)
                return local.shared.pop()
"""
MOVE = """            batch = []  # a loop, not a comprehension: one that used `shared` would make
            for _ in range(min(self.batch, len(shared))):  # it a cell, new on every call
                batch.append(shared.popleft())
""" + OVER

# Drops what goes over the cap: memory bounded, but what B puts never reaches A.
CAPPED_DROP = changed("capped_pool", (MOVE, "            shared.popleft()  # dropped\n"))

# Right but for the bound: nothing bounds the shared list of batches.
CAPPED_SPILL_ALL = changed("capped_pool", (OVER, """            with self.lock:
                self.central.append(batch)
"""))

# Overflow moved one object at a time to a shared list bounded at 4 x cap, and a miss takes
# one back: bounded and hitting, but one lock per object moved -- in the hand-off, every put
# of B and every get of A.
CAPPED_ONE_AT_A_TIME = changed(
    "capped_pool", (MOVE, """            oldest = shared.popleft()
            with self.lock:
                if len(self.central) < 4 * self.cap:
                    self.central.append(oldest)
"""), (MISS, """            with self.lock:
                if self.central:
                    return self.central.pop()
"""))

# Right, as the notebook's design is, but with a second lock around every call "to be safe":
# the fast path locks, and its super() calls make a super object each.
CAPPED_LOCK_EVERY_CALL = changed("capped_pool", ("class CappedPool:", "class _Batched:"), then="""


class CappedPool(_Batched):
    def __init__(self, new, cap):
        super().__init__(new, cap)
        self.guard = threading.Lock()

    def get(self):
        self.guard.acquire()
        try:
            return super().get()
        finally:
            self.guard.release()

    def put(self, x):
        self.guard.acquire()
        try:
            super().put(x)
        finally:
            self.guard.release()""")

VARIANTS = [
    {"name": "get_ident dict", "answers": IDENT_DICT,
     "fails": ["steady_allocations"]},
    {"name": "int hit counter", "answers": INT_COUNTER,
     "fails": ["steady_allocations"]},
    {"name": "global lock", "answers": GLOBAL_LOCK, "fails": ["latency"]},
    {"name": "one Local for all threads", "answers": ONE_LOCAL,
     "fails": ["test_threads_keep_their_own", "no_double_handout"]},
    {"name": "put(None) onto the shared deque", "answers": NONE_TO_SHARED,
     "fails": ["test_private_then_shared"]},
    {"name": "one shared deque for the pool", "answers": ONE_SHARED_DEQUE,
     "fails": ["test_threads_keep_their_own", "no_double_handout"]},
    {"name": "threading.local subclass", "answers": LOCAL_SUBCLASS,
     "fails": []},
    {"name": "capped: overflow dropped", "answers": CAPPED_DROP,
     "fails": ["handoff"]},
    {"name": "capped: overflow to an unbounded list",
     "answers": CAPPED_SPILL_ALL, "fails": ["kept"]},
    {"name": "capped: one object per lock", "answers": CAPPED_ONE_AT_A_TIME,
     "fails": ["handoff"]},
    {"name": "capped: a lock around every call",
     "answers": CAPPED_LOCK_EVERY_CALL,
     "fails": ["handoff", "capped_fast_path", "steady_allocations"]},
]
