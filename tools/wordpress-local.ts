/**
 * A private, real WordPress site for the end-to-end tests and the demo.
 *
 * It uses Debian's `wordpress` package (/usr/share/wordpress) and never touches /etc/wordpress:
 * Debian's own wp-config.php looks for /etc/wordpress/config-<host>.php, so the site gets a
 * folder of its own whose entries are symlinks to /usr/share/wordpress/* except wp-config.php
 * (ours: database, table prefix, salts, WP_CONTENT_DIR) and wp-content (private: a minimal
 * theme, a mail-catching mu-plugin, and plugins/contact-bridge -> the repo's wp-plugin-shim/).
 *
 * PHP resolves symlinks in __FILE__/__DIR__, so wp-load.php would compute ABSPATH as
 * /usr/share/wordpress/ and load Debian's wp-config.php. ABSPATH is therefore defined before
 * WordPress runs: by an auto_prepend_file for the web server, by the bootstrap line of every
 * CLI script. WordPress is installed with wp_install() through the php CLI, the plugin is
 * activated with activate_plugin(), and the site is served by `php -S` with several workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './private-mariadb';

export interface LocalWordPressOptions {
  /** Folder for the site, its wp-content and its logs. Created when missing; the site folder is rebuilt. */
  baseDir: string;
  /** mysql://user:password@host:port/database — the database must exist (it may be empty). */
  databaseUrl: string;
  /** WordPress table prefix; default `wp_`. */
  tablePrefix?: string;
  /** Loopback port for `php -S`; a free one is picked when omitted. */
  port?: number;
  /** PHP_CLI_SERVER_WORKERS; default 4 (shutdown-time HTTP calls must not block other requests). */
  workers?: number;
  /** Written to wp-config.php as CONTACT_BRIDGE_URL when given. */
  bridgeUrl?: string;
  /** Written to wp-config.php as CONTACT_BRIDGE_SECRET when given. */
  bridgeSecret?: string;
  /** The plugin folder linked as wp-content/plugins/contact-bridge; default <repo>/wp-plugin-shim. */
  pluginDir?: string;
  /** Activate the contact-bridge plugin after install; default true. */
  activatePlugin?: boolean;
  /**
   * A site without the plugin, where a site owner installs it by uploading its zip: no
   * wp-content/plugins/contact-bridge (activatePlugin is ignored), and WordPress may change its
   * files (DISALLOW_FILE_MODS off, FS_METHOD direct: the site's files are ours, WordPress's core
   * files Debian's, so WordPress would otherwise ask for FTP credentials).
   */
  pluginByUpload?: boolean;
  /**
   * Make the site a network of sites in subdirectories (multisite) with WordPress's own network
   * functions (install_network, populate_network), the plugin network-activated, and `php -S`
   * routing /<site>/… the way WordPress's .htaccess rules do. Sites are added by the caller.
   */
  multisite?: boolean;
  /** Extra options set after install, e.g. `{ users_can_register: 1 }`. */
  options?: Record<string, string | number>;
  title?: string;
  adminUser?: string;
  adminPassword?: string;
  adminEmail?: string;
  /** Debian's WordPress; default /usr/share/wordpress. */
  wordpressDir?: string;
  /** PHP CLI binary; default `php`. */
  phpBinary?: string;
}

