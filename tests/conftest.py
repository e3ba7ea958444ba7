import sys
from pathlib import Path

import pytest

import pool

# The labs' plausible submissions (bench/variants) and the script that grades them are shared
# by the tests and `bench/lab_variants.py`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


class Obj:
    """A pooled object that can be weakly referenced (bytearray cannot)."""

    __slots__ = ("n", "holders", "__weakref__")

    def __init__(self, n=0):
        self.n = n
        self.holders = []


@pytest.fixture
def quiet():
    """No cleanup happens unless the test calls pool.cleanup() itself."""
    previous = pool.configure(generations=(), interval=3600)
    pool.cleanup()  # start every pool the test touches from a known generation
    yield
    pool.configure(**previous)


def in_thread(fn, *args):
    """Run fn(*args) on a new thread and return its result."""
    import threading
    out = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join()
    return out[0]
