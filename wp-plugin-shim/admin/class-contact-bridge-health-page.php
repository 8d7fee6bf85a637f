<?php
/**
 * Tools → Link health (a site with a CRM domain of its own) and Network Admin → Users → Link
 * health (the network's): what is wrong with the links of the scope's CRM domain (GET
 * /v1/health), and a dry run or a repair of it (POST /v1/repair, GET /v1/repair/:id).
 *
 * Who may see it is decided as for Synchronize Users to Contacts (Contact_Bridge_Scope). The
 * browser talks only to WordPress (admin-ajax.php, nonce of the screen's scope + capability);
 * every piece of HTML the script inserts is built and escaped here.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The Link health screen and its two ajax actions.
 */
final class Contact_Bridge_Health_Page {

	/** Menu slug (tools.php?page=... or network/users.php?page=...). */
	const SLUG = 'contact-bridge-health';

	/** Nonce action prefix shared by the page and its ajax actions. */
	const NONCE = 'contact_bridge_health';

	/** Findings per page (filter: contact_bridge_health_per_page). */
	const PER_PAGE = 20;

	/** Changes of a dry run listed at most. */
	const MAX_CHANGES_SHOWN = 500;

	/** @var string Hook suffix of the page. */
	private static $hook_suffix = '';

	/**
	 * Adds the page under Tools: on a single site, and on a site of a network that has a CRM domain of its own.
	 */
	public static function add_menu() {
		self::$hook_suffix = Contact_Bridge_Scope::add_screen( Contact_Bridge_Scope::SITE, __( 'Link health', 'contact-bridge' ), self::SLUG, array( __CLASS__, 'render' ) );
	}

	/**
	 * Adds the network's page under Network Admin → Users.
	 */
	public static function add_network_menu() {
		self::$hook_suffix = Contact_Bridge_Scope::add_screen( Contact_Bridge_Scope::NETWORK, __( 'Link health', 'contact-bridge' ), self::SLUG, array( __CLASS__, 'render' ) );
	}

	/**
	 * The page's address in a scope.
	 *
	 * @param string $scope Scope.
	 * @return string
	 */
	public static function page_url( $scope ) {
		return Contact_Bridge_Scope::NETWORK === $scope
			? network_admin_url( 'users.php?page=' . self::SLUG )
			: admin_url( 'tools.php?page=' . self::SLUG );
	}

	/**
	 * Nonce action of a scope (a site's nonce is no good for the network's actions, nor for another site's).
	 *
	 * @param string $scope Scope.
	 * @return string
	 */
	public static function nonce_action( $scope ) {
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
		wp_enqueue_style( 'contact-bridge-health', plugins_url( 'admin/css/health-page.css', CONTACT_BRIDGE_PLUGIN_FILE ), array(), CONTACT_BRIDGE_VERSION );
		wp_enqueue_script( 'contact-bridge-health', plugins_url( 'admin/js/health-page.js', CONTACT_BRIDGE_PLUGIN_FILE ), array( Contact_Bridge_Plugin::run_panel_script() ), CONTACT_BRIDGE_VERSION, true );
		$scope = Contact_Bridge_Scope::current();
		wp_localize_script(
			'contact-bridge-health',
			'contactBridgeHealth',
			array(
				'ajaxUrl' => admin_url( 'admin-ajax.php' ),
				'nonce'   => wp_create_nonce( self::nonce_action( $scope ) ),
				'scope'   => $scope,
				'kind'    => self::requested_kind(),
				'pollMs'  => 700,
				'i18n'    => array(
					'starting' => __( 'Starting…', 'contact-bridge' ),
					'failed'   => __( 'The request failed. Please try again.', 'contact-bridge' ),
				),
			)
		);
	}

