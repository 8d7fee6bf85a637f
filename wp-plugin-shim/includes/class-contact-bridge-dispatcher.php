<?php
/**
 * Turns user hooks into events for the sidecar, without ever slowing or breaking them.
 *
 * During the request, hooks only note "user N changed" in memory. At `shutdown`, after the
 * response has been flushed where the server allows it (fastcgi_finish_request), the events
 * are posted with a short timeout. Whatever is not accepted goes to the durable queue, which
 * the next request's shutdown and WP-Cron deliver, oldest first. After a failed delivery no
 * request talks to the sidecar for a short while (retry-after), so an unreachable sidecar
 * costs nothing but a queue insert.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Event collection and delivery.
 */
final class Contact_Bridge_Dispatcher {

	/** Seconds without delivery attempts after a failure (filter: contact_bridge_retry_delay). */
	const RETRY_DELAY = 10;

	/** Queued events delivered at the end of an ordinary request. */
	const SHUTDOWN_DRAIN_LIMIT = 25;

	/** Seconds an ordinary request may spend draining the queue. */
	const SHUTDOWN_DRAIN_SECONDS = 5;

	/** Seconds a WP-Cron run may spend draining the queue. */
	const CRON_DRAIN_SECONDS = 25;

	/** Sidecar answers that no retry will change: drop the event (and record why). */
	const PERMANENT_STATUSES = array( 400, 413, 422 );

