/**
 * The composition root: config -> pool -> migrate -> HTTP + jobs. `start()` returns a handle
 * whose `stop()` stops the jobs, stops accepting, drains in-flight requests and ends the pool.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCrmSchema, crmSchemaDetails } from './check-crm-schema';
import { domainForBlog, type Config } from './config';
import { migrate } from './data-access/migrations';
import { createPool, type Pool } from './data-access/pool';
import { createRepositories, type Repositories } from './data-access/repositories';
import { domainExists } from './data-access/schema-checks';
import type { CrmSchemaReport } from './data-access/schema-inspection';
import { linkingRules, type EventSource } from './domain/outcome';
import { checkReadiness } from './domain/readiness';
import { readLinks } from './domain/read-links';
import { ReconcileBatcher } from './domain/reconcile-batcher';
import type { ReconcileDeps } from './domain/reconcile-user';
import { createApp } from './entry-points/http/app';
import { eventRoutes } from './entry-points/http/routes/event-routes';
import { healthRoutes } from './entry-points/http/routes/health-routes';
import { linkRoutes } from './entry-points/http/routes/link-routes';
import { syncRoutes } from './entry-points/http/routes/sync-routes';
import { createSyncRunner } from './entry-points/jobs/sync-runner';
import { startSyncSchedule } from './entry-points/jobs/sync-schedule';
import { AppError } from './lib/errors';
import { createLogger, type Logger } from './lib/logger';
import { createMetrics, type Metrics } from './lib/metrics';

export interface Sidecar {
  readonly port: number;
  readonly url: string;
  readonly pool: Pool;
  readonly repos: Repositories;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly reconcile: ReconcileDeps;
  /** The CRM tables as found at start. */
  readonly crmSchema: CrmSchemaReport;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Replace repositories (tests inject failures between two writes). */
  repos?: Repositories;
  /** What to do with an error of unknown kind; default: log it and exit(1) after stopping. */
  onFatal?: (error: unknown) => void;
}

const DRAIN_MS = 10_000;

export async function start(config: Config, options: StartOptions = {}): Promise<Sidecar> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const pool = createPool({ url: config.mysqlUrl, connectionLimit: config.mysqlPoolSize });
  const repos = options.repos ?? createRepositories(config);
  const metrics = createMetrics();
  let server: Server | undefined;
  try {
    const applied = await migrate(pool, logger);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    const crmSchema = await checkCrmSchema(pool, logger);
    if (!(await domainExists(pool, config.crmDomainId))) {
      throw new AppError('CONFIG_INVALID', `CRM_DOMAIN_ID=${config.crmDomainId}: no such civicrm_domain row.`);
    }
    for (const [blogId, domainId] of Object.entries(config.domainByBlog)) {
      if (!(await domainExists(pool, domainId))) {
        throw new AppError('CONFIG_INVALID', `CRM_DOMAIN_BY_BLOG maps blog ${blogId} to ${domainId}: no such civicrm_domain row.`);
      }
    }

    const reconcile: ReconcileDeps = { pool, repos, rules: linkingRules(config), logger };
    const fatal =
      options.onFatal ??
      ((error: unknown) => {
        logger.fatal({ err: error }, 'unexpected error; stopping so that a supervisor restarts the sidecar clean');
        void stop().finally(() => process.exit(1));
      });
    // Events take at most two connections at once (the rest of the pool stays for the sync, the
    // link reads and health checks); events arriving meanwhile are reconciled in batches. Two
    // gave the best throughput and latency of 1 to 8 under `npm run load` (docs/reliability.md).
    const batcher = new ReconcileBatcher({
      maxInFlight: Math.max(1, Math.min(2, config.mysqlPoolSize - 2)),
      maxBatch: 100,
      onBatch: (size) => metrics.eventBatchSize.observe(size),
    });
    const syncRunner = createSyncRunner({ ...reconcile, chunkSize: config.syncChunkSize, metrics }, logger);
    const app = createApp({
      secret: config.bridgeSecret,
      logger,
      metrics,
      onFatal: fatal,
      publicRoutes: [
        healthRoutes({
          readiness: () => checkReadiness(pool, config.crmDomainId),
          details: () => ({ crm_schema: crmSchemaDetails(crmSchema) }),
          metrics,
          poolInUse: () => poolInUse(pool),
        }),
      ],
      signedRoutes: [
        eventRoutes({
          reconcileUser: (id: number, source: EventSource, blogId?: number) => {
            const domainId = domainForBlog(config, blogId);
            const deps = domainId === reconcile.rules.domainId ? reconcile : { ...reconcile, rules: { ...reconcile.rules, domainId } };
            return batcher.reconcile(deps, id, source);
          },
          metrics,
        }),
        linkRoutes({ readLinks: (ids) => readLinks({ pool, repos }, config.crmDomainId, ids), domainId: config.crmDomainId }),
        syncRoutes({
          startSync: ({ dryRun }) => syncRunner.startInBackground({ dryRun, trigger: 'http' }),
          findRun: (id) => repos.syncRuns.findById(pool, config.crmDomainId, id),
          recentRuns: (limit) => repos.syncRuns.listRecent(pool, config.crmDomainId, limit),
          problems: (limit) => repos.userState.listProblems(pool, config.crmDomainId, limit),
        }),
      ],
    });

    server = app.listen(config.port, config.host);
    server.keepAliveTimeout = 5_000;
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    logger.info({ host: config.host, port }, 'contact-bridge sidecar listening');
    const schedule = startSyncSchedule({
      expression: config.syncCron,
      domainId: config.crmDomainId,
      pool,
      leases: repos.leases,
      runner: syncRunner,
      logger,
    });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        logger.info('stopping: no new requests, draining in-flight ones');
        schedule?.stop();
        const syncStopped = syncRunner.stop();
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server!.closeIdleConnections();
        const timer = setTimeout(() => server!.closeAllConnections(), DRAIN_MS);
        await closed;
        clearTimeout(timer);
        await syncStopped;
        await pool.end();
        logger.info('stopped');
      })();
      return stopping;
    };

    return { port, url: `http://${config.host}:${port}`, pool, repos, logger, metrics, reconcile, crmSchema, stop };
  } catch (error) {
    server?.close();
    await pool.end().catch(() => undefined);
    throw error;
  }
}

function poolInUse(pool: Pool): number {
  // mysql2 keeps these on the underlying callback pool; read defensively.
  const inner = (pool as unknown as { pool?: { _allConnections?: { length: number }; _freeConnections?: { length: number } } }).pool;
  const all = inner?._allConnections?.length ?? 0;
  const free = inner?._freeConnections?.length ?? 0;
  return Math.max(0, all - free);
}
