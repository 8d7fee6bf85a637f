<?php
/**
 * Shared arrange steps: an empty queue, no lock, no pause; canned sidecar answers where a test
 * needs a status the real sidecar will not give on demand (429, 5xx, a timeout).
 */

use PHPUnit\Framework\TestCase;

abstract class PluginTestCase extends TestCase {

	/** @var array[] Requests the canned sidecar saw: url, args. */
	protected $requests = array();

	protected function setUp(): void {
		global $wpdb;
		$wpdb->query( 'DELETE FROM ' . Contact_Bridge_Queue::table() ); // phpcs:ignore -- rows and the lock row
		delete_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER );
		delete_site_option( Contact_Bridge_Settings::OPTION_LAST_ERROR );
		$this->requests = array();
	}

	protected function tearDown(): void {
		remove_all_filters( 'pre_http_request' );
	}

	/**
	 * The sidecar answers each request with the next of these statuses (0: no answer).
	 *
	 * @param int[] $statuses Statuses in order; the last repeats.
	 * @param int   $sleep_ms Time each answer takes.
	 */
	protected function sidecarAnswers( array $statuses, $sleep_ms = 0 ) {
		add_filter(
			'pre_http_request',
			function ( $pre, $args, $url ) use ( &$statuses, $sleep_ms ) {
				$this->requests[] = array( 'url' => $url, 'args' => $args );
				if ( $sleep_ms > 0 ) {
					usleep( $sleep_ms * 1000 );
				}
				$status = count( $statuses ) > 1 ? array_shift( $statuses ) : $statuses[0];
				if ( 0 === $status ) {
					return new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' );
				}
				return array(
					'headers'  => array(),
					'body'     => $status < 300 ? '{"action":"unchanged","contact_id":null,"reason":null}' : '{"error":{"code":"X","message":"refused"}}',
					'response' => array( 'code' => $status, 'message' => 'canned' ),
					'cookies'  => array(),
					'filename' => null,
				);
			},
			10,
			3
		);
	}

	/** @return array[] Queue rows, oldest first. */
	protected function queueRows() {
		global $wpdb;
		return $wpdb->get_results( 'SELECT * FROM ' . Contact_Bridge_Queue::table() . ' WHERE user_id > 0 ORDER BY id', ARRAY_A ); // phpcs:ignore
	}

	protected function client( $timeout = 3 ) {
		return new Contact_Bridge_Client( 'http://127.0.0.1:9', str_repeat( 's', 40 ), $timeout );
	}
}
