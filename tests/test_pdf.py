"""The PDF a regulator reads: A4 portrait, a cover per controller, activities in Art. 30 order, nothing below 8 pt.

Each PDF is rendered with pdftoppm and read back with pdftotext (poppler), as a reader would see it.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import zlib
from datetime import date
from pathlib import Path

import pytest

from ropa.columns import RenderContext
from ropa.errors import NotFound
from ropa.export import ExportOptions, collect, export_register, list_exports
from ropa.export.pdf import MIN_FONT_PT, activity_fields, activity_pdf, controllers, pdf_bytes
from ropa.models import Entity
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, VIEWER, Seeded, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

AS_OF = date(2026, 11, 1)
POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext", "pdfinfo"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) is not installed")


def _groups(db: Database) -> dict[str, Entity]:
    """Two controllers: a UK group (parent with an Irish subsidiary) and an unrelated company."""
    parent = create_entity(db, DPO, make_entity(name="Parent plc", dpo_name="Dana Protection",
                                                representative_name="EU Rep GmbH",
                                                representative_contact="Rue 1, Brussels"))
    child = create_entity(db, DPO, make_entity(name="Child Ltd", country="IE", parent_id=parent.id,
                                               dpo_name="Ciara DPO"))
    other = create_entity(db, DPO, make_entity(name="Other Ltd", dpo_name="Olga Officer"))
    create_activities(db, DPO, [
        make_activity(parent.id or 0, name="Payroll", purpose="Pay the staff every month.",
                      transfers=[make_transfer(country="US", mechanism="uk_addendum")],
                      recipients=[make_recipient(name="Payroll Bureau Ltd", contract_ref="DPA-77")]),
        make_activity(parent.id or 0, name="Hosting for clients", role="processor",
                      controller_served="Client plc, 1 Road, London"),
        make_activity(child.id or 0, name="Irish sales", purpose="Sell to Irish customers — € prices, Łódź office."),
        make_activity(other.id or 0, name="Other business", systems=["Ledger", "Mailer"]),
    ])
    return {"parent": parent, "child": child, "other": other}


@pytest.fixture
def groups(db: Database, seeded: Seeded) -> dict[str, Entity]:
    """``_groups`` written into the test's register (built once per session, copied over the empty one)."""
    groups: dict[str, Entity] = seeded(_groups, db.path)
    return groups


def _pdf(db: Database, tmp_path: Path, **options: object) -> Path:
    path = tmp_path / "record.pdf"
    everything: dict[str, object] = {"all_organisations": True, **options}
    export_register(db, DPO, "pdf", path, ExportOptions(as_of=AS_OF, **everything))  # type: ignore[arg-type]
    return path


