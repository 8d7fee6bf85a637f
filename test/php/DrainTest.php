<?php
/**
 * Draining: one process at a time (the lock row), within a budget, and what each answer does.
 */
class DrainTest extends PluginTestCase {

	public function test_which_status_keeps_or_drops_an_event() {
		foreach ( array( 200, 201, 202, 204 ) as $status ) {
			$this->assertSame( Contact_Bridge_Dispatcher::DELIVERED, Contact_Bridge_Dispatcher::verdict( $status ), (string) $status );
		}
		foreach ( array( 400, 403, 404, 405, 409, 413, 415, 422 ) as $status ) {
			$this->assertSame( Contact_Bridge_Dispatcher::DROP, Contact_Bridge_Dispatcher::verdict( $status ), (string) $status );
		}
		foreach ( array( 0, 301, 401, 429, 500, 502, 503, 504 ) as $status ) {
			$this->assertSame( Contact_Bridge_Dispatcher::KEEP, Contact_Bridge_Dispatcher::verdict( $status ), (string) $status );
		}
	}

	public function test_when_kept_again_and_again_then_the_backoff_doubles_up_to_an_hour() {
		$this->assertSame( array( 30, 60, 120, 240 ), array_map( array( 'Contact_Bridge_Dispatcher', 'backoff' ), array( 0, 1, 2, 3 ) ) );
		$this->assertSame( 3600, Contact_Bridge_Dispatcher::backoff( 50 ) );
	}

	public function test_when_the_sidecar_answers_2xx_then_every_due_row_is_deleted_oldest_first() {
		foreach ( array( 61, 62, 63 ) as $user ) {
			Contact_Bridge_Queue::push( 'user_register', $user, 1 );
		}
		$this->sidecarAnswers( array( 200 ) );

		$done = Contact_Bridge_Dispatcher::drain( $this->client(), 100, 10 );

		$this->assertSame( 3, $done );
		$this->assertSame( array(), $this->queueRows() );
		$sent = array_map( function ( $r ) { return json_decode( $r['args']['body'], true )['user_id']; }, $this->requests );
		$this->assertSame( array( 61, 62, 63 ), $sent );
		$this->assertStringStartsWith( 'v2=', $this->requests[0]['args']['headers']['X-Bridge-Signature'] );
	}

	public function test_when_the_sidecar_answers_a_4xx_other_than_401_or_429_then_the_event_is_dropped_with_its_reason_and_the_next_is_sent() {
		Contact_Bridge_Queue::push( 'user_register', 64, 1 );
		Contact_Bridge_Queue::push( 'user_register', 65, 1 );
		$this->sidecarAnswers( array( 400, 200 ) );

		Contact_Bridge_Dispatcher::drain( $this->client(), 100, 10 );

		$this->assertSame( array(), $this->queueRows() );
		$error = get_site_option( Contact_Bridge_Settings::OPTION_LAST_ERROR );
		$this->assertStringContainsString( 'Dropped user_register of user 64', $error['message'] );
		$this->assertCount( 2, $this->requests );
	}

