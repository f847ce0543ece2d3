"""report.html: one self-contained static page (inline CSS and JS, no network assets).

Server-side parts (table, gates, comparison, benchmark breakdowns) are escaped with
`html.escape`.
The per-sample browser reads its rows from an inline JSON block in which `<`, `>` and `&` are
written as \\u escapes, so no model output can close the script element; the browser script
puts every value into the page with `textContent`, never as markup. Rows carry no prompts:
only prediction head and tail, extracted answer, target, outcome and finish reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from pytest_qnext.rows import SampleRow, sort_key
from pytest_qnext.sample import OUTCOMES

__all__ = ["PREDICTION_CHARS", "browser_rows", "render_html"]

PREDICTION_CHARS = 300  # head and tail of each prediction kept in the page

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#0a7a2f}.fail,.error,.unparsed,.truncated{color:#b00020}.skipped{color:#777}
pre{white-space:pre-wrap;word-break:break-word;margin:0;max-width:60em;font-size:12px}
#controls select,#controls input{margin-right:1em}
"""

_JS = """
(function(){
var rows=JSON.parse(document.getElementById('qnext-rows').textContent);
var ds=document.getElementById('f-dataset'),oc=document.getElementById('f-outcome'),
    q=document.getElementById('f-id'),body=document.getElementById('samples-body'),
    info=document.getElementById('samples-info'),more=document.getElementById('more'),limit=200;
function opt(sel,v){var o=document.createElement('option');o.value=v;o.textContent=v||'(all)';
  sel.appendChild(o);}
function uniq(k){var s={};rows.forEach(function(r){s[r[k]]=1;});return Object.keys(s).sort();}
opt(ds,'');uniq('dataset').forEach(function(v){opt(ds,v);});
opt(oc,'');uniq('outcome').forEach(function(v){opt(oc,v);});
function cell(tr,text,cls){var td=document.createElement('td');
  if(cls)td.className=cls;var p=document.createElement('pre');p.textContent=text==null?'':
  String(text);td.appendChild(p);tr.appendChild(td);}
function render(){
  var f=rows.filter(function(r){return (!ds.value||r.dataset===ds.value)&&
    (!oc.value||r.outcome===oc.value)&&(!q.value||r.id.indexOf(q.value)>=0);});
  body.textContent='';
  f.slice(0,limit).forEach(function(r){var tr=document.createElement('tr');
    cell(tr,r.dataset);cell(tr,r.id);cell(tr,r.subset);cell(tr,r.outcome,r.outcome);
    cell(tr,r.target);cell(tr,r.extracted);cell(tr,r.finish_reason);cell(tr,r.head);
    cell(tr,r.tail);cell(tr,r.explanation);body.appendChild(tr);});
  info.textContent='showing '+Math.min(limit,f.length)+' of '+f.length+' matching samples';
  more.style.display=f.length>limit?'':'none';}
[ds,oc].forEach(function(e){e.addEventListener('change',function(){limit=200;render();});});
q.addEventListener('input',function(){limit=200;render();});
more.addEventListener('click',function(){limit+=200;render();});
render();})();
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{escape(_fmt(v))}</td>'
            if i in numeric
            else f"<td>{escape(_fmt(v))}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def browser_rows(rows: Sequence[SampleRow]) -> list[dict[str, Any]]:
    """The prompt-free fields the sample browser shows, one dict per row, sorted."""
    out = []
    for row in sorted(rows, key=lambda r: sort_key(r.key)):
        prediction = row.prediction
        if len(prediction) > 2 * PREDICTION_CHARS:
            head, tail = prediction[:PREDICTION_CHARS], prediction[-PREDICTION_CHARS:]
        else:
            head, tail = prediction, ""
        out.append(
            {
                "dataset": row.dataset,
                "id": row.sample_id + (f"#r{row.repeat}" if row.repeat else ""),
                "subset": row.subset,
                "outcome": row.outcome,
                "target": row.target,
                "extracted": row.extracted,
                "finish_reason": row.finish_reason,
                "head": head,
                "tail": tail,
                "explanation": row.explanation or row.skip_reason or "",
            }
        )
    return out


def _script_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _is_table(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(row, Mapping) and not any(isinstance(v, dict | list) for v in row.values())
            for row in value
        )
    )


def _breakdowns(breakdowns: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each dataset's breakdown: a table per list of flat dicts, JSON text for anything else."""
    parts = []
    for name, breakdown in breakdowns.items():
        parts.append(f"<h2>{escape(name)}: breakdown</h2>")
        for section, value in breakdown.items():
            parts.append(f"<h3>{escape(section)}</h3>")
            if not _is_table(value):
                text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
                parts.append(f"<pre>{escape(text)}</pre>")
                continue
            columns = list(dict.fromkeys(key for row in value for key in row))
            numeric = {
                i
                for i, key in enumerate(columns)
                if all(isinstance(row.get(key), int | float | None) for row in value)
            }
            cells = [[row.get(key) for key in columns] for row in value]
            parts.append(_table(columns, cells, numeric))
    return parts


