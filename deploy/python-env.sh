#!/usr/bin/env bash
# Create .venv (Python 3.11) with the project and its pinned dependencies; cheap when already done.
# Usage: source deploy/python-env.sh [extras]   (extras: "test" for the test tools)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

python_bin=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    python_bin="$candidate"; break
  fi
done
if [ -z "$python_bin" ]; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv python3-dev gcc >&2
  python_bin=python3
fi
if [ ! -x "$root/.venv/bin/python" ]; then
  "$python_bin" -m venv "$root/.venv" 2>/dev/null || {
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >&2
    "$python_bin" -m venv "$root/.venv"
  }
fi
stamp="$root/.venv/.installed-$(cat "$root/pyproject.toml" | sha256sum | cut -c1-16)-$extras"
if [ ! -f "$stamp" ]; then
  target="$root"
  [ -n "$extras" ] && target="$root[$extras]"
  # (grep drops pip's warnings about find-links folders some machines configure but lack)
  "$root/.venv/bin/pip" install -q --disable-pip-version-check -e "$target" 2>&1 \
    | { grep -v "^WARNING: Location '" || true; } >&2
  touch "$stamp"
fi
# shellcheck disable=SC1091
source "$root/.venv/bin/activate"
