<?php
/**
 * A user's profile screen (profile.php, user-edit.php, and network/user-edit.php): a "CRM
 * contact" section with the linked contact, the link's state in words (GET
 * /v1/users/:id/health; from a sidecar without that route, the link of GET /v1/users/:id/link
 * and "state unknown") and a Reconcile now button, which sends that user's profile_update event at once
 * and shows the sidecar's answer after the redirect.
 *
 * The profile screen is one big form; the button belongs to a small form of its own printed
 * in the footer (the HTML form attribute), so it submits nothing of the profile.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The profile section and its admin-post action.
 */
final class Contact_Bridge_Profile {

	/** admin-post.php action of the Reconcile now form. */
	const ACTION = 'contact_bridge_reconcile';

	/** Site transient prefix holding the acting user's last outcome (shown once after the redirect). */
	const NOTICE_TRANSIENT = 'contact_bridge_reconciled_';

	/** Id of the footer form. */
	const FORM_ID = 'contact-bridge-reconcile-form';

	/**
	 * The user whose section was shown on this screen (its form goes in the footer).
	 *
	 * @var int
	 */
	private static $shown_user = 0;

	/**
	 * Nonce action of one user in one scope.
	 *
	 * @param string $scope   Scope.
	 * @param int    $user_id User.
	 * @return string
	 */
	private static function nonce_action( $scope, $user_id ) {
		return Contact_Bridge_Scope::nonce_action( self::ACTION, $scope ) . '_' . (int) $user_id;
	}

