"""How a latency check's probe minimum was set: measure the probe as the grader does.

Usage: .venv/bin/python bench/probes.py LAB [RUNS [LABEL]]   (default 20 runs)

A latency check that names a probe (Lab 2's: does LockedPool convoy on this Python?) runs it
in the sandbox before it measures anything (autograder/kinds/latency.py, smoke_and_probe). This runs
that same sandboxed smoke-and-probe RUNS times on the lab's solution notebook and prints each
value, with what other processes kept busy meanwhile. The minimum in the lab's TOML must sit
far below every value of a Python whose baseline shows the effect, on a quiet machine, and
far above every value of one whose baseline does not -- run it on both, and once beside a
busy process (e.g. `sh -c 'while :; do :; done' &`). What it prints is kept in
bench/results/probes-LAB-PYTHON[-LABEL].txt (LABEL: say, "busy"), which the lab's checks
file cites.
"""

import platform
import statistics
import sys
import tempfile
from pathlib import Path

import lab_variants
from autograder import notebook, sandbox
from autograder import lab as labs
from measure.load import OtherLoad


def main(lab_id, runs=20, label=""):
    lab = labs.load(lab_id)
    probed = [c for c in lab.checks if c.kind == "latency" and "probe" in c.params]
    if not probed:
        sys.exit(f"{lab_id} has no latency check with a probe")
    program = notebook.assemble(lab, notebook.read(lab_variants.solution(lab)))
    out = lab_variants.Record(f"probes-{lab_id}-{platform.python_version()}"
                              + (f"-{label}" if label else ""))
    with tempfile.TemporaryDirectory(prefix="probes-") as tmp:
        for check in probed:
            probe = check.params["probe"]
            out(f"{lab_id} {check.id}: {probe['what']} (minimum {probe['min']:g})")
            task = {"kind": "latency", "smoke": True, "workload": check.params["workload"],
                    "probe": probe["workload"]}
            values = []
            for i in range(runs):
                others = OtherLoad()
                others.start()
                outcome = sandbox.run_task(lab, program, task, Path(tmp), f"probe-{i}")
                others.stop(mine=(outcome.result or {}).get("cpu", 0.0))
                why = outcome.failure
                if why:
                    sys.exit(f"run {i + 1}: {why}")
                got = outcome.result["probe"]
                values.append(got["value"])
                busy = "?" if others.cpus is None else f"{others.cpus:.1f}"
                out(f"  {got['value']:6.2f}x  (other processes: {busy} CPUs)  {got['detail']}")
            out(f"  {outcome.result['python']}: {min(values):.2f}-{max(values):.2f}x, "
                f"median {statistics.median(values):.2f}x in {runs} runs")
    out.save()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], *(int(a) if i == 0 else a for i, a in enumerate(sys.argv[2:])))
