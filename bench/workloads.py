"""What `make bench` measures: the contenders for one get+put, and Go's pool benchmarks.

Each single-thread workload is a loop ``loop(n)`` doing n get+put pairs inline, the way a
program calls a pool, so that the call overhead a user pays is in the measurement.
"""

import contextvars
import inspect
import queue
import textwrap
import threading
from collections import deque
from itertools import repeat

import pool
from measure.timing import FLOOR, floor, g, h
from pool import syncpool

SIZE = 1024  # the pooled buffer: about what two empty Python calls cost to allocate


def new_buffer():
    return bytearray(SIZE)


class LockedPool:
    """One lock around one list: the shape of most pools on PyPI, and a contention hot spot."""

    def __init__(self, new):
        self.new, self.items, self.lock = new, [], threading.Lock()

    def get(self):
        with self.lock:
            if self.items:
                return self.items.pop()
        return self.new()

    def put(self, x):
        with self.lock:
            self.items.append(x)


def without_counters(cls):
    """cls with get and put recompiled from their own source, minus the counter lines.

    The difference between the two is exactly what Pool.stats() costs on the fast path.
    """
    namespace = {}
    for name in ("get", "put"):
        source = textwrap.dedent(inspect.getsource(getattr(cls, name)))
        lean = "\n".join(line for line in source.splitlines() if "next(local." not in line)
        exec(compile(lean, f"<{cls.__name__}.{name} without counters>", "exec"),
             vars(syncpool), namespace)
    return type(f"{cls.__name__}WithoutStats", (cls,), {"__slots__": (), **namespace})


class ChainPool(pool.Pool):
    """pool.Pool on Go's own poolChain (steal.ChainShared) instead of collections.deque."""

    __slots__ = ()
    shared_queue = pool.ChainShared


class NoVictimPool(pool.Pool):
    """Go before 1.13: every cleanup empties the pool (two generations at once)."""

    __slots__ = ()

    def _cleanup(self):
        super()._cleanup()
        super()._cleanup()


def pair_loops():
    """name -> loop(n): n get+put pairs (or allocations) on one thread."""
    x = bytearray(SIZE)
    loops = {}

    d = deque([x])

    def deque_pop_append(n):
        for _ in repeat(None, n):
            d.append(d.pop())

    def alloc_1k(n):
        for _ in repeat(None, n):
            bytearray(1024)

    def alloc_64k(n):
        for _ in repeat(None, n):
            bytearray(65536)

    # What the per-thread lookup alone costs, once in get and once in put: the least any
    # pool can cost whose get and put each find the thread's cache. threading.local is what
    # pool.Pool uses; a ContextVar is faster but belongs to a context, not a thread, and a
    # context is shared by the threads it is copied to (asyncio.to_thread; on the
    # free-threaded build, every new thread by default), so it cannot guard a private slot.
    tls = threading.local()
    tls.mine = x
    var = contextvars.ContextVar("mine")
    var.set(x)

    def floor_with_tls(n):
        for _ in repeat(None, n):
            g()
            tls.mine
            h(x)
            tls.mine

    def floor_with_contextvar(n):
        for _ in repeat(None, n):
            g()
            var.get()
            h(x)
            var.get()

    loops.update({FLOOR: floor(x), "deque pop+append (C floor)": deque_pop_append,
                  "bytearray(1024)": alloc_1k, "bytearray(65536)": alloc_64k,
                  "floor + two threading.local reads": floor_with_tls,
                  "floor + two ContextVar.get()": floor_with_contextvar})

    def pool_loop(p):
        p.put(p.get())  # warm: this thread's Local exists and its private slot is full

        def loop(n):
            for _ in repeat(None, n):
                p.put(p.get())
        return loop

    loops["pool.Pool (stats on)"] = pool_loop(pool.Pool(new_buffer))
    loops["pool.Pool, pinned Handle (stats on)"] = pool_loop(pool.Pool(new_buffer).pin())
    loops["pool.Pool, counter lines removed"] = pool_loop(without_counters(pool.Pool)(new_buffer))
    if pool.FAST:  # else FastPool is Pool: nothing more to measure (pool.fastpool.status())
        loops["pool.FastPool (stats on)"] = pool_loop(pool.FastPool(new_buffer))
        loops["pool.FastPool, pinned Handle (stats on)"] = pool_loop(
            pool.FastPool(new_buffer).pin())
    loops["lock + list pool"] = pool_loop(LockedPool(new_buffer))

    bp = pool.BufferPool()

    def buffer_pool(n):
        for _ in repeat(None, n):
            bp.put(bp.get(SIZE))
    bp.put(bp.get(SIZE))
    loops["pool.BufferPool get(1024)+put"] = buffer_pool

    q = queue.Queue()
    q.put(new_buffer())

    def queue_pool(n):
        for _ in repeat(None, n):
            try:
                y = q.get_nowait()
            except queue.Empty:
                y = new_buffer()
            q.put_nowait(y)
    loops["queue.Queue pool"] = queue_pool
    loops.update(resource_loops())
    loops.update(pypi_loops())
    return loops


class Resource:
    """A stand-in for a connection: what a resource pool's bookkeeping costs, alone."""

    def close(self):
        pass

    def rollback(self):  # SQLAlchemy resets a connection on check-in
        pass


