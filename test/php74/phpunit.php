<?php
/**
 * Debian's PHPUnit (9.6, which supports PHP 7.3+) started under PHP 7.4 built for Node
 * (@php-wasm/node-7-4): what /usr/bin/phpunit does, without its shebang line, which PHP built
 * for Node would not skip. Run by test/e2e/plugin-phpunit.test.ts with the same arguments.
 */
set_include_path( '/usr/share/php' );
if ( ! ini_get( 'date.timezone' ) ) {
	ini_set( 'date.timezone', 'UTC' );
}
define( 'PHPUNIT_COMPOSER_INSTALL', 'PHPUnit/Autoload.php' );
require PHPUNIT_COMPOSER_INSTALL;
PHPUnit\TextUI\Command::main();
