#!/usr/bin/env bash
# `npm run load`: signed events at a fixed rate on loopback; prints throughput and p50/p95/p99.
# Without LOAD_URL or MYSQL_URL a private MariaDB (.run/load-mariadb) and the sidecar process
# are started for the run. Settings (LOAD_PHASES, LOAD_NEW, LOAD_CONCURRENCY, LOAD_KNOWN) are
# described at the top of tools/load.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=()
[ -z "${MYSQL_URL:-}" ] && [ -z "${LOAD_URL:-}" ] && packages+=(--with-db)
tools/ensure-system-packages.sh ${packages[@]+"${packages[@]}"}
tools/ensure-node-modules.sh
exec node dist/tools/load.js "$@"
