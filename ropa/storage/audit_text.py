"""The audit text of new activities, encoded a column at a time.

A new activity's audit row holds ``json.dumps({**content(), "entity_id": id},
ensure_ascii=False, sort_keys=True)``. An import writes thousands at once and
their columns repeat: a few roles, statuses, vocabulary lists and recipients
serve every row. So each column's distinct values are encoded once, with their
key, and each activity's text is those pieces joined: the bytes the encoder
writes for the whole dictionary, at two thirds of its cost (encoding whole
dictionaries was a sixth of the import's own work at 10,000 activities).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, get_origin

from ropa.models import BOOKKEEPING, Activity, Recipient, Transfer

RECORD_FIELDS: dict[str, tuple[str, ...]] = {"recipients": tuple(Recipient.model_fields),
                                             "transfers": tuple(Transfer.model_fields)}
"""The fields of each kind of nested record, in the order its value tuples hold them."""

CONTENT_KEYS: tuple[str, ...] = tuple(sorted(set(Activity.model_fields) - BOOKKEEPING))
"""The keys of an activity's audit text, sorted: its content (no bookkeeping) with the stored entity id."""

_TEXT_FIELDS = frozenset(name for name, info in Activity.model_fields.items() if info.annotation is str)
"""Fields that always hold text: escaped straight, without a table of distinct values (most are all distinct)."""
_LIST_FIELDS = frozenset(name for name, info in Activity.model_fields.items()
                         if get_origin(info.annotation) is list and name not in RECORD_FIELDS)


def _iso_date(value: object) -> object:
    """What the JSON encoder cannot write itself, as ``Activity.content`` gives it: dates as ISO."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not part of an activity's content")


_encode = json.JSONEncoder(ensure_ascii=False, default=_iso_date).encode
"""The encoder ``json.dumps`` uses with these options: ``encode_basestring`` for text, ', ' and ': ' between."""


class _Pieces(dict[Hashable, str]):
    """One column's distinct values, each as ``prefix`` and the value the way the encoder writes it.

    A column holds validated values of one field, so values that are equal are
    of one type (never 1 for True) and one text stands for all of them.
    """

    def __init__(self, prefix: str, encode: Callable[[Any], str]) -> None:
        super().__init__()
        self.prefix = prefix
        self.encode = encode

    def __missing__(self, value: Hashable) -> str:
        piece = self[value] = self.prefix + self.encode(value)
        return piece


def _key(key: str) -> str:
    return encode_basestring(key) + ": "


def _record_encoder(names: Sequence[str]) -> Callable[[Any], str]:
    """Encodes one nested record (a value tuple) as its dictionary, keys sorted."""
    order = sorted(range(len(names)), key=names.__getitem__)
    keys, values = [names[at] for at in order], itemgetter(*order)
    return lambda record: _encode(dict(zip(keys, values(record), strict=True)))


def _records_pieces(key: str, values: Sequence[Sequence[tuple[Any, ...]]]) -> list[str]:
    """Each activity's records as a list of their dictionaries; a record shared by many activities is encoded once."""
    record_text = _Pieces("", _record_encoder(RECORD_FIELDS[key])).__getitem__
    prefix = _key(key) + "["
    return [prefix + ", ".join(map(record_text, records)) + "]" for records in values]


def _encode_items(items: tuple[tuple[str, str], ...]) -> str:
    return _encode(dict(sorted(items)))


def _column_pieces(key: str, values: Sequence[Any]) -> list[str]:
    """Each value of one column as its piece of the text."""
    if key in _TEXT_FIELDS:
        prefix = _key(key)
        try:
            return list(map(prefix.__add__, map(encode_basestring, values)))
        except TypeError:  # not text after all (a model built without validation): encoded as the encoder would
            pass
    if key in RECORD_FIELDS:
        return _records_pieces(key, values)
    if key == "unmapped":
        return list(map(_Pieces(_key(key), _encode_items).__getitem__, (tuple(kept.items()) for kept in values)))
    if key in _LIST_FIELDS:
        return list(map(_Pieces(_key(key), _encode).__getitem__, map(tuple, values)))
    return list(map(_Pieces(_key(key), _encode).__getitem__, values))


def content_texts(fields: Mapping[str, Sequence[Any]]) -> list[str]:
    """Each activity's audit text, from its columns: every key of ``CONTENT_KEYS`` (records as value tuples)."""
    pieces = [_column_pieces(key, fields[key]) for key in CONTENT_KEYS]
    return list(map("{%s}".__mod__, map(", ".join, zip(*pieces, strict=True))))