def _sections(doc: Mapping[str, Any]) -> list[str]:
    parts = ["<h2>Scores</h2>"]
    table_rows = [
        [
            t["task_type"],
            t["metric"],
            t["dataset_name"],
            t["average_score"],
            t["count"],
            t.get("ci_low"),
            t.get("ci_high"),
            t.get("ci_method"),
            ", ".join(f"{k} {v}" for k, v in t.get("outcomes", {}).items() if v),
        ]
        for t in doc.get("table", [])
    ]
    parts.append(
        _table(
            [
                "task_type",
                "metric",
                "dataset_name",
                "average_score",
                "count",
                "ci_low",
                "ci_high",
                "ci_method",
                "outcomes",
            ],
            table_rows,
            {3, 4, 5, 6},
        )
    )
    subset_rows = [
        [t["dataset_name"], t["metric"], s["subset"], s["average_score"], s["count"]]
        for t in doc.get("table", [])
        if len(t.get("subsets", [])) > 1
        for s in t["subsets"]
    ]
    if subset_rows:
        parts.append("<h3>Subsets</h3>")
        parts.append(
            _table(["dataset", "metric", "subset", "average_score", "count"], subset_rows, {3, 4})
        )
    gates = list(doc.get("gates", [])) + list(doc.get("comparison", {}).get("gates", []))
    if gates:
        parts.append("<h2>Gates</h2>")
        parts.append(
            _table(
                ["gate", "result", "measured", "limit", "message"],
                [
                    [
                        g["name"],
                        "PASS" if g["passed"] else "FAIL",
                        g["measured"],
                        g["limit"],
                        g["message"],
                    ]
                    for g in gates
                ],
                {2, 3},
            )
        )
    comparison = doc.get("comparison")
    if comparison:
        parts.append(f"<h2>Baseline: {escape(str(comparison['baseline_dir']))}</h2>")
        if comparison.get("refused"):
            parts.append(f"<p>{escape(comparison['refused'])}</p>")
        parts.append(
            _table(
                [
                    "dataset",
                    "verdict",
                    "baseline",
                    "current",
                    "delta",
                    "p",
                    "n",
                    "pass→fail",
                    "fail→pass",
                    "pass→fail samples",
                ],
                [
                    [
                        d["dataset"],
                        d["verdict"],
                        d["baseline_rate"],
                        d["current_rate"],
                        d["delta"],
                        d["p_value"],
                        d["paired"],
                        d["pass_to_fail"],
                        d["fail_to_pass"],
                        ", ".join(str(f["sample_id"]) for f in d["flips_pass_to_fail"]),
                    ]
                    for d in comparison.get("datasets", [])
                ],
                {2, 3, 4, 5, 6, 7, 8},
            )
        )
    parts.extend(_breakdowns(doc.get("breakdowns", {})))
    fp_rows = [
        [name, key, value if isinstance(value, str) else json.dumps(value, sort_keys=True)]
        for name, fp in doc.get("fingerprint", {}).items()
        for key, value in fp.items()
    ]
    if fp_rows:
        parts.append("<h2>Run fingerprint</h2>")
        parts.append(_table(["dataset", "key", "value"], fp_rows, set()))
    if doc.get("warnings"):
        parts.append(
            "<h2>Warnings</h2><ul>"
            + "".join(f"<li>{escape(w)}</li>" for w in doc["warnings"])
            + "</ul>"
        )
    return parts


def render_html(doc: Mapping[str, Any], rows: Sequence[SampleRow]) -> str:
    """The whole page for a summary document (with gates/comparison) and its rows."""
    outcome_note = ", ".join(OUTCOMES)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            "<title>qnext capability report</title>",
            f"<style>{_CSS}</style></head><body>",
            "<h1>qnext capability report</h1>",
            *_sections(doc),
            "<h2>Samples</h2>",
            f"<p>Outcomes: {escape(outcome_note)}. Predictions show the first and last "
            f"{PREDICTION_CHARS} characters.</p>",
            '<div id="controls">dataset <select id="f-dataset"></select> outcome '
            '<select id="f-outcome"></select> sample id <input id="f-id" type="search"></div>',
            '<p id="samples-info"></p>',
            "<table><thead><tr><th>dataset</th><th>sample</th><th>subset</th><th>outcome</th>"
            "<th>target</th><th>extracted</th><th>finish</th><th>prediction head</th>"
            "<th>prediction tail</th><th>note</th></tr></thead>"
            '<tbody id="samples-body"></tbody></table>',
            '<button id="more" type="button">show more</button>',
            f'<script type="application/json" id="qnext-rows">{_script_json(browser_rows(rows))}'
            "</script>",
            f"<script>{_JS}</script>",
            "</body></html>",
            "",
        ]
    )
