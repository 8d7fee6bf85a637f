<?php
/**
 * Users screen: a "CRM contact" column, filled by one /v1/links?with=state call per page (each
 * linked user's contact, and the link's state when it is not "ok"), for the CRM
 * domain of the screen: the network's on Network Admin → Users, a site's own on its Users
 * screen (only where the sidecar maps the site to a domain of its own; see Contact_Bridge_Scope).
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The column.
 */
final class Contact_Bridge_Users_Column {

	/** Column key. */
	const COLUMN = 'contact_bridge_contact';

	/**
	 * Links known so far: user id => contact id.
	 *
	 * @var array
	 */
	private static $links = array();

	/**
	 * User ids already asked about (linked or not): user id => true.
	 *
	 * @var array
	 */
	private static $asked = array();

	/**
	 * Whether the sidecar could not be asked (then every cell says so, and it is not asked again).
	 *
	 * @var bool
	 */
	private static $unavailable = false;

	/**
	 * Link states known so far: user id => state (absent: a sidecar that does not tell them).
	 *
	 * @var array
	 */
	private static $states = array();

	/**
	 * @param string[] $columns Columns.
	 * @return string[]
	 */
	public static function add_column( $columns ) {
		if ( Contact_Bridge_Scope::can_see_column( Contact_Bridge_Scope::current() ) ) {
			$columns[ self::COLUMN ] = __( 'CRM contact', 'contact-bridge' );
		}
		return $columns;
	}

	/**
	 * @param string $output      Cell HTML so far.
	 * @param string $column_name Column key.
	 * @param int    $user_id     Row's user.
	 * @return string
	 */
	public static function render_cell( $output, $column_name, $user_id ) {
		if ( self::COLUMN !== $column_name || ! Contact_Bridge_Scope::can_see_column( Contact_Bridge_Scope::current() ) ) {
			return $output;
		}
		$user_id = (int) $user_id;
		if ( ! self::$unavailable && ! isset( self::$asked[ $user_id ] ) ) {
			// First cell of the page: one request for every user the table shows.
			self::fetch_links( self::user_ids_on_page( $user_id ) );
		}
		if ( self::$unavailable ) {
			return '<span class="contact-bridge-unavailable">' . esc_html__( 'unavailable', 'contact-bridge' ) . '</span>';
		}
		if ( isset( self::$links[ $user_id ] ) ) {
			$state = isset( self::$states[ $user_id ] ) ? self::$states[ $user_id ] : '';
			$html  = '<span class="contact-bridge-linked" data-contact-id="' . esc_attr( (string) self::$links[ $user_id ] ) . '">' . Contact_Bridge_Contact_Link::html( self::$links[ $user_id ] ) . '</span>';
			if ( '' !== $state && 'ok' !== $state ) {
				$html .= '<br /><span class="contact-bridge-state" data-state="' . esc_attr( $state ) . '">' . esc_html( Contact_Bridge_Health::state_short_label( $state ) ) . '</span>';
			}
			return $html;
		}
		return '<span class="contact-bridge-not-linked">' . esc_html__( 'not linked', 'contact-bridge' ) . '</span>';
	}

	/**
	 * Ids of the users the list table shows and that were not asked about yet
	 * (users.php keeps the table in the global $wp_list_table).
	 *
	 * @param int $current_user_id The row being rendered, always included.
	 * @return int[]
	 */
	private static function user_ids_on_page( $current_user_id ) {
		global $wp_list_table;
		$ids = array( $current_user_id );
		if ( $wp_list_table instanceof WP_List_Table && is_array( $wp_list_table->items ) ) {
			foreach ( $wp_list_table->items as $user ) {
				if ( $user instanceof WP_User && ! isset( self::$asked[ (int) $user->ID ] ) ) {
					$ids[] = (int) $user->ID;
				}
			}
		}
		return array_slice( array_values( array_unique( $ids ) ), 0, Contact_Bridge_Client::MAX_LINK_IDS );
	}

	/**
	 * One GET /v1/links?with=state for all ids; remembers the answer.
	 *
	 * @param int[] $user_ids Ids.
	 */
	private static function fetch_links( array $user_ids ) {
		$client = Contact_Bridge_Client::from_settings();
		$blog   = Contact_Bridge_Scope::blog_for( Contact_Bridge_Scope::current() );
		$result = $client->is_configured() ? $client->get_links( $user_ids, $blog, true ) : null;
		if ( null === $result || ! $result['ok'] || ! isset( $result['data']['links'] ) || ! is_array( $result['data']['links'] ) ) {
			self::$unavailable = true;
			return;
		}
		foreach ( $user_ids as $id ) {
			self::$asked[ (int) $id ] = true;
		}
		foreach ( $result['data']['links'] as $link ) {
			if ( isset( $link['user_id'], $link['contact_id'] ) && null !== $link['contact_id'] ) {
				self::$links[ (int) $link['user_id'] ] = (int) $link['contact_id'];
				if ( isset( $link['state'] ) && in_array( $link['state'], Contact_Bridge_Health::STATES, true ) ) {
					self::$states[ (int) $link['user_id'] ] = $link['state'];
				}
			}
		}
	}
}
