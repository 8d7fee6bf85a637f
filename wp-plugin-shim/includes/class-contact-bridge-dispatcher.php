<?php
/**
 * Turns user hooks into events for the sidecar, without ever slowing or breaking them.
 *
 * Write-ahead: when a hook fires, the event is stored in the queue table at once (one upsert).
 * The queue is the record; sending is an optimisation: at `shutdown` of the request that
 * queued (after the response has been flushed where the server allows it), and from WP-Cron,
 * never from an ordinary page view. Draining is done by one process at a time (the drain
 * lock) within a time budget. What the sidecar answers decides each row: 2xx deletes it; 401
 * keeps it (a secret being rotated); 429, 5xx and no answer keep it with a backoff and pause
 * every drain for a while; any other 4xx drops it with a logged reason (no retry changes it).
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Event recording and delivery.
 */
final class Contact_Bridge_Dispatcher {

	/** Seconds without drains after a transient failure (filter: contact_bridge_retry_delay). */
	const RETRY_DELAY = 30;

	/** Longest backoff of one row, seconds. */
	const MAX_BACKOFF = 3600;

	/** Events the request that queued may deliver at its shutdown. */
	const SHUTDOWN_DRAIN_LIMIT = 25;

	/** Seconds that request may spend delivering. */
	const SHUTDOWN_DRAIN_SECONDS = 5;

	/** Seconds a WP-Cron run may spend delivering. */
	const CRON_DRAIN_SECONDS = 25;

	/** Rows read per query while draining. */
	const BATCH = 10;

	/** What to do with a row after an answer. */
	const DELIVERED = 'delivered';
	const DROP      = 'drop';
	const KEEP      = 'keep';

	/**
	 * Whether this request queued an event (only such a request drains at shutdown).
	 *
	 * @var bool
	 */
	private static $queued = false;

	/**
	 * @param int $user_id New user.
	 */
	public static function on_user_register( $user_id ) {
		self::record( 'user_register', $user_id );
	}

	/**
	 * @param int $user_id Updated user.
	 */
	public static function on_profile_update( $user_id ) {
		self::record( 'profile_update', $user_id );
	}

	/**
	 * Fires after the user's rows are gone (single site), after a network deletion
	 * (wpmu_delete_user), and when a user is only removed from one site of a network; the
	 * sidecar reads the users table and unlinks only a user that no longer exists, then in
	 * every CRM domain where it was linked.
	 *
	 * @param int $user_id Deleted user.
	 */
	public static function on_deleted_user( $user_id ) {
		self::record( 'deleted_user', $user_id );
	}

	/**
	 * Network deletion (Network Admin → Users): recorded before WordPress deletes the rows;
	 * the event is sent after they are gone (at shutdown or later), so it unlinks everywhere.
	 *
	 * @param int $user_id User being deleted from the network.
	 */
	public static function on_wpmu_delete_user( $user_id ) {
		self::record( 'deleted_user', $user_id );
	}

	/**
	 * Multisite: a user added to a site is reconciled in that site's CRM domain (where the site has
	 * a domain of its own, its members are the domain's users).
	 *
	 * @param int    $user_id User id.
	 * @param string $role    Role (unused).
	 * @param int    $blog_id Site the user was added to.
	 */
	public static function on_add_user_to_blog( $user_id, $role, $blog_id ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundAfterLastUsed
		self::record( 'profile_update', $user_id, (int) $blog_id );
	}

	/**
	 * Multisite: a user removed from a site (not deleted) is reconciled in that site's CRM domain
	 * once its membership is gone: a member of none of the domain's sites is unlinked there, its
	 * contact kept. WordPress removes the membership after this hook; the event is sent later.
	 *
	 * @param int $user_id User id.
	 * @param int $blog_id Site the user is removed from.
	 */
	public static function on_remove_user_from_blog( $user_id, $blog_id ) {
		self::record( 'profile_update', $user_id, (int) $blog_id );
	}

	/**
	 * @param string  $user_login Login name.
	 * @param WP_User $user       The user.
	 */
	public static function on_wp_login( $user_login, $user = null ) {
		if ( $user instanceof WP_User ) {
			self::record( 'wp_login', $user->ID );
		}
	}

