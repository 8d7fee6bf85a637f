/**
 * The bulk sync's loop over chunks.
 *
 * A real run is pipelined: while chunk N is written and committed on one connection, chunk N+1
 * is locked, read and planned in its own transaction on another, with N's planned link changes
 * carried (N+1's reads do not see them yet; the contacts N+1 reads are locked, so it waits for
 * any N holds and then reads them as N left them). Commits stay in id order. Anything unexpected
 * on this path (a hook got in first, a deadlock, a refused row) rolls it back and redoes the
 * chunk the plain way: one transaction with retries, then user by user.
 */
import { isOutage, publicReason } from '../../lib/errors';
import { isDuplicateKey } from '../../lib/transaction';
import type { OpenTransaction } from '../../lib/transaction';
import { emptyCarry, type CarriedChanges } from '../engine/link-book';
import type { UsersPage } from '../ports';
import { reconcileUser } from '../reconcile-users';
import { commitProgress, planOnly, prepareChunk, writeChunk, type ChunkOutcome, type PreparedChunk, type RunContext } from './chunk';
import { countsOf, LeaseLost, SYNC_COUNTERS, type SyncRun } from './sync-run';
import { UsersPages } from './user-pages';

export interface LoopControl {
  signal?: AbortSignal;
  leaseLost(): boolean;
  onProgress(run: SyncRun): void;
}

/** Runs the chunks until the run completes; true when stopped by the signal (the run stays running). */
export async function runChunks(ctx: RunContext, control: LoopControl): Promise<boolean> {
  return ctx.run.dryRun ? dryRunChunks(ctx, control) : realChunks(ctx, control);
}

function checkpoint(control: LoopControl): 'stop' | null {
  if (control.signal?.aborted) return 'stop';
  if (control.leaseLost()) throw new LeaseLost();
  return null;
}

function progressed(ctx: RunContext, control: LoopControl, run: SyncRun, outcomes: readonly ChunkOutcome[] | null): void {
  ctx.run = run;
  if (outcomes) {
    const delta = countsOf(outcomes);
    for (const c of SYNC_COUNTERS) if (delta[c] > 0) ctx.deps.metrics?.syncUsers.inc({ outcome: c }, delta[c]);
  }
  control.onProgress(run);
}

async function dryRunChunks(ctx: RunContext, control: LoopControl): Promise<boolean> {
  const { deps } = ctx;
  const pages = new UsersPages(deps.store, deps.db, deps.rules.domainId, deps.chunkSize);
  try {
    while (ctx.run.status === 'running') {
      if (checkpoint(control)) return true;
      progressed(ctx, control, await planOnly(ctx, deps.db, await pages.get(ctx.run.cursor)), null);
    }
    return false;
  } finally {
    await pages.close();
  }
}

/** A chunk prepared in an open transaction on a connection of its own. */
interface OpenChunk {
  prepared: PreparedChunk;
  /** Writes, moves the cursor, commits; null if it failed (rolled back). */
  writeAndCommit(): Promise<{ run: SyncRun; outcomes: ChunkOutcome[] } | null>;
  discard(): Promise<void>;
}

/** Errors that stop the fast path and the plain path alike. */
function isFatalForChunk(error: unknown): boolean {
  return error instanceof LeaseLost || isOutage(error);
}

async function openChunk(ctx: RunContext, page: UsersPage, from: CarriedChanges): Promise<OpenChunk | null> {
  const open: OpenTransaction = await ctx.deps.db.open();
  const failed = async (error: unknown, what: string): Promise<null> => {
    await open.rollback();
    if (isFatalForChunk(error)) throw error;
    ctx.log.debug({ err: error, after: page.after }, `pipelined chunk: ${what} failed; the chunk is redone the plain way`);
    return null;
  };
  let prepared: PreparedChunk;
  try {
    prepared = await prepareChunk(ctx, open.tx, page, from, ctx.claimAll ? 'all' : 'existing');
  } catch (error) {
    return failed(error, 'prepare');
  }
  return {
    prepared,
    async writeAndCommit() {
      try {
        const written = await writeChunk(ctx, open.tx, prepared);
        await open.commit();
        return written;
      } catch (error) {
        if (isDuplicateKey(error)) ctx.claimAll = true;
        return failed(error, 'write');
      }
    },
    discard: () => open.rollback(),
  };
}

