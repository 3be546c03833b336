"""Activities as JSON text with stable keys (CLI ``list``/``show``, API consumers), written by DuckDB.

The text is built set-based in one query: DuckDB renders every activity's
indented JSON object, and Python only joins them. It is byte for byte what
``json.dump(..., ensure_ascii=False, indent=2)`` wrote when every record went
through the models (tests compare both); building 10,000 models and
pretty-printing them in Python took seconds.

Only ``duckdb`` is imported here (no pandas, no pydantic), so ``show`` starts
as fast as the database can be opened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ropa.spool import Spool
from ropa.storage.database import Connection

LIST_FIELDS: tuple[str, ...] = (
    "id", "entity", "name", "business_function", "purpose", "role", "lawful_bases", "special_categories",
    "data_subjects", "data_categories", "recipients", "transfers", "retention", "status", "source", "version",
)
"""The stable summary's keys: a contract with scripts; add, never rename."""

# The fields of ``ropa.models.Activity``, ``Recipient`` and ``Transfer``, in their order (a test holds them equal;
# this module does not import the models, so the command line starts without pydantic).
ACTIVITY_FIELDS: tuple[str, ...] = (
    "id", "entity_id", "name", "business_function", "purpose", "role", "controller_served", "joint_controllers",
    "joint_arrangement_ref", "lawful_bases", "legitimate_interest", "lia_ref", "consent_record_ref", "art9_conditions",
    "art10_basis", "dpa_schedule1_condition", "data_subjects", "data_categories", "recipients", "transfers",
    "retention_kind", "retention_months", "retention_trigger", "retention_rule", "retention_policy_ref",
    "security_measures", "security_description", "systems", "data_location", "data_source", "rights_available", "adm",
    "adm_description", "adm_basis", "dpia_required", "dpia_status", "dpia_ref", "dpia_criteria", "breach_ref",
    "dpia_not_required_reason", "dpia_decided_by", "law_relied_on", "member_state_law", "consent_withdrawal",
    "parental_consent", "adm_safeguards", "eprivacy_consent", "controller_contract_ref", "subprocessor_authorisation",
    "appropriate_policy_ref", "retention_per_policy", "policy_deviation_reasons", "superseded_on", "owner", "status",
    "last_reviewed", "next_review_due", "source_document", "source_section", "notes", "unmapped", "version",
    "created_at", "created_by", "updated_at", "updated_by",
)
RECIPIENT_FIELDS: tuple[str, ...] = ("category", "name", "role", "country", "contract_ref", "vendor_id")
TRANSFER_FIELDS: tuple[str, ...] = ("country", "recipient", "mechanism", "tia_ref", "safeguard_doc", "contract_date",
                                    "organisation", "vendor_id", "authority_informed_on")

# DuckDB writes the hex digits of \u escapes in upper case, Python in lower case: only these control
# characters differ (the others have short escapes or digits only). ``_lower_hex`` fixes a whole rendered
# object at once: outside strings JSON holds no backslash, and the placeholder \x01 cannot occur in
# to_json's output (it escapes every control character), so escaped backslashes are kept out of the way.
_UPPER_HEX = ("000B", "000E", "000F", "001A", "001B", "001C", "001D", "001E", "001F")


def _lower_hex(expr: str) -> str:
    lowered = f"replace({expr}, '\\\\', chr(1))"
    for code in _UPPER_HEX:
        lowered = f"replace({lowered}, '\\u{code}', '\\u{code.lower()}')"
    lowered = f"replace({lowered}, chr(1), '\\\\')"
    return f"CASE WHEN strpos({expr}, '\\u00') > 0 THEN {lowered} ELSE {expr} END"


def _text(expr: str) -> str:
    """SQL for a string value as JSON (``null`` for NULL); see ``_lower_hex`` for the one difference."""
    return f"coalesce(to_json({expr}), 'null')"


def _number(expr: str) -> str:
    return f"coalesce(CAST({expr} AS VARCHAR), 'null')"


def _boolean(expr: str) -> str:
    return f"CASE WHEN {expr} IS NULL THEN 'null' WHEN {expr} THEN 'true' ELSE 'false' END"


