<?php
/**
 * EMAIL_DIRECTION=both on the sidecar: addresses corrected in the CRM reach WordPress. The queue's
 * WP-Cron run (every five minutes) polls GET /v1/changes after its drain (a state, not a log:
 * what is not applied comes again; no cron event of its own, so nothing to race an uninstall) and applies each
 * address with wp_update_user, so WordPress's own hooks, caches and notifications run; the
 * profile_update that follows finds WordPress and the contact agreeing, so nothing travels back.
 * An address another user already has is not applied (the sidecar reports it as a finding).
 *
 * @package ContactBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Poller and applier of the CRM's address changes.
 */
class Contact_Bridge_Email_Changes {

	/** Changes asked per request. */
	const PAGE = 100;

	/** A poll stops asking for more pages after this long. */
	const BUDGET_SECONDS = 20;

	/**
	 * Asks the sidecar for the pending changes of this site's CRM domain and applies them.
	 *
	 * @param Contact_Bridge_Client $client Client.
	 * @return array<string,int> How many changes ended each way (applied, same, taken, gone, invalid, failed).
	 */
	public static function poll( Contact_Bridge_Client $client ) {
		$tally = array();
		$since   = 0;
		$started = microtime( true );
		do {
			$result = $client->get_email_changes( $since, self::PAGE, get_current_blog_id() );
			if ( ! $result['ok'] || ! isset( $result['data']['changes'] ) || ! is_array( $result['data']['changes'] ) ) {
				self::log( 'could not read the CRM\'s email changes: ' . $result['error'] );
				return $tally;
			}
			foreach ( $result['data']['changes'] as $change ) {
				$outcome           = self::apply( is_array( $change ) ? $change : array() );
				$tally[ $outcome ] = ( isset( $tally[ $outcome ] ) ? $tally[ $outcome ] : 0 ) + 1;
			}
			$next  = isset( $result['data']['next'] ) ? $result['data']['next'] : null;
			$since = is_int( $next ) && $next > $since ? $next : null;
		} while ( null !== $since && microtime( true ) - $started < self::BUDGET_SECONDS );
		return $tally;
	}

	/**
	 * Applies one change: the user's address becomes the CRM's, through wp_update_user.
	 *
	 * @param array $change {user_id, email} from the sidecar.
	 * @return string applied, same (already so), taken (another user has it), gone (no such user), invalid, failed.
	 */
	public static function apply( array $change ) {
		$user_id = isset( $change['user_id'] ) ? (int) $change['user_id'] : 0;
		$email   = isset( $change['email'] ) && is_string( $change['email'] ) ? sanitize_email( $change['email'] ) : '';
		if ( '' === $email || ! is_email( $email ) || ( isset( $change['email'] ) && strtolower( trim( (string) $change['email'] ) ) !== strtolower( $email ) ) ) {
			self::log( sprintf( 'refused the CRM\'s address for user %d: not a valid email', $user_id ) );
			return 'invalid';
		}
		$user = $user_id > 0 ? get_userdata( $user_id ) : false;
		if ( ! $user ) {
			return 'gone';
		}
		if ( strtolower( $user->user_email ) === strtolower( $email ) ) {
			return 'same';
		}
		$holder = email_exists( $email );
		if ( $holder && (int) $holder !== $user_id ) {
			self::log( sprintf( 'did not give user %d the CRM\'s address: user %d has it', $user_id, (int) $holder ) );
			return 'taken';
		}
		$updated = wp_update_user(
			array(
				'ID'         => $user_id,
				'user_email' => $email,
			)
		);
		if ( is_wp_error( $updated ) ) {
			self::log( sprintf( 'could not give user %d the CRM\'s address: %s', $user_id, $updated->get_error_message() ) );
			return 'failed';
		}
		return 'applied';
	}

	/**
	 * @param string $message What happened.
	 */
	private static function log( $message ) {
		error_log( 'contact-bridge: ' . $message ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
	}
}
