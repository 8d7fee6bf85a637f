<?php
/**
 * The plugin's write-ahead queue: every event is a row here from the moment its hook fires
 * until the sidecar has answered 2xx, so a worker that dies before `shutdown` loses nothing.
 *
 * One table for the whole network (the base prefix), at most one row per user and site
 * (UNIQUE user_id, blog_id): a newer event for a queued user is merged into it by one upsert
 * (event name, revision + 1, due now) and keeps the first queued_at. The sidecar reads the
 * user's current state from the database, so delivering the newest event once is enough. A
 * row is deleted only while its revision is the one that was delivered, so an event merged
 * while a delivery is in flight is never lost. Delivery is done by one process at a time: the
 * drain lock is a row of this table (user 0, site 0) with its owner and its expiry.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Queue table and drain lock.
 */
final class Contact_Bridge_Queue {

	/** Bump when the table changes. */
	const SCHEMA_VERSION = '2';

	/** The drain lock's row: no user or site has id 0. */
	const LOCK_ID = 0;

	/** Table name without the site prefix. */
	const TABLE = 'contact_bridge_queue';

	/**
	 * Full table name: one for the network (the main site's prefix), whichever site is current.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->base_prefix . self::TABLE;
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
  next_attempt_at bigint(20) unsigned NOT NULL DEFAULT 0,
  last_error varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY  (id),
  UNIQUE KEY user_blog (user_id,blog_id)
) {$charset};"
		);
		// 0.1 kept one row per user (UNIQUE user_id); events of two sites are two rows now.
		if ( $wpdb->get_var( "SHOW INDEX FROM {$table} WHERE Key_name = 'user_id'" ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$wpdb->query( "ALTER TABLE {$table} DROP INDEX user_id" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		update_site_option( Contact_Bridge_Settings::OPTION_DB_VERSION, self::SCHEMA_VERSION );
	}

	/**
	 * Whether the queue is installed (its schema version is recorded; uninstall removes it first).
	 *
	 * @return bool
	 */
	public static function is_installed() {
		return false !== get_site_option( Contact_Bridge_Settings::OPTION_DB_VERSION, false );
	}

	/**
	 * Whether the queue table exists now, asked of the database (not of the options a long
	 * request loaded at its start: a WP-Cron run that began before an uninstall still sees them).
	 *
	 * @return bool
	 */
	public static function table_exists() {
		global $wpdb;
		$table = self::table();
		return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
	}

	/**
	 * Installs the table when the stored schema version differs (an update of the plugin).
	 */
	public static function maybe_upgrade() {
		if ( get_site_option( Contact_Bridge_Settings::OPTION_DB_VERSION ) !== self::SCHEMA_VERSION ) {
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
	 * Records an event for a user: one upsert on the unique user_id. The row is due at once.
	 *
	 * @param string $event   Event name.
	 * @param int    $user_id User id.
	 * @param int    $blog_id Site id.
	 * @return bool Whether the row was written.
	 */
	public static function push( $event, $user_id, $blog_id ) {
		global $wpdb;
		$table  = self::table();
		$result = $wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"INSERT INTO {$table} (user_id, blog_id, event, queued_at) VALUES (%d, %d, %s, %d)
				 ON DUPLICATE KEY UPDATE event = VALUES(event), blog_id = VALUES(blog_id), revision = revision + 1, next_attempt_at = 0",
				(int) $user_id,
				max( 1, (int) $blog_id ),
				(string) $event,
				time()
			)
		);
		return false !== $result;
	}