	/**
	 * Stores an event in the queue now (write-ahead); it is delivered at shutdown or later.
	 *
	 * @param string   $event   Event name.
	 * @param int      $user_id User id.
	 * @param int|null $blog_id Site (default: the current one).
	 */
	public static function record( $event, $user_id, $blog_id = null ) {
		$user_id = (int) $user_id;
		$blog_id = null === $blog_id ? get_current_blog_id() : max( 1, (int) $blog_id );
		if ( $user_id <= 0 || ! in_array( $event, Contact_Bridge_Client::EVENTS, true ) ) {
			return;
		}
		if ( ! Contact_Bridge_Queue::push( $event, $user_id, $blog_id ) ) {
			// The queue table is missing (a site the plugin has not upgraded yet): create it and retry once.
			Contact_Bridge_Queue::install();
			if ( ! Contact_Bridge_Queue::push( $event, $user_id, $blog_id ) ) {
				self::log( sprintf( 'could not queue %s for user %d', $event, $user_id ) );
				return;
			}
		}
		self::$queued = true;
	}

	/**
	 * Shutdown of a request that queued: deliver within a short budget, after the response.
	 */
	public static function on_shutdown() {
		if ( ! self::$queued ) {
			return;
		}
		self::$queued = false;
		$client       = Contact_Bridge_Client::from_settings();
		if ( ! $client->is_configured() || self::in_retry_delay() ) {
			self::schedule_retry();
			return;
		}
		self::finish_response();
		self::drain( $client, self::SHUTDOWN_DRAIN_LIMIT, self::SHUTDOWN_DRAIN_SECONDS );
	}

	/**
	 * WP-Cron: deliver the queue (recurring run, or a one-off 'retry' run).
	 *
	 * @param string $reason '' (the recurring run), 'retry' or 'settings' (one-off runs; a retry only delivers).
	 */
	public static function on_cron( $reason = '' ) {
		if ( ! Contact_Bridge_Queue::table_exists() ) {
			// A run that WP-Cron started before the plugin was uninstalled (WordPress reschedules a
			// recurring event before it runs it, and the run still holds the options it loaded at
			// its start): nothing to deliver, and no event left behind.
			wp_unschedule_hook( Contact_Bridge_Plugin::CRON_HOOK );
			return;
		}
		$client = Contact_Bridge_Client::from_settings();
		if ( ! $client->is_configured() || self::in_retry_delay() ) {
			return;
		}
		self::drain( $client, PHP_INT_MAX, self::CRON_DRAIN_SECONDS );
		// Then the CRM's address changes for WordPress (EMAIL_DIRECTION=both; none otherwise).
		if ( 'retry' !== $reason && ! self::in_retry_delay() ) {
			Contact_Bridge_Email_Changes::poll( $client );
		}
	}