	/**
	 * show_user_profile / edit_user_profile: the section, for those who may reconcile this user here.
	 *
	 * @param WP_User $user The user shown.
	 */
	public static function render_section( $user ) {
		self::$shown_user = 0;
		if ( ! $user instanceof WP_User ) {
			return;
		}
		$scope = Contact_Bridge_Scope::current();
		if ( ! Contact_Bridge_Scope::can_reconcile( $scope, $user->ID ) ) {
			return;
		}
		self::$shown_user = (int) $user->ID;
		$health           = self::health( (int) $user->ID, Contact_Bridge_Scope::blog_for( $scope ) );
		?>
		<h2 id="contact-bridge-profile-heading"><?php esc_html_e( 'CRM contact', 'contact-bridge' ); ?></h2>
		<table class="form-table" role="presentation" id="contact-bridge-profile">
			<tr>
				<th scope="row"><?php esc_html_e( 'Linked contact', 'contact-bridge' ); ?></th>
				<td id="contact-bridge-profile-contact">
					<?php
					if ( null !== $health['contact_id'] ) {
						echo Contact_Bridge_Contact_Link::html( $health['contact_id'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built escaped.
					} elseif ( '' !== $health['error'] ) {
						esc_html_e( 'unavailable', 'contact-bridge' );
					} else {
						esc_html_e( 'none', 'contact-bridge' );
					}
					?>
				</td>
			</tr>
			<tr>
				<th scope="row"><?php esc_html_e( 'State', 'contact-bridge' ); ?></th>
				<td id="contact-bridge-profile-state" data-state="<?php echo esc_attr( $health['state'] ); ?>">
					<?php echo esc_html( Contact_Bridge_Health::state_label( $health['state'] ) ); ?>
					<?php if ( '' !== $health['error'] ) : ?>
						<p class="description">
							<?php
							/* translators: %s: reason. */
							echo esc_html( sprintf( __( 'The sidecar could not be asked: %s', 'contact-bridge' ), $health['error'] ) );
							?>
						</p>
					<?php endif; ?>
					<?php if ( ! empty( $health['findings'] ) ) : ?>
						<ul id="contact-bridge-profile-findings">
							<?php foreach ( $health['findings'] as $finding ) : ?>
								<li data-kind="<?php echo esc_attr( $finding['kind'] ); ?>">
									<strong><?php echo esc_html( Contact_Bridge_Health::kind_label( $finding['kind'] ) ); ?>:</strong>
									<?php echo esc_html( $finding['explanation'] ); ?>
									<?php
									echo ' ' . esc_html(
										null === $finding['repair']
											? __( 'Needs a person.', 'contact-bridge' )
											/* translators: %s: what a repair would do. */
											: sprintf( __( 'Repair: %s', 'contact-bridge' ), $finding['repair'] )
									);
									?>
								</li>
							<?php endforeach; ?>
						</ul>
					<?php endif; ?>
				</td>
			</tr>
			<tr>
				<th scope="row"><?php esc_html_e( 'Reconcile', 'contact-bridge' ); ?></th>
				<td>
					<button type="submit" class="button" id="contact-bridge-reconcile" form="<?php echo esc_attr( self::FORM_ID ); ?>"><?php esc_html_e( 'Reconcile now', 'contact-bridge' ); ?></button>
					<p class="description"><?php esc_html_e( 'Makes the CRM agree with this user as saved now (the same as a profile update), and shows the outcome.', 'contact-bridge' ); ?></p>
				</td>
			</tr>
		</table>
		<?php
	}

	/**
	 * admin_footer: the Reconcile now form, outside the profile form.
	 */
	public static function render_form() {
		if ( self::$shown_user <= 0 ) {
			return;
		}
		$scope = Contact_Bridge_Scope::current();
		?>
		<form id="<?php echo esc_attr( self::FORM_ID ); ?>" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post" hidden>
			<input type="hidden" name="action" value="<?php echo esc_attr( self::ACTION ); ?>" />
			<input type="hidden" name="user_id" value="<?php echo esc_attr( (string) self::$shown_user ); ?>" />
			<input type="hidden" name="scope" value="<?php echo esc_attr( $scope ); ?>" />
			<?php wp_nonce_field( self::nonce_action( $scope, self::$shown_user ), '_wpnonce', true ); ?>
		</form>
		<?php
	}

	/**
	 * admin-post.php?action=contact_bridge_reconcile: capability and nonce, then the user's
	 * profile_update event, sent now; the outcome is shown on the profile screen.
	 */
	public static function handle_reconcile() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- the nonce of this user and scope is checked below.
		$user_id = isset( $_POST['user_id'] ) ? absint( wp_unslash( $_POST['user_id'] ) ) : 0;
		$scope   = Contact_Bridge_Scope::from_request( isset( $_POST['scope'] ) ? sanitize_key( wp_unslash( $_POST['scope'] ) ) : '' );
		// phpcs:enable WordPress.Security.NonceVerification.Missing
		if ( $user_id <= 0 || ! get_userdata( $user_id ) || ! Contact_Bridge_Scope::can_reconcile( $scope, $user_id ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'contact-bridge' ), 403 );
		}
		check_admin_referer( self::nonce_action( $scope, $user_id ) );

		self::reconcile( $scope, $user_id );
		$back = get_current_user_id() === $user_id
			? ( Contact_Bridge_Scope::NETWORK === $scope ? network_admin_url( 'profile.php' ) : admin_url( 'profile.php' ) )
			: add_query_arg( 'user_id', $user_id, Contact_Bridge_Scope::NETWORK === $scope ? network_admin_url( 'user-edit.php' ) : admin_url( 'user-edit.php' ) );
		wp_safe_redirect( $back );
		exit;
	}

	/**
	 * Sends the user's profile_update event now and keeps the answer for the acting user's next profile screen.
	 *
	 * @param string $scope   Scope (its site names the CRM domain).
	 * @param int    $user_id User.
	 * @return array The notice kept: user_id, ok, action, contact_id, reason, error.
	 */
	public static function reconcile( $scope, $user_id ) {
		$result = Contact_Bridge_Client::from_settings()->send_event( 'profile_update', $user_id, Contact_Bridge_Scope::blog_for( $scope ) );
		$notice = array(
			'user_id'    => $user_id,
			'ok'         => $result['ok'],
			'action'     => isset( $result['data']['action'] ) && is_string( $result['data']['action'] ) ? $result['data']['action'] : '',
			'contact_id' => isset( $result['data']['contact_id'] ) && is_numeric( $result['data']['contact_id'] ) ? (int) $result['data']['contact_id'] : null,
			'reason'     => isset( $result['data']['reason'] ) && is_string( $result['data']['reason'] ) ? $result['data']['reason'] : '',
			'error'      => $result['ok'] ? '' : (string) $result['error'],
		);
		set_site_transient( self::NOTICE_TRANSIENT . get_current_user_id(), $notice, 5 * MINUTE_IN_SECONDS );
		return $notice;
	}

