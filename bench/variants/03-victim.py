"""Lab 3's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 03-victim` (the margins its thresholds were set from)
and by tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails".
Each is the right VictimPool with one method (or two) written a plausible wrong way.
"""

INIT = '''
    def __init__(self, new):
        super().__init__(new)
        self.victim = []
        self.callback = None
'''

GET = '''
    def get(self):
        if self.primary:
            return self.primary.pop()
        if self.victim:
            return self.victim.pop()
        return self.new()
'''

CLEANUP = '''
    def cleanup(self):
        self.victim, self.primary = self.primary, []
'''


def install_when(when):
    """An install() whose callback runs cleanup() when the expression `when` holds."""
    return f'''
    def install(self):
        if self.callback is not None:
            return
        pool = weakref.ref(self)

        def callback(phase, info):
            if {when} and pool() is not None:
                pool().cleanup()

        self.callback = callback
        gc.callbacks.append(callback)
'''


INSTALL = install_when('phase == "start" and info["generation"] == 2')

UNINSTALL = '''
    def uninstall(self):
        if self.callback is not None:
            gc.callbacks.remove(self.callback)
            self.callback = None
'''


def victim_pool(init=INIT, get=GET, cleanup=CLEANUP, install=INSTALL, uninstall=UNINSTALL,
                imports=""):
    """The answer cell: the right VictimPool, with the methods given replaced."""
    return {"victim_pool": imports + "class VictimPool(NoVictimPool):"
                           + init + get + cleanup + install + uninstall}


GO_112 = victim_pool(  # the baseline pasted in: every cleanup empties the pool
    get='''
    def get(self):
        if self.primary:
            return self.primary.pop()
        return self.new()
''', cleanup='''
    def cleanup(self):
        self.primary = []
''')

NEVER_DROPPED = victim_pool(cleanup='''
    def cleanup(self):
        self.victim += self.primary  # demoted, and kept for good
        self.primary = []
''')

DROPPED_WHEN_FULL = victim_pool(cleanup='''
    def cleanup(self):
        if len(self.victim) + len(self.primary) > 64:  # only a full victim is dropped
            self.victim = []
        self.victim += self.primary
        self.primary = []
''')

VICTIM_FIRST = victim_pool(get='''
    def get(self):
        if self.victim:
            return self.victim.pop()
        if self.primary:
            return self.primary.pop()
        return self.new()
''')

READ_IN_PLACE = victim_pool(get='''
    def get(self):
        if self.primary:
            return self.primary.pop()
        if self.victim:
            return self.victim[-1]  # handed out, and still in the victim
        return self.new()
''')

VICTIM_KEEPS = victim_pool(  # never hands an object out twice, but holds on to it
    init='''
    def __init__(self, new):
        super().__init__(new)
        self.victim = []
        self.taken = 0  # how many of the victim's objects get() has handed out
        self.callback = None
''', get='''
    def get(self):
        if self.primary:
            return self.primary.pop()
        if self.taken < len(self.victim):
            self.taken += 1
            return self.victim[-self.taken]
        return self.new()
''', cleanup='''
    def cleanup(self):
        self.victim, self.primary, self.taken = self.primary, [], 0
''')

EVERY_GENERATION = victim_pool(install=install_when('phase == "start"'))

AT_STOP = victim_pool(install=install_when('phase == "stop" and info["generation"] == 2'))

BOUND_METHOD = victim_pool(install='''
    def on_gc(self, phase, info):
        if phase == "start" and info["generation"] == 2:
            self.cleanup()

    def install(self):
        if self.callback is None:
            self.callback = self.on_gc  # a bound method: it holds self
            gc.callbacks.append(self.callback)
''')

POP_LAST = victim_pool(uninstall='''
    def uninstall(self):
        if self.callback is not None:
            gc.callbacks.pop()  # the last callback: ours, unless another came since
            self.callback = None
''')

# Right, another way: a deque victim taken from its far end, and a weak bound method.
DEQUE_WEAKMETHOD = victim_pool(
    imports="from collections import deque\n\n\n", init='''
    def __init__(self, new):
        super().__init__(new)
        self.victim = deque()
        self.callback = None
''', get='''
    def get(self):
        if self.primary:
            return self.primary.pop()
        if self.victim:
            return self.victim.popleft()
        return self.new()
''', cleanup='''
    def cleanup(self):
        self.victim, self.primary = deque(self.primary), []
''', install='''
    def install(self):
        if self.callback is None:
            cleanup = weakref.WeakMethod(self.cleanup)

            def callback(phase, info):
                if phase == "start" and info["generation"] == 2 and cleanup() is not None:
                    cleanup()()

            self.callback = callback
            gc.callbacks.append(callback)
''')

VARIANTS = [
    {"name": "Go 1.12 pasted in", "answers": GO_112,
     "fails": ["test_cleanup", "test_primary_first", "test_victim_hit", "test_install",
               "news_after_cleanup", "latency"]},
    {"name": "victim never dropped", "answers": NEVER_DROPPED,
     "fails": ["test_cleanup", "test_install", "memory_released"]},
    {"name": "victim dropped only when full", "answers": DROPPED_WHEN_FULL,
     "fails": ["test_cleanup", "test_install", "memory_released"]},
    {"name": "victim before the primary", "answers": VICTIM_FIRST,
     "fails": ["test_primary_first"]},
    {"name": "victim hit read in place", "answers": READ_IN_PLACE,
     "fails": ["test_primary_first", "test_victim_hit"]},
    {"name": "victim keeps what it hands out", "answers": VICTIM_KEEPS,
     "fails": ["test_victim_hit"]},
    {"name": "cleanup at every collection", "answers": EVERY_GENERATION,
     "fails": ["test_install"]},
    {"name": "cleanup at the end of a collection", "answers": AT_STOP,
     "fails": ["test_install"]},
    {"name": "gc.callbacks holds the pool", "answers": BOUND_METHOD,
     "fails": ["test_uninstall"]},
    {"name": "uninstall pops the last callback", "answers": POP_LAST,
     "fails": ["test_uninstall"]},
    {"name": "deque victim and WeakMethod", "answers": DEQUE_WEAKMETHOD, "fails": []},
]
