<?php
/**
 * The write-ahead queue: one indexed upsert per event, revision-checked deletes, backoff.
 */
class QueueTest extends PluginTestCase {

	public function test_when_a_hook_fires_then_its_event_is_one_queue_row_written_by_one_statement() {
		global $wpdb;
		$before = $wpdb->num_queries;

		Contact_Bridge_Dispatcher::record( 'user_register', 41 );

		$this->assertSame( 1, $wpdb->num_queries - $before, 'one upsert, nothing else' );
		$rows = $this->queueRows();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( '41', 'user_register', '1', '0' ), array( $rows[0]['user_id'], $rows[0]['event'], $rows[0]['revision'], $rows[0]['next_attempt_at'] ) );
	}

	public function test_when_a_user_joins_or_leaves_a_site_then_its_event_is_queued_for_that_site_not_the_current_one() {
		do_action( 'add_user_to_blog', 43, 'subscriber', 5 );
		do_action( 'remove_user_from_blog', 44, 6, 0 );

		$rows = array_map(
			function ( $row ) {
				return array( $row['user_id'], $row['blog_id'], $row['event'] );
			},
			$this->queueRows()
		);
		$this->assertSame( array( array( '43', '5', 'profile_update' ), array( '44', '6', 'profile_update' ) ), $rows );
	}

	public function test_when_a_queued_user_gets_another_event_then_the_row_is_merged_revision_up_queued_at_kept_and_due_now() {
		global $wpdb;
		Contact_Bridge_Queue::push( 'user_register', 42, 1 );
		$wpdb->query( 'UPDATE ' . Contact_Bridge_Queue::table() . ' SET queued_at = 1000, next_attempt_at = 99999999999' ); // phpcs:ignore

		Contact_Bridge_Queue::push( 'profile_update', 42, 1 );

		$rows = $this->queueRows();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'profile_update', '1', '2', '1000', '0' ), array( $rows[0]['event'], $rows[0]['blog_id'], $rows[0]['revision'], $rows[0]['queued_at'], $rows[0]['next_attempt_at'] ) );
	}

	public function test_when_a_user_has_events_on_two_sites_then_they_are_two_rows_each_for_its_site() {
		Contact_Bridge_Queue::push( 'profile_update', 46, 1 );
		Contact_Bridge_Queue::push( 'profile_update', 46, 3 );

		$this->assertSame( array( '1', '3' ), array_column( $this->queueRows(), 'blog_id' ) );
	}

	public function test_when_a_delivered_row_was_merged_with_a_newer_event_meanwhile_then_it_stays_queued() {
		Contact_Bridge_Queue::push( 'user_register', 43, 1 );
		$read = Contact_Bridge_Queue::due( 10, time() )[0];
		Contact_Bridge_Queue::push( 'profile_update', 43, 1 ); // while the first delivery is in flight

		$removed = Contact_Bridge_Queue::remove( $read );

		$this->assertFalse( $removed );
		$rows = $this->queueRows();
		$this->assertCount( 1, $rows );
		$this->assertSame( 'profile_update', $rows[0]['event'] );
	}

	public function test_when_a_row_is_delivered_at_its_revision_then_it_is_deleted() {
		Contact_Bridge_Queue::push( 'wp_login', 44, 1 );
		$read = Contact_Bridge_Queue::due( 10, time() )[0];

		$this->assertTrue( Contact_Bridge_Queue::remove( $read ) );
		$this->assertSame( array(), $this->queueRows() );
	}

	public function test_when_a_row_is_deferred_then_it_is_not_due_until_its_backoff_has_passed() {
		Contact_Bridge_Queue::push( 'wp_login', 45, 1 );
		$read = Contact_Bridge_Queue::due( 10, time() )[0];

		Contact_Bridge_Queue::defer( $read, 'HTTP 503: busy', 60 );

		$this->assertSame( array(), Contact_Bridge_Queue::due( 10, time() ) );
		$this->assertCount( 1, Contact_Bridge_Queue::due( 10, time() + 61 ) );
		$row = $this->queueRows()[0];
		$this->assertSame( array( '1', 'HTTP 503: busy' ), array( $row['attempts'], $row['last_error'] ) );
	}

	public function test_when_rows_are_due_then_they_come_oldest_first() {
		foreach ( array( 50, 47, 49 ) as $user ) {
			Contact_Bridge_Queue::push( 'user_register', $user, 1 );
		}

		$this->assertSame( array( '50', '47', '49' ), array_column( Contact_Bridge_Queue::due( 10, time() ), 'user_id' ) );
		$this->assertSame( 3, Contact_Bridge_Queue::count() );
	}
}
