"""The vendor (processor) inventory and the managed term lists, as the pages ask for them.

Stored by ``ropa.storage.vendors``: renaming a vendor or merging terms rewrites
the activities that use them in the same transaction, audited.
"""

from __future__ import annotations

from ropa.storage.vendors import (
    TERM_LISTS,
    add_term,
    create_vendor,
    get_vendor,
    link_by_name,
    list_terms,
    list_vendors,
    merge_terms,
    term_variants,
    update_vendor,
    vendor_usage,
)

__all__ = [
    "TERM_LISTS", "add_term", "create_vendor", "get_vendor", "link_by_name", "list_terms", "list_vendors",
    "merge_terms", "term_variants", "update_vendor", "vendor_usage",
]
