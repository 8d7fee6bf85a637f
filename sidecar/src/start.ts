/**
 * The composition root: config -> pool -> migrate -> HTTP + jobs. `start()` returns a handle
 * whose `stop()` stops the jobs, stops accepting, drains in-flight requests and ends the pool,
 * each step within a bound.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCrmSchema, crmSchemaDetails } from './check-crm-schema';
import { configuredDomains, type Config } from './config';
import { migrate, pendingMigrations } from './data-access/migrations';
import { createPool, nodeInUse } from './data-access/pool';
import { createRepositories, type Repositories } from './data-access/repositories';
import { domainExists } from './data-access/schema-checks';
import type { CrmSchemaReport } from './data-access/schema-inspection';
import { conventionsFrom } from './domain/conventions';
import { linkingRules, type EventSource } from './domain/model';
import { checkLinkHealth, userHealth, usersHealth, type HealthDeps } from './domain/health/check-link-health';
import { pendingEmailChanges } from './domain/health/email-changes';
import { repairLinks, repairStatus, type RepairDeps } from './domain/health/repair-links';
import { checkReadiness } from './domain/readiness';
import { healthDeps, repairDeps } from './health-wiring';
import { erasePersonalData } from './domain/privacy/erase-personal-data';
import { exportPersonalData } from './domain/privacy/export-personal-data';
import { readLinks } from './domain/read-links';
import { ReconcileBatcher } from './domain/reconcile-batcher';
import type { EngineDeps } from './domain/reconcile-users';
import type { SyncDeps } from './domain/sync/sync-deps';
import { DEFAULT_LEASE_SECONDS } from './domain/sync/sync-lease';
import { listConflicts, recentSyncRuns, syncRunStatus } from './domain/sync/sync-status';
import { createApp } from './entry-points/http/app';
import { createHttpServer } from './entry-points/http/http-server';
import { domainResolver } from './entry-points/http/request-domain';
import { eventRoutes } from './entry-points/http/routes/event-routes';
import { healthRoutes } from './entry-points/http/routes/health-routes';
import { linkHealthRoutes } from './entry-points/http/routes/link-health-routes';
import { linkRoutes } from './entry-points/http/routes/link-routes';
import { personalDataRoutes } from './entry-points/http/routes/personal-data-routes';
import { syncRoutes } from './entry-points/http/routes/sync-routes';
import { startAuditRetention } from './entry-points/jobs/audit-retention';
import { backgroundRuns } from './entry-points/jobs/background-runs';
import { startResumeWatcher } from './entry-points/jobs/resume-watcher';
import { createSyncRunner, type SyncRunner } from './entry-points/jobs/sync-runner';
import { startSyncSchedule } from './entry-points/jobs/sync-schedule';
import { AppError } from './lib/errors';
import { createLogger, type Logger } from './lib/logger';
import { createMetrics, type Metrics } from './lib/metrics';
import { databaseOf, type Database } from './lib/transaction';

export interface Sidecar {
  readonly port: number;
  readonly url: string;
  readonly db: Database;
  readonly repos: Repositories;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The engine's dependencies for a CRM domain (the configured one by default). */
  engine(domainId?: number): EngineDeps;
  /** The CRM tables as found at start. */
  readonly crmSchema: CrmSchemaReport;
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
  /** Lease time of bulk runs (tests lengthen or shorten how soon an interrupted run is resumed). */
  syncLeaseSeconds?: number;
}

