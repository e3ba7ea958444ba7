"""Steal: the owner works at the head, thieves take from the tail.

A faithful model of Go's src/sync/poolqueue.go, commented against it, and the stealing half
of ``getSlow`` in src/sync/pool.go. poolqueue.go came in Go 1.13 with the two CLs before CL
166960 in one series (the fixed-size poolDequeue, then the dynamically sized poolChain);
CL 166960 switched Pool's ``shared`` from a mutex-guarded slice to it.

``PoolDequeue`` is Go's ``poolDequeue``: a fixed ring of a power-of-two number of slots whose
head and tail indexes are packed into one integer, ``head_tail`` (head in the high 32 bits,
tail in the low 32), so that one atomic operation moves one end and checks the other. One
producer pushes and pops the head; any number of consumers pop the tail. ``pushHead`` moves
the head with an atomic add (``headTail.Add(1 << dequeueBits)``: head lives in the high bits,
so its overflow is harmless, and no consumer ever moves the head); ``popHead`` and
``popTail`` use compare-and-swap, because they race with each other for the last slot.
``PoolChain`` is Go's ``poolChain``: a list of dequeues of 8, 16, 32, ... slots; the owner
pushes to the newest, thieves pop from the oldest, and an emptied oldest dequeue is unlinked.

What differs in Python: there is no compare-and-swap or atomic add on an attribute, so
``_cas`` and ``push_head``'s add take one small lock -- the only lock here; every other step
is Go's, in Go's order. A slot holds the sentinel ``EMPTY`` where Go's ``eface`` has a nil
type word. ``pool.Pool`` uses a ``collections.deque`` instead (its append/pop/popleft are
atomic C calls; chapter 4 times both); ``ChainShared`` lets a pool run on ``PoolChain`` so the
benchmark can compare the two.
"""

import threading
import weakref

_BITS = 32
_MASK = (1 << _BITS) - 1
# Go: dequeueLimit = (1 << dequeueBits) / 4. Detecting fullness needs at most half of the index
# space ((1<<dequeueBits)/2); Go divides by 4 "so this fits in an int on 32-bit".
DEQUEUE_LIMIT = (1 << _BITS) // 4
EMPTY = object()  # a free slot (Go: a nil type word)


class PoolDequeue:
    """Lock-free (in Go) single-producer, multi-consumer ring of fixed size."""

    def __init__(self, size):
        if size < 1 or size & (size - 1) or size > DEQUEUE_LIMIT:
            raise ValueError(f"size must be a power of two up to {DEQUEUE_LIMIT}, got {size!r}")
        self.vals = [EMPTY] * size
        self.head_tail = 0
        self._lock = threading.Lock()

    @staticmethod
    def unpack(ptrs):
        return (ptrs >> _BITS) & _MASK, ptrs & _MASK

    @staticmethod
    def pack(head, tail):
        return ((head & _MASK) << _BITS) | (tail & _MASK)

    def _cas(self, old, new):
        with self._lock:
            if self.head_tail != old:
                return False
            self.head_tail = new
            return True

    def push_head(self, val):
        """Add val at the head; False if the ring is full. Only the owner may call it."""
        head, tail = self.unpack(self.head_tail)
        if (tail + len(self.vals)) & _MASK == head:
            return False  # full
        i = head & (len(self.vals) - 1)
        if self.vals[i] is not EMPTY:
            return False  # a popTail still owns this slot: the ring is still full
        self.vals[i] = val  # the slot is ours until head moves past it
        with self._lock:  # Go: headTail.Add(1 << dequeueBits), publishing the slot
            self.head_tail += 1 << _BITS
        return True

    def pop_head(self):
        """Remove the newest value: (val, True), or (None, False) if empty. Owner only."""
        while True:
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            # Take the slot back before reading it, so no popTail can claim it too.
            head = (head - 1) & _MASK
            if self._cas(ptrs, self.pack(head, tail)):
                break
        i = head & (len(self.vals) - 1)
        val, self.vals[i] = self.vals[i], EMPTY  # no race with push_head: same thread
        return val, True

    def pop_tail(self):
        """Remove the oldest value: (val, True), or (None, False) if empty. Any thread."""
        while True:
            ptrs = self.head_tail
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            if self._cas(ptrs, self.pack(head, tail + 1)):
                break  # the slot at tail is now ours
        i = tail & (len(self.vals) - 1)
        val = self.vals[i]
        # Clear it so the pool keeps nothing alive, and so push_head may reuse the slot.
        self.vals[i] = EMPTY
        return val, True

    def __len__(self):
        head, tail = self.unpack(self.head_tail)
        return (head - tail) & _MASK


