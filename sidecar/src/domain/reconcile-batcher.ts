/**
 * ReconcileBatcher: how the hook route reconciles users. Each event is reconciled at once
 * while fewer than `maxInFlight` transactions are running; events that arrive while all are
 * busy wait, and the next free slot takes every waiting event (one per user, up to `maxBatch`)
 * in one reconcileUsers transaction (the same engine, for several users). A quiet site sees no change; a busy one
 * trades a wait of one transaction for a handful of statements per batch instead of per event.
 *
 * A batch that fails as a whole (a row the database refuses, retries exhausted) is redone event
 * by event through reconcileUser, so every event gets its own answer; a database outage fails
 * the batch's events at once (503), as it fails a single event.
 */
import { AppError, isOutage } from '../lib/errors';
import type { EventSource, Outcome } from './model';
import { reconcileUser, reconcileUsers, type EngineDeps } from './reconcile-users';

interface Waiting {
  userId: number;
  source: EventSource;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

interface Lane {
  deps: EngineDeps;
  waiting: Waiting[];
  inFlight: number;
}

export interface BatcherOptions {
  /** Transactions running at once per CRM domain. */
  maxInFlight: number;
  /** Most events in one batch. */
  maxBatch: number;
  /** Most events waiting, all domains together; one more is refused (503 SERVICE_BUSY) rather than kept. */
  maxWaiting?: number;
  /** Told the size of every transaction's batch (a metric). */
  onBatch?(size: number): void;
}

export class ReconcileBatcher {
  private readonly lanes = new Map<number, Lane>();

  constructor(private readonly options: BatcherOptions) {}

  private waitingCount = 0;

  /** Events waiting for a transaction, all domains together. */
  get waiting(): number {
    return this.waitingCount;
  }

  reconcile(deps: EngineDeps, userId: number, source: EventSource): Promise<Outcome> {
    if (this.waitingCount >= (this.options.maxWaiting ?? Infinity)) {
      return Promise.reject(new AppError('SERVICE_BUSY', 'Too many events are waiting to be reconciled; try again shortly.', 503));
    }
    const domainId = deps.rules.domainId;
    let lane = this.lanes.get(domainId);
    if (!lane) {
      lane = { deps, waiting: [], inFlight: 0 };
      this.lanes.set(domainId, lane);
    }
    const promise = new Promise<Outcome>((resolve, reject) => lane.waiting.push({ userId, source, resolve, reject }));
    this.waitingCount++;
    this.pump(lane);
    return promise;
  }

  private pump(lane: Lane): void {
    while (lane.inFlight < this.options.maxInFlight && lane.waiting.length > 0) {
      const batch = this.take(lane);
      lane.inFlight++;
      void this.run(lane.deps, batch).finally(() => {
        lane.inFlight--;
        this.pump(lane);
      });
    }
  }

  /** The waiting events, oldest first, one per user (a later event for a user waits for the next batch). */
  private take(lane: Lane): Waiting[] {
    const batch: Waiting[] = [];
    const users = new Set<number>();
    const rest: Waiting[] = [];
    for (const w of lane.waiting) {
      if (batch.length < this.options.maxBatch && !users.has(w.userId)) {
        users.add(w.userId);
        batch.push(w);
      } else {
        rest.push(w);
      }
    }
    lane.waiting = rest;
    this.waitingCount -= batch.length;
    return batch;
  }

  private async run(deps: EngineDeps, batch: Waiting[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    if (batch.length === 1) {
      const [one] = batch;
      await reconcileUser(deps, one.userId, one.source).then(one.resolve, one.reject);
      return;
    }
    try {
      const outcomes = await reconcileUsers(deps, batch);
      batch.forEach((w, i) => w.resolve(outcomes[i]));
    } catch (error) {
      if (isOutage(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      deps.logger.warn({ err: error, events: batch.length }, 'batch of events failed as a whole; reconciling them one by one');
      for (const w of batch) await reconcileUser(deps, w.userId, w.source).then(w.resolve, w.reject);
    }
  }
}
