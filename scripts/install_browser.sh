#!/usr/bin/env bash
# Headless Chromium and its WebDriver for the HTML report test (tests/e2e/test_report.py).
# Idempotent: does nothing when both are installed. CI runs `make test` as root on a fresh Debian
# machine; elsewhere it uses sudo when there is one, and otherwise says what to install.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_browser.sh: need root to install chromium and chromium-driver (apt-get install -y chromium chromium-driver)" >&2
    exit 2
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser.sh: no apt-get here; install Chromium and chromedriver, and put them at /usr/bin/chromium and /usr/bin/chromedriver" >&2
  exit 2
fi
echo "install_browser.sh: installing chromium and chromium-driver (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
test -x /usr/bin/chromium && test -x /usr/bin/chromedriver
