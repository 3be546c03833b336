"""Dashboard: the register at a glance for managers; click a bar, cell or country to open those activities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from ropa import charts
from ropa.dashboard import (
    ALL_STATUSES,
    LIVE_STATUSES,
    NO_FUNCTION,
    DashboardData,
    Filters,
    GapResults,
    function_options,
    gap_results,
    load_dashboard,
)
from ropa.entities import descendant_ids, list_entities
from ropa.gaps import SEVERITIES, SEVERITY_ICONS
from ropa.history import change_stamp
from ui.choices import entity_label, entity_tree, vocab_label
from ui.nav import open_register
from ui.render import chart_rows
from ui.session import Database, get_db, page_user

if TYPE_CHECKING:
    import pyarrow as pa

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

PENDING_KEY = "dashboard_open_register"
TOPOJSON_DIR = Path(__file__).resolve().parent.parent / "static" / "topojson"


Spec = dict[str, Any]
# What the browser gets for one chart: the spec without its rows, and the rows as an Arrow table (or None).
# A comment, not a string: in a page script Streamlit would draw a bare string on the page.
Drawn = tuple[Spec, "pa.Table | None"]


@dataclass(frozen=True)
class Chart:
    """One chart of the page: its key, the Vega-Lite spec and the line that says how to read it."""

    key: str
    spec: Spec
    caption: str

    @property
    def shown(self) -> Spec:
        """What the browser gets: the spec without the ids the click-through finds in ``spec``."""
        return charts.browser_copy(self.spec)


def _remember_selection(key: str, spec: Spec, name: str) -> None:
    """Selection callback: note what to open; the page opens it at the start of the next run."""
    selection = charts.selected(spec, st.session_state.get(key), name)
    if selection is not None:
        st.session_state[PENDING_KEY] = selection


def _open_pending() -> None:
    selection = st.session_state.pop(PENDING_KEY, None)
    if isinstance(selection, charts.Selection):
        open_register(selection.activity_ids, selection.label)


def _topojson_url() -> str:
    """Where the browser finds the world map: the app's own static folder, under any base path."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + (base + "/" if base else "") + "app/static/topojson/"


@st.cache_data(ttl=600, max_entries=2, show_spinner=False)
def _topojson_text(name: str) -> str:
    return (TOPOJSON_DIR / f"{name}.json").read_text(encoding="utf-8")


# Three cache levels, all keyed by the register's stamp so an edit is seen at once: the gap analysis
# (the costly part; kept while only the function or status filter changes), the frames, and the
# chart specs (read-only, so shared rather than copied on every rerun). They are shared by every session
# and kept until the register changes: the stamp only grows (the audit trail is append-only, a restore
# adds its own row) and the as-of day is part of the filters, so an entry never goes stale, and
# max_entries bounds the memory. The next manager to open the page, an hour later, waits for nothing.
@st.cache_data(max_entries=8, show_spinner="Running the gap analysis…")
def _gaps(path: str, as_of: date, entity_ids: tuple[int, ...] | None, stamp: tuple[int, int]) -> GapResults:
    return gap_results(get_db(), as_of, entity_ids)


@st.cache_data(max_entries=16, show_spinner="Analysing the register…")
def _load(path: str, filters: Filters, stamp: tuple[int, int]) -> DashboardData:
    return load_dashboard(get_db(), filters, _gaps(path, filters.as_of, filters.entity_ids, stamp))


@st.cache_resource(max_entries=8, show_spinner=False)
def _chart_specs(path: str, filters: Filters, stamp: tuple[int, int], world: str) -> dict[str, tuple[Chart, Drawn]]:
    """Each chart with the lean copy the browser draws, its rows already in Arrow (once per register state)."""
    return {chart.key: (chart, chart_rows(chart.shown)) for chart in _charts(_load(path, filters, stamp), world)}


def _filters(db: Database) -> Filters | None:
    entities = list_entities(db, include_archived=False)
    with st.sidebar:
        st.header("Dashboard filters")
        entity_id = st.selectbox("Entity (with its subsidiaries)", [None, *(e.id for e, _ in entity_tree(entities))],
                                 format_func=entity_label(entities), key="dashboard_entity")
        functions = st.multiselect("Business function", function_options(db), key="dashboard_functions",
                                   format_func=lambda f: str(f) or NO_FUNCTION, placeholder="All functions")
        statuses = st.multiselect("Status", list(ALL_STATUSES), default=list(LIVE_STATUSES),
                                  format_func=vocab_label("statuses"), key="dashboard_statuses")
        as_of = st.date_input("As of", value=date.today(), min_value=date(2000, 1, 1), max_value=date(2100, 12, 31),
                              key="dashboard_as_of", format="YYYY-MM-DD",
                              help="Transfer mechanisms, review deadlines and the gap analysis are judged on "
                                   "this day; activities created after it are left out.")
    if not statuses:
        st.info("Choose at least one status in the sidebar.", icon=":material/filter_alt:")
        return None
    return Filters(
        as_of=as_of if isinstance(as_of, date) else date.today(),
        entity_ids=tuple(descendant_ids(db, int(entity_id))) if entity_id is not None else None,
        functions=tuple(functions) if functions else None,
        statuses=tuple(statuses),
    )


