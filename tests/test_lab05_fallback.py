"""Lab 5's fault checks measure with functions the lab gives (drive, quantile, the pools,
the baseline client), taken from the notebook's namespace: an answer cell that defines one
of those names again must be refused by name, never measured with."""

import importlib.util

import pytest

from autograder import harness
from autograder import lab as labs

LAB = labs.load("05-fallback")
_spec = importlib.util.spec_from_file_location("lab05_workloads", LAB.workloads)
workloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workloads)
GIVEN = ("drive", "quantile", "connection_pool", "PrimaryOnlyClient")


def namespace(client_cell_extra=""):
    """The solution's program, with client_cell_extra appended to its client answer cell."""
    program = [(c.grade_id, c.source + (client_cell_extra if c.grade_id == "client" else ""))
               for c in LAB.cells if c.role in ("given", "solution")]
    return harness.load_program({"program": program})


def test_the_given_functions_are_taken_from_the_given_cells():
    ns = namespace()
    for name in GIVEN:
        assert workloads.given(ns, name) is ns[name]


@pytest.mark.parametrize("name", GIVEN)
def test_an_answer_cell_that_redefines_a_given_function_is_refused_by_name(name):
    ns = namespace(f"\n\nclass {name}:\n    def request(self, payload):\n        return 0\n"
                   if name[0].isupper() else f"\n\ndef {name}(*args):\n    return 0\n")
    with pytest.raises(RuntimeError, match=f"defines {name}, which the lab gives"):
        workloads.given(ns, name)
