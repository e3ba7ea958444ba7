"""Escape: who owns an object, and the checks that catch a pool used wrongly.

A pooled object must have exactly one owner at a time: after ``put(x)`` the caller must not
touch ``x`` again, because the next ``get`` -- in this thread or another -- hands it to
somebody else. Go finds out which values escape to the heap at compile time (escape
analysis); CPython has no escape analysis and puts every object on the heap, so this module
checks ownership at run time, in debug mode (``Pool(new, debug=True)``):

- putting an object that is already in the pool raises ``AlreadyPooledError``;
- putting an object that is still referenced elsewhere warns with ``EscapeWarning``;
- a seeded random fraction of puts is dropped, as Go's race detector drops 1 Put in 4
  (``runtime_randn(4) == 0`` in src/sync/pool.go), to flush out code that relies on getting
  back the very object it put.

The escape check reads ``sys.getrefcount`` and compares it with a baseline calibrated at
import, by a put of an object that its caller holds in one variable -- the usual way to call
``put`` -- so the check holds across CPython versions whose frames count references
differently. It cannot see: a copy that is not a reference (``bytes(buf)``, a slice);
references that do not count (weak references); whether an extra reference is about to die
(a second local name for the object, ``a = b = buf``, warns although it is harmless); or a
reference taken after the put. A warning is a prompt to look, not a proof.
"""

import random
import sys
import warnings
from dataclasses import dataclass


class EscapeWarning(UserWarning):
    """An object was put back while something else still refers to it."""


class AlreadyPooledError(ValueError):
    """An object was put into a pool that already holds it: two gets would share it."""


@dataclass(frozen=True)
class Debug:
    """Debug-mode settings: ``Pool(new, debug=Debug(drop=0.25, seed=1))``; True means Debug()."""

    drop: float = 0.25  # fraction of puts dropped at random (Go's race detector: 1 in 4)
    seed: int | None = None  # seed the drops for a reproducible run
    escape: bool = True  # warn with EscapeWarning on puts of objects still referenced

    def __post_init__(self):
        if not 0.0 <= self.drop <= 1.0:
            raise ValueError(f"drop must be a fraction between 0 and 1, got {self.drop!r}")


class Checks:
    """The debug-mode checks of one pool.

    depth is how many calls pass the object on before before_put sees it: 1 for
    ``pool.put(x)``, 2 for ``buffers.put(x)`` on a BufferPool, whose put calls a Pool's.
    """

    baselines = {}  # depth -> sys.getrefcount seen for a properly handed-over object

    def __init__(self, debug, depth=1):
        self.debug = debug
        self.random = random.Random(debug.seed)
        self.baseline = Checks.baselines[depth]
        self._depth = depth

    def before_put(self, pooled, x):
        """Raise or warn about misuse; False if this put is to be dropped at random.

        pooled() gives the objects the pool holds now.
        """
        refs = sys.getrefcount(x)  # first: any name bound below would add to it
        if any(p is x for p in pooled()):
            raise AlreadyPooledError(
                f"{type(x).__name__} object at {id(x):#x} is already in the pool: putting it "
                "twice would hand it to two getters. Put each object back once, after its "
                "last use.")
        if self.debug.escape and refs > self.baseline:
            warnings.warn(
                f"{type(x).__name__} object at {id(x):#x} was put back with "
                f"{refs - self.baseline} more reference(s) than its owner's: a view, a "
                "container or another name still reaches it, and will see it change when the "
                "pool hands it out again.", EscapeWarning, stacklevel=2 + self._depth)
        return self.random.random() >= self.debug.drop


def _pass_on(depth, checks, x):
    """Call checks.before_put(..., x) through depth frames that each hold x, as puts do."""
    if depth == 1:
        return checks.before_put(tuple, x)
    return _pass_on(depth - 1, checks, x)


def _calibrate(depth):
    probe = bytearray(1)  # held by one variable and passed straight to put, as callers do
    refs = []
    checks = Checks.__new__(Checks)
    checks.before_put = lambda pooled, x: refs.append(sys.getrefcount(x))  # same frame depth
    _pass_on(depth, checks, probe)
    return refs[0]


Checks.baselines = {depth: _calibrate(depth) for depth in (1, 2)}
