#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here), with
# Noto CJK fonts so Korean pages render in screenshots, and axe-core (npm, pinned in package-lock.json)
# that the tests run inside each page: install what is missing, or fail with one line.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if ! npm ci --silent --no-audit --no-fund >/tmp/ensure-axe.log 2>&1; then
    echo "error: could not install axe-core with npm ci (see /tmp/ensure-axe.log)." >&2
    exit 1
  fi
fi
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian's ${missing[*]} for the browser tests"
if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"; } >/tmp/ensure-browser.log 2>&1; then
  echo "error: could not install ${missing[*]} (see /tmp/ensure-browser.log); install them and rerun." >&2
  exit 1
fi
