<?php
/**
 * Settings → Contact Bridge shows the plugin's version and what GET /v1/ping says of the sidecar
 * (its version and signature scheme), and warns when they do not go together.
 */
class VersionsTest extends PluginTestCase {

	protected function setUp(): void {
		parent::setUp();
		// A test run in a separate process changes options behind this process's option cache.
		wp_cache_flush();
		$this->configure();
		wp_set_current_user( $this->admin()->ID );
		set_current_screen( 'settings_page_contact-bridge' );
	}

	protected function tearDown(): void {
		wp_set_current_user( 0 );
		delete_option( Contact_Bridge_Settings::OPTION_URL );
		delete_option( Contact_Bridge_Settings::OPTION_SECRET );
		parent::tearDown();
	}

	/**
	 * The sidecar answers GET /v1/ping with these fields (and ok, domain_id).
	 *
	 * @param array $about version, signature, as the sidecar would send them.
	 * @param int   $status HTTP status.
	 */
	private function sidecarSays( array $about, $status = 200 ) {
		$this->sidecarRoutes(
			function ( $method, $path ) use ( $about, $status ) {
				$this->assertSame( 'GET', $method );
				$this->assertStringStartsWith( '/v1/ping?', $path );
				return array( $status, array_merge( array( 'ok' => true, 'domain_id' => 1 ), $about ) );
			}
		);
	}

	/** The page as an administrator sees it. */
	private function page() {
		return $this->output( array( 'Contact_Bridge_Settings_Page', 'render' ) );
	}

	/** The text of the element with this id ('' when there is none). */
	private function cell( $html, $id ) {
		return preg_match( '#id="' . preg_quote( $id, '#' ) . '"[^>]*>(.*?)</td>#s', $html, $m ) ? trim( html_entity_decode( wp_strip_all_tags( $m[1] ), ENT_QUOTES ) ) : '';
	}

	public function test_when_the_sidecar_has_the_plugins_version_and_scheme_then_the_page_shows_both_and_warns_of_nothing() {
		$this->sidecarSays( array( 'version' => CONTACT_BRIDGE_VERSION, 'signature' => 'v2' ) );

		$html = $this->page();

		$this->assertSame( CONTACT_BRIDGE_VERSION, $this->cell( $html, 'contact-bridge-plugin-version' ) );
		$this->assertSame( 'v2', $this->cell( $html, 'contact-bridge-plugin-signature' ) );
		$this->assertSame( CONTACT_BRIDGE_VERSION, $this->cell( $html, 'contact-bridge-sidecar-version' ) );
		$this->assertSame( 'v2', $this->cell( $html, 'contact-bridge-sidecar-signature' ) );
		$this->assertStringNotContainsString( 'contact-bridge-version-warning', $html );
		$this->assertCount( 1, $this->requests, 'one ping per page view' );
	}

	public function test_when_the_sidecar_answers_another_version_then_the_page_shows_it_in_a_warning_naming_both_versions() {
		$this->sidecarSays( array( 'version' => '9.8.7', 'signature' => 'v2' ) );

		$html = $this->page();

		$this->assertSame( '9.8.7', $this->cell( $html, 'contact-bridge-sidecar-version' ) );
		$this->assertSame( 1, preg_match_all( '#<div class="notice notice-warning contact-bridge-version-warning"><p>([^<]*)</p></div>#', $html, $m ) );
		$this->assertSame( 'The plugin is version ' . CONTACT_BRIDGE_VERSION . ' and the sidecar version 9.8.7. Install the same version of both: upgrade the sidecar first, then the plugin.', $m[1][0] );
	}

	public function test_when_the_sidecar_speaks_another_signature_scheme_then_the_page_warns_that_it_may_refuse_the_events() {
		$this->sidecarSays( array( 'version' => CONTACT_BRIDGE_VERSION, 'signature' => 'v3' ) );

		$html = $this->page();

		$this->assertSame( 'v3', $this->cell( $html, 'contact-bridge-sidecar-signature' ) );
		$this->assertSame( 1, preg_match_all( '#contact-bridge-version-warning"><p>([^<]*)</p>#', $html, $m ) );
		$this->assertStringContainsString( 'expects signature scheme v3 and the plugin signs with v2', html_entity_decode( $m[1][0], ENT_QUOTES ) );
	}

	public function test_when_the_sidecar_says_neither_version_nor_scheme_then_both_are_unknown_and_both_warnings_are_shown() {
		$this->sidecarSays( array() );

		$html = $this->page();

		$this->assertSame( 'unknown (the sidecar does not say)', $this->cell( $html, 'contact-bridge-sidecar-version' ) );
		$this->assertSame( 2, substr_count( $html, 'contact-bridge-version-warning' ) );
		$this->assertStringContainsString( 'and the sidecar version unknown.', $html );
	}

	public function test_when_the_sidecars_version_carries_markup_then_it_is_shown_as_text_and_never_as_markup() {
		$this->sidecarSays( array( 'version' => '1.0<script>alert(1)</script>"><b>', 'signature' => '<img src=x onerror=alert(1)>' ) );

		$html = $this->page();

		$this->assertStringNotContainsString( '<script', $html );
		$this->assertStringNotContainsString( '<img', $html );
		$this->assertStringNotContainsString( '<b>', $html );
		$this->assertSame( 2, substr_count( $html, 'contact-bridge-version-warning' ), 'neither is the plugin\'s' );
	}

	public function test_when_the_sidecar_does_not_answer_then_the_page_says_why_and_warns_of_no_version() {
		$this->sidecarAnswers( array( 0 ) );

		$html = $this->page();

		$this->assertStringContainsString( 'Not known: the sidecar\'s ping failed (cURL error 28: Operation timed out).', $this->cell( $html, 'contact-bridge-sidecar-version' ) );
		$this->assertStringNotContainsString( 'contact-bridge-sidecar-signature', $html );
		$this->assertStringNotContainsString( 'contact-bridge-version-warning', $html );
		$this->assertSame( CONTACT_BRIDGE_VERSION, $this->cell( $html, 'contact-bridge-plugin-version' ) );
	}

	public function test_when_the_sidecar_refuses_the_secret_then_no_version_is_shown_from_its_answer() {
		$this->sidecarSays( array( 'version' => '9.9.9', 'signature' => 'v2', 'error' => array( 'code' => 'BAD_SIGNATURE', 'message' => 'bad signature' ) ), 401 );

		$html = $this->page();

		$this->assertStringContainsString( 'HTTP 401: bad signature', $this->cell( $html, 'contact-bridge-sidecar-version' ) );
		$this->assertStringNotContainsString( '9.9.9', $html );
		$this->assertStringNotContainsString( 'contact-bridge-version-warning', $html );
	}

	public function test_when_no_url_or_secret_is_set_then_the_page_asks_the_sidecar_nothing() {
		delete_option( Contact_Bridge_Settings::OPTION_URL );
		$this->sidecarSays( array( 'version' => CONTACT_BRIDGE_VERSION, 'signature' => 'v2' ) );

		$html = $this->page();

		$this->assertCount( 0, $this->requests );
		$this->assertSame( CONTACT_BRIDGE_VERSION, $this->cell( $html, 'contact-bridge-plugin-version' ) );
		$this->assertStringNotContainsString( 'contact-bridge-sidecar-version', $html );
	}
}
