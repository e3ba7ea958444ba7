"""pool.BufferPool: size classes and a cap on what is kept (golang/go issue 23199)."""

import pytest

import pool

pytestmark = pytest.mark.usefixtures("quiet")


@pytest.mark.parametrize("n, size", [(0, 64), (1, 64), (64, 64), (65, 128), (1000, 1024),
                                     (1024, 1024), (1025, 2048), (65536, 65536)])
def test_get_returns_a_buffer_of_the_size_class_of_n(n, size):
    buf = pool.BufferPool().get(n)
    assert isinstance(buf, bytearray) and len(buf) == size


def test_get_beyond_max_size_returns_exactly_n():
    assert len(pool.BufferPool(max_size=1024).get(5000)) == 5000


def test_a_buffer_is_reused_by_a_later_get_of_its_class():
    bp = pool.BufferPool()
    buf = bp.get(1000)
    bp.put(buf)
    assert bp.get(600) is buf  # 600 and 1000 share the 1024 class
    assert bp.get(600) is not buf


def test_an_oversize_buffer_is_not_retained():
    bp = pool.BufferPool(max_size=4096)
    big = bytearray(1 << 20)
    bp.put(big)
    assert all(bp.get(n) is not big for n in (4096, 1 << 20))
    assert bp.stats().drops == 1


def test_a_grown_buffer_is_filed_under_the_class_it_can_still_serve():
    bp = pool.BufferPool()
    buf = bp.get(100)  # 128
    buf.extend(b"x" * 100)  # now 228: can serve any get up to 128, not 256
    bp.put(buf)
    assert bp.get(256) is not buf
    assert bp.get(128) is buf


def test_a_buffer_smaller_than_min_size_is_not_retained():
    bp = pool.BufferPool(min_size=64)
    bp.put(bytearray(10))
    assert len(bp.get(1)) == 64
    assert bp.stats().drops == 1


@pytest.mark.parametrize("n, error", [(-1, ValueError), (2.5, TypeError), ("10", TypeError),
                                      (None, TypeError)])
def test_a_negative_or_non_integer_size_raises(n, error):
    with pytest.raises(error):
        pool.BufferPool().get(n)


def test_put_of_something_other_than_a_bytearray_raises():
    with pytest.raises(TypeError, match="bytearray"):
        pool.BufferPool().put(b"immutable")


@pytest.mark.parametrize("kwargs", [{"max_size": 1000}, {"min_size": 0},
                                    {"min_size": 128, "max_size": 64}])
def test_size_limits_must_be_ordered_powers_of_two(kwargs):
    with pytest.raises(ValueError):
        pool.BufferPool(**kwargs)
