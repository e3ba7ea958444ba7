"""pool.FastPool: the C fast path behaves exactly as pool.Pool, and the pure-Python fallback.

The suites of test_pool.py, test_stress.py and test_allocations.py run against both
implementations (conftest.Pool); this file adds what only a comparison can show -- the same
script of calls on 8 threads gives the same objects from the same tiers -- and what only
the C side has.
"""

import gc
import itertools
import os
import random
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import pytest

import pool
from conftest import Obj

ROOT = Path(__file__).resolve().parent.parent
needs_c = pytest.mark.skipif(not pool.FAST, reason=pool.fastpool.status())
THREADS = 8
OPS = ("get", "get", "put", "put", "put", "handle get", "handle put", "cleanup")


def run_script(Pool, seed, steps=4000):  # noqa: N803 -- a pool class
    """Play a seeded script of gets, puts (also through pinned handles) and cleanups on 8
    threads, one step at a time in the script's order, and return what every get returned
    (objects by serial number), the objects left in the pool, and the pool's stats."""
    serial = itertools.count()
    p = Pool(lambda: Obj(next(serial)))
    rng = random.Random(seed)
    script = [(rng.randrange(THREADS), rng.choice(OPS), rng.randrange(1 << 30))
              for _ in range(steps)]
    seen = []
    turn = 0
    cond = threading.Condition()
    errors = []

    def worker(me):
        nonlocal turn
        held, handle = [], p.pin()
        while True:
            with cond:
                cond.wait_for(lambda: turn == len(script) or script[turn][0] == me)
                if turn == len(script):
                    return
                _, op, r = script[turn]
                try:
                    if op == "cleanup":
                        pool.cleanup()
                    elif op.endswith("get"):
                        x = (handle if op.startswith("handle") else p).get()
                        seen.append((turn, None if x is None else x.n))
                        if x is not None:
                            held.append(x)
                    else:
                        x = held.pop(r % len(held)) if held else Obj(-turn)
                        (handle if op.startswith("handle") else p).put(x)
                except Exception as e:  # noqa: BLE001 -- surface it in the main thread
                    errors.append(repr(e))
                turn += 1
                cond.notify_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return seen, sorted(x.n for x in p.pooled()), p.stats()


@needs_c
@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_same_calls_on_8_threads_get_the_same_objects_from_the_same_tiers(seed):
    python = run_script(pool.Pool, seed)
    fast = run_script(pool.FastPool, seed)
    assert fast[0] == python[0]  # every get, in order: which object, or None
    assert fast[1:] == python[1:]  # what is left pooled, and every count
    s = python[2]
    # The script reaches every tier, so the comparison covers all of them.
    assert min(s.private_hits, s.shared_hits, s.steals, s.victim_hits, s.news, s.drops) > 0, s


@needs_c
def test_a_c_local_has_the_python_locals_attributes():
    from pool import _pool
    from pool.local import Local, Tally

    c_local, py_local = _pool.Local(3, Tally()), Local(3, Tally())
    for name in Local.__slots__:
        assert type(getattr(c_local, name)) is type(getattr(py_local, name)), name
    assert c_local.pid == 3 and c_local.private is None and c_local.pooled() == 0
    c_local.private = Obj()
    assert c_local.pooled() == 1
    with pytest.raises(AttributeError, match="set it to None"):
        del c_local.private
    with pytest.raises(TypeError, match="must be a counter"):
        _pool.Local(0, type("T", (), {"puts": 1})())


@needs_c
@pytest.mark.usefixtures("quiet")
def test_a_new_pool_never_sees_the_thread_cache_of_a_freed_one():
    # The per-thread cache borrows Locals; a pool made where a freed one lived must not
    # find the freed pool's Local (and its object) there.
    for _ in range(100):
        p = pool.FastPool()
        p.put(Obj())
        del p
        gc.collect()
        assert pool.FastPool().get() is None


@needs_c
@pytest.mark.usefixtures("quiet")
def test_a_local_that_the_generation_does_not_hold_is_never_cached():
    # The cache borrows; a Local only the call holds is gone after it, so it must not be kept.
    from pool import _pool

    class Unheld(pool.FastPool):
        def _local(self):
            return _pool.Local(0, self._tallies.mine())  # in no generation

    p = Unheld()
    for _ in range(100):
        p.put(Obj())  # into a Local nobody keeps: the object is let go
        assert p.get() is None
    assert p.stats().puts == 100


@needs_c
@pytest.mark.usefixtures("quiet")
def test_a_subclass_whose_local_is_not_a_c_local_is_refused_clearly():
    class Wrong(pool.FastPool):
        def _local(self):
            return pool.Pool._local(self)  # a Python Local

    with pytest.raises(TypeError, match="_local\\(\\) must return a pool._pool.Local"):
        Wrong().get()


def test_debug_mode_is_the_checked_python_pool_for_both():
    assert type(pool.FastPool(Obj, debug=True)) is pool.CheckedPool
    assert type(pool.FastPool(Obj, debug=False)) is pool.FastPool


def test_the_c_pool_is_built_wherever_it_can_be():
    """`make` builds the extension when a C compiler and Python's headers are there; a
    build that fails silently would leave everything on Python without anyone noticing."""
    if os.environ.get("POOL_PURE_PYTHON", "") not in ("", "0"):
        assert not pool.FAST and pool.FastPool is pool.Pool
        assert "POOL_PURE_PYTHON" in pool.fastpool.status()
        return
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        assert not pool.FAST and "the GIL is off" in pool.fastpool.status()
        return
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    if subprocess.run(["which", compiler], capture_output=True).returncode or not headers.exists():
        assert not pool.FAST and "not built" in pool.fastpool.status()
    else:
        assert pool.FAST, pool.fastpool.status() + " -- `pip install -v -e .` shows why"


@pytest.mark.slow
@needs_c
def test_the_pool_suites_pass_with_the_extension_forced_off():
    """POOL_PURE_PYTHON=1: what a machine without a C compiler runs."""
    suites = ["tests/test_pool.py", "tests/test_stress.py", "tests/test_allocations.py",
              "tests/test_buffers.py", "tests/test_escape.py",
              "tests/test_fastpool.py::test_the_c_pool_is_built_wherever_it_can_be",
              "tests/test_fastpool.py::test_debug_mode_is_the_checked_python_pool_for_both"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider",
                          *suites], cwd=ROOT, capture_output=True, text=True, timeout=1200,
                         env={**os.environ, "POOL_PURE_PYTHON": "1"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "[Pool" in run.stdout and "[FastPool" not in run.stdout  # FastPool is Pool there
    assert " skipped" not in run.stdout.splitlines()[-1], run.stdout.splitlines()[-1]
