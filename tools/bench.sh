#!/usr/bin/env bash
# npm run bench: build, then run the bulk sync benchmark (prints a table; asserts nothing).
# BENCH_SIZES=10000,100000 shortens it; MYSQL_URL uses an existing server instead of a private one.
# --galera: the bulk sync and the hook path on a 3-node Galera cluster against one server (bench/galera.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
if [ "${1:-}" = "--galera" ]; then
  tools/ensure-system-packages.sh --with-galera
  exec node dist/bench/galera.js
fi
exec node dist/bench/bulk-sync.js
