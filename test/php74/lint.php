<?php
/**
 * Parses each file given (token_get_all with TOKEN_PARSE: the full syntax check `php -l` does)
 * under the PHP running it, and says which do not parse (or cannot be read); the last line counts
 * them. Run under PHP 7.4 by
 * test/integration/plugin-php74.test.ts (PHP 7.4 built for Node: @php-wasm/node-7-4).
 */
$contact_bridge_bad = 0;
foreach ( array_slice( $argv, 1 ) as $contact_bridge_file ) {
	$contact_bridge_code = @file_get_contents( $contact_bridge_file ); // phpcs:ignore
	if ( false === $contact_bridge_code || '' === trim( $contact_bridge_code ) ) {
		++$contact_bridge_bad;
		echo $contact_bridge_file . ": cannot be read (or is empty)\n";
		continue;
	}
	try {
		token_get_all( $contact_bridge_code, TOKEN_PARSE );
	} catch ( ParseError $e ) {
		++$contact_bridge_bad;
		echo $contact_bridge_file . ':' . $e->getLine() . ': ' . $e->getMessage() . "\n";
	}
}
echo 'checked ' . ( count( $argv ) - 1 ) . ' files, ' . $contact_bridge_bad . ' with errors, PHP ' . PHP_VERSION . "\n";
exit( $contact_bridge_bad > 0 ? 1 : 0 );