	/**
	 * The connection settings changed: every queued event is due again and WP-Cron delivers
	 * them on the next request that runs it (a 401 kept during a secret rotation included).
	 */
	public static function on_settings_changed() {
		Contact_Bridge_Queue::make_all_due();
		delete_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER );
		if ( ! wp_next_scheduled( Contact_Bridge_Plugin::CRON_HOOK, array( 'settings' ) ) ) {
			wp_schedule_single_event( time(), Contact_Bridge_Plugin::CRON_HOOK, array( 'settings' ) );
		}
	}

	/**
	 * Which way an answer sends a queued event.
	 *
	 * @param int $status HTTP status (0: no answer, a timeout or a refused connection).
	 * @return string DELIVERED, DROP or KEEP.
	 */
	public static function verdict( $status ) {
		$status = (int) $status;
		if ( $status >= 200 && $status < 300 ) {
			return self::DELIVERED;
		}
		if ( $status >= 400 && $status < 500 && 401 !== $status && 429 !== $status ) {
			return self::DROP;
		}
		return self::KEEP;
	}

	/**
	 * Seconds before a kept row is tried again: 30 s doubling with each attempt, at most an hour.
	 *
	 * @param int $attempts Attempts so far.
	 * @return int
	 */
	public static function backoff( $attempts ) {
		return (int) min( self::MAX_BACKOFF, self::RETRY_DELAY * pow( 2, min( 12, max( 0, (int) $attempts ) ) ) );
	}

	/**
	 * Delivers due rows, oldest first, while this process holds the drain lock, until the queue
	 * is empty, an answer says to stop, or the budget is spent.
	 *
	 * @param Contact_Bridge_Client $client      Client.
	 * @param int                   $max_events  Maximum deliveries.
	 * @param float                 $max_seconds Time budget (each request's timeout fits in what is left).
	 * @return int Rows delivered or dropped.
	 */
	public static function drain( Contact_Bridge_Client $client, $max_events, $max_seconds ) {
		$token = Contact_Bridge_Queue::acquire_lock( (int) ceil( $max_seconds ) + 10 );
		if ( null === $token ) {
			return 0; // Another process is draining.
		}
		$started = microtime( true );
		$done    = 0;
		try {
			while ( $done < $max_events ) {
				$rows = Contact_Bridge_Queue::due( min( self::BATCH, $max_events - $done ), time() );
				if ( empty( $rows ) ) {
					return $done;
				}
				foreach ( $rows as $row ) {
					$left = $max_seconds - ( microtime( true ) - $started );
					if ( $left <= 0.1 ) {
						self::schedule_retry();
						return $done;
					}
					$result = $client->send_event( $row['event'], (int) $row['user_id'], (int) $row['blog_id'], (int) $row['queued_at'], $left );
					switch ( self::verdict( $result['status'] ) ) {
						case self::DELIVERED:
							Contact_Bridge_Queue::remove( $row );
							break;
						case self::DROP:
							Contact_Bridge_Queue::remove( $row );
							/* translators: 1: event name, 2: user id, 3: reason. */
							self::note_failure( sprintf( __( 'Dropped %1$s of user %2$d: %3$s', 'contact-bridge' ), $row['event'], (int) $row['user_id'], $result['error'] ) );
							break;
						default:
							Contact_Bridge_Queue::defer( $row, $result['error'], self::backoff( (int) $row['attempts'] ) );
							self::note_failure( $result['error'] );
							self::pause();
							return $done;
					}
					++$done;
				}
			}
			self::schedule_retry();
			return $done;
		} finally {
			Contact_Bridge_Queue::release_lock( $token );
		}
	}

	/**
	 * Remembers the last failure (shown on the settings page) and logs it.
	 *
	 * @param string $message Reason.
	 */
	private static function note_failure( $message ) {
		update_site_option(
			Contact_Bridge_Settings::OPTION_LAST_ERROR,
			array(
				'at'      => time(),
				'message' => (string) $message,
			)
		);
		self::log( (string) $message );
	}

	/**
	 * No drain for a while after a transient failure (the sidecar is down, hung or busy).
	 */
	private static function pause() {
		$delay = (int) apply_filters( 'contact_bridge_retry_delay', self::RETRY_DELAY );
		update_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER, time() + max( 0, $delay ) );
		self::schedule_retry();
	}

	/**
	 * A one-off WP-Cron drain soon, on top of the recurring one.
	 */
	private static function schedule_retry() {
		$args = array( 'retry' );
		if ( ! wp_next_scheduled( Contact_Bridge_Plugin::CRON_HOOK, $args ) ) {
			wp_schedule_single_event( time() + MINUTE_IN_SECONDS, Contact_Bridge_Plugin::CRON_HOOK, $args );
		}
	}

	/**
	 * @return bool Whether a recent failure says not to try yet.
	 */
	private static function in_retry_delay() {
		return (int) get_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER, 0 ) > time();
	}

	/**
	 * @param string $message What happened.
	 */
	private static function log( $message ) {
		error_log( 'contact-bridge: ' . $message ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
	}

	/**
	 * Sends the response to the visitor before talking to the sidecar, where possible.
	 */
	private static function finish_response() {
		ignore_user_abort( true );
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
		}
	}
}
