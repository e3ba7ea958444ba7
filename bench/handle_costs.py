"""What a pure-Python handle's get+put costs, piece by piece, against the floor (g(); h(x)).

Pool.pin()'s Handle as it is, then the same fast path with one piece taken away at a time:
the demotion check, one or both counters, the hop from the handle to its Local -- and one
piece added: the fast path in functions Pool and the handle could share. Each
variant serves a warm private slot only (no slow path), which is all a steady-state get+put
does. Everything runs in one process, interleaved, best of ROUNDS: compare the ratios, not
the nanoseconds.

    .venv/bin/python bench/handle_costs.py [ROUNDS]
"""

import functools
import itertools
import sys
import timeit

import pool
from measure.timing import FLOOR, floor
from pool.local import counter

N = 200_000


class Slot:
    """A Local reduced to a private slot, a shared list and two counters."""

    __slots__ = ("private", "shared", "demoted", "private_hits", "puts", "_local")

    def __init__(self):
        self.private, self.shared, self.demoted = None, [], False
        self.private_hits, self.puts = counter(), counter()
        self._local = self  # for the variants that hop: the same object, one attribute away


def variant(hop, check, counts):
    """A handle whose get/put hop to the Local or not, check demotion or not, and count 0,
    1 (puts) or 2 times. Each variant's source is written out, not branched on at run time,
    so that none pays for a test it does not need."""
    local = "self._local" if hop else "self"
    source = "\n".join(line for line, wanted in [
        ("def get(self):", True),
        (f"    local = {local}", True),
        ("    if local.demoted: return None", check),
        ("    x = local.private", True),
        ("    if x is not None:", True),
        ("        local.private = None", True),
        ("        next(local.private_hits)", counts == 2),
        ("        return x", True),
        ("def put(self, x):", True),
        ("    if x is None: return", True),
        (f"    local = {local}", True),
        ("    if local.demoted: return", check),
        ("    next(local.puts)", counts >= 1),
        ("    if local.private is None: local.private = x", True),
        ("    else: local.shared.append(x)", True),
    ] if wanted)
    methods = {}
    exec(source, {}, methods)
    return type("Variant", (Slot,), {"__slots__": (), **methods})()


def take_private(local):
    """The private-slot half of a get, as a function Pool.get and Handle.get could share."""
    x = local.private
    if x is not None:
        local.private = None
        next(local.private_hits)
    return x


def keep(local, x):
    """A put's fast path, as a function Pool.put and Handle.put could share."""
    next(local.puts)
    if local.private is None:
        local.private = x
    else:
        local.shared.append(x)


class Helper(Slot):
    """Pool.pin()'s Handle with its fast path in the shared functions above: one call more."""

    __slots__ = ()

    def get(self):
        local = self._local
        if local.demoted:
            return None
        return take_private(local)

    def put(self, x):
        if x is None:
            return
        local = self._local
        if local.demoted:
            return
        keep(local, x)


def pairs(c):
    def run():
        for _ in itertools.repeat(None, N):
            c.put(c.get())
    return run


def main(rounds):
    x = bytearray(1024)

    p = pool.Pool(lambda: bytearray(1024))
    contenders = {
        "Pool.pin() Handle": p.pin(),
        "hop, demoted check, 2 counters": variant(True, True, 2),
        "the same, through shared helpers": Helper(),
        "hop, no check, 2 counters": variant(True, False, 2),
        "hop, demoted check, 1 counter": variant(True, True, 1),
        "hop, no check, 1 counter": variant(True, False, 1),
        "hop, no check, no counter": variant(True, False, 0),
        "own slot, no check, 2 counters": variant(False, False, 2),
        "own slot, no check, 1 counter": variant(False, False, 1),
        "own slot, no check, no counter": variant(False, False, 0),
        "pool.Pool": p,
    }
    for c in contenders.values():
        c.put(bytearray(8))  # warm: the private slot is full
    loops = {FLOOR: functools.partial(floor(x), N), **{k: pairs(c) for k, c in contenders.items()}}
    best = dict.fromkeys(loops, float("inf"))
    for _ in range(rounds):
        for name, loop in loops.items():
            best[name] = min(best[name], timeit.timeit(loop, number=1))
    base = best[FLOOR]
    for name, seconds in best.items():
        print(f"{name:34s} {seconds / N * 1e9:6.1f} ns  {seconds / base:.2f}x floor")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
