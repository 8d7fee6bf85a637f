/**
 * Every setting of the sidecar, in one schema: environment variable, default and meaning.
 * Built once at start; a bad value stops the process with a message naming the variable.
 */
import Ajv, { type ErrorObject } from 'ajv';
import cron from 'node-cron';
import { AppError } from './lib/errors';
import { parseMysqlUrl } from './lib/mysql-url';

export interface Config {
  mysqlUrl: string;
  wpTablePrefix: string;
  wpUsersTable: string;
  wpUsermetaTable: string;
  bridgeSecret: string;
  port: number;
  host: string;
  crmContactType: 'Individual' | 'Organization' | 'Household';
  crmDomainId: number;
  /** Multisite: blog id -> CRM domain id; blogs not listed use crmDomainId. */
  domainByBlog: Readonly<Record<number, number>>;
  syncNames: boolean;
  relinkTrashed: boolean;
  emailDirection: 'wordpress' | 'both';
  onUserDelete: 'keep' | 'trash';
  trashMatchedContacts: boolean;
  syncCron: string;
  syncChunkSize: number;
  mysqlPoolSize: number;
  logLevel: string;
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpMaxConnections: number;
  eventQueueLimit: number;
  auditRetentionDays: number;
}

interface Setting {
  env: string;
  key: keyof Config;
  schema: Record<string, unknown>;
  default?: string;
  doc: string;
}

const IDENTIFIER = '^[A-Za-z0-9_]+$';
const TABLE_NAME = '^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)?$';

