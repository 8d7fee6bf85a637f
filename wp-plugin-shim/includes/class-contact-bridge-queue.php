<?php
/**
 * Durable queue of events the sidecar has not accepted yet: one table of the plugin's own.
 *
 * At most one row per user (UNIQUE user_id): a newer event for a queued user replaces the
 * event name and keeps the first queued_at. The sidecar reads the user's current state from
 * the database, so delivering the newest event once is enough. A row is deleted only when the
 * revision that was delivered is still the current one, so an event queued while a delivery is
 * in flight is never lost. Concurrent writers are safe: the unique key does the merging.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Queue table access.
 */
final class Contact_Bridge_Queue {

	/** Bump when the table changes. */
	const SCHEMA_VERSION = '1';

	/** Table name without the site prefix. */
	const TABLE = 'contact_bridge_queue';

	/**
	 * Full table name for the current site.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . self::TABLE;
	}

	/**
	 * Creates or upgrades the table (dbDelta).
	 */
	public static function install() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = self::table();
		$charset = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned NOT NULL,
  blog_id bigint(20) unsigned NOT NULL DEFAULT 1,
  event varchar(32) NOT NULL,
  queued_at bigint(20) unsigned NOT NULL,
  revision int(10) unsigned NOT NULL DEFAULT 1,
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  last_error varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY  (id),
  UNIQUE KEY user_id (user_id)
) {$charset};"
		);
		update_option( Contact_Bridge_Settings::OPTION_DB_VERSION, self::SCHEMA_VERSION );
	}

	/**
	 * Installs the table when the stored schema version differs (updates, network sites).
	 */
	public static function maybe_upgrade() {
		if ( get_option( Contact_Bridge_Settings::OPTION_DB_VERSION ) !== self::SCHEMA_VERSION ) {
			self::install();
		}
	}

	/**
	 * Drops the table of the current site (uninstall).
	 */
	public static function drop() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . self::table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- prefix + constant.
	}

	/**
	 * Adds or merges an event for a user.
	 *
	 * @param string $event   Event name.
	 * @param int    $user_id User id.
	 * @param int    $blog_id Site id.
	 * @param string $error   Why it is queued.
	 * @return bool Whether the row was written.
	 */
	public static function push( $event, $user_id, $blog_id, $error = '' ) {
		global $wpdb;
		$table  = self::table();
		$result = $wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"INSERT INTO {$table} (user_id, blog_id, event, queued_at, last_error) VALUES (%d, %d, %s, %d, %s)
				 ON DUPLICATE KEY UPDATE event = VALUES(event), blog_id = VALUES(blog_id),
				 revision = revision + 1, last_error = VALUES(last_error)",
				(int) $user_id,
				max( 1, (int) $blog_id ),
				(string) $event,
				time(),
				self::clip( $error )
			)
		);
		if ( false === $result ) {
			return false;
		}
		update_option( Contact_Bridge_Settings::OPTION_QUEUE_HINT, '1' );
		return true;
	}

	/**
	 * Oldest entries first.
	 *
	 * @param int $limit Maximum rows.
	 * @return array[] Rows with id, user_id, blog_id, event, queued_at, revision, attempts.
	 */
	public static function oldest( $limit ) {
		global $wpdb;
		$table = self::table();
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"SELECT id, user_id, blog_id, event, queued_at, revision, attempts FROM {$table} ORDER BY id ASC LIMIT %d",
				max( 1, (int) $limit )
			),
			ARRAY_A
		);
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * Deletes a delivered entry unless a newer event was merged into it meanwhile.
	 *
	 * @param array $row A row from oldest().
	 */
	public static function remove_delivered( array $row ) {
		global $wpdb;
		$wpdb->delete(
			self::table(),
			array(
				'id'       => (int) $row['id'],
				'revision' => (int) $row['revision'],
			),
			array( '%d', '%d' )
		);
	}

	/**
	 * Deletes an entry for good (the sidecar will never accept it).
	 *
	 * @param array $row A row from oldest().
	 */
	public static function discard( array $row ) {
		self::remove_delivered( $row );
	}

	/**
	 * Records a failed attempt.
	 *
	 * @param array  $row   A row from oldest().
	 * @param string $error Reason.
	 */
	public static function mark_failed( array $row, $error ) {
		global $wpdb;
		$table = self::table();
		$wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"UPDATE {$table} SET attempts = attempts + 1, last_error = %s WHERE id = %d",
				self::clip( $error ),
				(int) $row['id']
			)
		);
	}

	/**
	 * Number of queued events.
	 *
	 * @return int
	 */
	public static function count() {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table}" );
	}

	/**
	 * @param string $text Any text.
	 * @return string At most 255 characters.
	 */
	private static function clip( $text ) {
		$text = (string) $text;
		return function_exists( 'mb_substr' ) ? mb_substr( $text, 0, 255 ) : substr( $text, 0, 255 );
	}
}
