"""The one ordered column map of the Article 30 record: export writes it, import reads it.

Source of the layout and wording: the ICO's documentation templates for
controllers and processors (UK GDPR guidance, "Documentation"),
https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/accountability-and-governance/documentation/
Columns 1-11 of the controller template are the Art. 30(1) record proper,
12-30 are the ICO's recommended extras; the processor template's five
columns are the Art. 30(2) record. Every column cites the article it records.

After the template's columns come the *record detail* columns: what the
register holds that the template has no exact place for (the activity's name,
entity, role, status, structured recipients and transfers...). They make an
export re-importable without loss. A column is ``exact`` when its text reads
back to exactly the values it was rendered from; a readable column whose
fields are all carried by exact columns present in a file is not parsed, so
the exact form wins over the readable one.

Each column renders an ``Activity`` to one cell and parses one cell back
through a ``ParseContext`` (the importer's vocabulary mapper), so the same map
drives both directions and cannot drift.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, Protocol

from ropa.legal.regimes import entity_regime
from ropa.models import Entity
from ropa.reference import country_name, load_reference

ICO_SOURCE = (
    "ICO documentation templates for controllers and processors, "
    "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/accountability-and-governance/documentation/"
)

CellValue = str | int | float | bool | date | datetime | None
Sheet = Literal["controller", "processor"]
Group = Literal["art30", "ico_extra", "record"]

JOIN = "; "
"""Separator of multi-valued cells; no vocabulary label contains it (a test checks)."""

YES, NO = "Yes", "No"
RETENTION_KINDS: dict[str, str] = {"period": "Period", "rule": "Stated rule", "unknown": "Not stated"}


class ParseContext(Protocol):
    """What a column's parser needs from the importer: mapping text to keys, with a record of each decision."""

    def terms(self, vocabulary: str, text: str, *, keep_rest: bool = True) -> list[str]:
        """Keys of ``vocabulary`` named in ``text``; text that names none is kept as unmapped.

        With ``keep_rest=False`` the text is kept elsewhere whole (a description), so the keys its
        phrases mention are picked out of it instead.
        """
        ...

    def term(self, vocabulary: str, text: str) -> str | None:
        """The one key ``text`` names, or None (the text is kept as unmapped)."""
        ...

    def keep(self, text: str, key: str | None = None) -> None:
        """Keep ``text`` verbatim in ``Activity.unmapped`` (under ``key``, default the column's field)."""
        ...

    def error(self, message: str) -> None:
        """Report a problem with this cell; the row is not imported."""
        ...

    def retention(self, text: str) -> dict[str, Any]:
        """Retention fields read from free text ("6 years after the contract ends")."""
        ...


