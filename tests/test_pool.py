"""pool.Pool and pool.FastPool: Go's sync.Pool algorithm, tier by tier.

Every test takes the `Pool` fixture (conftest.py): it runs once per implementation."""

import gc
import threading
import time
import weakref

import pytest

import pool
from conftest import Obj, in_thread

pytestmark = pytest.mark.usefixtures("quiet")


def put_one(p):
    """Put a fresh object into p and keep only a weak reference to it."""
    x = Obj()
    p.put(x)
    return weakref.ref(x)


def test_get_returns_the_object_this_thread_put(Pool):
    p = Pool(Obj)
    x = Obj()
    p.put(x)
    assert p.get() is x


def test_get_calls_new_when_the_pool_is_empty(Pool):
    made = []
    p = Pool(lambda: made.append(Obj()) or made[-1])
    x = p.get()
    assert made == [x]
    assert p.stats().news == 1


def test_get_returns_none_when_empty_and_there_is_no_new(Pool):
    p = Pool()
    assert p.get() is None
    assert p.stats().gets == 1 and p.stats().news == 0


def test_put_none_is_ignored(Pool):
    p = Pool()
    p.put(None)
    assert p.get() is None
    assert p.stats().puts == 0


@pytest.mark.parametrize("bad", [42, "bytearray", bytearray(3)])
def test_non_callable_new_raises_type_error_naming_it(bad, Pool):
    with pytest.raises(TypeError, match="new must be a callable"):
        Pool(bad)


def test_private_slot_is_filled_first_and_taken_first(Pool):
    p = Pool()
    a, b = Obj(), Obj()
    p.put(a)  # private
    p.put(b)  # shared head
    assert p.get() is a
    s = p.stats()
    assert (s.private_hits, s.shared_hits) == (1, 0)


def test_owner_pops_its_shared_queue_at_the_head_lifo(Pool):
    p = Pool()
    a, b, c = Obj(1), Obj(2), Obj(3)
    for x in (a, b, c):
        p.put(x)  # a private; b then c onto the shared head
    assert [p.get() for _ in range(3)] == [a, c, b]
    assert p.stats().shared_hits == 2


def test_thieves_pop_another_threads_shared_queue_at_the_tail_fifo(Pool):
    p = Pool()
    a, b, c = Obj(1), Obj(2), Obj(3)

    def owner():
        for x in (a, b, c):
            p.put(x)  # a private (never stolen); b, c shared

    in_thread(owner)
    assert p.get() is b  # the oldest in the shared queue
    assert p.get() is c
    assert p.get() is None  # a private slot is never stolen
    assert p.stats().steals == 2


def test_objects_of_a_dead_thread_stay_stealable(Pool):
    p = Pool()
    objs = [Obj(i) for i in range(5)]
    in_thread(lambda: [p.put(x) for x in objs])
    got = [p.get() for _ in range(4)]
    assert got == objs[1:]  # the shared queue, oldest first; objs[0] was that thread's private


def test_victim_is_searched_after_stealing(Pool):
    p = Pool()
    old = Obj(0)
    p.put(old)
    pool.cleanup()  # old is now in the victim
    fresh = [Obj(1), Obj(2)]
    in_thread(lambda: [p.put(x) for x in fresh])  # Obj(2) sits in that thread's shared queue
    assert p.get() is fresh[1]  # stolen first
    assert p.get() is old  # then the victim
    s = p.stats()
    assert (s.steals, s.victim_hits) == (1, 1)


def test_object_survives_one_cleanup_and_not_two(Pool):
    p = Pool()
    alive = put_one(p)
    pool.cleanup()
    assert alive() is not None  # in the victim: still reusable
    pool.cleanup()
    assert alive() is None  # dropped with the victim
    assert p.stats().drops == 1


def test_an_object_taken_from_the_victim_and_put_back_starts_over(Pool):
    p = Pool()
    x = Obj()
    p.put(x)
    pool.cleanup()
    assert p.get() is x
    p.put(x)  # into the primary again
    pool.cleanup()
    assert p.get() is x


def test_shared_and_private_objects_both_age_out(Pool):
    p = Pool()
    objs = [Obj(i) for i in range(10)]
    refs = [weakref.ref(x) for x in objs]
    for x in objs:
        p.put(x)
    del objs, x
    pool.cleanup()
    pool.cleanup()
    assert [r() for r in refs] == [None] * 10
    assert p.stats().drops == 10


def test_stats_count_every_outcome(Pool):
    p = Pool(Obj)
    a = p.get()  # news
    p.put(a)
    p.get()  # private
    p.put(a)
    p.put(Obj())
    p.get()  # private
    p.get()  # shared
    in_thread(lambda: p.put(Obj()) or p.put(Obj()))
    p.get()  # steal
    assert p.stats() == pool.Stats(gets=5, puts=5, private_hits=2, shared_hits=1, steals=1,
                                   victim_hits=0, news=1, drops=0)


