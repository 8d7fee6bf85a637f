/**
 * Tools → Synchronize Users to Contacts: start a run, poll its progress, show the result.
 * Talks only to admin-ajax.php; the HTML it inserts is built and escaped by PHP.
 */
( function () {
	'use strict';

	var config = window.contactBridgeSync;
	var root = document.getElementById( 'contact-bridge-sync' );
	if ( ! config || ! root ) {
		return;
	}
	// wp_localize_script() hands every scalar over as a string.
	var pollMs = Number( config.pollMs ) || 700;
	var runningId = Number( config.runningId ) || 0;

	var okButton = document.getElementById( 'contact-bridge-sync-ok' );
	var dryRunButton = document.getElementById( 'contact-bridge-sync-dry-run' );
	var progress = document.getElementById( 'contact-bridge-sync-progress' );
	var bar = document.getElementById( 'contact-bridge-sync-bar' );
	var progressText = document.getElementById( 'contact-bridge-sync-progress-text' );
	var errorBox = document.getElementById( 'contact-bridge-sync-error' );
	var result = document.getElementById( 'contact-bridge-sync-result' );

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
		okButton.disabled = busy;
		dryRunButton.disabled = busy;
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

	function poll( runId ) {
		post( 'contact_bridge_sync_status', { run_id: String( runId ) } ).then( function ( response ) {
			if ( ! response || ! response.success ) {
				// The run goes on in the sidecar: a passing hiccup is retried a few times.
				failedPolls += 1;
				if ( failedPolls <= 3 ) {
					window.setTimeout( function () {
						poll( runId );
					}, pollMs * failedPolls * 2 );
					return;
				}
				showError( response );
				return;
			}
			failedPolls = 0;
			showProgress( response.data );
			// An interrupted run is resumed by the sidecar itself: keep watching it.
			if ( 'running' === response.data.status || 'interrupted' === response.data.status ) {
				window.setTimeout( function () {
					poll( runId );
				}, pollMs );
				return;
			}
			bar.value = bar.max;
			result.innerHTML = response.data.html; // Built and escaped by PHP.
			root.setAttribute( 'data-state', response.data.status );
			okButton.disabled = false;
			dryRunButton.disabled = false;
		} );
	}

	function start( dryRun ) {
		setBusy( true );
		errorBox.hidden = true;
		result.textContent = '';
		progress.hidden = false;
		bar.value = 0;
		progressText.textContent = config.i18n.starting;
		post( 'contact_bridge_sync_start', { dry_run: dryRun ? '1' : '0' } ).then( function ( response ) {
			if ( ! response || ! response.success ) {
				showError( response );
				return;
			}
			poll( response.data.id );
		} );
	}

	okButton.addEventListener( 'click', function () {
		start( false );
	} );
	dryRunButton.addEventListener( 'click', function () {
		start( true );
	} );

	if ( runningId > 0 ) {
		setBusy( true );
		poll( runningId );
	}
}() );
