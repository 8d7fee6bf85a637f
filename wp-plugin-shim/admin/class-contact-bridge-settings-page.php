<?php
/**
 * Settings → Contact Bridge: sidecar URL, shared secret, queue status, test connection, and the
 * plugin's and the sidecar's versions (asked with GET /v1/ping when the page is shown).
 * On a network the page lives under Network Admin → Settings (manage_network_options) and
 * stores network options; sites have no settings page (one sidecar, one secret for all).
 * A value set in wp-config.php is shown read-only and cannot be changed by any form.
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings screen (Settings API).
 */
final class Contact_Bridge_Settings_Page {

	/** Menu slug. */
	const SLUG = 'contact-bridge';

	/** Nonce action of the test-connection form. */
	const TEST_NONCE = 'contact_bridge_test_connection';

	/** Transient prefix holding a user's last test result. */
	const TEST_TRANSIENT = 'contact_bridge_test_';

	/** network_admin_edit_ action of the network settings form. */
	const NETWORK_ACTION = 'contact_bridge_settings';

	/** Nonce action of the network settings form. */
	const NETWORK_NONCE = 'contact_bridge_network_settings';

	/** Site transient prefix holding a user's messages after saving the network form. */
	const NOTICE_TRANSIENT = 'contact_bridge_notices_';

	/**
	 * Messages of the sanitizers for this request (shown on the network screen after the redirect).
	 *
	 * @var string[]
	 */
	private static $errors = array();