def test_stats_survive_cleanups_and_dead_threads(Pool):
    p = Pool(Obj)
    in_thread(lambda: p.put(p.get()))
    for _ in range(3):
        pool.cleanup()
    s = p.stats()
    assert (s.gets, s.puts, s.news, s.drops) == (1, 1, 1, 1)


def test_stats_is_an_immutable_record(Pool):
    s = Pool().stats()
    with pytest.raises(AttributeError):
        s.gets = 3


def test_a_thousand_short_lived_threads_leave_nothing_after_two_cleanups(Pool):
    p = Pool()
    refs = []

    def worker():
        x = Obj()
        refs.append(weakref.ref(x))
        p.put(x)

    for _ in range(1000):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert sum(r() is not None for r in refs) == 1000  # all still pooled, stealable
    pool.cleanup()
    pool.cleanup()
    assert sum(r() is not None for r in refs) == 0
    assert len(p.pooled()) == 0


def test_a_pool_runs_on_goes_poolchain_as_well(Pool):
    class ChainPool(Pool):
        __slots__ = ()
        shared_queue = pool.ChainShared

    p = ChainPool()
    objs = [Obj(i) for i in range(20)]
    for x in objs:
        p.put(x)
    assert [p.get() for _ in range(20)] == [objs[0], *objs[:0:-1]]  # private, then LIFO
    in_thread(lambda: [p.put(Obj(-i)) for i in range(1, 4)])
    assert [p.get().n for _ in range(2)] == [-2, -3]  # stolen from the tail, oldest first
    assert p.stats().steals == 2


def test_pool_is_released_when_no_longer_referenced(Pool):
    p = Pool()
    alive = weakref.ref(p)
    del p
    gc.collect()
    assert alive() is None


