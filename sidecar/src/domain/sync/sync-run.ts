/**
 * A bulk run's record: what it is, how far it got, what it counted. The counters an outcome adds
 * to are a table, one row per action.
 */
import { AppError } from '../../lib/errors';
import type { Action } from '../model';

export const SYNC_COUNTERS = ['checked', 'already_linked', 'matched', 'created', 'updated', 'unlinked', 'skipped', 'conflicts', 'errors'] as const;
export type SyncCounter = (typeof SYNC_COUNTERS)[number];
export type SyncCounts = Record<SyncCounter, number>;

export type SyncStatus = 'running' | 'completed' | 'failed';
export type SyncTrigger = 'http' | 'cron' | 'cli' | 'resume' | 'test';

export interface SyncRun {
  id: number;
  domainId: number;
  status: SyncStatus;
  dryRun: boolean;
  trigger: string;
  owner: string | null;
  cursor: number;
  total: number;
  processed: number;
  counts: SyncCounts;
  /** Dry run: what would change (a bounded list). */
  changes: unknown[] | null;
  error: string | null;
  startedAt: Date;
  heartbeatAt: Date | null;
  finishedAt: Date | null;
}

export function zeroCounts(): SyncCounts {
  return Object.fromEntries(SYNC_COUNTERS.map((c) => [c, 0])) as SyncCounts;
}

/** The counters each outcome adds to (a user also adds to `checked`). */
const COUNTED: Record<Action | 'error', readonly SyncCounter[]> = {
  unchanged: ['already_linked'],
  updated: ['already_linked', 'updated'],
  matched: ['matched'],
  created: ['created'],
  unlinked: ['unlinked'],
  skipped: ['skipped'],
  conflict: ['conflicts'],
  error: ['errors'],
};

export interface CountedOutcome {
  isUser: boolean;
  action: Action | 'error';
}

export function countsOf(outcomes: readonly CountedOutcome[]): SyncCounts {
  const counts = zeroCounts();
  for (const o of outcomes) {
    if (o.isUser) counts.checked += 1;
    // A uf_id that is no user and had no link (a dry run's stale one) did nothing.
    if (!o.isUser && o.action === 'unchanged') continue;
    for (const c of COUNTED[o.action]) counts[c] += 1;
  }
  return counts;
}

export function addCounts(a: SyncCounts, b: SyncCounts): SyncCounts {
  return Object.fromEntries(SYNC_COUNTERS.map((c) => [c, a[c] + b[c]])) as SyncCounts;
}

/** A start refused because a run is in progress in the domain (HTTP 409 with its id). */
export class SyncAlreadyRunning extends AppError {
  constructor(readonly runningId: number | null, detail = '') {
    super('CONFLICT', `A sync run is already in progress${runningId === null ? '' : ` (run ${runningId})`}.${detail}`, 409);
  }
}

/** The run's cursor moved on under another owner: this process stops working on it. */
export class LeaseLost extends AppError {
  constructor() {
    super('CONFLICT', 'The sync lease was taken over by another process; this process stops.', 409);
  }
}
