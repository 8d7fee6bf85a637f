#!/usr/bin/env node
/**
 * contact-bridge CLI, configured by the same environment as the sidecar (MYSQL_URL, …):
 *   contact-bridge sync [--dry-run]   run (or resume) the bulk sync here; a progress bar on a
 *                                     terminal, the summary at the end
 *   contact-bridge status             the recent sync runs
 *   contact-bridge migrate            apply pending migrations
 * Exit codes: 0 done, 1 failed, 2 usage, 3 a run is already in progress elsewhere.
 */
import { checkCrmSchema } from '../../check-crm-schema';
import { loadConfig, type Config } from '../../config';
import { migrate } from '../../data-access/migrations';
import { createPool, type Pool } from '../../data-access/pool';
import { createRepositories } from '../../data-access/repositories';
import { conventionsFrom } from '../../domain/conventions';
import { linkingRules } from '../../domain/model';
import { detailLines, summaryLines } from '../../domain/summary-text';
import { syncAllUsers, type SyncProgress } from '../../domain/sync/sync-all-users';
import { SyncAlreadyRunning } from '../../domain/sync/sync-run';
import { listConflicts, recentSyncRuns, type RunView } from '../../domain/sync/sync-status';
import { createLogger } from '../../lib/logger';
import { databaseOf } from '../../lib/transaction';

const USAGE = `Usage: contact-bridge <command>
  sync [--dry-run]   synchronize every WordPress user with the CRM (resumes an interrupted run)
  status             show the recent sync runs
  migrate            apply pending database migrations
Configuration comes from the environment, as for the sidecar (MYSQL_URL, WP_TABLE_PREFIX, SYNC_CHUNK_SIZE, …).`;

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function progressBar(p: SyncProgress): string {
  const width = 30;
  const ratio = p.total > 0 ? Math.min(1, p.processed / p.total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.processed}/${p.total} users (${Math.round(ratio * 100)}%)`;
}

function describeRun(run: RunView): string {
  const when = run.startedAt.toISOString();
  return `#${run.id} ${run.status}${run.dryRun ? ' (dry run)' : ''} started ${when}: ${run.processed}/${run.total} users` +
    (run.error ? ` — ${run.error}` : '');
}

async function sync(config: Config, pool: Pool, dryRun: boolean): Promise<number> {
  // Logs go to stderr as JSON (LOG_LEVEL, default warn here) so stdout stays for people.
  const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn');
  const repos = createRepositories(config);
  await migrate(pool, logger);
  await checkCrmSchema(pool, logger);
  const tty = process.stdout.isTTY === true;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const db = databaseOf(pool);
    const run = await syncAllUsers(
      {
        db,
        store: repos.engine,
        rules: linkingRules(config),
        conventions: conventionsFrom((runner) => repos.engine.loadConventions(runner), db),
        logger,
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

async function status(config: Config, pool: Pool): Promise<number> {
  const repos = createRepositories(config);
  const db = databaseOf(pool);
  const runs = await recentSyncRuns({ db, runs: repos.runs, leases: repos.leases }, config.crmDomainId, 10);
  if (runs.length === 0) out('No sync runs yet.');
  for (const run of runs) {
    out(describeRun(run));
    if (run.status === 'completed') for (const line of summaryLines(run.counts, run.dryRun)) out(`    ${line}`);
  }
  const problems = await listConflicts({ db, problems: repos.problems }, config.crmDomainId, 20);
  if (problems.length > 0) {
    out(`Users skipped or in conflict (latest ${problems.length}):`);
    for (const p of problems) out(`  user ${p.ufId}: ${p.action} — ${p.reason ?? ''}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return command ? 0 : 2;
  }
  const unknown = rest.filter((a) => a !== '--dry-run');
  if (!['sync', 'status', 'migrate'].includes(command) || unknown.length > 0 || (command !== 'sync' && rest.length > 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const pool = createPool({ url: config.mysqlUrl, connectionLimit: Math.min(config.mysqlPoolSize, 4) });
  try {
    if (command === 'migrate') {
      const applied = await migrate(pool, createLogger('warn'));
      out(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Nothing to apply.');
      return 0;
    }
    if (command === 'status') return await status(config, pool);
    return await sync(config, pool, rest.includes('--dry-run'));
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`contact-bridge: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
