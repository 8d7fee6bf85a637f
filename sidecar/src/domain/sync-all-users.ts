/**
 * syncAllUsers({dryRun}): "Synchronize Users to Contacts" — reconcile every WordPress user, in
 * id order, with the same result as calling reconcileUser for each of them one after the other.
 *
 * The story:
 *  1. Take the domain's sync lease (one run per domain; a second start gets SyncAlreadyRunning
 *     with the running id). A run left `running` by a dead process is resumed, not duplicated.
 *  2. Walk the users in chunks (keyset on ID). Per chunk, in one transaction: claim the chunk's
 *     contact_bridge_user_state rows (the rows every hook's transaction takes first, so a hook
 *     for one of these users waits for the chunk or the chunk for it), read what the rules need
 *     with a handful of set-based statements, plan in TypeScript (plan-chunk.ts), write the plan
 *     with a handful of set-based statements, and move the run's cursor and counters — all
 *     committed together, so a crash resumes after the last committed chunk.
 *  3. A chunk that fails (a user whose data the database refuses) is redone user by user through
 *     reconcileUser; a user that still fails is counted in `errors` with its reason.
 *  4. A dry run reads and plans the same way, writes nothing but the run record.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { PoolConnection } from 'mysql2/promise';
import type { OutcomeRecord } from '../data-access/user-state';
import type { Db } from '../data-access/pool';
import { SYNC_COUNTERS, zeroCounts, type SyncCounts, type SyncRun } from '../data-access/sync-runs';
import type { WpUser } from '../data-access/wp-users';
import { AppError, isDatabaseUnavailable, publicReason } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { withTransaction } from '../lib/transaction';
import type { Action } from './outcome';
import {
  emptyCarry,
  planChunk,
  type CarriedChanges,
  type ChunkPlan,
  type ChunkSnapshot,
  type PlannedOutcome,
} from './plan-chunk';
import { keepsRecordedState } from './linking-rules';
import { contactIdOf, readSnapshot, writePlan } from './plan-io';
import { reconcileUser, type ReconcileDeps } from './reconcile-user';

export type SyncTrigger = 'http' | 'cron' | 'cli' | 'test';

export interface SyncDeps extends ReconcileDeps {
  chunkSize: number;
  metrics?: Metrics;
  /** Lease time; renewed while the run works. */
  leaseSeconds?: number;
}

export interface SyncProgress {
  runId: number;
  dryRun: boolean;
  processed: number;
  total: number;
  counts: SyncCounts;
}

export interface SyncOptions {
  dryRun: boolean;
  trigger: SyncTrigger;
  /** Called once the run is recorded (the HTTP door answers 202 with its id). */
  onStarted?(runId: number): void;
  /** Called after each committed chunk. */
  onProgress?(progress: SyncProgress): void;
  /** Stops after the current chunk; the run stays `running` and the next start resumes it. */
  signal?: AbortSignal;
}

/** A start refused because the domain's run is in progress (HTTP 409 with its id). */
export class SyncAlreadyRunning extends AppError {
  constructor(readonly runningId: number | null) {
    super('CONFLICT', `A sync run is already in progress${runningId === null ? '' : ` (run ${runningId})`}.`, 409);
  }
}

const DEFAULT_LEASE_SECONDS = 60;
/** Most would-be changes a dry run keeps in its run record. */
const MAX_LISTED_CHANGES = 1000;

export function syncLeaseName(domainId: number): string {
  return `sync:domain:${domainId}`;
}

/** host#pid#uuid: lets a process of the same host see that a lease's owner has died. */
export function newOwner(): string {
  return `${os.hostname()}#${process.pid}#${randomUUID()}`;
}

