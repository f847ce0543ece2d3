#!/usr/bin/env bash
# Installs the system Chromium that the browser tests (tests/browser/) and scripts/screenshots.py
# drive through Playwright (`executable_path=/usr/bin/chromium`; never `playwright install`).
# Idempotent: does nothing when chromium is already there. Debian/Ubuntu, run as root (CI is).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
  echo "install_browser: $(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: apt-get not found; install Chromium so that /usr/bin/chromium exists" >&2
  exit 1
fi
SUDO=""
if [[ $(id -u) != 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# wait for another apt/dpkg run instead of failing on its lock
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium fonts-dejavu-core
chromium --version