def _date(expr: str) -> str:
    return f"coalesce('\"' || strftime({expr}, '%Y-%m-%d') || '\"', 'null')"


def _timestamp(expr: str) -> str:
    """ISO 8601 as Python's ``isoformat`` has it: microseconds only when there are any."""
    return (f"CASE WHEN {expr} IS NULL THEN 'null' WHEN microsecond({expr}) % 1000000 = 0 "
            f"THEN '\"' || strftime({expr}, '%Y-%m-%dT%H:%M:%S') || '\"' "
            f"ELSE '\"' || strftime({expr}, '%Y-%m-%dT%H:%M:%S.%f') || '\"' END")


def _newline(indent: int) -> str:
    return "'\n" + " " * indent + "'"


def _array(items: str, indent: int) -> str:
    """An indented JSON array from a SQL list of already rendered items (NULL or empty: ``[]``)."""
    inner = _newline(indent + 2)
    return (f"CASE WHEN coalesce(len({items}), 0) = 0 THEN '[]' ELSE concat('[', {inner}, "
            f"array_to_string({items}, concat(',', {inner})), {_newline(indent)}, ']') END")


def _text_array(expr: str, indent: int) -> str:
    return _array(f"list_transform({expr}, lambda x: {_text('x')})", indent)


def _object(fields: Sequence[tuple[str, str]], indent: int) -> str:
    """An indented JSON object from (key, rendered SQL value) pairs, in that order.

    One ``concat`` call: a chain of ``||`` copies the growing text at every step.
    """
    parts = []
    for i, (key, value) in enumerate(fields):
        lead = "'{\n" if i == 0 else "',\n"
        parts.append(f"{lead}{' ' * (indent + 2)}\"{key}\": '")
        parts.append(value)
    parts.append("'\n" + " " * indent + "}'")
    return f"concat({', '.join(parts)})"


def _in_position(obj: str) -> str:
    """The aggregate listing a child table's rendered objects in stored order.

    Sorting each small list by position after the grouping costs a fifth less
    than ``list(... ORDER BY position)``, which sorts the rows as it groups them.
    """
    return f"list_transform(list_sort(list(struct_pack(p := position, o := {obj}))), lambda x: x.o)"


def _children(table: str, fields: Sequence[str], indent: int, where: str = "TRUE") -> str:
    """Per activity, its recipients or transfers as a list of rendered objects, in stored order."""
    obj = _object([(f, _text(f)) for f in fields], indent)
    return f"SELECT activity_id, {_in_position(obj)} AS items FROM {table} WHERE {where} GROUP BY activity_id"


def list_sql(include_archived: bool) -> str:
    """One query: the ``list --format json`` object of every activity, in id order."""
    indent = 2
    fields = [
        ("id", _number("a.id")), ("entity", _text("coalesce(e.name, '')")), ("name", _text("a.name")),
        ("business_function", _text("a.business_function")), ("purpose", _text("a.purpose")),
        ("role", _text("a.role")), ("lawful_bases", _text_array("a.lawful_bases", indent + 2)),
        ("special_categories",
         _text_array("list_filter(a.data_categories, lambda c: list_contains($special, c))", indent + 2)),
        ("data_subjects", _text_array("a.data_subjects", indent + 2)),
        ("data_categories", _text_array("a.data_categories", indent + 2)),
        ("recipients", _array("r.items", indent + 2)), ("transfers", _array("t.items", indent + 2)),
        ("retention", _object([("kind", _text("a.retention_kind")), ("months", _number("a.retention_months")),
                               ("trigger", _text("a.retention_trigger")), ("rule", _text("a.retention_rule"))],
                              indent + 2)),
        ("status", _text("a.status")),
        ("source", _object([("document", _text("a.source_document")), ("section", _text("a.source_section"))],
                           indent + 2)),
        ("version", _number("a.version")),
    ]
    where = "" if include_archived else "WHERE a.status <> 'archived'"
    return (
        f"WITH r AS ({_children('recipients', RECIPIENT_FIELDS, indent + 4)}), "
        f"t AS ({_children('transfers', TRANSFER_FIELDS, indent + 4)}) "
        f"SELECT {_lower_hex('o')} FROM (SELECT a.id, {_object(fields, indent)} AS o FROM activities a "
        f"LEFT JOIN entities e ON e.id = a.entity_id LEFT JOIN r ON r.activity_id = a.id "
        f"LEFT JOIN t ON t.activity_id = a.id {where}) ORDER BY id"
    )


