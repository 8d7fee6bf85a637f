<?php
/**
 * The CRM's address changes applied to WordPress (EMAIL_DIRECTION=both): through wp_update_user,
 * never onto another user's address, and the poll reads the sidecar's pages.
 */
class EmailChangesTest extends PluginTestCase {

	/** @var int[] Users made by a test. */
	private $made = array();

	protected function tearDown(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( $this->made as $id ) {
			wp_delete_user( $id );
		}
		$this->made = array();
		parent::tearDown();
	}

	private function user( $email ) {
		$id           = wp_insert_user(
			array(
				'user_login' => 'ec' . wp_generate_password( 8, false ),
				'user_pass'  => wp_generate_password(),
				'user_email' => $email,
			)
		);
		$this->made[] = $id;
		return $id;
	}

	public function test_when_the_crm_corrected_an_address_then_wp_update_user_applies_it_and_profile_update_fires() {
		$id    = $this->user( 'ec.typo@exmaple.org' );
		$fired = array();
		add_action(
			'profile_update',
			function ( $user_id ) use ( &$fired ) {
				$fired[] = $user_id;
			}
		);

		$outcome = Contact_Bridge_Email_Changes::apply( array( 'user_id' => $id, 'email' => 'ec.fixed@example.org' ) );

		$this->assertSame( 'applied', $outcome );
		$this->assertSame( 'ec.fixed@example.org', get_userdata( $id )->user_email );
		$this->assertContains( $id, $fired );
	}

	public function test_when_another_user_has_the_address_then_nothing_changes() {
		$id    = $this->user( 'ec.mine@example.org' );
		$other = $this->user( 'ec.taken@example.org' );

		$outcome = Contact_Bridge_Email_Changes::apply( array( 'user_id' => $id, 'email' => 'ec.taken@example.org' ) );

		$this->assertSame( 'taken', $outcome );
		$this->assertSame( 'ec.mine@example.org', get_userdata( $id )->user_email );
		$this->assertSame( 'ec.taken@example.org', get_userdata( $other )->user_email );
	}

	public function test_when_the_change_is_not_a_valid_address_or_names_no_user_then_nothing_changes() {
		$id = $this->user( 'ec.keep@example.org' );

		$this->assertSame( 'invalid', Contact_Bridge_Email_Changes::apply( array( 'user_id' => $id, 'email' => 'not an email' ) ) );
		$this->assertSame( 'invalid', Contact_Bridge_Email_Changes::apply( array( 'user_id' => $id, 'email' => array( 'x@example.org' ) ) ) );
		$this->assertSame( 'invalid', Contact_Bridge_Email_Changes::apply( array( 'user_id' => $id, 'email' => "ec<script>@example.org" ) ) );
		$this->assertSame( 'gone', Contact_Bridge_Email_Changes::apply( array( 'user_id' => 987654321, 'email' => 'ec.nobody@example.org' ) ) );
		$this->assertSame( 'same', Contact_Bridge_Email_Changes::apply( array( 'user_id' => $id, 'email' => 'EC.Keep@example.org' ) ) );
		$this->assertSame( 'ec.keep@example.org', get_userdata( $id )->user_email );
	}

	public function test_when_it_polls_then_it_follows_next_through_the_pages_and_applies_each_change() {
		$a = $this->user( 'ec.a.old@example.org' );
		$b = $this->user( 'ec.b.old@example.org' );
		update_site_option( Contact_Bridge_Settings::OPTION_URL, 'http://sidecar.invalid' );
		update_site_option( Contact_Bridge_Settings::OPTION_SECRET, str_repeat( 's', 40 ) );
		$pages = array(
			array( 'changes' => array( array( 'user_id' => $a, 'contact_id' => 1, 'email' => 'ec.a.new@example.org' ) ), 'next' => $a ),
			array( 'changes' => array( array( 'user_id' => $b, 'contact_id' => 2, 'email' => 'ec.b.new@example.org' ) ), 'next' => null ),
		);
		$asked = array();
		add_filter(
			'pre_http_request',
			function ( $pre, $args, $url ) use ( &$pages, &$asked ) {
				$asked[] = $url;
				return array(
					'headers'  => array(),
					'body'     => wp_json_encode( array_merge( array( 'email_direction' => 'both' ), array_shift( $pages ) ) ),
					'response' => array( 'code' => 200, 'message' => 'OK' ),
					'cookies'  => array(),
					'filename' => null,
				);
			},
			10,
			3
		);

		$tally = Contact_Bridge_Email_Changes::poll( Contact_Bridge_Client::from_settings() );

		delete_site_option( Contact_Bridge_Settings::OPTION_URL );
		delete_site_option( Contact_Bridge_Settings::OPTION_SECRET );
		$this->assertSame( array( 'applied' => 2 ), $tally );
		$this->assertCount( 2, $asked );
		$this->assertStringContainsString( '/v1/changes?since=0&limit=100', $asked[0] );
		$this->assertStringContainsString( "/v1/changes?since={$a}&limit=100", $asked[1] );
		$this->assertSame( 'ec.a.new@example.org', get_userdata( $a )->user_email );
		$this->assertSame( 'ec.b.new@example.org', get_userdata( $b )->user_email );
	}

	public function test_when_the_queues_cron_run_has_delivered_then_it_asks_for_the_crms_changes_and_a_retry_run_does_not() {
		update_site_option( Contact_Bridge_Settings::OPTION_URL, 'http://sidecar.invalid' );
		update_site_option( Contact_Bridge_Settings::OPTION_SECRET, str_repeat( 's', 40 ) );
		$this->sidecarAnswers( array( 200 ) );

		Contact_Bridge_Dispatcher::on_cron();
		$recurring = wp_list_pluck( $this->requests, 'url' );
		$this->requests = array();
		Contact_Bridge_Dispatcher::on_cron( 'retry' );
		$retry = wp_list_pluck( $this->requests, 'url' );

		delete_site_option( Contact_Bridge_Settings::OPTION_URL );
		delete_site_option( Contact_Bridge_Settings::OPTION_SECRET );
		$this->assertCount( 1, $recurring );
		$this->assertStringContainsString( '/v1/changes?since=0', $recurring[0] );
		$this->assertSame( array(), $retry );
	}
}
