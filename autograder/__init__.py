"""Grades a submitted lab notebook: isolation, memray/pyperf measurement, thresholds, reports.

``python -m autograder grade LAB SUBMISSION`` (or ``make grade LAB=... NB=...``); see cli.py.
In a lab notebook, ``autograder.describe(LAB)`` prints the checks a lab is graded on, and
``autograder.grade_notebook(LAB)`` grades the saved notebook and shows the table.
"""


def describe(lab_id):
    """Print lab_id's checks, thresholds and points (read from its TOML file)."""
    from . import cli, lab

    print(cli.describe_text(lab.load(lab_id)))


def grade_notebook(lab_id, path=None):
    """Grade the saved notebook (default: the lab's notebook in this folder): a table."""
    from . import jupyter

    return jupyter.grade_notebook(lab_id, path)
