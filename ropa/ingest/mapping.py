"""The mapping step: which field each source column feeds, chosen by the reader or by the user.

A mapping is ``{heading: target}`` where the target is a column key of
``ropa.columns`` (the field it feeds), ``"note"`` (kept word for word on the
activity) or ``"ignore"`` (not read; the preview says so). Headings are
compared as ``heading_key`` does (case, punctuation, "(if applicable)"
ignored). The signature of a file's headings finds a saved profile again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from ropa.columns import COLUMNS
from ropa.errors import RopaError
from ropa.ingest.headings import heading_key

NOTE, IGNORE = "note", "ignore"
Mapping = dict[str, str]


@cache
def targets() -> dict[str, str]:
    """Every target a mapping may name -> what it means, for messages and the page's choices."""
    found = {c.key: c.heading for c in COLUMNS}
    found[NOTE] = "Keep as a note (word for word)"
    found[IGNORE] = "Ignore (not read)"
    return found


def normalised(mapping: Mapping) -> Mapping:
    """The mapping with headings in comparable form; an unknown target is refused, naming it."""
    result: Mapping = {}
    for heading, target in mapping.items():
        if target not in targets():
            raise RopaError(f"The mapping sends '{heading}' to '{target}', which is not a field: use a column key "
                            f"(for example c02_purpose, name, c12_lawful_basis), '{NOTE}' or '{IGNORE}'.")
        result[heading_key(heading)] = target
    return result


def load_mapping_file(path: str | Path) -> Mapping:
    """A mapping written as a JSON object {"Source heading": "column key" | "note" | "ignore"}."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except OSError:
        raise RopaError(f"There is no mapping file at {file}.") from None
    except ValueError as error:
        raise RopaError(f"The mapping file {file.name} is not valid JSON: {error}.") from None
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise RopaError(f"The mapping file {file.name} must be one JSON object of heading -> field key.")
    return normalised({str(k): v for k, v in document.items()})


def signature(headings: Iterable[str]) -> str:
    """The same for every file with the same headings, whatever their order or case."""
    keys = sorted({heading_key(h) for h in headings if heading_key(h)})
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]
