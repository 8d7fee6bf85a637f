<?php
/**
 * Users screen: a "CRM contact" column, filled by one /v1/links call per page.
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
	 * Links of the users on the current page: user id => contact id; null until fetched,
	 * false when the sidecar could not be asked.
	 *
	 * @var array|false|null
	 */
	private static $links = null;

	/**
	 * @param string[] $columns Columns.
	 * @return string[]
	 */
	public static function add_column( $columns ) {
		if ( current_user_can( 'list_users' ) ) {
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
		if ( self::COLUMN !== $column_name ) {
			return $output;
		}
		if ( null === self::$links ) {
			self::$links = self::fetch_links( self::user_ids_on_page( (int) $user_id ) );
		}
		if ( false === self::$links ) {
			return '<span class="contact-bridge-unavailable">' . esc_html__( 'unavailable', 'contact-bridge' ) . '</span>';
		}
		if ( isset( self::$links[ (int) $user_id ] ) ) {
			/* translators: %d: CRM contact id. */
			return '<span class="contact-bridge-linked" data-contact-id="' . esc_attr( (string) self::$links[ (int) $user_id ] ) . '">' . esc_html( sprintf( __( 'Contact #%d', 'contact-bridge' ), self::$links[ (int) $user_id ] ) ) . '</span>';
		}
		return '<span class="contact-bridge-not-linked">' . esc_html__( 'not linked', 'contact-bridge' ) . '</span>';
	}

	/**
	 * Ids of the users the list table shows (users.php keeps it in the global $wp_list_table).
	 *
	 * @param int $current_user_id The row being rendered, always included.
	 * @return int[]
	 */
	private static function user_ids_on_page( $current_user_id ) {
		global $wp_list_table;
		$ids = array( $current_user_id );
		if ( $wp_list_table instanceof WP_Users_List_Table && is_array( $wp_list_table->items ) ) {
			foreach ( $wp_list_table->items as $user ) {
				if ( $user instanceof WP_User ) {
					$ids[] = (int) $user->ID;
				}
			}
		}
		return array_values( array_unique( $ids ) );
	}

	/**
	 * One GET /v1/links for all ids.
	 *
	 * @param int[] $user_ids Ids.
	 * @return array|false user id => contact id, or false on failure.
	 */
	private static function fetch_links( array $user_ids ) {
		$client = Contact_Bridge_Client::from_settings();
		if ( ! $client->is_configured() ) {
			return false;
		}
		$result = $client->get_links( $user_ids );
		if ( ! $result['ok'] || ! isset( $result['data']['links'] ) || ! is_array( $result['data']['links'] ) ) {
			return false;
		}
		$links = array();
		foreach ( $result['data']['links'] as $link ) {
			if ( isset( $link['user_id'], $link['contact_id'] ) && null !== $link['contact_id'] ) {
				$links[ (int) $link['user_id'] ] = (int) $link['contact_id'];
			}
		}
		return $links;
	}
}
