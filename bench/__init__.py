"""Benchmarks of the register at the scale the product promises (see docs/benchmarks.md).

``python -m bench`` builds synthetic registers of several sizes and times
the work a user waits for: building the database, the gap analysis, page
reruns, charts, the Excel export and import, and the command line's start.
"""
