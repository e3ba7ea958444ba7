"""The check kinds: a module each, holding both halves of a check of that kind.

On the grader's side, every kind's module has
    grade(check, lab, program, workdir) -> result.Result   run the check, judge it
    expected(check) -> (Metric, ...)   the numbers it judges, with their bounds, unmeasured
    rule(check) -> str                 what it demands, in one line (`describe`)
and may have
    validate(check, lab_checks, tests) -> str | None   what is wrong in the lab's TOML
    settled(check, results) -> Result | None   a verdict reached without measuring (a gate)
    TIMED = "what times it"            it times the submission: run alone, after the others.
On the sandbox's side (below the "in the sandbox" line of each module, run by harness.py in
the sandboxed process, never by the grader), every kind has
    run(ns, task, spec) -> dict        the task on the loaded program: the result's fields
and may have
    as_root()                          prepared before the harness drops its privileges
    main(spec_path, spec)              instead of run: the whole process (pyperf's rounds).
The plumbing both sides share is program.py (in the sandbox: cells, workloads, errors) and
sandbox.py (on the grader's side: running a task isolated). Adding a kind: its module here,
and its line in KINDS. No code here knows any particular lab.
"""

from . import allocations, concurrency, counter, fault, functional, latency, score

KINDS = {"functional": functional, "allocations": allocations, "latency": latency,
         "counter": counter, "concurrency": concurrency, "fault": fault, "score": score}
# The kinds that time the submission, and what measures them (for the progress line).
TIMED = {name: kind.TIMED for name, kind in KINDS.items() if hasattr(kind, "TIMED")}


def of(check):
    return KINDS[check.kind]


def expected(check):
    return of(check).expected(check)
