"""The one legal truth: each entity's applicable regime and the verdict on each transfer, dated.

Every screen, the export, the dashboard, the register filters and the gap rules
ask this package (``regimes`` for the entity's law, ``transfers`` for a
transfer's verdict on a day, or the set-based ``legal_verdicts`` relation the
SQL reads), so they cannot disagree.
"""
