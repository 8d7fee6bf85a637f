#!/usr/bin/env bash
# Installs the Debian packages the demo and the tests need, when they are missing.
# Usage: tools/ensure-system-packages.sh [--with-db] [--with-galera] [--with-wordpress] [--with-browser] [--with-phpunit] [--with-systemd] [--with-gettext]
# As root it runs apt-get; otherwise it prints the exact command to run and fails.
set -euo pipefail

want=()
for arg in "$@"; do
  case "$arg" in
    --with-db)
      command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || want+=(mariadb-server)
      ;;
    --with-galera)
      # The Galera suite starts its own 3-node cluster: the provider, and rsync for state transfers.
      command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || want+=(mariadb-server)
      [ -f /usr/lib/galera/libgalera_smm.so ] || want+=(galera-4)
      [ -x /usr/bin/rsync ] || want+=(rsync)
      ;;
    --with-wordpress)
      command -v php >/dev/null 2>&1 || want+=(php-cli)
      { command -v php >/dev/null 2>&1 && php -m 2>/dev/null | grep -qi '^mysqli$'; } || want+=(php-mysql)
      # Tools → Export Personal Data builds its zip with ZipArchive.
      { command -v php >/dev/null 2>&1 && php -m 2>/dev/null | grep -qi '^zip$'; } || want+=(php-zip)
      [ -f /usr/share/wordpress/wp-settings.php ] || want+=(wordpress)
      ;;
    --with-browser)
      [ -x /usr/bin/chromium ] || want+=(chromium)
      ;;
    --with-phpunit)
      # The plugin's PHPUnit suite (test/php), run against the e2e WordPress site.
      [ -x /usr/bin/phpunit ] || want+=(phpunit)
      ;;
    --with-systemd)
      # systemd-analyze verifies contrib/contact-bridge.service.
      command -v systemd-analyze >/dev/null 2>&1 || want+=(systemd)
      ;;
    --with-gettext)
      # npm run package regenerates the plugin's .pot with xgettext (WP-CLI's make-pot is not a Debian package).
      command -v xgettext >/dev/null 2>&1 || want+=(gettext)
      ;;
    *) echo "ensure-system-packages: unknown option $arg" >&2; exit 2 ;;
  esac
done

[ ${#want[@]} -eq 0 ] && exit 0
# de-duplicate
mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ]; then
  echo "contact-bridge needs these Debian packages: ${want[*]}" >&2
  echo "Install them as root, then run this command again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${want[*]}" >&2
  exit 1
fi

echo "Installing Debian packages: ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
# Debian's packages may start a system-wide server; we never use it, our own instance is private.
echo "Installed: ${want[*]}" >&2
