#!/usr/bin/env bash
# Runs every test: unit, integration (real MariaDB), end-to-end (real WordPress, real Chromium),
# and the plugin's PHPUnit suite (test/php, run by test/e2e/plugin-phpunit.test.ts against a real site),
# and the Galera suite (test/integration/galera.test.ts: a 3-node cluster of its own, whatever MYSQL_URL says).
# Without MYSQL_URL a private MariaDB is started for the run; with it, that server is used
# (the tests create and drop their own databases there).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(--with-wordpress --with-browser --with-phpunit --with-systemd --with-gettext --with-galera)
[ -z "${MYSQL_URL:-}" ] && packages+=(--with-db)
tools/ensure-system-packages.sh "${packages[@]}"
tools/ensure-node-modules.sh

mkdir -p test-output
specs=('dist/test/unit/**/*.test.js' 'dist/test/integration/**/*.test.js')
if compgen -G 'dist/test/e2e/*.test.js' >/dev/null || compgen -G 'dist/test/e2e/**/*.test.js' >/dev/null; then
  specs+=('dist/test/e2e/**/*.test.js')
fi
exec npx mocha --config .mocharc.cjs "${specs[@]}" "$@"
