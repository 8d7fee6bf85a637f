#!/usr/bin/env bash
# npm run bench: build, then run the bulk sync benchmark (prints a table; asserts nothing).
# BENCH_SIZES=10000,100000 shortens it; MYSQL_URL uses an existing server instead of a private one.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
exec node dist/bench/bulk-sync.js
