#!/usr/bin/env -S node --
/**
 * contact-bridge CLI, configured by the same environment as the sidecar (MYSQL_URL, …), or by
 * `--env-file PATH` after any command (the environment wins over the file):
 *   contact-bridge serve              run the sidecar (HTTP API and jobs) until SIGTERM/SIGINT
 *   contact-bridge sync [--dry-run]   run (or resume) the bulk sync here; a progress bar on a
 *                                     terminal, the summary at the end
 *   contact-bridge status             the recent sync runs
 *   contact-bridge migrate [--dry-run] apply pending migrations (or list them, changing nothing)
 *   contact-bridge health [--kind=K] [--json]
 *                                     the link health report: counts per kind and every finding
 *   contact-bridge repair [--dry-run] [--kinds=K,K] [--json]
 *                                     apply the safe repairs (or say what they would do)
 * sync, status, health and repair act on CRM_DOMAIN_ID's domain, or on --domain=N (one the configuration
 * serves: CRM_DOMAIN_ID or a CRM_DOMAIN_BY_BLOG target).
 * Exit codes: serve: 0 stopped by a signal, 1 could not start or failed. sync/status/migrate:
 * 0 done, 1 failed, 2 usage, 3 a run is already in progress elsewhere. health/repair: 0 clean
 * (nothing found / nothing left), 1 findings (left), 2 error (usage, a run in progress, the
 * database). Every command: 2 when the env file cannot be read or has a bad line (nothing is
 * started).
 * The `--` of the first line: Node 20 takes a script's own `--env-file` for its option and exits
 * 9 when that file is missing (nodejs/node#54232); it looks no further than `--`.
 */
import { checkCrmSchema } from '../../check-crm-schema';
import { configuredDomains, loadConfig, type Config } from '../../config';
import { migrate, pendingMigrations } from '../../data-access/migrations';
import { createPool, type Pool } from '../../data-access/pool';
import { createRepositories } from '../../data-access/repositories';
import { conventionsFrom } from '../../domain/conventions';
import { scanFindings, zeroHealthCounts } from '../../domain/health/check-link-health';
import { FINDING_KINDS, isFindingKind, type Finding, type FindingKind } from '../../domain/health/findings';
import { repairLinks, RunInProgress } from '../../domain/health/repair-links';
import type { RepairRun } from '../../domain/health/repair-run';
import { linkingRules } from '../../domain/model';
import type { EngineDeps } from '../../domain/reconcile-users';
import { DEFAULT_LEASE_SECONDS } from '../../domain/sync/sync-lease';
import { healthDeps, repairDeps } from '../../health-wiring';
import type { Repositories } from '../../data-access/repositories';
import type { Logger } from '../../lib/logger';
import { detailLines, summaryLines } from '../../domain/summary-text';
import { syncAllUsers, type SyncProgress } from '../../domain/sync/sync-all-users';
import { SyncAlreadyRunning } from '../../domain/sync/sync-run';
import { listConflicts, recentSyncRuns, type RunView } from '../../domain/sync/sync-status';
import { loadEnvFile } from '../../lib/env-file';
import { createLogger } from '../../lib/logger';
import { serve } from '../../main';
import { databaseOf, type Database } from '../../lib/transaction';

const USAGE = `Usage: contact-bridge <command> [--env-file PATH]
  serve              run the sidecar: the HTTP API and the scheduled jobs, until SIGTERM
  sync [--dry-run] [--domain=N]
                     synchronize every WordPress user with the CRM (resumes an interrupted run)
  status [--domain=N] show the recent sync runs
  migrate [--dry-run] apply pending database migrations (or list them)
  health [--kind=K] [--json] [--domain=N]
                     report broken links: counts per kind and every finding (exit 0 clean, 1 findings, 2 error)
  repair [--dry-run] [--kinds=K,K] [--json] [--domain=N]
                     apply the safe repairs, or say what they would do (exit 0 nothing left, 1 findings left, 2 error)
Kinds: ${FINDING_KINDS.join(', ')}.
--domain=N: the CRM domain (CRM_DOMAIN_ID or one CRM_DOMAIN_BY_BLOG maps to); default CRM_DOMAIN_ID.
Configuration comes from the environment (MYSQL_URL, BRIDGE_SECRET, WP_TABLE_PREFIX, …) and, with
--env-file PATH, from that file of NAME=value lines (systemd's EnvironmentFile); the environment wins.`;

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function progressBar(p: SyncProgress): string {
  return bar(p.processed, p.total, 'users');
}

