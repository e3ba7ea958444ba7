"""The optional C part of `pool` (everything else is in pyproject.toml).

pool._pool is pool.FastPool's fast path. It is optional: where it cannot be compiled (no C
compiler, no Python headers), the install goes on and pool.FastPool is pool.Pool
(reference/pool/fastpool.py says how to tell).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("pool._pool", ["reference/pool/_pool.c"], optional=True)])