def _pages(path: Path) -> list[str]:
    """The text of each page as pdftotext reads it (its layout mode keeps label and value on one line)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")[:-1]


def _info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def _font_sizes(path: Path) -> list[float]:
    """Every size a text operator (Tf) sets, read from the page content streams."""
    raw = path.read_bytes()
    sizes: list[float] = []
    for match in re.finditer(rb"/Filter \[([^\]]*)\] /Length (\d+)\s*>>\s*stream\r?\n", raw):
        body = raw[match.end():match.end() + int(match.group(2))]
        if b"ASCII85Decode" in match.group(1):
            body = base64.a85decode(body.strip().removesuffix(b"~>"))
        content = zlib.decompress(body) if b"FlateDecode" in match.group(1) else body
        sizes.extend(float(size) for _, size in re.findall(rb"/(F[\w+.]*)\s+([\d.]+)\s+Tf", content))
    return sizes


@needs_poppler
def test_pdf_pages_are_a4_portrait_and_render(groups: object, db: Database, tmp_path: Path) -> None:
    path = _pdf(db, tmp_path)
    info = _info(path)
    assert "(A4)" in info["Page size"]
    width, height = (float(x) for x in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert width < height
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == int(info["Pages"])
    assert all(image.stat().st_size > 1000 for image in images)


@needs_poppler
def test_each_controller_starts_with_a_cover_naming_its_dpo_and_representative(
        groups: object, db: Database, tmp_path: Path) -> None:
    pages = _pages(_pdf(db, tmp_path))
    covers = [i for i, page in enumerate(pages) if "Record of processing activities" in page
              and "Entities covered" in page]
    assert len(covers) == 2
    second, first = pages[covers[0]], pages[covers[1]]  # controllers print by name: Other Ltd, then Parent plc
    assert "Parent plc" in first and "Child Ltd" in first and "Other Ltd" not in first
    assert "Dana Protection" in first and "Ciara DPO" in first
    assert "EU Rep GmbH" in first and "Rue 1, Brussels" in first
    assert "Other Ltd" in second and "Olga Officer" in second and "Parent plc" not in second
    assert "by Test DPO" in first and "Test DPO by Test DPO" not in first


@needs_poppler
def test_activities_follow_their_controllers_cover_controllers_before_processors(
        groups: object, db: Database, tmp_path: Path) -> None:
    text = "\f".join(_pages(_pdf(db, tmp_path)))
    order = [text.index(name) for name in ("Olga Officer", "Other business", "Dana Protection", "Payroll",
                                           "Irish sales", "Hosting for clients")]
    assert order == sorted(order)


@needs_poppler
def test_an_activity_block_lists_the_art30_fields_in_the_articles_order(
        groups: object, db: Database, tmp_path: Path) -> None:
    text = "\f".join(_pages(_pdf(db, tmp_path)))
    block = text[text.index("Payroll"):text.index("Irish sales")]
    in_order = ["Purpose of processing", "Pay the staff every month.", "Categories of individuals",
                "Categories of personal data", "Categories of recipients", "Payroll Bureau Ltd",
                "Link to contract with processor", "DPA-77", "Names of third countries", "United States",
                "Safeguards for exceptional", "Retention schedule", "6 years",
                "General description of technical", "Article 6 lawful basis", "Record owner", "Head of Finance"]
    positions = [block.index(item) for item in in_order]
    assert positions == sorted(positions)
    assert "Art. 30(1)(b)" in block and "Art. 30(1)(e)" in block


@needs_poppler
def test_processor_records_print_the_art30_2_fields(groups: object, db: Database, tmp_path: Path) -> None:
    text = "\f".join(_pages(_pdf(db, tmp_path)))
    block = text[text.index("Hosting for clients"):]
    assert "Processor record (Art. 30(2))" in block
    assert block.index("Name and contact details of") < block.index("Categories of processing")
    assert "Client plc, 1 Road, London" in block


@needs_poppler
def test_every_page_has_its_number_the_as_of_date_and_the_controller(
        groups: object, db: Database, tmp_path: Path) -> None:
    pages = _pages(_pdf(db, tmp_path))
    total = len(pages)
    assert total >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "as of 2026-11-01" in page
        assert "Parent plc" in page or "Other Ltd" in page


@needs_poppler
def test_text_beyond_latin1_prints_as_typed(groups: object, db: Database, tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from ropa.export.pdf import fonts

    if fonts().regular == "Helvetica":
        pytest.skip("DejaVu fonts are not installed; the built-in font holds Latin-1 only")
    text = "\f".join(_pages(_pdf(db, tmp_path)))
    assert "€ prices, Łódź office." in text


def test_no_text_is_smaller_than_8_pt(groups: object, db: Database, tmp_path: Path) -> None:
    sizes = _font_sizes(_pdf(db, tmp_path))
    assert sizes, "no text operator found: the check would prove nothing"
    assert min(sizes) >= MIN_FONT_PT


@needs_poppler
def test_markup_and_control_characters_in_user_text_print_literally(db: Database, entity: Entity,
                                                                    tmp_path: Path) -> None:
    create_activities(db, DPO, [make_activity(entity.id or 0, name="<b>Bold</b> & <i>co</i>",
                                              purpose="Line one\nline two \x07 end")])
    text = "\f".join(_pages(_pdf(db, tmp_path)))
    assert "<b>Bold</b> & <i>co</i>" in text
    assert "Line one" in text and "line two" in text


@needs_poppler
def test_text_longer_than_a_page_splits_across_pages(db: Database, entity: Entity, tmp_path: Path) -> None:
    purpose = " ".join(f"word{i}" for i in range(1800))
    create_activities(db, DPO, [make_activity(entity.id or 0, name="Long one", purpose=purpose)])
    text = "\f".join(_pages(_pdf(db, tmp_path)))
    assert "word0 " in text and "word1799" in text


@needs_poppler
def test_one_activity_pdf_holds_that_activity_and_its_entitys_cover(
        groups: dict[str, Entity], db: Database, tmp_path: Path) -> None:
    records = collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True)).records
    irish = next(r for r in records if r.name == "Irish sales")
    path = tmp_path / "one.pdf"
    path.write_bytes(activity_pdf(db, VIEWER, irish.id, AS_OF))
    text = "\f".join(_pages(path))
    assert "Irish sales" in text and "Ciara DPO" in text
    assert "Payroll" not in text and "Other business" not in text and "Dana Protection" not in text
    assert "Page 1 of" in text


def test_one_activity_pdf_of_a_missing_activity_is_a_clear_error(db: Database) -> None:
    with pytest.raises(NotFound):
        activity_pdf(db, VIEWER, 999, AS_OF)


def test_pdf_export_is_logged_like_the_workbook(groups: object, db: Database, tmp_path: Path) -> None:
    _pdf(db, tmp_path)
    log = list_exports(db)
    assert log.iloc[0]["format"] == "pdf"


def test_empty_register_prints_a_page_that_says_so(db: Database, tmp_path: Path) -> None:
    data = collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True))
    assert pdf_bytes(data).startswith(b"%PDF")


@pytest.mark.parametrize(("role", "expected"), [
    ("controller", ["Business function", "Purpose of processing"]),
    ("processor", ["Name and contact details of controller", "Categories of processing"]),
])
def test_fields_start_with_the_records_own_article(groups: object, db: Database, role: str,
                                                   expected: list[str]) -> None:
    data = collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True))
    record = next(r for r in data.records if r.role == role)
    headings = [f.heading for f in activity_fields(record, RenderContext(data.entity_names))]
    assert headings[:2] == expected
    assert "Record owner" in headings


def test_empty_art30_fields_read_not_recorded_and_empty_extras_are_left_out(db: Database,
                                                                            entity: Entity) -> None:
    create_activities(db, DPO, [make_activity(entity.id or 0, recipients=[], lia_ref="")])
    data = collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True))
    fields = {f.heading: f.value for f in activity_fields(data.records[0], RenderContext(data.entity_names))}
    assert fields["Categories of recipients"] == "Not recorded"
    assert "Link to record of legitimate interests assessment (if applicable)" not in fields


def test_controllers_group_subsidiaries_under_their_top_entity(groups: dict[str, Entity], db: Database) -> None:
    data = collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True))
    grouped = [(top.name, [e.name for e in members]) for top, members in controllers(data.entities)]
    assert grouped == [("Other Ltd", ["Other Ltd"]), ("Parent plc", ["Parent plc", "Child Ltd"])]


def test_command_line_exports_the_pdf(groups: object, db: Database, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from ropa.cli import main

    out = tmp_path / "record.pdf"
    assert main(["--db", str(db.path), "export", "--format", "pdf", "--out", str(out), "--as-of", "2026-11-01",
                 "--all-organisations"]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "4 activities" in capsys.readouterr().out
