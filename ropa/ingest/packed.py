"""The plan's validated activities, held compactly until they are shown or written.

A validated ``Activity`` costs about 8 KB in memory (its field dictionary, its
own set of given fields, a model per recipient and transfer); a file of 50,000
activities made 400 MB of them. Here each activity is one tuple of its field
values in field order (lists as tuples, nested records as tuples too) and a set
of given fields shared with every activity from the same columns. A model is
built again, exactly as validated, only when it is asked for (a match's update);
the write reads the values a chunk of columns at a time, building none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args, get_origin, overload

from pydantic import BaseModel

from ropa.models import Activity
from ropa.storage.activities import ActivityColumns

_Packed = tuple[frozenset[str], tuple[Any, ...]]
"""A model's given fields and its field values in field order."""


@dataclass(frozen=True)
class _Layout:
    """Which of a model's field values are lists, lists of nested records or dictionaries."""

    names: tuple[str, ...]
    lists: tuple[int, ...]
    records: tuple[tuple[int, type[BaseModel], tuple[str, ...]], ...]
    """Position, the record's model and its field names (a record holds no list, record or dictionary)."""
    dicts: tuple[int, ...]

    @property
    def flat(self) -> bool:
        return not (self.lists or self.records or self.dicts)


@cache
def _layout(model: type[BaseModel]) -> _Layout:
    lists: list[int] = []
    records: list[tuple[int, type[BaseModel], tuple[str, ...]]] = []
    dicts: list[int] = []
    for at, (name, info) in enumerate(model.model_fields.items()):
        origin = get_origin(info.annotation)
        item = get_args(info.annotation)[0] if origin is list else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            if not _layout(item).flat:
                raise TypeError(f"{model.__name__}.{name}: a record within a record is not packed")
            records.append((at, item, _layout(item).names))
        elif origin is list:
            lists.append(at)
        elif origin is dict:
            dicts.append(at)
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            raise TypeError(f"{model.__name__}.{name}: a single nested record is not packed")
    return _Layout(tuple(model.model_fields), tuple(lists), tuple(records), tuple(dicts))


_ACTIVITY = _layout(Activity)


class _Packer:
    """Packs validated activities, holding each distinct nested record and set of given fields once."""

    def __init__(self) -> None:
        self._shared: dict[Any, Any] = {}
        """Validated values only, so equal ones are of one type (never 1 for True): one can stand for the other."""

    def pack(self, activity: Activity) -> _Packed:
        values = list(activity.__dict__.values())  # in field order, as pydantic lays out every model
        for at in _ACTIVITY.lists:
            values[at] = tuple(values[at])
        for at, _, _ in _ACTIVITY.records:
            values[at] = tuple(map(self._record, values[at]))
        for at in _ACTIVITY.dicts:
            values[at] = tuple(values[at].items())
        return self._given(activity), tuple(values)

    def _record(self, record: BaseModel) -> _Packed:
        # The same recipient or transfer often serves many activities: held once.
        packed = self._given(record), tuple(record.__dict__.values())
        shared: _Packed = self._shared.setdefault(packed, packed)
        return shared

    def _given(self, model: BaseModel) -> frozenset[str]:
        given = frozenset(model.model_fields_set)
        shared: frozenset[str] = self._shared.setdefault(given, given)
        return shared


def _build(model: type[BaseModel], names: tuple[str, ...], given: frozenset[str], values: Iterable[Any]) -> Any:
    """The model with these values, put together as ``pickle`` restores one: the values were validated once."""
    built = model.__new__(model)
    built.__setstate__({"__dict__": dict(zip(names, values, strict=True)), "__pydantic_fields_set__": set(given),
                        "__pydantic_extra__": None, "__pydantic_private__": None})
    return built


def _activity(packed: _Packed) -> Activity:
    """The activity as validated: the same values and given fields, with lists and dictionaries of its own."""
    given, values = packed
    fields = list(values)
    for at in _ACTIVITY.lists:
        fields[at] = list(fields[at])
    for at, model, names in _ACTIVITY.records:
        fields[at] = [_build(model, names, *record) for record in fields[at]]
    for at in _ACTIVITY.dicts:
        fields[at] = dict(fields[at])
    activity: Activity = _build(Activity, _ACTIVITY.names, given, fields)
    return activity


class PackedActivities(Sequence[Activity]):
    """A sequence of activities that holds each packed and builds its model on access."""

    def __init__(self, activities: Iterable[Activity] = ()) -> None:
        self._packer = _Packer()
        self._rows: list[_Packed] = []
        for activity in activities:
            self.append(activity)

    def append(self, activity: Activity) -> None:
        self._rows.append(self._packer.pack(activity))

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Activity: ...

    @overload
    def __getitem__(self, index: slice) -> list[Activity]: ...

    def __getitem__(self, index: int | slice) -> Activity | list[Activity]:
        if isinstance(index, slice):
            return [_activity(row) for row in self._rows[index]]
        return _activity(self._rows[index])

    def __iter__(self) -> Iterator[Activity]:
        return map(_activity, self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedActivities):
            return self._rows == other._rows
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def field(self, name: str) -> list[Any]:
        """One field of every activity, in order, without building the models (lists as tuples, dictionaries as
        tuples of items, records packed)."""
        at = _ACTIVITY.names.index(name)
        return [values[at] for _, values in self._rows]

    def columns(self, positions: Sequence[int], size: int) -> Iterator[ActivityColumns]:
        """The activities at ``positions`` as columns of their values, ``size`` at a time, building no model."""
        for start in range(0, len(positions), size):
            values = [self._rows[i][1] for i in positions[start:start + size]]
            fields = dict(zip(_ACTIVITY.names, map(list, zip(*values, strict=True)), strict=True))
            for name in (_ACTIVITY.names[at] for at in _ACTIVITY.dicts):
                fields[name] = list(map(dict, fields[name]))
            records = {name: [tuple(record for _, record in packed) for packed in fields.pop(name)]
                       for name in (_ACTIVITY.names[at] for at, _, _ in _ACTIVITY.records)}
            yield ActivityColumns(fields, records["recipients"], records["transfers"])
