"""Debug mode: the misuse checks of pool/escape.py."""

import warnings

import pytest

import pool
from conftest import Obj

pytestmark = pytest.mark.usefixtures("quiet")


def checked(**debug):
    return pool.Pool(Obj, debug=pool.Debug(**{"drop": 0.0, **debug}))


def test_debug_true_gives_a_checked_pool():
    assert isinstance(pool.Pool(Obj, debug=True), pool.CheckedPool)
    assert type(pool.Pool(Obj)) is pool.Pool


def test_putting_an_object_already_in_the_pool_raises():
    p = checked()
    x = p.get()
    p.put(x)
    with pytest.raises(pool.AlreadyPooledError, match="already in the pool"):
        p.put(x)


def test_putting_an_object_already_in_the_victim_raises():
    p = checked()
    x = p.get()
    p.put(x)
    pool.cleanup()
    with pytest.raises(pool.AlreadyPooledError):
        p.put(x)


def test_putting_an_object_still_referenced_elsewhere_warns():
    p = checked()
    x = p.get()
    view = [x]  # a container still reaches it
    with pytest.warns(pool.EscapeWarning, match="1 more reference"):
        p.put(x)
    assert view


def test_a_memoryview_of_a_pooled_buffer_is_an_escape():
    p = pool.Pool(lambda: bytearray(64), debug=pool.Debug(drop=0.0))
    buf = p.get()
    view = memoryview(buf)[:10]
    with pytest.warns(pool.EscapeWarning):
        p.put(buf)
    view.release()


def test_a_clean_handover_does_not_warn():
    p = checked()
    x = p.get()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p.put(x)


def test_the_escape_warning_points_at_the_callers_line():
    p = checked()
    x = p.get()
    keep = [x]
    with pytest.warns(pool.EscapeWarning) as record:
        p.put(x)
    assert record[0].filename == __file__
    assert keep


def test_seeded_random_drops_are_reproducible_and_near_the_fraction():
    def kept(seed):
        p = checked(drop=0.25, seed=seed, escape=False)
        outcomes = []
        for _ in range(400):
            x = Obj()
            p.put(x)
            outcomes.append(p.get() is x)
        return outcomes, p.stats().drops

    first, drops = kept(7)
    again, _ = kept(7)
    assert first == again
    assert 60 <= drops <= 140  # 100 expected; binomial sd ~8.7, so this is > 4 sd wide
    assert kept(8)[0] != first


@pytest.mark.parametrize("drop", [-0.1, 1.5])
def test_a_drop_fraction_outside_0_to_1_is_rejected(drop):
    with pytest.raises(ValueError, match="drop"):
        pool.Debug(drop=drop)


def test_debug_must_be_true_or_a_debug_record():
    with pytest.raises(TypeError, match="pool.Debug"):
        pool.Pool(Obj, debug="yes")
