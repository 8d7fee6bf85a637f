<?php
/**
 * Tools → Export / Erase Personal Data: the plugin's own data (its queue) and what the sidecar
 * keeps (its state, audit and run rows, through the signed /v1/personal-data routes), and the
 * suggested privacy-policy text. The CRM contact is never touched by an erasure.
 *
 * A sidecar that does not answer makes the exporter or eraser return a WP_Error: WordPress then
 * stops the request with that message and leaves it unfinished (an eraser never reports data
 * as erased that was not), and the administrator runs it again later. Nothing loops: WordPress
 * asks for the next page only after an answer with 'done' false.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Personal data exporters, erasers and the privacy-policy text.
 */
final class Contact_Bridge_Privacy {

	/** Exporter and eraser keys. */
	const QUEUE = 'contact-bridge-queue';
	const SIDECAR = 'contact-bridge-sidecar';

	/** Seconds a privacy call may take (an administrator's request, no visitor waits on it). */
	const TIMEOUT = 20;

	/** An eraser that is still not done after this many pages gives up with a message (a guard; one page erases thousands of rows). */
	const MAX_ERASE_PAGES = 500;

	/**
	 * @param array $exporters Registered exporters.
	 * @return array
	 */
	public static function register_exporters( $exporters ) {
		return self::register( (array) $exporters, 'exporter_friendly_name', array( self::QUEUE => 'export_queue', self::SIDECAR => 'export_sidecar' ) );
	}

	/**
	 * @param array $erasers Registered erasers.
	 * @return array
	 */
	public static function register_erasers( $erasers ) {
		return self::register( (array) $erasers, 'eraser_friendly_name', array( self::QUEUE => 'erase_queue', self::SIDECAR => 'erase_sidecar' ) );
	}

	/**
	 * The names WordPress shows for the two parts (exporters, erasers and export groups alike).
	 *
	 * @return string[] Key => name.
	 */
	private static function names() {
		return array(
			self::QUEUE   => __( 'Contact Bridge: queued events', 'contact-bridge' ),
			self::SIDECAR => __( 'Contact Bridge: link to the CRM', 'contact-bridge' ),
		);
	}

	/**
	 * @param array    $list      Exporters or erasers.
	 * @param string   $name_key  exporter_friendly_name or eraser_friendly_name.
	 * @param string[] $callbacks Key => method of this class.
	 * @return array
	 */
	private static function register( array $list, $name_key, array $callbacks ) {
		$names = self::names();
		foreach ( $callbacks as $key => $method ) {
			$list[ $key ] = array(
				$name_key  => $names[ $key ],
				'callback' => array( __CLASS__, $method ),
			);
		}
		return $list;
	}

	/**
	 * The user of a request's address, if any.
	 *
	 * @param string $email Address.
	 * @return int User id or 0.
	 */
	private static function user_id_of( $email ) {
		$user = get_user_by( 'email', (string) $email );
		return $user ? (int) $user->ID : 0;
	}

	/**
	 * One export item.
	 *
	 * @param string $group Group id suffix.
	 * @param string $label Group label.
	 * @param string $description Group description.
	 * @param string $item_id Item id.
	 * @param array  $fields Name => value (null values left out).
	 * @return array
	 */
	private static function item( $group, $label, $description, $item_id, array $fields ) {
		$data = array();
		foreach ( $fields as $name => $value ) {
			if ( null !== $value && '' !== $value ) {
				$data[] = array(
					'name'  => $name,
					'value' => is_scalar( $value ) ? (string) $value : (string) wp_json_encode( $value ),
				);
			}
		}
		return array(
			'group_id'          => 'contact-bridge-' . $group,
			'group_label'       => $label,
			'group_description' => $description,
			'item_id'           => 'contact-bridge-' . $item_id,
			'data'              => $data,
		);
	}

	/**
	 * Exporter: the user's events in the plugin's queue (one row per site at most: one page).
	 *
	 * @param string $email Address.
	 * @param int    $page  Page (only 1).
	 * @return array
	 */
	public static function export_queue( $email, $page = 1 ) {
		$user_id = self::user_id_of( $email );
		$items   = array();
		foreach ( $user_id > 0 ? Contact_Bridge_Queue::rows_of_user( $user_id ) : array() as $row ) {
			$items[] = self::item(
				'queue',
				self::names()[ self::QUEUE ],
				__( 'Events of your account waiting to be sent to the Contact Bridge service (only your user ID is sent).', 'contact-bridge' ),
				'queue-' . $row['id'],
				array(
					__( 'Event', 'contact-bridge' )        => $row['event'],
					__( 'Site', 'contact-bridge' )         => $row['blog_id'],
					__( 'Queued at', 'contact-bridge' )    => gmdate( 'Y-m-d H:i:s', (int) $row['queued_at'] ) . ' UTC',
					__( 'Attempts', 'contact-bridge' )     => $row['attempts'],
					__( 'Last error', 'contact-bridge' )   => $row['last_error'],
				)
			);
		}
		return array(
			'data' => $items,
			'done' => true,
		);
	}

