"""Run folder writers: summary.json, samples.jsonl, junit.xml, report.html.

A capability run (or a mixed one) writes all four into its run folder (report/rundir.py); a
perf-only run writes only summary.json (its `perf` points, no `table`) and report.html, next to
the perf.jsonl and charts the perf session writes: no empty capability files.

All files are rendered (samples.jsonl row by row as it is written), written to temporary files
in the run folder and only then moved into place with `os.replace`. An exception (or a crash)
while rendering or writing leaves the previous report untouched, and every file on disk is
always a whole file: a reader never sees a half-written one. summary.json is replaced last.

No string a row can hold stops a report (`encode_document`): a lone surrogate (a server's
`"\ud800"`, a replay file's) is written as that same JSON escape in the .json/.jsonl files (read
back, it is the same string) and as U+FFFD in the others; characters XML 1.0 forbids (control
characters) become U+FFFD in junit.xml. The JSON files also escape the line separators that
JSON leaves raw (U+0085, U+2028, U+2029), so a reader that splits samples.jsonl on any line
break (`str.splitlines`) still finds one row per line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.report.baseline import Comparison
from pytest_qnext.report.html import render_html
from pytest_qnext.rows import SampleRow, sort_key

__all__ = [
    "PERF_REPORT_FILES",
    "REPORT_FILES",
    "build_perf_document",
    "build_summary_document",
    "encode_document",
    "junit_xml",
    "samples_jsonl",
    "samples_lines",
    "write_perf_report",
    "write_report_dir",
]

REPORT_FILES = ("summary.json", "samples.jsonl", "junit.xml", "report.html")
PERF_REPORT_FILES = ("summary.json", "report.html")
PERF_SCHEMA = 2


_SURROGATE = re.compile("[\ud800-\udfff]")
# what json.dumps(ensure_ascii=False) leaves raw, only ever inside strings, that a JSON file
# should not hold raw: lone surrogates (not UTF-8) and line breaks other than "\n"
_JSON_RAW = re.compile("[\x85\u2028\u2029\ud800-\udfff]")
# what XML 1.0 does not allow in a document
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def encode_document(name: str, text: str) -> bytes:
    """The UTF-8 bytes of a rendered report file, whatever strings went into it (see the
    module docstring): never raises for the text's content."""
    if name.endswith((".json", ".jsonl")):
        if _JSON_RAW.search(text):
            text = _JSON_RAW.sub(_json_escape, text)
        return text.encode("utf-8")
    if name.endswith(".xml"):
        text = _NOT_XML.sub(REPLACEMENT, text)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, text).encode("utf-8")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, allow_nan=False)