/** In-flight requests get this long to finish after stop(); then their connections are closed. */
const DRAIN_MS = 5_000;
/** The sync run and the pool get this long each; stop() never waits longer. */
const STEP_MS = 3_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export async function start(config: Config, options: StartOptions = {}): Promise<Sidecar> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const pool = createPool({
    url: config.mysqlUrl,
    connectionLimit: config.mysqlPoolSize,
    onNodeChange: (change) => logger.warn(change, 'database node unusable; the pool moves to the next one'),
  });
  const db = databaseOf(pool);
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
    const conventions = conventionsFrom((runner) => repos.engine.loadConventions(runner), db);
    await conventions.get();

    // Every CRM domain gets the same rules but its own domain id, its own sync runner and schedule.
    const domains = configuredDomains(config);
    const engines = new Map<number, EngineDeps>(
      domains.map((domainId) => [domainId, { db, store: repos.engine, rules: linkingRules(config, domainId), conventions, logger }]),
    );
    const engine = (domainId = config.crmDomainId): EngineDeps => engines.get(domainId)!;
    const leaseSeconds = options.syncLeaseSeconds ?? DEFAULT_LEASE_SECONDS;
    const runners = new Map<number, SyncRunner>(
      domains.map((domainId) => {
        const deps: SyncDeps = { ...engine(domainId), runs: repos.runs, leases: repos.leases, chunkSize: config.syncChunkSize, metrics, leaseSeconds };
        return [domainId, createSyncRunner(deps, logger)];
      }),
    );
    const runnerFor = (domainId: number): SyncRunner => runners.get(domainId)!;
    const healthOf = (domainId: number): HealthDeps => healthDeps(config, db, repos, domainId);
    const repairOf = (domainId: number): RepairDeps => repairDeps(config, repos, engine(domainId), leaseSeconds);
    const repairRuns = backgroundRuns(logger);
    const status = { db, runs: repos.runs, leases: repos.leases };
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
    const links = (domainId: number, ids: number[]) => readLinks({ db, store: repos.engine }, domainId, ids);
    const app = createApp({
      secret: config.bridgeSecret,
      logger,
      metrics,
      onUnexpected: options.onUnexpected,
      publicRoutes: [
        healthRoutes({
          readiness: () => checkReadiness({ pendingMigrations: () => pendingMigrations(pool), domainExists: (id) => domainExists(pool, id) }, domains),
          details: () => ({ crm_schema: crmSchemaDetails(crmSchema), database: nodeInUse(pool) }),
          metrics,
          poolInUse: () => db.inUse(),
          eventsWaiting: () => batcher.waiting,
          logger,
        }),
      ],
      signedRoutes: [
        eventRoutes({
          resolveDomain,
          reconcileUser: (domainId, userId, source: EventSource) => batcher.reconcile(engine(domainId), userId, source),
          linkedDomains: async (userId) => {
            const linked: number[] = [];
            for (const domainId of domains) if ((await links(domainId, [userId])).length > 0) linked.push(domainId);
            return linked;
          },
          metrics,
        }),
        linkRoutes({
          resolveDomain,
          readLinks: links,
          linkStates: async (domainId, ids) => new Map((await usersHealth(healthOf(domainId), ids)).map((h) => [h.userId, h.state])),
        }),
        linkHealthRoutes({
          resolveDomain,
          check: (domainId, query) => checkLinkHealth(healthOf(domainId), query),
          userHealth: (domainId, userId) => userHealth(healthOf(domainId), userId),
          startRepair: ({ domainId, dryRun, kinds }) =>
            repairRuns.start(({ signal, onStarted }) => repairLinks(repairOf(domainId), { dryRun, kinds, signal, onStarted }), 'link repair'),
          findRepair: (domainId, id) => repairStatus({ db, repairs: repos.repairs, leases: repos.leases }, domainId, id),
          emailDirection: config.emailDirection,
          changes: (domainId, query) => pendingEmailChanges(healthOf(domainId), query),
        }),
        syncRoutes({
          resolveDomain,
          startSync: ({ domainId, dryRun }) => runnerFor(domainId).startInBackground({ dryRun, trigger: 'http' }),
          findRun: (domainId, id) => syncRunStatus(status, domainId, id),
          recentRuns: (domainId, limit) => recentSyncRuns(status, domainId, limit),
          problems: (domainId, limit) => listConflicts({ db, problems: repos.problems }, domainId, limit),
        }),
        personalDataRoutes({
          exportData: (request, page) => exportPersonalData({ db, store: repos.personalData }, request, page),
          eraseData: (request) => erasePersonalData({ db, store: repos.personalData }, request),
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
      startSyncSchedule({ expression: config.syncCron, domainId, db, leases: repos.leases, runner: runnerFor(domainId), logger }),
    );
    const retention = startAuditRetention({ expression: config.syncCron, db, audit: repos.audit, days: config.auditRetentionDays, logger });
    const watcher = startResumeWatcher({ ...status, domainIds: domains, runnerFor, logger, everyMs: (leaseSeconds * 1000) / 3 });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        logger.info('stopping: no new requests, draining in-flight ones');
        for (const schedule of schedules) schedule?.stop();
        retention?.stop();
        watcher.stop();
        const syncStopped = Promise.all([...[...runners.values()].map((r) => r.stop()), repairRuns.stop()]);
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server!.closeIdleConnections();
        const timer = setTimeout(() => server!.closeAllConnections(), DRAIN_MS);
        await within(closed, DRAIN_MS + STEP_MS);
        clearTimeout(timer);
        server!.closeAllConnections();
        if ((await within(syncStopped.then(() => true), STEP_MS)) !== true) logger.warn('the sync run did not stop in time; it is resumed later');
        if ((await within(db.end().then(() => true, () => true), STEP_MS)) !== true) logger.warn('the database pool did not close in time');
        logger.info('stopped');
      })();
      return stopping;
    };

    return { port, url: `http://${config.host}:${port}`, db, repos, logger, metrics, engine, crmSchema, stop };
  } catch (error) {
    server?.close();
    await within(pool.end().catch(() => undefined), STEP_MS);
    throw error;
  }
}
