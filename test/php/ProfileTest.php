<?php
/**
 * The "CRM contact" section of a profile, Reconcile now, and the state in the Users column,
 * against canned sidecar answers: with Link health, and from a sidecar without it (404).
 */
class ProfileTest extends PluginTestCase {

	/** @var int */
	private $user_id = 0;

	protected function setUp(): void {
		parent::setUp();
		$this->configure();
		$this->user_id = wp_insert_user( array( 'user_login' => 'profile-' . wp_generate_password( 6, false ), 'user_pass' => wp_generate_password(), 'user_email' => 'profile' . wp_rand() . '@example.org', 'role' => 'subscriber' ) );
		global $wpdb;
		$wpdb->query( 'DELETE FROM ' . Contact_Bridge_Queue::table() ); // phpcs:ignore -- the hook queued the new user
		wp_set_current_user( $this->admin()->ID );
		set_current_screen( 'user-edit' );
	}

	protected function tearDown(): void {
		wp_set_current_user( 0 );
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $this->user_id );
		delete_site_transient( Contact_Bridge_Profile::NOTICE_TRANSIENT . $this->admin()->ID );
		unset( $_POST['user_id'], $_POST['scope'], $_POST['_wpnonce'], $_REQUEST['_wpnonce'] );
		remove_all_filters( 'wp_die_handler' );
		parent::tearDown();
	}

	private function userHealth( $state, $contact_id, array $findings = array() ) {
		return array( 200, array( 'user_id' => $this->user_id, 'domain_id' => 1, 'contact_id' => $contact_id, 'state' => $state, 'findings' => $findings ) );
	}

	public function test_when_the_link_drifted_then_the_section_shows_the_contact_the_state_in_words_the_finding_and_reconcile_now() {
		$this->sidecarRoutes(
			function () {
				return $this->userHealth( 'drift', 77, array( array( 'kind' => 'uf_name_drift', 'user_id' => $this->user_id, 'contact_ids' => array( 77 ), 'explanation' => 'uf_name is <old>.', 'repair' => 'Set uf_name to the user’s email.' ) ) );
			}
		);

		$html = $this->output(
			function () {
				Contact_Bridge_Profile::render_section( get_userdata( $this->user_id ) );
				Contact_Bridge_Profile::render_form();
			}
		);

		$this->assertSame( '/v1/users/' . $this->user_id . '/health?blog_id=1', $this->requests[0]['path'] );
		$this->assertStringContainsString( 'data-contact-id="77">Contact #77</a>', $html );
		$this->assertStringContainsString( esc_url( admin_url( 'admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid=77' ) ), $html );
		$this->assertMatchesRegularExpression( '/id="contact-bridge-profile-state" data-state="drift">\s*Drift: the link or the contact no longer agrees with the user/', $html );
		$this->assertStringContainsString( 'uf_name is &lt;old&gt;.', $html );
		$this->assertStringContainsString( 'Repair: Set uf_name to the user’s email.', $html );
		$this->assertStringContainsString( '<button type="submit" class="button" id="contact-bridge-reconcile" form="contact-bridge-reconcile-form">Reconcile now</button>', $html );
		$this->assertMatchesRegularExpression( '/<form id="contact-bridge-reconcile-form" action="[^"]*admin-post\.php" method="post" hidden>/', $html );
		$this->assertStringContainsString( 'name="user_id" value="' . $this->user_id . '"', $html );
		$this->assertStringContainsString( 'name="_wpnonce"', $html );
	}

	public function test_when_the_sidecar_has_no_link_health_route_then_the_section_shows_the_link_and_state_unknown_or_not_linked() {
		$linked = true;
		$this->sidecarRoutes(
			function ( $method, $path ) use ( &$linked ) {
				if ( false !== strpos( $path, '/health' ) ) {
					return array( 404, array( 'error' => array( 'code' => 'NOT_FOUND', 'message' => 'No such route.' ) ) );
				}
				return $linked
					? array( 200, array( 'user_id' => $this->user_id, 'contact_id' => 78, 'uf_name' => 'x@example.org', 'domain_id' => 1 ) )
					: array( 404, array( 'error' => array( 'code' => 'NOT_FOUND', 'message' => 'Not linked.' ) ) );
			}
		);

		$with_link = Contact_Bridge_Profile::health( $this->user_id, 1 );
		$linked    = false;
		$without   = Contact_Bridge_Profile::health( $this->user_id, 1 );

		$this->assertSame( '/v1/users/' . $this->user_id . '/link?blog_id=1', $this->requests[1]['path'] );
		$this->assertSame( array( 'contact_id' => 78, 'state' => 'unknown', 'findings' => array(), 'error' => '' ), $with_link );
		$this->assertSame( array( 'contact_id' => null, 'state' => 'not_linked', 'findings' => array(), 'error' => '' ), $without );
		$this->assertSame( 'State unknown', Contact_Bridge_Health::state_label( $with_link['state'] ) );
	}

	public function test_when_the_sidecar_is_down_then_the_section_says_so_and_still_offers_reconcile_now() {
		$this->sidecarRoutes(
			function () {
				return array( 503, array( 'error' => array( 'code' => 'DATABASE_UNAVAILABLE', 'message' => 'The database cannot be reached.' ) ) );
			}
		);

		$html = $this->output(
			function () {
				Contact_Bridge_Profile::render_section( get_userdata( $this->user_id ) );
			}
		);

		$this->assertCount( 1, $this->requests, 'no fallback for anything but a 404' );
		$this->assertStringContainsString( 'The sidecar could not be asked: HTTP 503: The database cannot be reached.', $html );
		$this->assertStringContainsString( 'id="contact-bridge-reconcile"', $html );
	}

	public function test_when_the_viewer_cannot_edit_users_then_there_is_no_section_and_reconcile_is_refused_before_anything_is_sent() {
		$this->sidecarRoutes(
			function () {
				return $this->userHealth( 'ok', 79 );
			}
		);
		wp_set_current_user( $this->user_id ); // A subscriber on their own profile.
		$html = $this->output(
			function () {
				Contact_Bridge_Profile::render_section( get_userdata( $this->user_id ) );
				Contact_Bridge_Profile::render_form();
			}
		);
		add_filter(
			'wp_die_handler',
			function () {
				return function ( $message ) {
					throw new RuntimeException( 'died: ' . ( is_scalar( $message ) ? $message : '' ) );
				};
			}
		);
		$_POST['user_id'] = (string) $this->user_id;
		$_POST['scope']   = 'site';
		try {
			Contact_Bridge_Profile::handle_reconcile();
			$died = '';
		} catch ( RuntimeException $e ) {
			$died = $e->getMessage();
		}
		wp_set_current_user( $this->admin()->ID );
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = 'a1b2c3d4e5';
		try {
			Contact_Bridge_Profile::handle_reconcile();
			$forged = '';
		} catch ( RuntimeException $e ) {
			$forged = $e->getMessage();
		}

		$this->assertSame( '', $html );
		$this->assertSame( 'died: Sorry, you are not allowed to do that.', $died );
		$this->assertStringStartsWith( 'died: ', $forged, 'a wrong nonce dies' );
		$this->assertSame( array(), $this->requests );
	}

	public function test_when_reconcile_now_runs_then_the_users_profile_update_event_is_sent_for_that_blog_and_the_outcome_is_the_next_notice() {
		$this->sidecarRoutes(
			function () {
				return array( 200, array( 'action' => 'updated', 'contact_id' => 80, 'reason' => 'uf_name <set> to the user’s email', 'domain_id' => 1 ) );
			}
		);

		Contact_Bridge_Profile::reconcile( Contact_Bridge_Scope::SITE, $this->user_id );
		$notice = $this->output( array( 'Contact_Bridge_Profile', 'render_notice' ) );
		$again  = $this->output( array( 'Contact_Bridge_Profile', 'render_notice' ) );

		$this->assertSame( array( 'POST', '/v1/events', array( 'event' => 'profile_update', 'user_id' => $this->user_id, 'blog_id' => 1 ) ), array( $this->requests[0]['method'], $this->requests[0]['path'], $this->requests[0]['body'] ) );
		$this->assertStringContainsString( 'id="contact-bridge-reconcile-notice" data-action="updated"><p>Reconciled: updated.', $notice );
		$this->assertStringContainsString( 'data-contact-id="80">Contact #80</a>', $notice );
		$this->assertStringContainsString( 'Reason: uf_name &lt;set&gt; to the user’s email', $notice );
		$this->assertSame( '', $again, 'shown once' );
		$this->assertSame( array(), $this->queueRows(), 'sent at once, not queued' );
	}

	public function test_when_the_users_screen_shows_linked_users_then_one_links_call_brings_their_states_and_a_state_that_is_not_ok_is_shown() {
		$other = wp_insert_user( array( 'user_login' => 'profile-b-' . wp_generate_password( 6, false ), 'user_pass' => wp_generate_password(), 'user_email' => 'profileb' . wp_rand() . '@example.org', 'role' => 'subscriber' ) );
		$with_state = true;
		$this->sidecarRoutes(
			function ( $method, $path ) use ( $other, &$with_state ) {
				$a = array( 'user_id' => $this->user_id, 'contact_id' => 81, 'uf_name' => 'a', 'domain_id' => 1 );
				$b = array( 'user_id' => $other, 'contact_id' => 82, 'uf_name' => 'b', 'domain_id' => 1 );
				// An older sidecar ignores with=state: no states, the links alone.
				return array( 200, array( 'links' => $with_state ? array( $a + array( 'state' => 'contact_trashed' ), $b + array( 'state' => 'ok' ) ) : array( $a, $b ) ) );
			}
		);
		$column = new ReflectionClass( 'Contact_Bridge_Users_Column' );
		$reset  = function () use ( $column ) {
			foreach ( array( 'links' => array(), 'asked' => array(), 'unavailable' => false, 'states' => array() ) as $name => $value ) {
				$property = $column->getProperty( $name );
				$property->setAccessible( true );
				$property->setValue( null, $value );
			}
		};
		set_current_screen( 'users' );

		$reset();
		$trashed  = Contact_Bridge_Users_Column::render_cell( '', Contact_Bridge_Users_Column::COLUMN, $this->user_id );
		$ok       = Contact_Bridge_Users_Column::render_cell( '', Contact_Bridge_Users_Column::COLUMN, $other );
		$asked    = $this->requests;
		$reset();
		$with_state = false;
		$first  = Contact_Bridge_Users_Column::render_cell( '', Contact_Bridge_Users_Column::COLUMN, $this->user_id );
		$second = Contact_Bridge_Users_Column::render_cell( '', Contact_Bridge_Users_Column::COLUMN, $other );
		$reset();
		wp_delete_user( $other );

		// Without a list table each cell asks for its own row; on users.php one call serves the page.
		foreach ( $asked as $request ) {
			$this->assertStringStartsWith( '/v1/links?user_ids=', $request['path'], 'no per-user health call' );
			$this->assertStringEndsWith( '&with=state', $request['path'] );
		}
		$this->assertStringContainsString( 'data-contact-id="81">Contact #81</a>', $trashed );
		$this->assertStringContainsString( '<span class="contact-bridge-state" data-state="contact_trashed">contact trashed</span>', $trashed );
		$this->assertStringContainsString( 'data-contact-id="82">Contact #82</a>', $ok );
		$this->assertStringNotContainsString( 'contact-bridge-state', $ok );
		$this->assertStringNotContainsString( 'contact-bridge-state', $first . $second );
		$this->assertStringContainsString( 'data-contact-id="81">Contact #81</a>', $first );
	}
}
