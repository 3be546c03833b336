"""Saved column mappings of imported files, so the next file with the same headings maps itself.

Kept by ``ropa.storage.mappings`` (audited); ``ropa.ingest`` finds a saved
profile by the file's heading signature.
"""

from __future__ import annotations

from ropa.storage.mappings import MappingProfile, list_profiles, save_profile

__all__ = ["MappingProfile", "list_profiles", "save_profile"]