	/** @dataProvider kept */
	public function test_when_the_sidecar_answers_401_429_5xx_or_not_at_all_then_the_event_is_kept_with_backoff_and_the_drain_stops( $status ) {
		Contact_Bridge_Queue::push( 'user_register', 66, 1 );
		Contact_Bridge_Queue::push( 'user_register', 67, 1 );
		$this->sidecarAnswers( array( $status ) );

		Contact_Bridge_Dispatcher::drain( $this->client(), 100, 10 );

		$rows = $this->queueRows();
		$this->assertSame( array( '66', '67' ), array_column( $rows, 'user_id' ) );
		$this->assertSame( '1', $rows[0]['attempts'] );
		$this->assertGreaterThan( time(), (int) $rows[0]['next_attempt_at'] );
		$this->assertSame( '0', $rows[1]['attempts'], 'the rest is not tried against a failing sidecar' );
		$this->assertCount( 1, $this->requests );
		$this->assertGreaterThan( time(), (int) get_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER ) );
	}

	public function kept() {
		return array( '401' => array( 401 ), '429' => array( 429 ), '500' => array( 500 ), '503' => array( 503 ), 'timeout' => array( 0 ) );
	}

	public function test_when_another_process_holds_the_drain_lock_then_nothing_is_sent() {
		Contact_Bridge_Queue::push( 'user_register', 68, 1 );
		$this->sidecarAnswers( array( 200 ) );
		$other = Contact_Bridge_Queue::acquire_lock( 60 );

		$done = Contact_Bridge_Dispatcher::drain( $this->client(), 100, 10 );

		$this->assertNotNull( $other );
		$this->assertSame( 0, $done );
		$this->assertSame( array(), $this->requests );
		$this->assertCount( 1, $this->queueRows() );
		Contact_Bridge_Queue::release_lock( $other );
	}

	public function test_the_drain_lock_is_held_by_one_owner_until_released_or_expired() {
		global $wpdb;
		$first = Contact_Bridge_Queue::acquire_lock( 60 );
		$second = Contact_Bridge_Queue::acquire_lock( 60 );
		Contact_Bridge_Queue::release_lock( 'not-the-owner' );
		$third = Contact_Bridge_Queue::acquire_lock( 60 );
		Contact_Bridge_Queue::release_lock( $first );
		$fourth = Contact_Bridge_Queue::acquire_lock( 60 );
		// An owner that died: its lock expired a second ago.
		$wpdb->query( $wpdb->prepare( 'UPDATE ' . Contact_Bridge_Queue::table() . ' SET next_attempt_at = %d, last_error = %s WHERE user_id = 0 AND blog_id = 0', time() - 1, 'dead' ) ); // phpcs:ignore
		$fifth = Contact_Bridge_Queue::acquire_lock( 60 );

		$this->assertNotNull( $first );
		$this->assertNull( $second );
		$this->assertNull( $third );
		$this->assertNotNull( $fourth );
		$this->assertNotNull( $fifth );
		$this->assertNotSame( $fourth, $fifth );
		Contact_Bridge_Queue::release_lock( $fifth );
	}

	public function test_when_the_drain_ends_then_the_lock_is_released_even_after_a_failure() {
		Contact_Bridge_Queue::push( 'user_register', 69, 1 );
		$this->sidecarAnswers( array( 503 ) );

		Contact_Bridge_Dispatcher::drain( $this->client(), 100, 10 );

		$token = Contact_Bridge_Queue::acquire_lock( 60 );
		$this->assertNotNull( $token );
		Contact_Bridge_Queue::release_lock( $token );
	}

	public function test_when_answers_are_slow_then_the_drain_stops_at_its_budget_and_each_timeout_fits_in_what_is_left() {
		for ( $user = 70; $user < 90; $user++ ) {
			Contact_Bridge_Queue::push( 'user_register', $user, 1 );
		}
		$this->sidecarAnswers( array( 200 ), 150 );

		$done = Contact_Bridge_Dispatcher::drain( $this->client( 3 ), 100, 1 );

		$this->assertLessThan( 20, $done, 'the budget ended the drain' );
		$this->assertSame( 20 - $done, count( $this->queueRows() ) );
		foreach ( $this->requests as $request ) {
			$this->assertLessThanOrEqual( 1.0, $request['args']['timeout'] );
		}
	}

	public function test_when_the_event_limit_is_reached_then_the_rest_waits() {
		for ( $user = 90; $user < 95; $user++ ) {
			Contact_Bridge_Queue::push( 'user_register', $user, 1 );
		}
		$this->sidecarAnswers( array( 200 ) );

		$done = Contact_Bridge_Dispatcher::drain( $this->client(), 2, 10 );

		$this->assertSame( 2, $done );
		$this->assertSame( array( '92', '93', '94' ), array_column( $this->queueRows(), 'user_id' ) );
	}

	public function test_when_delivery_is_paused_after_a_failure_then_cron_sends_nothing() {
		Contact_Bridge_Queue::push( 'user_register', 96, 1 );
		update_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER, time() + 60 );
		$this->sidecarAnswers( array( 200 ) );

		Contact_Bridge_Dispatcher::on_cron();

		$this->assertSame( array(), $this->requests );
		$this->assertCount( 1, $this->queueRows() );
	}

	public function test_when_the_plugin_was_uninstalled_under_a_running_cron_then_its_handler_sends_nothing_logs_nothing_and_removes_its_event() {
		// The run loaded the options before the uninstall: its schema version is still there.
		wp_schedule_event( time() + 300, 'hourly', Contact_Bridge_Plugin::CRON_HOOK );
		Contact_Bridge_Queue::drop();
		$this->sidecarAnswers( array( 200 ) );
		$log = $this->captureErrorLog();

		Contact_Bridge_Dispatcher::on_cron();
		$scheduled = wp_next_scheduled( Contact_Bridge_Plugin::CRON_HOOK );
		$logged    = $this->endErrorLog( $log );
		Contact_Bridge_Queue::install();

		$this->assertSame( array(), $this->requests );
		$this->assertFalse( $scheduled );
		$this->assertSame( '', $logged );
	}

	public function test_when_the_table_is_dropped_under_a_drain_that_already_began_then_the_drain_sends_nothing_and_logs_no_database_error() {
		$client = new Contact_Bridge_Client( 'http://sidecar.invalid', 'secret' );
		Contact_Bridge_Queue::drop();
		$this->sidecarAnswers( array( 200 ) );
		$log = $this->captureErrorLog();

		$done   = Contact_Bridge_Dispatcher::drain( $client, 10, 5 );
		$logged = $this->endErrorLog( $log );
		Contact_Bridge_Queue::install();

		$this->assertSame( 0, $done );
		$this->assertSame( array(), $this->requests );
		$this->assertSame( '', $logged );
	}

	public function test_when_taking_the_drain_lock_fails_for_another_reason_then_the_database_error_is_logged() {
		global $wpdb;
		$log = $this->captureErrorLog();
		// The lock row's columns are refused: the table is there, the statement fails.
		$wpdb->query( 'ALTER TABLE ' . Contact_Bridge_Queue::table() . ' RENAME COLUMN last_error TO last_error_x' ); // phpcs:ignore

		$token  = Contact_Bridge_Queue::acquire_lock( 5 );
		$wpdb->query( 'ALTER TABLE ' . Contact_Bridge_Queue::table() . ' RENAME COLUMN last_error_x TO last_error' ); // phpcs:ignore
		$logged = $this->endErrorLog( $log );

		$this->assertNull( $token );
		$this->assertStringContainsString( "Unknown column 'last_error'", $logged );
	}

	/** @return array The previous error_log setting and the file that now receives the log. */
	private function captureErrorLog() {
		$file = tempnam( sys_get_temp_dir(), 'cb-log' );
		return array( ini_set( 'error_log', $file ), $file ); // phpcs:ignore
	}

	/**
	 * @param array $capture From captureErrorLog().
	 * @return string What was logged meanwhile.
	 */
	private function endErrorLog( array $capture ) {
		ini_set( 'error_log', (string) $capture[0] ); // phpcs:ignore
		$text = (string) file_get_contents( $capture[1] );
		unlink( $capture[1] );
		return $text;
	}
}