function ownerIsDeadHere(owner: string): boolean {
  const [host, pid] = owner.split('#');
  if (host !== os.hostname() || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

class LeaseLost extends AppError {
  constructor() {
    super('CONFLICT', 'The sync lease was taken over by another process; this process stops.', 409);
  }
}

interface RunContext {
  deps: SyncDeps;
  run: SyncRun;
  owner: string;
  log: Logger;
  carry: CarriedChanges;
  changes: unknown[];
}

export async function syncAllUsers(deps: SyncDeps, options: SyncOptions): Promise<SyncRun> {
  const { pool, repos, rules } = deps;
  const leaseName = syncLeaseName(rules.domainId);
  const leaseSeconds = deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const owner = newOwner();

  if (!(await repos.leases.acquire(pool, leaseName, owner, leaseSeconds))) {
    const holder = await repos.leases.holder(pool, leaseName);
    const tookOver =
      holder !== null && ownerIsDeadHere(holder.owner) && (await repos.leases.takeOver(pool, leaseName, holder.owner, owner, leaseSeconds));
    if (!tookOver) throw new SyncAlreadyRunning(await runningId(deps));
  }

  let run: SyncRun;
  let renew: NodeJS.Timeout | undefined;
  try {
    run = await openRun(deps, owner, options);
  } catch (error) {
    await repos.leases.release(pool, leaseName, owner).catch(() => undefined);
    throw error;
  }
  const log = deps.logger.child({ syncRunId: run.id });
  log.info({ dryRun: run.dryRun, trigger: options.trigger, resumedAt: run.cursor || undefined }, 'sync run started');
  options.onStarted?.(run.id);

  let leaseLost = false;
  renew = setInterval(() => {
    repos.leases
      .acquire(pool, leaseName, owner, leaseSeconds)
      .then((held) => {
        if (!held) leaseLost = true;
      })
      .catch((error) => log.warn({ err: error }, 'could not renew the sync lease'));
  }, (leaseSeconds * 1000) / 3);
  renew.unref();

  const ctx: RunContext = { deps, run, owner, log, carry: emptyCarry(), changes: [] };
  const progress = (next: SyncRun): void => {
    run = next;
    ctx.run = next;
    options.onProgress?.({ runId: next.id, dryRun: next.dryRun, processed: next.processed, total: next.total, counts: next.counts });
  };
  try {
    const stopped = await (run.dryRun ? dryRunChunks(ctx, options, progress, () => leaseLost) : realChunks(ctx, options, progress, () => leaseLost));
    if (stopped) {
      log.info({ cursor: ctx.run.cursor }, 'sync run paused; the next start resumes it');
      return ctx.run;
    }
    run = ctx.run;
    deps.metrics?.syncRuns.inc({ status: 'completed', dry_run: String(run.dryRun) });
    log.info({ counts: run.counts }, 'sync run completed');
    return run;
  } catch (error) {
    if (!(error instanceof LeaseLost)) {
      // The run's error is read by the plugin and shown in wp-admin: no driver text (SQL, values).
      await repos.syncRuns.fail(pool, run.id, publicReason(error)).catch(() => undefined);
      deps.metrics?.syncRuns.inc({ status: 'failed', dry_run: String(run.dryRun) });
    }
    log.error({ err: error }, 'sync run failed');
    throw error;
  } finally {
    clearInterval(renew);
    await repos.leases.release(pool, leaseName, owner).catch(() => undefined);
  }
}

/**
 * The id of the run in progress. The holder records its run right after taking the lease, so
 * a start that lost the race may look before the row exists: look again for a moment.
 */
async function runningId(deps: SyncDeps): Promise<number | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const running = await deps.repos.syncRuns.findRunning(deps.pool, deps.rules.domainId);
    if (running) return running.id;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}

/** With the lease held: resume the run a dead process left, or record a new one. */
async function openRun(deps: SyncDeps, owner: string, options: SyncOptions): Promise<SyncRun> {
  const { pool, repos, rules } = deps;
  const left = await repos.syncRuns.findRunning(pool, rules.domainId);
  if (left && !left.dryRun) {
    // A real run that stopped mid-way is finished first, whatever was asked: its committed
    // chunks stand, and it is the cheapest way to a synced site.
    await repos.syncRuns.takeOver(pool, left.id, owner);
    return { ...left, owner };
  }
  if (left) {
    // A dry run's state between chunks lived in its process; it cannot be resumed exactly.
    await repos.syncRuns.fail(pool, left.id, 'interrupted (a dry run is not resumed; start it again)');
  }
  const total = await repos.wpUsers.count(pool);
  const id = await repos.syncRuns.create(pool, { domainId: rules.domainId, dryRun: options.dryRun, trigger: options.trigger, owner, total });
  const run = await repos.syncRuns.findById(pool, rules.domainId, id);
  if (!run) throw new AppError('INTERNAL', `sync run ${id} vanished`);
  return run;
}

interface ChunkResult {
  outcomes: Array<{ ufId: number; isUser: boolean; action: Action | 'error'; contactId: number | null; reason: string | null }>;
  nextCursor: number;
  final: boolean;
}

function countsOf(outcomes: ChunkResult['outcomes']): SyncCounts {
  const counts = zeroCounts();
  for (const o of outcomes) {
    if (o.isUser) counts.checked += 1;
    switch (o.action) {
      case 'unchanged':
        counts.already_linked += 1;
        break;
      case 'updated':
        counts.already_linked += 1;
        counts.updated += 1;
        break;
      case 'matched':
        counts.matched += 1;
        break;
      case 'created':
        counts.created += 1;
        break;
      case 'unlinked':
        counts.unlinked += 1;
        break;
      case 'skipped':
        counts.skipped += 1;
        break;
      case 'conflict':
        counts.conflicts += 1;
        break;
      case 'error':
        counts.errors += 1;
        break;
    }
  }
  return counts;
}

function addCounts(a: SyncCounts, b: SyncCounts): SyncCounts {
  return Object.fromEntries(SYNC_COUNTERS.map((c) => [c, a[c] + b[c]])) as SyncCounts;
}

type Progress = (run: SyncRun) => void;

/** A dry run's chunks, one after the other. Returns true when stopped by the signal. */
async function dryRunChunks(ctx: RunContext, options: SyncOptions, progress: Progress, leaseLost: () => boolean): Promise<boolean> {
  while (ctx.run.status === 'running') {
    if (options.signal?.aborted) return true;
    if (leaseLost()) throw new LeaseLost();
    const { deps, run } = ctx;
    const ids = await deps.repos.wpUsers.listIdsAfter(deps.pool, run.cursor, deps.chunkSize);
    const upper = ids.length < deps.chunkSize ? null : ids[ids.length - 1];
    progress(await commitProgress(ctx, deps.pool, await planOnly(ctx, deps.pool, run.cursor, upper)));
  }
  return false;
}

/**
 * A real run's chunks, pipelined: while chunk N is written and committed on one connection,
 * chunk N+1 is locked, read and planned in its own transaction on another, with N's planned
 * changes carried over (N+1's reads do not see them yet). The database works on N's writes
 * while this process plans N+1. Commits stay in id order; N+1 writes only after N committed,
 * and is planned again first if N changed a contact N+1 read. Anything unexpected on the fast
 * path (a conflict with a hook, a refused row) redoes the chunk the plain way: runChunk, with
 * its retries and its user-by-user fallback. Returns true when stopped by the signal.
 */
async function realChunks(ctx: RunContext, options: SyncOptions, progress: Progress, leaseLost: () => boolean): Promise<boolean> {
  let next: Promise<OpenChunk | null> | null = null;
  const pages = new UsersPages(ctx.deps);
  try {
    while (ctx.run.status === 'running') {
      const ahead: Promise<OpenChunk | null> | null = next;
      next = null;
      let current: OpenChunk | null = ahead ? await ahead : null;
      if (options.signal?.aborted || leaseLost()) {
        await current?.discard();
        if (options.signal?.aborted) return true;
        throw new LeaseLost();
      }
      if (current && current.prepared.after !== ctx.run.cursor) {
        await current.discard();
        current = null;
      }
      current ??= await openChunk(ctx, await pages.get(ctx.run.cursor), emptyCarry(), null);
      if (!current) {
        progress(await runChunk(ctx));
        continue;
      }
      const chunk: OpenChunk = current;
      if (!(await chunk.replanIfStale())) {
        progress(await runChunk(ctx));
        continue;
      }
      if (chunk.prepared.upper !== null) {
        const { carried } = chunk.prepared.plan;
        const written = contactsWritten(chunk.prepared.plan);
        next = pages.get(chunk.prepared.upper).then((page) => openChunk(ctx, page, carried, written));
        next.catch(() => undefined); // handled where it is awaited; no unhandled rejection meanwhile
      }
      const written = await chunk.writeAndCommit();
      if (written) {
        progress(written);
        continue;
      }
      // The fast path failed and rolled back: the chunk after it was planned on top of it.
      const discarded = next;
      next = null;
      await discarded?.then((c) => c?.discard(), () => undefined);
      progress(await runChunk(ctx));
    }
    return false;
  } finally {
    await next?.then((chunk) => chunk?.discard(), () => undefined);
    await pages.close();
  }
}

/** A chunk prepared in an open transaction on a connection of its own. */
interface OpenChunk {
  prepared: PreparedChunk;
  /** Re-reads and re-plans when the chunk written meanwhile changed a contact this plan read; false if that failed (rolled back). */
  replanIfStale(): Promise<boolean>;
  /** Writes, moves the cursor, commits; null if it failed (rolled back, connection released). */
  writeAndCommit(): Promise<SyncRun | null>;
  discard(): Promise<void>;
}

/**
 * Begins a transaction on a new connection and prepares the page's chunk in it.
 * `writtenMeanwhile`: contacts the chunk being written concurrently changes (null when none).
 * Resolves to null (after rolling back) when anything fails: the caller takes the plain path.
 */
async function openChunk(ctx: RunContext, page: UsersPage, from: CarriedChanges, writtenMeanwhile: Set<number> | null): Promise<OpenChunk | null> {
  const { after } = page;
  const { deps } = ctx;
  let connection: PoolConnection;
  try {
    connection = await deps.pool.getConnection();
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw error;
    ctx.log.debug({ err: error }, 'could not open a connection for the next chunk');
    return null;
  }
  let open = true;
  const close = async (commit: boolean): Promise<void> => {
    if (!open) return;
    open = false;
    try {
      if (commit) await connection.commit();
      else await connection.rollback();
      connection.release();
    } catch (error) {
      connection.destroy();
      if (commit) throw error;
    }
  };
  const failed = async (error: unknown, what: string): Promise<null> => {
    await close(false);
    if (error instanceof LeaseLost || isDatabaseUnavailable(error)) throw error;
    ctx.log.debug({ err: error, after }, `pipelined chunk: ${what} failed; the chunk is redone the plain way`);
    return null;
  };
  let prepared: PreparedChunk;
  try {
    await connection.beginTransaction();
    prepared = await prepareChunk(ctx, connection, page, from);
  } catch (error) {
    return failed(error, 'prepare');
  }
  const chunk: OpenChunk = {
    prepared,
    async replanIfStale() {
      if (writtenMeanwhile === null || !readsAnyOf(prepared.snapshot, writtenMeanwhile)) return true;
      try {
        prepared = await replan(ctx, connection, prepared);
        chunk.prepared = prepared;
        return true;
      } catch (error) {
        return (await failed(error, 'replan')) ?? false;
      }
    },
    async writeAndCommit() {
      try {
        const result = await writeChunk(ctx, connection, prepared);
        const run = await commitProgress(ctx, connection, result);
        await close(true);
        return run;
      } catch (error) {
        return failed(error, 'write');
      }
    },
    discard: () => close(false),
  };
  return chunk;
}

/** The plain path for one chunk: its own transaction with retries; user by user if it still fails. */
async function runChunk(ctx: RunContext): Promise<SyncRun> {
  const { deps, run } = ctx;
  try {
    return await withTransaction(
      deps.pool,
      async (db) => {
        const prepared = await prepareChunk(ctx, db, await readUsersPage(deps, db, run.cursor), emptyCarry());
        return commitProgress(ctx, db, await writeChunk(ctx, db, prepared));
      },
      { retryOnDuplicate: true, attempts: 3, logger: ctx.log },
    );
  } catch (error) {
    if (error instanceof LeaseLost || isDatabaseUnavailable(error) || (error as AppError).code === 'DB_UNAVAILABLE') throw error;
    ctx.log.warn({ err: error, cursor: run.cursor }, 'chunk failed as a whole; redoing it user by user');
    const ids = await deps.repos.wpUsers.listIdsAfter(deps.pool, run.cursor, deps.chunkSize);
    return userByUser(ctx, ids, ids.length < deps.chunkSize ? null : ids[ids.length - 1]);
  }
}

function usersUpTo(users: WpUser[], upper: number | null): WpUser[] {
  return upper === null ? users : users.filter((u) => u.id <= upper);
}

/** A chunk locked, read and planned inside its transaction, ready to be written. */
interface PreparedChunk {
  after: number;
  upper: number | null;
  /** Recorded outcomes of the range's users that had a state row (locked). */
  recorded: Map<number, Omit<OutcomeRecord, 'domainId'>>;
  /** Deleted users' uf_ids whose state rows this chunk created to lock them. */
  claimed: Set<number>;
  snapshot: ChunkSnapshot;
  plan: ChunkPlan & { carried: CarriedChanges };
}

/**
 * Lock first (the range's state rows; deleted users' links), then read and plan: a hook for
 * one of these users either committed before (and is read) or waits until this chunk commits.
 * A user without a state row is not locked; its row is inserted with its outcome (insertNew),
 * which fails if a hook created it since, and the chunk is redone.
 */
async function prepareChunk(ctx: RunContext, db: PoolConnection, page: UsersPage, from: CarriedChanges): Promise<PreparedChunk> {
  const { deps } = ctx;
  const { repos, rules } = deps;
  const { after, upper } = page;
  const { recorded, changedSince } = await repos.userState.lockRange(db, rules.domainId, after, upper, page.readAt);
  // The page may have been read before the lock: a user whose state row was written since
  // (a hook reconciled it, perhaps with newer WordPress data) is read again, now under the lock.
  let users = page.users;
  const [rangeLinks0, reread] = await Promise.all([
    repos.links.findInRange(db, rules.domainId, after, upper),
    changedSince.length > 0 ? repos.wpUsers.listAfter(db, after, deps.chunkSize) : Promise.resolve(null),
  ]);
  if (reread) users = usersUpTo(reread, upper);
  const userIds = new Set(users.map((u) => u.id));
  // A link of the range whose uf_id is no user and holds no state row (a deleted user's link
  // from before the bridge) is locked by creating its row; the links are then read again.
  const claimed = new Set(rangeLinks0.map((l) => l.ufId).filter((id) => !userIds.has(id) && !recorded.has(id)));
  let rangeLinks = rangeLinks0;
  if (claimed.size > 0) {
    await repos.userState.claimMany(db, rules.domainId, [...claimed]);
    rangeLinks = await repos.links.findInRange(db, rules.domainId, after, upper);
  }
  const snapshot = await readSnapshot(deps, db, users, rangeLinks);
  return { after, upper, recorded, claimed, snapshot, plan: planWithCarry(snapshot, deps, from) };
}

/**
 * One chunk's users: the first `chunkSize` users after `after`; `upper` is the last one's id, or
 * null for the last chunk (which takes every user after `after`). `readAt`: the database's clock
 * before the read.
 */
interface UsersPage {
  after: number;
  upper: number | null;
  users: WpUser[];
  readAt: Date;
}

async function readUsersPage(deps: SyncDeps, db: Db, after: number): Promise<UsersPage> {
  const { users, readAt } = await deps.repos.wpUsers.readPage(db, after, deps.chunkSize);
  const upper = users.length < deps.chunkSize ? null : users[users.length - 1].id;
  return { after, upper, users, readAt };
}

/**
 * Reads the users of the chunk after the one asked for while that one is worked on (WordPress
 * tables, outside any transaction: the lock checks them, see prepareChunk). Holds at most one
 * page beyond the pages asked for.
 */
class UsersPages {
  private ahead: { after: number; page: Promise<UsersPage> } | null = null;

  constructor(private readonly deps: SyncDeps) {}

  get(after: number): Promise<UsersPage> {
    const page = this.ahead?.after === after ? this.ahead.page : readUsersPage(this.deps, this.deps.pool, after);
    this.ahead = null;
    page.then(
      (p) => {
        if (p.upper !== null && this.ahead === null) {
          const next = readUsersPage(this.deps, this.deps.pool, p.upper);
          next.catch(() => undefined); // handled where it is awaited
          this.ahead = { after: p.upper, page: next };
        }
      },
      () => undefined,
    );
    return page;
  }

  async close(): Promise<void> {
    await this.ahead?.page.catch(() => undefined);
    this.ahead = null;
  }
}

function planWithCarry(snapshot: ChunkSnapshot, deps: SyncDeps, from: CarriedChanges): ChunkPlan & { carried: CarriedChanges } {
  const carried = emptyCarry();
  return { ...planChunk(snapshot, deps.rules, { from, into: carried }), carried };
}

/** The chunk written meanwhile has committed: read again (same locks) and plan on the database alone. */
async function replan(ctx: RunContext, db: PoolConnection, prepared: PreparedChunk): Promise<PreparedChunk> {
  const { deps } = ctx;
  const rangeLinks = await deps.repos.links.findInRange(db, deps.rules.domainId, prepared.after, prepared.upper);
  const snapshot = await readSnapshot(deps, db, prepared.snapshot.users, rangeLinks);
  return { ...prepared, snapshot, plan: planWithCarry(snapshot, deps, emptyCarry()) };
}

/**
 * Contacts whose names or email rows a plan changes. A chunk planned while this one is written
 * read them as they were; if it read any of them it is planned again once this one commits.
 * (Links taken and freed need no such care: they are carried as CarriedChanges.)
 */
function contactsWritten(plan: ChunkPlan): Set<number> {
  const ids = new Set<number>();
  for (const n of plan.names) ids.add(n.contactId);
  for (const e of plan.setPrimary) ids.add(e.contactId);
  for (const e of plan.addPrimaryEmail) ids.add(e.contactId);
  for (const o of plan.outcomes) if (o.action === 'updated' && o.contact !== null && 'existing' in o.contact) ids.add(o.contact.existing);
  return ids;
}

function readsAnyOf(snapshot: ChunkSnapshot, contactIds: Set<number>): boolean {
  if (contactIds.size === 0) return false;
  for (const id of snapshot.contacts.keys()) if (contactIds.has(id)) return true;
  for (const id of snapshot.emailsByContact.keys()) if (contactIds.has(id)) return true;
  return snapshot.candidateRows.some((r) => contactIds.has(r.contactId));
}

/** Writes a prepared chunk's plan, the users' state rows and the audit rows. */
async function writeChunk(ctx: RunContext, db: PoolConnection, prepared: PreparedChunk): Promise<ChunkResult> {
  const { deps, run } = ctx;
  const { repos, rules } = deps;
  const { plan, recorded, claimed, snapshot, after, upper } = prepared;
  let outcomes: ChunkResult['outcomes'] = [];
  await writePlan(deps, db, plan, (contactIds) => {
    outcomes = plan.outcomes.map((o) => ({ ufId: o.ufId, isUser: o.isUser, action: o.action, contactId: contactIdOf(o.contact, contactIds), reason: o.reason }));
    const records: OutcomeRecord[] = outcomes.map((o) => ({ domainId: rules.domainId, ufId: o.ufId, action: o.action, contactId: o.contactId, reason: o.reason }));
    // Users without a state row get their first one (insertNew).
    const isFresh = (r: OutcomeRecord) => !recorded.has(r.ufId) && !claimed.has(r.ufId);
    // A state row that stays right is not written again: one holding exactly this outcome, or
    // one that linked the user to this contact (created, matched, updated) when the user is
    // now unchanged — its updated_at is when that outcome happened, and the run record says
    // when this run checked it. A re-run over a synced site then writes no state row at all.
    const changed = records.filter((r) => !isFresh(r) && !keepsRecordedState(recorded.get(r.ufId) ?? null, r));
    // Rows with a recorded outcome that keep their contact id are set by plain UPDATEs on their
    // keys; the others by the upsert.
    const keepsContact = (r: OutcomeRecord) => recorded.get(r.ufId)?.contactId === r.contactId;
    return [
      repos.userState.insertNew(db, records.filter(isFresh)),
      repos.userState.recordKeepingContactMany(db, changed.filter(keepsContact)),
      repos.userState.recordMany(db, changed.filter((r) => !keepsContact(r))),
      // Audit: one row per change, skip or conflict. Unchanged users get none in bulk (their
      // state row holds their outcome); a million "unchanged" rows per scheduled run would
      // bury the changes.
      repos.audit.insertMany(
        db,
        records.filter((r) => r.action !== 'unchanged').map((r) => ({ ...r, source: 'sync', syncRunId: run.id })),
      ),
    ];
  });
  return { outcomes, nextCursor: nextCursor(after, snapshot.users, upper), final: upper === null };
}

function nextCursor(after: number, users: WpUser[], upper: number | null): number {
  if (upper !== null) return upper;
  return users.length > 0 ? Math.max(after, users[users.length - 1].id) : after;
}

/** Dry run: the same reads and plan, no claim, no writes. */
async function planOnly(ctx: RunContext, db: Db, after: number, upper: number | null): Promise<ChunkResult> {
  const { deps } = ctx;
  const [listed, rangeLinks] = await Promise.all([
    deps.repos.wpUsers.listAfter(db, after, deps.chunkSize),
    deps.repos.links.findInRange(db, deps.rules.domainId, after, upper),
  ]);
  const users = usersUpTo(listed, upper);
  const snapshot = await readSnapshot(deps, db, users, rangeLinks);
  const plan = planChunk(snapshot, deps.rules, { from: ctx.carry, into: ctx.carry });
  const outcomes = plan.outcomes.map((o: PlannedOutcome) => ({
    ufId: o.ufId,
    isUser: o.isUser,
    action: o.action,
    contactId: o.contact !== null && 'existing' in o.contact ? o.contact.existing : null,
    reason: o.reason,
  }));
  for (const o of outcomes) {
    if (o.action === 'unchanged' || ctx.changes.length >= MAX_LISTED_CHANGES) continue;
    ctx.changes.push({ user_id: o.ufId, action: o.action, contact_id: o.contactId, reason: o.reason });
  }
  return { outcomes, nextCursor: nextCursor(after, users, upper), final: upper === null };
}

/** The chunk again, one reconcileUser transaction per user; a user that fails is an error. */
async function userByUser(ctx: RunContext, ids: number[], upper: number | null): Promise<SyncRun> {
  const { deps, run } = ctx;
  const { pool, repos, rules } = deps;
  const after = run.cursor;
  const orphans = (await repos.links.findInRange(pool, rules.domainId, after, upper)).map((l) => l.ufId);
  const users = usersUpTo(await repos.wpUsers.listAfter(pool, after, deps.chunkSize), upper);
  const isUser = new Set([...ids, ...users.map((u) => u.id)]);
  const all = [...new Set([...isUser, ...orphans])].sort((a, b) => a - b);
  const outcomes: ChunkResult['outcomes'] = [];
  for (const ufId of all) {
    try {
      const outcome = await reconcileUser(deps, ufId, 'sync');
      outcomes.push({ ufId, isUser: isUser.has(ufId), action: outcome.action, contactId: outcome.contactId, reason: outcome.reason });
    } catch (error) {
      if (isDatabaseUnavailable(error) || (error as AppError).code === 'DB_UNAVAILABLE') throw error;
      const reason = publicReason(error); // listed by /v1/conflicts: no driver text
      ctx.log.warn({ userId: ufId, err: error }, 'user could not be reconciled; counted as an error');
      outcomes.push({ ufId, isUser: isUser.has(ufId), action: 'error', contactId: null, reason });
      const record = { domainId: rules.domainId, ufId, action: 'error', contactId: null, reason };
      await withTransaction(pool, async (db) => {
        await repos.userState.record(db, record);
        await repos.audit.insertMany(db, [{ ...record, source: 'sync', syncRunId: run.id }]);
      }).catch((e) => ctx.log.error({ err: e, userId: ufId }, 'could not record the error'));
    }
  }
  const result: ChunkResult = {
    outcomes,
    nextCursor: upper ?? Math.max(after, ...all.filter((id) => isUser.has(id))),
    final: upper === null,
  };
  return withTransaction(pool, (db) => commitProgress(ctx, db, result));
}

/** Moves the run's cursor and counters (fenced on owner and cursor); inside the chunk's transaction. */
async function commitProgress(ctx: RunContext, db: Db, result: ChunkResult): Promise<SyncRun> {
  const { deps, run, owner } = ctx;
  const delta = countsOf(result.outcomes);
  const processed = delta.checked;
  const ok = await deps.repos.syncRuns.advance(db, run.id, owner, run.cursor, result.nextCursor, delta, processed, {
    complete: result.final,
    changes: run.dryRun ? ctx.changes : undefined,
  });
  if (!ok) throw new LeaseLost();
  if (!run.dryRun) for (const c of SYNC_COUNTERS) if (delta[c] > 0) deps.metrics?.syncUsers.inc({ outcome: c }, delta[c]);
  return {
    ...run,
    cursor: result.nextCursor,
    processed: run.processed + processed,
    counts: addCounts(run.counts, delta),
    status: result.final ? 'completed' : 'running',
    finishedAt: result.final ? new Date() : null,
  };
}
