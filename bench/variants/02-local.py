"""Lab 2's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 02-local` (margins) and by
tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails".
"""

# Keyed by threading.get_ident(): correct, lock-free under the GIL -- and a new int object
# on every call (thread identifiers are far above 256, CPython's small-int cache).
IDENT_DICT = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.locals = {}

    def _local(self):
        key = threading.get_ident()
        local = self.locals.get(key)
        if local is None:
            local = self.locals[key] = Local()
        return local

    def get(self):
        local = self._local()
        x = local.private
        if x is not None:
            local.private = None
            return x
        if local.shared:
            return local.shared.pop()
        return self.new()

    def put(self, x):
        if x is None:
            return
        local = self._local()
        if local.private is None:
            local.private = x
        else:
            local.shared.append(x)
'''

# Right, but counting its gets for a hit rate with a plain int: past 256 each += allocates.
INT_COUNTER = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.tls = threading.local()

    def _local(self):
        try:
            return self.tls.mine
        except AttributeError:
            self.tls.mine = Local()
            self.tls.gets = 0
            return self.tls.mine

    def get(self):
        local = self._local()
        self.tls.gets += 1
        x = local.private
        if x is not None:
            local.private = None
            return x
        if local.shared:
            return local.shared.pop()
        return self.new()

    def put(self, x):
        if x is None:
            return
        local = self._local()
        if local.private is None:
            local.private = x
        else:
            local.shared.append(x)
'''

# The thread's own Local, made on its first call: Task 1's lookup, in the variants that
# differ from it elsewhere.
MINE = '''    def _local(self):
        try:
            return self.tls.mine
        except AttributeError:
            self.tls.mine = Local()
            return self.tls.mine
'''

# Per-thread slots, and one lock around every call "to be safe": a lock per call again.
# (acquire and release, not `with`: a with-block also allocates two bound methods per call,
# which the allocation check would count, and this variant is about time.)
GLOBAL_LOCK = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.tls = threading.local()
        self.lock = threading.Lock()

''' + MINE + '''
    def get(self):
        self.lock.acquire()
        try:
            local = self._local()
            x = local.private
            if x is not None:
                local.private = None
                return x
            if local.shared:
                return local.shared.pop()
        finally:
            self.lock.release()
        return self.new()

    def put(self, x):
        if x is None:
            return
        self.lock.acquire()
        try:
            local = self._local()
            if local.private is None:
                local.private = x
            else:
                local.shared.append(x)
        finally:
            self.lock.release()
'''

# One Local kept on the pool, for every thread: the per-thread lookup is missing. Under the
# GIL its slot is seldom read by one thread and cleared by another in between; the
# concurrency check makes every line a possible switch, as free threading does.
ONE_LOCAL = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.local = Local()

    def get(self):
        local = self.local
        x = local.private
        if x is not None:
            local.private = None
            return x
        if local.shared:
            return local.shared.pop()
        return self.new()

    def put(self, x):
        if x is None:
            return
        local = self.local
        if local.private is None:
            local.private = x
        else:
            local.shared.append(x)
'''

# Right: a threading.local subclass whose __init__ runs once in every thread.
LOCAL_SUBCLASS = '''
class _Slots(threading.local):
    def __init__(self):
        self.private = None
        self.shared = deque()


class LocalPool:
    def __init__(self, new):
        self.new = new
        self.mine = _Slots()

    def get(self):
        mine = self.mine
        x = mine.private
        if x is not None:
            mine.private = None
            return x
        if mine.shared:
            return mine.shared.pop()
        return self.new()

    def put(self, x):
        if x is None:
            return
        mine = self.mine
        if mine.private is None:
            mine.private = x
        else:
            mine.shared.append(x)
'''

# LOCAL_SUBCLASS, but None is ignored only on the way to the private slot: with the slot
# full, put(None) pushes None onto the shared deque, and a later get returns None instead of
# a new object.
NONE_TO_SHARED = LOCAL_SUBCLASS.replace("""
        if x is None:
            return
        mine = self.mine
        if mine.private is None:
            mine.private = x
""", """
        mine = self.mine
        if mine.private is None:
            if x is not None:
                mine.private = x
""")
assert NONE_TO_SHARED != LOCAL_SUBCLASS

# A private slot per thread but one shared deque for the whole pool, checked then popped:
# objects cross threads (another thread's get returns what this one put), and its
# check-then-pop is a race (one thread checks, another pops the last object, the first pops
# an empty deque) that random preemption finds only by chance: no_double_handout forces it.
ONE_SHARED_DEQUE = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.tls = threading.local()
        self.shared = deque()

    def get(self):
        x = getattr(self.tls, "private", None)
        if x is not None:
            self.tls.private = None
            return x
        if self.shared:
            return self.shared.pop()
        return self.new()

    def put(self, x):
        if x is None:
            return
        if getattr(self.tls, "private", None) is None:
            self.tls.private = x
        else:
            self.shared.append(x)
