"""Form helpers: table rows to model input, errors placed by section, three-way merge, readable changes."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from ropa.changes import change_rows, change_text, conflict_changes, detail_text, field_changes, value_text
from ropa.errors import FieldError, ValidationFailed
from ropa.forms import (
    GENERAL,
    SECTION_OF_FIELD,
    SECTIONS,
    activity_from_form,
    entity_from_form,
    errors_by_section,
    follow_vendors,
    managed_values,
    merge,
    message_text,
    section_of,
    table_rows,
)
from ropa.labels import FIELD_LABELS, count_text, field_label, months_text
from ropa.models import Vendor
from tests.factories import make_activity


@pytest.mark.parametrize(("rows", "expected"), [
    pytest.param([{"category": "cloud_hosting", "name": "Acme", "role": None, "country": float("nan"),
                   "contract_ref": None}],
                 [{"category": "cloud_hosting", "name": "Acme", "role": None, "country": None, "contract_ref": ""}],
                 id="missing-cells-become-empty"),
    pytest.param([{"category": None, "name": "  ", "role": "", "country": None, "contract_ref": None}], [],
                 id="blank-row-dropped"),
    pytest.param([{"category": "customers", "name": "", "role": "", "country": "", "contract_ref": ""}],
                 [{"category": "customers", "name": "", "role": None, "country": None, "contract_ref": ""}],
                 id="empty-codes-are-null"),
    pytest.param([{"category": "customers", "name": pd.NA, "role": pd.NA, "country": "US", "contract_ref": "C-1"}],
                 [{"category": "customers", "name": "", "role": None, "country": "US", "contract_ref": "C-1"}],
                 id="pandas-na"),
])
def test_table_rows_become_model_input(rows: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert table_rows(rows, ("category", "name", "role", "country", "contract_ref")) == expected


def test_activity_from_form_overlays_the_form_on_the_stored_record() -> None:
    base = make_activity(1).model_dump()
    activity = activity_from_form(base, {"name": "Renamed", "retention_kind": "rule", "retention_months": 72,
                                         "retention_rule": "Until the contract ends plus six years",
                                         "recipients": [{"category": "customers", "name": None}]})
    assert activity.name == "Renamed"
    assert activity.retention_months is None  # only a period keeps its months
    assert [r.category for r in activity.recipients] == ["customers"]
    assert activity.security_measures == base["security_measures"]


def test_activity_from_form_refuses_bad_input_with_field_names() -> None:
    with pytest.raises(ValidationFailed) as refused:
        activity_from_form(make_activity(1).model_dump(), {"name": "", "lawful_bases": ["whim"]})
    assert {(e.key, e.field) for e in refused.value.errors} >= {
        ("name", "Name of the activity"), ("lawful_bases", "Article 6 lawful basis (item 1)")}


RECIPIENT = {"category": "cloud_hosting", "name": "Acme", "role": "processor", "country": "IE", "contract_ref": "D-1"}
TRANSFER = {"country": "US", "recipient": "Acme Inc", "mechanism": "dpf", "tia_ref": "", "safeguard_doc": ""}


@pytest.mark.parametrize(("values", "expected"), [
    pytest.param({"recipients": [RECIPIENT, {**RECIPIENT, "category": None}]},
                 [("recipients", "Recipient row 2: Category is missing: fill it in, or delete the row.")],
                 id="recipient-without-category"),
    pytest.param({"recipients": [{"name": "Acme", "category": float("nan")}]},
                 [("recipients", "Recipient row 1: Category is missing: fill it in, or delete the row.")],
                 id="recipient-category-nan"),
    pytest.param({"transfers": [{**TRANSFER, "country": ""}]},
                 [("transfers", "Transfer row 1: A transfer needs a destination country or an international "
                                "organisation.")],
                 id="transfer-without-country"),
    pytest.param({"transfers": [TRANSFER, {**TRANSFER, "country": None, "recipient": ""},
                                {**TRANSFER, "mechanism": "pinky_promise"}]},
                 [("transfers", "Transfer row 2: A transfer needs a destination country or an international "
                                "organisation."),
                  ("transfers", "Transfer row 3, Mechanism: Unknown transfer mechanism 'pinky_promise'; choose one "
                                "of: ")],
                 id="each-bad-row-named"),
    pytest.param({"recipients": [RECIPIENT], "name": ""},
                 [("name", "Name of the activity is required.")], id="complete-rows-other-field-wrong"),
])
def test_incomplete_rows_are_refused_by_row_and_cell_never_dropped(values: dict[str, Any],
                                                                  expected: list[tuple[str, str]]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        activity_from_form(make_activity(1).model_dump(), values)
    got = [(e.key, message_text(e)) for e in refused.value.errors]
    assert len(got) == len(expected)
    for (key, text), (want_key, want_text) in zip(got, expected, strict=True):
        assert key == want_key and text.startswith(want_text)


def test_rows_with_nothing_typed_are_left_out_and_complete_rows_kept() -> None:
    blank = {"category": None, "name": " ", "role": None, "country": None, "contract_ref": None}
    activity = activity_from_form(make_activity(1).model_dump(), {"recipients": [RECIPIENT, blank],
                                                                   "transfers": [TRANSFER]})
    assert [r.name for r in activity.recipients] == ["Acme"]
    assert [t.country for t in activity.transfers] == ["US"]


@pytest.mark.parametrize(("error", "section"), [
    pytest.param(FieldError("Name of the activity", "is required", "name"), "purpose", id="name"),
    pytest.param(FieldError("Recipient row 2, Category", "unknown", "recipients"), "recipients", id="recipient-cell"),
    pytest.param(FieldError("Transfer row 1, Country", "bad", "transfers"), "transfers", id="transfer-cell"),
    pytest.param(FieldError("Retention period (months)", "too big", "retention_months"), "retention",
                 id="retention-months"),
    pytest.param(FieldError("Article 9 condition", "unknown", "art9_conditions"), "lawful", id="art9"),
    pytest.param(FieldError("Entity", "there is no entity with id 9", "entity_id"), "controller", id="entity"),
    pytest.param(FieldError("DPIA reference", "too long", "dpia_ref"), "assessment", id="dpia-ref"),
    pytest.param(FieldError("", "something else"), GENERAL, id="unplaced"),
])
def test_each_validation_message_is_shown_in_its_section(error: FieldError, section: str) -> None:
    assert section_of(error) == section


@pytest.mark.parametrize(("values", "key"), [
    pytest.param({"retention_kind": "period", "retention_months": None}, "retention_kind", id="model-retention"),
    pytest.param({"last_reviewed": "2026-05-01", "next_review_due": "2026-01-01"}, "next_review_due",
                 id="model-review"),
])
def test_checks_across_fields_are_keyed_to_the_field_they_concern(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        activity_from_form(make_activity(1).model_dump(), values)
    assert [e.key for e in refused.value.errors] == [key]


FORM_FIELDS = [f for s in SECTIONS for f in s.fields]


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_every_form_field_has_a_label_and_its_errors_reach_its_section(field: str) -> None:
    assert field in FIELD_LABELS
    assert section_of(FieldError(field_label(field), "wrong", field)) == SECTION_OF_FIELD[field] != GENERAL


def test_errors_are_grouped_by_section_as_sentences() -> None:
    grouped = errors_by_section([FieldError("Name of the activity", "is required", "name"),
                                 FieldError("Purpose of processing", "too long", "purpose")])
    assert grouped == {"purpose": ["Name of the activity is required.", "Purpose of processing: Too long."]}


@pytest.mark.parametrize(("base", "mine", "theirs", "merged", "clashes"), [
    pytest.param({"a": 1}, {"a": 2}, {"a": 1}, {"a": 2}, [], id="only-mine-changed"),
    pytest.param({"a": 1}, {"a": 1}, {"a": 3}, {"a": 3}, [], id="only-theirs-changed"),
    pytest.param({"a": 1}, {"a": 2}, {"a": 2}, {"a": 2}, [], id="same-change"),
    pytest.param({"a": 1}, {"a": 2}, {"a": 3}, {"a": 2}, ["a"], id="both-changed-keeps-mine-and-reports"),
    pytest.param({"a": 1, "b": [1]}, {"a": 2, "b": [1]}, {"a": 1, "b": [1, 2]}, {"a": 2, "b": [1, 2]}, [],
                 id="different-fields-both-kept"),
])
def test_three_way_merge_never_drops_the_other_persons_change(base: dict[str, Any], mine: dict[str, Any],
                                                              theirs: dict[str, Any], merged: dict[str, Any],
                                                              clashes: list[str]) -> None:
    assert merge(base, mine, theirs) == (merged, clashes)


def test_list_changes_read_as_added_and_removed_labels() -> None:
    [change] = field_changes({"data_categories": ["identity.name", "contact.email"]},
                             {"data_categories": ["identity.name", "special.health"]})
    assert (change.label, change.added, change.removed) == (
        "Categories of personal data", ("Health",), ("Email address",))
    assert change.summary() == "Categories of personal data: added Health, removed Email address"


def test_scalar_changes_read_as_before_and_after_labels() -> None:
    [status, entity] = field_changes({"status": "draft", "entity_id": 1}, {"status": "approved", "entity_id": 2},
                                     {1: "Old Co", 2: "New Co"})
    assert (status.before, status.after) == ("Draft", "Approved")
    assert (entity.label, entity.before, entity.after) == ("Entity", "Old Co", "New Co")


def test_empty_values_of_different_kinds_are_not_a_change() -> None:
    assert field_changes({"notes": "", "adm_basis": None, "systems": []}, {"notes": None, "systems": None}) == []


def test_recipient_and_transfer_items_are_described_in_words() -> None:
    [change] = field_changes({"recipients": []}, {"recipients": [
        {"category": "cloud_hosting", "name": "Acme", "role": "processor", "country": "IE", "contract_ref": "D-1"}]})
    assert change.added == ("Cloud hosting providers: Acme (Processor, Ireland, contract D-1)",)
    assert value_text("transfers", [{"country": "US", "recipient": "Acme Inc", "mechanism": "dpf", "tia_ref": ""}]) \
        == "United States to Acme Inc under EU-US Data Privacy Framework (recipient certified)"


def test_conflict_changes_are_readable() -> None:
    [change] = conflict_changes({"owner": ("Ann", "Bob")})
    assert (change.label, change.before, change.after) == ("Owner", "Ann", "Bob")


def test_audit_rows_flatten_to_one_row_per_field() -> None:
    history = pd.DataFrame([
        {"id": 2, "at_utc": pd.Timestamp("2026-01-02"), "actor": "ann", "action": "update", "record_type": "activity",
         "record_id": 7, "entity_id": 1, "version": 2, "detail": "",
         "before": json.dumps({"owner": "A", "purpose": "x"}), "after": json.dumps({"owner": "B", "purpose": "y"})},
        {"id": 1, "at_utc": pd.Timestamp("2026-01-01"), "actor": "ann", "action": "restore", "record_type": "register",
         "record_id": None, "entity_id": None, "version": None, "detail": "restored x", "before": None, "after": None},
    ])
    rows = change_rows(history)
    assert list(rows["field"]) == ["Owner", "Purpose of processing", ""]
    assert rows.iloc[2]["detail"] == "restored x"


@pytest.mark.parametrize(("detail", "shown"), [
    pytest.param("in_review -> approved", "In review → Approved", id="status-step"),
    pytest.param("approved -> draft: content changed after approval",
                 "Approved → Draft: content changed after approval", id="reopened"),
    pytest.param("reviewed on 2026-05-01", "reviewed on 2026-05-01", id="no-status"),
    pytest.param("foo -> bar", "foo -> bar", id="not-statuses-left-alone"),
])
def test_history_notes_name_statuses_in_words(detail: str, shown: str) -> None:
    assert detail_text(detail) == shown


def test_list_changes_are_in_one_visible_cell() -> None:
    [change] = field_changes({"systems": ["A"]}, {"systems": ["B"]})
    assert change_text(change) == "added B, removed A"


@pytest.mark.parametrize(("months", "text"), [
    (12, "1 year"), (24, "2 years"), (1, "1 month"), (18, "18 months"), (0, "0 months"),
])
def test_spans_read_as_people_say_them(months: int, text: str) -> None:
    assert months_text(months) == text


@pytest.mark.parametrize(("count", "text"), [(0, "0 problems"), (1, "1 problem"), (2, "2 problems")])
def test_counts_agree_with_their_noun(count: int, text: str) -> None:
    assert count_text(count, "problem") == text


@pytest.mark.parametrize(("values", "expected"), [
    pytest.param({"name": ""}, ("name", "Legal name is required."), id="entity-name"),
    pytest.param({"name": "X", "email": "nope"}, ("email", "Email: 'nope' is not an email address."), id="email"),
])
def test_entity_form_errors_use_the_entity_forms_labels(values: dict[str, Any], expected: tuple[str, str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        entity_from_form(values)
    [error] = refused.value.errors
    assert (error.key, message_text(error)) == expected


LISTS = {"business_functions": ["Finance", "Human Resources"], "systems": ["Sage", "Workday"]}


@pytest.mark.parametrize(("typed", "saved", "noted", "new"), [
    pytest.param({"business_function": "Human Resources"}, {"business_function": "Human Resources"}, False, {},
                 id="listed-term-as-is"),
    pytest.param({"business_function": " human   resources "}, {"business_function": "Human Resources"}, True, {},
                 id="case-and-spaces-variant-is-the-listed-term"),
    pytest.param({"business_function": "Legal  and Compliance"}, {"business_function": "Legal and Compliance"},
                 False, {"business_functions": ["Legal and Compliance"]}, id="new-term-spaces-made-one"),
    pytest.param({"business_function": None}, {"business_function": ""}, False, {}, id="none-is-empty"),
    pytest.param({"systems": ["sage", "Sage", "Kyriba", "kyriba "]}, {"systems": ["Sage", "Kyriba"]}, True,
                 {"systems": ["Kyriba"]}, id="systems-variants-merged-and-new-one-added-once"),
])
def test_managed_values_take_the_listed_spelling(typed: dict[str, Any], saved: dict[str, Any], noted: bool,
                                                  new: dict[str, list[str]]) -> None:
    result = managed_values({"name": "kept", **typed}, LISTS)
    assert result.values == {"name": "kept", **saved}
    assert bool(result.notes) == noted
    assert result.new_terms == new


def test_a_variant_note_names_what_was_typed_and_what_is_saved() -> None:
    (note,) = managed_values({"business_function": "human resources"}, LISTS).notes
    assert note == ("Business function: 'human resources' is saved as 'Human Resources', the term the list "
                    "already holds.")


VENDOR = Vendor(id=7, name="Acme Cloud Ltd", country="IE", contract_ref="DPA-9")


@pytest.mark.parametrize(("recipient", "shown", "noted"), [
    pytest.param({"vendor_id": 7, "name": "acme", "country": None, "contract_ref": ""},
                 ("Acme Cloud Ltd", "IE", "DPA-9"), True, id="linked-row-takes-the-vendor"),
    pytest.param({"vendor_id": 7, "name": "Acme Cloud Ltd", "country": "IE", "contract_ref": "DPA-9"},
                 ("Acme Cloud Ltd", "IE", "DPA-9"), False, id="already-as-held-says-nothing"),
    pytest.param({"vendor_id": None, "name": "Typed Ltd", "country": "FR", "contract_ref": "C-1"},
                 ("Typed Ltd", "FR", "C-1"), False, id="unlinked-row-left-as-typed"),
])
def test_rows_linked_to_a_vendor_show_it_as_the_inventory_holds_it(recipient: dict[str, Any],
                                                                   shown: tuple[str, str, str], noted: bool) -> None:
    activity = make_activity(1, recipients=[{"category": "cloud_hosting", **recipient}])
    followed, notes = follow_vendors(activity, {7: VENDOR})
    row = followed.recipients[0]
    assert (row.name, row.country, row.contract_ref) == shown
    assert bool(notes) == noted


def test_a_transfer_linked_to_a_vendor_without_a_country_keeps_its_own() -> None:
    activity = make_activity(1, transfers=[{"country": "US", "recipient": "x", "mechanism": "dpf", "vendor_id": 8}])
    followed, _ = follow_vendors(activity, {8: Vendor(id=8, name="No Country Inc")})
    assert (followed.transfers[0].recipient, followed.transfers[0].country) == ("No Country Inc", "US")


def test_a_link_to_a_vendor_the_inventory_lacks_is_refused_by_row() -> None:
    activity = make_activity(1, recipients=[{"category": "cloud_hosting", "vendor_id": 99}])
    with pytest.raises(ValidationFailed) as refused:
        follow_vendors(activity, {7: VENDOR})
    assert [message_text(e) for e in refused.value.errors] == [
        "Recipient row 1: There is no vendor with id 99 in the inventory."]
