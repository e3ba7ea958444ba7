"""Every requirement a lab's tests check has a visible test: hidden tests only vary the inputs.

A plausible wrong answer -- each of bench/variants/<lab>.py, and each below, written against
one requirement a notebook states -- fails a functional check with the hidden tests left out
(the tests of the notebook handed out, as nbgrader generates it) as it fails with them, and
the failure says in words what was set up. The randomised tests (Hypothesis) try the same
examples at every run, so a failure reads the same every time.

One exception: the value of a prediction (Labs 3 and 4) is checked only by a hidden test, as a
visible one would give it away. Its visible test says what is wrong with a prediction that is
missing or not a whole number; a wrong number fails, naming neither the right one nor which way
it is off, and costs only the prediction's point.
"""

import linecache
import re

import pytest

import lab_variants
from autograder import kinds, notebook
from autograder import grade as grading
from autograder import lab as labs
from autograder.program import explain

LABS = ["01-escape", "02-local", "03-victim", "04-steal", "05-fallback", "06-pool-off"]

ring, steal = lab_variants.module("04-steal").ring, lab_variants.module("04-steal").steal
victim = lab_variants.module("03-victim")
LOCAL_SUBCLASS = lab_variants.module("02-local").LOCAL_SUBCLASS


def install(callback_body, once=True):
    """The reference VictimPool, its install()'s callback doing callback_body at the start of
    a full collection; with once=False, each call of install() appends another callback."""
    swaps = [("""                alive = pool()
                if alive is not None:
                    alive.cleanup()
""", callback_body + "\n")]
    if not once:
        swaps.append(("""        if self.callback is not None:
            return  # installed already: still one cleanup per collection
""", ""))
    return victim.changed(*swaps)


def encode(body):
    return {"encode": "def encode(kind, body, buffers):\n" + body}


def send_all(body):
    return {"send_all": "def send_all(messages, send, buffers):\n"
                        "    for kind, body in messages:\n"
                        "        n = frame_size(kind, body)\n"
                        "        buf = buffers.get(n)\n" + body}