function describeRun(run: RunView): string {
  const when = run.startedAt.toISOString();
  return `#${run.id} ${run.status}${run.dryRun ? ' (dry run)' : ''} started ${when}: ${run.processed}/${run.total} users` +
    (run.error ? ` — ${run.error}` : '');
}

function engineOf(config: Config, db: Database, repos: Repositories, logger: Logger, domainId: number): EngineDeps {
  return { db, store: repos.engine, rules: linkingRules(config, domainId), conventions: conventionsFrom((runner) => repos.engine.loadConventions(runner), db), logger };
}

async function sync(config: Config, pool: Pool, domainId: number, dryRun: boolean): Promise<number> {
  const { db, repos, logger } = await prepared(config, pool);
  const tty = process.stdout.isTTY === true;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const run = await syncAllUsers(
      {
        ...engineOf(config, db, repos, logger, domainId),
        runs: repos.runs,
        leases: repos.leases,
        chunkSize: config.syncChunkSize,
      },
      {
        dryRun,
        trigger: 'cli',
        signal: controller.signal,
        onStarted: (id) => out(`Sync run ${id}${dryRun ? ' (dry run)' : ''} started.`),
        onProgress: (p) => {
          if (tty) process.stdout.write(`\r${progressBar(p)}`);
        },
      },
    );
    if (tty) process.stdout.write('\n');
    if (run.status !== 'completed') {
      out(`Stopped at user ${run.cursor}; run "contact-bridge sync" again to resume run ${run.id}.`);
      return 1;
    }
    for (const line of summaryLines(run.counts, run.dryRun)) out(line);
    for (const line of detailLines(run.counts, run.dryRun)) out(`  ${line}`);
    if (run.dryRun && run.changes && run.changes.length > 0) {
      out('Would change:');
      for (const change of run.changes as Array<Record<string, unknown>>) {
        out(`  user ${String(change.user_id)}: ${String(change.action)}${change.reason ? ` (${String(change.reason)})` : ''}`);
      }
    }
    return 0;
  } catch (error) {
    if (tty) process.stdout.write('\n');
    if (error instanceof SyncAlreadyRunning) {
      process.stderr.write(`${error.message}\n`);
      return 3;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function status(config: Config, pool: Pool, domainId: number): Promise<number> {
  const repos = createRepositories(config);
  const db = databaseOf(pool);
  const runs = await recentSyncRuns({ db, runs: repos.runs, leases: repos.leases }, domainId, 10);
  if (runs.length === 0) out('No sync runs yet.');
  for (const run of runs) {
    out(describeRun(run));
    if (run.status === 'completed') for (const line of summaryLines(run.counts, run.dryRun)) out(`    ${line}`);
  }
  const problems = await listConflicts({ db, problems: repos.problems }, domainId, 20);
  if (problems.length > 0) {
    out(`Users skipped or in conflict (latest ${problems.length}):`);
    for (const p of problems) out(`  user ${p.ufId}: ${p.action} — ${p.reason ?? ''}`);
  }
  return 0;
}

function bar(done: number, total: number, what: string): string {
  const width = 30;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${what} (${Math.round(ratio * 100)}%)`;
}

function findingLine(f: Finding): string {
  const who = f.userId === null ? '-' : `user ${f.userId}`;
  const contacts = f.contactIds.length === 0 ? '-' : `contact ${f.contactIds.join(', ')}`;
  return `${f.kind.padEnd(22)} ${who.padEnd(14)} ${contacts.padEnd(20)} ${f.explanation} => ${f.repair?.text ?? 'needs a person'}`;
}

const findingJson = (f: Finding) => JSON.stringify({ kind: f.kind, user_id: f.userId, contact_ids: f.contactIds, explanation: f.explanation, repair: f.repair?.text ?? null });

/** Prepares the database as the sidecar does (migrations, CRM schema check); logs go to stderr as JSON (LOG_LEVEL, default warn here) so stdout stays for people. */
async function prepared(config: Config, pool: Pool): Promise<{ db: Database; repos: Repositories; logger: Logger }> {
  const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  await migrate(pool, logger);
  await checkCrmSchema(pool, logger);
  return { db: databaseOf(pool), repos: createRepositories(config), logger };
}

async function health(config: Config, pool: Pool, domainId: number, kind: FindingKind | undefined, json: boolean): Promise<number> {
  const { db, repos } = await prepared(config, pool);
  const deps = healthDeps(config, db, repos, domainId);
  const total = await repos.engine.countUsers(db);
  const tty = process.stderr.isTTY === true;
  const counts = zeroHealthCounts();
  let shown = 0;
  // Findings are written as they are found (memory stays flat); the counts come last.
  out(json ? `{"domain_id":${domainId},"checked_at":${JSON.stringify(new Date().toISOString())},"findings":[` : `Link health of CRM domain ${domainId}:`);
  for await (const step of scanFindings(deps)) {
    for (const f of step.findings) {
      counts[f.kind] += 1;
      if (kind !== undefined && f.kind !== kind) continue;
      out(json ? `${shown > 0 ? ',' : ''}${findingJson(f)}` : findingLine(f));
      shown += 1;
    }
    if (tty) process.stderr.write(`\r${bar(Math.min(step.users, total), total, 'users')}`);
  }
  if (tty) process.stderr.write('\n');
  if (json) out(`],"counts":${JSON.stringify(counts)}}`);
  else {
    if (shown === 0) out('  nothing found');
    out('Counts:');
    for (const k of FINDING_KINDS) out(`  ${k.padEnd(22)} ${counts[k]}`);
  }
  return shown > 0 ? 1 : 0;
}

async function repair(config: Config, pool: Pool, domainId: number, dryRun: boolean, kinds: FindingKind[] | undefined, json: boolean): Promise<number> {
  const { db, repos, logger } = await prepared(config, pool);
  const deps = repairDeps(config, repos, engineOf(config, db, repos, logger, domainId), DEFAULT_LEASE_SECONDS);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let run: RepairRun;
  try {
    run = await repairLinks(deps, { dryRun, kinds, signal: controller.signal, onStarted: (id) => json || out(`Repair run ${id}${dryRun ? ' (dry run)' : ''} started.`) });
  } catch (error) {
    if (error instanceof RunInProgress) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Left among the kinds asked for (the others are counted, and left, by design).
  const asked: readonly FindingKind[] = kinds ?? FINDING_KINDS;
  const left = asked.reduce((n, k) => n + run.counts[k].left, 0);
  if (json) {
    out(JSON.stringify({ id: run.id, status: run.status, dry_run: run.dryRun, counts: run.counts, changes: run.changes.map((c) => ({ kind: c.kind, user_id: c.userId, contact_ids: c.contactIds, change: c.change })) }));
  } else {
    out(`${'kind'.padEnd(22)} ${'found'.padStart(7)} ${(dryRun ? 'would repair' : 'repaired').padStart(12)} ${'left'.padStart(7)}`);
    for (const k of FINDING_KINDS) out(`${k.padEnd(22)} ${String(run.counts[k].found).padStart(7)} ${String(run.counts[k].repaired).padStart(12)} ${String(run.counts[k].left).padStart(7)}`);
    if (run.dryRun && run.changes.length > 0) {
      out('Would change:');
      for (const c of run.changes) out(`  ${c.kind} ${c.userId === null ? '' : `user ${c.userId}: `}${c.change}`);
    }
  }
  return left > 0 || (dryRun && run.changes.length > 0) ? 1 : 0;
}

function option(rest: string[], name: string): string | undefined {
  const found = rest.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? undefined : found.slice(name.length + 3);
}

/** The arguments each command accepts (flags, and options with a value). */
const ARGUMENTS: Record<string, { flags: string[]; options: string[] }> = {
  serve: { flags: [], options: [] },
  sync: { flags: ['--dry-run'], options: ['domain'] },
  status: { flags: [], options: ['domain'] },
  migrate: { flags: ['--dry-run'], options: [] },
  health: { flags: ['--json'], options: ['kind', 'domain'] },
  repair: { flags: ['--dry-run', '--json'], options: ['kinds', 'domain'] },
};

/** Takes `--env-file PATH` (or `--env-file=PATH`, once) out of the arguments. */
function envFileArgument(args: string[]): { file?: string; rest: string[]; problem?: string } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg !== '--env-file' && !arg.startsWith('--env-file=')) {
      rest.push(arg);
      continue;
    }
    if (file !== undefined) return { rest, problem: '--env-file is given twice' };
    file = arg === '--env-file' ? args[++i] : arg.slice('--env-file='.length);
    if (!file) return { rest, problem: '--env-file needs a path' };
  }
  return { file, rest };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...given] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return command ? 0 : 2;
  }
  const accepted = ARGUMENTS[command];
  const usage = (why?: string) => {
    process.stderr.write(`${why ? `${why}\n` : ''}${USAGE}\n`);
    return 2;
  };
  if (!accepted) return usage();
  const { file, rest, problem } = envFileArgument(given);
  if (problem !== undefined) return usage(problem);
  const wrong = rest.find((a) => !accepted.flags.includes(a) && !accepted.options.some((o) => a.startsWith(`--${o}=`)));
  if (wrong !== undefined) return usage(`Unknown argument for ${command}: ${wrong}`);
  const kind = option(rest, 'kind');
  if (kind !== undefined && !isFindingKind(kind)) return usage(`Unknown kind: ${kind}`);
  const kindsText = option(rest, 'kinds');
  const kinds = kindsText === undefined ? undefined : kindsText.split(',');
  const badKind = kinds?.find((k) => !isFindingKind(k));
  if (badKind !== undefined || kinds?.length === 0) return usage(`Unknown kind: ${badKind ?? ''}`);
  if (file !== undefined) {
    try {
      loadEnvFile(file);
    } catch (error) {
      process.stderr.write(`contact-bridge: ${(error as Error).message}\n`);
      return 2;
    }
  }
  if (command === 'serve') return serve();
  const config = loadConfig();
  // --domain=N: one of the CRM domains the configuration serves (CRM_DOMAIN_ID, CRM_DOMAIN_BY_BLOG); default CRM_DOMAIN_ID.
  const domainText = option(rest, 'domain');
  const domains = configuredDomains(config);
  const domainId = domainText === undefined ? config.crmDomainId : /^[1-9][0-9]{0,9}$/.test(domainText) ? Number(domainText) : NaN;
  if (!domains.includes(domainId)) return usage(`--domain=${domainText}: not a CRM domain this configuration serves (${domains.join(', ')})`);
  const pool = createPool({ url: config.mysqlUrl, connectionLimit: Math.min(config.mysqlPoolSize, 4) });
  try {
    if (command === 'migrate' && rest.includes('--dry-run')) {
      // Reads only: nothing is created, not even the bridge's own migrations table.
      const pending = await pendingMigrations(pool);
      out(pending.length > 0 ? `Would apply: ${pending.join(', ')}` : 'Nothing to apply.');
      return 0;
    }
    if (command === 'migrate') {
      const applied = await migrate(pool, createLogger('warn'));
      out(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Nothing to apply.');
      return 0;
    }
    if (command === 'status') return await status(config, pool, domainId);
    if (command === 'health' || command === 'repair') {
      // Scripts rely on these codes: 0 clean, 1 findings, 2 anything else.
      try {
        return command === 'health'
          ? await health(config, pool, domainId, kind as FindingKind | undefined, rest.includes('--json'))
          : await repair(config, pool, domainId, rest.includes('--dry-run'), kinds as FindingKind[] | undefined, rest.includes('--json'));
      } catch (error) {
        process.stderr.write(`contact-bridge: ${error instanceof Error ? error.message : String(error)}\n`);
        return 2;
      }
    }
    return await sync(config, pool, domainId, rest.includes('--dry-run'));
  } finally {
    await pool.end();
  }
}

/**
 * Exits once everything written to stdout has been handed over: process.exit() alone drops what
 * is still queued for a pipe (`contact-bridge health --json | jq` would get a cut report).
 */
export function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => exitAfterOutput(code),
    (error: unknown) => {
      process.stderr.write(`contact-bridge: ${error instanceof Error ? error.message : String(error)}\n`);
      // health and repair: 2 for any error (a configuration error included); 1 means findings there.
      process.exit(['health', 'repair'].includes(process.argv[2] ?? '') ? 2 : 1);
    },
  );
}
