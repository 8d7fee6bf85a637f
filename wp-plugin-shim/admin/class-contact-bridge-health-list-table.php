<?php
/**
 * The findings of Link health as a WP_List_Table: one page of GET /v1/health, a view per kind
 * with its count, and cursor paging (the sidecar pages with an opaque "next", so the table
 * offers the first and the next page rather than page numbers).
 *
 * @package ContactBridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Findings table.
 */
final class Contact_Bridge_Health_List_Table extends WP_List_Table {

	/** @var array Counts per kind from the answer. */
	private $counts = array();

	/** @var string The kind shown ('' for all). */
	private $kind = '';

	/** @var string|null Cursor of the next page. */
	private $next = null;

	/** @var int Findings before this page (carried in the URL, for "X–Y of N"). */
	private $from = 0;

	/** @var string Address of the screen, without kind or paging. */
	private $base_url = '';

	/**
	 * @param array  $answer   GET /v1/health's answer.
	 * @param string $kind     Kind shown ('' for all).
	 * @param int    $from     Findings before this page.
	 * @param string $base_url Address of the screen.
	 */
	public function __construct( array $answer, $kind, $from, $base_url ) {
		parent::__construct(
			array(
				'singular' => 'finding',
				'plural'   => 'findings',
				'ajax'     => false,
			)
		);
		$this->counts   = isset( $answer['counts'] ) && is_array( $answer['counts'] ) ? $answer['counts'] : array();
		$this->kind     = (string) $kind;
		$this->from     = max( 0, (int) $from );
		$this->base_url = (string) $base_url;
		$this->next     = isset( $answer['next'] ) && is_string( $answer['next'] ) && '' !== $answer['next'] ? $answer['next'] : null;
		$this->items    = array();
		foreach ( isset( $answer['findings'] ) && is_array( $answer['findings'] ) ? $answer['findings'] : array() as $finding ) {
			$finding = Contact_Bridge_Health::finding( $finding );
			if ( null !== $finding ) {
				$this->items[] = $finding;
			}
		}
	}

	/**
	 * Findings of the view shown, all pages together.
	 *
	 * @return int
	 */
	public function total() {
		if ( '' !== $this->kind ) {
			return isset( $this->counts[ $this->kind ] ) ? (int) $this->counts[ $this->kind ] : 0;
		}
		return (int) array_sum( array_map( 'intval', $this->counts ) );
	}

