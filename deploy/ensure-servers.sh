#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ answer on localhost; install them with apt-get and start them if not.
# Idempotent: on a machine where both already run it only checks. Prints the URLs to use:
#   MALL_TEST_DATABASE_URL=...  MALL_TEST_AMQP_URL=...
set -euo pipefail

PG_URL="postgresql://postgres:postgres@127.0.0.1:5432/postgres"
AMQP_URL="amqp://guest:guest@127.0.0.1:5672/"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 "${2:-90}"); do port_open "$1" && return 0; sleep 1; done
  echo "nothing answers on 127.0.0.1:$1" >&2; return 1
}

ensure_postgres() {
  if ! port_open 5432; then
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql postgresql-contrib
    local version
    version=$(ls /etc/postgresql | sort -n | tail -n 1)
    pg_lsclusters -h 2>/dev/null | grep -q "^$version main" || $SUDO pg_createcluster "$version" main >&2
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    wait_port 5432
  fi
  # A fresh Debian cluster wants a password on TCP: give the superuser the local-only one we use.
  if ! psql "$PG_URL" -Atc "select 1" >/dev/null 2>&1; then
    $SUDO -u postgres psql -qc "ALTER USER postgres PASSWORD 'postgres'" >&2 2>/dev/null \
      || su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
  fi
  psql "$PG_URL" -Atc "select 1" >/dev/null
  # The suite runs three malls at once (MALL_TEST_WORKERS), each service with a pool of up to ten connections:
  # more than a stock server's 100. Raised once, on the local cluster only; takes a restart.
  if [ "$(psql "$PG_URL" -Atc "show max_connections")" -lt 300 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    psql "$PG_URL" -qc "ALTER SYSTEM SET max_connections = 400" >&2
    local version
    version=$(ls /etc/postgresql | sort -n | tail -n 1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main restart >&2
    wait_port 5432
    psql "$PG_URL" -Atc "select 1" >/dev/null
  fi
}

ensure_rabbitmq() {
  if ! port_open 5672; then
    command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
    $SUDO rabbitmq-server -detached >&2 || true
    wait_port 5672 120
    $SUDO rabbitmqctl await_startup >/dev/null 2>&1 || true
  fi
}

command -v psql >/dev/null 2>&1 || apt_install postgresql-client
ensure_postgres
ensure_rabbitmq
echo "MALL_TEST_DATABASE_URL=${MALL_TEST_DATABASE_URL:-$PG_URL}"
echo "MALL_TEST_AMQP_URL=${MALL_TEST_AMQP_URL:-$AMQP_URL}"
