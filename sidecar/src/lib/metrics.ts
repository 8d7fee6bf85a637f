import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The sidecar's Prometheus metrics, one registry per running instance. */
export interface Metrics {
  registry: Registry;
  events: Counter<'event' | 'action'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  refused: Counter<'reason'>;
  queueLag: Histogram<string>;
  syncRuns: Counter<'status' | 'dry_run'>;
  syncUsers: Counter<'outcome'>;
  eventBatchSize: Histogram<string>;
  poolInUse: Gauge<string>;
  eventsWaiting: Gauge<string>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'contact_bridge_' });
  return {
    registry,
    events: new Counter({
      name: 'contact_bridge_events_total',
      help: 'Hook events reconciled, by WordPress event and outcome',
      labelNames: ['event', 'action'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'contact_bridge_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'contact_bridge_requests_refused_total',
      help: 'Requests refused, by error code',
      labelNames: ['reason'],
      registers: [registry],
    }),
    queueLag: new Histogram({
      name: 'contact_bridge_shim_queue_lag_seconds',
      help: 'Age of events the WordPress plugin delivered from its queue (X-Bridge-Queued-At)',
      buckets: [1, 5, 15, 60, 300, 900, 3600, 21600, 86400],
      registers: [registry],
    }),
    syncRuns: new Counter({
      name: 'contact_bridge_sync_runs_total',
      help: 'Bulk sync runs finished, by status',
      labelNames: ['status', 'dry_run'],
      registers: [registry],
    }),
    syncUsers: new Counter({
      name: 'contact_bridge_sync_users_total',
      help: 'Users handled by bulk sync runs, by outcome counter',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    eventBatchSize: new Histogram({
      name: 'contact_bridge_event_batch_size',
      help: 'Events reconciled per transaction (1 unless events arrive faster than transactions end)',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers: [registry],
    }),
    eventsWaiting: new Gauge({
      name: 'contact_bridge_events_waiting',
      help: 'Hook events waiting for a reconcile transaction (at most EVENT_QUEUE_LIMIT)',
      registers: [registry],
    }),
    poolInUse: new Gauge({
      name: 'contact_bridge_db_pool_connections_in_use',
      help: 'Database pool connections checked out',
      registers: [registry],
    }),
  };
}
