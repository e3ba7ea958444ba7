"""FastPool: pool.Pool with its fast path in C, as CPython pairs Lib/heapq.py with
Modules/_heapqmodule.c -- one behaviour, tested by one suite against both.

Mirrors ``Pool.Get`` and ``Pool.Put`` in Go's src/sync/pool.go, as syncpool.Pool does.
``Pool`` stays the readable reference; ``FastPool`` is the same pool (tiers, cleanup, stats,
``pin()``, debug mode) for programs that call it in a hot loop. A Python get+put is at least
two Python calls, and the book's introduction measures what those cost against allocating a
bytearray on your machine; chapter 1 measures from which size pooling pays, Python and C.

What is in C (reference/pool/_pool.c, module ``pool._pool``) and what is not:

- C holds the per-thread data -- ``Local``, local.py's Local with C fields under the same
  names -- and the fast path: ``get`` from the private slot or the head of the shared
  queue, ``put`` into the private slot or onto that head, and the same two on a pinned
  ``Handle``. A thread finds its Local in a per-thread C array indexed by the pool
  generation's serial number, where Pool reads a ``threading.local``.
- Everything else is the reference's own code, unchanged: the slow path (``_get_slow``:
  steal, victim, new), the cleanup and its triggers (victim.py), ``stats``, ``pooled``,
  ``__init__``. They are Pool's functions, attached to the C type below; they work on C
  Locals because those have the same attributes.
- Why attached, not inherited: CPython specializes a call of a C method only for an
  instance of exactly the method's type (``PRECALL_NO_KW_METHOD_DESCRIPTOR_NOARGS`` in
  Python/ceval.c, 3.11), so a Python subclass of the C type pays the generic call path on
  every get and put: a minimal C get+put measured 0.43-0.64x two empty Python calls on its
  own type and 0.96-1.0x on a subclass (three rounds of the best of 20 x 10,000 pairs).

``FAST`` says which you have. It is False, and ``FastPool`` is ``Pool`` itself, when:

- the extension was not built: it is optional (setup.py), so a machine without a C compiler
  or Python headers installs and runs everything on Python; ``make`` prints which after
  each install, and ``WHY_NOT_FAST`` says why;
- the environment sets ``POOL_PURE_PYTHON=1`` (the test suite runs once so);
- the GIL is off (free-threaded 3.13t). The C fast path reads and writes a slot in one
  step because the GIL lets no other thread run inside it; without the GIL a cleanup could
  free a Local under it. So the module declares ``Py_mod_gil = Py_MOD_GIL_USED`` -- on
  3.13t importing it turns the GIL back on, with a RuntimeWarning, unless ``-X gil=0``
  forces it off -- and this module does not import it when the GIL is off. ``make test-ft``
  builds nothing (PYTHONPATH=reference), so there it tests Pool alone.
"""

import importlib
import os
import sys

from .local import Local
from .syncpool import CheckedPool, Pool

WHY_NOT_FAST = None
if os.environ.get("POOL_PURE_PYTHON", "") not in ("", "0"):
    WHY_NOT_FAST = "POOL_PURE_PYTHON is set"
elif not getattr(sys, "_is_gil_enabled", lambda: True)():
    WHY_NOT_FAST = "the GIL is off, and the C fast path needs it (Py_MOD_GIL_USED)"
else:
    try:
        _pool = importlib.import_module(".._pool", __name__)
    except ImportError as e:  # optional: no C compiler or Python headers at install time
        WHY_NOT_FAST = f"the C extension is not built ({e}; `pip install -v -e .` shows why)"

FAST = WHY_NOT_FAST is None

if FAST:
    FastPool = _pool.FastPool
    # The reference Pool's methods off the fast path, and its class attributes.
    for name in ("__init__", "_get_slow", "_cleanup", "dropped", "stats", "pooled",
                 "__repr__", "shared_queue"):
        setattr(FastPool, name, vars(Pool)[name])
    FastPool.debug_pool = CheckedPool  # FastPool(new, debug=True), as Pool(new, debug=True)
    _pool.Local.pooled = Local.pooled

    def _local(self):
        """This thread's (C) Local in the primary generation, made on its first use."""
        return self._locals.pin(self._tallies, self.shared_queue, _pool.Local)

    FastPool._local = _local
    del name, _local
else:
    FastPool = Pool


def status():
    """One line saying which implementation pool.FastPool is, and why."""
    if FAST:
        return "pool.FastPool: the C fast path (pool._pool)"
    return f"pool.FastPool is pool.Pool, the Python implementation: {WHY_NOT_FAST}"