# (lab, what is wrong, the answer cells, {check it fails: words its failure must say})
WRONG = [
    ("01-escape", "encode takes its buffer before frame_size, and leaks it when that raises",
     encode("    buf = buffers.get(HEADER.size + len(body))\n"
            "    n = frame_size(kind, body)\n"
            "    with memoryview(buf) as view:\n"
            "        HEADER.pack_into(view, 0, len(body) + 1, kind)\n"
            "        view[HEADER.size:n] = body\n"
            "        frame = view[:n].tobytes()\n"
            "    buffers.put(buf)\n"
            "    return frame\n"),
     {"test_encode": "put the buffer back also when encode raises"}),
    ("01-escape", "encode returns before it puts the buffer back",
     encode("    n = frame_size(kind, body)\n"
            "    buf = buffers.get(n)\n"
            "    with memoryview(buf) as view:\n"
            "        HEADER.pack_into(view, 0, len(body) + 1, kind)\n"
            "        view[HEADER.size:n] = body\n"
            "        return view[:n].tobytes()\n"),
     {"test_encode": "3 encodes took 3 buffers from the pool and put 0 back"}),
    ("01-escape", "encode without frame_size: a kind of 256 is not refused",
     encode("    n = HEADER.size + len(body)\n"
            "    buf = buffers.get(n)\n"
            "    try:\n"
            "        with memoryview(buf) as view:\n"
            "            HEADER.pack_into(view, 0, len(body) + 1, kind)\n"
            "            view[HEADER.size:n] = body\n"
            "            return view[:n].tobytes()\n"
            "    finally:\n"
            "        buffers.put(buf)\n"),
     {"test_encode": "encode(kind=256, a 1-byte body) raised error"}),
    ("01-escape", "send_all sends a copy",
     send_all("        with memoryview(buf) as view:\n"
              "            HEADER.pack_into(view, 0, len(body) + 1, kind)\n"
              "            view[HEADER.size:n] = body\n"
              "            send(view[:n].tobytes())\n"
              "        buffers.put(buf)\n"),
     {"test_send_all": "send was called with ['bytes', 'bytes', 'bytes']"}),
    ("01-escape", "send_all never puts a buffer back",
     send_all("        with memoryview(buf) as view, view[:n] as frame:\n"
              "            HEADER.pack_into(frame, 0, len(body) + 1, kind)\n"
              "            frame[HEADER.size:] = body\n"
              "            send(frame)\n"),
     {"test_send_all": "send_all of 3 messages took 3 buffers from the pool and put 0 back"}),
    ("01-escape", "send_all puts the buffer back while its view still refers to it",
     send_all("        frame = memoryview(buf)[:n]\n"
              "        HEADER.pack_into(frame, 0, len(body) + 1, kind)\n"
              "        frame[HEADER.size:] = body\n"
              "        send(frame)\n"
              "        buffers.put(buf)\n"),
     {"test_aliasing": "send_all of 2 messages put a buffer back while something still "
                       "referred to it"}),
    ("02-local", "one threading.local for every pool",
     {"local_pool": LOCAL_SUBCLASS["local_pool"].replace(
         "        self.mine = _Slots()  # each thread sees its own\n", "").replace(
         "and no lock.\"\"\"\n", "and no lock.\"\"\"\n\n    mine = _Slots()  # one for every pool\n")},
     {"test_private_then_shared": "a new pool, after nothing",
      "test_threads_keep_their_own": "two pools: an object put in one was given by the "
                                     "other's get"}),
    ("03-victim", "the primary taken oldest first",
     victim.changed(("return self.primary.pop()", "return self.primary.pop(0)")),
     {"test_primary_first": "get must give the last one put first"}),
    ("03-victim", "cleanup keeps the victim when nothing was put since",
     victim.changed((victim.CLEANUP, """        if self.primary:
            self.victim, self.primary = self.primary, []
""")), {"test_cleanup": "after a second cleanup with no get the pool must let the object go",
        "test_install": "a second full collection must drop it"}),
    ("03-victim", "install() twice appends a second callback",
     install("                if pool() is not None:\n"
             "                    pool().cleanup()", once=False),
     {"test_install": "install() twice is the same as once",
      "test_uninstall": "after pool 0.install(), pool 0.install(): gc.callbacks holds"}),
    ("03-victim", "the callback asks nothing of a pool that is gone",
     install("                pool().cleanup()"),
     {"test_uninstall": "its callback raised AttributeError"}),
    ("03-victim", "the callback closes over self",
     install("                self.cleanup()"),
     {"test_uninstall": "still alive, kept by gc.callbacks"}),
    ("03-victim", "uninstall takes out the first pool callback it finds",
     victim.changed(("""            gc.callbacks.remove(self.callback)  # this one only: others may have come since
""", """            for c in gc.callbacks:
                if getattr(c, "__qualname__", "") == self.callback.__qualname__:
                    gc.callbacks.remove(c)
                    break
""")), {"test_uninstall": "after pool 0.install(), pool 1.install(), pool 1.uninstall()"}),
    ("03-victim", "the prediction written as a string",
     {"predicted_news": 'PREDICTED_NEWS = "32"\n'},
     {"test_predicted_news": "PREDICTED_NEWS is '32', a str: a count of new() calls is a whole "
                             "number"}),
    ("04-steal", "full without the mask, and no EMPTY check: wrong across 2**32",
     ring("""        if (tail + len(self.vals)) & MASK == head:
            return False
        i = head & (len(self.vals) - 1)
        if self.vals[i] is not EMPTY:
            return False  # a thief claimed this slot and has not read it yet: still full
""", """        if tail + len(self.vals) == head:
            return False
        i = head & (len(self.vals) - 1)
"""), {"test_ring_full_and_wrap": "Ring(8) whose indexes start 3 below 2**32, after 8 pushes"}),
    ("04-steal", "push_head refuses None",
     ring("""        ptrs = self.head_tail
        head, tail = self.unpack(ptrs)
        if (tail + len(self.vals)) & MASK == head:""", """        if x is None:
            return False
        ptrs = self.head_tail
        head, tail = self.unpack(ptrs)
        if (tail + len(self.vals)) & MASK == head:"""),
     {"test_ring_order": "any value may be pushed, None included"}),
    ("04-steal", "pop_head takes a None value for an empty ring",
     ring("""        x, self.vals[i] = self.vals[i], EMPTY
        return x, True
        ### END SOLUTION

    def pop_tail(self):""", """        x, self.vals[i] = self.vals[i], EMPTY
        return x, x is not None
        ### END SOLUTION

    def pop_tail(self):"""),
     {"test_ring_order": "Ring(1) after push_head(None), pop_head(), holding [None] (oldest "
                         "first) before the last: it returned (None, False), expected "
                         "(None, True)"}),
    ("04-steal", "pop_head leaves its value in the slot",
     ring("""        x, self.vals[i] = self.vals[i], EMPTY
        return x, True
        ### END SOLUTION

    def pop_tail(self):""", """        x = self.vals[i]
        return x, True
        ### END SOLUTION

    def pop_tail(self):"""),
     {"test_ring_order": "after push_head(1), pop_head(), push_head(3)",
      "test_ring_full_and_wrap": "after push_head(1), pop_head(), push_head(3)",
      "test_ring_clears_slots": "pop_head must store EMPTY in the slot it took"}),
    ("04-steal", "the prediction written as a float",
     {"predicted_steals": "PREDICTED_STEALS = 64.0\n"},
     {"test_predicted_steals": "PREDICTED_STEALS is 64.0, a float"}),
    ("04-steal", "steal visits the threads from the first, not from its own index on",
     steal("        for other in self.locals.all:\n"
           "            x, ok = other.shared.pop_tail()\n"
           "            if ok:\n"
           "                return x, True\n"
           "        return None, False\n"),
     {"test_steal": "five gets on thread 1 gave ['0a', '0b', '2a', '2b', 'new']"}),
    ("06-pool-off", "get makes bytes, not a bytearray",
     {"buffer_pool": lab_variants.module("06-pool-off").NO_POOL.replace(
         "return bytearray(size)", "return bytes(size)")},
     {"test_contract": "get(16) returned a bytes"}),
]


