<?php
/**
 * The words of Link health: the finding kinds and link states the sidecar reports
 * (GET /v1/health, GET /v1/users/:id/health), as the screens show them. The sidecar decides
 * what is found and what state a link is in; the plugin only names it.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Finding kinds and link states.
 */
final class Contact_Bridge_Health {

	/** Every finding kind, in the order the screens list them: the sidecar's (test/unit/plugin-contract.test.ts). */
	const KINDS = array(
		'user_unlinked',
		'link_user_gone',
		'link_contact_gone',
		'link_contact_trashed',
		'uf_name_drift',
		'email_changed_in_crm',
		'duplicate_user_link',
		'contact_linked_twice',
		'ambiguous_email',
	);

	/** Link states of one user. */
	const STATES = array( 'ok', 'drift', 'contact_trashed', 'contact_gone', 'not_linked' );

	/** What the plugin says when the sidecar could not tell the state. */
	const UNKNOWN = 'unknown';

	/**
	 * Whether a value is a finding kind.
	 *
	 * @param mixed $kind Value.
	 * @return bool
	 */
	public static function is_kind( $kind ) {
		return is_string( $kind ) && in_array( $kind, self::KINDS, true );
	}

	/**
	 * A finding kind in words (the kind itself when it is one the plugin does not know yet).
	 *
	 * @param string $kind Kind.
	 * @return string
	 */
	public static function kind_label( $kind ) {
		switch ( $kind ) {
			case 'user_unlinked':
				return __( 'User not linked to a contact', 'contact-bridge' );
			case 'link_user_gone':
				return __( 'Link to a user that no longer exists', 'contact-bridge' );
			case 'link_contact_gone':
				return __( 'Link to a contact that no longer exists', 'contact-bridge' );
			case 'link_contact_trashed':
				return __( 'Link to a contact in the trash', 'contact-bridge' );
			case 'uf_name_drift':
				return __( 'Link’s email differs from the user’s', 'contact-bridge' );
			case 'email_changed_in_crm':
				return __( 'Email changed in the CRM', 'contact-bridge' );
			case 'duplicate_user_link':
				return __( 'User linked more than once', 'contact-bridge' );
			case 'contact_linked_twice':
				return __( 'Contact linked to more than one user', 'contact-bridge' );
			case 'ambiguous_email':
				return __( 'Email shared by several contacts', 'contact-bridge' );
		}
		return (string) $kind;
	}

	/**
	 * A link state in words.
	 *
	 * @param string $state ok, drift, contact_trashed, contact_gone, not_linked or unknown.
	 * @return string
	 */
	public static function state_label( $state ) {
		switch ( $state ) {
			case 'ok':
				return __( 'OK: linked, and the link agrees with the user', 'contact-bridge' );
			case 'drift':
				return __( 'Drift: the link or the contact no longer agrees with the user', 'contact-bridge' );
			case 'contact_trashed':
				return __( 'Contact trashed: the linked contact is in the CRM’s trash', 'contact-bridge' );
			case 'contact_gone':
				return __( 'Contact gone: the linked contact no longer exists', 'contact-bridge' );
			case 'not_linked':
				return __( 'Not linked', 'contact-bridge' );
		}
		return __( 'State unknown', 'contact-bridge' );
	}

	/**
	 * A link state in one or two words (the Users column).
	 *
	 * @param string $state State.
	 * @return string
	 */
	public static function state_short_label( $state ) {
		switch ( $state ) {
			case 'ok':
				return __( 'ok', 'contact-bridge' );
			case 'drift':
				return __( 'drift', 'contact-bridge' );
			case 'contact_trashed':
				return __( 'contact trashed', 'contact-bridge' );
			case 'contact_gone':
				return __( 'contact gone', 'contact-bridge' );
			case 'not_linked':
				return __( 'not linked', 'contact-bridge' );
		}
		return __( 'state unknown', 'contact-bridge' );
	}

	/**
	 * A finding as the sidecar sent it, with every field of the right type (anything missing is empty).
	 *
	 * @param mixed $finding Decoded finding.
	 * @return array|null kind, user_id (int|null), contact_ids (int[]), explanation, repair (string|null); null when unusable.
	 */
	public static function finding( $finding ) {
		if ( ! is_array( $finding ) || ! isset( $finding['kind'] ) || ! is_string( $finding['kind'] ) ) {
			return null;
		}
		$ids = array();
		foreach ( isset( $finding['contact_ids'] ) && is_array( $finding['contact_ids'] ) ? $finding['contact_ids'] : array() as $id ) {
			if ( is_numeric( $id ) && (int) $id > 0 ) {
				$ids[] = (int) $id;
			}
		}
		return array(
			'kind'        => $finding['kind'],
			'user_id'     => isset( $finding['user_id'] ) && is_numeric( $finding['user_id'] ) ? (int) $finding['user_id'] : null,
			'contact_ids' => $ids,
			'explanation' => isset( $finding['explanation'] ) && is_string( $finding['explanation'] ) ? $finding['explanation'] : '',
			'repair'      => isset( $finding['repair'] ) && is_string( $finding['repair'] ) && '' !== $finding['repair'] ? $finding['repair'] : null,
		);
	}

	/**
	 * A user id as HTML: the login linked to the user's edit screen, or a note that the user is gone.
	 *
	 * @param int|null $user_id User id.
	 * @return string HTML.
	 */
	public static function user_html( $user_id ) {
		if ( null === $user_id || $user_id <= 0 ) {
			return '&mdash;';
		}
		$user = get_userdata( (int) $user_id );
		if ( ! $user ) {
			/* translators: %d: user id. */
			return '<span class="contact-bridge-user-gone">' . esc_html( sprintf( __( 'User #%d (no longer exists)', 'contact-bridge' ), $user_id ) ) . '</span>';
		}
		$href  = get_edit_user_link( (int) $user_id ); // '' when the current user may not edit this one.
		$login = esc_html( $user->user_login );
		return ( '' === $href ? $login : '<a class="contact-bridge-user-link" href="' . esc_url( $href ) . '">' . $login . '</a>' ) . ' (#' . esc_html( (string) (int) $user_id ) . ')';
	}
}
