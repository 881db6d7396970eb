#!/usr/bin/env bash
# The alert rule tests run Debian's promtool, and the scrape test a real prometheus server on a free port
# of its own: install the package when either is missing, or fail with one line. Only the programs are
# used: the service the package installs is stopped and disabled, so no Prometheus keeps running.
set -uo pipefail
command -v promtool >/dev/null && command -v prometheus >/dev/null && exit 0
echo "Installing Debian's prometheus (promtool and the server) for the metrics tests"
if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq prometheus; } >/tmp/ensure-prometheus.log 2>&1; then
  echo "error: could not install prometheus (see /tmp/ensure-prometheus.log); install it and rerun." >&2
  exit 1
fi
for service in prometheus prometheus-node-exporter; do
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  else
    service "$service" stop >/dev/null 2>&1 || true
    update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
done