	/**
	 * Rows due for delivery, oldest first.
	 *
	 * @param int $limit Maximum rows.
	 * @param int $now   Unix time.
	 * @return array[] Rows with id, user_id, blog_id, event, queued_at, revision, attempts.
	 */
	public static function due( $limit, $now ) {
		global $wpdb;
		$table = self::table();
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"SELECT id, user_id, blog_id, event, queued_at, revision, attempts FROM {$table} WHERE user_id > 0 AND next_attempt_at <= %d ORDER BY id ASC LIMIT %d",
				(int) $now,
				max( 1, (int) $limit )
			),
			ARRAY_A
		);
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * Deletes a delivered (or dropped) row unless a newer event was merged into it meanwhile.
	 *
	 * @param array $row A row from due().
	 * @return bool Whether it was deleted (false: a newer revision stays queued).
	 */
	public static function remove( array $row ) {
		global $wpdb;
		return 1 === (int) $wpdb->delete(
			self::table(),
			array(
				'id'       => (int) $row['id'],
				'revision' => (int) $row['revision'],
			),
			array( '%d', '%d' )
		);
	}

	/**
	 * Keeps a row for a later attempt.
	 *
	 * @param array  $row   A row from due().
	 * @param string $error Reason.
	 * @param int    $delay Seconds until the next attempt.
	 */
	public static function defer( array $row, $error, $delay ) {
		global $wpdb;
		$table = self::table();
		$wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"UPDATE {$table} SET attempts = attempts + 1, last_error = %s, next_attempt_at = %d WHERE id = %d AND revision = %d",
				self::clip( $error ),
				time() + max( 0, (int) $delay ),
				(int) $row['id'],
				(int) $row['revision']
			)
		);
	}

	/**
	 * A user's queued events, on every site (the privacy exporter).
	 *
	 * @param int $user_id User id.
	 * @return array[] Rows with id, blog_id, event, queued_at, attempts, next_attempt_at, last_error.
	 */
	public static function rows_of_user( $user_id ) {
		global $wpdb;
		$table = self::table();
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"SELECT id, blog_id, event, queued_at, attempts, next_attempt_at, last_error FROM {$table} WHERE user_id = %d ORDER BY id",
				(int) $user_id
			),
			ARRAY_A
		);
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * Deletes a user's queued events on every site (the privacy eraser).
	 *
	 * @param int $user_id User id (never the lock's 0).
	 * @return int|false Rows deleted, false on a database error.
	 */
	public static function remove_user( $user_id ) {
		global $wpdb;
		if ( (int) $user_id <= self::LOCK_ID ) {
			return 0;
		}
		return $wpdb->delete( self::table(), array( 'user_id' => (int) $user_id ), array( '%d' ) );
	}

	/**
	 * Makes every row due now (the connection settings changed).
	 */
	public static function make_all_due() {
		global $wpdb;
		$wpdb->query( 'UPDATE ' . self::table() . ' SET next_attempt_at = 0 WHERE user_id > 0' ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- prefix + constant.
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
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table} WHERE user_id > 0" );
	}

	/**
	 * Takes the drain lock for `$seconds`, unless another process holds it and it has not expired:
	 * an INSERT of the lock row that only one process wins, or an UPDATE that only replaces an
	 * expired lock (its owner died). Plain statements on our own table: no cache in the way.
	 *
	 * @param int $seconds Lifetime of the lock.
	 * @return string|null The owner token, or null when the lock is held.
	 */
	public static function acquire_lock( $seconds ) {
		global $wpdb;
		$table   = self::table();
		$now     = time();
		$token   = wp_generate_uuid4();
		$expires = $now + max( 1, (int) $seconds );
		// An uninstall may drop the table under a drain that already began: that is no error.
		$quiet = $wpdb->suppress_errors( true );
		$taken = $wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
				"INSERT IGNORE INTO {$table} (user_id, blog_id, event, queued_at, next_attempt_at, last_error) VALUES (%d, %d, 'lock', %d, %d, %s)",
				self::LOCK_ID,
				self::LOCK_ID,
				$now,
				$expires,
				$token
			)
		);
		$wpdb->suppress_errors( $quiet );
		if ( false === $taken ) {
			$error = $wpdb->last_error;
			if ( self::table_exists() ) {
				$wpdb->print_error( $error ); // A real failure: logged as WordPress logs any other.
			}
			return null;
		}
		if ( 1 !== (int) $taken ) {
			$taken = $wpdb->query(
				$wpdb->prepare(
					// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is prefix + constant.
					"UPDATE {$table} SET next_attempt_at = %d, last_error = %s, queued_at = %d WHERE user_id = %d AND blog_id = %d AND next_attempt_at < %d",
					$expires,
					$token,
					$now,
					self::LOCK_ID,
					self::LOCK_ID,
					$now
				)
			);
		}
		return 1 === (int) $taken ? $token : null;
	}

	/**
	 * Releases the drain lock if this owner still holds it.
	 *
	 * @param string $token From acquire_lock().
	 */
	public static function release_lock( $token ) {
		global $wpdb;
		$wpdb->delete(
			self::table(),
			array(
				'user_id'    => self::LOCK_ID,
				'blog_id'    => self::LOCK_ID,
				'last_error' => (string) $token,
			),
			array( '%d', '%d', '%s' )
		);
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
