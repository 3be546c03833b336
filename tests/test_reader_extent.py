"""The extent the reader's scan finds: the last row and column any reference names, however it is written."""

from __future__ import annotations

import pytest

from ropa.ingest import reader

_ROWS = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="BH%d"/></row>' % (n, n, n) for n in range(1, 301))


@pytest.mark.parametrize(("xml", "extent"), [
    (b"", (1, 1)),
    (b'<row r="3"><c r="C3"/></row>', (3, 3)),
    (_ROWS, (300, 60)),
    (_ROWS + b'<c\nr="ZZ9"/>', (300, 702)),
    (_ROWS + b"<c r='CA301'/>", (301, 79)),
    (b'<c\tr="B7"/><c r="A1"/>', (7, 2)),
    (b'<c\x0br="AA10"/>\x0cr="Q5"', (10, 27)),
    (b'<c r="XFD1048576"/>', (1_048_576, 16_384)),
    (b'<c r="XFE1"/>', None),
    (b'<row r="1048577"/>', None),
    (b' r="A99999999999999"', None),
])
def test_the_extent_is_the_last_row_and_column_named(xml: bytes, extent: tuple[int, int] | None) -> None:
    assert reader._extent(xml) == extent


@pytest.mark.parametrize("slice_bytes", [1, 7, 64, 10**9])
def test_references_read_a_slice_at_a_time_are_all_seen(monkeypatch: pytest.MonkeyPatch, slice_bytes: int) -> None:
    """A slice ends just before a '<', so no reference is cut in two, whatever the slice's size."""
    monkeypatch.setattr(reader, "REF_SLICE", slice_bytes)
    xml = _ROWS + b"<c r='CA301'/>"
    letters, digits = reader._ref_parts(xml, reader._REF)
    assert letters == {b"", b"A", b"BH", b"CA"} and digits == {b"%d" % n for n in range(1, 302)}
    assert reader._extent(xml) == (301, 79)