export const SETTINGS: readonly Setting[] = [
  {
    env: 'MYSQL_URL',
    key: 'mysqlUrl',
    schema: { type: 'string', pattern: '^mysql://' },
    doc: 'mysql://user:password@host:port/database (a socket: mysql://user@localhost/db?socketPath=/run/mysqld/mysqld.sock; a Galera cluster: its nodes in order, mysql://user:password@h1:3306,h2:3306,h3:3306/database, the pool uses one and moves to the next when it is gone or not Synced). The WordPress tables and the CRM tables live in this database.',
  },
  {
    env: 'BRIDGE_SECRET',
    key: 'bridgeSecret',
    schema: { type: 'string', minLength: 32 },
    doc: 'Shared secret for the HMAC signature of every /v1 request; at least 32 characters. The WordPress plugin holds the same value.',
  },
  {
    env: 'WP_TABLE_PREFIX',
    key: 'wpTablePrefix',
    schema: { type: 'string', pattern: IDENTIFIER, maxLength: 64 },
    default: 'wp_',
    doc: "WordPress's $table_prefix (letters, digits and _ only).",
  },
  {
    env: 'WP_USERS_TABLE',
    key: 'wpUsersTable',
    schema: { type: 'string', pattern: `(^$)|${TABLE_NAME}` },
    default: '',
    doc: "Like WordPress's CUSTOM_USER_TABLE: the users table when it is not {prefix}users (may be db.table).",
  },
  {
    env: 'WP_USERMETA_TABLE',
    key: 'wpUsermetaTable',
    schema: { type: 'string', pattern: `(^$)|${TABLE_NAME}` },
    default: '',
    doc: "Like WordPress's CUSTOM_USER_META_TABLE: the usermeta table when it is not {prefix}usermeta.",
  },
  {
    env: 'PORT',
    key: 'port',
    schema: { type: 'integer', minimum: 0, maximum: 65535 },
    default: '8787',
    doc: 'TCP port of the HTTP API (0 picks a free port).',
  },
  {
    env: 'HOST',
    key: 'host',
    schema: { type: 'string', minLength: 1 },
    default: '127.0.0.1',
    doc: 'Address to listen on. Loopback by default; put a TLS proxy in front when WordPress runs on another host.',
  },
  {
    env: 'CRM_CONTACT_TYPE',
    key: 'crmContactType',
    schema: { type: 'string', enum: ['Individual', 'Organization', 'Household'] },
    default: 'Individual',
    doc: 'Contact type that users are matched against and created as.',
  },
  {
    env: 'CRM_DOMAIN_ID',
    key: 'crmDomainId',
    schema: { type: 'integer', minimum: 1, maximum: 4294967295 },
    default: '1',
    doc: 'civicrm_domain.id this WordPress site maps to (must exist; domain 1 is created when missing).',
  },
  {
    env: 'CRM_DOMAIN_BY_BLOG',
    key: 'domainByBlog',
    schema: { type: 'string', pattern: '^$|^\\s*[1-9]\\d{0,9}\\s*:\\s*[1-9]\\d{0,9}\\s*(,\\s*[1-9]\\d{0,9}\\s*:\\s*[1-9]\\d{0,9}\\s*)*$' },
    default: '',
    doc: 'Multisite: which CRM domain each site maps to, as blog_id:domain_id pairs ("2:2,3:2"); sites not listed use CRM_DOMAIN_ID.',
  },
  {
    env: 'SYNC_NAMES',
    key: 'syncNames',
    schema: { type: 'boolean' },
    default: 'true',
    doc: 'Copy non-empty WordPress first/last names to the linked contact on every event (true/false).',
  },
  {
    env: 'ON_USER_DELETE',
    key: 'onUserDelete',
    schema: { type: 'string', enum: ['keep', 'trash'] },
    default: 'keep',
    doc: 'When a WordPress user is deleted: keep its contact (default), or trash it (is_deleted = 1, never a hard delete) when no other link in any domain points to it and the bridge created it (source "WordPress user"; see TRASH_MATCHED_CONTACTS). The link is removed either way.',
  },
  {
    env: 'TRASH_MATCHED_CONTACTS',
    key: 'trashMatchedContacts',
    schema: { type: 'boolean' },
    default: 'false',
    doc: 'With ON_USER_DELETE=trash: trash contacts the bridge matched (not created) too.',
  },
  {
    env: 'EMAIL_DIRECTION',
    key: 'emailDirection',
    schema: { type: 'string', enum: ['wordpress', 'both'] },
    default: 'wordpress',
    doc: 'wordpress: addresses travel from WordPress to the CRM only. both: a linked contact whose address was changed in the CRM (WordPress kept the one last applied) has it carried to WordPress by the plugin (GET /v1/changes, applied with wp_update_user); an address another WordPress user has is not carried and stays a finding.',
  },
  {
    env: 'RELINK_TRASHED',
    key: 'relinkTrashed',
    schema: { type: 'boolean' },
    default: 'false',
    doc: 'Link repair: move the link of a user whose linked contact is in the trash to the contact the rules pick (or a new one); false leaves it for a person.',
  },
  {
    env: 'SYNC_CRON',
    key: 'syncCron',
    schema: { type: 'string' },
    default: '*/15 * * * *',
    doc: 'Cron expression of the scheduled reconciliation; empty disables it.',
  },
  {
    env: 'SYNC_CHUNK_SIZE',
    key: 'syncChunkSize',
    schema: { type: 'integer', minimum: 1, maximum: 100000 },
    default: '2500',
    doc: 'Users per chunk in the bulk sync (each chunk commits with its cursor).',
  },
  {
    env: 'MYSQL_POOL_SIZE',
    key: 'mysqlPoolSize',
    schema: { type: 'integer', minimum: 1, maximum: 1000 },
    default: '10',
    doc: 'Connections in the database pool.',
  },
  {
    env: 'HTTP_HEADERS_TIMEOUT_MS',
    key: 'httpHeadersTimeoutMs',
    schema: { type: 'integer', minimum: 100, maximum: 600000 },
    default: '10000',
    doc: "Milliseconds a connection may take to send a request's headers; then it is answered 408 and closed (half-open connections do not pile up).",
  },
  {
    env: 'HTTP_REQUEST_TIMEOUT_MS',
    key: 'httpRequestTimeoutMs',
    schema: { type: 'integer', minimum: 100, maximum: 600000 },
    default: '30000',
    doc: 'Milliseconds a client may take to send a whole request (headers and body); at least HTTP_HEADERS_TIMEOUT_MS.',
  },
  {
    env: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    key: 'httpKeepAliveTimeoutMs',
    schema: { type: 'integer', minimum: 0, maximum: 600000 },
    default: '5000',
    doc: 'Milliseconds an idle keep-alive connection stays open.',
  },
  {
    env: 'HTTP_MAX_CONNECTIONS',
    key: 'httpMaxConnections',
    schema: { type: 'integer', minimum: 1, maximum: 1000000 },
    default: '512',
    doc: "Open connections at most; further ones are closed at once. Keep it below the process's open-file limit (ulimit -n) minus the database pool.",
  },
  {
    env: 'EVENT_QUEUE_LIMIT',
    key: 'eventQueueLimit',
    schema: { type: 'integer', minimum: 1, maximum: 1000000 },
    default: '2000',
    doc: 'Events waiting for a reconcile transaction at most; beyond it an event is answered 503 with Retry-After (the plugin keeps it and retries).',
  },
  {
    env: 'AUDIT_RETENTION_DAYS',
    key: 'auditRetentionDays',
    schema: { type: 'integer', minimum: 0, maximum: 36500 },
    default: '90',
    doc: 'Days contact_bridge_audit rows are kept; older ones are deleted in small batches by the scheduled job (SYNC_CRON). 0 keeps them forever.',
  },
  {
    env: 'LOG_LEVEL',
    key: 'logLevel',
    schema: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    doc: 'Log level of the JSON logs on stdout.',
  },
];

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true });
const validate = ajv.compile({
  type: 'object',
  properties: Object.fromEntries(
    SETTINGS.map((s) => [s.env, s.default === undefined ? s.schema : { ...s.schema, default: s.default }]),
  ),
  required: SETTINGS.filter((s) => s.default === undefined).map((s) => s.env),
});

