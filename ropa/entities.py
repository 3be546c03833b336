"""The group's entities as the pages ask for them: list, the subtree under one, read, create, edit, archive.

Stored by ``ropa.storage.entities`` (every write audited, the role checked
inside); this module is the pages' one door to them.
"""

from __future__ import annotations

from ropa.storage.entities import (
    create_entity,
    get_entity,
    list_entities,
    set_entity_archived,
    update_entity,
)
from ropa.storage.entity_rows import descendant_ids

__all__ = ["create_entity", "descendant_ids", "get_entity", "list_entities", "set_entity_archived", "update_entity"]
