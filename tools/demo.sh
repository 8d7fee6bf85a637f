#!/usr/bin/env bash
# Brings the whole thing up for a look: a private MariaDB in .run/ (or MYSQL_URL), the
# sidecar, and a few demo users reconciled through the signed API. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(--with-wordpress)
[ -z "${MYSQL_URL:-}" ] && packages+=(--with-db)
tools/ensure-system-packages.sh "${packages[@]}"
tools/ensure-node-modules.sh
exec node dist/tools/demo.js "$@"