async function realChunks(ctx: RunContext, control: LoopControl): Promise<boolean> {
  const { deps } = ctx;
  const pages = new UsersPages(deps.store, deps.db, deps.rules.domainId, deps.chunkSize);
  let next: Promise<OpenChunk | null> | null = null;
  const dropNext = async () => {
    const pending = next;
    next = null;
    await pending?.then((c) => c?.discard(), () => undefined);
  };
  try {
    while (ctx.run.status === 'running') {
      let current: OpenChunk | null = next ? await next : null;
      next = null;
      if (checkpoint(control)) {
        await current?.discard();
        return true;
      }
      if (current && current.prepared.page.after !== ctx.run.cursor) {
        await current.discard();
        current = null;
      }
      current ??= await openChunk(ctx, await pages.get(ctx.run.cursor), emptyCarry());
      if (current) {
        const chunk: OpenChunk = current;
        const { upper } = chunk.prepared.page;
        if (upper !== null) {
          next = pages.get(upper).then((page) => openChunk(ctx, page, chunk.prepared.carried));
          next.catch(() => undefined); // handled where it is awaited
        }
        const written = await chunk.writeAndCommit();
        if (written) {
          progressed(ctx, control, written.run, written.outcomes);
          continue;
        }
        // The fast path rolled back: the chunk after it was planned on top of it.
        await dropNext();
      }
      const plain = await runChunkPlain(ctx);
      progressed(ctx, control, plain.run, plain.outcomes);
    }
    return false;
  } finally {
    await dropNext();
    await pages.close();
  }
}

/** The plain path for one chunk: its own transaction with retries; user by user if it still fails. */
async function runChunkPlain(ctx: RunContext): Promise<{ run: SyncRun; outcomes: ChunkOutcome[] }> {
  const { deps } = ctx;
  const pages = new UsersPages(deps.store, deps.db, deps.rules.domainId, deps.chunkSize);
  try {
    return await deps.db.transaction(async (tx) => writeChunk(ctx, tx, await prepareChunk(ctx, tx, await pages.read(tx, ctx.run.cursor), emptyCarry(), 'all')), {
      rereads: true,
      attempts: 3,
      logger: ctx.log,
    });
  } catch (error) {
    if (isFatalForChunk(error)) throw error;
    ctx.log.warn({ err: error, cursor: ctx.run.cursor }, 'chunk failed as a whole; redoing it user by user');
    return userByUser(ctx, await pages.read(deps.db, ctx.run.cursor));
  }
}

/** The chunk again, one reconcile transaction per user; a user that still fails is counted as an error. */
async function userByUser(ctx: RunContext, page: UsersPage): Promise<{ run: SyncRun; outcomes: ChunkOutcome[] }> {
  const { deps, run } = ctx;
  const { db, store, rules } = deps;
  const users = new Set(page.users.map((u) => u.id));
  const range = (await store.readRange(db, rules, page, 'none')).subjects.map((s) => s.ufId);
  const outcomes: ChunkOutcome[] = [];
  for (const ufId of range) {
    const isUser = users.has(ufId);
    try {
      const outcome = await reconcileUser(deps, ufId, 'sync');
      outcomes.push({ ufId, isUser, action: outcome.action, contactId: outcome.contactId, reason: outcome.reason });
    } catch (error) {
      if (isOutage(error)) throw error;
      const reason = publicReason(error); // read by the plugin and in the audit: no driver text
      ctx.log.warn({ userId: ufId, err: error }, 'user could not be reconciled; counted as an error');
      outcomes.push({ ufId, isUser, action: 'error', contactId: null, reason });
      const outcome = { action: 'error', contactId: null, reason };
      await db
        .transaction(async (tx) => {
          tx.atCommit(
            ...store.recordStatements(rules.domainId, [{ ufId, outcome, applied: 'keep', fresh: false }], [{ ufId, ...outcome, source: 'sync', syncRunId: run.id }]),
          );
        })
        .catch((e) => ctx.log.error({ err: e, userId: ufId }, 'could not record the error'));
    }
  }
  return { run: await db.transaction((tx) => commitProgress(ctx, tx, page, outcomes)), outcomes };
}