class RecipientRecord(Protocol):
    """What rendering reads of a recipient: a ``ropa.models.Recipient``, or the export's row record of one."""

    @property
    def category(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def contract_ref(self) -> str: ...


class TransferRecord(Protocol):
    """What rendering reads of a transfer (``ropa.models.Transfer`` or a row record)."""

    @property
    def country(self) -> str | None: ...
    @property
    def recipient(self) -> str: ...
    @property
    def mechanism(self) -> str | None: ...
    @property
    def tia_ref(self) -> str: ...
    @property
    def safeguard_doc(self) -> str: ...
    @property
    def organisation(self) -> str | None: ...
    @property
    def contract_date(self) -> date | None: ...
    @property
    def authority_informed_on(self) -> date | None: ...


class Record(Protocol):
    """What the column map reads of an activity: an ``Activity``, or the export's row record of one.

    The export reads stored rows without building models (issue 15); both
    satisfy this, so the same renderers serve the workbook, the CSV files and
    the PDF. The plain text fields the ``_attr`` columns copy are read by name.
    """

    @property
    def id(self) -> int | None: ...
    @property
    def entity_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def lawful_bases(self) -> Sequence[str]: ...
    @property
    def art9_conditions(self) -> Sequence[str]: ...
    @property
    def data_subjects(self) -> Sequence[str]: ...
    @property
    def data_categories(self) -> Sequence[str]: ...
    @property
    def recipients(self) -> Sequence[RecipientRecord]: ...
    @property
    def transfers(self) -> Sequence[TransferRecord]: ...
    @property
    def retention_kind(self) -> str: ...
    @property
    def retention_months(self) -> int | None: ...
    @property
    def retention_trigger(self) -> str | None: ...
    @property
    def retention_rule(self) -> str: ...
    @property
    def retention_per_policy(self) -> bool | None: ...
    @property
    def policy_deviation_reasons(self) -> str: ...
    @property
    def security_measures(self) -> Sequence[str]: ...
    @property
    def security_description(self) -> str: ...
    @property
    def systems(self) -> Sequence[str]: ...
    @property
    def adm(self) -> bool: ...
    @property
    def adm_description(self) -> str: ...
    @property
    def adm_basis(self) -> str | None: ...
    @property
    def dpia_required(self) -> bool | None: ...
    @property
    def dpia_status(self) -> str | None: ...
    @property
    def dpia_criteria(self) -> Sequence[str]: ...
    @property
    def breach_ref(self) -> str: ...
    @property
    def unmapped(self) -> Mapping[str, str]: ...


Render = Callable[[Record, "RenderContext"], CellValue]
Parse = Callable[[CellValue, ParseContext], dict[str, Any]]


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs beyond the activity: entity names and applicable regimes by id."""

    entity_names: Mapping[int, str]
    entity_regimes: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """One column of the Article 30 sheets."""

    key: str
    heading: str
    article: str
    fields: tuple[str, ...]
    render: Render
    parse: Parse
    group: Group
    exact: bool = True
    ico: int | None = None
    ico_processor: int | None = None
    sheets: frozenset[Sheet] = frozenset({"controller", "processor"})
    aliases: tuple[str, ...] = ()
    width: int = 30
    merge: bool = False
    """Parsed even when an exact column carries its fields; its values are added to theirs."""


# -- cell text -------------------------------------------------------------------------------

def cell_text(value: CellValue) -> str:
    """A cell's value as text: numbers without a trailing .0, dates as ISO, booleans as Yes/No."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- rendering helpers -----------------------------------------------------------------------

@cache
def _labels(vocabulary: str, with_article: bool) -> dict[str, str]:
    vocab = load_reference().vocabulary(vocabulary)
    return {t.key: f"{t.label} ({t.article})" if with_article else t.label for t in vocab}


def labels(vocabulary: str, keys: Iterable[str], *, with_article: bool = False) -> str:
    table = _labels(vocabulary, with_article)
    return JOIN.join(table.get(k, k) for k in keys)


def label(vocabulary: str, key: str | None, *, with_article: bool = False) -> str:
    return "" if key is None else _labels(vocabulary, with_article).get(key, key)


def mechanism_label(key: str | None) -> str:
    """'EU Standard Contractual Clauses (2021) (Art. 46(2)(c))'."""
    return "" if key is None else _mechanism_labels().get(key, key)


@cache
def _mechanism_labels() -> dict[str, str]:
    return {m.key: f"{m.label} ({m.article})" for m in load_reference().transfer_mechanisms}


def yes_no(value: bool | None) -> str:
    return "" if value is None else (YES if value else NO)


def duration(months: int) -> str:
    """'6 years', '18 months', '1 year'."""
    if months and months % 12 == 0:
        years = months // 12
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{months} month{'s' if months != 1 else ''}"


def retention_text(a: Record) -> str:
    """The retention schedule as a person would write it."""
    parts: list[str] = []
    if a.retention_kind == "period" and a.retention_months is not None:
        trigger = label("retention_triggers", a.retention_trigger)
        parts.append(f"{duration(a.retention_months)} {trigger}".strip())
    if a.retention_rule:
        parts.append(a.retention_rule)
    return "\n".join(parts)


def recipients_text(a: Record) -> str:
    lines = []
    for r in a.recipients:
        details = [label("recipient_roles", r.role), country(r.country)]
        detail = ", ".join(d for d in details if d)
        line = label("recipient_categories", r.category)
        if r.name:
            line += f": {r.name}"
        if detail:
            line += f" ({detail})"
        lines.append(line)
    return "\n".join(lines)


def contracts_text(a: Record) -> str:
    return "\n".join(f"{r.name or label('recipient_categories', r.category)}: {r.contract_ref}"
                     for r in a.recipients if r.contract_ref)


def destination(t: TransferRecord) -> str:
    """A transfer's destination as Art. 30(1)(e) names it: the country, or the international organisation."""
    organisation = t.organisation
    return label("international_organisations", organisation) if organisation else country(t.country)


def countries_text(a: Record) -> str:
    return JOIN.join(dict.fromkeys(destination(t) for t in a.transfers))


def safeguards_text(a: Record) -> str:
    lines = []
    for t in a.transfers:
        line = f"{destination(t)}: {mechanism_label(t.mechanism) or 'no mechanism recorded'}"
        if t.safeguard_doc:
            line += f"; document: {t.safeguard_doc}"
        lines.append(line)
    return "\n".join(lines)


def security_text(a: Record) -> str:
    return "\n".join(p for p in (labels("security_measures", a.security_measures), a.security_description) if p)


def adm_text(a: Record) -> str:
    if not a.adm:
        return NO if not a.adm_description and a.adm_basis is None else ""
    text = YES
    if a.adm_description:
        text += f": {a.adm_description}"
    if a.adm_basis:
        text += f" (basis: {label('adm_bases', a.adm_basis, with_article=True)})"
    return text


@cache
def _flagged_categories() -> frozenset[str]:
    ref = load_reference()
    return frozenset(ref.special_category_keys()) | frozenset(ref.criminal_category_keys())


def special_data(a: Record) -> bool:
    flagged = _flagged_categories()
    return any(k in flagged for k in a.data_categories)


@cache
def country(code: str | None) -> str:
    """A country's name (cached: registers name the same few countries thousands of times)."""
    return country_name(code)


def plain(child: RecipientRecord | TransferRecord) -> dict[str, Any]:
    """A recipient or transfer as a JSON-ready dict (a model or a row record)."""
    if hasattr(child, "_asdict"):  # the export's row record, a named tuple
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in child._asdict().items()}
    if hasattr(child, "model_dump"):
        dumped: dict[str, Any] = child.model_dump(mode="json")
        return dumped
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in vars(child).items()}


