<?php
/**
 * Tools → Export / Erase Personal Data: the exporters and erasers WordPress finds through its
 * filters, against the real sidecar of the test site (CB_SIDECAR_URL, CB_SIDECAR_SECRET) and the
 * real database; a closed port where the sidecar must not answer.
 */
class PrivacyTest extends PluginTestCase {

	/** @var int[] Users this test created. */
	private $users = array();

	protected function setUp(): void {
		parent::setUp();
		$url    = getenv( 'CB_SIDECAR_URL' );
		$secret = getenv( 'CB_SIDECAR_SECRET' );
		$this->assertNotEmpty( $url, 'CB_SIDECAR_URL names the site\'s sidecar' );
		update_option( Contact_Bridge_Settings::OPTION_URL, $url );
		update_option( Contact_Bridge_Settings::OPTION_SECRET, $secret );
	}

	protected function tearDown(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( $this->users as $id ) {
			wp_delete_user( $id );
		}
		parent::tearDown();
	}

	/**
	 * A user linked by the real sidecar (its registration sent), its event still queued here.
	 *
	 * @return array( int user id, string email, int contact id )
	 */
	private function linkedUser() {
		$email = 'privacy' . wp_rand() . '@example.org';
		$id    = wp_insert_user( array( 'user_login' => 'privacy-' . wp_generate_password( 8, false ), 'user_pass' => wp_generate_password(), 'user_email' => $email, 'first_name' => 'Pia', 'role' => 'subscriber' ) );
		$this->users[] = $id;
		$sent = Contact_Bridge_Client::from_settings()->send_event( 'user_register', $id, 1 );
		$this->assertTrue( $sent['ok'], $sent['error'] );
		$this->assertSame( 'created', $sent['data']['action'] );
		return array( $id, $email, (int) $sent['data']['contact_id'] );
	}

	private function exporter( $key ) {
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		$this->assertArrayHasKey( $key, $exporters );
		return $exporters[ $key ]['callback'];
	}

	private function eraser( $key ) {
		$erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		$this->assertArrayHasKey( $key, $erasers );
		return $erasers[ $key ]['callback'];
	}

	/** @return array Field name => value of the first item of a group. */
	private function fields( array $items, $group ) {
		foreach ( $items as $item ) {
			if ( $item['group_id'] === $group ) {
				return array_column( $item['data'], 'value', 'name' );
			}
		}
		$this->fail( "no item of group {$group}" );
	}

	private function crmRows( $contact_id ) {
		global $wpdb;
		return array(
			$wpdb->get_row( $wpdb->prepare( 'SELECT * FROM civicrm_contact WHERE id = %d', $contact_id ), ARRAY_A ),
			$wpdb->get_results( $wpdb->prepare( 'SELECT * FROM civicrm_email WHERE contact_id = %d ORDER BY id', $contact_id ), ARRAY_A ),
			$wpdb->get_results( $wpdb->prepare( 'SELECT * FROM civicrm_uf_match WHERE contact_id = %d ORDER BY id', $contact_id ), ARRAY_A ),
		);
	}

