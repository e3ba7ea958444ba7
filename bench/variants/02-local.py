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

# Per-thread slots, and one lock around every call "to be safe": a lock per call again.
# (acquire and release, not `with`: a with-block also allocates two bound methods per call,
# which the allocation check would count, and this variant is about time.)
GLOBAL_LOCK = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.tls = threading.local()
        self.lock = threading.Lock()

    def _local(self):
        try:
            return self.tls.mine
        except AttributeError:
            self.tls.mine = Local()
            return self.tls.mine

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
]
