"""The sandboxed side of grading: run the lab program, then one task, and report.

Run as ``python -m autograder.harness SPEC.json`` by sandbox.run, never imported by the
grader. The spec holds the program (the lab's given cells and the submission's solution
cells), the task, and where to write results. The task's kind names the module of kinds/
whose sandbox side runs it; "signatures", the first run of every submission, asks which
required functions are there (program.signatures).
"""

import json
import os
import resource
import sys

from . import program
from .kinds import KINDS


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    name = spec["task"]["kind"]
    kind = KINDS.get(name)
    if hasattr(kind, "as_root"):
        kind.as_root()
    if spec.get("drop_to") is not None and os.geteuid() == 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (512, 512))  # no fork bombs
        os.setgroups([])
        os.setgid(spec["drop_to"])
        os.setuid(spec["drop_to"])  # before any lab code runs
    if hasattr(kind, "main"):
        return kind.main(spec_path, spec)
    return program.run_task(spec, program.signatures if name == "signatures" else kind.run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
