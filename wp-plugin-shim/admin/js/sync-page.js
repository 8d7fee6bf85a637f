/**
 * Tools → Synchronize Users to Contacts: OK or Dry run starts a run; its progress and result are
 * shown by the shared run panel (run-panel.js). An interrupted run is resumed by the sidecar
 * itself: the panel keeps watching it.
 */
( function () {
	'use strict';

	var config = window.contactBridgeSync;
	if ( ! config || ! window.contactBridgeRunPanel ) {
		return;
	}
	window.contactBridgeRunPanel( {
		config: config,
		prefix: 'contact-bridge-sync',
		buttons: { dryRun: 'contact-bridge-sync-dry-run', real: 'contact-bridge-sync-ok' },
		startAction: 'contact_bridge_sync_start',
		statusAction: 'contact_bridge_sync_status',
		idField: 'run_id',
		startFields: {},
		pollWhile: [ 'running', 'interrupted' ],
		// wp_localize_script() hands every scalar over as a string.
		runningId: Number( config.runningId ) || 0,
	} );
}() );
