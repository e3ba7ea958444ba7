"""Grades a submitted lab notebook: isolation, memray/pyperf measurement, thresholds, reports.

``python -m autograder grade LAB SUBMISSION`` (or ``make grade LAB=... NB=...``); see cli.py.
In a lab notebook, ``autograder.describe(LAB)`` prints the checks a lab is graded on.
"""


def describe(lab_id):
    """Print lab_id's checks, thresholds and points (read from its TOML file)."""
    from . import cli, lab

    print(cli.describe_text(lab.load(lab_id)))