function describe(error: ErrorObject): string {
  if (error.keyword === 'required') {
    const name = String(error.params.missingProperty);
    const setting = SETTINGS.find((s) => s.env === name);
    return `${name} is required: ${setting?.doc ?? ''}`;
  }
  const name = error.instancePath.replace(/^\//, '');
  if (error.keyword === 'pattern') {
    const setting = SETTINGS.find((s) => s.env === name);
    return `${name} is not valid: ${setting?.doc ?? ''}`;
  }
  return `${name} ${error.message ?? 'is invalid'}`;
}

function parseDomainByBlog(raw: string): Record<number, number> {
  const map: Record<number, number> = {};
  for (const pair of raw.split(',').filter((p) => p.trim() !== '')) {
    const [blog, domain] = pair.split(':').map((n) => Number(n.trim()));
    if (blog > 4294967295 || domain > 4294967295) {
      throw new AppError('CONFIG_INVALID', `Invalid configuration: CRM_DOMAIN_BY_BLOG has an id beyond 4294967295 in "${pair}"`);
    }
    if (map[blog] !== undefined && map[blog] !== domain) {
      throw new AppError('CONFIG_INVALID', `Invalid configuration: CRM_DOMAIN_BY_BLOG maps blog ${blog} twice`);
    }
    map[blog] = domain;
  }
  return Object.freeze(map);
}

/** The CRM domain of an event: its blog's mapping, else CRM_DOMAIN_ID. */
export function domainForBlog(config: Pick<Config, 'crmDomainId' | 'domainByBlog'>, blogId: number | undefined): number {
  return (blogId !== undefined ? config.domainByBlog[blogId] : undefined) ?? config.crmDomainId;
}

/** Every CRM domain the sidecar serves: CRM_DOMAIN_ID and each domain of CRM_DOMAIN_BY_BLOG, ascending. */
export function configuredDomains(config: Pick<Config, 'crmDomainId' | 'domainByBlog'>): number[] {
  return [...new Set([config.crmDomainId, ...Object.values(config.domainByBlog)])].sort((a, b) => a - b);
}

/** Builds the config from an environment; throws AppError('CONFIG_INVALID') naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw !== undefined && !(raw === '' && s.default !== undefined && s.env !== 'SYNC_CRON')) input[s.env] = raw;
  }
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map(describe);
    throw new AppError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}`);
  }
  const problems: string[] = [];
  try {
    if (!parseMysqlUrl(String(input.MYSQL_URL)).database) problems.push('MYSQL_URL must name a database (mysql://user:pass@host:3306/database)');
  } catch (error) {
    problems.push(`MYSQL_URL is not valid: ${(error as Error).message}`);
  }
  const syncCron = String(input.SYNC_CRON).trim();
  if (syncCron !== '' && !cron.validate(syncCron)) problems.push(`SYNC_CRON is not a valid cron expression: "${syncCron}"`);
  if (Number(input.HTTP_REQUEST_TIMEOUT_MS) < Number(input.HTTP_HEADERS_TIMEOUT_MS)) {
    problems.push('HTTP_REQUEST_TIMEOUT_MS must be at least HTTP_HEADERS_TIMEOUT_MS');
  }
  if (problems.length > 0) throw new AppError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}`);

  const config = Object.fromEntries(SETTINGS.map((s) => [s.key, input[s.env]])) as unknown as Config;
  config.syncCron = syncCron;
  config.domainByBlog = parseDomainByBlog(String(input.CRM_DOMAIN_BY_BLOG));
  const prefix = config.wpTablePrefix;
  config.wpUsersTable = config.wpUsersTable || `${prefix}users`;
  config.wpUsermetaTable = config.wpUsermetaTable || `${prefix}usermeta`;
  return Object.freeze(config);
}