def write_activities_json(con: Connection, special_categories: Sequence[str], write: Callable[[str], object], *,
                          include_archived: bool = False, batch: int = 2_048) -> None:
    """Every activity's stable summary (``LIST_FIELDS``) as one indented JSON array, handed to ``write``
    a batch of objects at a time (the CLI streams it to stdout).

    At 50,000 activities holding every object and then the joined text doubled the command's memory.
    """
    cursor = con.execute(list_sql(include_archived), {"special": list(special_categories)})
    first = True
    while rows := cursor.fetchmany(batch):
        write(("[\n  " if first else ",\n  ") + ",\n  ".join(row[0] for row in rows))
        first = False
    write("[]" if first else "\n]")


# -- one activity in full (``show``) -------------------------------------------------------------

def _render(column: str, kind: str, indent: int) -> str:
    renderers = {"text": _text, "number": _number, "boolean": _boolean, "date": _date, "timestamp": _timestamp}
    if kind == "list":
        return _text_array(column, indent)
    return renderers[kind](column)


_KINDS = {"VARCHAR[]": "list", "INTEGER": "number", "BIGINT": "number", "BOOLEAN": "boolean", "DATE": "date",
          "TIMESTAMP": "timestamp"}


def activity_sql(fields: Sequence[str], column_types: dict[str, str]) -> str:
    """One activity's every field in ``fields`` order, plus its entity's name: ``show``'s document.

    ``unmapped`` (import columns the register could not place) is stored as
    JSON text and comes back as is, for Python to indent.
    """
    indent = 0
    rendered: list[tuple[str, str]] = []
    for field in fields:
        if field == "recipients":
            rendered.append((field, _array("r.items", indent + 2)))
        elif field == "transfers":
            rendered.append((field, _array("t.items", indent + 2)))
        elif field == "unmapped":
            rendered.append((field, "chr(2)"))
        else:
            rendered.append((field, _render(f"a.{field}", _KINDS.get(column_types[field], "text"), indent + 2)))
    rendered.append(("entity", _text("coalesce(e.name, '')")))
    return (
        f"WITH r AS ({_children('recipients', RECIPIENT_FIELDS, indent + 4, 'activity_id = $id')}), "
        f"t AS ({_children('transfers', TRANSFER_FIELDS, indent + 4, 'activity_id = $id')}) "
        f"SELECT {_lower_hex('o')}, unmapped FROM (SELECT {_object(rendered, indent)} AS o, a.unmapped "
        "FROM activities a LEFT JOIN entities e ON e.id = a.entity_id LEFT JOIN r ON r.activity_id = a.id "
        "LEFT JOIN t ON t.activity_id = a.id WHERE a.id = $id)"
    )


def activity_json(con: Connection, activity_id: int, fields: Sequence[str]) -> str | None:
    """One activity in full as indented JSON (keys in ``fields`` order, then ``entity``); None if unknown."""
    import json

    column_types = {name: kind for name, kind, *_ in con.execute("DESCRIBE activities").fetchall()}
    row: Any = con.execute(activity_sql(fields, column_types), {"id": activity_id}).fetchone()
    if row is None:
        return None
    text, unmapped = row
    indented = json.dumps(json.loads(unmapped or "{}"), ensure_ascii=False, indent=2)
    return str(text).replace("\x02", indented.replace("\n", "\n  "), 1)


# -- canonical content (the export's hash and its JSON document) ---------------------------------

def _compact_object(fields: Sequence[tuple[str, str]]) -> str:
    """A compact JSON object from (key, rendered SQL value) pairs, keys in the given order."""
    parts = []
    for i, (key, value) in enumerate(fields):
        parts.append(f"'{'{' if i == 0 else ','}\"{key}\":'")
        parts.append(value)
    parts.append("'}'")
    return f"concat({', '.join(parts)})"