def failures(lab, path):
    """{check id: detail} of the functional checks the notebook at path fails; addresses in
    the details (an object's repr) as 0x..., since they change from run to run."""
    program = notebook.assemble(lab, notebook.read(path))
    tests = [c for c in lab.checks if c.kind == "functional"]
    # Two at a time, by the grader's own function, as a grade runs the checks it does not time.
    results = grading.run_checks(lab, program, path.parent, 2, lambda message: None, tests)
    return {r.check.id: re.sub(r"0x[0-9a-f]+", "0x...", r.detail)
            for r in results if not r.passed}


@pytest.mark.parametrize("lab_id, name", [(w[0], w[1]) for w in WRONG])
def test_a_wrong_answer_fails_the_visible_test_of_what_it_breaks(lab_id, name, tmp_path,
                                                                  handed_out):
    ((_, _, answers, expected),) = [w for w in WRONG if w[:2] == (lab_id, name)]
    lab = labs.load(lab_id)
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "wrong.ipynb", answers)
    found = failures(lab, path)
    assert set(found) == set(expected), found
    for check_id, words in expected.items():
        assert words in found[check_id], found[check_id]
    # The same checks fail, saying the same, with only the visible tests.
    assert failures(labs.load(lab_id, tests_from=handed_out), path) == found


def functional(lab_id):
    return {c.id for c in labs.load(lab_id).checks if c.kind == "functional"}


@pytest.mark.parametrize("lab_id, name", [
    (lab_id, v["name"]) for lab_id in LABS for v in lab_variants.variants(lab_id)
    if functional(lab_id) & set(v["fails"])])
def test_each_plausible_submission_fails_its_functional_checks_visibly(lab_id, name, tmp_path,
                                                                         handed_out):
    """bench/variants/<lab>.py says which checks each variant fails (tests/test_lab_variants.py
    grades them all); every functional one must fail with the visible tests alone."""
    (variant,) = [v for v in lab_variants.variants(lab_id) if v["name"] == name]
    lab = labs.load(lab_id, tests_from=handed_out)
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "variant.ipynb",
                                variant["answers"])
    assert set(failures(lab, path)) == functional(lab_id) & set(variant["fails"])


@pytest.mark.parametrize("lab_id, name", [
    ("04-steal", "pop_head takes a None value for an empty ring"),
    ("03-victim", "uninstall takes out the first pool callback it finds")])
def test_a_randomised_test_fails_the_same_way_every_time(lab_id, name, tmp_path):
    ((_, _, answers, expected),) = [w for w in WRONG if w[:2] == (lab_id, name)]
    lab = labs.load(lab_id)
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "wrong.ipynb", answers)
    first = failures(lab, path)
    assert set(first) == set(expected)
    assert failures(lab, path) == first and failures(lab, path) == first


