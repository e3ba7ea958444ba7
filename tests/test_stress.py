"""Threads hammering one pool (each implementation) with cleanups mid-run: nothing is handed
out twice or lost."""

import itertools
import random
import sys
import threading
import weakref

import pytest

import pool
from conftest import Obj

THREADS = 8
OPS = 100_000  # get or put operations per thread


@pytest.mark.slow
@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize("shared_queue", [pool.Pool.shared_queue, pool.ChainShared])
def test_no_object_is_held_twice_and_every_object_is_accounted_for(Pool, shared_queue):
    Under = Pool  # noqa: N806 -- the class itself, as programs use it (FastPool: its C type)
    if shared_queue is not Pool.shared_queue:
        class Under(Pool):
            __slots__ = ()

        Under.shared_queue = shared_queue
    serial = itertools.count()
    refs = []

    def new():
        x = Obj(next(serial))
        refs.append(weakref.ref(x))  # list.append is atomic
        return x

    p = Under(new)
    stop = threading.Event()
    errors = []

    def cleaner():
        while not stop.wait(0.002):
            pool.cleanup()

    def worker(seed):
        rng = random.Random(seed)
        me = threading.get_ident()
        held = []
        try:
            for _ in itertools.repeat(None, OPS):
                if held and (len(held) > 16 or rng.random() < 0.5):
                    x = held.pop(rng.randrange(len(held)))
                    x.holders.remove(me)
                    p.put(x)
                else:
                    x = p.get()
                    x.holders.append(me)
                    if len(x.holders) != 1:
                        errors.append(f"object {x.n} held by {len(x.holders)} threads")
                    held.append(x)
            for x in held:
                x.holders.remove(me)
                p.put(x)
        except Exception as e:  # surface it in the main thread
            errors.append(repr(e))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, to interleave every step
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        c = threading.Thread(target=cleaner)
        c.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        c.join()
    finally:
        sys.setswitchinterval(old)

    assert errors == []
    pooled = p.pooled()
    assert len({id(x) for x in pooled}) == len(pooled), "an object is in the pool twice"
    alive = [r() for r in refs if r() is not None]
    # No thread holds anything now: every object ever made is pooled or was released.
    assert {id(x) for x in alive} == {id(x) for x in pooled}
    s = p.stats()
    assert s.news == len(refs)
    assert s.gets == s.puts >= THREADS * OPS // 2  # every get was put back
    assert s.steals > 0 and s.victim_hits > 0, s  # every tier was exercised
    assert len(refs) - len(alive) > 0  # cleanups released objects mid-run
