/**
 * One chunk of the bulk sync: a page of users read, planned and written in one transaction,
 * committed together with the run's cursor and counters.
 */
import type { Logger } from '../../lib/logger';
import type { Runner } from '../../lib/transaction';
import type { CrmConventions } from '../model';
import { emptyCarry, existingId, type CarriedChanges } from '../engine/link-book';
import { plan, type Plan } from '../engine/plan';
import { auditRows, resolveOutcomes, stateRecords } from '../engine/records';
import type { Snapshot } from '../engine/snapshot';
import type { RangeLock, UsersPage } from '../ports';
import type { SyncDeps } from './sync-deps';
import { addCounts, countsOf, LeaseLost, type CountedOutcome, type SyncRun } from './sync-run';

/** Most would-be changes a dry run keeps in its run record. */
const MAX_LISTED_CHANGES = 1000;

export interface RunContext {
  deps: SyncDeps;
  run: SyncRun;
  owner: string;
  log: Logger;
  conventions: CrmConventions;
  /** A dry run's would-be changes, carried from chunk to chunk (nothing is written between them). */
  carry: CarriedChanges;
  changes: unknown[];
  /**
   * Whether chunks claim the state rows of users that have none before planning them. Off at
   * first (the rows are inserted with the plan, one write per new user); on once a reconcile
   * created such a row under a chunk (its insert collided), so that hooks arriving for
   * never-synced users do not send chunk after chunk to the plain path.
   */
  claimAll: boolean;
}

/** What a chunk reports of each uf_id (a resolved outcome, or an error of the user-by-user path). */
export interface ChunkOutcome extends CountedOutcome {
  ufId: number;
  contactId: number | null;
  reason: string | null;
}

/** A chunk read and planned inside its transaction, ready to be written. */
export interface PreparedChunk {
  page: UsersPage;
  snapshot: Snapshot;
  plan: Plan;
  /** What this plan changed that the next chunk's reads will not see until it commits. */
  carried: CarriedChanges;
}

/**
 * Locks the page's users, reads what the rules need (see EngineStore.readRange) and plans, on top
 * of `from`. `lock`: 'existing' on the fast path (a user without a state row gets its first row
 * with the plan, and a hook that made one meanwhile sends the chunk to the plain path), 'all' on
 * the plain path (every row claimed first: nothing can slip in).
 */
export async function prepareChunk(ctx: RunContext, tx: Runner, page: UsersPage, from: CarriedChanges, lock: Exclude<RangeLock, 'none'>): Promise<PreparedChunk> {
  const { store, rules } = ctx.deps;
  const snapshot = await store.readRange(tx, rules, page, lock);
  const carried = emptyCarry();
  return { page, snapshot, plan: plan(snapshot, { rules, conventions: ctx.conventions }, { from, into: carried }), carried };
}

function nextCursor(page: UsersPage): number {
  if (page.upper !== null) return page.upper;
  return page.users.length > 0 ? Math.max(page.after, page.users[page.users.length - 1].id) : page.after;
}

/** The run after this chunk's counts (in memory; the database has it once the chunk commits). */
function advanced(run: SyncRun, page: UsersPage, outcomes: readonly ChunkOutcome[]): SyncRun {
  const delta = countsOf(outcomes);
  const final = page.upper === null;
  return {
    ...run,
    cursor: nextCursor(page),
    processed: run.processed + delta.checked,
    counts: addCounts(run.counts, delta),
    status: final ? 'completed' : 'running',
    finishedAt: final ? new Date() : null,
  };
}

/**
 * Writes a prepared chunk's plan, its users' state and audit rows and the run's progress (fenced
 * on owner and cursor: LeaseLost when another process took the run over). The caller commits.
 */
export async function writeChunk(ctx: RunContext, tx: Runner, prepared: PreparedChunk): Promise<{ run: SyncRun; outcomes: ChunkOutcome[] }> {
  const { store } = ctx.deps;
  const { run } = ctx;
  const created = await store.insertContacts(tx, prepared.plan);
  const resolved = resolveOutcomes(prepared.plan, created);
  const writes = store.planStatements(prepared.plan, created, stateRecords(resolved, prepared.snapshot.states), auditRows(resolved, () => 'sync', run.id));
  return { run: await commitProgress(ctx, tx, prepared.page, resolved, writes), outcomes: resolved };
}

/** Sends `writes` with the run's progress; the run as it will be once committed. */
export async function commitProgress(ctx: RunContext, db: Runner, page: UsersPage, outcomes: readonly ChunkOutcome[], writes: Parameters<Runner['run']>[0] = []): Promise<SyncRun> {
  const { run, owner } = ctx;
  const next = advanced(run, page, outcomes);
  const advance = ctx.deps.runs.advance(run.id, owner, run.cursor, next.cursor, countsOf(outcomes), {
    complete: next.status === 'completed',
    changes: run.dryRun ? ctx.changes : undefined,
  });
  const results = await db.run([...writes, advance.statement]);
  if (!advance.parse(results[results.length - 1])) throw new LeaseLost();
  return next;
}

/** Dry run: the same reads and plan, nothing locked, nothing written but the run record. */
export async function planOnly(ctx: RunContext, db: Runner, page: UsersPage): Promise<SyncRun> {
  const { store, rules } = ctx.deps;
  const snapshot = await store.readRange(db, rules, page, 'none');
  const decided = plan(snapshot, { rules, conventions: ctx.conventions }, { from: ctx.carry, into: ctx.carry });
  const outcomes: ChunkOutcome[] = decided.outcomes.map((o) => ({ ufId: o.ufId, isUser: o.isUser, action: o.action, contactId: existingId(o.contact), reason: o.reason }));
  for (const o of outcomes) {
    if (o.action === 'unchanged' || ctx.changes.length >= MAX_LISTED_CHANGES) continue;
    ctx.changes.push({ user_id: o.ufId, action: o.action, contact_id: o.contactId, reason: o.reason });
  }
  return commitProgress(ctx, db, page, outcomes);
}
