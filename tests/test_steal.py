"""PoolDequeue and PoolChain: Go's poolqueue.go, checked against a list model."""

import threading

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import pool
from pool.steal import EMPTY


def test_push_head_returns_false_when_the_ring_is_full():
    d = pool.PoolDequeue(4)
    assert all(d.push_head(i) for i in range(4))
    assert d.push_head(4) is False
    assert len(d) == 4


def test_owner_pops_the_head_and_thieves_pop_the_tail():
    d = pool.PoolDequeue(8)
    for i in range(3):
        d.push_head(i)
    assert d.pop_head() == (2, True)
    assert d.pop_tail() == (0, True)
    assert d.pop_tail() == (1, True)
    assert d.pop_tail() == (None, False)
    assert d.pop_head() == (None, False)


def test_head_and_tail_are_packed_into_one_integer():
    d = pool.PoolDequeue(8)
    for i in range(5):
        d.push_head(i)
    d.pop_tail()
    assert d.unpack(d.head_tail) == (5, 1)
    assert d.head_tail == (5 << 32) | 1


def test_popped_slots_are_cleared_so_the_pool_keeps_nothing_alive():
    d = pool.PoolDequeue(4)
    for i in range(4):
        d.push_head(object())
    d.pop_head()
    d.pop_tail()
    assert sum(v is EMPTY for v in d.vals) == 2


def test_the_ring_wraps_around_its_slots():
    d = pool.PoolDequeue(2)
    for i in range(100):
        assert d.push_head(i)
        assert d.pop_tail() == (i, True)


def test_none_is_a_value_like_any_other():
    d = pool.PoolDequeue(2)
    d.push_head(None)
    assert d.pop_tail() == (None, True)


@pytest.mark.parametrize("size", [0, 3, 12, 1 << 31])
def test_dequeue_size_must_be_a_power_of_two_within_the_limit(size):
    with pytest.raises(ValueError, match="power of two"):
        pool.PoolDequeue(size)


def test_chain_grows_by_doubling_from_eight():
    c = pool.PoolChain()
    for i in range(8 + 16 + 32 + 1):
        c.push_head(i)
    sizes, d = [], c.tail
    while d is not None:
        sizes.append(len(d.vals))
        d = d.next
    assert sizes == [8, 16, 32, 64]


def test_chain_unlinks_a_drained_oldest_dequeue():
    c = pool.PoolChain()
    for i in range(9):  # 8 in the first dequeue, 1 in the second
        c.push_head(i)
    first = c.tail
    assert [c.pop_tail()[0] for _ in range(9)] == list(range(9))
    assert c.tail is not first and c.tail.prev is None


def test_thieves_on_many_threads_take_each_value_exactly_once():
    c = pool.PoolChain()
    n = 20_000
    taken = [[] for _ in range(3)]
    done = threading.Event()

    def thief(out):
        while True:
            val, ok = c.pop_tail()
            if ok:
                out.append(val)
            elif done.is_set():
                val, ok = c.pop_tail()
                if not ok:
                    return
                out.append(val)

    thieves = [threading.Thread(target=thief, args=(t,)) for t in taken]
    for t in thieves:
        t.start()
    owner_took = []
    for i in range(n):
        c.push_head(i)
        if i % 7 == 0:
            val, ok = c.pop_head()
            if ok:
                owner_took.append(val)
    done.set()
    for t in thieves:
        t.join()
    everything = owner_took + [v for t in taken for v in t]
    assert sorted(everything) == list(range(n))
    for t in taken:  # each thief sees the tail advance: increasing values
        assert t == sorted(t)


class DequeModel(RuleBasedStateMachine):
    """A PoolDequeue behaves like a bounded list: head at the end, tail at the start."""

    size = 8

    def __init__(self):
        super().__init__()
        self.d = pool.PoolDequeue(self.size)
        self.model = []

    @rule(v=st.integers())
    def push_head(self, v):
        ok = self.d.push_head(v)
        assert ok == (len(self.model) < self.size)
        if ok:
            self.model.append(v)

    @rule()
    def pop_head(self):
        expect = (self.model.pop(), True) if self.model else (None, False)
        assert self.d.pop_head() == expect

    @rule()
    def pop_tail(self):
        expect = (self.model.pop(0), True) if self.model else (None, False)
        assert self.d.pop_tail() == expect

    @invariant()
    def same_length_and_no_stale_slots(self):
        assert len(self.d) == len(self.model)
        assert sum(v is not EMPTY for v in self.d.vals) == len(self.model)


class ChainModel(RuleBasedStateMachine):
    """A PoolChain behaves like an unbounded list."""

    def __init__(self):
        super().__init__()
        self.c = pool.PoolChain()
        self.model = []

    @rule(vs=st.lists(st.integers(), min_size=1, max_size=40))
    def push_head(self, vs):
        for v in vs:
            self.c.push_head(v)
        self.model.extend(vs)

    @rule(k=st.integers(1, 30))
    def pop_head(self, k):
        for _ in range(k):
            expect = (self.model.pop(), True) if self.model else (None, False)
            assert self.c.pop_head() == expect

    @rule(k=st.integers(1, 30))
    def pop_tail(self, k):
        for _ in range(k):
            expect = (self.model.pop(0), True) if self.model else (None, False)
            assert self.c.pop_tail() == expect

    @invariant()
    def same_length(self):
        assert len(self.c) == len(self.model)


TestDequeModel = DequeModel.TestCase
TestDequeModel.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
TestChainModel = ChainModel.TestCase
TestChainModel.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
