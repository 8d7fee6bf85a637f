<?php
/**
 * Tools → Synchronize Users to Contacts.
 *
 * The browser talks only to WordPress (admin-ajax.php, nonce + capability); PHP talks to the
 * sidecar with the secret. On a network the page acts on one CRM domain: the network's (Network
 * Admin → Users, manage_network_options) or a site's own (Tools, manage_options, only for a
 * site the sidecar maps to a domain of its own); see Contact_Bridge_Scope. Every piece of HTML sent to the browser is built and escaped
 * here; the script only inserts it and sets text.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The bulk synchronisation screen and its two ajax actions.
 */
final class Contact_Bridge_Sync_Page {

	/** Menu slug (tools.php?page=...). */
	const SLUG = 'contact-bridge-sync';

	/** Nonce action shared by the page and its ajax actions. */
	const NONCE = 'contact_bridge_sync';

	/** Conflicts/skips listed under the summary. */
	const MAX_CONFLICTS_SHOWN = 100;

	/** @var string Hook suffix of the page. */
	private static $hook_suffix = '';

	/**
	 * Adds the page under Tools: on a single site, and on a site of a network that has a CRM domain of its own.
	 */
	public static function add_menu() {
		self::$hook_suffix = Contact_Bridge_Scope::add_screen( Contact_Bridge_Scope::SITE, __( 'Synchronize Users to Contacts', 'contact-bridge' ), self::SLUG, array( __CLASS__, 'render' ) );
	}

	/**
	 * Adds the network's page under Network Admin → Users.
	 */
	public static function add_network_menu() {
		self::$hook_suffix = Contact_Bridge_Scope::add_screen( Contact_Bridge_Scope::NETWORK, __( 'Synchronize Users to Contacts', 'contact-bridge' ), self::SLUG, array( __CLASS__, 'render' ) );
	}

	/**
	 * Nonce action of a scope (a site's nonce is no good for the network's actions, nor for another site's).
	 *
	 * @param string $scope Scope.
	 * @return string
	 */
	private static function nonce_action( $scope ) {
		return Contact_Bridge_Scope::nonce_action( self::NONCE, $scope );
	}

	/**
	 * Script and style, on this page only.
	 *
	 * @param string $hook_suffix Current admin page.
	 */
	public static function enqueue_assets( $hook_suffix ) {
		if ( '' === self::$hook_suffix || $hook_suffix !== self::$hook_suffix ) {
			return;
		}
		wp_enqueue_style( 'contact-bridge-sync', plugins_url( 'admin/css/sync-page.css', CONTACT_BRIDGE_PLUGIN_FILE ), array(), CONTACT_BRIDGE_VERSION );
		wp_enqueue_script( 'contact-bridge-sync', plugins_url( 'admin/js/sync-page.js', CONTACT_BRIDGE_PLUGIN_FILE ), array( Contact_Bridge_Plugin::run_panel_script() ), CONTACT_BRIDGE_VERSION, true );
		$scope = Contact_Bridge_Scope::current();
		wp_localize_script(
			'contact-bridge-sync',
			'contactBridgeSync',
			array(
				'ajaxUrl'     => admin_url( 'admin-ajax.php' ),
				'nonce'       => wp_create_nonce( self::nonce_action( $scope ) ),
				'scope'       => $scope,
				'pollMs'      => 700,
				'runningId'   => self::running_run_id( Contact_Bridge_Scope::blog_for( $scope ) ),
				'i18n'        => array(
					'starting' => __( 'Starting…', 'contact-bridge' ),
					'failed'   => __( 'The request failed. Please try again.', 'contact-bridge' ),
				),
			)
		);
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! Contact_Bridge_Scope::can_manage( Contact_Bridge_Scope::current() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to access this page.', 'contact-bridge' ), 403 );
		}
		?>
		<div class="wrap" id="contact-bridge-sync">
			<h1><?php esc_html_e( 'Synchronize Users to Contacts', 'contact-bridge' ); ?></h1>
			<?php if ( ! Contact_Bridge_Settings::is_configured() ) : ?>
				<div class="notice notice-warning"><p>
					<?php esc_html_e( 'The sidecar URL or the shared secret is not set.', 'contact-bridge' ); ?>
					<?php if ( ! is_multisite() || current_user_can( 'manage_network_options' ) ) : ?>
						<a href="<?php echo esc_url( Contact_Bridge_Settings_Page::page_url() ); ?>"><?php esc_html_e( 'Settings', 'contact-bridge' ); ?></a>
					<?php endif; ?>
				</p></div>
			<?php endif; ?>
			<div class="contact-bridge-sync-intro">
				<p><?php esc_html_e( 'Synchronize Users to Contacts: each user record will be checked for a contact record. A new contact record will be created for each user where one does not already exist.', 'contact-bridge' ); ?></p>
				<p><?php esc_html_e( 'A dry run reports what would happen and changes nothing.', 'contact-bridge' ); ?></p>
				<p><strong><?php esc_html_e( 'Do you want to continue?', 'contact-bridge' ); ?></strong></p>
				<p>
					<button type="button" class="button button-primary" id="contact-bridge-sync-ok"><?php esc_html_e( 'OK', 'contact-bridge' ); ?></button>
					<button type="button" class="button" id="contact-bridge-sync-dry-run"><?php esc_html_e( 'Dry run', 'contact-bridge' ); ?></button>
				</p>
			</div>
			<div id="contact-bridge-sync-progress" class="contact-bridge-sync-progress" hidden>
				<progress id="contact-bridge-sync-bar" max="1" value="0"></progress>
				<p id="contact-bridge-sync-progress-text" aria-live="polite"></p>
			</div>
			<div id="contact-bridge-sync-error" class="notice notice-error inline" hidden><p></p></div>
			<div id="contact-bridge-sync-result" aria-live="polite"></div>
			<noscript><p><?php esc_html_e( 'This page needs JavaScript.', 'contact-bridge' ); ?></p></noscript>
		</div>
		<?php
	}

