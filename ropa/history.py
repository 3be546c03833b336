"""What the audit trail tells the pages: the change history, the last event of a kind, who acted, and a stamp.

``change_stamp`` moves whenever anything is written, so a page can key its
cached analysis on it. The trail itself is kept by ``ropa.storage.audit``;
``ropa.changes`` turns its rows into readable changes.
"""

from __future__ import annotations

from ropa.storage.audit import Event, actors, change_stamp, history_frame, latest_event

__all__ = ["Event", "actors", "change_stamp", "history_frame", "latest_event"]