	private function bridgeCounts( $user_id ) {
		global $wpdb;
		return array(
			'audit' => (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM contact_bridge_audit WHERE uf_id = %d', $user_id ) ),
			'state' => (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM contact_bridge_user_state WHERE uf_id = %d', $user_id ) ),
			'queue' => (int) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM ' . Contact_Bridge_Queue::table() . ' WHERE user_id = %d', $user_id ) ), // phpcs:ignore
		);
	}

	public function test_when_a_linked_users_data_is_exported_then_its_queued_event_its_link_and_its_history_are_in_the_export() {
		list( $id, $email, $contact_id ) = $this->linkedUser();

		$queue   = call_user_func( $this->exporter( 'contact-bridge-queue' ), $email, 1 );
		$sidecar = call_user_func( $this->exporter( 'contact-bridge-sidecar' ), $email, 1 );

		$this->assertTrue( $queue['done'] );
		$this->assertSame( 'user_register', $this->fields( $queue['data'], 'contact-bridge-queue' )['Event'] );
		$this->assertTrue( $sidecar['done'] );
		$link = $this->fields( $sidecar['data'], 'contact-bridge-link' );
		$this->assertSame( array( (string) $contact_id, $email, 'Pia' ), array( $link['CRM contact ID'], $link['Email address last applied'], $link['First name last applied'] ) );
		$history = $this->fields( $sidecar['data'], 'contact-bridge-history' );
		$this->assertSame( array( 'created', (string) $contact_id, 'user_register' ), array( $history['Outcome'], $history['CRM contact ID'], $history['Cause'] ) );
	}

	public function test_when_an_address_has_no_user_then_the_queue_exports_nothing_and_the_sidecar_export_is_empty_and_done() {
		$queue   = call_user_func( $this->exporter( 'contact-bridge-queue' ), 'nobody' . wp_rand() . '@example.org', 1 );
		$sidecar = call_user_func( $this->exporter( 'contact-bridge-sidecar' ), 'nobody' . wp_rand() . '@example.org', 1 );

		$this->assertSame( array( 'data' => array(), 'done' => true ), $queue );
		$this->assertSame( array( 'data' => array(), 'done' => true ), $sidecar );
	}

	public function test_when_a_linked_users_data_is_erased_then_its_queue_and_audit_rows_are_gone_the_link_is_retained_with_a_message_and_the_crm_is_unchanged() {
		list( $id, $email, $contact_id ) = $this->linkedUser();
		list( $other ) = $this->linkedUser();
		$crm_before   = $this->crmRows( $contact_id );
		$other_before = $this->bridgeCounts( $other );
		$this->assertSame( array( 'audit' => 1, 'state' => 1, 'queue' => 1 ), $this->bridgeCounts( $id ) );

		$queue   = call_user_func( $this->eraser( 'contact-bridge-queue' ), $email, 1 );
		$sidecar = call_user_func( $this->eraser( 'contact-bridge-sidecar' ), $email, 1 );

		$this->assertSame( array( true, false, true ), array( $queue['items_removed'], $queue['items_retained'], $queue['done'] ) );
		$this->assertSame( array( true, true, true ), array( $sidecar['items_removed'], $sidecar['items_retained'], $sidecar['done'] ) );
		$this->assertStringContainsString( 'never changed or deleted', $sidecar['messages'][0] );
		$this->assertSame( array( 'audit' => 0, 'state' => 1, 'queue' => 0 ), $this->bridgeCounts( $id ) );
		$this->assertSame( $other_before, $this->bridgeCounts( $other ) );
		$this->assertSame( $crm_before, $this->crmRows( $contact_id ) );
	}

	public function test_when_the_sidecar_cannot_be_reached_then_export_and_erase_return_errors_that_say_so_and_nothing_is_erased() {
		list( $id, $email ) = $this->linkedUser();
		update_option( Contact_Bridge_Settings::OPTION_URL, 'http://127.0.0.1:9' ); // nothing listens there
		$before = $this->bridgeCounts( $id );

		$exported = call_user_func( $this->exporter( 'contact-bridge-sidecar' ), $email, 1 );
		$erased   = call_user_func( $this->eraser( 'contact-bridge-sidecar' ), $email, 1 );

		$this->assertInstanceOf( WP_Error::class, $exported );
		$this->assertStringContainsString( 'export would be incomplete', $exported->get_error_message() );
		$this->assertInstanceOf( WP_Error::class, $erased );
		$this->assertStringContainsString( 'nothing it keeps of this person was erased', $erased->get_error_message() );
		$this->assertSame( $before, $this->bridgeCounts( $id ) );
	}

	public function test_when_the_sidecar_says_more_is_left_then_the_eraser_is_not_done_and_a_runaway_erasure_stops_with_an_error() {
		$this->configure();
		$this->sidecarRoutes(
			function () {
				return array( 200, array( 'done' => false, 'audit_deleted' => 2000, 'state_deleted' => 0, 'state_retained' => 0, 'mentions_erased' => 0, 'mentions_left' => 0 ) );
			}
		);

		$page = call_user_func( $this->eraser( 'contact-bridge-sidecar' ), 'many@example.org', 3 );
		$stop = call_user_func( $this->eraser( 'contact-bridge-sidecar' ), 'many@example.org', Contact_Bridge_Privacy::MAX_ERASE_PAGES + 1 );

		$this->assertSame( array( true, false, false ), array( $page['items_removed'], $page['items_retained'], $page['done'] ) );
		$this->assertSame( array( 'POST', '/v1/personal-data/erase', array( 'email' => 'many@example.org' ) ), array( $this->requests[0]['method'], $this->requests[0]['path'], $this->requests[0]['body'] ) );
		$this->assertInstanceOf( WP_Error::class, $stop );
		$this->assertCount( 1, $this->requests, 'the runaway page sends nothing' );
	}

	public function test_when_admin_init_runs_then_the_suggested_policy_text_says_an_erasure_never_touches_the_crm_contact() {
		global $wp_current_filter;
		$wp_current_filter[] = 'admin_init'; // wp_add_privacy_policy_content() belongs to admin_init
		try {
			Contact_Bridge_Privacy::add_policy_content();
		} finally {
			array_pop( $wp_current_filter );
		}

		$texts = array_column( WP_Privacy_Policy_Content::get_suggested_policy_text(), 'policy_text', 'plugin_name' );
		$this->assertArrayHasKey( 'Contact Bridge', $texts );
		$this->assertStringContainsString( 'never touches your CRM contact', $texts['Contact Bridge'] );
		$this->assertStringContainsString( 'queued events', $texts['Contact Bridge'] );
	}
}