	/**
	 * Eraser: deletes the user's queued events (a scheduled reconciliation still reaches the user).
	 *
	 * @param string $email Address.
	 * @param int    $page  Page (only 1).
	 * @return array|WP_Error
	 */
	public static function erase_queue( $email, $page = 1 ) {
		$user_id = self::user_id_of( $email );
		$deleted = $user_id > 0 ? Contact_Bridge_Queue::remove_user( $user_id ) : 0;
		if ( false === $deleted ) {
			return new WP_Error( 'contact_bridge_queue', __( 'Contact Bridge could not delete the queued events of this user (database error). Nothing was erased by this step; run the erasure again.', 'contact-bridge' ) );
		}
		return array(
			'items_removed'  => $deleted > 0,
			'items_retained' => false,
			'messages'       => array(),
			'done'           => true,
		);
	}

	/**
	 * The error of a sidecar that did not answer 2xx.
	 *
	 * @param array  $result  Client result.
	 * @param string $message What the administrator should know.
	 * @return WP_Error
	 */
	private static function unreachable( array $result, $message ) {
		/* translators: 1: what happened, 2: the error (e.g. "HTTP 503: …" or a connection error). */
		return new WP_Error( 'contact_bridge_sidecar', sprintf( __( '%1$s (%2$s)', 'contact-bridge' ), $message, $result['error'] ) );
	}

	/**
	 * Exporter: what the sidecar keeps of the person, a page at a time.
	 *
	 * @param string $email Address.
	 * @param int    $page  Page, from 1.
	 * @return array|WP_Error
	 */
	public static function export_sidecar( $email, $page = 1 ) {
		$result = Contact_Bridge_Client::from_settings( self::TIMEOUT )->get_personal_data( self::user_id_of( $email ), $email, $page );
		if ( ! $result['ok'] || ! is_array( $result['data'] ) ) {
			return self::unreachable( $result, __( 'Contact Bridge could not read what its service keeps of this person, so the export would be incomplete. Run the export again when the service answers', 'contact-bridge' ) );
		}
		$data  = $result['data'];
		$items = array();
		foreach ( isset( $data['state'] ) && is_array( $data['state'] ) ? $data['state'] : array() as $s ) {
			$items[] = self::item(
				'link',
				self::names()[ self::SIDECAR ],
				__( 'The CRM contact your account is linked to, the email address and names last copied to it, and the outcome of the last update.', 'contact-bridge' ),
				'link-' . (int) $s['domain_id'],
				array(
					__( 'CRM domain', 'contact-bridge' )              => $s['domain_id'],
					__( 'CRM contact ID', 'contact-bridge' )          => $s['contact_id'],
					__( 'Email address last applied', 'contact-bridge' ) => $s['applied_email'],
					__( 'First name last applied', 'contact-bridge' ) => $s['applied_first_name'],
					__( 'Last name last applied', 'contact-bridge' )  => $s['applied_last_name'],
					__( 'Last outcome', 'contact-bridge' )            => $s['last_action'],
					__( 'Reason', 'contact-bridge' )                  => $s['reason'],
					__( 'Updated at', 'contact-bridge' )              => $s['updated_at'],
				)
			);
		}
		foreach ( isset( $data['audit'] ) && is_array( $data['audit'] ) ? $data['audit'] : array() as $a ) {
			$items[] = self::item(
				'history',
				__( 'Contact Bridge: link history', 'contact-bridge' ),
				__( 'Every change Contact Bridge made for your account, and why.', 'contact-bridge' ),
				'history-' . (int) $a['id'],
				array(
					__( 'When', 'contact-bridge' )           => $a['created_at'],
					__( 'CRM domain', 'contact-bridge' )     => $a['domain_id'],
					__( 'Outcome', 'contact-bridge' )        => $a['action'],
					__( 'CRM contact ID', 'contact-bridge' ) => $a['contact_id'],
					__( 'Reason', 'contact-bridge' )         => $a['reason'],
					__( 'Cause', 'contact-bridge' )          => $a['source'],
				)
			);
		}
		foreach ( isset( $data['mentions'] ) && is_array( $data['mentions'] ) ? $data['mentions'] : array() as $i => $m ) {
			$items[] = self::item(
				'mentions',
				__( 'Contact Bridge: other records naming you', 'contact-bridge' ),
				__( 'Records of other accounts and of administrators\' previews that name your email address or your account.', 'contact-bridge' ),
				'mention-' . (int) $page . '-' . (int) $i,
				array(
					__( 'When', 'contact-bridge' )       => $m['at'],
					__( 'Record', 'contact-bridge' )     => $m['source'],
					__( 'CRM domain', 'contact-bridge' ) => $m['domain_id'],
					__( 'Text', 'contact-bridge' )       => $m['text'],
					__( 'Entries', 'contact-bridge' )    => $m['entries'],
				)
			);
		}
		return array(
			'data' => $items,
			'done' => ! empty( $data['done'] ),
		);
	}

