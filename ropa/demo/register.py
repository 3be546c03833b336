"""The demo register as reviewable data: TOML files parsed into validated models.

The records live in ``ropa/demo/data/*.toml`` so a DPO can read and check them
against the privacy notices in ``docs/sources/`` without reading code. Every
entry goes through ``ropa.models`` here, before anything is written, and a bad
entry fails with the file and the entry's name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ropa.errors import RopaError, ValidationFailed
from ropa.models import Activity, Entity, parse_activity, parse_entity

ENTITIES_FILE = "entities.toml"
#: Activity files, one per source notice, in the order they are loaded.
ACTIVITY_FILES: tuple[str, ...] = (
    "notice_000_privacy_shield_policy.toml",
    "notice_001_current_policy.toml",
    "notice_002_smelecom.toml",
)
_PLACEHOLDER_ENTITY_ID = 0


class DemoDataError(RopaError):
    """A demo data file is malformed or one of its entries does not validate."""


@dataclass(frozen=True)
class DemoEntity:
    key: str
    parent: str | None
    entity: Entity


@dataclass(frozen=True)
class DemoActivity:
    entity: str
    activity: Activity


@dataclass(frozen=True)
class DemoRegister:
    entities: tuple[DemoEntity, ...]
    activities: tuple[DemoActivity, ...]


def _toml(origin: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DemoDataError(f"{origin}: not valid TOML: {error}") from None


def _entries(origin: str, data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise DemoDataError(f"{origin}: '{table}' must be an array of tables ([[{table}]])")
    return entries


def _label(index: int, entry: Mapping[str, Any]) -> str:
    name = entry.get("name")
    return f"'{name}'" if isinstance(name, str) and name else f"#{index + 1} (no name)"


def _key(origin: str, label: str, entry: dict[str, Any], field: str) -> str:
    """Remove and return a reference key (``key``, ``parent``, ``entity``): not a model field."""
    value = entry.pop(field, None)
    if not isinstance(value, str) or not value:
        raise DemoDataError(f"{origin}, {label}: '{field}' must be a non-empty key")
    return value


def parse_entities(origin: str, text: str) -> list[DemoEntity]:
    """``[[entity]]`` tables: a ``key`` to refer to it, an optional ``parent`` key, Entity fields."""
    parsed: list[DemoEntity] = []
    known: set[str] = set()
    for index, raw in enumerate(_entries(origin, _toml(origin, text), "entity")):
        entry = dict(raw)
        label = _label(index, entry)
        key = _key(origin, label, entry, "key")
        parent = _key(origin, label, entry, "parent") if "parent" in entry else None
        if key in known:
            raise DemoDataError(f"{origin}, entity {label}: the key '{key}' is used twice")
        if parent is not None and parent not in known:
            raise DemoDataError(f"{origin}, entity {label}: parent '{parent}' must be listed before it")
        try:
            entity = parse_entity(entry)
        except ValidationFailed as error:
            raise DemoDataError(f"{origin}, entity {label}: {error}") from None
        known.add(key)
        parsed.append(DemoEntity(key, parent, entity))
    return parsed


CONTROLLER_ONLY_DEFAULTS: tuple[str, ...] = ("rights_available",)
"""Defaults a notice states for its controller processing: a processor record does not inherit them
(the rights are the controller's to grant, Art. 28(3)(e); the processor only assists)."""

GROUP_TRANSFERS = "group_transfers"
"""A ``[defaults]`` key: transfers that apply to every activity sharing data with group companies."""


def _with_defaults(defaults: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """An entry with its notice's defaults, as far as they can apply to it.

    Default transfers apply only to an activity that records recipients (a
    transfer has an importer); group transfers only to the default entity's
    activities that share with group companies; controller-only defaults
    never to a processor record.
    """
    entry = {k: v for k, v in defaults.items() if k != GROUP_TRANSFERS}
    processor = raw.get("role", defaults.get("role")) == "processor"
    if processor:
        entry = {k: v for k, v in entry.items() if k not in CONTROLLER_ONLY_DEFAULTS}
    entry.update(raw)
    recipients = entry.get("recipients") or []
    if "transfers" not in raw:
        if not recipients:
            entry.pop("transfers", None)
        # Group transfers are the default entity's (the exporter the notice speaks for).
        if (defaults.get(GROUP_TRANSFERS) and "entity" not in raw
                and any(r.get("category") == "group_companies" for r in recipients)):
            entry["transfers"] = [*entry.get("transfers", []), *defaults[GROUP_TRANSFERS]]
    return entry


def parse_activities(origin: str, text: str, entity_keys: set[str]) -> list[DemoActivity]:
    """``[defaults]`` (applied where an entry leaves a field out, see ``_with_defaults``) and ``[[activity]]``."""
    data = _toml(origin, text)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise DemoDataError(f"{origin}: 'defaults' must be a table")
    parsed: list[DemoActivity] = []
    for index, raw in enumerate(_entries(origin, data, "activity")):
        entry = _with_defaults(defaults, raw)
        label = _label(index, entry)
        entity = _key(origin, label, entry, "entity")
        if entity not in entity_keys:
            raise DemoDataError(f"{origin}, activity {label}: unknown entity '{entity}'")
        try:
            activity = parse_activity({**entry, "entity_id": _PLACEHOLDER_ENTITY_ID})
        except ValidationFailed as error:
            raise DemoDataError(f"{origin}, activity {label}: {error}") from None
        parsed.append(DemoActivity(entity, activity))
    return parsed


def parse_register(entities_text: str, activity_texts: Mapping[str, str]) -> DemoRegister:
    """The whole register from file texts (name -> TOML), validated; nothing is written."""
    entities = parse_entities(ENTITIES_FILE, entities_text)
    keys = {e.key for e in entities}
    activities = [a for origin, text in activity_texts.items() for a in parse_activities(origin, text, keys)]
    return DemoRegister(tuple(entities), tuple(activities))


def read_data_file(name: str) -> str:
    return resources.files("ropa.demo").joinpath("data", name).read_text(encoding="utf-8")


def load_demo() -> DemoRegister:
    """The shipped demo register, parsed and validated."""
    return parse_register(read_data_file(ENTITIES_FILE), {name: read_data_file(name) for name in ACTIVITY_FILES})
