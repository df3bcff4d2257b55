#!/usr/bin/env bash
# The whole test suite on real PostgreSQL and RabbitMQ: installs what it needs, starts the servers if they
# are missing or stopped, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source deploy/python-env.sh test
eval "$(bash deploy/ensure-servers.sh | sed 's/^/export /')"
if [ ! -x /usr/bin/chromium ]; then  # the merchant console's browser test drives Debian's Chromium
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi
if [ -z "$(fc-list :lang=zh 2>/dev/null || true)" ]; then  # without a CJK font the console screenshot shows boxes
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null
fi
bash deploy/build-console.sh  # the gateway serves console/dist; tests/unit/console runs its Vitest tests
mkdir -p test-output
# The mini-program (client/): its npm packages, its Alipay and H5 builds (each skipped when up to date);
# tests/client checks them and runs its unit tests, tests/e2e drives the H5 build.
bash deploy/build-client.sh alipay h5
# Most tests wait on servers rather than compute: several worker processes (MALL_TEST_WORKERS, default 3)
# finish the run in about half the time. Each test has its own database and bus names, so they can share.
exec python -m pytest -q -p no:cacheprovider -n "${MALL_TEST_WORKERS:-3}" --dist worksteal "$@"