	/**
	 * admin_notices / network_admin_notices on a profile screen: the outcome of the last Reconcile now.
	 */
	public static function render_notice() {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( ! $screen || ! in_array( $screen->base, array( 'profile', 'user-edit', 'profile-network', 'user-edit-network' ), true ) ) {
			return;
		}
		$key    = self::NOTICE_TRANSIENT . get_current_user_id();
		$notice = get_site_transient( $key );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_site_transient( $key );
		echo self::notice_html( $notice ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built escaped.
	}

	/**
	 * The outcome of a reconciliation as an admin notice.
	 *
	 * @param array $notice user_id, ok, action, contact_id, reason, error.
	 * @return string HTML.
	 */
	public static function notice_html( array $notice ) {
		if ( empty( $notice['ok'] ) ) {
			/* translators: %s: reason. */
			$text = esc_html( sprintf( __( 'The user could not be reconciled: %s', 'contact-bridge' ), (string) $notice['error'] ) );
			return '<div class="notice notice-error is-dismissible" id="contact-bridge-reconcile-notice" data-action=""><p>' . $text . '</p></div>';
		}
		/* translators: %s: what the sidecar did (matched, created, updated, unchanged, unlinked, skipped, conflict). */
		$text = esc_html( sprintf( __( 'Reconciled: %s.', 'contact-bridge' ), (string) $notice['action'] ) );
		if ( null !== $notice['contact_id'] ) {
			$text .= ' ' . Contact_Bridge_Contact_Link::html( (int) $notice['contact_id'] ) . '.';
		}
		if ( '' !== (string) $notice['reason'] ) {
			/* translators: %s: the sidecar's reason. */
			$text .= ' ' . esc_html( sprintf( __( 'Reason: %s', 'contact-bridge' ), (string) $notice['reason'] ) );
		}
		$class = in_array( $notice['action'], array( 'skipped', 'conflict' ), true ) ? 'notice-warning' : 'notice-success';
		return '<div class="notice ' . esc_attr( $class ) . ' is-dismissible" id="contact-bridge-reconcile-notice" data-action="' . esc_attr( (string) $notice['action'] ) . '"><p>' . $text . '</p></div>';
	}

	/**
	 * What the sidecar says about a user's link: GET /v1/users/:id/health, or, from a sidecar
	 * without that route (404), the link alone and the state unknown.
	 *
	 * @param int $user_id User.
	 * @param int $blog_id Site whose CRM domain is asked.
	 * @return array contact_id (int|null), state, findings (normalised), error ('' when the sidecar answered).
	 */
	public static function health( $user_id, $blog_id ) {
		$out    = array(
			'contact_id' => null,
			'state'      => Contact_Bridge_Health::UNKNOWN,
			'findings'   => array(),
			'error'      => '',
		);
		$client = Contact_Bridge_Client::from_settings();
		if ( ! $client->is_configured() ) {
			$out['error'] = __( 'The sidecar URL or the shared secret is not set.', 'contact-bridge' );
			return $out;
		}
		$result = $client->get_user_health( $user_id, $blog_id );
		if ( $result['ok'] && is_array( $result['data'] ) ) {
			$state = isset( $result['data']['state'] ) && is_string( $result['data']['state'] ) ? $result['data']['state'] : '';
			if ( in_array( $state, Contact_Bridge_Health::STATES, true ) ) {
				$out['state'] = $state;
			}
			if ( isset( $result['data']['contact_id'] ) && is_numeric( $result['data']['contact_id'] ) ) {
				$out['contact_id'] = (int) $result['data']['contact_id'];
			}
			foreach ( isset( $result['data']['findings'] ) && is_array( $result['data']['findings'] ) ? $result['data']['findings'] : array() as $finding ) {
				$finding = Contact_Bridge_Health::finding( $finding );
				if ( null !== $finding ) {
					$out['findings'][] = $finding;
				}
			}
			return $out;
		}
		if ( 404 !== $result['status'] ) {
			$out['error'] = $result['error'];
			return $out;
		}
		// A sidecar without Link health: the link, if any, in an unknown state; no link is "not linked".
		$link = $client->get_user_link( $user_id, $blog_id );
		if ( $link['ok'] && isset( $link['data']['contact_id'] ) && is_numeric( $link['data']['contact_id'] ) ) {
			$out['contact_id'] = (int) $link['data']['contact_id'];
		} elseif ( 404 === $link['status'] ) {
			$out['state'] = 'not_linked';
		} elseif ( ! $link['ok'] ) {
			$out['error'] = $link['error'];
		}
		return $out;
	}
}
