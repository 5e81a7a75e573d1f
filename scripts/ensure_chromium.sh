#!/usr/bin/env bash
# The browser test drives Debian's Chromium through its ChromeDriver; install both where missing.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing: run 'apt-get install -y chromium chromium-driver' as root." >&2
  exit 1
fi
echo "Installing Debian's chromium and chromium-driver for the browser test…"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
