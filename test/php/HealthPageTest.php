<?php
/**
 * Link health: the screen (counts, findings table, views, cursor paging), its two ajax actions
 * (capability and nonce first, then the sidecar) and the outcome of a repair, against canned
 * sidecar answers shaped as the contract says.
 */
class HealthPageTest extends PluginTestCase {

	/** @var int */
	private $user_id = 0;

	protected function setUp(): void {
		parent::setUp();
		$this->configure();
		$this->user_id = wp_insert_user( array( 'user_login' => 'health-' . wp_generate_password( 6, false ), 'user_pass' => wp_generate_password(), 'user_email' => 'health' . wp_rand() . '@example.org', 'role' => 'subscriber' ) );
		wp_set_current_user( $this->admin()->ID );
		set_current_screen( 'tools_page_contact-bridge-health' );
	}

	protected function tearDown(): void {
		wp_set_current_user( 0 );
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $this->user_id );
		unset( $_GET['kind'], $_GET['after'], $_GET['from'], $_POST['nonce'], $_POST['scope'], $_POST['dry_run'], $_POST['kind'], $_POST['repair_id'], $_REQUEST['nonce'] );
		remove_all_filters( 'wp_doing_ajax' );
		remove_all_filters( 'wp_die_ajax_handler' );
		remove_all_filters( 'wp_die_handler' );
		parent::tearDown();
	}

	private function counts( array $some ) {
		return array_merge( array_fill_keys( Contact_Bridge_Health::KINDS, 0 ), $some );
	}

	private function healthAnswer( $next = null ) {
		return array(
			'domain_id'  => 1,
			'checked_at' => '2026-12-01T23:30:00.000Z',
			'counts'     => $this->counts( array( 'link_user_gone' => 1, 'uf_name_drift' => 1, 'ambiguous_email' => 25 ) ),
			'findings'   => array(
				array( 'kind' => 'link_user_gone', 'user_id' => 999999, 'contact_ids' => array( 41 ), 'explanation' => 'The link names user 999999, who no longer exists.', 'repair' => 'Remove the link; the contact stays.' ),
				array( 'kind' => 'uf_name_drift', 'user_id' => $this->user_id, 'contact_ids' => array( 42 ), 'explanation' => 'uf_name <b>old@example.org</b> is not the user’s email.', 'repair' => 'Set uf_name to the user’s email.' ),
				array( 'kind' => 'ambiguous_email', 'user_id' => $this->user_id, 'contact_ids' => array( 43, 44 ), 'explanation' => 'Two contacts have this email.', 'repair' => null ),
			),
			'next'       => $next,
		);
	}

	public function test_when_the_sidecar_reports_findings_then_the_screen_shows_the_counts_and_each_finding_with_its_user_contacts_explanation_and_repair() {
		$this->sidecarRoutes(
			function () {
				return array( 200, $this->healthAnswer() );
			}
		);

		$html = $this->output( array( 'Contact_Bridge_Health_Page', 'render' ) );

		$this->assertCount( 1, $this->requests );
		$this->assertSame( 'GET', $this->requests[0]['method'] );
		$this->assertSame( '/v1/health?blog_id=1&limit=20', $this->requests[0]['path'] );
		$this->assertStringStartsWith( 'v2=', $this->requests[0]['args']['headers']['X-Bridge-Signature'] );
		// Counts: every kind, zero included.
		$this->assertSame( 9, preg_match_all( '/<tr data-kind="[a-z_]+">\s*<th scope="row">/', $html ) );
		$this->assertMatchesRegularExpression( '/<tr data-kind="ambiguous_email">\s*<th scope="row">Email shared by several contacts<\/th>\s*<td>25<\/td>/', $html );
		$this->assertMatchesRegularExpression( '/<tr data-kind="user_unlinked">\s*<th scope="row">[^<]+<\/th>\s*<td>0<\/td>/', $html );
		// Views: All and the kinds that have findings, with their counts.
		$this->assertMatchesRegularExpression( '/class="current" aria-current="page">All <span class="count">\(27\)<\/span>/', $html );
		$this->assertStringContainsString( 'data-kind="uf_name_drift">' . 'Link’s email differs from the user’s <span class="count">(1)</span>', $html );
		$this->assertStringNotContainsString( 'kind=user_unlinked', $html, 'no view for a kind without findings' );
		// Rows.
		$this->assertStringContainsString( 'User #999999 (no longer exists)', $html );
		$this->assertStringContainsString( 'user-edit.php?user_id=' . $this->user_id, $html );
		$this->assertStringContainsString( 'data-contact-id="41">Contact #41</a>', $html );
		$this->assertStringContainsString( esc_url( admin_url( 'admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid=43' ) ), $html );
		$this->assertStringContainsString( 'data-contact-id="44"', $html );
		$this->assertStringContainsString( 'uf_name &lt;b&gt;old@example.org&lt;/b&gt; is not', $html, 'explanations are escaped' );
		$this->assertStringContainsString( 'Set uf_name to the user’s email.', $html );
		$this->assertSame( 1, substr_count( $html, '<span class="contact-bridge-needs-person">Needs a person</span>' ) );
		$this->assertStringContainsString( 'id="contact-bridge-health-dry-run"', $html );
		$this->assertStringContainsString( 'id="contact-bridge-health-repair"', $html );
		$this->assertStringNotContainsString( 'next-page', $html, 'no next page without a cursor' );
	}

	public function test_when_there_is_a_next_page_then_the_next_link_carries_the_cursor_and_that_page_asks_the_sidecar_for_it() {
		$this->sidecarRoutes(
			function () {
				return array( 200, $this->healthAnswer( 'c/3+x=' ) );
			}
		);
		$first = $this->output( array( 'Contact_Bridge_Health_Page', 'render' ) );
		$this->assertSame( 1, preg_match( '/<a class="next-page button" href="([^"]+)"/', $first, $m ) );
		$next = html_entity_decode( $m[1] );
		parse_str( (string) wp_parse_url( $next, PHP_URL_QUERY ), $query );
		$this->assertSame( array( 'page' => 'contact-bridge-health', 'after' => 'c/3+x=', 'from' => '3' ), $query );

		$_GET['after'] = wp_slash( $query['after'] );
		$_GET['from']  = $query['from'];
		$_GET['kind']  = 'ambiguous_email';
		$second        = $this->output( array( 'Contact_Bridge_Health_Page', 'render' ) );

		$this->assertSame( '/v1/health?blog_id=1&kind=ambiguous_email&after=c%2F3%2Bx%3D&limit=20', $this->requests[1]['path'] );
		$this->assertStringContainsString( '4–6 of 25', $second );
		$this->assertStringContainsString( 'class="first-page button"', $second );
		$this->assertStringContainsString( 'This kind only: Email shared by several contacts.', str_replace( 'Dry run and Repair act on this kind only', 'This kind only', $second ) );
	}

	public function test_when_the_sidecar_cannot_be_asked_then_the_screen_says_why_and_offers_no_repair() {
		$this->sidecarRoutes(
			function () {
				return array( 503, array( 'error' => array( 'code' => 'DATABASE_UNAVAILABLE', 'message' => 'The database cannot be reached.' ) ) );
			}
		);

		$html = $this->output( array( 'Contact_Bridge_Health_Page', 'render' ) );

		$this->assertStringContainsString( 'The findings could not be read: HTTP 503: The database cannot be reached.', $html );
		$this->assertStringNotContainsString( 'id="contact-bridge-health-repair"', $html );
	}

	public function test_when_a_dry_run_is_done_then_the_outcome_has_found_repaired_left_per_kind_and_the_changes_escaped() {
		$html = Contact_Bridge_Health_Page::render_result(
			array(
				'id'       => 5,
				'status'   => 'completed',
				'dry_run'  => true,
				'counts'   => array(
					'link_user_gone' => array( 'found' => 1, 'repaired' => 1, 'left' => 0 ),
					'ambiguous_email' => array( 'found' => 2, 'repaired' => 0, 'left' => 2 ),
				),
				'changes'  => array(
					array( 'kind' => 'link_user_gone', 'user_id' => 999999, 'contact_ids' => array( 41 ), 'change' => 'Would remove the link <img src=x onerror=alert(1)>' ),
				),
				'progress' => array( 'processed' => 3, 'total' => 3 ),
			),
			Contact_Bridge_Scope::SITE
		);
		$real = Contact_Bridge_Health_Page::render_result( array( 'id' => 6, 'status' => 'completed', 'dry_run' => false, 'counts' => array( 'link_user_gone' => array( 'found' => 1, 'repaired' => 1, 'left' => 0 ) ), 'changes' => array() ), Contact_Bridge_Scope::SITE );

		$this->assertStringContainsString( 'Dry run: nothing was changed.', $html );
		$this->assertStringContainsString( '<tr data-kind="ambiguous_email"><th scope="row">Email shared by several contacts</th><td data-count="found">2</td><td data-count="repaired">0</td><td data-count="left">2</td></tr>', $html );
		$this->assertStringContainsString( 'Would be repaired', $html );
		$this->assertStringContainsString( 'id="contact-bridge-repair-changes"', $html );
		$this->assertStringContainsString( 'Would remove the link &lt;img src=x onerror=alert(1)&gt;', $html );
		$this->assertStringNotContainsString( '<img', $html );
		$this->assertStringContainsString( 'Repair finished.', $real );
		$this->assertStringContainsString( '<td data-count="repaired">1</td>', $real );
		$this->assertStringNotContainsString( 'contact-bridge-repair-changes', $real );
	}

	/**
	 * Runs an ajax action the way admin-ajax.php does; returns [ status, decoded answer ] (a die is an exception here).
	 */
	private function ajax( $method, array $post ) {
		add_filter( 'wp_doing_ajax', '__return_true' );
		$die = function () {
			return function ( $message, $title = '', $args = array() ) {
				throw new RuntimeException( 'died: ' . ( is_scalar( $message ) ? $message : '' ) );
			};
		};
		add_filter( 'wp_die_ajax_handler', $die );
		add_filter( 'wp_die_handler', $die );
		foreach ( $post as $k => $v ) {
			$_POST[ $k ] = $v;
		}
		$_REQUEST['nonce'] = isset( $post['nonce'] ) ? $post['nonce'] : null;
		ob_start();
		try {
			Contact_Bridge_Health_Page::$method();
		} catch ( RuntimeException $e ) {
			$died = $e->getMessage();
		}
		$out = (string) ob_get_clean();
		return array( json_decode( $out, true ), isset( $died ) ? $died : '' );
	}

	public function test_when_a_user_without_the_capability_or_without_the_nonce_starts_a_repair_then_it_is_refused_and_the_sidecar_is_not_asked() {
		$this->sidecarRoutes(
			function () {
				return array( 202, array( 'id' => 1 ) );
			}
		);
		wp_set_current_user( $this->user_id ); // A subscriber, even with a nonce of their own.
		list( $subscriber ) = $this->ajax( 'ajax_start', array( 'nonce' => wp_create_nonce( Contact_Bridge_Health_Page::nonce_action( 'site' ) ), 'scope' => 'site', 'dry_run' => '1' ) );
		wp_set_current_user( $this->admin()->ID );
		list( $forged, $died ) = $this->ajax( 'ajax_start', array( 'nonce' => 'a1b2c3d4e5', 'scope' => 'site', 'dry_run' => '1' ) );

		$this->assertSame( false, $subscriber['success'] );
		$this->assertSame( 'Sorry, you are not allowed to do that.', $subscriber['data']['message'] );
		$this->assertNull( $forged );
		$this->assertStringStartsWith( 'died: -1', $died, 'check_ajax_referer refuses' );
		$this->assertSame( array(), $this->requests );
	}

	public function test_when_an_administrator_starts_a_dry_run_of_one_kind_then_the_sidecar_gets_it_and_a_running_repair_is_followed_but_a_running_sync_refuses() {
		$busy    = array( 409, array( 'error' => array( 'code' => 'CONFLICT', 'message' => 'A sync or a repair is already in progress in this domain (run 11).' ), 'id' => 11 ) );
		$answers = array(
			array( 202, array( 'id' => 11 ) ),
			$busy,
			array( 200, array( 'id' => 11, 'status' => 'running', 'dry_run' => true, 'counts' => array(), 'changes' => array(), 'progress' => array( 'processed' => 0, 'total' => 3 ) ) ),
			$busy, // Run 11 is a sync's: no repair of that id.
			array( 404, array( 'error' => array( 'code' => 'NOT_FOUND', 'message' => 'No repair run 11.' ) ) ),
		);
		$this->sidecarRoutes(
			function () use ( &$answers ) {
				return array_shift( $answers );
			}
		);
		$nonce = wp_create_nonce( Contact_Bridge_Health_Page::nonce_action( 'site' ) );

		list( $started ) = $this->ajax( 'ajax_start', array( 'nonce' => $nonce, 'scope' => 'site', 'dry_run' => '1', 'kind' => 'uf_name_drift' ) );
		list( $again )   = $this->ajax( 'ajax_start', array( 'nonce' => $nonce, 'scope' => 'site', 'dry_run' => '0', 'kind' => 'not-a-kind' ) );
		list( $sync )    = $this->ajax( 'ajax_start', array( 'nonce' => $nonce, 'scope' => 'site', 'dry_run' => '0' ) );

		$this->assertSame( array( 'success' => true, 'data' => array( 'id' => 11, 'already_running' => false ) ), $started );
		$this->assertSame( true, $again['data']['already_running'] );
		$this->assertSame( 11, $again['data']['id'] );
		$this->assertSame( array( 'POST', '/v1/repair', array( 'dry_run' => true, 'blog_id' => 1, 'kinds' => array( 'uf_name_drift' ) ) ), array( $this->requests[0]['method'], $this->requests[0]['path'], $this->requests[0]['body'] ) );
		$this->assertSame( array( 'dry_run' => false, 'blog_id' => 1 ), $this->requests[1]['body'], 'an unknown kind means every kind' );
		$this->assertSame( '/v1/repair/11?blog_id=1', $this->requests[2]['path'] );
		$this->assertSame( false, $sync['success'] );
		$this->assertSame( 'The repair could not be started: HTTP 409: A sync or a repair is already in progress in this domain (run 11).', $sync['data']['message'] );
	}

	public function test_when_the_progress_is_asked_then_a_running_repair_gives_its_progress_and_a_finished_one_its_outcome() {
		$answers = array(
			array( 200, array( 'id' => 12, 'status' => 'running', 'dry_run' => false, 'counts' => array(), 'changes' => array(), 'progress' => array( 'processed' => 1, 'total' => 4 ) ) ),
			array( 200, array( 'id' => 12, 'status' => 'completed', 'dry_run' => false, 'counts' => array( 'uf_name_drift' => array( 'found' => 4, 'repaired' => 4, 'left' => 0 ) ), 'changes' => array(), 'progress' => array( 'processed' => 4, 'total' => 4 ) ) ),
		);
		$this->sidecarRoutes(
			function () use ( &$answers ) {
				return array_shift( $answers );
			}
		);
		$nonce = wp_create_nonce( Contact_Bridge_Health_Page::nonce_action( 'site' ) );

		list( $running ) = $this->ajax( 'ajax_status', array( 'nonce' => $nonce, 'scope' => 'site', 'repair_id' => '12' ) );
		list( $done )    = $this->ajax( 'ajax_status', array( 'nonce' => $nonce, 'scope' => 'site', 'repair_id' => '12' ) );

		$this->assertSame( '/v1/repair/12?blog_id=1', $this->requests[0]['path'] );
		$this->assertSame( array( 'status' => 'running', 'processed' => 1, 'total' => 4, 'progress_text' => 'Checked 1 of 4 user records…', 'html' => '' ), $running['data'] );
		$this->assertSame( 'completed', $done['data']['status'] );
		$this->assertStringContainsString( '<td data-count="found">4</td><td data-count="repaired">4</td><td data-count="left">0</td>', $done['data']['html'] );
	}
}
