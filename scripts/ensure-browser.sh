#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here):
# install the package when it is missing, or fail with one line.
set -uo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "Installing Debian's chromium for the browser tests"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/ensure-browser.log 2>&1; then
  echo "error: could not install Debian's chromium (see /tmp/ensure-browser.log); install it and rerun." >&2
  exit 1
fi
