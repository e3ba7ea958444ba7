"""How the course measures, in one place: the grader, the benchmarks, the book and the tests
all import it.

- timing: the A-B-B-A ratio of two functions' times, pyperf's values of it, and the median's
  interval that a latency verdict reads.
- allocations: counting the allocations in a memray capture, memray's own observer effect
  left out.
- load: the CPUs other processes kept busy while something was measured.
- environment: the allocator settings every graded process runs under.
"""
