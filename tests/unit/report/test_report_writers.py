"""Report directory writers: summary.json, samples.jsonl, junit.xml, report.html, atomicity."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.report import Aggregator, compare, write_report_dir
from pytest_qnext.report import writers as writers_mod
from pytest_qnext.report.html import PREDICTION_CHARS
from pytest_qnext.report.writers import REPORT_FILES
from pytest_qnext.rows import SampleRow, sort_key

EVIL = '</script><script>alert("x")</script><img src=x onerror=alert(1)> & "q"'


def _report(
    make_row: Callable[..., Any], make_meta: Any, gates: list[str] | None = None
) -> tuple[dict[str, Any], list[SampleRow]]:
    agg = Aggregator(n_resamples=50)
    agg.add_dataset_meta(make_meta("mcq", ["acc"], "acc"))
    agg.add_dataset_meta(make_meta("qa", ["acc"], "acc"))
    for sid in (10, 2, 1):  # out of order on purpose
        agg.add_row(make_row("mcq", sid, "pass" if sid != 2 else "fail", prediction=f"ans {sid}"))
    agg.add_row(make_row("qa", "x", "fail", prediction=EVIL, extracted="<b>", target="a&b"))
    agg.add_row(make_row("qa", "long", "pass", prediction="H" * 500 + "M" * 200 + "T" * 500))
    summary = agg.summary(fingerprint_extra={"model": "m"}, gates=gates)
    return summary, list(reversed(agg.rows))


def test_writes_all_files_with_perf_and_sorted_samples(
    tmp_path: Path, make_row: Callable[..., Any], make_meta: Any
) -> None:
    summary, rows = _report(make_row, make_meta)
    perf = [{"concurrency": 1, "ttft_p50": 0.05}]
    paths = write_report_dir(tmp_path / "r", summary, rows, perf=perf)
    assert sorted(paths) == sorted(REPORT_FILES)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(REPORT_FILES)
    doc = json.loads(paths["summary.json"].read_text(encoding="utf-8"))
    assert doc["perf"] == perf
    assert doc["table"] == summary["table"]
    samples = [json.loads(line) for line in paths["samples.jsonl"].read_text().splitlines()]
    assert [(s["dataset"], s["sample_id"]) for s in samples] == [
        ("mcq", "1"),
        ("mcq", "2"),
        ("mcq", "10"),
        ("qa", "long"),
        ("qa", "x"),
    ]
    assert samples[-1]["prediction"] == EVIL  # the jsonl keeps the full prediction
    # one SampleRow.to_json() per line: every field, and it reads back as the same row
    assert [SampleRow.from_json(s) for s in samples] == sorted(rows, key=lambda r: sort_key(r.key))
    # deterministic: writing the same report again gives identical bytes
    again = write_report_dir(tmp_path / "r2", summary, list(reversed(rows)), perf=perf)
    for name in REPORT_FILES:
        assert again[name].read_bytes() == paths[name].read_bytes()


def test_junit_one_case_per_dataset_and_gate(
    tmp_path: Path, make_row: Callable[..., Any], make_meta: Any
) -> None:
    summary, rows = _report(make_row, make_meta, gates=["mcq>=0.9", "qa>=0.5", "error_rate<=0"])
    paths = write_report_dir(tmp_path, summary, rows)
    root = ET.parse(paths["junit.xml"]).getroot()
    (suite,) = root.findall("testsuite")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert set(cases) == {
        ("qnext.dataset", "mcq"),
        ("qnext.dataset", "qa"),
        ("qnext.gate", "mcq>=0.9"),
        ("qnext.gate", "qa>=0.5"),
        ("qnext.gate", "error_rate<=0"),
    }
    failed = {key for key, case in cases.items() if case.find("failure") is not None}
    # mcq scores 2/3 < 0.9: its gate and its dataset case fail; qa scores 1/2 >= 0.5
    assert failed == {("qnext.dataset", "mcq"), ("qnext.gate", "mcq>=0.9")}
    assert suite.get("tests") == "5" and suite.get("failures") == "2"
    props = {
        p.get("name"): p.get("value") for p in cases[("qnext.dataset", "mcq")].iter("property")
    }
    assert float(props["acc"]) == pytest.approx(2 / 3)


def test_html_has_table_and_escapes_model_output(
    tmp_path: Path, make_row: Callable[..., Any], make_meta: Any
) -> None:
    summary, rows = _report(make_row, make_meta, gates=["mcq>=0.9"])
    html = write_report_dir(tmp_path, summary, rows)["report.html"].read_text(encoding="utf-8")
    assert "<th>average_score</th>" in html and "<td>mcq</td>" in html
    assert "mcq&gt;=0.9" in html  # gate names are escaped too
    assert "alert(" not in html.split('id="qnext-rows">', 1)[0]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html.count("</script>") == 2  # the data block and the viewer script, nothing else
    assert "http://" not in html and "https://" not in html  # no network assets
    data = re.search(r'<script type="application/json" id="qnext-rows">(.*?)</script>', html, re.S)
    assert data is not None
    browser = {r["id"]: r for r in json.loads(data.group(1))}
    assert browser["x"]["head"] == EVIL  # the embedded JSON round-trips exactly
    assert browser["x"]["extracted"] == "<b>" and browser["x"]["target"] == "a&b"
    long = browser["long"]
    assert long["head"] == "H" * PREDICTION_CHARS and long["tail"] == "T" * PREDICTION_CHARS
    assert "prompt" not in browser["x"]


def _by_prediction(rows: Sequence[SampleRow]) -> dict[str, Any]:
    """A test breakdown hook: one table row per prediction (text from the model) and a note."""
    table = [{"prediction": r.prediction, "passed": int(r.outcome == "pass")} for r in rows]
    return {"table": table, "note": {"rows": len(rows), "text": EVIL}}


def test_html_breakdowns_and_comparison(
    tmp_path: Path, make_row: Callable[..., Any], make_meta: Any
) -> None:
    agg = Aggregator(n_resamples=50, breakdown_for={"qa": _by_prediction}.get)
    agg.add_row(make_row("qa", "x", "fail", prediction=EVIL))
    agg.add_row(make_row("qa", "y", "pass", prediction="fine"))
    summary = agg.summary()
    write_report_dir(tmp_path / "base", summary, agg.rows)
    comparison = compare(summary, agg.rows, tmp_path / "base", max_drop=0.01)
    paths = write_report_dir(tmp_path / "cur", summary, agg.rows, comparison=comparison)
    html = paths["report.html"].read_text(encoding="utf-8")
    assert "<h2>qa: breakdown</h2>" in html and "<h3>table</h3>" in html
    # a list of flat dicts is a table with the dicts' keys as columns, text escaped
    assert "<th>prediction</th><th>passed</th>" in html
    assert '<td>fine</td><td class="num">1</td>' in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert" in html  # shown, as text, in the table and note
    assert "Baseline:" in html and "inconclusive" in html
    doc = json.loads(paths["summary.json"].read_text(encoding="utf-8"))
    assert doc["comparison"]["datasets"][0]["p_value"] == 1.0
    assert doc["breakdowns"]["qa"] == _by_prediction(agg.rows)
    root = ET.parse(paths["junit.xml"]).getroot()
    names = [c.get("name") for c in root.iter("testcase")]
    assert "qa.max_drop<=0.01" in names


@pytest.mark.parametrize("fail_at", [1, 3])
def test_failure_mid_write_leaves_old_report_intact(
    tmp_path: Path,
    make_row: Callable[..., Any],
    make_meta: Any,
    monkeypatch: pytest.MonkeyPatch,
    fail_at: int,
) -> None:
    summary, rows = _report(make_row, make_meta)
    write_report_dir(tmp_path, summary, rows)
    before = {name: (tmp_path / name).read_bytes() for name in REPORT_FILES}

    real_fsync = writers_mod.os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError("disk full (simulated)")
        real_fsync(fd)

    monkeypatch.setattr(writers_mod.os, "fsync", failing_fsync)
    other = Aggregator()
    other.add_row(make_row("mcq", "99", "fail", prediction="new"))
    with pytest.raises(OSError, match="simulated"):
        write_report_dir(tmp_path, other.summary(), other.rows)
    monkeypatch.undo()
    assert {name: (tmp_path / name).read_bytes() for name in REPORT_FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(REPORT_FILES)  # no temp files


def test_unserialisable_row_fails_before_touching_disk(
    tmp_path: Path, make_row: Callable[..., Any], make_meta: Any
) -> None:
    summary, rows = _report(make_row, make_meta)
    write_report_dir(tmp_path, summary, rows)
    before = (tmp_path / "samples.jsonl").read_bytes()
    # built directly, not through from_json (which refuses a set): the writer must still fail
    bad = [*rows, replace(make_row("mcq", "z", "pass"), usage={"tokens": {1, 2}})]
    with pytest.raises(TypeError):
        write_report_dir(tmp_path, summary, bad)
    assert (tmp_path / "samples.jsonl").read_bytes() == before


_FAKE_DOM = """
function El(){this.children=[];this.value='';this.style={};this.h={};this._t='';}
El.prototype.appendChild=function(c){this.children.push(c);};
El.prototype.addEventListener=function(e,f){this.h[e]=f;};
Object.defineProperty(El.prototype,'textContent',{get:function(){return this._t;},
  set:function(v){this._t=v;if(v==='')this.children=[];}});
