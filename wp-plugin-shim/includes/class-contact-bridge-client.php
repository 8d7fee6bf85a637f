<?php
/**
 * The only code that talks to the sidecar: signed JSON over wp_remote_request().
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Small HTTP client for the sidecar's /v1 API.
 *
 * Every request carries X-Bridge-Timestamp and X-Bridge-Signature (signature v2, see sign()).
 * Every call names the site it acts for (blog_id): the sidecar maps it to the site's CRM domain.
 * Each method returns an array:
 *   'ok'     => bool   (2xx),
 *   'status' => int    (0 when no HTTP answer arrived),
 *   'data'   => array|null (decoded JSON body),
 *   'error'  => string (human-readable reason when not ok, else '').
 */
final class Contact_Bridge_Client {

	/** Seconds to wait for the sidecar on user-facing paths (filter: contact_bridge_timeout). */
	const DEFAULT_TIMEOUT = 3;

	/** The sidecar's limit for GET /v1/links. */
	const MAX_LINK_IDS = 500;

	/** The sidecar's limit for GET /v1/health. */
	const MAX_HEALTH_LIMIT = 500;

	/** The signature scheme sign() writes (GET /v1/ping tells the sidecar's). */
	const SIGNATURE_SCHEME = 'v2';

	/** Events the sidecar accepts. */
	const EVENTS = array( 'user_register', 'profile_update', 'deleted_user', 'wp_login' );

	/** @var string */
	private $base_url;

	/** @var string */
	private $secret;

	/** @var float */
	private $timeout;

	/**
	 * @param string $base_url Sidecar base URL, no trailing slash.
	 * @param string $secret   Shared secret.
	 * @param float  $timeout  Seconds.
	 */
	public function __construct( $base_url, $secret, $timeout = self::DEFAULT_TIMEOUT ) {
		$this->base_url = untrailingslashit( (string) $base_url );
		$this->secret   = (string) $secret;
		$this->timeout  = (float) $timeout;
	}

	/**
	 * A client built from the effective settings.
	 *
	 * @param float $default_timeout Seconds unless the contact_bridge_timeout filter says otherwise (screens no user waits on may wait longer).
	 * @return self
	 */
	public static function from_settings( $default_timeout = self::DEFAULT_TIMEOUT ) {
		$timeout = (float) apply_filters( 'contact_bridge_timeout', (float) $default_timeout );
		return new self( Contact_Bridge_Settings::url(), Contact_Bridge_Settings::secret(), $timeout > 0 ? $timeout : self::DEFAULT_TIMEOUT );
	}

	/**
	 * @return bool
	 */
	public function is_configured() {
		return '' !== $this->base_url && '' !== $this->secret;
	}

	/**
	 * Signature v2, the plugin's one signing function: "v2=" and the lowercase hex
	 * HMAC-SHA256(secret, timestamp "\n" METHOD "\n" path "\n" raw body), where path is the request
	 * target from /v1/ on with its query string exactly as sent (the part after the base URL).
	 *
	 * @param string $secret    Shared secret.
	 * @param string $timestamp Unix seconds, as sent in X-Bridge-Timestamp.
	 * @param string $method    HTTP method.
	 * @param string $path      Path and query, starting with /v1/.
	 * @param string $raw_body  Body bytes ('' for a GET).
	 * @return string
	 */
	public static function sign( $secret, $timestamp, $method, $path, $raw_body ) {
		return self::SIGNATURE_SCHEME . '=' . hash_hmac( 'sha256', $timestamp . "\n" . strtoupper( $method ) . "\n" . $path . "\n" . $raw_body, (string) $secret );
	}

	/**
	 * POST /v1/events.
	 *
	 * @param string   $event     One of self::EVENTS.
	 * @param int      $user_id   User id.
	 * @param int      $blog_id   Site id.
	 * @param int|null $queued_at Unix time the event was first queued (redelivery only).
	 * @param float    $timeout   Seconds at most (a drain's remaining budget).
	 * @return array
	 */
	public function send_event( $event, $user_id, $blog_id, $queued_at = null, $timeout = null ) {
		$headers = array();
		if ( null !== $queued_at ) {
			$headers['X-Bridge-Queued-At'] = (string) (int) $queued_at;
		}
		return $this->request(
			'POST',
			'/v1/events',
			array(
				'event'   => (string) $event,
				'user_id' => (int) $user_id,
				'blog_id' => max( 1, (int) $blog_id ),
			),
			$headers,
			$timeout
		);
	}