	/**
	 * Adds the page under Settings (single site only: on a network it is a network screen).
	 */
	public static function add_menu() {
		if ( is_multisite() ) {
			return;
		}
		add_options_page(
			__( 'Contact Bridge', 'contact-bridge' ),
			__( 'Contact Bridge', 'contact-bridge' ),
			'manage_options',
			self::SLUG,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * Adds the page under Network Admin → Settings.
	 */
	public static function add_network_menu() {
		add_submenu_page(
			'settings.php',
			__( 'Contact Bridge', 'contact-bridge' ),
			__( 'Contact Bridge', 'contact-bridge' ),
			'manage_network_options',
			self::SLUG,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * The page's address on the current kind of install.
	 *
	 * @return string
	 */
	public static function page_url() {
		return is_multisite() ? network_admin_url( 'settings.php?page=' . self::SLUG ) : admin_url( 'options-general.php?page=' . self::SLUG );
	}

	/**
	 * The capability the page and its forms need.
	 *
	 * @return string
	 */
	private static function capability() {
		return is_multisite() ? 'manage_network_options' : 'manage_options';
	}

	/**
	 * Adds a "Settings" link on the Plugins screen.
	 *
	 * @param string[] $links Action links.
	 * @return string[]
	 */
	public static function add_action_link( $links ) {
		$links[] = sprintf(
			'<a href="%s">%s</a>',
			esc_url( self::page_url() ),
			esc_html__( 'Settings', 'contact-bridge' )
		);
		return $links;
	}

	/**
	 * Registers the options, section and fields.
	 */
	public static function register_settings() {
		if ( is_multisite() ) {
			// Network options are saved by handle_network_save(); options.php of a site never writes them.
			self::add_fields();
			return;
		}
		register_setting(
			Contact_Bridge_Settings::SETTINGS_GROUP,
			Contact_Bridge_Settings::OPTION_URL,
			array(
				'type'              => 'string',
				'default'           => '',
				'show_in_rest'      => false,
				'sanitize_callback' => array( __CLASS__, 'sanitize_url' ),
			)
		);
		register_setting(
			Contact_Bridge_Settings::SETTINGS_GROUP,
			Contact_Bridge_Settings::OPTION_SECRET,
			array(
				'type'              => 'string',
				'default'           => '',
				'show_in_rest'      => false,
				'sanitize_callback' => array( __CLASS__, 'sanitize_secret' ),
			)
		);
		register_setting(
			Contact_Bridge_Settings::SETTINGS_GROUP,
			Contact_Bridge_Settings::OPTION_CRM_URL,
			array(
				'type'              => 'string',
				'default'           => '',
				'show_in_rest'      => false,
				'sanitize_callback' => array( __CLASS__, 'sanitize_crm_url' ),
			)
		);

		self::add_fields();
	}

	/**
	 * The sections and their fields.
	 */
	private static function add_fields() {
		add_settings_section( 'contact_bridge_connection', __( 'Connection to the sidecar', 'contact-bridge' ), array( __CLASS__, 'render_section' ), self::SLUG );
		add_settings_field( Contact_Bridge_Settings::OPTION_URL, __( 'Sidecar URL', 'contact-bridge' ), array( __CLASS__, 'render_url_field' ), self::SLUG, 'contact_bridge_connection', array( 'label_for' => Contact_Bridge_Settings::OPTION_URL ) );
		add_settings_field( Contact_Bridge_Settings::OPTION_SECRET, __( 'Shared secret', 'contact-bridge' ), array( __CLASS__, 'render_secret_field' ), self::SLUG, 'contact_bridge_connection', array( 'label_for' => Contact_Bridge_Settings::OPTION_SECRET ) );
		add_settings_section( 'contact_bridge_crm', __( 'CRM', 'contact-bridge' ), '__return_false', self::SLUG );
		add_settings_field( Contact_Bridge_Settings::OPTION_CRM_URL, __( 'CRM contact URL', 'contact-bridge' ), array( __CLASS__, 'render_crm_url_field' ), self::SLUG, 'contact_bridge_crm', array( 'label_for' => Contact_Bridge_Settings::OPTION_CRM_URL ) );
	}

	/**
	 * @param mixed $value Submitted URL.
	 * @return string
	 */
	public static function sanitize_url( $value ) {
		$previous = Contact_Bridge_Settings::stored( Contact_Bridge_Settings::OPTION_URL );
		if ( Contact_Bridge_Settings::url_is_constant() ) {
			return $previous; // wp-config.php decides; no form changes it.
		}
		// options.php has already unslashed the submitted value.
		$value = trim( sanitize_text_field( (string) $value ) );
		if ( '' === $value ) {
			return '';
		}
		$url    = esc_url_raw( $value, array( 'http', 'https' ) );
		$scheme = (string) wp_parse_url( $url, PHP_URL_SCHEME );
		$host   = (string) wp_parse_url( $url, PHP_URL_HOST );
		if ( '' === $url || '' === $host || ! in_array( strtolower( $scheme ), array( 'http', 'https' ), true ) ) {
			self::error( Contact_Bridge_Settings::OPTION_URL, 'contact_bridge_bad_url', __( 'The sidecar URL must be an http:// or https:// address. The previous value was kept.', 'contact-bridge' ) );
			return $previous;
		}
		return untrailingslashit( $url );
	}

	/**
	 * An empty submission keeps the stored secret (the field is never filled in).
	 *
	 * @param mixed $value Submitted secret.
	 * @return string
	 */
	public static function sanitize_secret( $value ) {
		$previous = Contact_Bridge_Settings::stored( Contact_Bridge_Settings::OPTION_SECRET );
		if ( Contact_Bridge_Settings::secret_is_constant() ) {
			return $previous;
		}
		// options.php has already unslashed the submitted value.
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return $previous;
		}
		if ( strlen( $value ) < Contact_Bridge_Settings::MIN_SECRET_LENGTH || preg_match( '/[\x00-\x20\x7f]/', $value ) ) {
			self::error(
				Contact_Bridge_Settings::OPTION_SECRET,
				'contact_bridge_short_secret',
				/* translators: %d: minimum number of characters. */
				sprintf( __( 'The shared secret must have at least %d characters and no spaces. The previous secret was kept.', 'contact-bridge' ), Contact_Bridge_Settings::MIN_SECRET_LENGTH )
			);
			return $previous;
		}
		return $value;
	}

	/**
	 * The CRM contact URL template: must hold {id}; absolute only as http:// or https:// (with a
	 * host), else a path relative to wp-admin. Empty means the default (CiviCRM's contact screen).
	 *
	 * @param mixed $value Submitted template.
	 * @return string
	 */
	public static function sanitize_crm_url( $value ) {
		$previous = Contact_Bridge_Settings::stored( Contact_Bridge_Settings::OPTION_CRM_URL );
		// options.php has already unslashed the submitted value. Not sanitize_text_field(): it would drop %2F and the like.
		$value = trim( wp_strip_all_tags( (string) $value ) );
		if ( '' === $value ) {
			return '';
		}
		if ( false === strpos( $value, Contact_Bridge_Contact_Link::PLACEHOLDER ) ) {
			self::error( Contact_Bridge_Settings::OPTION_CRM_URL, 'contact_bridge_crm_url_no_id', __( 'The CRM contact URL must contain {id}, where the contact id goes. The previous value was kept.', 'contact-bridge' ) );
			return $previous;
		}
		$sample = str_replace( Contact_Bridge_Contact_Link::PLACEHOLDER, '1', $value );
		$scheme = Contact_Bridge_Contact_Link::scheme( $sample );
		$bad    = '' === $scheme
			? 0 === strpos( $sample, '//' ) || preg_match( '/[\s"<>\\\\]/', $sample ) // No host without a scheme; nothing a URL cannot hold.
			: ! in_array( $scheme, array( 'http', 'https' ), true ) || '' === (string) wp_parse_url( $sample, PHP_URL_HOST ) || '' === esc_url_raw( $sample, array( 'http', 'https' ) );
		if ( $bad ) {
			self::error( Contact_Bridge_Settings::OPTION_CRM_URL, 'contact_bridge_bad_crm_url', __( 'The CRM contact URL must be an http:// or https:// address, or an address relative to wp-admin (such as admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid={id}). The previous value was kept.', 'contact-bridge' ) );
			return $previous;
		}
		return $value;
	}

	/**
	 * A sanitizer's message: the Settings API's on a single site, kept for the redirect on a network.
	 *
	 * @param string $setting Option.
	 * @param string $code    Code.
	 * @param string $message Text.
	 */
	private static function error( $setting, $code, $message ) {
		self::$errors[] = $message;
		if ( function_exists( 'add_settings_error' ) ) {
			add_settings_error( $setting, $code, $message );
		}
	}

	/**
	 * Messages of the sanitizers so far in this request.
	 *
	 * @return string[]
	 */
	public static function errors() {
		return self::$errors;
	}

	/**
	 * network/edit.php?action=contact_bridge_settings: the network form (capability, nonce, sanitizers).
	 */
	public static function handle_network_save() {
		if ( ! current_user_can( 'manage_network_options' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'contact-bridge' ), 403 );
		}
		check_admin_referer( self::NETWORK_NONCE );
		$sanitizers = array(
			Contact_Bridge_Settings::OPTION_URL     => 'sanitize_url',
			Contact_Bridge_Settings::OPTION_SECRET  => 'sanitize_secret',
			Contact_Bridge_Settings::OPTION_CRM_URL => 'sanitize_crm_url',
		);
		foreach ( $sanitizers as $option => $sanitizer ) {
			if ( isset( $_POST[ $option ] ) ) {
				// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitized by the callback.
				Contact_Bridge_Settings::store( $option, self::$sanitizer( wp_unslash( $_POST[ $option ] ) ) );
			}
		}
		set_site_transient( self::NOTICE_TRANSIENT . get_current_user_id(), self::$errors, 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( add_query_arg( 'updated', empty( self::$errors ) ? 'true' : 'false', self::page_url() ) );
		exit;
	}

	/**
	 * Section intro.
	 */
	public static function render_section() {
		echo '<p>' . esc_html__( 'WordPress sends each registration, profile change, login and deletion to the contact-bridge sidecar, which links the user to a CRM contact. Values set in wp-config.php (CONTACT_BRIDGE_URL, CONTACT_BRIDGE_SECRET) take precedence and are shown read-only.', 'contact-bridge' ) . '</p>';
	}

	/**
	 * URL field, or the wp-config.php value read-only.
	 */
	public static function render_url_field() {
		if ( Contact_Bridge_Settings::url_is_constant() ) {
			printf(
				'<input type="url" id="%1$s" class="regular-text code" value="%2$s" readonly="readonly" /><p class="description">%3$s</p>',
				esc_attr( Contact_Bridge_Settings::OPTION_URL ),
				esc_attr( Contact_Bridge_Settings::url() ),
				esc_html__( 'Set in wp-config.php (CONTACT_BRIDGE_URL).', 'contact-bridge' )
			);
			return;
		}
		printf(
			'<input type="url" id="%1$s" name="%1$s" class="regular-text code" value="%2$s" placeholder="http://127.0.0.1:8787" /><p class="description">%3$s</p>',
			esc_attr( Contact_Bridge_Settings::OPTION_URL ),
			esc_attr( Contact_Bridge_Settings::stored( Contact_Bridge_Settings::OPTION_URL ) ),
			esc_html__( 'Base address of the sidecar, without /v1.', 'contact-bridge' )
		);
	}

	/**
	 * Secret field: never filled in with the stored value.
	 */
	public static function render_secret_field() {
		$saved = '' !== Contact_Bridge_Settings::secret();
		if ( Contact_Bridge_Settings::secret_is_constant() ) {
			printf(
				'<input type="password" id="%1$s" class="regular-text code" value="" placeholder="%2$s" readonly="readonly" autocomplete="off" /><p class="description">%3$s</p>',
				esc_attr( Contact_Bridge_Settings::OPTION_SECRET ),
				esc_attr( '••••••••••••' ),
				esc_html__( 'Set in wp-config.php (CONTACT_BRIDGE_SECRET).', 'contact-bridge' )
			);
			return;
		}
		printf(
			'<input type="password" id="%1$s" name="%1$s" class="regular-text code" value="" placeholder="%2$s" autocomplete="new-password" /><p class="description">%3$s</p>',
			esc_attr( Contact_Bridge_Settings::OPTION_SECRET ),
			esc_attr( $saved ? '••••••••••••' : '' ),
			$saved
				? esc_html__( 'A secret is saved. Leave this empty to keep it, or enter a new one (the same value as BRIDGE_SECRET of the sidecar).', 'contact-bridge' )
				/* translators: %d: minimum number of characters. */
				: esc_html( sprintf( __( 'The same value as BRIDGE_SECRET of the sidecar, at least %d characters.', 'contact-bridge' ), Contact_Bridge_Settings::MIN_SECRET_LENGTH ) )
		);
	}

	/**
	 * CRM contact URL field: the saved template, the default as placeholder.
	 */
	public static function render_crm_url_field() {
		printf(
			'<input type="text" id="%1$s" name="%1$s" class="large-text code" value="%2$s" placeholder="%3$s" /><p class="description">%4$s</p>',
			esc_attr( Contact_Bridge_Settings::OPTION_CRM_URL ),
			esc_attr( Contact_Bridge_Settings::stored( Contact_Bridge_Settings::OPTION_CRM_URL ) ),
			esc_attr( Contact_Bridge_Settings::DEFAULT_CRM_URL ),
			esc_html__( 'Where a contact id links to: {id} is replaced by the id. An address without http:// or https:// is relative to this site\'s wp-admin. Leave it empty for CiviCRM\'s contact screen.', 'contact-bridge' )
		);
	}

	/**
	 * admin-post.php?action=contact_bridge_test_connection.
	 */
	public static function handle_test_connection() {
		if ( ! current_user_can( self::capability() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'contact-bridge' ), 403 );
		}
		check_admin_referer( self::TEST_NONCE );

		$about = self::sidecar_about();
		if ( $about['reached'] ) {
			/* translators: %d: CRM domain id. */
			$message = array( 'ok' => true, 'text' => sprintf( __( 'Connected: the sidecar answered and accepted the secret (CRM domain %d).', 'contact-bridge' ), $about['domain_id'] ) );
		} else {
			/* translators: %s: reason. */
			$message = array( 'ok' => false, 'text' => sprintf( __( 'Connection failed: %s', 'contact-bridge' ), $about['error'] ) );
		}
		set_site_transient( self::TEST_TRANSIENT . get_current_user_id(), $message, 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( self::page_url() );
		exit;
	}

	/**
	 * What the sidecar says of itself on GET /v1/ping. Its values come from the network: they are
	 * sanitized here and escaped where they are shown.
	 *
	 * @return array{reached: bool, domain_id: int, version: string, signature: string, error: string}
	 */
	public static function sidecar_about() {
		$result = Contact_Bridge_Client::from_settings()->ping( Contact_Bridge_Scope::blog_for( Contact_Bridge_Scope::NETWORK ) );
		$data   = is_array( $result['data'] ) ? $result['data'] : array();
		$said   = function ( $key ) use ( $data ) {
			return isset( $data[ $key ] ) && is_string( $data[ $key ] ) ? substr( sanitize_text_field( $data[ $key ] ), 0, 64 ) : '';
		};
		$reached = $result['ok'] && isset( $data['ok'] ) && true === $data['ok'];
		return array(
			'reached'   => $reached,
			'domain_id' => $reached && isset( $data['domain_id'] ) ? (int) $data['domain_id'] : 0,
			'version'   => $reached ? $said( 'version' ) : '',
			'signature' => $reached ? $said( 'signature' ) : '',
			'error'     => $reached ? '' : ( $result['error'] ? $result['error'] : __( 'unexpected answer', 'contact-bridge' ) ),
		);
	}

	/**
	 * The warnings the page shows for a sidecar: another version than the plugin's, another signature scheme.
	 *
	 * @param array $about What sidecar_about() returned.
	 * @return string[]
	 */
	public static function version_warnings( array $about ) {
		if ( empty( $about['reached'] ) ) {
			return array();
		}
		$unknown  = __( 'unknown', 'contact-bridge' );
		$warnings = array();
		if ( CONTACT_BRIDGE_VERSION !== $about['version'] ) {
			$warnings[] = sprintf(
				/* translators: 1: the plugin's version, 2: the sidecar's version (or "unknown"). */
				__( 'The plugin is version %1$s and the sidecar version %2$s. Install the same version of both: upgrade the sidecar first, then the plugin.', 'contact-bridge' ),
				CONTACT_BRIDGE_VERSION,
				'' === $about['version'] ? $unknown : $about['version']
			);
		}
		if ( Contact_Bridge_Client::SIGNATURE_SCHEME !== $about['signature'] ) {
			$warnings[] = sprintf(
				/* translators: 1: the sidecar's signature scheme (or "unknown"), 2: the plugin's, such as v2. */
				__( 'The sidecar expects signature scheme %1$s and the plugin signs with %2$s: the sidecar may refuse the plugin\'s events. Install the same version of the plugin and the sidecar.', 'contact-bridge' ),
				'' === $about['signature'] ? $unknown : $about['signature'],
				Contact_Bridge_Client::SIGNATURE_SCHEME
			);
		}
		return $warnings;
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( self::capability() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to access this page.', 'contact-bridge' ), 403 );
		}
		$test = get_site_transient( self::TEST_TRANSIENT . get_current_user_id() );
		if ( false !== $test ) {
			delete_site_transient( self::TEST_TRANSIENT . get_current_user_id() );
		}
		$notices = is_multisite() ? get_site_transient( self::NOTICE_TRANSIENT . get_current_user_id() ) : false;
		if ( false !== $notices ) {
			delete_site_transient( self::NOTICE_TRANSIENT . get_current_user_id() );
		}
		$last_error    = get_site_option( Contact_Bridge_Settings::OPTION_LAST_ERROR );
		$retry_after   = (int) get_site_option( Contact_Bridge_Settings::OPTION_RETRY_AFTER, 0 );
		$about         = Contact_Bridge_Settings::is_configured() ? self::sidecar_about() : null;
		?>
		<div class="wrap">
			<h1><?php esc_html_e( 'Contact Bridge', 'contact-bridge' ); ?></h1>
			<?php foreach ( null === $about ? array() : self::version_warnings( $about ) as $warning ) : ?>
				<div class="notice notice-warning contact-bridge-version-warning"><p><?php echo esc_html( $warning ); ?></p></div>
			<?php endforeach; ?>
			<?php if ( is_array( $test ) ) : ?>
				<div id="contact-bridge-test-result" class="notice <?php echo esc_attr( ! empty( $test['ok'] ) ? 'notice-success' : 'notice-error' ); ?>"><p><?php echo esc_html( (string) $test['text'] ); ?></p></div>
			<?php endif; ?>
			<?php if ( is_array( $notices ) ) : ?>
				<?php foreach ( $notices as $notice ) : ?>
					<div class="notice notice-error"><p><?php echo esc_html( (string) $notice ); ?></p></div>
				<?php endforeach; ?>
				<?php if ( empty( $notices ) ) : ?>
					<div class="notice notice-success"><p><?php esc_html_e( 'Settings saved.', 'contact-bridge' ); ?></p></div>
				<?php endif; ?>
			<?php endif; ?>
			<form id="contact-bridge-settings-form" action="<?php echo esc_url( is_multisite() ? network_admin_url( 'edit.php?action=' . self::NETWORK_ACTION ) : admin_url( 'options.php' ) ); ?>" method="post">
				<?php
				if ( is_multisite() ) {
					wp_nonce_field( self::NETWORK_NONCE );
				} else {
					settings_fields( Contact_Bridge_Settings::SETTINGS_GROUP );
				}
				do_settings_sections( self::SLUG );
				submit_button(); // The CRM contact URL is always editable here.
				?>
			</form>

			<h2><?php esc_html_e( 'Status', 'contact-bridge' ); ?></h2>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><?php esc_html_e( 'Queued events', 'contact-bridge' ); ?></th>
					<td id="contact-bridge-queued"><?php echo esc_html( number_format_i18n( Contact_Bridge_Queue::count() ) ); ?>
						<p class="description"><?php esc_html_e( 'Events the sidecar has not answered yet. Each is stored when its hook fires, sent at the end of that request, and otherwise delivered by WP-Cron, oldest first.', 'contact-bridge' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><?php esc_html_e( 'Plugin version', 'contact-bridge' ); ?></th>
					<td id="contact-bridge-plugin-version"><?php echo esc_html( CONTACT_BRIDGE_VERSION ); ?></td>
				</tr>
				<tr>
					<th scope="row"><?php esc_html_e( 'Plugin signature scheme', 'contact-bridge' ); ?></th>
					<td id="contact-bridge-plugin-signature"><?php echo esc_html( Contact_Bridge_Client::SIGNATURE_SCHEME ); ?></td>
				</tr>
				<?php if ( null !== $about && $about['reached'] ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Sidecar version', 'contact-bridge' ); ?></th>
					<td id="contact-bridge-sidecar-version"><?php echo esc_html( '' === $about['version'] ? __( 'unknown (the sidecar does not say)', 'contact-bridge' ) : $about['version'] ); ?></td>
				</tr>
				<tr>
					<th scope="row"><?php esc_html_e( 'Sidecar signature scheme', 'contact-bridge' ); ?></th>
					<td id="contact-bridge-sidecar-signature"><?php echo esc_html( '' === $about['signature'] ? __( 'unknown (the sidecar does not say)', 'contact-bridge' ) : $about['signature'] ); ?></td>
				</tr>
				<?php elseif ( null !== $about ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Sidecar version', 'contact-bridge' ); ?></th>
					<td id="contact-bridge-sidecar-version">
						<?php
						/* translators: %s: reason. */
						echo esc_html( sprintf( __( 'Not known: the sidecar\'s ping failed (%s).', 'contact-bridge' ), $about['error'] ) );
						?>
					</td>
				</tr>
				<?php endif; ?>
				<?php if ( is_array( $last_error ) && ! empty( $last_error['message'] ) ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Last delivery failure', 'contact-bridge' ); ?></th>
					<td>
						<?php
						echo esc_html(
							sprintf(
								/* translators: 1: date and time, 2: reason. */
								__( '%1$s: %2$s', 'contact-bridge' ),
								wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $last_error['at'] ),
								(string) $last_error['message']
							)
						);
						if ( $retry_after > time() ) {
							echo ' ' . esc_html__( '(delivery paused briefly)', 'contact-bridge' );
						}
						?>
					</td>
				</tr>
				<?php endif; ?>
			</table>

			<form id="contact-bridge-test-form" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post">
				<input type="hidden" name="action" value="contact_bridge_test_connection" />
				<?php wp_nonce_field( self::TEST_NONCE ); ?>
				<?php submit_button( __( 'Test connection', 'contact-bridge' ), 'secondary', 'contact-bridge-test', false ); ?>
			</form>
		</div>
		<?php
	}
}
