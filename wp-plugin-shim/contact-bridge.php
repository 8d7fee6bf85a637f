<?php
/**
 * Plugin Name:       Contact Bridge
 * Plugin URI:        https://github.com/contact-bridge/contact-bridge
 * Description:       Keeps WordPress users linked to CRM (CiviCRM-compatible) contacts through the contact-bridge sidecar: registrations, profile edits, logins and deletions are sent as signed events, Tools → Synchronize Users to Contacts links everyone, and Tools → Link health finds and repairs broken links.
 * Version:           0.2.0
 * Requires at least: 5.8
 * Requires PHP:      7.4
 * Author:            contact-bridge
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       contact-bridge
 * Domain Path:       /languages
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'CONTACT_BRIDGE_VERSION', '0.2.0' );
define( 'CONTACT_BRIDGE_PLUGIN_FILE', __FILE__ );
define( 'CONTACT_BRIDGE_PLUGIN_DIR', plugin_dir_path( __FILE__ ) );

require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-settings.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-client.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-queue.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-scope.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-contact-link.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-health.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-dispatcher.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-email-changes.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-privacy.php';
require_once CONTACT_BRIDGE_PLUGIN_DIR . 'includes/class-contact-bridge-plugin.php';

if ( is_admin() || wp_doing_ajax() ) {
	require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-settings-page.php';
	require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-sync-page.php';
	require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-users-column.php';
	require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-health-page.php';
	require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-profile.php';
}

register_activation_hook( __FILE__, array( 'Contact_Bridge_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Contact_Bridge_Plugin', 'deactivate' ) );

Contact_Bridge_Plugin::add_hooks();
