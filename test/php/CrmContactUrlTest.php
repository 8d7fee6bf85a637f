<?php
/**
 * The "CRM contact URL" setting: its sanitizer, the one helper that turns a contact id into a
 * link, and its place among the options uninstall removes.
 */
class CrmContactUrlTest extends PluginTestCase {

	public function test_when_no_template_is_saved_then_a_contact_links_to_civicrms_contact_screen_in_this_sites_wp_admin() {
		$this->assertSame( admin_url( 'admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid=12' ), Contact_Bridge_Contact_Link::url( 12 ) );
		$this->assertSame(
			'<a class="contact-bridge-contact-link" href="' . esc_url( admin_url( 'admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid=12' ) ) . '" data-contact-id="12">Contact #12</a>',
			Contact_Bridge_Contact_Link::html( 12 )
		);
		$this->assertStringContainsString( '&#038;cid=12', Contact_Bridge_Contact_Link::html( 12 ), 'the href is escaped' );
	}

	public function test_when_an_absolute_template_is_saved_then_it_is_used_as_it_is_and_a_relative_one_goes_under_wp_admin() {
		update_option( Contact_Bridge_Settings::OPTION_CRM_URL, 'https://crm.example/civicrm/contact/view?cid={id}&x="><script>' );
		$html = Contact_Bridge_Contact_Link::html( 7 );
		update_option( Contact_Bridge_Settings::OPTION_CRM_URL, 'admin.php?page=crm&contact={id}' );
		$relative = Contact_Bridge_Contact_Link::url( 7 );

		$this->assertStringStartsWith( '<a class="contact-bridge-contact-link" href="https://crm.example/civicrm/contact/view?cid=7&#038;x=', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertStringNotContainsString( '">"', $html );
		$this->assertSame( admin_url( 'admin.php?page=crm&contact=7' ), $relative );
		$this->assertSame( '&mdash;', Contact_Bridge_Contact_Link::list_html( array() ) );
		$this->assertSame( 2, substr_count( Contact_Bridge_Contact_Link::list_html( array( 3, '4', 'x', -1 ) ), '<a ' ) );
	}

	public function test_when_a_template_is_saved_then_one_without_id_or_with_another_scheme_than_http_or_https_is_refused_and_the_old_one_kept() {
		update_option( Contact_Bridge_Settings::OPTION_CRM_URL, 'https://kept.example/c/{id}' );
		$kept = 'https://kept.example/c/{id}';

		$this->assertSame( $kept, Contact_Bridge_Settings_Page::sanitize_crm_url( 'https://crm.example/contact' ), 'no {id}' );
		$this->assertContains( 'The CRM contact URL must contain {id}, where the contact id goes. The previous value was kept.', Contact_Bridge_Settings_Page::errors() );
		foreach ( array( 'javascript:alert({id})', 'ftp://crm.example/{id}', 'data:text/html,{id}', '//crm.example/{id}', 'https:///{id}', 'admin.php?cid={id} x' ) as $bad ) {
			$this->assertSame( $kept, Contact_Bridge_Settings_Page::sanitize_crm_url( $bad ), $bad );
		}
		$this->assertSame( 'https://crm.example/civicrm/contact/view?reset=1&cid={id}', Contact_Bridge_Settings_Page::sanitize_crm_url( '  https://crm.example/civicrm/contact/view?reset=1&cid={id} ' ) );
		$this->assertSame( 'HTTP://crm.example/{id}', Contact_Bridge_Settings_Page::sanitize_crm_url( 'HTTP://crm.example/{id}' ) );
		$this->assertSame( 'admin.php?page=CiviCRM&q=civicrm%2Fcontact%2Fview&cid={id}', Contact_Bridge_Settings_Page::sanitize_crm_url( 'admin.php?page=CiviCRM&q=civicrm%2Fcontact%2Fview&cid={id}' ), 'percent escapes are kept' );
		$this->assertSame( '', Contact_Bridge_Settings_Page::sanitize_crm_url( '' ), 'empty: the default' );
	}

	public function test_when_the_settings_page_is_shown_then_it_has_the_crm_contact_url_field_with_the_saved_template() {
		wp_set_current_user( $this->admin()->ID );
		update_option( Contact_Bridge_Settings::OPTION_CRM_URL, 'https://crm.example/c/{id}?a=1&b=2' );
		Contact_Bridge_Settings_Page::register_settings();

		$html = $this->output( array( 'Contact_Bridge_Settings_Page', 'render' ) );
		wp_set_current_user( 0 );

		$this->assertMatchesRegularExpression( '/<input type="text" id="contact_bridge_crm_url" name="contact_bridge_crm_url" class="large-text code" value="https:\/\/crm\.example\/c\/\{id\}\?a=1&amp;b=2" placeholder="admin\.php\?page=CiviCRM&amp;q=civicrm\/contact\/view&amp;reset=1&amp;cid=\{id\}" \/>/', $html );
		$this->assertStringContainsString( 'id="submit"', $html );
	}

	public function test_uninstall_removes_the_template_on_a_site_and_on_a_network() {
		$this->assertContains( 'contact_bridge_crm_url', Contact_Bridge_Settings::all_option_names() );
		$this->assertContains( 'contact_bridge_crm_url', Contact_Bridge_Settings::network_option_names() );
	}

	public function test_when_the_sync_page_lists_a_conflict_with_a_contact_then_the_contact_links_through_the_template() {
		update_option( Contact_Bridge_Settings::OPTION_CRM_URL, 'https://crm.example/c/{id}' );
		$render = new ReflectionMethod( 'Contact_Bridge_Sync_Page', 'render_result' );
		$render->setAccessible( true );

		$html = $render->invoke(
			null,
			array( 'status' => 'completed', 'dry_run' => false, 'counts' => array(), 'summary' => '' ),
			array(
				array( 'user_id' => 999999, 'action' => 'conflict', 'reason' => 'r', 'contact_id' => 31, 'at' => '2026-12-01T23:00:00Z' ),
				array( 'user_id' => 999998, 'action' => 'skipped', 'reason' => 'r', 'contact_id' => null, 'at' => '2026-12-01T23:00:00Z' ),
			)
		);

		$this->assertStringContainsString( '<td><a class="contact-bridge-contact-link" href="https://crm.example/c/31" data-contact-id="31">Contact #31</a></td>', $html );
		$this->assertStringContainsString( '<td>&mdash;</td>', $html );
	}
}

