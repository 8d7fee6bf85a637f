<?php
/**
 * Where the sidecar is and how to sign for it: wp-config.php constants first, then options.
 * On a network the URL and the secret are network options (one sidecar, one secret for every
 * site), edited on the network admin screens only.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Option keys and the effective connection settings.
 */
final class Contact_Bridge_Settings {

	/** Sidecar base URL, e.g. http://127.0.0.1:8787 (overridden by CONTACT_BRIDGE_URL). */
	const OPTION_URL = 'contact_bridge_url';

	/** Shared HMAC secret (overridden by CONTACT_BRIDGE_SECRET). */
	const OPTION_SECRET = 'contact_bridge_secret';

	/** Schema version of the queue table (network-level, like the table and the delivery status below). */
	const OPTION_DB_VERSION = 'contact_bridge_db_version';

	/** Unix time before which no delivery is attempted (set after a failed delivery). */
	const OPTION_RETRY_AFTER = 'contact_bridge_retry_after';

	/** Before 0.2: "1" when the queue may hold events (no longer written; uninstall removes it). */
	const OPTION_QUEUE_HINT = 'contact_bridge_queue_hint';

	/** Last delivery failure: array( 'at' => int, 'message' => string ). */
	const OPTION_LAST_ERROR = 'contact_bridge_last_error';

	/** Address of a CRM contact: a template with {id}, absolute (http/https) or relative to wp-admin. */
	const OPTION_CRM_URL = 'contact_bridge_crm_url';

	/** CiviCRM's contact screen inside wp-admin (the default of OPTION_CRM_URL). */
	const DEFAULT_CRM_URL = 'admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid={id}';

	/** Settings API group of the settings page. */
	const SETTINGS_GROUP = 'contact_bridge';

	/** The sidecar rejects shorter secrets. */
	const MIN_SECRET_LENGTH = 32;

	/**
	 * Every per-site option the plugin may create (uninstall deletes them all).
	 *
	 * @return string[]
	 */
	public static function all_option_names() {
		return array(
			self::OPTION_URL,
			self::OPTION_SECRET,
			self::OPTION_DB_VERSION,
			self::OPTION_RETRY_AFTER,
			self::OPTION_QUEUE_HINT,
			self::OPTION_LAST_ERROR,
			self::OPTION_CRM_URL,
		);
	}

	/**
	 * Network options the plugin may create on multisite (uninstall deletes them).
	 *
	 * @return string[]
	 */
	public static function network_option_names() {
		return array( self::OPTION_URL, self::OPTION_SECRET, self::OPTION_DB_VERSION, self::OPTION_RETRY_AFTER, self::OPTION_LAST_ERROR, self::OPTION_CRM_URL );
	}

	/**
	 * Whether wp-config.php sets the URL (then it is editable nowhere).
	 *
	 * @return bool
	 */
	public static function url_is_constant() {
		return defined( 'CONTACT_BRIDGE_URL' ) && '' !== (string) CONTACT_BRIDGE_URL;
	}

	/**
	 * Whether wp-config.php sets the secret.
	 *
	 * @return bool
	 */
	public static function secret_is_constant() {
		return defined( 'CONTACT_BRIDGE_SECRET' ) && '' !== (string) CONTACT_BRIDGE_SECRET;
	}

	/**
	 * A connection setting as stored: a network option on multisite, a site option otherwise.
	 *
	 * @param string $name OPTION_URL, OPTION_SECRET or OPTION_CRM_URL.
	 * @return string
	 */
	public static function stored( $name ) {
		return (string) ( is_multisite() ? get_site_option( $name, '' ) : get_option( $name, '' ) );
	}

	/**
	 * Stores a connection setting where stored() reads it.
	 *
	 * @param string $name  OPTION_URL, OPTION_SECRET or OPTION_CRM_URL.
	 * @param string $value Sanitized value.
	 */
	public static function store( $name, $value ) {
		if ( is_multisite() ) {
			update_site_option( $name, (string) $value );
		} else {
			update_option( $name, (string) $value );
		}
	}

	/**
	 * Effective sidecar base URL without a trailing slash ('' when unset).
	 *
	 * @return string
	 */
	public static function url() {
		$url = self::url_is_constant() ? (string) CONTACT_BRIDGE_URL : self::stored( self::OPTION_URL );
		return untrailingslashit( trim( $url ) );
	}

	/**
	 * Effective shared secret ('' when unset).
	 *
	 * @return string
	 */
	public static function secret() {
		return self::secret_is_constant() ? (string) CONTACT_BRIDGE_SECRET : self::stored( self::OPTION_SECRET );
	}

	/**
	 * Whether both the URL and the secret are known.
	 *
	 * @return bool
	 */
	public static function is_configured() {
		return '' !== self::url() && '' !== self::secret();
	}

	/**
	 * The CRM contact URL template in effect (the default when none is saved).
	 *
	 * @return string
	 */
	public static function crm_url_template() {
		$template = trim( self::stored( self::OPTION_CRM_URL ) );
		return '' === $template ? self::DEFAULT_CRM_URL : $template;
	}
}