	/**
	 * Columns and paging arguments (the items came with the answer).
	 */
	public function prepare_items() {
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'kind' );
		$this->set_pagination_args(
			array(
				'total_items' => $this->total(),
				'per_page'    => max( 1, count( $this->items ) ),
			)
		);
	}

	/**
	 * @return string[]
	 */
	public function get_columns() {
		return array(
			'kind'        => __( 'Kind', 'contact-bridge' ),
			'user'        => __( 'User', 'contact-bridge' ),
			'contacts'    => __( 'Contacts', 'contact-bridge' ),
			'explanation' => __( 'Explanation', 'contact-bridge' ),
			'repair'      => __( 'Repair', 'contact-bridge' ),
		);
	}

	/**
	 * "All (n)" and one view per kind that has findings (and the one shown).
	 *
	 * @return string[]
	 */
	protected function get_views() {
		$views = array(
			'all' => sprintf(
				'<a href="%1$s"%2$s>%3$s <span class="count">(%4$s)</span></a>',
				esc_url( $this->base_url ),
				'' === $this->kind ? ' class="current" aria-current="page"' : '',
				esc_html__( 'All', 'contact-bridge' ),
				esc_html( number_format_i18n( (int) array_sum( array_map( 'intval', $this->counts ) ) ) )
			),
		);
		foreach ( Contact_Bridge_Health::KINDS as $kind ) {
			$n = isset( $this->counts[ $kind ] ) ? (int) $this->counts[ $kind ] : 0;
			if ( 0 === $n && $kind !== $this->kind ) {
				continue;
			}
			$views[ $kind ] = sprintf(
				'<a href="%1$s" data-kind="%2$s"%3$s>%4$s <span class="count">(%5$s)</span></a>',
				esc_url( add_query_arg( 'kind', $kind, $this->base_url ) ),
				esc_attr( $kind ),
				$kind === $this->kind ? ' class="current" aria-current="page"' : '',
				esc_html( Contact_Bridge_Health::kind_label( $kind ) ),
				esc_html( number_format_i18n( $n ) )
			);
		}
		return $views;
	}

	/**
	 * Rows carry their kind, for the eye and for tests.
	 *
	 * @param array $item Finding.
	 */
	public function single_row( $item ) {
		echo '<tr data-kind="' . esc_attr( $item['kind'] ) . '" data-user-id="' . esc_attr( null === $item['user_id'] ? '' : (string) $item['user_id'] ) . '">';
		$this->single_row_columns( $item );
		echo '</tr>';
	}

	/**
	 * @param array $item Finding.
	 * @return string
	 */
	protected function column_kind( $item ) {
		return esc_html( Contact_Bridge_Health::kind_label( $item['kind'] ) );
	}

	/**
	 * @param array $item Finding.
	 * @return string
	 */
	protected function column_user( $item ) {
		return Contact_Bridge_Health::user_html( $item['user_id'] );
	}

	/**
	 * @param array $item Finding.
	 * @return string
	 */
	protected function column_contacts( $item ) {
		return Contact_Bridge_Contact_Link::list_html( $item['contact_ids'] );
	}

	/**
	 * @param array $item Finding.
	 * @return string
	 */
	protected function column_explanation( $item ) {
		return esc_html( $item['explanation'] );
	}

	/**
	 * @param array $item Finding.
	 * @return string
	 */
	protected function column_repair( $item ) {
		if ( null === $item['repair'] ) {
			return '<span class="contact-bridge-needs-person">' . esc_html__( 'Needs a person', 'contact-bridge' ) . '</span>';
		}
		return esc_html( $item['repair'] );
	}

	/**
	 * @param array  $item        Finding.
	 * @param string $column_name Column.
	 * @return string
	 */
	protected function column_default( $item, $column_name ) {
		return '';
	}

	/**
	 * No findings.
	 */
	public function no_items() {
		if ( '' === $this->kind ) {
			esc_html_e( 'No findings: every user and every link is in order.', 'contact-bridge' );
		} else {
			esc_html_e( 'No findings of this kind.', 'contact-bridge' );
		}
	}

	/**
	 * Cursor paging: "X–Y of N", the first page and the next one.
	 *
	 * @param string $which top or bottom.
	 */
	protected function pagination( $which ) {
		$total = $this->total();
		$shown = count( $this->items );
		$first = $shown > 0 ? $this->from + 1 : 0;
		$last  = $this->from + $shown;
		$base  = '' === $this->kind ? $this->base_url : add_query_arg( 'kind', $this->kind, $this->base_url );

		echo '<div class="tablenav-pages contact-bridge-health-pages"><span class="displaying-num">';
		/* translators: 1: first finding shown, 2: last finding shown, 3: all findings of the view. */
		echo esc_html( sprintf( __( '%1$s–%2$s of %3$s', 'contact-bridge' ), number_format_i18n( $first ), number_format_i18n( $last ), number_format_i18n( max( $total, $last ) ) ) );
		echo '</span><span class="pagination-links">';
		if ( $this->from > 0 ) {
			printf(
				'<a class="first-page button" href="%1$s"><span class="screen-reader-text">%2$s</span><span aria-hidden="true">&laquo;</span></a> ',
				esc_url( $base ),
				esc_html__( 'First page', 'contact-bridge' )
			);
		}
		if ( null !== $this->next ) {
			printf(
				'<a class="next-page button" href="%1$s"><span class="screen-reader-text">%2$s</span><span aria-hidden="true">&rsaquo;</span></a>',
				esc_url(
					add_query_arg(
						array(
							'after' => rawurlencode( $this->next ),
							'from'  => $last,
						),
						$base
					)
				),
				esc_html__( 'Next page', 'contact-bridge' )
			);
		}
		echo '</span></div>';
	}
}