class _Link(PoolDequeue):
    """Go's poolChainElt: a dequeue with links to the next (newer) and prev (older) one."""

    def __init__(self, size, prev=None):
        super().__init__(size)
        self.next = None
        # Weak, unlike Go's: CPython frees by reference counting, and a prev/next cycle would
        # keep a dropped chain (and every object in it) alive until the cyclic collector runs.
        self._prev = weakref.ref(prev) if prev is not None else _none

    @property
    def prev(self):
        return self._prev()

    @prev.setter
    def prev(self, d):
        self._prev = weakref.ref(d) if d is not None else _none


def _none():
    return None


class PoolChain:
    """A growing queue of dequeues: the owner pushes to the newest, thieves pop the oldest."""

    INITIAL_SIZE = 8  # Go: initSize, a power of two

    def __init__(self):
        self.head = None  # newest dequeue; only the owner touches it
        self.tail = None  # oldest dequeue; thieves advance it
        self._lock = threading.Lock()

    def push_head(self, val):
        d = self.head
        if d is None:
            d = self.head = self.tail = _Link(self.INITIAL_SIZE)
        if d.push_head(val):
            return
        # Full: link a new dequeue twice the size (Go caps it at dequeueLimit).
        d2 = _Link(min(len(d.vals) * 2, DEQUEUE_LIMIT), prev=d)
        self.head = d2
        d.next = d2
        d2.push_head(val)

    def pop_head(self):
        d = self.head
        while d is not None:
            val, ok = d.pop_head()
            if ok:
                return val, ok
            d = d.prev  # older dequeues may still hold values
        return None, False

    def pop_tail(self):
        d = self.tail
        if d is None:
            return None, False
        while True:
            # Load next *before* popping: if d looks empty, anything pushed meanwhile went to d2.
            d2 = d.next
            val, ok = d.pop_tail()
            if ok:
                return val, ok
            if d2 is None:
                return None, False  # the only dequeue, empty for now
            # d is drained for good: unlink it so later pops skip it.
            with self._lock:
                if self.tail is d:
                    self.tail = d2
                    d2.prev = None  # let the empty dequeue go, and stop pop_head backing into it
            d = d2

    def __len__(self):
        n, d = 0, self.tail
        while d is not None:
            n += len(d)
            d = d.next
        return n


class ChainShared(PoolChain):
    """A PoolChain with the deque methods a Pool calls, to run a Pool on Go's structure."""

    append = PoolChain.push_head

    def pop(self):
        val, ok = self.pop_head()
        if not ok:
            raise IndexError("pop from an empty PoolChain")
        return val

    def popleft(self):
        val, ok = self.pop_tail()
        if not ok:
            raise IndexError("pop from an empty PoolChain")
        return val

    def copy(self):
        """A snapshot of the values, oldest first (for debug checks)."""
        out, d = [], self.tail
        while d is not None:
            out.extend(v for v in d.vals if v is not EMPTY)
            d = d.next
        return out


def steal(locals_all, first):
    """Pop the tail of each Local's shared queue in turn, starting at index first.

    Go's getSlow: thieves start at pid + 1 (and reach their own queue last); the victim
    search starts at pid. Thieves take the oldest object, leaving the owner its warm ones.
    """
    n = len(locals_all)
    for i in range(n):
        shared = locals_all[(first + i) % n].shared
        if shared:
            try:
                return shared.popleft()
            except IndexError:
                pass  # its owner or another thief took the last one first
    return None
