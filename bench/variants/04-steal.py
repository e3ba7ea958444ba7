"""Lab 4's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 04-steal` (the margins behind each threshold) and by
tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails";
a check in "unpinned" sits too near its threshold on some machines to be pinned either way.
The wrong rings are the solution's Ring with one passage changed.
"""

from autograder import lab as labs

RING = next(c.source for c in labs.load("04-steal").cells if c.grade_id == "ring")


def ring(old, new):
    """The solution's Ring with old (which must be there, once) replaced by new."""
    assert RING.count(old) == 1, old
    return {"ring": RING.replace(old, new)}


def steal(body):
    return {"steal": "class StealingPool(LocalPool):\n    def steal(self, local):\n" + body}


# A thief's claim of the tail slot, and a plausible way to get it wrong: retrying a failed
# cas with the head_tail read before it spins for ever. tests/test_lab04_steal.py grades it
# (a hang must become a failed check within the check's wall time, not a stuck grader).
CLAIM = """        while True:
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
            if head == tail:
                return None, False
            if self.cas(ptrs, self.pack(head, tail + 1)):
                break  # the slot at tail is ours
"""
STALE_CLAIM = """        ptrs = self.head_tail
        head, tail = self.unpack(ptrs)
        if head == tail:
            return None, False
        while not self.cas(ptrs, self.pack(head, tail + 1)):
            pass  # retries with the old ptrs: once another thread moved an end, for ever
"""
SPINNING = ring(CLAIM, STALE_CLAIM)

PLAIN = '''class Ring(RingBase):
    def push_head(self, x):
        head, tail = self.unpack(self.head_tail)
        if (tail + len(self.vals)) & MASK == head:
            return False
        i = head & (len(self.vals) - 1)
        if self.vals[i] is not EMPTY:
            return False
        self.vals[i] = x
        self.head_tail = self.pack(head + 1, tail)
        return True

    def pop_head(self):
        head, tail = self.unpack(self.head_tail)
        if head == tail:
            return None, False
        head = (head - 1) & MASK
        self.head_tail = self.pack(head, tail)
        i = head & (len(self.vals) - 1)
        x, self.vals[i] = self.vals[i], EMPTY
        return x, True

    def pop_tail(self):
        head, tail = self.unpack(self.head_tail)
        if head == tail:
            return None, False
        self.head_tail = self.pack(head, tail + 1)
        i = tail & (len(self.vals) - 1)
        x, self.vals[i] = self.vals[i], EMPTY
        return x, True
'''


def locked(ring_source):
    """The Ring with every method's body under one lock of its own (not RingBase's, which
    cas takes): right, and slower than a compare-and-swap."""
    lines = ["class Ring(RingBase):", "    def __init__(self, size):",
             "        super().__init__(size)", "        self.lock = threading.Lock()", ""]
    for line in ring_source.splitlines()[1:]:
        if line.startswith("    def "):
            lines += [line, "        with self.lock:"]
        else:
            lines.append("    " + line if line.startswith("        ") else line)
    return {"ring": "\n".join(lines) + "\n"}


# The slot read before the claim: right on one thread, and under threads the ABA that Go's
# poolqueue.go avoids by loading the slot only after its CAS -- the owner pops the value and
# pushes another into the same slot, the thief's cas finds head_tail as it read it, and it
# returns the value it read, which the owner has too (and the new one is lost).
READ_FIRST = ring("""            if self.cas(ptrs, self.pack(head, tail + 1)):
                break  # the slot at tail is ours
        i = tail & (len(self.vals) - 1)
        # Clear it so the ring keeps nothing alive, and so push_head may use it again.
        x, self.vals[i] = self.vals[i], EMPTY
""", """            i = tail & (len(self.vals) - 1)
            x = self.vals[i]
            if self.cas(ptrs, self.pack(head, tail + 1)):
                break  # the slot at tail is ours
        self.vals[i] = EMPTY
""")

# push_head trusts the indexes alone: a thief that has moved the tail but not yet read its
# slot leaves the ring looking one short of full, and the owner overwrites that slot.
OVERWRITES = ring("""        if self.vals[i] is not EMPTY:
            return False  # a thief claimed this slot and has not read it yet: still full
""", "")

# The head published before the slot is written: a thief can claim the slot in between and
# read EMPTY from it; the value written after is behind the tail, lost.
PUBLISH_FIRST = ring("""        self.vals[i] = x  # the slot is ours until the head moves past it
        # Thieves may move the tail meanwhile; the head is ours alone.
        while not self.cas(ptrs, self.pack(head + 1, tail)):
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
        return True
""", """        while not self.cas(ptrs, self.pack(head + 1, tail)):
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
        self.vals[i] = x
        return True
""")