def resource_loops():
    """acquire+release of a resource pool (chapter 5), against queue.Queue and SQLAlchemy."""
    from sqlalchemy.pool import QueuePool

    rp = pool.ResourcePool(Resource, max_size=4, acquire_timeout=1)

    def resource_pool(n):
        for _ in repeat(None, n):
            rp.release(rp.acquire())

    qp = QueuePool(Resource, pool_size=4, max_overflow=0, timeout=1, reset_on_return=None)

    def sqlalchemy_pool(n):
        for _ in repeat(None, n):
            qp.connect().close()

    return {"pool.ResourcePool acquire+release": resource_pool,
            "SQLAlchemy QueuePool connect+close": sqlalchemy_pool}


def pypi_loops():
    """The PyPI pools, each used as its documentation shows (benchmark-only dependencies)."""
    loops = {}
    try:
        import fastalloc
        import pond
        from syncpool_py.pools.syncpool import SyncObjectPool
    except ImportError as e:
        raise SystemExit(f"{e}: run `make bench`, which installs requirements-bench.txt") from e

    for cls in (fastalloc.ThreadSafePool, fastalloc.ThreadLocalPool):
        fp = cls(bytearray, 64, factory=new_buffer)

        def fast(n, fp=fp):
            for _ in repeat(None, n):
                fp.release(fp.get())
        loops[f"fastalloc.{cls.__name__}"] = fast

    sp = SyncObjectPool(obj=new_buffer)

    def syncpool_py(n):
        for _ in repeat(None, n):
            y = sp.get()
            if y is None:
                y = sp.get_new_obj()
            sp.put(y)
    loops["syncpool-py SyncObjectPool"] = syncpool_py

    class Buffers(pond.PooledObjectFactory):
        def createInstance(self):
            return pond.PooledObject(new_buffer())

        def destroy(self, pooled_object):
            del pooled_object

        def reset(self, pooled_object, **kwargs):
            return pooled_object

        def validate(self, pooled_object):
            return True

    pd = pond.Pond(borrowed_timeout=60, time_between_eviction_runs=-1)
    factory = Buffers(pooled_maxsize=64)
    pd.register(factory)

    def pondpond(n):
        for _ in repeat(None, n):
            pd.recycle(pd.borrow(factory), factory)
    loops["pondpond Pond"] = pondpond
    return loops


# Go's benchmarks in src/sync/pool_test.go, one iteration of the per-goroutine body each.

def go_pool(p):
    """BenchmarkPool: put then get -- the private fast path."""
    p.put(1)
    p.get()


def go_overflow(p):
    """BenchmarkPoolOverflow: 100 puts then 100 gets -- the shared queue."""
    for _ in repeat(None, 100):
        p.put(1)
    for _ in repeat(None, 100):
        p.get()


def go_starvation(p):
    """BenchmarkPoolStarvation: a third fewer puts than gets -- forces stealing."""
    for _ in repeat(None, 100 - int(100 * 0.33)):
        p.put(1)
    for _ in repeat(None, 100):
        p.get()


GO_BENCHMARKS = {"BenchmarkPool": go_pool, "BenchmarkPoolOverflow": go_overflow,
                 "BenchmarkPoolStarvation": go_starvation}

# (benchmark, contender, make the pool): the deque against Go's poolChain where the shared
# queue is used, and a single locked pool where every call would contend for it.
GO_RUNS = [
    ("BenchmarkPool", "pool.Pool", pool.Pool),
    ("BenchmarkPool", "lock + list pool", lambda: LockedPool(lambda: None)),
    ("BenchmarkPoolOverflow", "pool.Pool", pool.Pool),
    ("BenchmarkPoolOverflow", "pool.Pool on PoolChain", ChainPool),
    ("BenchmarkPoolStarvation", "pool.Pool", pool.Pool),
    ("BenchmarkPoolStarvation", "pool.Pool on PoolChain", ChainPool),
] + [(go_name, "pool.FastPool", pool.FastPool) for go_name in GO_BENCHMARKS if pool.FAST]


def run_parallel(body, p, threads, iterations):
    """Go's b.RunParallel: `threads` threads share `iterations` runs of body(p)."""
    each = [iterations // threads + (i < iterations % threads) for i in range(threads)]
    workers = [threading.Thread(target=lambda k=k: [body(p) for _ in repeat(None, k)])
               for k in each]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def expensive_new(pool_class, threads, ops, cleanup_every=2):
    """BenchmarkPoolExpensiveNew: new() calls per op, with cleanups as Go has GCs.

    Each op checks out 100 objects (allocating 32 KiB of work per object, as Go's does) and
    puts them back. Go's ballast makes a GC run every few ops; here thread 0 calls
    pool.cleanup() every `cleanup_every` of its ops.
    """
    made = []
    p = pool_class(lambda: made.append(None) or object())

    def body(tid, k):
        items = [None] * 100
        for op in range(k):
            for i in range(100):
                items[i] = p.get()
                sink = bytearray(32 << 10)
            for i in range(100):
                p.put(items[i])
                items[i] = None
            if tid == 0 and op % cleanup_every == cleanup_every - 1:
                pool.cleanup()
        return sink

    workers = [threading.Thread(target=body, args=(t, ops // threads)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(made) / ops, p.stats()
