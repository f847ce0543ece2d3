"""`qnext view`: a local, read-only web viewer over report dirs; report.html shares its pages.

Run it as `qnext view [ROOT|REPORT_DIR ...]` or `python -m pytest_qnext.view [...]`.
Nothing here is imported by the pytest plugin at start-up.
"""

from __future__ import annotations

__all__ = ["DEFAULT_ROOT"]

DEFAULT_ROOT = ".qnext_report"