export interface LocalWordPress {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly adminEmail: string;
  readonly tablePrefix: string;
  readonly siteDir: string;
  /** wp-content/debug.log of the site (WP_DEBUG_LOG). */
  readonly debugLog: string;
  /** JSON lines of every mail WordPress tried to send (caught, never sent). */
  readonly mailLog: string;
  /** Runs PHP code with WordPress loaded (as the CLI, no user logged in); resolves with stdout. */
  runPhp(code: string): Promise<string>;
  /**
   * Multisite: adds a site at /<slug>/ with wp_insert_site() (as Network Admin → Sites → Add New),
   * then puts back the port that WordPress's domain clean-up drops (networks on a port are not
   * supported by WordPress; this one is on a loopback port). Resolves with the site's id.
   */
  addSite(slug: string, title: string): Promise<number>;
  /** Like runPhp, but resolves however the process ended (a script that kills itself, a fatal error). */
  runPhpResult(code: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

const DEFAULT_WORDPRESS_DIR = '/usr/share/wordpress';
const PLUGIN_SLUG = 'contact-bridge';
const THEME_SLUG = 'bridge-plain';

export function findRepoRoot(): string {
  // tools/ (ts) or dist/tools/ (compiled)
  for (const candidate of [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')]) {
    if (existsSync(path.join(candidate, 'wp-plugin-shim', 'contact-bridge.php'))) return candidate;
  }
  throw new Error(`wordpress-local: cannot find the repository (wp-plugin-shim/) from ${__dirname}`);
}

/** A PHP single-quoted string literal. */
function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Database {
  host: string;
  user: string;
  password: string;
  name: string;
}

function parseDatabaseUrl(databaseUrl: string): Database {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`wordpress-local: the database URL names no database: ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
  return {
    host: `${url.hostname}:${url.port || '3306'}`,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    name,
  };
}

function buildSiteFolder(wordpressDir: string, siteDir: string): void {
  rmSync(siteDir, { recursive: true, force: true });
  mkdirSync(siteDir, { recursive: true });
  for (const entry of readdirSync(wordpressDir)) {
    if (entry === 'wp-config.php' || entry === 'wp-content' || entry === 'wp-cron.php') continue;
    symlinkSync(path.join(wordpressDir, entry), path.join(siteDir, entry));
  }
  // wp-cron.php loads WordPress only when ABSPATH is undefined, and here it is defined before
  // any script runs (see the header): a copy that loads it by WPINC instead, so WP-Cron runs.
  const cron = readFileSync(path.join(wordpressDir, 'wp-cron.php'), 'utf8');
  const patched = cron.replace("if ( ! defined( 'ABSPATH' ) ) {", "if ( ! defined( 'WPINC' ) ) {").replace("require_once __DIR__ . '/wp-load.php';", "require_once ABSPATH . 'wp-load.php';");
  if (patched === cron) throw new Error('wordpress-local: wp-cron.php has an unexpected shape');
  writeFileSync(path.join(siteDir, 'wp-cron.php'), patched);
}

function buildContentFolder(wordpressDir: string, contentDir: string, pluginDir: string | null, mailLog: string): void {
  for (const dir of ['plugins', 'themes', 'mu-plugins', 'uploads']) mkdirSync(path.join(contentDir, dir), { recursive: true });
  if (pluginDir !== null) symlinkSync(pluginDir, path.join(contentDir, 'plugins', PLUGIN_SLUG));
  const debianPlugins = path.join(wordpressDir, 'wp-content', 'plugins');
  if (existsSync(debianPlugins)) {
    for (const entry of readdirSync(debianPlugins)) {
      if (entry !== 'index.php' && entry !== PLUGIN_SLUG) symlinkSync(path.join(debianPlugins, entry), path.join(contentDir, 'plugins', entry));
    }
  }
  // Debian ships no theme in the wordpress package; a minimal one keeps the front end quiet.
  const theme = path.join(contentDir, 'themes', THEME_SLUG);
  mkdirSync(theme, { recursive: true });
  writeFileSync(
    path.join(theme, 'style.css'),
    '/*\nTheme Name: Bridge Plain\nDescription: Minimal theme for contact-bridge tests.\nVersion: 1.0\n*/\n',
  );
  writeFileSync(
    path.join(theme, 'index.php'),
    `<?php\n?><!doctype html><html <?php language_attributes(); ?>><head><meta charset="utf-8"><title><?php bloginfo( 'name' ); ?></title><?php wp_head(); ?></head>\n` +
      `<body><h1><?php bloginfo( 'name' ); ?></h1><p><a href="<?php echo esc_url( wp_login_url() ); ?>">Log in</a></p><?php wp_footer(); ?></body></html>\n`,
  );
  // Mail is caught, never sent: the machine has no MTA and tests must not depend on one.
  // WordPress 6.1's own PHP 8.2 deprecation notices are kept out of debug.log so that the
  // plugin's notices, if any, stand out.
  writeFileSync(
    path.join(contentDir, 'mu-plugins', 'local-site.php'),
    `<?php\n/* Local test site: quieter debug log, no update checks; mails written to a file instead of being sent. */\n` +
      `error_reporting( E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED );\n` +
      `// No calls to WordPress.org (blocked by WP_HTTP_BLOCK_EXTERNAL anyway; this keeps the log clean).\n` +
      `foreach ( array( 'admin_init' => array( '_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes' ), 'wp_version_check' => array( 'wp_version_check' ), 'wp_update_plugins' => array( 'wp_update_plugins' ), 'wp_update_themes' => array( 'wp_update_themes' ), 'wp_maybe_auto_update' => array( 'wp_maybe_auto_update' ) ) as $hook => $callbacks ) {\n` +
      `\tforeach ( $callbacks as $callback ) { remove_action( $hook, $callback ); }\n}\n` +
      `// WP-Cron's loopback request gives up after 10 ms, often before php -S has read it (the run is then lost and\n` +
      `// its lock stays for a minute); half a second lets it arrive. Still non-blocking: page views do not wait for it.\n` +
      `add_filter( 'cron_request', function ( $request ) { $request['args']['timeout'] = 0.5; return $request; } );\n` +
      `add_filter( 'pre_wp_mail', function ( $return, $atts ) {\n` +
      `\tfile_put_contents( ${phpString(mailLog)}, wp_json_encode( array( 'to' => $atts['to'], 'subject' => $atts['subject'], 'message' => $atts['message'] ) ) . "\\n", FILE_APPEND | LOCK_EX );\n` +
      `\treturn true;\n}, 10, 2 );\n`,
  );
}

function wpConfig(opts: {
  db: Database;
  tablePrefix: string;
  url: string;
  contentDir: string;
  debugLog: string;
  bridgeUrl?: string;
  bridgeSecret?: string;
  /** Host (with port) of a subdirectory network; the URL constants are then left out (each site has its own). */
  networkHost?: string;
  /** Let WordPress install plugins (Plugins → Add New → Upload Plugin), writing files directly. */
  allowFileMods?: boolean;
}): string {
  const salt = (): string => randomBytes(32).toString('hex');
  const lines = [
    '<?php',
    '/* Generated by tools/wordpress-local.ts for a private test/demo site. */',
    `define( 'DB_NAME', ${phpString(opts.db.name)} );`,
    `define( 'DB_USER', ${phpString(opts.db.user)} );`,
    `define( 'DB_PASSWORD', ${phpString(opts.db.password)} );`,
    `define( 'DB_HOST', ${phpString(opts.db.host)} );`,
    `define( 'DB_CHARSET', 'utf8mb4' );`,
    `define( 'DB_COLLATE', '' );`,
    `$table_prefix = ${phpString(opts.tablePrefix)};`,
    ...['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'].map(
      (key) => `define( '${key}', '${salt()}' );`,
    ),
    ...(opts.networkHost === undefined
      ? [`define( 'WP_HOME', ${phpString(opts.url)} );`, `define( 'WP_SITEURL', ${phpString(opts.url)} );`]
      : [
          `define( 'WP_ALLOW_MULTISITE', true );`,
          `define( 'MULTISITE', true );`,
          `define( 'SUBDOMAIN_INSTALL', false );`,
          `define( 'DOMAIN_CURRENT_SITE', ${phpString(opts.networkHost)} );`,
          `define( 'PATH_CURRENT_SITE', '/' );`,
          `define( 'SITE_ID_CURRENT_SITE', 1 );`,
          `define( 'BLOG_ID_CURRENT_SITE', 1 );`,
        ]),
    `define( 'WP_CONTENT_DIR', ${phpString(opts.contentDir)} );`,
    `define( 'WP_CONTENT_URL', ${phpString(`${opts.url}/wp-content`)} );`,
    `define( 'WP_HTTP_BLOCK_EXTERNAL', true );`,
    `define( 'AUTOMATIC_UPDATER_DISABLED', true );`,
    `define( 'WP_AUTO_UPDATE_CORE', false );`,
    ...(opts.allowFileMods ? [`define( 'DISALLOW_FILE_MODS', false );`, `define( 'FS_METHOD', 'direct' );`] : [`define( 'DISALLOW_FILE_MODS', true );`]),
    `define( 'WP_DEBUG', true );`,
    `define( 'WP_DEBUG_DISPLAY', false );`,
    `define( 'WP_DEBUG_LOG', ${phpString(opts.debugLog)} );`,
    `define( 'WP_ENVIRONMENT_TYPE', 'local' );`,
  ];
  if (opts.bridgeUrl !== undefined) lines.push(`define( 'CONTACT_BRIDGE_URL', ${phpString(opts.bridgeUrl)} );`);
  if (opts.bridgeSecret !== undefined) lines.push(`define( 'CONTACT_BRIDGE_SECRET', ${phpString(opts.bridgeSecret)} );`);
  lines.push(
    `if ( ! defined( 'ABSPATH' ) ) {`,
    `\tdefine( 'ABSPATH', __DIR__ . '/' );`,
    `}`,
    `require_once ABSPATH . 'wp-settings.php';`,
    '',
  );
  return lines.join('\n');
}

interface PhpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runPhpFile(phpBinary: string, file: string, env: NodeJS.ProcessEnv = {}): Promise<PhpResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(phpBinary, ['-d', 'display_errors=stderr', '-d', 'memory_limit=512M', file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitForHttp(url: string, server: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`php -S exited with code ${server.exitCode}; see ${logFile}`);
    try {
      const response = await fetch(url, { redirect: 'manual' });
      await response.arrayBuffer();
      if (response.status < 500) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(`WordPress did not answer at ${url} within 30 s: ${String(lastError)}; see ${logFile}`);
}

/**
 * A router for `php -S` that does what WordPress's .htaccess does for a subdirectory network:
 * a path that exists is served as it is; /<site>/wp-admin/…, /<site>/wp-includes/…,
 * /<site>/wp-content/… and /<site>/*.php are the same files without the site's folder;
 * anything else goes to index.php.
 */
function subdirectoryRouter(siteDir: string): string {
  // auto_prepend_file does not apply to a router script: ABSPATH is defined here too.
  return `<?php
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', ${phpString(`${siteDir}/`)} );
}
$cb_root = ${phpString(siteDir)};
$cb_asked = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
$cb_path = $cb_asked;
if ( ! file_exists( $cb_root . $cb_path ) ) {
	if ( preg_match( '#^/[_0-9a-zA-Z-]+(/wp-(?:content|admin|includes).*)$#', $cb_path, $cb_m ) ) {
		$cb_path = $cb_m[1];
	} elseif ( preg_match( '#^/[_0-9a-zA-Z-]+(/[^/]*\\.php)$#', $cb_path, $cb_m ) ) {
		$cb_path = $cb_m[1];
	}
}
if ( is_dir( $cb_root . $cb_path ) ) {
	$cb_path = rtrim( $cb_path, '/' ) . '/index.php';
}
if ( ! is_file( $cb_root . $cb_path ) ) {
	$cb_path = '/index.php';
}
$cb_file = $cb_root . $cb_path;
if ( '.php' !== substr( $cb_file, -4 ) ) {
	if ( $cb_path === $cb_asked ) {
		return false;
	}
	$cb_types = array( 'css' => 'text/css', 'js' => 'application/javascript', 'svg' => 'image/svg+xml', 'png' => 'image/png', 'gif' => 'image/gif', 'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf' );
	$cb_ext = strtolower( pathinfo( $cb_file, PATHINFO_EXTENSION ) );
	header( 'Content-Type: ' . ( isset( $cb_types[ $cb_ext ] ) ? $cb_types[ $cb_ext ] : 'application/octet-stream' ) );
	readfile( $cb_file );
	return true;
}
$_SERVER['SCRIPT_NAME'] = $cb_path;
$_SERVER['PHP_SELF'] = $cb_path;
$_SERVER['SCRIPT_FILENAME'] = $cb_file;
chdir( dirname( $cb_file ) );
unset( $cb_root, $cb_asked, $cb_m, $cb_types, $cb_ext );
require $cb_file;
`;
}

/** Installs WordPress into the given database, activates the shim and serves the site. */
export async function startLocalWordPress(options: LocalWordPressOptions): Promise<LocalWordPress> {
  const wordpressDir = options.wordpressDir ?? DEFAULT_WORDPRESS_DIR;
  if (!existsSync(path.join(wordpressDir, 'wp-settings.php'))) {
    throw new Error(`WordPress not found in ${wordpressDir}. Run tools/ensure-system-packages.sh --with-wordpress (as root).`);
  }
  const phpBinary = options.phpBinary ?? 'php';
  const baseDir = path.resolve(options.baseDir);
  const siteDir = path.join(baseDir, 'site');
  const contentDir = path.join(siteDir, 'wp-content');
  const debugLog = path.join(baseDir, 'debug.log');
  const mailLog = path.join(baseDir, 'mail.log');
  const scriptsDir = path.join(baseDir, 'scripts');
  const tablePrefix = options.tablePrefix ?? 'wp_';
  if (!/^[A-Za-z0-9_]+$/.test(tablePrefix)) throw new Error(`wordpress-local: invalid table prefix ${tablePrefix}`);
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const adminUser = options.adminUser ?? 'admin';
  const adminPassword = options.adminPassword ?? randomBytes(12).toString('base64url');
  const adminEmail = options.adminEmail ?? 'admin@example.org';
  const pluginDir = options.pluginByUpload ? null : path.resolve(options.pluginDir ?? path.join(findRepoRoot(), 'wp-plugin-shim'));

  mkdirSync(baseDir, { recursive: true });
  rmSync(scriptsDir, { recursive: true, force: true });
  mkdirSync(scriptsDir, { recursive: true });
  buildSiteFolder(wordpressDir, siteDir);
  buildContentFolder(wordpressDir, contentDir, pluginDir, mailLog);
  writeFileSync(
    path.join(siteDir, 'wp-config.php'),
    wpConfig({
      db: parseDatabaseUrl(options.databaseUrl),
      tablePrefix,
      url,
      contentDir,
      debugLog,
      bridgeUrl: options.bridgeUrl,
      bridgeSecret: options.bridgeSecret,
      allowFileMods: options.pluginByUpload,
    }),
    { mode: 0o600 },
  );
  const prepend = path.join(scriptsDir, 'prepend.php');
  writeFileSync(prepend, `<?php\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', ${phpString(`${siteDir}/`)} );\n}\n`);

  const bootstrap = (extra = ''): string =>
    `<?php\n` +
    `define( 'ABSPATH', ${phpString(`${siteDir}/`)} );\n${extra}` +
    `$_SERVER['HTTP_HOST'] = ${phpString(host)};\n$_SERVER['SERVER_NAME'] = '127.0.0.1';\n$_SERVER['SERVER_PORT'] = ${port};\n` +
    `$_SERVER['REQUEST_URI'] = '/';\n$_SERVER['REQUEST_METHOD'] = 'GET';\n$_SERVER['REMOTE_ADDR'] = '127.0.0.1';\n` +
    `require_once ABSPATH . 'wp-load.php';\n`;

  let scriptCount = 0;
  const runScriptResult = async (name: string, body: string, extra = ''): Promise<PhpResult> => {
    scriptCount += 1;
    const file = path.join(scriptsDir, `${String(scriptCount).padStart(3, '0')}-${name}.php`);
    writeFileSync(file, bootstrap(extra) + body);
    return runPhpFile(phpBinary, file);
  };
  const runScript = async (name: string, body: string, extra = ''): Promise<string> => {
    const result = await runScriptResult(name, body, extra);
    if (result.code !== 0) {
      throw new Error(`wordpress-local: ${name} failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`.trim());
    }
    return result.stdout;
  };

  const extraOptions = Object.entries({ template: THEME_SLUG, stylesheet: THEME_SLUG, ...(options.options ?? {}) })
    .map(([key, value]) => `update_option( ${phpString(key)}, ${typeof value === 'number' ? String(value) : phpString(value)} );`)
    .join('\n');
  await runScript(
    'install',
    `require_once ABSPATH . 'wp-admin/includes/upgrade.php';\n` +
      `if ( ! is_blog_installed() ) {\n` +
      `\t$result = wp_install( ${phpString(options.title ?? 'Contact Bridge test site')}, ${phpString(adminUser)}, ${phpString(adminEmail)}, true, '', wp_slash( ${phpString(adminPassword)} ) );\n` +
      `\tif ( empty( $result['user_id'] ) ) { fwrite( STDERR, "wp_install failed\\n" ); exit( 1 ); }\n` +
      `} else {\n` +
      `\t$admin = get_user_by( 'login', ${phpString(adminUser)} );\n` +
      `\tif ( $admin ) { wp_set_password( ${phpString(adminPassword)}, $admin->ID ); }\n` +
      `}\n` +
      `${extraOptions}\n`,
    `define( 'WP_INSTALLING', true );\n`,
  );
  if (options.multisite) {
    // What Tools → Network Setup does on its form's submit; then wp-config.php gets the network constants.
    await runScript(
      'network',
      `require_once ABSPATH . 'wp-admin/includes/upgrade.php';\nrequire_once ABSPATH . 'wp-admin/includes/network.php';\n` +
        `foreach ( $wpdb->tables( 'ms_global' ) as $table => $prefixed_table ) { $wpdb->$table = $prefixed_table; } // as network.php does\n` +
        `install_network();\n` +
        `$result = populate_network( 1, ${phpString(host)}, ${phpString(adminEmail)}, ${phpString(options.title ?? 'Contact Bridge test network')}, '/', false );\n` +
        `if ( is_wp_error( $result ) ) { fwrite( STDERR, $result->get_error_message() . "\\n" ); exit( 1 ); }\n`,
    );
    writeFileSync(
      path.join(siteDir, 'wp-config.php'),
      wpConfig({
        db: parseDatabaseUrl(options.databaseUrl),
        tablePrefix,
        url,
        contentDir,
        debugLog,
        bridgeUrl: options.bridgeUrl,
        bridgeSecret: options.bridgeSecret,
        networkHost: host,
        allowFileMods: options.pluginByUpload,
      }),
      { mode: 0o600 },
    );
  }
  if (pluginDir !== null && (options.activatePlugin ?? true)) {
    // wp_die() ends a CLI script with exit code 0: the script says when it got to its end.
    const activated = await runScript(
      'activate',
      `require_once ABSPATH . 'wp-admin/includes/plugin.php';\n` +
        `$result = activate_plugin( '${PLUGIN_SLUG}/${PLUGIN_SLUG}.php', '', ${options.multisite ? 'true' : 'false'} );\n` +
        `if ( is_wp_error( $result ) ) { fwrite( STDERR, $result->get_error_message() . "\\n" ); exit( 1 ); }\n` +
        `if ( ! is_plugin_active( '${PLUGIN_SLUG}/${PLUGIN_SLUG}.php' ) ) { fwrite( STDERR, "plugin not active\\n" ); exit( 1 ); }\n` +
        `echo 'activated';\n`,
    );
    if (!activated.endsWith('activated')) throw new Error(`wordpress-local: activating the plugin failed:\n${activated.slice(-2000)}`);
  }

  const router = path.join(scriptsDir, 'router.php');
  if (options.multisite) writeFileSync(router, subdirectoryRouter(siteDir));
  const serverLog = path.join(baseDir, 'php-server.log');
  const out = openSync(serverLog, 'a');
  const server = spawn(
    phpBinary,
    [
      '-d', `auto_prepend_file=${prepend}`,
      '-d', 'display_errors=0',
      '-d', 'log_errors=1',
      '-d', `error_log=${path.join(baseDir, 'php-error.log')}`,
      '-d', 'memory_limit=256M',
      '-d', 'opcache.enable=1',
      '-d', 'opcache.enable_cli=1',
      '-S', host,
      '-t', siteDir,
      ...(options.multisite ? [router] : []),
    ],
    {
      cwd: siteDir,
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: String(options.workers ?? 4) },
      stdio: ['ignore', out, out],
      // Own process group: stop() ends the server and its workers, and nothing else.
      detached: true,
    },
  );
  const stopServer = async (): Promise<void> => {
    if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      server.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      try {
        if (server.pid !== undefined) process.kill(-server.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHttp(`${url}/wp-login.php`, server, serverLog);
  } catch (error) {
    await stopServer();
    throw error;
  }

  return {
    url,
    adminUser,
    adminPassword,
    adminEmail,
    tablePrefix,
    siteDir,
    debugLog,
    mailLog,
    runPhp: (code: string) => runScript('snippet', code),
    runPhpResult: (code: string) => runScriptResult('snippet', code),
    async addSite(slug: string, title: string) {
      if (!/^[a-z0-9-]+$/.test(slug)) throw new Error(`wordpress-local: invalid site slug ${slug}`);
      const out = await runScript(
        'add-site',
        `$domain = get_network()->domain;\n` +
          `$id = wp_insert_site( array( 'domain' => $domain, 'path' => '/${slug}/', 'title' => ${phpString(title)}, 'user_id' => 1 ) );\n` +
          `if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }\n` +
          `global $wpdb;\n$wpdb->update( $wpdb->blogs, array( 'domain' => $domain ), array( 'blog_id' => $id ) );\nclean_blog_cache( $id );\n` +
          `update_blog_option( $id, 'siteurl', 'http://' . $domain . '/${slug}' );\nupdate_blog_option( $id, 'home', 'http://' . $domain . '/${slug}' );\n` +
          `echo $id;\n`,
      );
      return Number(out.trim().split('\n').pop());
    },
    stop: stopServer,
  };
}