	/**
	 * GET /v1/ping: proves the URL and the secret; tells the CRM domain of the site and the
	 * sidecar's version and signature scheme.
	 *
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function ping( $blog_id ) {
		return $this->request( 'GET', '/v1/ping?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/links for at most MAX_LINK_IDS users, in the site's CRM domain.
	 *
	 * @param int[] $user_ids   User ids.
	 * @param int   $blog_id    Site id.
	 * @param bool  $with_state Also each link's state (link health).
	 * @return array
	 */
	public function get_links( array $user_ids, $blog_id, $with_state = false ) {
		$ids = array_slice( array_values( array_unique( array_filter( array_map( 'intval', $user_ids ) ) ) ), 0, self::MAX_LINK_IDS );
		return $this->request( 'GET', '/v1/links?user_ids=' . implode( ',', $ids ) . '&blog_id=' . max( 1, (int) $blog_id ) . ( $with_state ? '&with=state' : '' ) );
	}

	/**
	 * POST /v1/sync: start a bulk run of the site's CRM domain (202), or 409 with the running one's id.
	 *
	 * @param bool $dry_run Report only, write nothing.
	 * @param int  $blog_id Site id.
	 * @return array
	 */
	public function start_sync( $dry_run, $blog_id ) {
		return $this->request(
			'POST',
			'/v1/sync',
			array(
				'dry_run' => (bool) $dry_run,
				'blog_id' => max( 1, (int) $blog_id ),
			)
		);
	}

