"""The environment every graded process measures under."""

# What every graded process measures under, pyperf's workers included (they inherit these),
# whoever runs the grader and whatever ran before in the process.
MEASURED_UNDER = {
    "PYTHONMALLOC": "pymalloc",  # allocation counts depend on the allocator: fix it
    "PYTHONHASHSEED": "0",
    # glibc's mmap threshold, fixed at its starting value (mallopt(3), M_MMAP_THRESHOLD). Left
    # dynamic, it rises to the largest mapped block freed so far, and whether a freed 1 MiB
    # frame is reused or given back to the kernel then depends on the process's history: one
    # notebook's ratio to Lab 1's naive codec changed from process to process.
    # Fixed, every block of 128 KiB or more is fresh memory from the kernel, as a process's
    # first large blocks are.
    "MALLOC_MMAP_THRESHOLD_": "131072",
}
