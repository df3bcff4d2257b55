#!/usr/bin/env bash
# Build the mini-program (client/): install its npm packages from the lock, then build each target named
# (h5, alipay) into client/dist/<target>. Cheap when nothing changed: a target is rebuilt only when a
# source, its config or the lock is newer than its last build (client/dist/<target>/.built).
# Usage: bash deploy/build-client.sh h5 [alipay]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/client"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
fi
# client/.npmrc keeps install scripts off: the native parts come as registry packages for this platform.
# `npm install` keeps to the lock as `npm ci` would, but `npm ci` refuses this lock: Taro 4.2's binding
# names platform packages (darwin, win32, arm64) that were never published, so the lock cannot list them.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --ignore-scripts --no-audit --no-fund >&2
fi
inputs=(src config types package.json package-lock.json babel.config.js tsconfig.json)
for target in "$@"; do
  stamp="dist/$target/.built"
  if [ -f "$stamp" ] && [ -z "$(find "${inputs[@]}" -newer "$stamp" -print -quit)" ]; then
    echo "client: dist/$target is up to date" >&2
    continue
  fi
  started=$(date +%s)
  rm -rf "dist/$target"
  npx taro build --type "$target" >&2
  if [ "$target" = h5 ]; then  # compressed copies (brotli and gzip), which the gateway sends to browsers that accept them
    find dist/h5 -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' \) -exec gzip -9 -k -f {} +
    find dist/h5 -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' \) -exec node -e '
      const fs = require("node:fs"), zlib = require("node:zlib")
      for (const file of process.argv.slice(1)) {
        fs.writeFileSync(file + ".br", zlib.brotliCompressSync(fs.readFileSync(file), {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: fs.statSync(file).size } }))
      }' {} +
  fi
  touch "$stamp"
  echo "client: built dist/$target in $(( $(date +%s) - started ))s" >&2
done