	/**
	 * The kind filter of the request ('' for all kinds).
	 *
	 * @return string
	 */
	private static function requested_kind() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a view filter; nothing is changed.
		$kind = isset( $_GET['kind'] ) ? sanitize_key( wp_unslash( $_GET['kind'] ) ) : '';
		return Contact_Bridge_Health::is_kind( $kind ) ? $kind : '';
	}

	/**
	 * The page.
	 */
	public static function render() {
		$scope = Contact_Bridge_Scope::current();
		if ( ! Contact_Bridge_Scope::can_manage( $scope ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to access this page.', 'contact-bridge' ), 403 );
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- paging of a read-only list.
		$after = isset( $_GET['after'] ) && is_string( $_GET['after'] ) ? substr( (string) preg_replace( '/[\x00-\x20\x7f]/', '', wp_unslash( $_GET['after'] ) ), 0, 1000 ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- control characters removed; only sent back to the sidecar, encoded.
		$from  = '' === $after ? 0 : ( isset( $_GET['from'] ) ? absint( wp_unslash( $_GET['from'] ) ) : 0 );
		// phpcs:enable WordPress.Security.NonceVerification.Recommended
		$kind   = self::requested_kind();
		$answer = null;
		$error  = '';
		if ( Contact_Bridge_Settings::is_configured() ) {
			$per_page = (int) apply_filters( 'contact_bridge_health_per_page', self::PER_PAGE );
			$result   = Contact_Bridge_Client::from_settings()->get_health( Contact_Bridge_Scope::blog_for( $scope ), $kind, $after, $per_page > 0 ? $per_page : self::PER_PAGE );
			if ( $result['ok'] && is_array( $result['data'] ) ) {
				$answer = $result['data'];
			} else {
				$error = $result['error'] ? $result['error'] : __( 'unexpected answer', 'contact-bridge' );
			}
		}
		?>
		<div class="wrap" id="contact-bridge-health">
			<h1><?php esc_html_e( 'Link health', 'contact-bridge' ); ?></h1>
			<?php if ( ! Contact_Bridge_Settings::is_configured() ) : ?>
				<div class="notice notice-warning"><p>
					<?php esc_html_e( 'The sidecar URL or the shared secret is not set.', 'contact-bridge' ); ?>
					<?php if ( ! is_multisite() || current_user_can( 'manage_network_options' ) ) : ?>
						<a href="<?php echo esc_url( Contact_Bridge_Settings_Page::page_url() ); ?>"><?php esc_html_e( 'Settings', 'contact-bridge' ); ?></a>
					<?php endif; ?>
				</p></div>
			<?php elseif ( '' !== $error ) : ?>
				<div class="notice notice-error" id="contact-bridge-health-unavailable"><p>
					<?php
					/* translators: %s: reason. */
					echo esc_html( sprintf( __( 'The findings could not be read: %s', 'contact-bridge' ), $error ) );
					?>
				</p></div>
			<?php endif; ?>
			<p><?php esc_html_e( 'Users whose link to a CRM contact is missing, broken or no longer agrees with them. A dry run lists what a repair would change and changes nothing; a repair makes every change that needs no decision. What needs a person is left as it is.', 'contact-bridge' ); ?></p>
			<?php if ( null !== $answer ) : ?>
				<?php self::render_counts( $answer ); ?>
				<?php
				require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
				require_once CONTACT_BRIDGE_PLUGIN_DIR . 'admin/class-contact-bridge-health-list-table.php';
				$table = new Contact_Bridge_Health_List_Table( $answer, $kind, $from, self::page_url( $scope ) );
				$table->prepare_items();
				$table->views();
				?>
				<div id="contact-bridge-health-findings">
					<?php $table->display(); ?>
				</div>
				<h2><?php esc_html_e( 'Repair', 'contact-bridge' ); ?></h2>
				<p>
					<?php
					echo esc_html(
						'' === $kind
							? __( 'Dry run and Repair act on findings of every kind.', 'contact-bridge' )
							/* translators: %s: a kind of finding. */
							: sprintf( __( 'Dry run and Repair act on this kind only: %s.', 'contact-bridge' ), Contact_Bridge_Health::kind_label( $kind ) )
					);
					?>
				</p>
				<p>
					<button type="button" class="button" id="contact-bridge-health-dry-run"><?php esc_html_e( 'Dry run', 'contact-bridge' ); ?></button>
					<button type="button" class="button button-primary" id="contact-bridge-health-repair"><?php esc_html_e( 'Repair', 'contact-bridge' ); ?></button>
				</p>
				<div id="contact-bridge-health-progress" class="contact-bridge-health-progress" hidden>
					<progress id="contact-bridge-health-bar" max="1" value="0"></progress>
					<p id="contact-bridge-health-progress-text" aria-live="polite"></p>
				</div>
				<div id="contact-bridge-health-error" class="notice notice-error inline" hidden><p></p></div>
				<div id="contact-bridge-health-result" aria-live="polite"></div>
				<noscript><p><?php esc_html_e( 'Dry run and Repair need JavaScript.', 'contact-bridge' ); ?></p></noscript>
			<?php endif; ?>
		</div>
		<?php
	}

	/**
	 * The counts per kind and when the sidecar checked.
	 *
	 * @param array $answer GET /v1/health's answer.
	 */
	private static function render_counts( array $answer ) {
		$counts = isset( $answer['counts'] ) && is_array( $answer['counts'] ) ? $answer['counts'] : array();
		$kinds  = array_merge( Contact_Bridge_Health::KINDS, array_diff( array_map( 'strval', array_keys( $counts ) ), Contact_Bridge_Health::KINDS ) );
		?>
		<h2><?php esc_html_e( 'Findings', 'contact-bridge' ); ?></h2>
		<?php if ( isset( $answer['checked_at'] ) && is_string( $answer['checked_at'] ) ) : ?>
			<p class="description" id="contact-bridge-health-checked-at">
				<?php
				/* translators: %s: date and time. */
				echo esc_html( sprintf( __( 'Checked %s.', 'contact-bridge' ), self::format_time( $answer['checked_at'] ) ) );
				?>
			</p>
		<?php endif; ?>
		<table class="widefat striped contact-bridge-health-counts" id="contact-bridge-health-counts">
			<tbody>
			<?php foreach ( $kinds as $kind ) : ?>
				<tr data-kind="<?php echo esc_attr( $kind ); ?>">
					<th scope="row"><?php echo esc_html( Contact_Bridge_Health::kind_label( $kind ) ); ?></th>
					<td><?php echo esc_html( number_format_i18n( isset( $counts[ $kind ] ) ? (int) $counts[ $kind ] : 0 ) ); ?></td>
				</tr>
			<?php endforeach; ?>
			</tbody>
		</table>
		<?php
	}

	/**
	 * admin-ajax.php?action=contact_bridge_repair_start (POST: nonce, scope, dry_run, kind).
	 */
	public static function ajax_start() {
		$scope = self::authorize_ajax();
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- checked in authorize_ajax().
		$dry_run = isset( $_POST['dry_run'] ) && '1' === sanitize_text_field( wp_unslash( $_POST['dry_run'] ) );
		$kind    = isset( $_POST['kind'] ) ? sanitize_key( wp_unslash( $_POST['kind'] ) ) : '';
		// phpcs:enable WordPress.Security.NonceVerification.Missing
		$kinds = Contact_Bridge_Health::is_kind( $kind ) ? array( $kind ) : array();

		$client = Contact_Bridge_Client::from_settings();
		$blog   = Contact_Bridge_Scope::blog_for( $scope );
		$result = $client->start_repair( $dry_run, $kinds, $blog );
		if ( 409 === $result['status'] && isset( $result['data']['id'] ) && is_numeric( $result['data']['id'] ) ) {
			// The id may be a sync's (a sync and a repair never run at once): follow it only if it is a running repair.
			$running = $client->get_repair( (int) $result['data']['id'], $blog );
			if ( $running['ok'] && isset( $running['data']['status'] ) && 'running' === $running['data']['status'] ) {
				wp_send_json_success(
					array(
						'id'              => (int) $result['data']['id'],
						'already_running' => true,
					)
				);
			}
		}
		if ( ! $result['ok'] || ! isset( $result['data']['id'] ) ) {
			/* translators: %s: reason. */
			wp_send_json_error( array( 'message' => sprintf( __( 'The repair could not be started: %s', 'contact-bridge' ), $result['error'] ? $result['error'] : __( 'unexpected answer', 'contact-bridge' ) ) ), 502 );
		}
		wp_send_json_success(
			array(
				'id'              => (int) $result['data']['id'],
				'already_running' => false,
			)
		);
	}

	/**
	 * admin-ajax.php?action=contact_bridge_repair_status (POST: nonce, scope, repair_id).
	 */
	public static function ajax_status() {
		$scope     = self::authorize_ajax();
		$repair_id = isset( $_POST['repair_id'] ) ? absint( wp_unslash( $_POST['repair_id'] ) ) : 0; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked in authorize_ajax().
		if ( $repair_id <= 0 ) {
			wp_send_json_error( array( 'message' => __( 'Missing repair id.', 'contact-bridge' ) ), 400 );
		}
		$result = Contact_Bridge_Client::from_settings()->get_repair( $repair_id, Contact_Bridge_Scope::blog_for( $scope ) );
		if ( ! $result['ok'] || ! is_array( $result['data'] ) ) {
			/* translators: %s: reason. */
			wp_send_json_error( array( 'message' => sprintf( __( 'The progress could not be read: %s', 'contact-bridge' ), $result['error'] ? $result['error'] : __( 'unexpected answer', 'contact-bridge' ) ) ), 502 );
		}
		$repair    = $result['data'];
		$status    = isset( $repair['status'] ) && is_string( $repair['status'] ) ? $repair['status'] : 'running';
		$processed = isset( $repair['progress']['processed'] ) ? (int) $repair['progress']['processed'] : 0;
		$total     = isset( $repair['progress']['total'] ) ? (int) $repair['progress']['total'] : 0;
		wp_send_json_success(
			array(
				'status'        => $status,
				'processed'     => $processed,
				'total'         => $total,
				'progress_text' => self::progress_text( $status, $processed, $total ),
				'html'          => 'running' === $status ? '' : self::render_result( $repair, $scope ),
			)
		);
	}

	/**
	 * The sidecar's progress counts users (a repair walks the domain user by user).
	 *
	 * @param string $status    running, completed or failed.
	 * @param int    $processed Users checked.
	 * @param int    $total     All users.
	 * @return string
	 */
	private static function progress_text( $status, $processed, $total ) {
		if ( 'running' !== $status ) {
			/* translators: 1: users checked, 2: all users. */
			return sprintf( __( 'Finished: %1$s of %2$s user records checked.', 'contact-bridge' ), number_format_i18n( $processed ), number_format_i18n( $total ) );
		}
		if ( $total <= 0 ) {
			return __( 'Counting user records…', 'contact-bridge' );
		}
		/* translators: 1: users checked so far, 2: all users. */
		return sprintf( __( 'Checked %1$s of %2$s user records…', 'contact-bridge' ), number_format_i18n( $processed ), number_format_i18n( $total ) );
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
	 * The outcome of a repair: found / repaired / left per kind, and for a dry run the changes, escaped.
	 *
	 * @param array  $repair GET /v1/repair/:id's answer.
	 * @param string $scope  Scope (for the link back to the findings).
	 * @return string HTML.
	 */
	public static function render_result( array $repair, $scope ) {
		$dry_run = ! empty( $repair['dry_run'] );
		$counts  = isset( $repair['counts'] ) && is_array( $repair['counts'] ) ? $repair['counts'] : array();
		$html    = '';

		if ( isset( $repair['status'] ) && 'failed' === $repair['status'] ) {
			$html .= '<div class="notice notice-error inline" id="contact-bridge-repair-failed"><p>' . esc_html__( 'The repair failed. The counts below show how far it got; running it again is safe.', 'contact-bridge' );
			if ( isset( $repair['error'] ) && is_string( $repair['error'] ) && '' !== $repair['error'] ) {
				$html .= ' ' . esc_html( $repair['error'] );
			}
			$html .= '</p></div>';
		}
		$html .= '<div class="notice notice-success inline" id="contact-bridge-repair-summary"><p><strong>'
			. ( $dry_run
				? esc_html__( 'Dry run: nothing was changed. This is what a repair would do.', 'contact-bridge' )
				: esc_html__( 'Repair finished.', 'contact-bridge' ) )
			. '</strong> <a href="' . esc_url( self::page_url( $scope ) ) . '" id="contact-bridge-health-reload">' . esc_html__( 'Check the links again', 'contact-bridge' ) . '</a></p></div>';

		$html .= '<table class="widefat striped contact-bridge-repair-counts" id="contact-bridge-repair-counts"><thead><tr>'
			. '<th scope="col">' . esc_html__( 'Kind', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Found', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . ( $dry_run ? esc_html__( 'Would be repaired', 'contact-bridge' ) : esc_html__( 'Repaired', 'contact-bridge' ) ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Left', 'contact-bridge' ) . '</th>'
			. '</tr></thead><tbody>';
		$kinds = array_merge( Contact_Bridge_Health::KINDS, array_diff( array_map( 'strval', array_keys( $counts ) ), Contact_Bridge_Health::KINDS ) );
		foreach ( $kinds as $kind ) {
			$row   = isset( $counts[ $kind ] ) && is_array( $counts[ $kind ] ) ? $counts[ $kind ] : array();
			$html .= '<tr data-kind="' . esc_attr( $kind ) . '"><th scope="row">' . esc_html( Contact_Bridge_Health::kind_label( $kind ) ) . '</th>';
			foreach ( array( 'found', 'repaired', 'left' ) as $column ) {
				$html .= '<td data-count="' . esc_attr( $column ) . '">' . esc_html( number_format_i18n( isset( $row[ $column ] ) ? (int) $row[ $column ] : 0 ) ) . '</td>';
			}
			$html .= '</tr>';
		}
		$html .= '</tbody></table>';

		if ( ! $dry_run ) {
			return $html;
		}
		$changes = isset( $repair['changes'] ) && is_array( $repair['changes'] ) ? $repair['changes'] : array();
		$html   .= '<h2>' . esc_html__( 'Changes a repair would make', 'contact-bridge' ) . '</h2>';
		if ( empty( $changes ) ) {
			return $html . '<p id="contact-bridge-repair-no-changes">' . esc_html__( 'None.', 'contact-bridge' ) . '</p>';
		}
		$html .= '<table class="widefat striped contact-bridge-repair-changes" id="contact-bridge-repair-changes"><thead><tr>'
			. '<th scope="col">' . esc_html__( 'Kind', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'User', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Contacts', 'contact-bridge' ) . '</th>'
			. '<th scope="col">' . esc_html__( 'Change', 'contact-bridge' ) . '</th>'
			. '</tr></thead><tbody>';
		foreach ( array_slice( $changes, 0, self::MAX_CHANGES_SHOWN ) as $change ) {
			if ( ! is_array( $change ) || ! isset( $change['kind'] ) || ! is_string( $change['kind'] ) ) {
				continue;
			}
			$user_id = isset( $change['user_id'] ) && is_numeric( $change['user_id'] ) ? (int) $change['user_id'] : null;
			$html   .= '<tr data-kind="' . esc_attr( $change['kind'] ) . '" data-user-id="' . esc_attr( null === $user_id ? '' : (string) $user_id ) . '">'
				. '<td>' . esc_html( Contact_Bridge_Health::kind_label( $change['kind'] ) ) . '</td>'
				. '<td>' . Contact_Bridge_Health::user_html( $user_id ) . '</td>'
				. '<td>' . Contact_Bridge_Contact_Link::list_html( isset( $change['contact_ids'] ) ? $change['contact_ids'] : array() ) . '</td>'
				. '<td>' . esc_html( isset( $change['change'] ) && is_string( $change['change'] ) ? $change['change'] : '' ) . '</td></tr>';
		}
		$html .= '</tbody></table>';
		if ( count( $changes ) > self::MAX_CHANGES_SHOWN ) {
			/* translators: %s: number of changes not listed. */
			$html .= '<p>' . esc_html( sprintf( __( 'And %s more.', 'contact-bridge' ), number_format_i18n( count( $changes ) - self::MAX_CHANGES_SHOWN ) ) ) . '</p>';
		}
		return $html;
	}
}
