<?php
/**
 * Loads the WordPress site that test/e2e/plugin-phpunit.test.ts installed (CB_WP_SITE_DIR,
 * CB_WP_URL), with the contact-bridge plugin active, as a CLI request of that site.
 */
$contact_bridge_site = getenv( 'CB_WP_SITE_DIR' );
$contact_bridge_url  = getenv( 'CB_WP_URL' );
if ( ! $contact_bridge_site || ! $contact_bridge_url ) {
	fwrite( STDERR, "CB_WP_SITE_DIR and CB_WP_URL must name an installed site (run through npm test).\n" );
	exit( 1 );
}
define( 'ABSPATH', rtrim( $contact_bridge_site, '/' ) . '/' );
$contact_bridge_host          = (string) parse_url( $contact_bridge_url, PHP_URL_HOST ) . ':' . (string) parse_url( $contact_bridge_url, PHP_URL_PORT );
$_SERVER['HTTP_HOST']         = $contact_bridge_host;
$_SERVER['SERVER_NAME']       = (string) parse_url( $contact_bridge_url, PHP_URL_HOST );
$_SERVER['SERVER_PORT']       = (string) parse_url( $contact_bridge_url, PHP_URL_PORT );
$_SERVER['REQUEST_URI']       = '/';
$_SERVER['REQUEST_METHOD']    = 'GET';
$_SERVER['REMOTE_ADDR']       = '127.0.0.1';
require_once ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-settings-page.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-sync-page.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-users-column.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-health-page.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-health-list-table.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-profile.php';
// The tests drive delivery themselves; nothing is sent when the test process ends.
remove_action( 'shutdown', array( 'Contact_Bridge_Dispatcher', 'on_shutdown' ), 1000 );
Contact_Bridge_Queue::maybe_upgrade();
require_once __DIR__ . '/PluginTestCase.php';