	/**
	 * Events of this request: user id => array( 'event' => string, 'blog_id' => int ).
	 *
	 * @var array
	 */
	private static $pending = array();

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
	 * Fires after the user's rows are gone (single site and network deletion).
	 * On multisite, removing a user from one site also fires this hook; the sidecar reads the
	 * users table and so does not unlink a user that still exists.
	 *
	 * @param int $user_id Deleted user.
	 */
	public static function on_deleted_user( $user_id ) {
		self::record( 'deleted_user', $user_id );
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
	 * Notes an event; one per user per request (the last one wins, deletion always wins).
	 *
	 * @param string $event   Event name.
	 * @param int    $user_id User id.
	 */
	public static function record( $event, $user_id ) {
		$user_id = (int) $user_id;
		if ( $user_id <= 0 || ! in_array( $event, Contact_Bridge_Client::EVENTS, true ) ) {
			return;
		}
		if ( isset( self::$pending[ $user_id ] ) && 'deleted_user' === self::$pending[ $user_id ]['event'] ) {
			return;
		}
		self::$pending[ $user_id ] = array(
			'event'   => $event,
			'blog_id' => get_current_blog_id(),
		);
	}

	/**
	 * Shutdown: deliver this request's events, then some of the queue.
	 */
	public static function on_shutdown() {
		$pending       = self::$pending;
		self::$pending = array();
		$queue_hinted  = '1' === (string) get_option( Contact_Bridge_Settings::OPTION_QUEUE_HINT, '0' );
		if ( empty( $pending ) && ! $queue_hinted ) {
			return;
		}

		$client = Contact_Bridge_Client::from_settings();
		if ( ! $client->is_configured() || self::in_retry_delay() ) {
			$reason = $client->is_configured() ? __( 'Waiting to retry after a failed delivery.', 'contact-bridge' ) : __( 'The sidecar URL or the shared secret is not set.', 'contact-bridge' );
			self::queue_all( $pending, $reason );
			return;
		}

		self::finish_response();

		if ( ! self::deliver_pending( $client, $pending ) ) {
			return;
		}
		if ( $queue_hinted ) {
			self::drain( $client, self::SHUTDOWN_DRAIN_LIMIT, self::SHUTDOWN_DRAIN_SECONDS );
		}
	}

	/**
	 * WP-Cron: deliver the queue (recurring run, or a one-off 'retry' run).
	 *
	 * @param string $reason Unused: tells the one-off run apart from the recurring one.
	 */
	public static function on_cron( $reason = '' ) { // phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.Found
		$client = Contact_Bridge_Client::from_settings();
		if ( ! $client->is_configured() || Contact_Bridge_Queue::count() === 0 ) {
			return;
		}
		self::drain( $client, PHP_INT_MAX, self::CRON_DRAIN_SECONDS );
	}

	/**
	 * Posts this request's events; on the first transient failure, queues the rest unsent.
	 *
	 * @param Contact_Bridge_Client $client  Client.
	 * @param array                 $pending Events of this request.
	 * @return bool Whether the sidecar accepted everything.
	 */
	private static function deliver_pending( Contact_Bridge_Client $client, array $pending ) {
		foreach ( $pending as $user_id => $entry ) {
			unset( $pending[ $user_id ] );
			$result = $client->send_event( $entry['event'], $user_id, $entry['blog_id'] );
			if ( $result['ok'] ) {
				continue;
			}
			if ( self::is_permanent( $result ) ) {
				self::note_failure( $result['error'], false );
				continue;
			}
			Contact_Bridge_Queue::push( $entry['event'], $user_id, $entry['blog_id'], $result['error'] );
			self::queue_all( $pending, $result['error'] );
			self::note_failure( $result['error'], true );
			return false;
		}
		return true;
	}

	/**
	 * Delivers queued events, oldest first, until the queue is empty, a delivery fails,
	 * or the limits are reached.
	 *
	 * @param Contact_Bridge_Client $client      Client.
	 * @param int                   $max_events  Maximum deliveries.
	 * @param int                   $max_seconds Time budget.
	 */
	private static function drain( Contact_Bridge_Client $client, $max_events, $max_seconds ) {
		$started   = microtime( true );
		$delivered = 0;
		while ( $delivered < $max_events && microtime( true ) - $started < $max_seconds ) {
			$rows = Contact_Bridge_Queue::oldest( min( 50, $max_events - $delivered ) );
			if ( empty( $rows ) ) {
				update_option( Contact_Bridge_Settings::OPTION_QUEUE_HINT, '0' );
				return;
			}
			foreach ( $rows as $row ) {
				$result = $client->send_event( $row['event'], (int) $row['user_id'], (int) $row['blog_id'], (int) $row['queued_at'] );
				if ( $result['ok'] ) {
					Contact_Bridge_Queue::remove_delivered( $row );
				} elseif ( self::is_permanent( $result ) ) {
					Contact_Bridge_Queue::discard( $row );
					self::note_failure( $result['error'], false );
				} else {
					Contact_Bridge_Queue::mark_failed( $row, $result['error'] );
					self::note_failure( $result['error'], true );
					return;
				}
				++$delivered;
				if ( microtime( true ) - $started >= $max_seconds ) {
					break;
				}
			}
		}
		self::schedule_retry();
	}

	/**
	 * Queues events without sending them.
	 *
	 * @param array  $pending Events.
	 * @param string $reason  Why.
	 */
	private static function queue_all( array $pending, $reason ) {
		foreach ( $pending as $user_id => $entry ) {
			Contact_Bridge_Queue::push( $entry['event'], $user_id, $entry['blog_id'], $reason );
		}
		if ( ! empty( $pending ) ) {
			self::schedule_retry();
		}
	}

	/**
	 * Remembers a failure; a transient one also pauses delivery attempts briefly.
	 *
	 * @param string $message   Reason.
	 * @param bool   $transient Retry later.
	 */
	private static function note_failure( $message, $transient ) {
		update_option(
			Contact_Bridge_Settings::OPTION_LAST_ERROR,
			array(
				'at'      => time(),
				'message' => (string) $message,
			),
			false
		);
		if ( $transient ) {
			$delay = (int) apply_filters( 'contact_bridge_retry_delay', self::RETRY_DELAY );
			update_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER, time() + max( 0, $delay ) );
			self::schedule_retry();
		}
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
		return (int) get_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER, 0 ) > time();
	}

	/**
	 * @param array $result Client result.
	 * @return bool
	 */
	private static function is_permanent( array $result ) {
		return in_array( (int) $result['status'], self::PERMANENT_STATUSES, true );
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
