<?php
/**
 * Who may see and start what, on which CRM domain. A single site: its administrators
 * (manage_options), domain of blog 1. A network: what acts on the network's domain (its sync,
 * its conflicts, its Users column) needs manage_network_options and lives on the network
 * admin screens; a site the sidecar maps to a CRM domain of its own (CRM_DOMAIN_BY_BLOG) gets
 * its own sync, conflicts, Link health and column, for that domain only, under manage_options.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Scopes: 'network' (the main site's CRM domain) and 'site' (the current site's).
 */
final class Contact_Bridge_Scope {

	const NETWORK = 'network';
	const SITE    = 'site';

	/** Site transient prefix caching whether a site has a CRM domain of its own. */
	const DOMAIN_TRANSIENT = 'contact_bridge_own_domain_';

	/**
	 * The scope of the screen being shown.
	 *
	 * @return string
	 */
	public static function current() {
		return is_multisite() && is_network_admin() ? self::NETWORK : self::SITE;
	}

	/**
	 * A scope named by a request ('network' or 'site'); anything else is 'site'.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public static function from_request( $value ) {
		return is_multisite() && self::NETWORK === $value ? self::NETWORK : self::SITE;
	}

	/**
	 * The site whose CRM domain the scope acts on (the sidecar maps it to the domain).
	 *
	 * @param string $scope Scope.
	 * @return int
	 */
	public static function blog_for( $scope ) {
		return self::NETWORK === $scope ? (int) get_main_site_id() : (int) get_current_blog_id();
	}

	/**
	 * Whether the current user may use the scope's sync page, its actions and its conflicts.
	 *
	 * @param string $scope Scope.
	 * @return bool
	 */
	public static function can_manage( $scope ) {
		if ( ! is_multisite() ) {
			return current_user_can( 'manage_options' );
		}
		if ( self::NETWORK === $scope ) {
			return current_user_can( 'manage_network_options' );
		}
		return current_user_can( 'manage_options' ) && self::site_has_own_domain( get_current_blog_id() );
	}

	/**
	 * Whether the current user may see the scope's "CRM contact" column.
	 *
	 * @param string $scope Scope.
	 * @return bool
	 */
	public static function can_see_column( $scope ) {
		if ( ! is_multisite() ) {
			return current_user_can( 'list_users' );
		}
		if ( self::NETWORK === $scope ) {
			return current_user_can( 'manage_network_users' );
		}
		return current_user_can( 'list_users' ) && self::site_has_own_domain( get_current_blog_id() );
	}

	/**
	 * Whether the current user may see a user's "CRM contact" section and reconcile that user in
	 * the scope's domain: edit_users (and that user) on a single site; on a network
	 * manage_network_users on the network screens, or, on a site mapped to a CRM domain of its
	 * own, manage_options and the right to edit that user.
	 *
	 * @param string $scope   Scope.
	 * @param int    $user_id The user shown.
	 * @return bool
	 */
	public static function can_reconcile( $scope, $user_id ) {
		if ( ! current_user_can( 'edit_user', (int) $user_id ) ) {
			return false;
		}
		if ( ! is_multisite() ) {
			return current_user_can( 'edit_users' );
		}
		if ( self::NETWORK === $scope ) {
			return current_user_can( 'manage_network_users' );
		}
		return ( current_user_can( 'edit_users' ) || current_user_can( 'manage_options' ) ) && self::site_has_own_domain( get_current_blog_id() );
	}

	/**
	 * Whether the sidecar maps this site to another CRM domain than the main site's (asked with
	 * two pings, remembered for five minutes; one minute when the sidecar could not be asked).
	 *
	 * @param int $blog_id Site id.
	 * @return bool
	 */
	public static function site_has_own_domain( $blog_id ) {
		$blog_id = (int) $blog_id;
		if ( ! is_multisite() || $blog_id === (int) get_main_site_id() ) {
			return false;
		}
		$cached = get_site_transient( self::DOMAIN_TRANSIENT . $blog_id );
		if ( is_array( $cached ) ) {
			return ! empty( $cached['own'] );
		}
		$client = Contact_Bridge_Client::from_settings();
		$own    = false;
		$known  = false;
		if ( $client->is_configured() ) {
			$site = $client->ping( $blog_id );
			$main = $client->ping( (int) get_main_site_id() );
			if ( $site['ok'] && $main['ok'] && isset( $site['data']['domain_id'], $main['data']['domain_id'] ) ) {
				$known = true;
				$own   = (int) $site['data']['domain_id'] !== (int) $main['data']['domain_id'];
			}
		}
		set_site_transient( self::DOMAIN_TRANSIENT . $blog_id, array( 'own' => $own ), $known ? 5 * MINUTE_IN_SECONDS : MINUTE_IN_SECONDS );
		return $own;
	}

	/**
	 * Adds a scope's screen where it belongs: Tools on a single site and on a site of a network
	 * that has a CRM domain of its own (manage_options), Network Admin → Users for the network's
	 * (manage_network_options). Called from admin_menu with SITE and from network_admin_menu with
	 * NETWORK.
	 *
	 * @param string   $scope  Scope.
	 * @param string   $title  Page and menu title (translated).
	 * @param string   $slug   Menu slug.
	 * @param callable $render Renders the page.
	 * @return string Hook suffix of the page ('' when not added).
	 */
	public static function add_screen( $scope, $title, $slug, $render ) {
		if ( self::NETWORK === $scope ) {
			return (string) add_submenu_page( 'users.php', $title, $title, 'manage_network_options', $slug, $render );
		}
		if ( ! self::can_manage( self::SITE ) ) {
			return '';
		}
		return (string) add_management_page( $title, $title, 'manage_options', $slug, $render );
	}

	/**
	 * A nonce action of one scope: a site's nonce is no good for the network's actions, nor for another site's.
	 *
	 * @param string $action The screen's action name.
	 * @param string $scope  Scope.
	 * @return string
	 */
	public static function nonce_action( $action, $scope ) {
		return $action . '_' . $scope . '_' . self::blog_for( $scope );
	}

	/**
	 * Checks an admin-ajax request of a scope's screen: the capability of the scope it names,
	 * then that scope's nonce (the `nonce` field). Answers 403 and stops when either fails.
	 *
	 * @param string $action The screen's action name (as given to nonce_action()).
	 * @return string The request's scope.
	 */
	public static function authorize_ajax( $action ) {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- the nonce of this very scope is checked below.
		$scope = self::from_request( isset( $_POST['scope'] ) ? sanitize_key( wp_unslash( $_POST['scope'] ) ) : '' );
		if ( ! self::can_manage( $scope ) ) {
			wp_send_json_error( array( 'message' => __( 'Sorry, you are not allowed to do that.', 'contact-bridge' ) ), 403 );
		}
		check_ajax_referer( self::nonce_action( $action, $scope ), 'nonce' );
		return $scope;
	}
}
