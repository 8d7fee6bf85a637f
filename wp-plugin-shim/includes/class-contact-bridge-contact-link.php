<?php
/**
 * A CRM contact id as a link, through the "CRM contact URL" setting: the one place every screen
 * of the plugin (Users column, sync conflicts, Link health, the profile section) turns a contact
 * id into HTML.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Contact URLs and links.
 */
final class Contact_Bridge_Contact_Link {

	/** The placeholder of the template. */
	const PLACEHOLDER = '{id}';

	/**
	 * Whether a template names a scheme (then it is absolute; else it is relative to wp-admin).
	 *
	 * @param string $template Template or URL.
	 * @return string The scheme in lower case, '' when there is none.
	 */
	public static function scheme( $template ) {
		return preg_match( '/^([a-z][a-z0-9+.\-]*):/i', (string) $template, $m ) ? strtolower( $m[1] ) : '';
	}

	/**
	 * The address of a contact (not escaped: pass it through esc_url() to print it).
	 *
	 * @param int $contact_id CRM contact id.
	 * @return string
	 */
	public static function url( $contact_id ) {
		$url = str_replace( self::PLACEHOLDER, (string) absint( $contact_id ), Contact_Bridge_Settings::crm_url_template() );
		return '' === self::scheme( $url ) ? admin_url( $url ) : $url;
	}

	/**
	 * The contact id as an escaped link: "Contact #12".
	 *
	 * @param int $contact_id CRM contact id.
	 * @return string HTML.
	 */
	public static function html( $contact_id ) {
		$contact_id = absint( $contact_id );
		return '<a class="contact-bridge-contact-link" href="' . esc_url( self::url( $contact_id ) ) . '" data-contact-id="' . esc_attr( (string) $contact_id ) . '">'
			/* translators: %d: CRM contact id. */
			. esc_html( sprintf( __( 'Contact #%d', 'contact-bridge' ), $contact_id ) ) . '</a>';
	}

	/**
	 * Several contact ids as links separated by commas ('—' when there are none).
	 *
	 * @param mixed $contact_ids Ids (anything else reads as none).
	 * @return string HTML.
	 */
	public static function list_html( $contact_ids ) {
		$links = array();
		foreach ( is_array( $contact_ids ) ? $contact_ids : array() as $id ) {
			if ( is_numeric( $id ) && (int) $id > 0 ) {
				$links[] = self::html( (int) $id );
			}
		}
		return empty( $links ) ? '&mdash;' : implode( ', ', $links );
	}
}
