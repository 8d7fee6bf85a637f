<?php
/**
 * Wires the plugin into WordPress: every hook is registered in add_hooks().
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Plugin bootstrap, activation and the one list of hooks.
 */
final class Contact_Bridge_Plugin {

	/** WP-Cron hook that delivers queued events. */
	const CRON_HOOK = 'contact_bridge_drain_queue';

	/** Custom WP-Cron schedule for the recurring drain. */
	const CRON_SCHEDULE = 'contact_bridge_five_minutes';

	/**
	 * Registers every hook of the plugin, in one readable block.
	 */
	public static function add_hooks() {
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		add_action( 'plugins_loaded', array( 'Contact_Bridge_Queue', 'maybe_upgrade' ) );

		// User events: written to the queue when the hook fires, delivered at shutdown or by WP-Cron.
		add_action( 'user_register', array( 'Contact_Bridge_Dispatcher', 'on_user_register' ), 10, 1 );
		add_action( 'profile_update', array( 'Contact_Bridge_Dispatcher', 'on_profile_update' ), 10, 1 );
		add_action( 'deleted_user', array( 'Contact_Bridge_Dispatcher', 'on_deleted_user' ), 10, 1 );
		add_action( 'wpmu_delete_user', array( 'Contact_Bridge_Dispatcher', 'on_wpmu_delete_user' ), 10, 1 );
		add_action( 'wp_login', array( 'Contact_Bridge_Dispatcher', 'on_wp_login' ), 10, 2 );
		// Multisite: joining or leaving a site counts in the site's CRM domain.
		add_action( 'add_user_to_blog', array( 'Contact_Bridge_Dispatcher', 'on_add_user_to_blog' ), 10, 3 );
		add_action( 'remove_user_from_blog', array( 'Contact_Bridge_Dispatcher', 'on_remove_user_from_blog' ), 10, 2 );
		add_action( 'shutdown', array( 'Contact_Bridge_Dispatcher', 'on_shutdown' ), 1000 );

		// Queued events: WP-Cron delivers whatever a request's shutdown did not.
		add_filter( 'cron_schedules', array( __CLASS__, 'add_cron_schedule' ) );
		add_action( self::CRON_HOOK, array( 'Contact_Bridge_Dispatcher', 'on_cron' ) );
		foreach ( array( 'add_option_', 'update_option_', 'add_site_option_', 'update_site_option_' ) as $when ) {
			add_action( $when . Contact_Bridge_Settings::OPTION_URL, array( 'Contact_Bridge_Dispatcher', 'on_settings_changed' ) );
			add_action( $when . Contact_Bridge_Settings::OPTION_SECRET, array( 'Contact_Bridge_Dispatcher', 'on_settings_changed' ) );
		}

		// Tools → Export / Erase Personal Data: the queue here, the sidecar's rows through its signed routes.
		add_filter( 'wp_privacy_personal_data_exporters', array( 'Contact_Bridge_Privacy', 'register_exporters' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( 'Contact_Bridge_Privacy', 'register_erasers' ) );
		add_action( 'admin_init', array( 'Contact_Bridge_Privacy', 'add_policy_content' ) );

		if ( is_admin() || wp_doing_ajax() ) {
			// Settings → Contact Bridge (single site), Network Admin → Settings → Contact Bridge (network).
			add_action( 'admin_menu', array( 'Contact_Bridge_Settings_Page', 'add_menu' ) );
			add_action( 'network_admin_menu', array( 'Contact_Bridge_Settings_Page', 'add_network_menu' ) );
			add_action( 'admin_init', array( 'Contact_Bridge_Settings_Page', 'register_settings' ) );
			add_action( 'network_admin_edit_' . Contact_Bridge_Settings_Page::NETWORK_ACTION, array( 'Contact_Bridge_Settings_Page', 'handle_network_save' ) );
			add_action( 'admin_post_contact_bridge_test_connection', array( 'Contact_Bridge_Settings_Page', 'handle_test_connection' ) );
			add_filter( 'plugin_action_links_' . plugin_basename( CONTACT_BRIDGE_PLUGIN_FILE ), array( 'Contact_Bridge_Settings_Page', 'add_action_link' ) );

			// Tools → Synchronize Users to Contacts (a site's own CRM domain), Network Admin → Users → … (the network's).
			add_action( 'admin_menu', array( 'Contact_Bridge_Sync_Page', 'add_menu' ) );
			add_action( 'network_admin_menu', array( 'Contact_Bridge_Sync_Page', 'add_network_menu' ) );
			add_action( 'admin_enqueue_scripts', array( 'Contact_Bridge_Sync_Page', 'enqueue_assets' ) );
			add_action( 'wp_ajax_contact_bridge_sync_start', array( 'Contact_Bridge_Sync_Page', 'ajax_start' ) );
			add_action( 'wp_ajax_contact_bridge_sync_status', array( 'Contact_Bridge_Sync_Page', 'ajax_status' ) );

			// Tools → Link health (a site's own CRM domain), Network Admin → Users → Link health (the network's).
			add_action( 'admin_menu', array( 'Contact_Bridge_Health_Page', 'add_menu' ) );
			add_action( 'network_admin_menu', array( 'Contact_Bridge_Health_Page', 'add_network_menu' ) );
			add_action( 'admin_enqueue_scripts', array( 'Contact_Bridge_Health_Page', 'enqueue_assets' ) );
			add_action( 'wp_ajax_contact_bridge_repair_start', array( 'Contact_Bridge_Health_Page', 'ajax_start' ) );
			add_action( 'wp_ajax_contact_bridge_repair_status', array( 'Contact_Bridge_Health_Page', 'ajax_status' ) );

			// Profile screens: "CRM contact" section and Reconcile now.
			add_action( 'show_user_profile', array( 'Contact_Bridge_Profile', 'render_section' ) );
			add_action( 'edit_user_profile', array( 'Contact_Bridge_Profile', 'render_section' ) );
			add_action( 'admin_footer', array( 'Contact_Bridge_Profile', 'render_form' ) );
			add_action( 'admin_post_' . Contact_Bridge_Profile::ACTION, array( 'Contact_Bridge_Profile', 'handle_reconcile' ) );
			add_action( 'admin_notices', array( 'Contact_Bridge_Profile', 'render_notice' ) );
			add_action( 'network_admin_notices', array( 'Contact_Bridge_Profile', 'render_notice' ) );

			// Users screens: "CRM contact" column.
			add_filter( 'manage_users_columns', array( 'Contact_Bridge_Users_Column', 'add_column' ) );
			add_filter( 'wpmu_users_columns', array( 'Contact_Bridge_Users_Column', 'add_column' ) );
			add_filter( 'manage_users_custom_column', array( 'Contact_Bridge_Users_Column', 'render_cell' ), 10, 3 );
		}
	}

	/**
	 * The script both run screens (sync, Link health) build on: start, poll, progress, result.
	 *
	 * @return string Its handle, registered, for a screen script's dependencies.
	 */
	public static function run_panel_script() {
		$handle = 'contact-bridge-run-panel';
		if ( ! wp_script_is( $handle, 'registered' ) ) {
			wp_register_script( $handle, plugins_url( 'admin/js/run-panel.js', CONTACT_BRIDGE_PLUGIN_FILE ), array(), CONTACT_BRIDGE_VERSION, true );
		}
		return $handle;
	}

	/**
	 * Loads translations from the plugin's languages/ folder.
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'contact-bridge', false, dirname( plugin_basename( CONTACT_BRIDGE_PLUGIN_FILE ) ) . '/languages' );
	}

	/**
	 * Adds the five-minute schedule used by the recurring queue drain.
	 *
	 * @param array $schedules Registered schedules.
	 * @return array
	 */
	public static function add_cron_schedule( $schedules ) {
		$schedules[ self::CRON_SCHEDULE ] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes (Contact Bridge queue)', 'contact-bridge' ),
		);
		return $schedules;
	}

	/**
	 * Activation: create the queue table and schedule the recurring drain.
	 */
	public static function activate() {
		Contact_Bridge_Queue::install();
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + 5 * MINUTE_IN_SECONDS, self::CRON_SCHEDULE, self::CRON_HOOK );
		}
	}

	/**
	 * Deactivation: stop the cron job. Options and the queue stay until uninstall.
	 */
	public static function deactivate() {
		wp_unschedule_hook( self::CRON_HOOK );
	}
}
