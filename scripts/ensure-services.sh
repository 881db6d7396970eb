#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1, starting any that does not
# with this machine's own start command, and fails with one line when one cannot be started.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure() {
  local name=$1 port=$2 start=$3
  port_open "$port" && return 0
  echo "$name is not answering on 127.0.0.1:$port; starting it: $start"
  bash -c "$start" >/dev/null 2>&1
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 1
  done
  echo "error: $name did not come up on 127.0.0.1:$port after '$start'; start it by hand and rerun." >&2
  exit 1
}

ensure PostgreSQL 5432 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
ensure Redis 6379 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log'
ensure RabbitMQ 5672 'rabbitmq-server -detached'
# A listening port is not yet a ready server: wait until PostgreSQL accepts queries.
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  sleep 1
done
echo "error: PostgreSQL listens on 127.0.0.1:5432 but does not accept connections." >&2
exit 1
