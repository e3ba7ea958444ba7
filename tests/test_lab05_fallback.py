"""Lab 5's fault checks measure with functions the lab gives (drive, quantile, the pools,
the baseline client), taken from the notebook's namespace: an answer cell that defines one
of those names again must be refused by name, never measured with. And the stall is judged by
the time its requests spent waiting, which drive()'s one-at-a-time requests hide from a count."""

import importlib.util
import threading
import time
from collections import namedtuple

import pytest

from autograder import lab as labs
from autograder.program import load_program

LAB = labs.load("05-fallback")
_spec = importlib.util.spec_from_file_location("lab05_workloads", LAB.workloads)
workloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workloads)
GIVEN = ("drive", "quantile", "connection_pool", "PrimaryOnlyClient")


def namespace(client_cell_extra=""):
    """The solution's program, with client_cell_extra appended to its client answer cell."""
    program = [(c.grade_id, c.source + (client_cell_extra if c.grade_id == "client" else ""))
               for c in LAB.cells if c.role in ("given", "solution")]
    return load_program({"program": program})


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


Request = namedtuple("Request", "ok seconds state at error")  # as the lab's drive() returns
SLOW, FAST, WINDOW = 0.1, 0.0001, 20  # a timeout, a request to the standby; the lab's window


def sent(*spans):
    """Requests sent one after another, as drive() sends them: spans of (how many, seconds
    each, the breaker's state after each)."""
    requests, at = [], 0.0
    for many, seconds, state in spans:
        for _ in range(many):
            at += seconds
            requests.append(Request(True, seconds, state, at, ""))
    return requests


SPELL = ((2500, FAST, "open"), (1, SLOW, "open"))  # open_for at the standby, a failed trial
OPENS = ((9, SLOW, "closed"), (1, SLOW, "open"))  # a window's worth of timeouts


@pytest.mark.parametrize("case, requests, share", [
    # 0.1 s of each 0.35 s spell waits, whatever the count says (1 request in 2,500).
    ("the reference: a failed trial per open_for", sent(*OPENS, *SPELL * 6), 0.1 / 0.35),
    # After its first failed trial, every request is another trial that times out.
    ("a failed trial does not restart open_for", sent(*OPENS, *SPELL, (20, SLOW, "open")),
     2.1 / 2.35),
    ("opens and never tries the primary again", sent(*OPENS, (20000, FAST, "open")), 0.0),
    # Judged from the end of request 20, not from the start of the stall.
    ("never opens", sent((30, SLOW, "closed")), 1.0),
    # Fewer than a window of requests in the whole phase: judged over all of it.
    ("a window takes longer than the stall", sent((5, 0.5, "closed"), (1, 0.5, "open")), 1.0),
    ("opens only after 25 timeouts", sent((24, SLOW, "closed"), (1, SLOW, "open"),
                                          (5000, FAST, "open")), 0.5 / 1.0),
])
def test_the_stall_is_judged_by_the_time_spent_waiting_from_the_first_opening(
        case, requests, share):
    waiting, _, _ = workloads.waited(requests, SLOW / 2, WINDOW)
    assert waiting == pytest.approx(share, rel=0.01), case


class Counting:
    """A client whose requests take a moment, counting how many are under way at once."""

    def __init__(self):
        self.now = self.most = 0
        self.lock = threading.Lock()

    def request(self, payload):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.005)
        with self.lock:
            self.now -= 1
        return payload


class Primary:
    """inject() sets a fault's settings on it: a stand-in for a ChaosService."""


@pytest.mark.parametrize("clients", [1, 4])
def test_drive_sends_from_its_clients_at_once_and_stops_at_a_phases_most(clients):
    ns = namespace()
    client = Counting()
    ((fault, requests),) = ns["drive"](client, Primary(), [("slow", 5.0, 40)], clients=clients)
    assert fault == "slow" and len(requests) == 40, "a phase sends at most its most"
    assert all(r.ok for r in requests)
    assert client.most == clients, f"{clients} clients: {client.most} requests were under way at once"
    assert [r.at for r in requests] == sorted(r.at for r in requests), "in the order they ended"


# Task 3: TUNED_SETTINGS, judged by its cost on hidden mixes against BREAKER_SETTINGS'.

def test_the_grader_prices_requests_and_slows_the_standby_as_the_notebook_states():
    ns = namespace()
    assert (workloads.STANDBY_MS, workloads.FAILED_COST) == (ns["STANDBY_MS"], ns["FAILED_COST"])


def test_the_hidden_mixes_are_the_notebooks_kinds_of_parts_at_other_numbers():
    ns = namespace()
    kinds = {fault.rstrip("0123456789") for fault, _, _ in ns["MIX"]}
    hidden = [fault for _, mix in workloads.MIXES for fault, _, _ in mix]
    assert {fault.rstrip("0123456789") for fault in hidden} == kinds
    for fault in hidden:
        assert fault in ns["FAULTS"] or fault in workloads.MIX_FAULTS, fault
    assert {f for f in hidden if f[-1].isdigit()}.isdisjoint(f for f, _, _ in ns["MIX"]), (
        "a hidden part at MIX's own rate or latency rewards fitting MIX")


@pytest.mark.parametrize("settings, message", [
    ("dict(BREAKER_SETTINGS, clock=time.monotonic)", "must name exactly"),
    ("{k: v for k, v in BREAKER_SETTINGS.items() if k != 'window'}", "must name exactly"),
    ("dict(BREAKER_SETTINGS, window=2.5)", "window counts calls"),
    ("dict(BREAKER_SETTINGS, failure_rate=50)", "failure_rate must be a number"),
    ("dict(BREAKER_SETTINGS, open_for=0)", "open_for must be a number"),
    ("dict(BREAKER_SETTINGS, slow_call=True)", "slow_call must be a number"),
])
def test_the_settings_test_refuses_settings_that_are_not_the_breakers(settings, message):
    cells = [(c.grade_id, c.source if c.grade_id != "tuned" else f"TUNED_SETTINGS = {settings}")
             for c in LAB.cells if c.role in ("given", "solution")]
    ns = load_program({"program": cells})
    with pytest.raises(AssertionError, match=message):
        exec(LAB.test("test_tuned"), ns)


def test_the_settings_test_passes_the_reference_and_the_defaults():
    ns = namespace()
    exec(LAB.test("test_tuned"), ns)
    exec(LAB.test("test_tuned"), {**ns, "TUNED_SETTINGS": dict(ns["BREAKER_SETTINGS"])})


def test_the_cost_ratio_runs_defaults_yours_yours_defaults_and_sums_both_mixes(monkeypatch):
    runs = []

    def priced(ns, settings, seeds, mix):
        runs.append((settings, seeds))
        return [("healthy", 1.0 if settings == "BREAKER_SETTINGS" else 0.5)]

    monkeypatch.setattr(workloads, "mix_cost", priced)
    result = workloads.tuned_cost(namespace())
    seeds = [s for s, _ in workloads.MIXES]
    assert runs[1:] == [("BREAKER_SETTINGS", seeds[0]), ("TUNED_SETTINGS", seeds[0]),
                        ("TUNED_SETTINGS", seeds[1]), ("BREAKER_SETTINGS", seeds[1])]
    assert result["ratio"] == pytest.approx(0.5) and result["score"] == 1.0
    assert workloads.tuned_score(1.0) == 0.0 < result["beat"] == workloads.tuned_score(0.85)
