"""Option lists for selectboxes and table columns: keys stored, labels shown.

Widgets hold vocabulary keys (what the register stores) and show the
reference data's labels through ``format_func``, so a label can be reworded
in ``gdpr.toml`` without touching any record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ropa.models import Entity
from ropa.reference import all_countries, country_name, load_reference


def vocab_options(name: str, current: Iterable[str] = ()) -> list[str]:
    """The vocabulary's live keys, plus any retired key a record still holds (so it stays visible)."""
    keys = load_reference().vocabulary(name).keys()
    return keys + [k for k in current if k not in keys]


def vocab_label(name: str, *, article: bool = False) -> Callable[[object], str]:
    """``format_func`` showing a key's label (and its article when asked); empty choice reads '—'."""
    vocabulary = load_reference().vocabulary(name)

    def label(key: object) -> str:
        if key is None or key == "":
            return "—"
        text = str(key)
        if text not in vocabulary:
            return f"{text} (not in the reference data)"
        term = vocabulary[text]
        suffix = f" ({term.article})" if article else ""
        if term.deprecated:
            suffix += " (retired)"
        return term.label + suffix

    return label


def category_label(key: object) -> str:
    """A data category with its group and any Article 9 / Article 10 flag."""
    vocabulary = load_reference().vocabulary("data_categories")
    text = str(key)
    if text not in vocabulary:
        return f"{text} (not in the reference data)"
    term = vocabulary[text]
    label = term.label
    if term.parent:
        label = f"{vocabulary.label(term.parent)} › {label}"
    if term.special:
        label += " (special category, Art. 9)"
    elif term.criminal:
        label += " (criminal offence data, Art. 10)"
    return label


def country_options(current: Iterable[str | None] = ()) -> list[str]:
    codes = [code for code, _ in all_countries()]
    return codes + [c for c in current if c and c not in codes]


def country_label(code: object) -> str:
    if code is None or code == "":
        return "—"
    return f"{country_name(str(code))} ({code})"


def mechanism_options() -> list[str]:
    return list(load_reference().mechanisms())


def mechanism_label(key: object) -> str:
    if key is None or key == "":
        return "—"
    mechanisms = load_reference().mechanisms()
    found = mechanisms.get(str(key))
    return f"{found.label} ({found.article})" if found else str(key)


def entity_tree(entities: Sequence[Entity]) -> list[tuple[Entity, int]]:
    """Entities in group order (each parent followed by its subsidiaries) with their depth."""
    ids = {e.id for e in entities}
    children: dict[int | None, list[Entity]] = {}
    for entity in entities:
        parent = entity.parent_id if entity.parent_id in ids else None
        children.setdefault(parent, []).append(entity)
    ordered: list[tuple[Entity, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda e: e.name.lower()):
            ordered.append((child, depth))
            if child.id is not None and child.id != parent:
                walk(child.id, depth + 1)

    walk(None, 0)
    return ordered


def entity_label(entities: Sequence[Entity]) -> Callable[[object], str]:
    """``format_func`` naming an entity id, indented under its parent, marked when archived."""
    depth = {e.id: d for e, d in entity_tree(entities)}
    names = {e.id: e.name + (" (archived)" if e.archived else "") for e in entities}

    def label(entity_id: object) -> str:
        if entity_id is None:
            return "All entities"
        key = entity_id if isinstance(entity_id, int) else None
        return "\u2003" * depth.get(key, 0) + names.get(key, f"entity {entity_id}")

    return label
