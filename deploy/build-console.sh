#!/usr/bin/env bash
# Build the merchant console (console/ → console/dist, which the gateway serves at /console/), only when
# needed: `npm ci` when the lock file is newer than the installed packages, `npm run build` when anything
# the build reads is newer than the last build. Cheap when nothing changed. Installs Node.js and npm with
# apt-get where missing. Everything goes to stderr (the callers' stdout is theirs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/console"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
fi

installed=node_modules/.package-lock.json  # npm writes it at each install
if [ ! -f "$installed" ] || [ package-lock.json -nt "$installed" ]; then
  echo "console: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

built=dist/index.html
sources=(src index.html package.json package-lock.json vite.config.ts tsconfig.json)
if [ ! -f "$built" ] || [ -n "$(find "${sources[@]}" -newer "$built" ! -name "*.test.*" -print -quit)" ]; then
  echo "console: npm run build" >&2
  npm run build --silent >&2
fi