	/**
	 * GET /v1/sync/:id.
	 *
	 * @param int $run_id  Run id.
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function get_sync( $run_id, $blog_id ) {
		return $this->request( 'GET', '/v1/sync/' . (int) $run_id . '?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/sync: the site's domain's runs, newest first.
	 *
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function list_syncs( $blog_id ) {
		return $this->request( 'GET', '/v1/sync?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/conflicts of the site's CRM domain.
	 *
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function get_conflicts( $blog_id ) {
		return $this->request( 'GET', '/v1/conflicts?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/changes: the CRM's address changes for WordPress (EMAIL_DIRECTION=both), a page after `since`.
	 *
	 * @param int $since   User id of the previous page's "next" (0: from the start).
	 * @param int $limit   Changes per page (1..500).
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function get_email_changes( $since, $limit, $blog_id ) {
		return $this->request( 'GET', '/v1/changes?since=' . max( 0, (int) $since ) . '&limit=' . max( 1, min( 500, (int) $limit ) ) . '&blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/users/:id/link: the user's link in the site's CRM domain (404 when not linked).
	 *
	 * @param int $user_id User id.
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function get_user_link( $user_id, $blog_id ) {
		return $this->request( 'GET', '/v1/users/' . absint( $user_id ) . '/link?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/users/:id/health: the state of the user's link and its findings (404 from a sidecar without the route).
	 *
	 * @param int $user_id User id.
	 * @param int $blog_id Site id.
	 * @return array
	 */
	public function get_user_health( $user_id, $blog_id ) {
		return $this->request( 'GET', '/v1/users/' . absint( $user_id ) . '/health?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/health: counts of every finding kind and one page of findings of the site's CRM domain.
	 *
	 * @param int    $blog_id Site id.
	 * @param string $kind    One finding kind, '' for all.
	 * @param string $after   The previous page's "next" cursor, '' for the first page.
	 * @param int    $limit   Findings per page (1..MAX_HEALTH_LIMIT).
	 * @return array
	 */
	public function get_health( $blog_id, $kind = '', $after = '', $limit = 50 ) {
		$query = array( 'blog_id' => max( 1, (int) $blog_id ) );
		if ( '' !== (string) $kind ) {
			$query['kind'] = (string) $kind;
		}
		if ( '' !== (string) $after ) {
			$query['after'] = (string) $after;
		}
		$query['limit'] = max( 1, min( self::MAX_HEALTH_LIMIT, (int) $limit ) );
		// RFC 3986 encoding: the path is signed exactly as it is sent.
		return $this->request( 'GET', '/v1/health?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 ) );
	}

	/**
	 * POST /v1/repair: start a repair (or a dry run) of the site's CRM domain (202 {id}; 409 with the id of what runs).
	 *
	 * @param bool     $dry_run Report only, write nothing.
	 * @param string[] $kinds   Finding kinds to repair (empty: all).
	 * @param int      $blog_id Site id.
	 * @return array
	 */
	public function start_repair( $dry_run, array $kinds, $blog_id ) {
		$body = array(
			'dry_run' => (bool) $dry_run,
			'blog_id' => max( 1, (int) $blog_id ),
		);
		if ( ! empty( $kinds ) ) {
			$body['kinds'] = array_values( array_map( 'strval', $kinds ) );
		}
		return $this->request( 'POST', '/v1/repair', $body );
	}

	/**
	 * GET /v1/repair/:id.
	 *
	 * @param int $repair_id Repair id.
	 * @param int $blog_id   Site id.
	 * @return array
	 */
	public function get_repair( $repair_id, $blog_id ) {
		return $this->request( 'GET', '/v1/repair/' . absint( $repair_id ) . '?blog_id=' . max( 1, (int) $blog_id ) );
	}

	/**
	 * GET /v1/personal-data: what the sidecar keeps of one person (a page of it), in every CRM domain.
	 *
	 * @param int    $user_id User id, 0 when the address has no user.
	 * @param string $email   Address of the privacy request.
	 * @param int    $page    Page, from 1.
	 * @return array
	 */
	public function get_personal_data( $user_id, $email, $page ) {
		return $this->request( 'GET', '/v1/personal-data?' . http_build_query( self::person( $user_id, $email ) + array( 'page' => max( 1, (int) $page ) ), '', '&', PHP_QUERY_RFC3986 ) );
	}

	/**
	 * POST /v1/personal-data/erase: erases (a part of) what the sidecar keeps of one person; 'done' says whether more is left.
	 *
	 * @param int    $user_id User id, 0 when the address has no user.
	 * @param string $email   Address of the privacy request.
	 * @return array
	 */
	public function erase_personal_data( $user_id, $email ) {
		return $this->request( 'POST', '/v1/personal-data/erase', self::person( $user_id, $email ) );
	}

	/**
	 * @param int    $user_id User id or 0.
	 * @param string $email   Address or ''.
	 * @return array The request's user_id and email, each only when given.
	 */
	private static function person( $user_id, $email ) {
		$person = array();
		if ( (int) $user_id > 0 ) {
			$person['user_id'] = (int) $user_id;
		}
		if ( '' !== (string) $email ) {
			$person['email'] = (string) $email;
		}
		return $person;
	}

	/**
	 * Signs and sends one request.
	 *
	 * @param string     $method  GET or POST.
	 * @param string     $path    Path and query, starting with /v1/.
	 * @param array|null $body    JSON body (POST).
	 * @param array      $headers Extra headers.
	 * @param float|null $timeout Seconds, when shorter than the client's (a drain's remaining budget).
	 * @return array
	 */
	private function request( $method, $path, $body = null, array $headers = array(), $timeout = null ) {
		if ( ! $this->is_configured() ) {
			return self::result( false, 0, null, __( 'The sidecar URL or the shared secret is not set.', 'contact-bridge' ) );
		}

		$raw       = null === $body ? '' : (string) wp_json_encode( $body );
		$timestamp = (string) time();
		$headers   = array_merge(
			array(
				'Accept'             => 'application/json',
				'X-Bridge-Timestamp' => $timestamp,
				// The path after the base URL: a proxy serving the sidecar under a prefix strips only that prefix.
				'X-Bridge-Signature' => self::sign( $this->secret, $timestamp, $method, $path, $raw ),
			),
			$headers
		);
		$args      = array(
			'method'      => $method,
			'timeout'     => null === $timeout ? $this->timeout : max( 0.1, min( $this->timeout, (float) $timeout ) ),
			'redirection' => 0,
			'headers'     => $headers,
			'user-agent'  => 'contact-bridge-wp/' . CONTACT_BRIDGE_VERSION,
		);
		if ( 'GET' !== $method ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = $raw;
		}

		$response = wp_remote_request( $this->base_url . $path, $args );
		if ( is_wp_error( $response ) ) {
			return self::result( false, 0, null, $response->get_error_message() );
		}

		$status = (int) wp_remote_retrieve_response_code( $response );
		$data   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$data   = is_array( $data ) ? $data : null;
		if ( $status >= 200 && $status < 300 ) {
			return self::result( true, $status, $data, '' );
		}

		$message = isset( $data['error']['message'] ) && is_string( $data['error']['message'] )
			? substr( $data['error']['message'], 0, 300 )
			: (string) wp_remote_retrieve_response_message( $response );
		/* translators: 1: HTTP status code, 2: error message from the sidecar. */
		return self::result( false, $status, $data, sprintf( __( 'HTTP %1$d: %2$s', 'contact-bridge' ), $status, $message ) );
	}

	/**
	 * @param bool       $ok     2xx.
	 * @param int        $status HTTP status or 0.
	 * @param array|null $data   Decoded body.
	 * @param string     $error  Reason.
	 * @return array
	 */
	private static function result( $ok, $status, $data, $error ) {
		return array(
			'ok'     => $ok,
			'status' => $status,
			'data'   => $data,
			'error'  => $error,
		);
	}
}
