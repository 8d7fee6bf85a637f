<?php
/**
 * Removes everything the plugin created: its options, its queue table and its cron events,
 * on every site of a network.
 *
 * @package ContactBridge
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-contact-bridge-settings.php';
require_once __DIR__ . '/includes/class-contact-bridge-queue.php';
require_once __DIR__ . '/includes/class-contact-bridge-scope.php';

/**
 * Cleans the current site.
 */
function contact_bridge_uninstall_site() {
	foreach ( Contact_Bridge_Settings::all_option_names() as $option ) {
		delete_option( $option );
	}
	wp_unschedule_hook( 'contact_bridge_drain_queue' );
	// Per-user test-connection results.
	global $wpdb;
	$wpdb->query(
		$wpdb->prepare(
			"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s OR option_name LIKE %s OR option_name LIKE %s",
			$wpdb->esc_like( '_transient_contact_bridge_' ) . '%',
			$wpdb->esc_like( '_transient_timeout_contact_bridge_' ) . '%',
			$wpdb->esc_like( '_site_transient_contact_bridge_' ) . '%',
			$wpdb->esc_like( '_site_transient_timeout_contact_bridge_' ) . '%'
		)
	);
}

if ( is_multisite() ) {
	foreach ( Contact_Bridge_Settings::network_option_names() as $contact_bridge_option ) {
		delete_site_option( $contact_bridge_option );
	}
	global $wpdb;
	$wpdb->query(
		$wpdb->prepare(
			"DELETE FROM {$wpdb->sitemeta} WHERE meta_key LIKE %s OR meta_key LIKE %s",
			$wpdb->esc_like( '_site_transient_contact_bridge_' ) . '%',
			$wpdb->esc_like( '_site_transient_timeout_contact_bridge_' ) . '%'
		)
	);
	foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $contact_bridge_site_id ) {
		switch_to_blog( (int) $contact_bridge_site_id );
		contact_bridge_uninstall_site();
		restore_current_blog();
	}
} else {
	contact_bridge_uninstall_site();
}
// One queue table for the whole network.
Contact_Bridge_Queue::drop();