	/**
	 * Eraser: erases what the sidecar keeps of the person; each call erases a part, 'done' when nothing is left.
	 *
	 * @param string $email Address.
	 * @param int    $page  Page, from 1.
	 * @return array|WP_Error
	 */
	public static function erase_sidecar( $email, $page = 1 ) {
		if ( (int) $page > self::MAX_ERASE_PAGES ) {
			return new WP_Error( 'contact_bridge_sidecar', __( 'Contact Bridge is still erasing (records of this person keep changing meanwhile). Run the erasure again.', 'contact-bridge' ) );
		}
		$result = Contact_Bridge_Client::from_settings( self::TIMEOUT )->erase_personal_data( self::user_id_of( $email ), $email );
		if ( ! $result['ok'] || ! is_array( $result['data'] ) ) {
			return self::unreachable( $result, __( 'Contact Bridge could not reach its service: nothing it keeps of this person was erased by this step. Run the erasure again when the service answers', 'contact-bridge' ) );
		}
		$data     = $result['data'];
		$removed  = (int) ( $data['audit_deleted'] ?? 0 ) + (int) ( $data['state_deleted'] ?? 0 ) + (int) ( $data['mentions_erased'] ?? 0 );
		$retained = (int) ( $data['state_retained'] ?? 0 ) > 0;
		$messages = array();
		if ( $retained ) {
			$messages[] = __( 'Contact Bridge keeps the link of this WordPress user to its CRM contact (the contact ID, and the email address and names last copied to it, which the link needs) for as long as the user exists; it is deleted with the user. The CRM contact itself is never changed or deleted by an erasure.', 'contact-bridge' );
		}
		return array(
			'items_removed'  => $removed > 0,
			'items_retained' => $retained,
			'messages'       => $messages,
			'done'           => ! empty( $data['done'] ),
		);
	}

	/**
	 * Suggested text for the site's privacy policy (Settings → Privacy).
	 */
	public static function add_policy_content() {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		$paragraphs = array(
			__( 'This site links user accounts to contacts in its CRM (CiviCRM) with Contact Bridge. When you register, edit your profile, log in or your account is deleted, the site sends only your user ID to the Contact Bridge service, which reads your email address, first name and last name from the site\'s database and copies them to your CRM contact.', 'contact-bridge' ),
			__( 'Contact Bridge itself keeps: events of your account waiting to be sent (your user ID, the kind of event, when it happened, the last delivery error), until they are delivered; for your account, the CRM contact it is linked to and the email address, first name and last name last copied to it, with the outcome of the last update, for as long as your account exists; a history of the changes it made for your account (what happened and why, which may name your email address), deleted after the retention period the site sets (90 days by default); and records of other accounts and of administrators\' previews that name your email address.', 'contact-bridge' ),
			__( 'An export of your personal data includes all of this. An erasure deletes the history and the queued events, removes your email address from other records, and keeps only the link of your account while the account exists (it is deleted with the account).', 'contact-bridge' ),
			__( 'Erasing your personal data with Contact Bridge never touches your CRM contact: the contact, its email addresses and its link to your account are the CRM\'s records, kept or erased under the CRM\'s own rules.', 'contact-bridge' ),
		);
		wp_add_privacy_policy_content( __( 'Contact Bridge', 'contact-bridge' ), wp_kses_post( wpautop( implode( "\n\n", $paragraphs ), false ) ) );
	}
}
