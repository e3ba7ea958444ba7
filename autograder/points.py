"""How a measured number becomes points."""


def linear_score(points, value, full_at, zero_at):
    """Points at or below full_at, none at or above zero_at, linear in between (clamped)."""
    share = (zero_at - value) / (zero_at - full_at)
    return round(points * min(1.0, max(0.0, share)), 2)


MEMORY_WEIGHT = 0.5  # the pool-off's weight of memory against time: equal


def pool_off_score(time, memory, memory_weight=MEMORY_WEIGHT):
    """The pool-off's score of one trace, from 0 to 1, as the CS:APP malloc lab scores an
    allocator (P = w*U + (1-w)*min(1, T/T_ref)): memory_weight * memory + the rest * time.
    time: the faster baseline's seconds over the pool's, at most 1 (a pool as fast as the
    fastest possible scores 1); memory: the bytes held with no pool over the pool's, at most 1
    (a pool that keeps nothing it does not need scores 1)."""
    return memory_weight * min(1.0, memory) + (1 - memory_weight) * min(1.0, time)
