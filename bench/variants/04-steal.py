"""Lab 4's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 04-steal` (the margins behind each threshold) and by
tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails";
a check in "unpinned" sits too near its threshold on some machines to be pinned either way.
Each is the reference's answer with named swaps (lab_variants.changed): a Ring with one
passage changed, a steal or a batch steal with its body written another way.
"""

import functools

import lab_variants

changed = functools.partial(lab_variants.changed, "04-steal")


def ring(old, new):
    """The reference's Ring with old (which must be there, once) replaced by new."""
    return changed("ring", (old, new))


# The reference's steal, the visit of every other ring in getSlow's order.
STEAL = """        every = self.locals.all
        n = len(every)
        for i in range(n):  # its own ring comes last: empty, or get would not be here
            x, ok = every[(local.pid + i + 1) % n].shared.pop_tail()
            if ok:
                return x, True
        return None, False
"""


def steal(body):
    """The reference's StealingPool, its steal's body written as body."""
    return changed("steal", (STEAL, body))


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

# The reference's moves of head_tail, each a compare-and-swap retried until it holds.
PUSH_CAS = """        # Thieves may move the tail meanwhile; the head is ours alone.
        while not self.cas(ptrs, self.pack(head + 1, tail)):
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
"""
POP_HEAD_CAS = """        while True:
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
            if head == tail:
                return None, False
            # Take the slot back before reading it, so that no thief can claim it too.
            head = (head - 1) & MASK
            if self.cas(ptrs, self.pack(head, tail)):
                break
"""

# Each move a plain read, then a write: right on one thread.
PLAIN = changed("ring", (PUSH_CAS, "        self.head_tail = self.pack(head + 1, tail)\n"),
                (POP_HEAD_CAS, """        head, tail = self.unpack(self.head_tail)
        if head == tail:
            return None, False
        head = (head - 1) & MASK
        self.head_tail = self.pack(head, tail)
"""), (CLAIM, """        head, tail = self.unpack(self.head_tail)
        if head == tail:
            return None, False
        self.head_tail = self.pack(head, tail + 1)
"""))["ring"]


def locked(ring_source):
    """The Ring with every method's body (its docstring included) under one lock of its own
    (not RingBase's, which cas takes): right, and slower than a compare-and-swap."""
    head, docstring, *body = ring_source.splitlines()
    lines = [head, docstring, "", "    def __init__(self, size):", "        super().__init__(size)",
             "        self.lock = threading.Lock()"]
    for line in body:
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



# The reference's batch steal: its body, how many it moves, and what it does with a buffer
# its own ring refuses.
_REFERENCE = changed("batch")["batch"]
BATCH = _REFERENCE[_REFERENCE.index("        every = self.locals.all"):
                   _REFERENCE.index("        ### END SOLUTION")]
HALF = """            # Half of what is left, as runqsteal takes half, but no more than fits at home.
            room = len(mine.vals) - len(mine)
            for _ in range(min((len(victim) + 1) // 2, room)):
"""
KEEP_REFUSED = """                if not mine.push_head(y):
                    # A thief on this ring has claimed the head's slot and not yet cleared
                    # it: keep y in the private slot, empty while get steals.
                    local.private = y
                    break
"""
LET_GO = "                mine.push_head(y)  # refused: let go\n"


def batch(*swaps):
    return changed("batch", *swaps)


STEAL_ALL = batch((HALF, "            for _ in range(len(victim)):\n"), (KEEP_REFUSED, LET_GO))


def batch_all_source(name):
    """The "steal all" variant's class, named name: tests/test_lab04_steal.py runs it."""
    return STEAL_ALL["batch"].replace("class BatchPool(", f"class {name}(", 1)


# Task 3's batch steals (the margins: README's Lab 4 paragraph). Each variant here is a full
# grading in `make test`, so only three: designs measured once and left out are in the README.
VARIANTS += [
    # Go's getSlow as Task 2 has it: one buffer per steal, so every worker get walks the rings.
    {"name": "batch: steal one", "answers": batch(
        (BATCH, "        return StealingPool.steal(self, local)\n")),
     "fails": ["batch_visits"]},
    # Everything the victim holds: the thief's ring of 8 refuses all but 8 of the writer's 63,
    # the rest are let go, and the workers after it call new() for them; each worker then
    # empties the hoard of the one before it, a walk and a full ring of pop_tails per trip.
    {"name": "batch: steal all", "answers": STEAL_ALL,
     "fails": ["test_batch", "batch_news", "batch_visits", "batch_exactly_once"]},
    # Half, capped by the room its ring's length shows, trusting the push: right on one
    # thread; under threads a thief still clearing the head's slot of the worker's ring
    # (workers steal from each other too) makes the push refuse, and the buffer is let go.
    {"name": "batch: half, a refused push let go", "answers": batch((KEEP_REFUSED, LET_GO)),
     "fails": ["batch_exactly_once"]},
]