def test_a_failure_in_a_hidden_test_names_no_line_the_learner_cannot_see():
    """It names the test cell, says the test is hidden, and -- when the learner's own code
    raised -- the line of theirs that did; a visible test's line is quoted as it is."""
    def raised(cell, source, ns):
        linecache.cache[cell] = (len(source), None, source.splitlines(True), cell)
        try:
            exec(compile(source, cell, "exec"), ns)
        except Exception as e:  # noqa: BLE001 -- what a test cell raises, explained
            return explain(e, prefer=cell)
        raise AssertionError(f"{cell} raised nothing")

    ns = {}
    exec(compile("def f():\n    return undefined_name\n", "<cell answer>", "exec"), ns)
    linecache.cache["<cell answer>"] = (0, None, ["def f():\n", "    return undefined_name\n"],
                                        "<cell answer>")
    hidden = "ok = 1\n### BEGIN HIDDEN TESTS\nassert ok == 2, 'a ring of 8: got 1'\n" \
             "f()\n### END HIDDEN TESTS\n"
    assert raised("<cell test_a>", hidden, ns) == \
        "AssertionError: a ring of 8: got 1 (in a hidden test of cell test_a)"
    assert raised("<cell test_b>", hidden.replace("assert ok == 2, 'a ring of 8: got 1'\n", ""),
                  ns) == ("NameError: name 'undefined_name' is not defined (in a hidden test of "
                          "cell test_b; raised at cell answer, line 2: return undefined_name)")
    assert raised("<cell test_c>", "assert 1 == 2, 'shown'\n", ns) == \
        "AssertionError: shown (cell test_c, line 1: assert 1 == 2, 'shown')"


# (lab, the prediction's answer cell, its name, its test cell, the right number)
PREDICTIONS = [("03-victim", "predicted_news", "PREDICTED_NEWS", "test_predicted_news", 32),
               ("04-steal", "predicted_steals", "PREDICTED_STEALS", "test_predicted_steals", 64)]


@pytest.mark.parametrize("lab_id, cell, name, check_id, right", PREDICTIONS)
def test_a_wrong_prediction_fails_naming_neither_the_right_number_nor_the_way_it_is_off(
        lab_id, cell, name, check_id, right, tmp_path, handed_out):
    lab, visible = labs.load(lab_id), labs.load(lab_id, tests_from=handed_out)
    (check,) = [c for c in lab.checks if c.id == check_id]

    def result(lab, path):
        program = notebook.assemble(lab, notebook.read(path))
        return kinds.functional.grade(check, lab, program, path.parent)

    for wrong in (right - 1, right + 1, 0, 171):
        path = lab_variants.variant(lab_variants.solution(lab), tmp_path / f"{wrong}.ipynb",
                                    {cell: f"{name} = {wrong}\n"})
        failed = result(lab, path)
        assert not failed.passed and f"{name} = {wrong} is not the number" in failed.detail
        said = re.sub(rf"{name} = {wrong}\b", "", failed.detail + check.hint)
        assert str(right) not in said, said
        assert not re.search(r"\b(too|more|less|fewer|higher|lower)\b", said), said
        # Its visible test alone passes it: only the hidden one knows the number.
        assert result(visible, path).passed


@pytest.mark.parametrize("lab_id, cell, name, check_id, right", PREDICTIONS)
def test_no_prediction_costs_its_point_and_nothing_else(lab_id, cell, name, check_id, right,
                                                        tmp_path):
    """Every check but the prediction's passes, the code loads without a failed cell, and the
    score is the lab's less one point (the latency checks, timed and unaffected, left out)."""
    lab = labs.load(lab_id)
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "none.ipynb",
                                {cell: f"{name} = None  # your prediction\n"})
    timed = [c for c in lab.checks if c.kind == "latency"]
    report = grading.grade(lab, path, check_ids=[c.id for c in lab.checks if c not in timed])
    assert report.did_not_load is None
    (failed,) = [r for r in report.results if not r.passed]
    assert failed.check.id == check_id and f"{name} is None: no prediction yet" in failed.detail
    assert report.score == lab.points - sum(c.points for c in timed) - 1
