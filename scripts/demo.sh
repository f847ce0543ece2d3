#!/usr/bin/env bash
# The main job on a fresh machine, in one command:  bash scripts/demo.sh
# No GPU, no network beyond PyPI, no ../shared: the built-in simulated server (oracle policy:
# answers right with probability 0.7) and the demo rows bundled with pytest-qnext.
#   1. creates .venv and installs pytest-qnext
#   2. capability: seven benchmarks as pytest items, gated -> .qnext_report/capability/
#      (live_code_bench runs the model's programs in the sandbox: where this machine has no
#      user namespaces it is left out, with the reason, and the other six run)
#   3. perf: a concurrency sweep (parallel 1 2 4 8), gated by SLOs -> .qnext_report/perf/
# Open .qnext_report/capability/report.html to browse every sample.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e .

echo "== capability (simulated server, bundled demo data)"
DATASETS=mmlu_pro,mmlu_redux,ifeval,math_500,aime24,aime25
if SANDBOX=$(.venv/bin/python -c "from pytest_qnext.sandbox import sandbox_problem as p
print(p('namespaces') or '')") && [[ -z "$SANDBOX" ]]; then
  DATASETS+=,live_code_bench
else
  echo "live_code_bench left out: $SANDBOX"
fi
.venv/bin/python -m pytest -p no:cacheprovider benchmarks/test_capability.py -m capability -q \
  --qnext-sim "ttft=0.02,itl=0.002,policy=oracle,p=0.7" \
  --qnext-datasets "$DATASETS" --qnext-data-dir demo \
  --qnext-cache off --qnext-gate "error_rate<=0" --qnext-gate "mmlu_pro>=0.3" \
  --qnext-report-dir .qnext_report/capability --tb=no --no-header -rN "$@"

echo "== perf (simulated server: TTFT 50 ms, ITL 10 ms)"
.venv/bin/python -m pytest -p no:cacheprovider benchmarks/test_perf.py -m perf -q \
  --qnext-sim "ttft=0.05,itl=0.01" \
  --qnext-parallel 1 2 4 8 --qnext-number 4 8 16 32 \
  --qnext-min-prompt-length 256 --qnext-max-prompt-length 256 \
  --qnext-min-tokens 64 --qnext-max-tokens 64 --qnext-extra-args '{"ignore_eos": true}' \
  --qnext-slo "ttft_p99<=2.0" --qnext-slo "error_rate<=0" \
  --qnext-report-dir .qnext_report/perf --benchmark-disable-gc --no-header "$@"
echo "reports: .qnext_report/capability (report.html, summary.json, samples.jsonl, junit.xml)"
echo "         .qnext_report/perf (summary.json, perf.jsonl, perf_*.png)"