class TestCleanupTriggers:
    def test_an_explicit_cleanup_waits_for_one_under_way_then_runs_its_own(self, Pool):
        p = Pool()
        alive = put_one(p)
        with pool.victim._lock:  # as if another thread were cleaning up
            t = threading.Thread(target=pool.cleanup)
            t.start()
            t.join(0.1)
            assert t.is_alive()  # waiting, not skipped
        t.join()
        assert alive() is not None  # that was the first cleanup
        pool.cleanup()
        assert alive() is None


    def test_a_full_collection_runs_cleanup(self, Pool):
        pool.configure(generations=(2,))
        p = Pool()
        alive = put_one(p)
        gc.collect(2)
        gc.collect(2)
        assert alive() is None

    def test_a_young_collection_does_not_unless_configured(self, Pool):
        pool.configure(generations=(2,))
        p = Pool()
        x = Obj()
        p.put(x)
        gc.collect(0)
        gc.collect(0)
        if pool.victim._FULL_ONLY:  # free-threaded: no young collections, every one is full
            assert p.get() is not x
        else:
            assert p.get() is x
        p.put(x)
        pool.configure(generations=(0, 1, 2))
        gc.collect(0)
        gc.collect(0)
        assert p.get() is None

    def test_automatic_collections_alone_run_cleanup(self, Pool):
        """No gc.collect(), no cleanup(): the collector's own collections release an idle
        object. On the free-threaded build they all report generation 0."""
        pool.configure(generations=(2,))
        p = Pool()
        alive = put_one(p)
        survivors, made = [], 0
        while alive() is not None and made < 2_000_000:
            cycle = Obj()
            cycle.holders.append(cycle)  # garbage only the cyclic collector frees
            if made % 4 == 0:
                survivors.append([made])  # long-lived containers, so full collections come due
            made += 1
        assert alive() is None, f"still pooled after {made} reference cycles"

    def test_automatic_collections_report_generation_0_only_on_the_free_threaded_build(self):
        """What gc.callbacks sees, which is why victim.py counts every collection as full on
        the free-threaded build (_Py_RunGC in Python/gc_free_threading.c collects "0")."""
        seen = set()

        def record(phase, info):
            if phase == "start":
                seen.add(info["generation"])

        gc.callbacks.append(record)
        try:
            survivors = []
            for made in range(100_000):
                cycle = Obj()
                cycle.holders.append(cycle)
                if made % 4 == 0:
                    survivors.append([made])  # long-lived containers: older generations fill
        finally:
            gc.callbacks.remove(record)
        if pool.victim._FULL_ONLY:
            assert seen == {0}
        else:  # older generations too (a full one comes due only once the heap has grown)
            assert 0 in seen and seen - {0}, seen

    def test_configure_rejects_generations_and_intervals_that_do_not_exist(self):
        with pytest.raises(ValueError, match="generations"):
            pool.configure(generations=(3,))
        with pytest.raises(ValueError, match="interval"):
            pool.configure(interval=0)

    def test_idle_objects_age_out_with_the_collector_disabled(self, Pool):
        p = Pool()
        alive = put_one(p)
        gc.disable()
        try:
            pool.configure(interval=0.05)
            deadline = time.monotonic() + 5
            while alive() is not None and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            gc.enable()
            pool.configure(interval=3600)
        assert alive() is None

    def test_the_interval_is_a_deadline_not_a_period(self, Pool):
        # A cleanup that just happened resets it: an object put right after one survives
        # at least one whole interval.
        pool.configure(interval=0.5)
        p = Pool()
        pool.cleanup()
        x = Obj()
        p.put(x)
        time.sleep(0.2)
        assert p.get() is x

    def test_a_forked_child_is_not_stuck_on_a_lock_the_ager_held(self):
        """A child inherits the locks of the parent's threads in the state they were in. Here
        the fork happens while the ager's Event lock is held, as it is whenever the ager is
        inside wait() or clear(): the child's configure(), which sets that Event, must still
        return. (On 3.13t, 13 of 300 children forked right after waking the ager hung so.)"""
        import os
        with pool.victim._wake._cond:  # as the ager holds it, now and then
            pid = os.fork()
            if pid == 0:
                pool.configure(interval=3600)  # sets the Event
                os._exit(0)
        deadline = time.monotonic() + 5
        while not (done := os.waitpid(pid, os.WNOHANG))[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        if not done[0]:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert done[0] == pid and done[1] == 0, "the forked child hung in configure()"

    def test_a_forked_child_keeps_aging_its_pools(self, Pool):
        import os
        p = Pool()
        p.put(Obj())
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its ager thread must be running again
            pool.configure(interval=0.05)
            deadline = time.monotonic() + 5
            while p.pooled() and time.monotonic() < deadline:
                time.sleep(0.01)
            os.write(write, b"empty" if not p.pooled() else b"kept")
            os._exit(0)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        assert os.read(read, 16) == b"empty" and status == 0
        os.close(read)


class TestHandle:
    """pool.pin(): Go's pinned poolLocal -- the same pool, without the per-call lookup."""

    def test_a_handle_serves_the_tiers_in_the_pools_order_and_counts_them(self, Pool):
        p = Pool(Obj)
        h = p.pin()
        a, b = Obj(), Obj()
        h.put(a)  # private
        h.put(b)  # shared
        assert h.get() is a and h.get() is b
        theirs = [Obj(), Obj()]
        in_thread(lambda: [p.put(x) for x in theirs])  # private, then shared, of another thread
        assert h.get() is theirs[1]  # stolen from the tail of that thread's shared queue
        assert h.get() not in theirs  # its private slot is its own: new()
        s = p.stats()
        assert (s.private_hits, s.shared_hits, s.steals, s.news) == (1, 1, 1, 1), s

    def test_a_handle_and_the_pool_share_the_threads_slots(self, Pool):
        p = Pool()
        h = p.pin()
        x = Obj()
        h.put(x)
        assert p.get() is x
        p.put(x)
        assert h.get() is x

    def test_a_held_handle_follows_cleanups_one_survived_two_not(self, Pool):
        p = Pool()
        h = p.pin()
        alive = put_one(h)
        pool.cleanup()  # demotes the handle's Local: the object is in the victim
        assert alive() is not None
        x = h.get()  # a victim hit, then the handle pins the new primary
        assert alive() is x and p.stats().victim_hits == 1
        h.put(x)
        del x
        pool.cleanup()
        pool.cleanup()
        assert alive() is None

    def test_put_none_is_ignored(self, Pool):
        p = Pool()
        h = p.pin()
        h.put(None)
        assert h.get() is None and p.stats().puts == 0

    def test_in_debug_mode_a_handle_refuses_other_threads(self, Pool):
        p = Pool(Obj, debug=pool.Debug(drop=0))
        h = p.pin()
        with pytest.raises(RuntimeError, match="other than the one that pinned it"):
            _raise_in_thread(h.get)

    def test_in_debug_mode_a_handle_checks_puts_as_the_pool_does(self, Pool):
        import warnings
        p = Pool(Obj, debug=pool.Debug(drop=0))
        h = p.pin()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = h.get()
            h.put(x)  # handed over as callers do: no warning
            x = h.get()
            kept = [x]
            with pytest.raises(pool.EscapeWarning):
                h.put(x)  # kept still refers to it
            kept.clear()
            h.put(x)
            with pytest.raises(pool.AlreadyPooledError):
                h.put(x)


def _raise_in_thread(fn):
    """Run fn on another thread and raise there what it raised."""
    errors = []

    def run():
        try:
            fn()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]
