#!/usr/bin/env bash
# The whole mall on this machine with demo data: installs what it needs, starts PostgreSQL and RabbitMQ if
# they are missing or stopped, then runs every service and the Alipay sandbox until Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source deploy/python-env.sh
bash deploy/console-build.sh  # the merchant console the gateway serves at /console/
eval "$(bash deploy/ensure-servers.sh | sed 's/^MALL_TEST_/export MALL_/')"
export MALL_DATABASE_URL="${MALL_DATABASE_URL%/*}/mpmall"
exec python -m deploy.local up "$@"