'''


# Task 2: CappedPool(new, cap). Each keeps LocalPool's per-thread fast path (CAPPED_HEAD) and
# differs in what it does over the cap and on a miss: capped()'s over and miss.
CAPPED_HEAD = '''
class CappedPool:
    def __init__(self, new, cap):
        self.new = new
        self.cap = cap
        self.tls = threading.local()
        self.lock = threading.Lock()
        self.central = []

''' + MINE + '''
    def get(self):
        local = self._local()
        x = local.private
        if x is not None:
            local.private = None
            return x
        if local.shared:
            return local.shared.pop()
{miss}
        return self.new()

    def put(self, x):
        if x is None:
            return
        local = self._local()
        if local.private is None:
            local.private = x
            return
        if 1 + len(local.shared) < self.cap:
            local.shared.append(x)
            return
{over}
'''


def capped(miss="", over="        pass  # dropped"):
    """A CappedPool with LocalPool's fast path and the given miss and overflow paths."""
    return CAPPED_HEAD.format(miss=miss, over=over)


# Drops what goes over the cap: memory bounded, but what B puts never reaches A.
CAPPED_DROP = capped()

# Right but for the bound: half the deque moves to a shared list of batches when a put goes
# over the cap, a miss takes a batch back -- and nothing bounds the shared list.
BATCH_MISS = '''        if self.central:
            with self.lock:
                batch = self.central.pop() if self.central else None
            if batch:
                local.shared.extend(batch)
                return local.shared.pop()'''
BATCH_OVER = '''        shared = local.shared
        shared.append(x)
        batch = []
        for _ in range(max(1, self.cap // 2)):
            batch.append(shared.popleft())
        with self.lock:
            if {bound}:
                self.central.append(batch)'''
CAPPED_SPILL_ALL = capped(miss=BATCH_MISS, over=BATCH_OVER.format(bound="True"))

# Right, as the notebook's design is, but with a second lock around every call "to be safe":
# the fast path locks, and its super() calls make a super object each.
CAPPED_BATCHED = capped(miss=BATCH_MISS, over=BATCH_OVER.format(bound="len(self.central) < 4"))
CAPPED_LOCK_EVERY_CALL = CAPPED_BATCHED.replace("class CappedPool:", "class _Batched:") + '''

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
            self.guard.release()
'''

# Overflow moved one object at a time to a shared list bounded at 4 x cap, and a miss takes
# one back: bounded and hitting, but one lock per object moved -- in the hand-off, every put
# of B and every get of A.
CAPPED_ONE_AT_A_TIME = capped(miss='''        with self.lock:
            if self.central:
                return self.central.pop()''', over='''        with self.lock:
            if len(self.central) < 4 * self.cap:
                self.central.append(x)''')

VARIANTS = [
    {"name": "get_ident dict", "answers": {"local_pool": IDENT_DICT},
     "fails": ["steady_allocations"]},
    {"name": "int hit counter", "answers": {"local_pool": INT_COUNTER},
     "fails": ["steady_allocations"]},
    {"name": "global lock", "answers": {"local_pool": GLOBAL_LOCK}, "fails": ["latency"]},
    {"name": "one Local for all threads", "answers": {"local_pool": ONE_LOCAL},
     "fails": ["test_threads_keep_their_own", "no_double_handout"]},
    {"name": "put(None) onto the shared deque", "answers": {"local_pool": NONE_TO_SHARED},
     "fails": ["test_private_then_shared"]},
    {"name": "one shared deque for the pool", "answers": {"local_pool": ONE_SHARED_DEQUE},
     "fails": ["test_threads_keep_their_own", "no_double_handout"]},
    {"name": "threading.local subclass", "answers": {"local_pool": LOCAL_SUBCLASS},
     "fails": []},
    {"name": "capped: overflow dropped", "answers": {"capped_pool": CAPPED_DROP},
     "fails": ["handoff"]},
    {"name": "capped: overflow to an unbounded list",
     "answers": {"capped_pool": CAPPED_SPILL_ALL}, "fails": ["kept"]},
    {"name": "capped: one object per lock", "answers": {"capped_pool": CAPPED_ONE_AT_A_TIME},
     "fails": ["handoff"]},
    {"name": "capped: a lock around every call",
     "answers": {"capped_pool": CAPPED_LOCK_EVERY_CALL},
     "fails": ["handoff", "capped_fast_path", "steady_allocations"]},
]