def _sorted_text_object(expr: str) -> str:
    """A stored JSON object of text values, re-serialised compact with sorted keys (Python's ``sort_keys``)."""
    pointer = "concat('/', replace(replace(k, '~', '~0'), '/', '~1'))"
    pairs = (f"list_transform(list_sort(json_keys({expr})), lambda k: concat(to_json(k), ':', "
             f"to_json(json_extract_string({expr}, {pointer}))))")
    return (f"CASE WHEN {expr} IS NULL OR {expr} = '{{}}' THEN '{{}}' "
            f"ELSE concat('{{', array_to_string({pairs}, ','), '}}') END")


def _compact_children(table: str, fields: Sequence[str], where: str) -> str:
    obj = _compact_object([(f, _text(f)) for f in sorted(fields)])
    return f"SELECT activity_id, {_in_position(obj)} AS items FROM {table} WHERE {where} GROUP BY activity_id"


def content_sql(fields: Sequence[str], column_types: dict[str, str], condition: str) -> str:
    """Each activity's export entry (its content as canonical JSON, with the bookkeeping columns beside it)
    as UTF-8, and the content's size in bytes, for the activities ``condition`` selects.

    ``fields`` are the content's activity columns; recipients, transfers and
    the entity's name are added. The content is canonical JSON (sorted keys,
    no spaces); the entry is the JSON export's activity object, ``content``
    first.
    """
    rendered: dict[str, str] = {
        "recipients": "concat('[', array_to_string(coalesce(r.items, []), ','), ']')",
        "transfers": "concat('[', array_to_string(coalesce(t.items, []), ','), ']')",
        "entity": _text("coalesce(e.name, '')"),
    }
    for field in fields:
        kind = _KINDS.get(column_types[field], "text")
        if field == "unmapped":
            rendered[field] = _sorted_text_object("a.unmapped")
        elif kind == "list":
            rendered[field] = f"coalesce(to_json(a.{field}), 'null')"
        else:
            rendered[field] = _render(f"a.{field}", kind, 0)
    content = _compact_object(sorted(rendered.items()))
    entry = _compact_object([
        ("content", "c"), ("created_at", _timestamp("created_at")), ("created_by", _text("created_by")),
        ("id", _number("id")), ("updated_at", _timestamp("updated_at")), ("updated_by", _text("updated_by")),
        ("version", _number("version")),
    ])
    chosen = f"activity_id IN (SELECT a.id FROM activities a WHERE {condition})"
    return (
        f"WITH r AS ({_compact_children('recipients', RECIPIENT_FIELDS, chosen)}), "
        f"t AS ({_compact_children('transfers', TRANSFER_FIELDS, chosen)}), "
        f"rows AS (SELECT a.entity_id, a.name, a.id, a.version, a.created_at, a.created_by, a.updated_at, "
        f"a.updated_by, {content} AS raw FROM activities a LEFT JOIN entities e ON e.id = a.entity_id "
        f"LEFT JOIN r ON r.activity_id = a.id LEFT JOIN t ON t.activity_id = a.id WHERE {condition}), "
        f"fixed AS (SELECT *, {_lower_hex('raw')} AS c FROM rows) "
        f"SELECT id, entity_id, encode({entry}), strlen(c) FROM fixed"
    )


_ENTRY_HEAD = len(b'{"content":')


class Content(NamedTuple):
    """One activity as the JSON document lists it (``entry``), and the content the export hashes (``text``).

    Both are read back from the spool the export rendered them into: the
    content is the head of the entry, so it is stored once. A named tuple is
    built in a third of the time of a frozen dataclass, whose fields are set
    one ``object.__setattr__`` at a time: at 10,000 activities, 0.03 s.
    """

    entity_id: int
    spool: Spool
    offset: int
    size: int
    """Bytes of the entry in the spool."""
    text_size: int
    """Bytes of the content, which opens the entry."""

    @property
    def entry(self) -> str:
        return self.spool.read(self.offset, self.size).decode()

    @property
    def text(self) -> str:
        return self.spool.read(self.offset + _ENTRY_HEAD, self.text_size).decode()


