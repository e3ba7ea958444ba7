"""Grades a submitted lab notebook: isolation, memray/pyperf measurement, thresholds, reports.

The grading path (``python -m autograder grade LAB SUBMISSION``) is built with the first lab.
"""
