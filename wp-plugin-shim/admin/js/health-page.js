/**
 * Tools → Link health: start a dry run or a repair, poll its progress, show the outcome.
 * Talks only to admin-ajax.php; the HTML it inserts is built and escaped by PHP.
 */
( function () {
	'use strict';

	var config = window.contactBridgeHealth;
	var root = document.getElementById( 'contact-bridge-health' );
	var dryRunButton = document.getElementById( 'contact-bridge-health-dry-run' );
	var repairButton = document.getElementById( 'contact-bridge-health-repair' );
	if ( ! config || ! root || ! dryRunButton || ! repairButton ) {
		return;
	}
	// wp_localize_script() hands every scalar over as a string.
	var pollMs = Number( config.pollMs ) || 700;

	var progress = document.getElementById( 'contact-bridge-health-progress' );
	var bar = document.getElementById( 'contact-bridge-health-bar' );
	var progressText = document.getElementById( 'contact-bridge-health-progress-text' );
	var errorBox = document.getElementById( 'contact-bridge-health-error' );
	var result = document.getElementById( 'contact-bridge-health-result' );

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
		repairButton.disabled = busy;
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

	function poll( repairId ) {
		post( 'contact_bridge_repair_status', { repair_id: String( repairId ) } ).then( function ( response ) {
			if ( ! response || ! response.success ) {
				// The repair goes on in the sidecar: a passing hiccup is retried a few times.
				failedPolls += 1;
				if ( failedPolls <= 3 ) {
					window.setTimeout( function () {
						poll( repairId );
					}, pollMs * failedPolls * 2 );
					return;
				}
				showError( response );
				return;
			}
			failedPolls = 0;
			showProgress( response.data );
			if ( 'running' === response.data.status ) {
				window.setTimeout( function () {
					poll( repairId );
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
		post( 'contact_bridge_repair_start', { dry_run: dryRun ? '1' : '0', kind: config.kind || '' } ).then( function ( response ) {
			if ( ! response || ! response.success ) {
				showError( response );
				return;
			}
			poll( response.data.id );
		} );
	}

	dryRunButton.addEventListener( 'click', function () {
		start( true );
	} );
	repairButton.addEventListener( 'click', function () {
		start( false );
	} );
}() );
