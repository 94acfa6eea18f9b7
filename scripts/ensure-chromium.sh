#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests if it is missing.
# Playwright cannot download its own browser here, so the tests drive /usr/bin/chromium.
# Without root (or apt), the browser tests skip and say why; the rest of the suite runs.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
       "the browser tests will be skipped. Install Debian's 'chromium' package to run them."
  exit 0
fi
echo "Installing Debian's chromium for the browser tests…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
  || echo "note: installing chromium failed; the browser tests will be skipped."
exit 0
