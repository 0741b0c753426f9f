"""The page around the sections: one HTML file with its style, its data and a little script inline.

Nothing on the page is fetched: no stylesheet, font, script or image comes from anywhere but the
file itself (system fonts only). The data is a ``<script type="application/json" id="report-data">``
holding every frame the page shows, as lists of row objects; the script reads it for the map's
hover and click, and sorts the tables.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from routing.report.svg import tag, text

STYLE = """
:root{--ink:#222;--muted:#666;--line:#ddd;--bg:#fff;--accent:#1f77b4}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:#f6f7f9}header{background:#14324b;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cfe0ee}nav{padding:6px 24px;background:#e9eef3}
nav a{margin-right:14px;color:#14324b}main{padding:8px 24px 40px;max-width:1400px}
section{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:14px 0}
h2{margin:0 0 8px;font-size:17px}h3{font-size:15px;margin:14px 0 6px}.note{color:var(--muted);margin:6px 0}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid var(--line);border-radius:4px;padding:6px 10px}
.card .k{display:block;color:var(--muted);font-size:12px}.card .v{font-weight:600}
.table-wrap{overflow-x:auto;max-height:520px;overflow-y:auto}table{border-collapse:collapse;margin:8px 0;font-size:12.5px}th,td{border-bottom:1px solid var(--line);
padding:3px 8px;text-align:left;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;background:#f0f3f6}table.sortable th:hover{background:#dde6ee}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}details{margin:8px 0}
.chart{display:block;max-width:100%;height:auto;margin:6px 0}.chart .grid{stroke:#e3e3e3}
.chart text{font-size:11px;fill:#333}.chart .title{font-weight:600;font-size:12px}.chart .unit{fill:#777}
.keys{display:flex;flex-wrap:wrap;gap:14px;font-size:12px}.small-multiples{display:flex;flex-wrap:wrap;gap:6px}.map-wrap{position:relative}
.map{display:block;width:100%;height:auto;max-width:1200px;border:1px solid var(--line)}
.map .sea{fill:#eaf2f8}.map .inset-sea{fill:#eaf2f8;stroke:#555;stroke-width:1}
.map .country{fill:#f4f1ea;stroke:#c9c2b5;stroke-width:.6}.map .state{stroke:#fff;stroke-width:.8}
.map .state.us{fill:#ece8df}.map .state.mx{fill:#e6ecdf}.map .link{fill:none;stroke-linecap:round;opacity:.8}
.map .link.idle{stroke:#9a9a9a;stroke-dasharray:2 3;opacity:.35}.map .node{stroke:#fff;stroke-width:1}
.map .market{fill:#111}.map .port,.map .origin{fill:#1f78b4}.map .plant{fill:#2ca02c;stroke:#fff;stroke-width:1}
.map .crossing{stroke:#333;stroke-width:1}.map .crossing.closed{fill:#fff;stroke:#d7301f;stroke-width:2.2}
.map .legend-box{fill:#fff;fill-opacity:.92;stroke:#bbb}.map .legend-title{font-weight:600}
.map text{font-size:11px;fill:#333}.map .scale{fill:none;stroke:#333;stroke-width:1.5}
.map [data-t]:hover,.map .pinned{stroke:#000;stroke-opacity:1;opacity:1;cursor:pointer}
#tip{position:absolute;display:none;background:#fff;border:1px solid #999;border-radius:4px;padding:6px 8px;
font-size:12px;box-shadow:0 2px 6px rgba(0,0,0,.2);pointer-events:none;max-width:420px;z-index:2}
#tip table{margin:0}#tip td{padding:1px 6px}
"""

SCRIPT = """
(function(){
const DATA=JSON.parse(document.getElementById('report-data').textContent);
const tip=document.getElementById('tip');let pinned=null;
function show(el,ev){const t=el.dataset.t,row=(DATA.map[t]||[])[+el.dataset.i];if(!row||!tip)return;
 const fmt=v=>typeof v==='number'?v.toLocaleString(undefined,{maximumFractionDigits:2}):(v===null?'-':String(v));
 tip.innerHTML='<table>'+Object.entries(row).map(([k,v])=>'<tr><td>'+k+'</td><td>'+fmt(v)+'</td></tr>').join('')+'</table>';
 const box=tip.parentElement.getBoundingClientRect();tip.style.display='block';
 tip.style.left=Math.min(ev.clientX-box.left+12,box.width-300)+'px';tip.style.top=(ev.clientY-box.top+12)+'px';}
document.querySelectorAll('#map [data-t]').forEach(el=>{
 el.addEventListener('mousemove',ev=>{if(!pinned)show(el,ev);});
 el.addEventListener('mouseleave',()=>{if(!pinned&&tip)tip.style.display='none';});
 el.addEventListener('click',ev=>{if(pinned)pinned.classList.remove('pinned');
  pinned=pinned===el?null:el;if(pinned){pinned.classList.add('pinned');show(el,ev);}ev.stopPropagation();});});
document.addEventListener('click',()=>{if(pinned){pinned.classList.remove('pinned');pinned=null;tip.style.display='none';}});
document.querySelectorAll('table.sortable').forEach(table=>{
 table.querySelectorAll('th').forEach((th,col)=>th.addEventListener('click',()=>{
  const body=table.tBodies[0],rows=Array.from(body.rows),asc=!th.classList.contains('asc');
  table.querySelectorAll('th').forEach(h=>h.classList.remove('asc','desc'));th.classList.add(asc?'asc':'desc');
  const key=r=>{const v=r.cells[col].dataset.v;const n=parseFloat(v);return v!==''&&!isNaN(n)&&isFinite(v)?n:v;};
  rows.sort((a,b)=>{const x=key(a),y=key(b);if(x===y)return 0;if(x===''||x===undefined)return 1;
   if(y===''||y===undefined)return -1;return (typeof x==='number'&&typeof y==='number'?x-y:String(x).localeCompare(String(y)))*(asc?1:-1);});
  rows.forEach(r=>body.appendChild(r));}));});
document.body.dataset.ready='1';
})();
"""


def json_ready(value: Any) -> Any:
    """``value`` with frames as lists of row objects and NaN or infinite floats as None (JSON has neither).

    Example
    -------
    >>> json_ready({"a": [1.0, float("nan")], "b": pl.DataFrame({"x": [2]})})
    {'a': [1.0, None], 'b': [{'x': 2}]}
    """
    if isinstance(value, pl.DataFrame):
        return json_ready(value.to_dicts())
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def embed_json(data: Mapping[str, Any]) -> str:
    """The data as the page's JSON script element, safe inside HTML (no ``</`` can end it early)."""
    payload = json.dumps(json_ready(data), separators=(",", ":"), default=str).replace("</", "<\\/")
    return f'<script type="application/json" id="report-data">{payload}</script>'


DATA_SCRIPT = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.DOTALL)


def read_page_data(html: str) -> dict[str, Any]:
    """The data embedded in a page by :func:`embed_json`, parsed back (ValueError when there is none).

    Example
    -------
    >>> read_page_data(embed_json({"a": "</script>"}))
    {'a': '</script>'}
    """
    match = DATA_SCRIPT.search(html)
    if match is None:
        raise ValueError("the page has no report-data script")
    return json.loads(match.group(1))


def render_page(*, title: str, subtitle: str, sections: Sequence[tuple[str, str, str]],
                data: Mapping[str, Any]) -> str:
    """The whole document: ``sections`` are (anchor, title, html) in page order."""
    nav = tag("nav", "".join(tag("a", text(name), href=f"#{anchor}") for anchor, name, _ in sections))
    body = (tag("header", tag("h1", text(title)) + tag("p", text(subtitle))) + nav
            + tag("main", "".join(html for _, _, html in sections)) + embed_json(data)
            + f"<script>{SCRIPT}</script>")
    head = ('<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            + tag("title", text(title)) + f"<style>{STYLE}</style>")
    return f"<!DOCTYPE html>\n<html lang=\"en\"><head>{head}</head><body>{body}</body></html>\n"
