"""BufferPool: bytearrays in power-of-two size classes, with a cap on what is kept.

The cure for golang/go issue 23199 ("sync: Pool example suggests incorrect usage"): a
sync.Pool assumes its elements cost about the same, because ``Get`` returns an arbitrary one.
A pool of variable-size buffers breaks that: a few huge buffers put back after rare large
requests are handed to small requests just as readily, and live on in the pool, pinning their
memory. Go's fmt caps what it pools: ``(*pp).free`` in fmt/print.go drops a printer's buffer
once it has grown past 64 KiB (``p.buf = nil``) and still recycles the printer. net/http's
HTTP/2 code keeps one pool per size class (``dataChunkPools``, 1 to 16 KiB, in
net/http/internal/http2/databuffer.go; ``http2dataChunkPools`` in h2_bundle.go before HTTP/2
moved into the standard library's tree), while encoding/json through Go 1.26 has a single
``encodeStatePool`` (golang/go issue 27735, "encoding/json: incorrect usage of sync.Pool"),
which keeps any buffer put back; since Go 1.27 it runs on encoding/json/v2, whose
``putBufferedEncoder`` drops a large buffer that stays under a quarter used.
.NET's ``ArrayPool<T>.Shared`` (SharedArrayPool.cs) does both: 27 power-of-two buckets, and
arrays larger than the biggest bucket are not kept.

``get(n)`` returns a bytearray of at least n bytes -- exactly the size of n's class, so the
caller keeps its own length, as Go code keeps ``buf[:n]``. ``put(buf)`` files a buffer under
the largest class it can serve; one bigger than ``max_size`` (or smaller than ``min_size``)
is not kept. What differs from Go: a bytearray with an exported memoryview cannot be resized
(BufferError), and a slice of a bytearray is a copy, not a view -- the aliasing hazard in
Python is the memoryview.
"""

import operator

from .syncpool import CheckedPool, Pool


class BufferPool:
    """Size-classed pools of bytearrays; buffers over max_size are never retained."""

    def __init__(self, *, min_size=64, max_size=64 * 1024, debug=False):
        for name, size in (("min_size", min_size), ("max_size", max_size)):
            if operator.index(size) < 1 or size & (size - 1):
                raise ValueError(f"{name} must be a power of two, got {size!r}")
        if min_size > max_size:
            raise ValueError(f"min_size {min_size} is larger than max_size {max_size}")
        self.min_size, self.max_size = min_size, max_size
        self._low = min_size.bit_length() - 1
        sizes = [1 << bits for bits in range(self._low, max_size.bit_length())]
        # In debug mode, the escape check must count this class's put as one more caller.
        self._classes = [CheckedPool(_maker(size), debug=debug, depth=2) if debug
                         else Pool(_maker(size)) for size in sizes]

    def get(self, n):
        """A bytearray of at least n bytes (of n's size class, or exactly n past max_size)."""
        n = operator.index(n)  # TypeError for 2.5, "10", None
        if n < 0:
            raise ValueError(f"a buffer size cannot be negative, got {n}")
        if n > self.max_size:
            return bytearray(n)  # too large to keep: allocate, and put will not retain it
        bits = (n - 1).bit_length() - self._low
        return self._classes[bits if bits > 0 else 0].get()

    def put(self, buf):
        """Keep buf for reuse, unless it is too large or too small to be worth keeping."""
        if not isinstance(buf, bytearray):
            raise TypeError(f"BufferPool keeps bytearrays, not {type(buf).__name__}")
        size = len(buf)
        if not self.min_size <= size <= self.max_size:
            # Not kept: counted as a drop in the class nearest to its size.
            self._classes[0 if size < self.min_size else -1].dropped()
            return
        self._classes[size.bit_length() - 1 - self._low].put(buf)

    def stats(self):
        """Stats summed over every size class."""
        return sum((c.stats() for c in self._classes[1:]), self._classes[0].stats())


def _maker(size):
    def new():
        return bytearray(size)
    new.__qualname__ = f"bytearray({size})"
    return new
