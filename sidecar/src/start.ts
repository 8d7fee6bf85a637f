/**
 * The composition root: config -> pool -> migrate -> HTTP + jobs. `start()` returns a handle
 * whose `stop()` stops the jobs, stops accepting, drains in-flight requests and ends the pool.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configuredDomains, type Config } from './config';
import { migrate } from './data-access/migrations';
import { createPool, type Pool } from './data-access/pool';
import { createRepositories, type Repositories } from './data-access/repositories';
import { domainExists, ensureUfIdUnique } from './data-access/schema-checks';
import { linkingRules, type EventSource } from './domain/outcome';
import { checkReadiness } from './domain/readiness';
import { readLinks } from './domain/read-links';
import { ReconcileBatcher } from './domain/reconcile-batcher';
import type { ReconcileDeps } from './domain/reconcile-user';
import { createApp } from './entry-points/http/app';
import { createHttpServer } from './entry-points/http/http-server';
import { domainResolver } from './entry-points/http/request-domain';
import { eventRoutes } from './entry-points/http/routes/event-routes';
import { healthRoutes } from './entry-points/http/routes/health-routes';
import { linkRoutes } from './entry-points/http/routes/link-routes';
import { syncRoutes } from './entry-points/http/routes/sync-routes';
import { startAuditRetention } from './entry-points/jobs/audit-retention';
import { createSyncRunner, type SyncRunner } from './entry-points/jobs/sync-runner';
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
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Replace repositories (tests inject failures between two writes). */
  repos?: Repositories;
  /**
   * Told of every error of unknown kind that ended a request (it was answered 500 and logged;
   * the process goes on). Tests use it to check that none happened.
   */
  onUnexpected?: (error: unknown) => void;
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
    const uniqueness = await ensureUfIdUnique(pool);
    if (!uniqueness.unique) {
      logger.warn(
        { duplicates: uniqueness.duplicates },
        'civicrm_uf_match has users with several links in one domain; UNIQUE (uf_id, domain_id) not added. ' +
          'The bridge keeps the oldest link of each such user; resolve the duplicates to get the unique key.',
      );
    }
    if (!(await domainExists(pool, config.crmDomainId))) {
      throw new AppError('CONFIG_INVALID', `CRM_DOMAIN_ID=${config.crmDomainId}: no such civicrm_domain row.`);
    }
    for (const [blogId, domainId] of Object.entries(config.domainByBlog)) {
      if (!(await domainExists(pool, domainId))) {
        throw new AppError('CONFIG_INVALID', `CRM_DOMAIN_BY_BLOG maps blog ${blogId} to ${domainId}: no such civicrm_domain row.`);
      }
    }

    const reconcile: ReconcileDeps = { pool, repos, rules: linkingRules(config), logger };
    const domains = configuredDomains(config);
    // Every CRM domain gets the same rules but its own domain id, its own sync runner and schedule.
    const reconcileIn = (domainId: number): ReconcileDeps =>
      domainId === reconcile.rules.domainId ? reconcile : { ...reconcile, rules: { ...reconcile.rules, domainId } };
    const runners = new Map<number, SyncRunner>(
      domains.map((domainId) => [domainId, createSyncRunner({ ...reconcileIn(domainId), chunkSize: config.syncChunkSize, metrics }, logger)]),
    );
    const runnerOf = (domainId: number): SyncRunner => runners.get(domainId)!;
    // Events take at most two connections at once (the rest of the pool stays for the sync, the
    // link reads and health checks); events arriving meanwhile are reconciled in batches. Two
    // gave the best throughput and latency of 1 to 8 under `npm run load` (docs/reliability.md).
    const batcher = new ReconcileBatcher({
      maxInFlight: Math.max(1, Math.min(2, config.mysqlPoolSize - 2)),
      maxBatch: 100,
      maxWaiting: config.eventQueueLimit,
      onBatch: (size) => metrics.eventBatchSize.observe(size),
    });
    const resolveDomain = domainResolver(config);
    const links = (domainId: number, ids: number[]) => readLinks({ pool, repos }, domainId, ids);
    const app = createApp({
      secret: config.bridgeSecret,
      logger,
      metrics,
      onUnexpected: options.onUnexpected,
      publicRoutes: [
        healthRoutes({
          readiness: () => checkReadiness(pool, domains),
          metrics,
          poolInUse: () => poolInUse(pool),
          eventsWaiting: () => batcher.waiting,
          logger,
        }),
      ],
      signedRoutes: [
        eventRoutes({
          resolveDomain,
          reconcileUser: (domainId, userId, source: EventSource) => batcher.reconcile(reconcileIn(domainId), userId, source),
          linkedDomains: async (userId) => {
            const linked: number[] = [];
            for (const domainId of domains) if ((await links(domainId, [userId])).length > 0) linked.push(domainId);
            return linked;
          },
          metrics,
        }),
        linkRoutes({ resolveDomain, readLinks: links }),
        syncRoutes({
          resolveDomain,
          startSync: ({ domainId, dryRun }) => runnerOf(domainId).startInBackground({ dryRun, trigger: 'http' }),
          findRun: (domainId, id) => repos.syncRuns.findById(pool, domainId, id),
          recentRuns: (domainId, limit) => repos.syncRuns.listRecent(pool, domainId, limit),
          problems: (domainId, limit) => repos.userState.listProblems(pool, domainId, limit),
        }),
      ],
    });

    server = createHttpServer(
      app,
      {
        headersTimeoutMs: config.httpHeadersTimeoutMs,
        requestTimeoutMs: config.httpRequestTimeoutMs,
        keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
        maxConnections: config.httpMaxConnections,
      },
      logger,
      metrics,
    );
    server.listen(config.port, config.host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    logger.info({ host: config.host, port, domains }, 'contact-bridge sidecar listening');
    // The scheduled pass runs for every configured domain (each with its own lease).
    const schedules = domains.map((domainId) =>
      startSyncSchedule({
        expression: config.syncCron,
        domainId,
        pool,
        leases: repos.leases,
        runner: runnerOf(domainId),
        logger,
      }),
    );
    const retention = startAuditRetention({
      expression: config.syncCron,
      pool,
      audit: repos.audit,
      days: config.auditRetentionDays,
      logger,
    });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        logger.info('stopping: no new requests, draining in-flight ones');
        for (const schedule of schedules) schedule?.stop();
        retention?.stop();
        const syncStopped = Promise.all([...runners.values()].map((runner) => runner.stop()));
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

    return { port, url: `http://${config.host}:${port}`, pool, repos, logger, metrics, reconcile, stop };
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
