"""The reference implementation of the course: Go's sync.Pool ideas, rebuilt in Python.

One module per chapter: escape (ownership and misuse checks), local (per-thread private and
shared), victim (cleanup and the victim tier), steal (PoolDequeue, PoolChain, stealing),
fallback (resource pools, with breaker's CircuitBreaker); syncpool composes chapters 1-4
into Pool, fastpool gives Pool a fast path in C (FastPool; FAST says whether it was built),
buffers builds BufferPool on Pool, and chaos is a fault-injecting loopback service.
"""

from .breaker import CircuitBreaker, CircuitOpen
from .buffers import BufferPool
from .chaos import ChaosService, Connection
from .escape import AlreadyPooledError, Debug, EscapeWarning
from .fallback import FallbackPool, PoolTimeout, ResourcePool, ResourceStats
from .fastpool import FAST, FastPool
from .local import Stats
from .steal import ChainShared, PoolChain, PoolDequeue
from .syncpool import CheckedPool, Handle, Pool
from .victim import cleanup, configure

__all__ = ["FAST", "AlreadyPooledError", "BufferPool", "ChainShared", "ChaosService",
           "CheckedPool", "CircuitBreaker", "CircuitOpen", "Connection", "Debug",
           "EscapeWarning", "FallbackPool", "FastPool", "Handle", "Pool", "PoolChain",
           "PoolDequeue", "PoolTimeout", "ResourcePool", "ResourceStats", "Stats", "cleanup",
           "configure"]
