"""`python -m pytest_qnext.collections build|show ...` (see pytest_qnext.collections.cli)."""

from __future__ import annotations

import sys

from pytest_qnext.collections.cli import main

if __name__ == "__main__":
    sys.exit(main())
