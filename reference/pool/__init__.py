"""The reference implementation of the course: Go's sync.Pool ideas, rebuilt in Python.

One module per chapter: escape (ownership and misuse checks), local (per-thread private and
shared), victim (cleanup and the victim tier), steal (PoolDequeue, PoolChain, stealing);
syncpool composes them into Pool, and buffers builds BufferPool on it.
"""

from .buffers import BufferPool
from .escape import AlreadyPooledError, Debug, EscapeWarning
from .local import Stats
from .steal import ChainShared, PoolChain, PoolDequeue
from .syncpool import CheckedPool, Pool
from .victim import cleanup, configure

__all__ = ["AlreadyPooledError", "BufferPool", "ChainShared", "CheckedPool", "Debug",
           "EscapeWarning", "Pool", "PoolChain", "PoolDequeue", "Stats", "cleanup", "configure"]
