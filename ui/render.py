"""Showing user-entered text safely, and a few shared display pieces.

Anything a person typed (or an import carried in) is shown literally: a name
like ``<script>`` or ``**urgent**`` or ``:red[x]`` must read as typed, not
become markup. Streamlit's markdown escapes HTML already; this escapes the
Markdown, LaTeX and directive syntax too. Never ``unsafe_allow_html``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st
from PIL import Image, ImageDraw

from ropa.changes import FieldChange
from ropa.errors import FieldError, RopaError

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def md(text: object) -> str:
    """``text`` escaped for st.markdown: every ASCII punctuation mark backslash-escaped, line breaks kept."""
    escaped = _PUNCTUATION.sub(r"\\\1", str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def field_line(label: str, value: object, *, empty: str = "not recorded") -> None:
    """A labelled value in the read view: the label bold, the value literal (or a grey 'not recorded')."""
    text = str(value) if value is not None else ""
    if text.strip():
        st.markdown(f"**{md(label)}:** {md(text)}")
    else:
        st.markdown(f"**{md(label)}:** :gray[{empty}]")


def item_list(label: str, items: Iterable[str], *, empty: str = "none recorded") -> None:
    """A labelled bullet list of literal items."""
    values = [i for i in items if i]
    if not values:
        st.markdown(f"**{md(label)}:** :gray[{empty}]")
        return
    st.markdown(f"**{md(label)}:**\n" + "\n".join(f"- {md(v)}" for v in values))


def errors(messages: Iterable[str | FieldError]) -> None:
    """Validation messages, literal, one per line, in one red box."""
    lines = [md(str(m)) for m in messages]
    if lines:
        st.error("\n\n".join(lines), icon=":material/error:")


@contextmanager
def register_unavailable() -> Iterator[None]:
    """Around a page run: a register that is busy, unreadable or broken is a message, not a traceback.

    Whatever the page had drawn stays; the message says what went wrong and that nothing was saved by
    the step that failed (every write is one transaction). Streamlit's own stop and rerun signals pass.
    """
    try:
        yield
    except (RopaError, duckdb.Error) as error:
        st.error(md(f"The register cannot be used right now: {error}"), icon=":material/database:")
        st.caption("Nothing was changed by the step that failed. Try again in a moment; if it persists, "
                   "tell the administrator (the register file may be held by another program, read-only "
                   "or damaged).")


def notices(success_key: str, error_key: str | None = None) -> None:
    """Show, once, the outcome a previous run left in session state before it called ``st.rerun``."""
    success = st.session_state.pop(success_key, None)
    if success:
        st.success(md(success), icon=":material/check_circle:")
    problem = st.session_state.pop(error_key, None) if error_key else None
    if problem:
        st.error(md(problem), icon=":material/error:")


def changes_table(changes: Iterable[FieldChange], *, key: str | None = None) -> None:
    """Field-by-field changes as a table: scalars before/after, lists removed/added items."""
    rows = [{"Field": c.label, "Before": c.before, "After": c.after,
             "Removed": list(c.removed), "Added": list(c.added)} for c in changes]
    if not rows:
        st.caption("No field changed.")
        return
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, key=key,
        column_config={"Removed": st.column_config.ListColumn("Removed"),
                       "Added": st.column_config.ListColumn("Added")},
    )


def favicon() -> Image.Image:
    """The browser tab icon: a small drawn register (a page with ruled lines), so nothing is fetched."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 4, 56, 60), radius=6, fill=(31, 78, 121, 255))
    for top in (16, 28, 40):
        draw.rectangle((16, top, 48, top + 5), fill=(255, 255, 255, 255))
    return image


def chart_rows(spec: Mapping[str, Any]) -> tuple[dict[str, Any], pa.Table | None]:
    """A Vega-Lite spec split into the spec without its top-level rows, and those rows as an Arrow table.

    Streamlit sends a chart's top-level ``data.values`` to the browser as an Arrow table, converting the
    rows (through pandas, as here) on every run of every session. A page that keeps the table with the
    spec converts each chart once. A spec without plain top-level rows is returned whole, with no table.
    """
    data = spec.get("data")
    values = data.get("values") if isinstance(data, Mapping) and set(data) == {"values"} else None
    if not isinstance(values, list) or not values or not all(isinstance(row, Mapping) for row in values):
        return dict(spec), None
    return {k: v for k, v in spec.items() if k != "data"}, pa.Table.from_pandas(pd.DataFrame(values))