var els={};
var document={getElementById:function(id){return els[id]||(els[id]=new El());},
  createElement:function(){return new El();}};
document.getElementById('qnext-rows').textContent=DATA;
"""
_PROBE = """
var body=els['samples-body'];
console.log(body.children.length+'|'+els['samples-info'].textContent);
els['f-outcome'].value='error';els['f-outcome'].h.change();
console.log(body.children.length+'|'+body.children[0].children[7].children[0].textContent);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_sample_browser_script_filters_rows(tmp_path: Path, make_row: Callable[..., Any]) -> None:
    """Run the page's viewer script in node against a minimal fake DOM."""
    agg = Aggregator(n_resamples=50)
    for i in range(450):
        agg.add_row(make_row("mcq", i, ["pass", "fail", "error"][i % 3], prediction=EVIL))
    html = write_report_dir(tmp_path, agg.summary(), agg.rows)["report.html"].read_text()
    data = re.search(r'id="qnext-rows">(.*?)</script>', html, re.S)
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert data is not None and script is not None
    program = _FAKE_DOM.replace("DATA", json.dumps(data.group(1))) + script.group(1) + _PROBE
    (tmp_path / "viewer.js").write_text(program, encoding="utf-8")
    out = subprocess.run(
        ["node", str(tmp_path / "viewer.js")], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    first, errors = out.stdout.splitlines()
    assert first == "200|showing 200 of 450 matching samples"
    assert errors == f"150|{EVIL}"  # prediction shown as text, byte for byte


def test_report_files_get_the_usual_permissions(
    tmp_path: Path, make_row: Callable[..., Any]
) -> None:
    """Written through temp files and renamed, yet readable like any file the user creates
    (mkstemp's 0o600 would hide the report from a CI artifact server)."""
    agg = Aggregator()
    agg.add_row(make_row("a", 1, "pass"))
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    expected = plain.stat().st_mode & 0o777
    paths = write_report_dir(tmp_path / "r", agg.summary(), agg.rows)
    assert {name: p.stat().st_mode & 0o777 for name, p in paths.items()} == dict.fromkeys(
        paths, expected
    )