CONTENT_BATCH = 4_096
"""Entries fetched at a time from the one content query, which DuckDB streams: it holds one batch of texts,
not the whole register's."""


def record_contents(con: Connection, fields: Sequence[str], entity_ids: Sequence[int] | None,
                    include_archived: bool) -> list[Content]:
    """The canonical content of every exported activity, in the export's order: see ``content_sql``.

    The order is read first. The texts come from one query, streamed a batch
    at a time into one spool (its order is DuckDB's), and are listed in the
    export's order. One query reads each table once: a query per range of
    ids, as before, cost twice the CPU time at 50,000 activities, each range
    planning the query and aggregating the recipients and transfers again.
    """
    where = ["TRUE"]
    params: dict[str, Any] = {}
    if entity_ids is not None:
        where.append("list_contains($entities, a.entity_id)")
        params["entities"] = list(entity_ids)
    if not include_archived:
        where.append("a.status <> 'archived'")
    condition = " AND ".join(where)
    ordered = [row[0] for row in con.execute(
        f"SELECT a.id FROM activities a WHERE {condition} ORDER BY entity_id, name, id", params).fetchall()]
    rank = {activity_id: i for i, activity_id in enumerate(ordered)}
    column_types = {name: kind for name, kind, *_ in con.execute("DESCRIBE activities").fetchall()}
    cursor = con.execute(content_sql(fields, column_types, condition), params)
    spool = Spool()
    contents: list[Content | None] = [None] * len(ordered)
    while rows := cursor.fetchmany(CONTENT_BATCH):
        offset = spool.append(b"".join(row[2] for row in rows))
        for activity_id, entity_id, entry, text_size in rows:
            if activity_id in rank:  # not one added by another session since the order was read
                contents[rank[activity_id]] = Content(entity_id, spool, offset, len(entry), text_size)
            offset += len(entry)
    return [c for c in contents if c is not None]  # without any archived meanwhile


def write_entries(contents: Sequence[Content], write: Callable[[bytes], object], *, batch: int = 1_024) -> None:
    """The entries joined by commas, as UTF-8, copied from their spool a batch at a time."""
    for start in range(0, len(contents), batch):
        write((b"," if start else b"") + b",".join(c.spool.read(c.offset, c.size)
                                                  for c in contents[start:start + batch]))


def special_category_keys() -> list[str]:
    """The Art. 9(1) data category keys, read straight from the reference file (no models).

    ``ropa.reference`` validates the whole file with pydantic, which costs a
    cold ``list`` as much as starting DuckDB; this reads the one vocabulary
    with ``tomllib``. A child inherits its parent's flag, as the loader
    enforces; a test keeps the two answers equal.
    """
    import tomllib

    terms: list[dict[str, Any]] = tomllib.loads(_reference_text())["vocabulary"]["data_categories"]
    parents = {str(t["key"]): t.get("parent") for t in terms}
    flagged = {str(t["key"]) for t in terms if t.get("special")}

    def special(key: str | None) -> bool:
        while key is not None:
            if key in flagged:
                return True
            key = parents.get(key)
        return False

    return [str(t["key"]) for t in terms if special(str(t["key"]))]


def reference_meta() -> dict[str, str]:
    """The reference file's ``version`` and ``as_of`` (ISO date), read from its ``[meta]`` table alone (no models).

    A test keeps them equal to ``ropa.reference``'s.
    """
    import tomllib

    text = _reference_text()
    start = text.index("\n[meta]\n")
    end = text.find("\n[", start + 1)
    meta = tomllib.loads(text[start:end if end >= 0 else len(text)])["meta"]
    return {"version": str(meta["version"]), "as_of": meta["as_of"].isoformat()}


def _reference_text() -> str:
    from pathlib import Path

    # By path: importlib.resources would import the package, and with it the models.
    return (Path(__file__).parent / "reference" / "gdpr.toml").read_text(encoding="utf-8")
