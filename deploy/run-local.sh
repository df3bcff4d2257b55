#!/usr/bin/env bash
# The whole mall on this machine with demo data: installs what it needs, starts PostgreSQL and RabbitMQ if
# they are missing or stopped, builds the mini-program's H5 build if it is out of date, then runs every
# service and the Alipay sandbox until Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source deploy/python-env.sh
bash deploy/build-console.sh  # the merchant console the gateway serves at /console/
bash deploy/build-client.sh h5  # the mini-program's H5 build, served at /m/ (skipped when up to date)
eval "$(bash deploy/ensure-servers.sh | sed 's/^MALL_TEST_/export MALL_/')"
export MALL_DATABASE_URL="${MALL_DATABASE_URL%/*}/mpmall"
exec python -m deploy.local up "$@"