_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
"""``json.dumps(value, ensure_ascii=False, sort_keys=True)``, with its encoder built once (not once a cell)."""


def json_text(value: Any) -> str:
    return "" if not value else _JSON_TEXT(value)


# -- parsing helpers -------------------------------------------------------------------------

def _set(name: str) -> Parse:
    """An exact free-text column: the cell is the field."""
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        return {name: cell_text(value)}
    return parse


def _vocab_list(name: str, vocabulary: str) -> Parse:
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        return {name: ctx.terms(vocabulary, cell_text(value)) if not _blank(value) else []}
    return parse


def _vocab_one(name: str, vocabulary: str) -> Parse:
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        return {name: None if _blank(value) else ctx.term(vocabulary, cell_text(value).strip())}
    return parse


_YES = {"yes", "y", "true", "1", "x", "✓", "required"}
_NO = {"no", "n", "false", "0", "none", "n/a", "na", "not applicable", "not required", "-"}


def parse_yes_no(value: CellValue, ctx: ParseContext) -> bool | None:
    """Yes/No as a DPO writes it; other text is kept as unmapped and read as unknown."""
    if isinstance(value, bool):
        return value
    if _blank(value):
        return None
    text = cell_text(value).strip()
    first = re.split(r"[\s,.;:\-–(]+", text.casefold(), maxsplit=1)[0]
    if text.casefold() in _YES or first in {"yes", "y"}:
        return True
    if text.casefold() in _NO or first in {"no", "n"}:
        return False
    ctx.keep(text)
    return None


def _yes_no(name: str) -> Parse:
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        return {name: parse_yes_no(value, ctx)}
    return parse


def _int(name: str) -> Parse:
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        if _blank(value):
            return {name: None}
        if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
            return {name: int(value)}
        text = cell_text(value).strip()
        if re.fullmatch(r"\d+", text):
            return {name: int(text)}
        ctx.error(f"'{text[:60]}' is not a whole number")
        return {}
    return parse


def _date(name: str) -> Parse:
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        if _blank(value):
            return {name: None}
        if isinstance(value, datetime):
            return {name: value.date()}
        if isinstance(value, date):
            return {name: value}
        text = cell_text(value).strip()
        try:
            return {name: date.fromisoformat(text[:10])}
        except ValueError:
            ctx.error(f"'{text[:60]}' is not a date (YYYY-MM-DD)")
            return {}
    return parse


def _json(name: str, kind: type) -> Parse:
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        if _blank(value):
            return {name: kind()}
        try:
            data = json.loads(cell_text(value))
        except json.JSONDecodeError as error:
            ctx.error(f"is not valid JSON ({error.msg} at character {error.pos})")
            return {}
        if not isinstance(data, kind):
            ctx.error(f"must be a JSON {'list' if kind is list else 'object'}")
            return {}
        return {name: data}
    return parse


def _pseudo(name: str) -> Parse:
    """A value the importer assembles from several columns (transfers, recipients, entity)."""
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        return {} if _blank(value) else {name: cell_text(value)}
    return parse


