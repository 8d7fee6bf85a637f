/**
 * Tools → Link health: Dry run or Repair starts a repair (of the kind shown, or all); its progress
 * and outcome are shown by the shared run panel (run-panel.js).
 */
( function () {
	'use strict';

	var config = window.contactBridgeHealth;
	if ( ! config || ! window.contactBridgeRunPanel ) {
		return;
	}
	window.contactBridgeRunPanel( {
		config: config,
		prefix: 'contact-bridge-health',
		buttons: { dryRun: 'contact-bridge-health-dry-run', real: 'contact-bridge-health-repair' },
		startAction: 'contact_bridge_repair_start',
		statusAction: 'contact_bridge_repair_status',
		idField: 'repair_id',
		startFields: { kind: config.kind || '' },
		pollWhile: [ 'running' ],
		runningId: 0,
	} );
}() );