def _kpis(data: DashboardData) -> None:
    k = data.kpis
    total = sum(k.open_findings.values())
    breakdown = " · ".join(f"{SEVERITY_ICONS[s]} {k.open_findings[s]:,} {s}" for s in SEVERITIES)
    first, second = st.columns(4), st.columns(4)
    first[0].metric("Activities", f"{k.activities:,}", border=True)
    first[1].metric("Entities", f"{k.entities:,}", border=True)
    first[2].metric("Special-category data", f"{k.special_category:,}", border=True,
                    help="Activities holding Art. 9(1) special category data.")
    first[3].metric("Third-country transfers", f"{k.third_country_transfers:,}", border=True,
                    help=f"Restricted transfers (Chapter V) recorded in {k.transfer_activities:,} activities.")
    second[0].metric("Open findings", f"{total:,}", border=True,
                     help="Gap-analysis findings on the as-of date, not accepted as a risk.")
    second[1].metric("Critical findings", f"{k.open_findings['critical']:,}", border=True)
    second[2].metric("Reviews overdue", f"{k.reviews_overdue:,}", border=True,
                     help="Live activities whose next review date has passed on the as-of date.")
    second[3].metric("Art. 30 completeness", "—" if k.completeness is None else f"{k.completeness:.0%}",
                     border=True,
                     help="Share of the items Art. 30(1) (controllers) or 30(2) (processors) requires that are "
                          "recorded, averaged over the live activities shown.")
    st.caption("Open findings by severity: " + breakdown)


def _charts(data: DashboardData, world: str) -> list[Chart]:
    as_of = data.filters.as_of
    return [
        Chart("by_entity", charts.activities_by_entity(data.by_entity),
              "How many activities each entity records, by business function: look for entities with "
              "suspiciously few records."),
        Chart("lawful_bases", charts.lawful_bases_by_entity(data.lawful_bases),
              "The Art. 6 lawful basis of each entity's activities: a large share of consent or legitimate "
              "interests, or \"None recorded\", deserves a closer look."),
        Chart("categories", charts.categories_heatmap(data.categories),
              "Which personal data each entity processes; special category (Art. 9) and criminal (Art. 10) "
              "data in vermillion need an Art. 9(2) condition and often a DPIA."),
        Chart("flows", charts.data_flows_sankey(data.flows),
              "Where personal data flows, from whom to whom and to which countries: wide bands to "
              "third countries are where transfer safeguards matter most."),
        Chart("transfers", charts.transfers_map(data.transfer_countries, as_of, world_url=world),
              f"Destination countries by the state of their transfer mechanism on {as_of.isoformat()}: vermillion "
              "(Invalid mechanism) and orange (No mechanism recorded) need a valid Chapter V tool."),
        Chart("retention", charts.retention_distribution(data.retention),
              "How long data is kept: \"Vague rule\" and \"Unknown\" bars are activities without a usable "
              "retention period (Art. 5(1)(e))."),
        Chart("review", charts.review_status_by_entity(data.review),
              "Where records stand in review: vermillion segments (Review overdue) are reviews overdue on the "
              "as-of date."),
        Chart("findings_rule", charts.findings_by_rule(data.findings_by_rule),
              "Which gap rules fail most, by severity: fix critical and high findings first."),
        Chart("findings_entity", charts.findings_by_entity(data.findings_by_entity),
              "Which entities carry the open findings, by severity."),
        Chart("trend", charts.trend(data.trend, data.findings_now),
              "Activities at each month end, rebuilt from the audit trail, beside the open findings today "
              "(earlier findings are not kept): a growing register with a flat review effort drifts."),
    ]


def _download(chart: Chart) -> Callable[[], bytes]:
    topojson = {charts.WORLD_TOPOJSON: _topojson_text(charts.WORLD_TOPOJSON)} if chart.key == "transfers" else None
    title = charts.title_of(chart.spec) or chart.key

    def build() -> bytes:
        return charts.chart_html(chart.spec, title=title, topojson=topojson).encode("utf-8")

    return build


def _show(chart: Chart, drawn: Drawn) -> None:
    key = f"dashboard_chart_{chart.key}"
    name = charts.title_of(chart.spec) or chart.key
    spec, rows = drawn
    if charts.is_clickable(chart.spec):
        st.vega_lite_chart(rows, spec, key=key, on_select=partial(_remember_selection, key, chart.spec, name),
                           width="stretch")
    else:
        st.vega_lite_chart(rows, spec, key=key, width="stretch")
    caption, button = st.columns([6, 1], vertical_alignment="top")
    caption.caption(chart.caption)
    button.download_button("HTML", data=_download(chart), file_name=f"ropa-{chart.key}.html", mime="text/html",
                           key=f"dashboard_download_{chart.key}", on_click="ignore", icon=":material/download:",
                           help="The chart as a web page that works offline.")


_open_pending()
db = get_db()
st.title("Dashboard")
# The filters' lists and the register's stamp are short reads: one open of the file for all of them.
with db.kept_open():
    filters = _filters(db)
    stamp = change_stamp(db)
if filters is None:
    st.stop()
data = _load(str(db.path), filters, stamp)
_kpis(data)
if data.kpis.activities == 0:
    st.info("No activities match these filters. Widen the filters, or add activities to the register.",
            icon=":material/inbox:")
st.caption("Click a bar, cell or country (shift-click to add more) to open those activities in the register.")
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Where the processing happens", ("by_entity", "lawful_bases")),
    ("Personal data", ("categories", "flows")),
    ("International transfers", ("transfers",)),
    ("Retention and review", ("retention", "review")),
    ("Gap-analysis findings", ("findings_rule", "findings_entity", "trend")),
)
by_key = _chart_specs(str(db.path), filters, stamp, _topojson_url() + f"{charts.WORLD_TOPOJSON}.json")
for heading, keys in SECTIONS:
    st.subheader(heading, divider="gray")
    for key in keys:
        _show(*by_key[key])
