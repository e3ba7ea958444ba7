"""Lab 6's plausible designs: what the pool-off's score was set against.

Each is graded by `bench/lab_variants.py 06-pool-off` (the scores, side by side) and by
tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails". The
pool-off fails a design whose score does not beat both baselines, NoPool and Oracle, measured
in the same run; the table in bench/lab_variants.py's output orders them, and the reference
must come first with room above it. Each answer is a whole BufferPool: designs differ in
everything, so none is written as a change to the reference.
"""

# No pool: what NoPool does, handed in as a design.
NO_POOL = '''
class BufferPool:
    def capacity(self, size):
        return size

    def get(self, size):
        return bytearray(size)

    def put(self, buf):
        pass

    def cleanup(self):
        pass
'''

# One list for the whole pool, under a lock, never capped: any buffer long enough is handed
# out, so a huge one serves small messages and stays in circulation (golang/go#23199).
GLOBAL_LIST = '''
class BufferPool:
    def __init__(self):
        self.free, self.lock = [], threading.Lock()

    def capacity(self, size):
        return size

    def get(self, size):
        with self.lock:
            if self.free and len(self.free[-1]) >= size:
                return self.free.pop()
        return bytearray(size)

    def put(self, buf):
        with self.lock:
            self.free.append(buf)

    def cleanup(self):
        pass
'''

# A list per thread, never capped: no lock, but where one thread gets and another puts, the
# putter's list grows without end and the getter's stays empty.
PER_THREAD = '''
class BufferPool:
    def __init__(self):
        self.local = threading.local()

    def capacity(self, size):
        return size

    def _free(self):
        try:
            return self.local.free
        except AttributeError:
            self.local.free = []
            return self.local.free

    def get(self, size):
        free = self._free()
        while free:
            buf = free.pop()
            if len(buf) >= size:
                return buf
        return bytearray(size)

    def put(self, buf):
        self._free().append(buf)

    def cleanup(self):
        pass
'''

# Size classes of powers of two, 64 buffers a class, nothing above 1 MiB, under a lock -- and
# a cleanup that drops everything: every burst after a cleanup starts from nothing.
SIZE_CLASSES = '''
class BufferPool:
    def __init__(self):
        self.free, self.lock = {}, threading.Lock()

    def capacity(self, size):
        return 1 << (size - 1).bit_length()

    def get(self, size):
        c = self.capacity(size)
        if c <= 1 << 20:
            with self.lock:
                if self.free.get(c):
                    return self.free[c].pop()
        return bytearray(c)

    def put(self, buf):
        n = len(buf)
        if n <= 1 << 20 and n == self.capacity(n):
            with self.lock:
                free = self.free.setdefault(n, [])
                if len(free) < 64:
                    free.append(buf)

    def cleanup(self):
        with self.lock:
            self.free.clear()
'''

# One list, first fit, no lock: between finding a buffer long enough and deleting it from
# the list, another thread can find the same one, or delete another.
FIRST_FIT = '''
class BufferPool:
    def __init__(self):
        self.free = []

    def capacity(self, size):
        return size

    def get(self, size):
        for i, buf in enumerate(self.free):
            if len(buf) >= size:
                del self.free[i]
                return buf
        return bytearray(size)

    def put(self, buf):
        if len(self.free) < 64:
            self.free.append(buf)

    def cleanup(self):
        self.free = []
'''

VARIANTS = [
    {"name": "no pool", "answers": {"buffer_pool": NO_POOL}, "fails": ["pool_off"]},
    {"name": "one global list, no cap", "answers": {"buffer_pool": GLOBAL_LIST},
     "fails": ["pool_off"]},
    {"name": "a list per thread, no cap", "answers": {"buffer_pool": PER_THREAD},
     "fails": ["pool_off"]},
    {"name": "size classes, a cap, cleanup drops all", "answers": {"buffer_pool": SIZE_CLASSES},
     "fails": ["pool_off"]},
    # Its score is gated on the tests: not measured.
    {"name": "first fit, no lock", "answers": {"buffer_pool": FIRST_FIT},
     "fails": ["test_two_holders", "pool_off"]},
]
