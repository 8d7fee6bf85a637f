<?php
/**
 * Settings sanitizers, the signing function, capabilities on a single site, and constants over options.
 */
class SettingsTest extends PluginTestCase {

	public function test_the_signature_is_v2_over_timestamp_method_path_and_body_as_the_sidecar_computes_it() {
		// The same vector is checked against the sidecar's signer (test/unit/signature.test.ts).
		$this->assertSame(
			'v2=77e6055f893d6e6d88278338642ff9c788ef016a0e5be1a5b17377bb9e2a4801',
			Contact_Bridge_Client::sign( str_repeat( 's', 40 ), '1700000000', 'post', '/v1/events?blog_id=2', '{"a":1}' )
		);
	}

	public function test_when_a_url_is_saved_then_it_must_be_http_or_https_and_loses_its_trailing_slash() {
		update_option( Contact_Bridge_Settings::OPTION_URL, 'http://kept.example:8787' );

		$this->assertSame( 'https://bridge.example/prefix', Contact_Bridge_Settings_Page::sanitize_url( ' https://bridge.example/prefix/ ' ) );
		$this->assertSame( 'http://kept.example:8787', Contact_Bridge_Settings_Page::sanitize_url( 'ftp://bridge.example' ) );
		$this->assertSame( 'http://kept.example:8787', Contact_Bridge_Settings_Page::sanitize_url( 'javascript:alert(1)' ) );
		$this->assertSame( 'http://kept.example:8787', Contact_Bridge_Settings_Page::sanitize_url( '//no-scheme.example' ) );
		$this->assertSame( '', Contact_Bridge_Settings_Page::sanitize_url( '' ) );
		$this->assertNotEmpty( Contact_Bridge_Settings_Page::errors() );
	}

	public function test_when_a_secret_is_saved_then_short_or_spaced_ones_are_refused_and_an_empty_field_keeps_the_stored_one() {
		$stored = str_repeat( 'k', 40 );
		update_option( Contact_Bridge_Settings::OPTION_SECRET, $stored );

		$this->assertSame( $stored, Contact_Bridge_Settings_Page::sanitize_secret( '' ) );
		$this->assertSame( $stored, Contact_Bridge_Settings_Page::sanitize_secret( 'too-short' ) );
		$this->assertSame( $stored, Contact_Bridge_Settings_Page::sanitize_secret( str_repeat( 'a', 20 ) . ' ' . str_repeat( 'b', 20 ) ) );
		$this->assertSame( str_repeat( 'n', 32 ), Contact_Bridge_Settings_Page::sanitize_secret( '  ' . str_repeat( 'n', 32 ) . ' ' ) );
	}

	public function test_on_a_single_site_only_administrators_may_sync_and_only_user_listers_see_the_column() {
		$admin      = get_user_by( 'login', getenv( 'CB_WP_ADMIN' ) ?: 'admin' );
		$subscriber = wp_insert_user( array( 'user_login' => 'phpunit-sub-' . wp_generate_password( 6, false ), 'user_pass' => wp_generate_password(), 'user_email' => 'sub' . wp_rand() . '@example.org', 'role' => 'subscriber' ) );
		global $wpdb;
		$wpdb->query( 'DELETE FROM ' . Contact_Bridge_Queue::table() ); // phpcs:ignore -- the hook queued the new user

		wp_set_current_user( $subscriber );
		$subscriber_may = array( Contact_Bridge_Scope::can_manage( Contact_Bridge_Scope::SITE ), Contact_Bridge_Scope::can_see_column( Contact_Bridge_Scope::SITE ) );
		wp_set_current_user( $admin->ID );
		$admin_may = array( Contact_Bridge_Scope::can_manage( Contact_Bridge_Scope::SITE ), Contact_Bridge_Scope::can_see_column( Contact_Bridge_Scope::SITE ) );
		wp_set_current_user( 0 );
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $subscriber );
		$wpdb->query( 'DELETE FROM ' . Contact_Bridge_Queue::table() ); // phpcs:ignore

		$this->assertSame( array( false, false ), $subscriber_may );
		$this->assertSame( array( true, true ), $admin_may );
		$this->assertSame( Contact_Bridge_Scope::SITE, Contact_Bridge_Scope::from_request( 'network' ), 'no network scope on a single site' );
		$this->assertSame( 1, Contact_Bridge_Scope::blog_for( Contact_Bridge_Scope::SITE ) );
	}

	/**
	 * Defines constants, so it runs in a PHP process of its own (not under PHP 7.4 built for
	 * Node, which cannot start one: test/e2e/plugin-phpunit.test.ts).
	 *
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 * @group separate-process
	 */
	public function test_when_wp_config_sets_the_url_and_secret_then_they_win_over_the_options_and_no_form_changes_them() {
		update_option( Contact_Bridge_Settings::OPTION_URL, 'http://option.example' );
		update_option( Contact_Bridge_Settings::OPTION_SECRET, str_repeat( 'o', 40 ) );
		define( 'CONTACT_BRIDGE_URL', 'http://constant.example:8787/' );
		define( 'CONTACT_BRIDGE_SECRET', str_repeat( 'c', 40 ) );

		$this->assertTrue( Contact_Bridge_Settings::url_is_constant() );
		$this->assertSame( 'http://constant.example:8787', Contact_Bridge_Settings::url() );
		$this->assertSame( str_repeat( 'c', 40 ), Contact_Bridge_Settings::secret() );
		$this->assertSame( 'http://option.example', Contact_Bridge_Settings_Page::sanitize_url( 'http://attacker.example' ) );
		$this->assertSame( str_repeat( 'o', 40 ), Contact_Bridge_Settings_Page::sanitize_secret( str_repeat( 'x', 40 ) ) );
		delete_option( Contact_Bridge_Settings::OPTION_URL );
		delete_option( Contact_Bridge_Settings::OPTION_SECRET );
	}
}