def _keep_unless(name: str, implied: Callable[[str], bool] = lambda _: False) -> Parse:
    """An ICO column the register has no field for: its text is kept verbatim under the column key."""
    def parse(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
        text = cell_text(value)
        if text.strip() and not implied(text):
            ctx.keep(text, name)
        return {}
    return parse


def _policy_followed(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
    """ICO column 29: a plain Yes or No is the field; any other answer is kept verbatim (DPA 2018 Sch. 1 para 41)."""
    text = cell_text(value)
    if text.strip().casefold() in ("yes", "no"):
        return {"retention_per_policy": text.strip().casefold() == "yes"}
    if text.strip():
        ctx.keep(text, "c29_policy_followed")
    return {}


def _retention(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
    return {} if _blank(value) else ctx.retention(cell_text(value))


def _security(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
    """Free-text security description: kept whole, and the measures it names are ticked."""
    if _blank(value):
        return {}
    text = cell_text(value)
    return {"security_measures": ctx.terms("security_measures", text, keep_rest=False),
            "security_description": text}


def _adm(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
    """'No', 'Yes', 'Yes: description' or 'Yes, profiling for ...': whatever more is said is kept."""
    if _blank(value):
        return {}
    text = cell_text(value).strip()
    head, colon, tail = text.partition(":")
    answer = parse_yes_no(head, _Silent())
    bare = text.casefold().rstrip(" .") in _YES | _NO
    if answer is True:
        return {"adm": True, "adm_description": tail.strip() if colon else "" if bare else text}
    if answer is False:
        if not bare:
            ctx.keep(text, "adm")
        return {"adm": False}
    ctx.keep(text, "adm")
    return {}


class _Silent:
    """A context that records nothing: for probing a value before deciding how to read it."""

    def terms(self, vocabulary: str, text: str, *, keep_rest: bool = True) -> list[str]:
        return []

    def term(self, vocabulary: str, text: str) -> str | None:
        return None

    def keep(self, text: str, key: str | None = None) -> None:
        return None

    def error(self, message: str) -> None:
        return None

    def retention(self, text: str) -> dict[str, Any]:
        return {}


def _breach_implied(text: str) -> bool:
    """'No' (or N/A) says nothing to keep; 'Yes' is kept, as the register has no yes/no field for it."""
    return text.strip().casefold() in {"no", "n/a", "none", "n", "-"}


def _retention_kind(value: CellValue, ctx: ParseContext) -> dict[str, Any]:
    if _blank(value):
        return {"retention_kind": "unknown"}
    text = cell_text(value).strip()
    for key, shown in RETENTION_KINDS.items():
        if text.casefold() in (key, shown.casefold()):
            return {"retention_kind": key}
    ctx.error(f"'{text[:60]}' is not one of: {', '.join(RETENTION_KINDS.values())}")
    return {}


def _entity_name(a: Record, r: RenderContext) -> str:
    return r.entity_names.get(a.entity_id, "")


def _entity_regime(a: Record, r: RenderContext) -> str:
    """The entity's applicable regime with its article ('EU GDPR (establishment in the EU/EEA) (Art. 3(1))')."""
    regime = r.entity_regimes.get(a.entity_id)
    return _regime_citation(regime) if regime else ""


@cache
def _regime_citation(regime: str) -> str:
    """Cached: 50 entities name a handful of regimes 10,000 times."""
    from ropa.legal.regimes import regime_citation

    return regime_citation(regime)


def _attr(name: str) -> Render:
    def render(a: Record, r: RenderContext) -> CellValue:
        value: CellValue = getattr(a, name)
        return value
    return render


# -- the map -----------------------------------------------------------------------------------

def _c(key: str, heading: str, article: str, fields: tuple[str, ...], render: Render, parse: Parse,
       group: Group, **kw: Any) -> Column:
    return Column(key=key, heading=heading, article=article, fields=fields, render=render, parse=parse,
                  group=group, **kw)


PROCESSOR_ONLY: frozenset[Sheet] = frozenset({"processor"})
CONTROLLER_ONLY: frozenset[Sheet] = frozenset({"controller"})

COLUMNS: tuple[Column, ...] = (
    # The ICO processor template (Art. 30(2)); shown first on the processor sheet only.
    _c("p1_controller", "Name and contact details of controller", "Art. 30(2)(a)", ("controller_served",),
       _attr("controller_served"), _set("controller_served"), "art30", ico_processor=1, sheets=PROCESSOR_ONLY,
       aliases=("Name and contact details of each controller", "Controller name and contact details",
                "Controller served"), width=36),
    _c("p2_categories", "Categories of processing", "Art. 30(2)(b)", ("purpose",),
       _attr("purpose"), _set("purpose"), "art30", ico_processor=2, sheets=PROCESSOR_ONLY,
       aliases=("Categories of processing carried out on behalf of each controller",), width=44),
    _c("p3_countries", "Names of third countries or international organisations that personal data are "
       "transferred to (if applicable)", "Art. 30(2)(c)", ("transfers",),
       lambda a, r: countries_text(a), _pseudo("_transfer_countries"), "art30", exact=False, ico_processor=3,
       sheets=PROCESSOR_ONLY),
    _c("p4_safeguards", "Safeguards for exceptional transfers of personal data to third countries or "
       "international organisations (if applicable)", "Art. 30(2)(c), Art. 46, Art. 49(1)", ("transfers",),
       lambda a, r: safeguards_text(a), _pseudo("_transfer_safeguards"), "art30", exact=False, ico_processor=4,
       sheets=PROCESSOR_ONLY, width=40),
    _c("p5_security", "General description of technical and organisational security measures (if possible)",
       "Art. 30(2)(d), Art. 32(1)", ("security_measures", "security_description"),
       lambda a, r: security_text(a), _security, "art30", exact=False, ico_processor=5, sheets=PROCESSOR_ONLY,
       width=44),
    # The ICO controller template (Art. 30(1) and the ICO's recommended extras).
    _c("c01_business_function", "Business function", "Art. 30(1) (ICO: organise the record by function)",
       ("business_function",), _attr("business_function"), _set("business_function"), "art30", ico=1,
       aliases=("Function", "Department", "Business area"), width=20),
    _c("c02_purpose", "Purpose of processing", "Art. 30(1)(b)", ("purpose",),
       _attr("purpose"), _set("purpose"), "art30", ico=2, sheets=CONTROLLER_ONLY,
       aliases=("Purposes of the processing", "Purpose", "Purpose(s) of processing"), width=44),
    _c("c03_joint_controller", "Name and contact details of joint controller (if applicable)",
       "Art. 30(1)(a), Art. 26", ("joint_controllers",), _attr("joint_controllers"), _set("joint_controllers"),
       "art30", ico=3, aliases=("Joint controller", "Joint controllers"), width=28),
    _c("c04_individuals", "Categories of individuals", "Art. 30(1)(c)", ("data_subjects",),
       lambda a, r: labels("data_subjects", a.data_subjects), _vocab_list("data_subjects", "data_subjects"),
       "art30", ico=4, aliases=("Categories of data subjects", "Data subjects", "Categories of individual"),
       width=28),
    _c("c05_data", "Categories of personal data", "Art. 30(1)(c), Art. 9(1), Art. 10", ("data_categories",),
       lambda a, r: labels("data_categories", a.data_categories),
       _vocab_list("data_categories", "data_categories"), "art30", ico=5,
       aliases=("Personal data categories", "Types of personal data", "Categories of data"), width=36),
    _c("c06_recipients", "Categories of recipients", "Art. 30(1)(d)", ("recipients",),
       lambda a, r: recipients_text(a), _pseudo("_recipient_categories"), "art30", exact=False, ico=6,
       aliases=("Recipients", "Categories of recipient"), width=40),
    _c("c07_processor_contract", "Link to contract with processor", "Art. 28(3), Art. 30(1)(d)", ("recipients",),
       lambda a, r: contracts_text(a), _pseudo("_contract_links"), "art30", exact=False, ico=7,
       aliases=("Contract with processor", "Processor contract"), width=28),
    _c("c08_countries", "Names of third countries or international organisations that personal data are "
       "transferred to (if applicable)", "Art. 30(1)(e)", ("transfers",),
       lambda a, r: countries_text(a), _pseudo("_transfer_countries"), "art30", exact=False, ico=8,
       sheets=CONTROLLER_ONLY, aliases=("Third countries", "International transfers"), width=28),
    _c("c09_safeguards", "Safeguards for exceptional transfers of personal data to third countries or "
       "international organisations (if applicable)", "Art. 30(1)(e), Art. 46, Art. 49(1)", ("transfers",),
       lambda a, r: safeguards_text(a), _pseudo("_transfer_safeguards"), "art30", exact=False, ico=9,
       sheets=CONTROLLER_ONLY, aliases=("Safeguards", "Transfer safeguards", "Transfer mechanism"), width=40),
    _c("c10_retention", "Retention schedule (if possible)", "Art. 30(1)(f), Art. 5(1)(e)",
       ("retention_kind", "retention_months", "retention_trigger", "retention_rule"),
       lambda a, r: retention_text(a), _retention, "art30", exact=False, ico=10,
       aliases=("Retention period", "Retention", "Time limits for erasure"), width=30),
    _c("c11_security", "General description of technical and organisational security measures (if possible)",
       "Art. 30(1)(g), Art. 32(1)", ("security_measures", "security_description"),
       lambda a, r: security_text(a), _security, "art30", exact=False, ico=11, sheets=CONTROLLER_ONLY,
       aliases=("Security measures", "Technical and organisational security measures"), width=44),
    _c("c12_lawful_basis", "Article 6 lawful basis for processing personal data", "Art. 6(1)", ("lawful_bases",),
       lambda a, r: labels("lawful_bases", a.lawful_bases, with_article=True),
       _vocab_list("lawful_bases", "lawful_bases"), "ico_extra", ico=12,
       aliases=("Lawful basis", "Lawful basis for processing", "Article 6 lawful basis",
                "Legal basis", "Legal basis for processing"), width=28),
    _c("c13_art9", "Article 9 condition for processing special category data", "Art. 9(2)", ("art9_conditions",),
       lambda a, r: labels("art9_conditions", a.art9_conditions, with_article=True),
       _vocab_list("art9_conditions", "art9_conditions"), "ico_extra", ico=13,
       aliases=("Article 9 condition", "Special category condition", "Article 9 basis"), width=28),
    _c("c14_legitimate_interests", "Legitimate interests for the processing (if applicable)",
       "Art. 6(1)(f), Art. 13(1)(d)", ("legitimate_interest",), _attr("legitimate_interest"),
       _set("legitimate_interest"), "ico_extra", ico=14, aliases=("Legitimate interests", "Legitimate interest"),
       width=32),
    _c("c15_lia", "Link to record of legitimate interests assessment (if applicable)", "Art. 5(2), Art. 6(1)(f)",
       ("lia_ref",), _attr("lia_ref"), _set("lia_ref"), "ico_extra", ico=15,
       aliases=("Legitimate interests assessment", "LIA"), width=24),
    _c("c16_rights", "Rights available to individuals", "Art. 15-22", ("rights_available",),
       _attr("rights_available"), _set("rights_available"), "ico_extra", ico=16,
       aliases=("Individuals' rights", "Rights available"), width=28),
    _c("c17_adm", "Existence of automated decision-making, including profiling (if applicable)",
       "Art. 13(2)(f), Art. 14(2)(g), Art. 22", ("adm", "adm_description", "adm_basis"),
       lambda a, r: adm_text(a), _adm, "ico_extra", exact=False, ico=17,
       aliases=("Automated decision-making", "Automated decision making including profiling", "Profiling"),
       width=28),
    _c("c18_source", "The source of the personal data (if applicable)", "Art. 14(2)(f)", ("data_source",),
       _attr("data_source"), _set("data_source"), "ico_extra", ico=18,
       aliases=("Source of the personal data", "Source of personal data", "Data source"), width=28),
    _c("c19_consent", "Link to record of consent", "Art. 7(1)", ("consent_record_ref",),
       _attr("consent_record_ref"), _set("consent_record_ref"), "ico_extra", ico=19,
       aliases=("Record of consent",), width=24),
    _c("c20_location", "Location of personal data", "Art. 30(1) (ICO recommended), Art. 32", ("data_location",),
       _attr("data_location"), _set("data_location"), "ico_extra", ico=20,
       aliases=("Location of data", "Data location", "Where the data is held"), width=28),
    _c("c21_dpia_required", "Data Protection Impact Assessment required?", "Art. 35(1), Art. 35(3)",
       ("dpia_required",), lambda a, r: yes_no(a.dpia_required), _yes_no("dpia_required"), "ico_extra", ico=21,
       aliases=("DPIA required", "DPIA required?"), width=16),
    _c("c22_dpia_progress", "Data Protection Impact Assessment progress", "Art. 35(7)", ("dpia_status",),
       lambda a, r: label("dpia_statuses", a.dpia_status), _vocab_one("dpia_status", "dpia_statuses"),
       "ico_extra", ico=22, aliases=("DPIA progress", "DPIA status"), width=20),
    _c("c23_dpia_link", "Link to Data Protection Impact Assessment", "Art. 35(7), Art. 5(2)", ("dpia_ref",),
       _attr("dpia_ref"), _set("dpia_ref"), "ico_extra", ico=23, aliases=("Link to DPIA", "DPIA link", "DPIA"),
       width=24),
    _c("c24_breach", "Has a personal data breach occurred?", "Art. 33(5)", ("unmapped",),
       lambda a, r: YES if a.breach_ref else a.unmapped.get("c24_breach", ""),
       _keep_unless("c24_breach", _breach_implied), "ico_extra", exact=False, ico=24,
       aliases=("Personal data breach occurred", "Breach occurred"), width=16),
    _c("c25_breach_link", "Link to record of personal data breach", "Art. 33(5)", ("breach_ref",),
       _attr("breach_ref"), _set("breach_ref"), "ico_extra", ico=25,
       aliases=("Link to breach record", "Breach record"), width=24),
    _c("c26_schedule1", "Data Protection Act 2018 Schedule 1 Condition for processing",
       "DPA 2018 s.10, Sch. 1; Art. 9(2)(b),(g)-(j), Art. 10", ("dpa_schedule1_condition",),
       _attr("dpa_schedule1_condition"), _set("dpa_schedule1_condition"), "ico_extra", ico=26,
       aliases=("Schedule 1 condition", "DPA 2018 Schedule 1 condition"), width=28),
    _c("c27_gdpr_art6", "GDPR Article 6 lawful basis for processing",
       "Art. 6(1) (for special category and criminal offence data, DPA 2018 Sch. 1 Part 4)", ("lawful_bases",),
       lambda a, r: labels("lawful_bases", a.lawful_bases, with_article=True) if special_data(a) else "",
       _vocab_list("lawful_bases", "lawful_bases"), "ico_extra", exact=False, merge=True, ico=27, width=28),
    _c("c28_retention_policy", "Link to retention and erasure policy document", "DPA 2018 Sch. 1 para 39-41",
       ("retention_policy_ref",), _attr("retention_policy_ref"), _set("retention_policy_ref"), "ico_extra",
       ico=28, aliases=("Retention and erasure policy", "Retention policy"), width=24),
    _c("c29_policy_followed", "Is personal data retained and erased in accordance with the policy document?",
       "DPA 2018 Sch. 1 para 41", ("retention_per_policy", "unmapped"),
       lambda a, r: yes_no(a.retention_per_policy) or a.unmapped.get("c29_policy_followed", ""),
       _policy_followed, "ico_extra", exact=False, ico=29, width=20),
    _c("c30_policy_reasons", "Reasons for not adhering to policy document (if applicable)",
       "DPA 2018 Sch. 1 para 41", ("policy_deviation_reasons", "unmapped"),
       lambda a, r: a.policy_deviation_reasons or a.unmapped.get("c30_policy_reasons", ""),
       _set("policy_deviation_reasons"), "ico_extra", exact=False, ico=30, width=28),
    # Record detail: what the register holds beyond the template, exact for re-import.
    _c("entity", "Entity", "Art. 30(1)(a), Art. 30(2)(a)", ("entity_id",), _entity_name, _pseudo("_entity"),
       "record", aliases=("Controller", "Organisation", "Entity name"), width=24),
    # The regime is the entity's (recorded on the entity, edited there): shown per row, read back as a pseudo value.
    _c("applicable_regime", "Applicable regime", "Art. 3; UK GDPR Art. 3; revFADP art. 3", (), _entity_regime,
       _pseudo("_entity_regime"), "record", exact=False, aliases=("Regime", "Applicable law"), width=28),
    _c("name", "Processing activity", "Art. 30(1)", ("name",), _attr("name"), _set("name"), "record",
       aliases=("Activity", "Activity name", "Processing activity name", "Name of processing activity"),
       width=30),
    _c("id", "Record id", "Art. 5(2)", (), lambda a, r: a.id, _pseudo("_record_id"), "record", width=10),
    _c("role", "Role", "Art. 4(7), Art. 26, Art. 28", ("role",), lambda a, r: label("roles", a.role),
       _vocab_one("role", "roles"), "record", aliases=("Controller or processor",), width=16),
    _c("status", "Record status", "Art. 5(2)", ("status",), lambda a, r: label("statuses", a.status),
       _vocab_one("status", "statuses"), "record", aliases=("Status",), width=14),
    _c("owner", "Record owner", "Art. 5(2), Art. 24", ("owner",), _attr("owner"), _set("owner"), "record",
       aliases=("Owner", "Information asset owner"), width=20),
    _c("controller_served", "Controller served (processor records)", "Art. 30(2)(a)", ("controller_served",),
       _attr("controller_served"), _set("controller_served"), "record", sheets=CONTROLLER_ONLY, width=28),
    _c("joint_arrangement", "Joint controller arrangement", "Art. 26(1)-(2)", ("joint_arrangement_ref",),
       _attr("joint_arrangement_ref"), _set("joint_arrangement_ref"), "record", width=24),
    _c("art10_basis", "Article 10 basis (criminal offence data)", "Art. 10, DPA 2018 s.10(5)", ("art10_basis",),
       _attr("art10_basis"), _set("art10_basis"), "record", width=28),
    _c("appropriate_policy", "Appropriate policy document", "DPA 2018 Sch. 1 Part 4, paras 38-41",
       ("appropriate_policy_ref",), _attr("appropriate_policy_ref"), _set("appropriate_policy_ref"), "record",
       width=24),
    _c("recipients", "Recipients (record detail)", "Art. 30(1)(d), Art. 28", ("recipients",),
       lambda a, r: json_text([plain(x) for x in a.recipients]), _json("recipients", list),
       "record", width=40),
    _c("transfers", "Transfers (record detail)", "Art. 30(1)(e), Art. 44-49", ("transfers",),
       lambda a, r: json_text([plain(x) for x in a.transfers]), _json("transfers", list),
       "record", width=40),
    _c("retention_kind", "Retention kind", "Art. 30(1)(f)", ("retention_kind",),
       lambda a, r: RETENTION_KINDS[a.retention_kind], _retention_kind, "record", width=14),
    _c("retention_months", "Retention period (months)", "Art. 30(1)(f), Art. 5(1)(e)", ("retention_months",),
       _attr("retention_months"), _int("retention_months"), "record", width=14),
    _c("retention_trigger", "Retention starts", "Art. 30(1)(f)", ("retention_trigger",),
       lambda a, r: label("retention_triggers", a.retention_trigger),
       _vocab_one("retention_trigger", "retention_triggers"), "record", width=24),
    _c("retention_rule", "Retention rule (as stated)", "Art. 30(1)(f)", ("retention_rule",),
       _attr("retention_rule"), _set("retention_rule"), "record", width=28),
    _c("security_measures", "Security measures", "Art. 32(1)", ("security_measures",),
       lambda a, r: labels("security_measures", a.security_measures),
       _vocab_list("security_measures", "security_measures"), "record", width=32),
    _c("security_description", "Security description", "Art. 30(1)(g), Art. 32", ("security_description",),
       _attr("security_description"), _set("security_description"), "record", width=36),
    _c("systems", "Systems", "Art. 30(1)(g), Art. 32", ("systems",), lambda a, r: json_text(list(a.systems)),
       _json("systems", list), "record", width=24),
    _c("adm", "Automated decision-making", "Art. 22(1)", ("adm",), lambda a, r: yes_no(a.adm), _yes_no("adm"),
       "record", width=14),
    _c("adm_description", "Automated decision-making: description", "Art. 13(2)(f), Art. 22",
       ("adm_description",), _attr("adm_description"), _set("adm_description"), "record", width=28),
    _c("adm_basis", "Article 22(2) basis", "Art. 22(2)", ("adm_basis",),
       lambda a, r: label("adm_bases", a.adm_basis), _vocab_one("adm_basis", "adm_bases"), "record", width=24),
    _c("dpia_criteria", "DPIA screening criteria", "Art. 35(3); WP248", ("dpia_criteria",),
       lambda a, r: labels("dpia_criteria", a.dpia_criteria), _vocab_list("dpia_criteria", "dpia_criteria"),
       "record", width=32),
    _c("last_reviewed", "Last reviewed", "Art. 5(2), Art. 24(1)", ("last_reviewed",), _attr("last_reviewed"),
       _date("last_reviewed"), "record", width=12),
    _c("next_review_due", "Next review due", "Art. 24(1)", ("next_review_due",), _attr("next_review_due"),
       _date("next_review_due"), "record", width=12),
    _c("source_document", "Source document", "Art. 5(2)", ("source_document",), _attr("source_document"),
       _set("source_document"), "record", width=24),
    _c("source_section", "Source section", "Art. 5(2)", ("source_section",), _attr("source_section"),
       _set("source_section"), "record", width=16),
    _c("notes", "Notes", "Art. 5(2)", ("notes",), _attr("notes"), _set("notes"), "record", width=28),
    _c("unmapped", "Text not mapped on import", "Art. 5(2)", ("unmapped",),
       lambda a, r: json_text(dict(a.unmapped)), _json("unmapped", dict), "record", width=28),
)

BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}


def sheet_columns(sheet: Sheet) -> tuple[Column, ...]:
    """The columns of one sheet, in the order they are written."""
    return tuple(c for c in COLUMNS if sheet in c.sheets)


# -- entities (the contact blocks on the cover; Art. 30(1)(a), 30(2)(a)) -----------------------

@dataclass(frozen=True)
class EntityColumn:
    field: str
    heading: str
    article: str
    width: int = 24
    aliases: tuple[str, ...] = ()


ENTITY_COLUMNS: tuple[EntityColumn, ...] = (
    EntityColumn("name", "Entity", "Art. 30(1)(a)", 30, ("Entity name", "Organisation name")),
    EntityColumn("parent", "Parent entity", "Recital 48", 24),
    EntityColumn("kind", "Acts as", "Art. 4(7), Art. 4(8)", 16),
    EntityColumn("country", "Country", "Art. 3, Art. 27", 16),
    EntityColumn("regime", "Applicable regime", "Art. 3(1)-(2); UK GDPR Art. 3; revFADP art. 3", 28),
    EntityColumn("company_number", "Company number", "Art. 30(1)(a)", 14),
    EntityColumn("ico_registration", "ICO registration", "DPA 2018 s.137 (data protection fee)", 14),
    EntityColumn("address", "Address", "Art. 30(1)(a)", 32),
    EntityColumn("email", "Email", "Art. 30(1)(a)", 24),
    EntityColumn("phone", "Telephone", "Art. 30(1)(a)", 16),
    EntityColumn("dpo_required", "DPO required?", "Art. 37(1)", 12),
    EntityColumn("dpo_name", "Data Protection Officer", "Art. 30(1)(a), Art. 37(7)", 22),
    EntityColumn("dpo_email", "DPO email", "Art. 37(7)", 24),
    EntityColumn("dpo_phone", "DPO telephone", "Art. 37(7)", 16),
    EntityColumn("representative_name", "Representative", "Art. 27, Art. 30(1)(a)", 22),
    EntityColumn("representative_contact", "Representative contact details", "Art. 27, Art. 30(1)(a)", 28),
)


def entity_cells(entity: Entity, names: Mapping[int, str]) -> list[CellValue]:
    """One row of the cover's contact table."""
    values: list[CellValue] = []
    for column in ENTITY_COLUMNS:
        if column.field == "parent":
            values.append(names.get(entity.parent_id, "") if entity.parent_id else "")
        elif column.field == "kind":
            values.append(label("entity_kinds", entity.kind))
        elif column.field == "country":
            values.append(country_name(entity.country))
        elif column.field == "regime":
            from ropa.legal.regimes import DERIVED_NOTE, regime_citation

            values.append(regime_citation(entity_regime(entity)) + ("" if entity.regime else DERIVED_NOTE))
        elif column.field == "dpo_required":
            values.append(yes_no(entity.dpo_required))
        else:
            values.append(getattr(entity, column.field))
    return values


# -- cell codecs: how text survives a spreadsheet or a CSV file ------------------------------

XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def escape_ooxml(text: str) -> str:
    """Characters XML cannot carry (and a carriage return, which XML would turn into a line feed) as _xHHHH_."""
    text = _LITERAL_ESCAPE.sub("_x005F_", text)
    return XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def unescape_ooxml(text: str) -> str:
    """Decode the _xHHHH_ escapes spreadsheets use for characters XML cannot hold (ECMA-376 ST_Xstring)."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


CSV_PREFIX = "'"
_CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_protect(text: str) -> str:
    """OWASP CSV-injection defence: a value a spreadsheet would run as a formula gets a leading quote.

    A value that already starts with quotes before a dangerous character gets
    one more, so ``csv_unprotect`` gives every value back exactly.
    """
    stripped = text.lstrip(CSV_PREFIX)
    if stripped.startswith(_CSV_DANGEROUS):
        return CSV_PREFIX + text
    return text


def csv_unprotect(text: str) -> str:
    stripped = text.lstrip(CSV_PREFIX)
    if text.startswith(CSV_PREFIX) and stripped.startswith(_CSV_DANGEROUS):
        return text[1:]
    return text