def build_summary_document(
    summary: Mapping[str, Any],
    *,
    comparison: Comparison | None = None,
    perf: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """summary.json content: the summary plus `perf` points and the baseline `comparison`."""
    doc = dict(summary)
    doc["perf"] = [dict(p) for p in (perf if perf is not None else summary.get("perf", []))]
    if comparison is not None:
        doc["comparison"] = comparison.to_dict()
    return doc


def samples_lines(rows: Sequence[SampleRow]) -> Iterator[str]:
    """One `SampleRow.to_json()` line per row, sorted by dataset / sample_id / repeat (made
    as they are written: a big run's rows are never one string in memory)."""
    for row in sorted(rows, key=lambda r: sort_key(r.key)):
        yield _json(row.to_json()) + "\n"


def samples_jsonl(rows: Sequence[SampleRow]) -> str:
    """samples.jsonl's text: `samples_lines` joined."""
    return "".join(samples_lines(rows))


def _all_gates(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    gates = list(doc.get("gates", []))
    gates += list(doc.get("comparison", {}).get("gates", []))
    return gates


def junit_xml(doc: Mapping[str, Any]) -> str:
    """JUnit XML: one testcase per dataset (failing when one of its gates fails, with the scores
    in system-out) and one per gate."""
    gates = _all_gates(doc)
    suite = ET.Element("testsuite", name="qnext.capability")
    failures = 0
    table: list[Mapping[str, Any]] = list(doc.get("table", []))
    for name, info in doc.get("datasets", {}).items():
        case = ET.SubElement(suite, "testcase", classname="qnext.dataset", name=name, time="0")
        props = ET.SubElement(case, "properties")
        for row in (r for r in table if r["dataset_name"] == name):
            value = "" if row["average_score"] is None else f"{row['average_score']:.6f}"
            ET.SubElement(props, "property", name=row["metric"], value=value)
        ET.SubElement(props, "property", name="count", value=str(info.get("count", 0)))
        failed = [g for g in gates if g.get("dataset") == name and not g["passed"]]
        if failed:
            failures += 1
            fail = ET.SubElement(
                case, "failure", message="; ".join(f"{g['name']}: {g['message']}" for g in failed)
            )
            fail.text = "\n".join(f"{g['name']}: {g['message']}" for g in failed)
        outcomes = info.get("outcomes", {})
        ET.SubElement(case, "system-out").text = (
            f"score {info.get('score')} ({info.get('primary_metric')}), count "
            f"{info.get('count')}, outcomes "
            + ", ".join(f"{k} {v}" for k, v in outcomes.items() if v)
        )
    for gate in gates:
        case = ET.SubElement(suite, "testcase", classname="qnext.gate", name=gate["name"], time="0")
        if not gate["passed"]:
            failures += 1
            ET.SubElement(case, "failure", message=gate["message"]).text = gate["message"]
        else:
            ET.SubElement(case, "system-out").text = gate["message"]
    suite.set("tests", str(len(suite.findall("testcase"))))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    body: str = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _file_mode() -> int:
    """What `open(path, "w")` would give a new file: 0o666 less the umask (mkstemp's temp
    files are 0o600, which would leave reports unreadable to a CI artifact server)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_all(report_dir: Path, contents: Mapping[str, str | Iterable[str]]) -> None:
    """Write each document (a string, or its parts in order) to a temp file, then move them
    all into place."""
    report_dir.mkdir(parents=True, exist_ok=True)
    temps: dict[str, str] = {}
    mode = _file_mode()
    try:
        for name, text in contents.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=report_dir)
            temps[name] = tmp
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                for part in [text] if isinstance(text, str) else text:
                    fh.write(encode_document(name, part))
                fh.flush()
                os.fsync(fh.fileno())
        for name, tmp in temps.items():
            os.replace(tmp, report_dir / name)
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)


def write_report_dir(
    report_dir: Path | str,
    summary: Mapping[str, Any],
    rows: Sequence[SampleRow],
    *,
    comparison: Comparison | None = None,
    perf: Sequence[Mapping[str, Any]] | None = None,
    perf_records: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Path]:
    """Write the four report files atomically; returns {file name: path}. `perf_records`:
    the perf.jsonl rows of a sweep in the same session (report.html's scatter).

    Every document is rendered in memory before anything touches the disk; then each goes to
    a temp file and all are moved into place, so a failure never leaves a half-written report.
    """
    target = Path(report_dir)
    doc = build_summary_document(summary, comparison=comparison, perf=perf)
    # summary.json goes last: a reader that finds the new summary also finds the new samples
    contents = {
        "samples.jsonl": samples_lines(rows),
        "junit.xml": junit_xml(doc),
        "report.html": render_html(doc, rows, perf_records=perf_records),
        "summary.json": json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
    }
    _write_all(target, contents)
    return {name: target / name for name in REPORT_FILES}


def build_perf_document(
    perf: Sequence[Mapping[str, Any]],
    *,
    complete: bool = True,
    gates: Sequence[Mapping[str, Any]] = (),
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """summary.json of a perf-only run: its sweep points (no capability `table`), whether it
    ran to the end, capability gates that could not be evaluated, warnings."""
    return {
        "schema": PERF_SCHEMA,
        "kind": "perf",
        "complete": complete,
        "perf": [dict(p) for p in perf],
        "gates": [dict(g) for g in gates],
        "warnings": list(warnings),
    }


def write_perf_report(
    folder: Path | str,
    doc: Mapping[str, Any],
    perf_records: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Path]:
    """Write a perf-only run's summary.json and report.html atomically."""
    target = Path(folder)
    contents = {
        "report.html": render_html(doc, [], perf_records=perf_records),
        "summary.json": json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
    }
    _write_all(target, contents)
    return {name: target / name for name in PERF_REPORT_FILES}