VARIANTS = [
    # Chapter 2's pool as it was: every worker get calls new().
    {"name": "no stealing", "answers": steal("        return None, False\n"),
     "fails": ["test_steal", "worker_news", "latency"]},
    # One victim only: with one writer and three workers, two workers never reach its ring.
    # Its time per tile follows its new() calls, two thirds of LocalPool's: near the latency
    # threshold (0.57 measured, 0.5 full points), a verdict not worth pinning -- the new()
    # calls check is the one that catches it.
    {"name": "steals from the next thread only", "answers": steal(
        "        every = self.locals.all\n"
        "        return every[(local.pid + 1) % len(every)].shared.pop_tail()\n"),
     "fails": ["test_steal", "worker_news"], "unpinned": ["latency"]},
    # Right: the same order of visits, from a rotated copy of the list.
    {"name": "rotated list", "answers": steal(
        "        every = list(self.locals.all)\n"
        "        after = local.pid + 1\n"
        "        for other in every[after:] + every[:after]:\n"
        "            x, ok = other.shared.pop_tail()\n"
        "            if ok:\n"
        "                return x, True\n"
        "        return None, False\n"),
     "fails": []},
    # The value stays in the slot: the ring keeps it alive, and push_head, finding the slot
    # taken, refuses it from then on.
    {"name": "pop_tail keeps its slot", "answers": ring(
        "        # Clear it so the ring keeps nothing alive, and so push_head may use it again.\n"
        "        x, self.vals[i] = self.vals[i], EMPTY\n",
        "        x = self.vals[i]\n"),
     "fails": ["test_ring_order", "test_ring_full_and_wrap", "test_ring_clears_slots",
               "ring_exactly_once"]},
    # Right on one thread; under threads a switch between the read and the write undoes
    # another thread's move.
    {"name": "plain read-then-write", "answers": {"ring": PLAIN},
     "fails": ["ring_exactly_once"]},
    # Right: the plain ring, every call under one lock. A forced interleaving that stops a
    # thread holding the lock lets it go on when the other thread waits for it.
    {"name": "plain ring under a lock", "answers": locked(PLAIN), "fails": []},
    {"name": "pop_tail reads its slot before the cas", "answers": READ_FIRST,
     "fails": ["ring_exactly_once"]},
    # test_ring_full_and_wrap makes such a claim on one thread (the tail moved past a slot
    # not yet read), so its visible test catches this too.
    {"name": "push_head overwrites a slot a thief has claimed", "answers": OVERWRITES,
     "fails": ["test_ring_full_and_wrap", "ring_exactly_once"]},
    {"name": "push_head publishes the head before it writes the slot", "answers": PUBLISH_FIRST,
     "fails": ["ring_exactly_once"]},
]



def batch(body):
    return {"batch": "class BatchPool(StealingPool):\n    def steal(self, local):\n" + body}


def moving(how_many, keep_refused=True):
    return batch(moving_body(how_many, keep_refused))


def batch_all_source(name):
    """The "steal all" variant's class, named name: tests/test_lab04_steal.py runs it."""
    return (f"class {name}(StealingPool):\n    def steal(self, local):\n"
            + moving_body("len(victim)", keep_refused=False))


def moving_body(how_many, keep_refused=True):
    """A BatchPool's steal that visits as getSlow does and, at the first victim with a buffer,
    moves how_many (an expression in victim, mine) more into the thief's ring; a buffer the
    ring refuses goes to the private slot (keep_refused), or is let go."""
    push = ("                if not mine.push_head(y):\n"
            "                    local.private = y\n"
            "                    break\n") if keep_refused else \
        "                mine.push_head(y)\n"
    return (
        "        every = self.locals.all\n"
        "        mine = local.shared\n"
        "        for i in range(1, len(every)):\n"
        "            victim = every[(local.pid + i) % len(every)].shared\n"
        "            x, ok = victim.pop_tail()\n"
        "            if not ok:\n"
        "                continue\n"
        f"            for _ in range({how_many}):\n"
        "                y, ok = victim.pop_tail()\n"
        "                if not ok:\n"
        "                    break\n"
        + push +
        "            return x, True\n"
        "        return None, False\n")


# Task 3's batch steals (the margins: README's Lab 4 paragraph). Each variant here is a full
# grading in `make test`, so only three: designs measured once and left out are in the README.
VARIANTS += [
    # Go's getSlow as Task 2 has it: one buffer per steal, so every worker get walks the rings.
    {"name": "batch: steal one", "answers": batch(
        "        return StealingPool.steal(self, local)\n"),
     "fails": ["batch_visits"]},
    # Everything the victim holds: the thief's ring of 8 refuses all but 8 of the writer's 63,
    # the rest are let go, and the workers after it call new() for them; each worker then
    # empties the hoard of the one before it, a walk and a full ring of pop_tails per trip.
    {"name": "batch: steal all", "answers": moving("len(victim)", keep_refused=False),
     "fails": ["test_batch", "batch_news", "batch_visits", "batch_exactly_once"]},
    # Half, capped by the room its ring's length shows, trusting the push: right on one
    # thread; under threads a thief still clearing the head's slot of the worker's ring
    # (workers steal from each other too) makes the push refuse, and the buffer is let go.
    {"name": "batch: half, a refused push let go", "answers":
        moving("min((len(victim) + 1) // 2, len(mine.vals) - len(mine))", keep_refused=False),
     "fails": ["batch_exactly_once"]},
]
