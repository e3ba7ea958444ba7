"""Lab 3's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 03-victim` (the margins its thresholds were set from)
and by tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails".
Each is the reference's VictimPool with one method (or two) written a plausible wrong way:
its answer with named swaps (lab_variants.changed).
"""

import functools

import lab_variants


changed = functools.partial(lab_variants.changed, "03-victim", "victim_pool")

# The reference's passages that the wrong ones change.
VICTIM_GET = """        if self.victim:  # only now, so that what nobody asks for ages out
            return self.victim.pop()  # moved out: the victim no longer holds it
"""
PRIMARY_GET = """        if self.primary:
            return self.primary.pop()
"""
CLEANUP = "        self.victim, self.primary = self.primary, []\n"
INSTALLED = """        if self.callback is not None:
            return  # installed already: still one cleanup per collection
        pool = weakref.ref(self)  # gc.callbacks must not keep the pool alive

        def callback(phase, info):
            if phase == "start" and info["generation"] == 2:
                alive = pool()
                if alive is not None:
                    alive.cleanup()
"""
WHEN = 'if phase == "start" and info["generation"] == 2:'


def cleanup_when(when):
    """The reference, whose callback runs cleanup() when the expression `when` holds."""
    return changed((WHEN, f"if {when}:"))


GO_112 = changed(  # the baseline pasted in: every cleanup empties the pool
    (VICTIM_GET, ""), (CLEANUP, "        self.primary = []\n"))

NEVER_DROPPED = changed((CLEANUP, """        self.victim += self.primary  # demoted, and kept for good
        self.primary = []
"""))

DROPPED_WHEN_FULL = changed((CLEANUP, """        if len(self.victim) + len(self.primary) > 64:  # only a full victim is dropped
            self.victim = []
        self.victim += self.primary
        self.primary = []
"""))

VICTIM_FIRST = changed((PRIMARY_GET + VICTIM_GET, """        if self.victim:
            return self.victim.pop()
""" + PRIMARY_GET))

READ_IN_PLACE = changed(("return self.victim.pop()  # moved out: the victim no longer holds it",
                         "return self.victim[-1]  # handed out, and still in the victim"))

VICTIM_KEEPS = changed(  # never hands an object out twice, but holds on to it
    ("        self.callback = None  # what install()",
     "        self.taken = 0  # how many of the victim's objects get() has handed out\n"
     "        self.callback = None  # what install()"),
    (VICTIM_GET, """        if self.taken < len(self.victim):
            self.taken += 1
            return self.victim[-self.taken]
"""), (CLEANUP, "        self.victim, self.primary, self.taken = self.primary, [], 0\n"))

EVERY_GENERATION = cleanup_when('phase == "start"')

AT_STOP = cleanup_when('phase == "stop" and info["generation"] == 2')

# The callback a bound method of the pool (defined after the class's last method): the
# list gc.callbacks, which lives as long as the interpreter, holds the pool alive.
BOUND_METHOD = changed((INSTALLED + """
        self.callback = callback
        gc.callbacks.append(callback)
""", """        if self.callback is None:
            self.callback = self.on_gc  # a bound method: it holds self
            gc.callbacks.append(self.callback)
"""), then="""

    def on_gc(self, phase, info):
        if phase == "start" and info["generation"] == 2:
            self.cleanup()
""")

POP_LAST = changed((
    "gc.callbacks.remove(self.callback)  # this one only: others may have come since",
    "gc.callbacks.pop()  # the last callback: ours, unless another came since"))

# Right, another way: a deque victim taken from its far end, and a weak bound method. (deque
# is imported after the class, and found when a method runs.)
DEQUE_WEAKMETHOD = changed(
    ("self.victim = []  # the primary", "self.victim = deque()  # the primary"),
    ("return self.victim.pop()  # moved out", "return self.victim.popleft()  # moved out"),
    (CLEANUP, "        self.victim, self.primary = deque(self.primary), []\n"),
    (INSTALLED, """        if self.callback is not None:
            return
        cleanup = weakref.WeakMethod(self.cleanup)

        def callback(phase, info):
            if phase == "start" and info["generation"] == 2 and cleanup() is not None:
                cleanup()()
"""), then="\n\nfrom collections import deque\n")

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