	/**
	 * admin-ajax.php?action=contact_bridge_sync_start (POST: nonce, dry_run).
	 */
	public static function ajax_start() {
		$scope   = self::authorize_ajax();
		$dry_run = isset( $_POST['dry_run'] ) && '1' === sanitize_text_field( wp_unslash( $_POST['dry_run'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked in authorize_ajax().

		$result = Contact_Bridge_Client::from_settings()->start_sync( $dry_run, Contact_Bridge_Scope::blog_for( $scope ) );
		if ( 409 === $result['status'] && isset( $result['data']['id'] ) ) {
			wp_send_json_success( array( 'id' => (int) $result['data']['id'], 'already_running' => true ) );
		}
		if ( ! $result['ok'] || ! isset( $result['data']['id'] ) ) {
			/* translators: %s: reason. */
			wp_send_json_error( array( 'message' => sprintf( __( 'The synchronization could not be started: %s', 'contact-bridge' ), $result['error'] ) ), 502 );
		}
		wp_send_json_success( array( 'id' => (int) $result['data']['id'], 'already_running' => false ) );
	}

	/**
	 * admin-ajax.php?action=contact_bridge_sync_status (POST: nonce, run_id).
	 */
	public static function ajax_status() {
		$scope = self::authorize_ajax();
		$blog  = Contact_Bridge_Scope::blog_for( $scope );
		$run_id = isset( $_POST['run_id'] ) ? absint( wp_unslash( $_POST['run_id'] ) ) : 0;
		if ( $run_id <= 0 ) {
			wp_send_json_error( array( 'message' => __( 'Missing synchronization id.', 'contact-bridge' ) ), 400 );
		}

		$client = Contact_Bridge_Client::from_settings();
		$result = $client->get_sync( $run_id, $blog );
		if ( ! $result['ok'] || ! is_array( $result['data'] ) ) {
			/* translators: %s: reason. */
			wp_send_json_error( array( 'message' => sprintf( __( 'The progress could not be read: %s', 'contact-bridge' ), $result['error'] ) ), 502 );
		}

		$run       = $result['data'];
		$status    = isset( $run['status'] ) ? (string) $run['status'] : 'running';
		$processed = isset( $run['processed'] ) ? (int) $run['processed'] : 0;
		$total     = isset( $run['total'] ) ? (int) $run['total'] : 0;
		$data      = array(
			'status'        => $status,
			'processed'     => $processed,
			'total'         => $total,
			'progress_text' => self::progress_text( $status, $processed, $total ),
			'html'          => '',
		);
		if ( ! self::in_progress( $status ) ) {
			$conflicts    = $client->get_conflicts( $blog );
			$data['html'] = self::render_result( $run, $conflicts['ok'] && isset( $conflicts['data']['conflicts'] ) && is_array( $conflicts['data']['conflicts'] ) ? $conflicts['data']['conflicts'] : array() );
		}
		wp_send_json_success( $data );
	}

	/**
	 * Whether a run is still to finish: running, or interrupted (nobody works on it right now; the
	 * sidecar resumes it by itself within a minute).
	 *
	 * @param string $status A run's status.
	 * @return bool
	 */
	private static function in_progress( $status ) {
		return 'running' === $status || 'interrupted' === $status;
	}

	/**
	 * @param string $status    running, interrupted, completed or failed.
	 * @param int    $processed Users done.
	 * @param int    $total     All users.
	 * @return string
	 */
	private static function progress_text( $status, $processed, $total ) {
		if ( 'interrupted' === $status ) {
			/* translators: 1: users processed so far, 2: all users. */
			return sprintf( __( 'Interrupted after %1$s of %2$s user records; the sidecar resumes it by itself…', 'contact-bridge' ), number_format_i18n( $processed ), number_format_i18n( $total ) );
		}
		if ( ! self::in_progress( $status ) ) {
			/* translators: 1: users processed, 2: all users. */
			return sprintf( __( 'Finished: %1$s of %2$s user records processed.', 'contact-bridge' ), number_format_i18n( $processed ), number_format_i18n( $total ) );
		}
		if ( $total <= 0 ) {
			return __( 'Counting user records…', 'contact-bridge' );
		}
		/* translators: 1: users processed so far, 2: all users. */
		return sprintf( __( 'Processed %1$s of %2$s user records…', 'contact-bridge' ), number_format_i18n( $processed ), number_format_i18n( $total ) );
	}

	/**
	 * A sidecar timestamp (ISO 8601) in the site's date and time format.
	 *
	 * @param string $at Timestamp.
	 * @return string
	 */
	private static function format_time( $at ) {
		$time = strtotime( $at );
		if ( false === $time ) {
			return $at;
		}
		return (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $time );
	}

	/**
	 * Capability of the scope first, then the scope's nonce; either failing ends the request with 403.
	 *
	 * @return string The scope the request acts on.
	 */
	private static function authorize_ajax() {
		return Contact_Bridge_Scope::authorize_ajax( self::NONCE );
	}

	/**
	 * Id of a run still in progress, so a reloaded page resumes showing it (0 when none).
	 *
	 * @param int $blog_id Site whose CRM domain is shown.
	 * @return int
	 */
	private static function running_run_id( $blog_id ) {
		if ( ! Contact_Bridge_Settings::is_configured() ) {
			return 0;
		}
		$runs = Contact_Bridge_Client::from_settings()->list_syncs( $blog_id );
		if ( $runs['ok'] && ! empty( $runs['data']['runs'][0] ) && is_array( $runs['data']['runs'][0] ) ) {
			$latest = $runs['data']['runs'][0];
			if ( isset( $latest['status'], $latest['id'] ) && self::in_progress( (string) $latest['status'] ) ) {
				return (int) $latest['id'];
			}
		}
		return 0;
	}

	/**
	 * Summary, detailed counts and the conflicts list, escaped.
	 *
	 * @param array $run       The run from GET /v1/sync/:id.
	 * @param array $conflicts Entries from GET /v1/conflicts.
	 * @return string HTML.
	 */
	private static function render_result( array $run, array $conflicts ) {
		$dry_run = ! empty( $run['dry_run'] );
		$counts  = isset( $run['counts'] ) && is_array( $run['counts'] ) ? $run['counts'] : array();
		$html    = '';

		if ( 'failed' === $run['status'] ) {
			$html .= '<div class="notice notice-error inline"><p>' . esc_html__( 'The synchronization failed. The counts below show how far it got; running it again resumes safely.', 'contact-bridge' ) . '</p></div>';
		}

		$html .= '<div class="notice notice-success inline contact-bridge-sync-summary" id="contact-bridge-sync-summary">';
		if ( $dry_run ) {
			$html .= '<p><strong>' . esc_html__( 'Dry run: nothing was changed. This is what a synchronization would do.', 'contact-bridge' ) . '</strong></p>';
		}
		$summary = isset( $run['summary'] ) && is_string( $run['summary'] ) ? $run['summary'] : '';
		foreach ( array_filter( array_map( 'trim', explode( "\n", $summary ) ) ) as $line ) {
			$html .= '<p>' . esc_html( $line ) . '</p>';
		}
		$html .= '</div>';

		$labels = $dry_run
			? array(
				'checked'        => __( 'User records checked', 'contact-bridge' ),
				'already_linked' => __( 'Already linked', 'contact-bridge' ),
				'matched'        => __( 'Would be matched to an existing contact', 'contact-bridge' ),
				'created'        => __( 'Contacts that would be created', 'contact-bridge' ),
				'updated'        => __( 'Contacts that would be updated', 'contact-bridge' ),
				'unlinked'       => __( 'Links that would be removed', 'contact-bridge' ),
				'skipped'        => __( 'Would be skipped', 'contact-bridge' ),
				'conflicts'      => __( 'Conflicts', 'contact-bridge' ),
				'errors'         => __( 'Errors', 'contact-bridge' ),
			)
			: array(
				'checked'        => __( 'User records checked', 'contact-bridge' ),
				'already_linked' => __( 'Already linked', 'contact-bridge' ),
				'matched'        => __( 'Newly matched to an existing contact', 'contact-bridge' ),
				'created'        => __( 'Contacts created', 'contact-bridge' ),
				'updated'        => __( 'Contacts updated', 'contact-bridge' ),
				'unlinked'       => __( 'Links removed', 'contact-bridge' ),
				'skipped'        => __( 'Skipped', 'contact-bridge' ),
				'conflicts'      => __( 'Conflicts', 'contact-bridge' ),
				'errors'         => __( 'Errors', 'contact-bridge' ),
			);
		$html .= '<h2>' . esc_html__( 'Details', 'contact-bridge' ) . '</h2>';
		$html .= '<table class="widefat striped contact-bridge-sync-counts" id="contact-bridge-sync-counts"><tbody>';
		foreach ( $labels as $key => $label ) {
			$value = isset( $counts[ $key ] ) ? (int) $counts[ $key ] : 0;
			$html .= '<tr data-count="' . esc_attr( $key ) . '"><th scope="row">' . esc_html( $label ) . '</th><td>' . esc_html( number_format_i18n( $value ) ) . '</td></tr>';
		}
		$html .= '</tbody></table>';

		$html .= '<h2>' . esc_html__( 'Conflicts and skipped users', 'contact-bridge' ) . '</h2>';
		if ( empty( $conflicts ) ) {
			$html .= '<p>' . esc_html__( 'None recorded.', 'contact-bridge' ) . '</p>';
			return $html;
		}
		$html .= '<table class="widefat striped contact-bridge-sync-conflicts" id="contact-bridge-sync-conflicts"><thead><tr>'
			. '<th scope="col">' . esc_html__( 'User', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Outcome', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Reason', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Contact', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'When', 'contact-bridge' ) . '</th>'
			. '</tr></thead><tbody>';
		foreach ( array_slice( $conflicts, 0, self::MAX_CONFLICTS_SHOWN ) as $entry ) {
			if ( ! is_array( $entry ) ) {
				continue;
			}
			$user_id = isset( $entry['user_id'] ) ? (int) $entry['user_id'] : 0;
			$user    = $user_id > 0 ? get_userdata( $user_id ) : false;
			$cell    = $user
				? '<a href="' . esc_url( get_edit_user_link( $user_id ) ) . '">' . esc_html( $user->user_login ) . '</a> (#' . esc_html( (string) $user_id ) . ')'
				/* translators: %d: user id. */
				: esc_html( sprintf( __( 'User #%d (no longer exists)', 'contact-bridge' ), $user_id ) );
			$action  = isset( $entry['action'] ) && 'conflict' === $entry['action'] ? __( 'Conflict', 'contact-bridge' ) : __( 'Skipped', 'contact-bridge' );
			$contact = isset( $entry['contact_id'] ) && is_numeric( $entry['contact_id'] ) && (int) $entry['contact_id'] > 0 ? Contact_Bridge_Contact_Link::html( (int) $entry['contact_id'] ) : '&mdash;';
			$html   .= '<tr><td>' . $cell . '</td>'
				. '<td>' . esc_html( $action ) . '</td>'
				. '<td>' . esc_html( isset( $entry['reason'] ) ? (string) $entry['reason'] : '' ) . '</td>'
				. '<td>' . $contact . '</td>'
				. '<td>' . esc_html( self::format_time( isset( $entry['at'] ) ? (string) $entry['at'] : '' ) ) . '</td></tr>';
		}
		$html .= '</tbody></table>';
		return $html;
	}
}
