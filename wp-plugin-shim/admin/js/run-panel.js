/**
 * A long run started from a wp-admin screen (Synchronize Users to Contacts, Link health): the
 * start button(s), the progress bar fed by polling, the error box and the result. Talks only to
 * admin-ajax.php; the HTML it inserts is built and escaped by PHP.
 *
 * contactBridgeRunPanel( {
 *   config,          the screen's wp_localize_script() object (ajaxUrl, nonce, scope, pollMs, i18n)
 *   prefix,          id of the panel; its parts are prefix-progress, -bar, -progress-text, -error, -result
 *   buttons,         { dryRun: id, real: id }
 *   startAction, statusAction, idField (the status request's field for the run id),
 *   startFields,     extra fields of the start request
 *   pollWhile,       statuses that mean "still going"
 *   runningId        a run already going when the screen opened (0: none)
 * } )
 */
window.contactBridgeRunPanel = function ( spec ) {
	'use strict';

	var config = spec.config;
	var root = document.getElementById( spec.prefix );
	var dryRunButton = document.getElementById( spec.buttons.dryRun );
	var realButton = document.getElementById( spec.buttons.real );
	if ( ! config || ! root || ! dryRunButton || ! realButton ) {
		return;
	}
	// wp_localize_script() hands every scalar over as a string.
	var pollMs = Number( config.pollMs ) || 700;

	var progress = document.getElementById( spec.prefix + '-progress' );
	var bar = document.getElementById( spec.prefix + '-bar' );
	var progressText = document.getElementById( spec.prefix + '-progress-text' );
	var errorBox = document.getElementById( spec.prefix + '-error' );
	var result = document.getElementById( spec.prefix + '-result' );

	function post( action, fields ) {
		var body = new FormData();
		body.append( 'action', action );
		body.append( 'nonce', config.nonce );
		body.append( 'scope', config.scope || 'site' );
		Object.keys( fields ).forEach( function ( key ) {
			body.append( key, fields[ key ] );
		} );
		return fetch( config.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( response ) {
				return response.json().catch( function () {
					return { success: false, data: { message: config.i18n.failed } };
				} );
			} )
			.catch( function () {
				return { success: false, data: { message: config.i18n.failed } };
			} );
	}

	function setBusy( busy ) {
		dryRunButton.disabled = busy;
		realButton.disabled = busy;
		root.setAttribute( 'data-state', busy ? 'running' : 'idle' );
	}

	function showError( response ) {
		var message = response && response.data && response.data.message ? response.data.message : config.i18n.failed;
		errorBox.querySelector( 'p' ).textContent = message;
		errorBox.hidden = false;
		setBusy( false );
	}

	function showProgress( data ) {
		progress.hidden = false;
		bar.max = Math.max( 1, data.total );
		bar.value = Math.min( data.processed, bar.max );
		progressText.textContent = data.progress_text;
	}

	var failedPolls = 0;

	function poll( id ) {
		var fields = {};
		fields[ spec.idField ] = String( id );
		post( spec.statusAction, fields ).then( function ( response ) {
			if ( ! response || ! response.success ) {
				// The run goes on in the sidecar: a passing hiccup is retried a few times.
				failedPolls += 1;
				if ( failedPolls <= 3 ) {
					window.setTimeout( function () {
						poll( id );
					}, pollMs * failedPolls * 2 );
					return;
				}
				showError( response );
				return;
			}
			failedPolls = 0;
			showProgress( response.data );
			if ( spec.pollWhile.indexOf( response.data.status ) !== -1 ) {
				window.setTimeout( function () {
					poll( id );
				}, pollMs );
				return;
			}
			bar.value = bar.max;
			result.innerHTML = response.data.html; // Built and escaped by PHP.
			setBusy( false );
			root.setAttribute( 'data-state', response.data.status );
		} );
	}

	function start( dryRun ) {
		setBusy( true );
		errorBox.hidden = true;
		result.textContent = '';
		progress.hidden = false;
		bar.value = 0;
		progressText.textContent = config.i18n.starting;
		var fields = { dry_run: dryRun ? '1' : '0' };
		Object.keys( spec.startFields || {} ).forEach( function ( key ) {
			fields[ key ] = spec.startFields[ key ];
		} );
		post( spec.startAction, fields ).then( function ( response ) {
			if ( ! response || ! response.success ) {
				showError( response );
				return;
			}
			poll( response.data.id );
		} );
	}

	realButton.addEventListener( 'click', function () {
		start( false );
	} );
	dryRunButton.addEventListener( 'click', function () {
		start( true );
	} );

	if ( spec.runningId > 0 ) {
		setBusy( true );
		poll( spec.runningId );
	}
};
