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
		delete_option( Contact_Bridge_Settings::OPTION_CRM_URL );
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

	/**
	 * The sidecar answers each request with what $answer returns for it: array( status, body ).
	 * Requests are recorded with their method, path (from /v1/ on, with the query) and decoded body.
	 *
	 * @param callable $answer function ( string $method, string $path, array|null $body ): array.
	 */
	protected function sidecarRoutes( callable $answer ) {
		add_filter(
			'pre_http_request',
			function ( $pre, $args, $url ) use ( $answer ) {
				$path = (string) preg_replace( '#^https?://[^/]+#', '', $url );
				$body = isset( $args['body'] ) && '' !== $args['body'] ? json_decode( $args['body'], true ) : null;
				$this->requests[] = array( 'url' => $url, 'args' => $args, 'method' => $args['method'], 'path' => $path, 'body' => $body );
				list( $status, $data ) = $answer( $args['method'], $path, $body );
				return array(
					'headers'  => array(),
					'body'     => null === $data ? '' : wp_json_encode( $data ),
					'response' => array( 'code' => $status, 'message' => 'canned' ),
					'cookies'  => array(),
					'filename' => null,
				);
			},
			10,
			3
		);
	}

	/** Settings pointing at a canned sidecar (every request is answered by a pre_http_request filter). */
	protected function configure() {
		update_option( Contact_Bridge_Settings::OPTION_URL, 'http://127.0.0.1:9' );
		update_option( Contact_Bridge_Settings::OPTION_SECRET, str_repeat( 's', 40 ) );
	}

	/** @return WP_User The site's administrator. */
	protected function admin() {
		return get_user_by( 'login', getenv( 'CB_WP_ADMIN' ) ?: 'admin' );
	}

	/**
	 * Runs $fn and returns what it printed.
	 *
	 * @param callable $fn Code that prints.
	 * @return string
	 */
	protected function output( callable $fn ) {
		ob_start();
		try {
			$fn();
		} finally {
			$out = (string) ob_get_clean();
		}
		return $out;
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
