"""A chart as a self-contained HTML file that opens offline.

``vl-convert`` renders the page with Vega, Vega-Lite and vega-embed inline
(no script is fetched). A map also needs the world topojson, which the app
serves from its own static folder: it is put into the spec itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ropa.charts.selection import browser_copy


def _inline_maps(node: Any, topojson: Mapping[str, str]) -> Any:
    """The spec with every data source read from ``<name>.json`` replaced by that file's content."""
    if isinstance(node, list):
        return [_inline_maps(item, topojson) for item in node]
    if not isinstance(node, dict):
        return node
    url = node.get("url")
    if isinstance(url, str):
        for name, text in topojson.items():
            if url.endswith(f"/{name}.json"):
                return {"values": json.loads(text), "format": node.get("format", {"type": "topojson"})}
    return {key: _inline_maps(value, topojson) for key, value in node.items()}


def chart_html(spec: Mapping[str, Any], *, title: str, topojson: Mapping[str, str] | None = None) -> str:
    """The chart as one HTML page with everything it needs inline.

    ``topojson`` maps map names (e.g. ``world_50m``) to the file's JSON text;
    pass it for the transfers map.
    """
    import vl_convert

    page = browser_copy(spec)
    if topojson:
        page = _inline_maps(page, topojson)
    page = {**page, "width": page.get("width", 1100)} if "hconcat" not in page else page
    html = str(vl_convert.vegalite_to_html(page, bundle=True))
    return _safe_spec(html, page).replace("<head>", f"<head><title>{_escape(title)}</title>", 1)


_SPEC_START = "const spec = "
_SPEC_END = ";\n    const opts"


def _safe_spec(html: str, spec: Mapping[str, Any]) -> str:
    """The page with its spec written so that no text in it (an entity called "</script>") ends the script."""
    body = html.index("<body>")
    start = html.index(_SPEC_START, body) + len(_SPEC_START)
    end = html.index(_SPEC_END, start)
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")
    return html[:start] + text + html[end:]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
