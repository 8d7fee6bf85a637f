/**
 * What the domain needs from storage, in the domain's own types. data-access implements these
 * (data-access/repositories.ts); statements stay opaque values built there.
 */
import type { Query, Runner, Statement, Tx } from '../lib/transaction';
import type { Plan } from './engine/plan';
import type { AuditRow, StateRecord } from './engine/records';
import type { Snapshot } from './engine/snapshot';
import type { ContactType, CrmConventions, Link, WpUser } from './model';
import type { SyncCounts, SyncRun } from './sync/sync-run';

/** One page of the bulk sync: the first users after `after`; `upper` is the last one's id, or null for the last page. */
export interface UsersPage {
  after: number;
  upper: number | null;
  users: WpUser[];
  /** Each user's state-row version when the page was read (null: no row); see EngineStore.readRange. */
  versions: ReadonlyMap<number, number | null>;
}

export type RangeLock = 'none' | 'existing' | 'all';

export interface EngineStore {
  /**
   * Claims the users' state rows (their events take turns; versions bumped) and reads what the
   * rules need about them, locking the contacts the plan may write. The first round trip begins
   * the transaction; a second one only when an address matters.
   */
  readUsers(tx: Tx, domainId: number, contactType: ContactType, ids: readonly number[]): Promise<Snapshot>;
  /**
   * A page's snapshot. Locking ('existing' or 'all'): the range's state rows and linked contacts
   * are locked first, users whose state row changed since the page was read are read again, and
   * a link whose user is not in the page is checked by id (claiming its state row) before it
   * counts as a deleted user's; 'all' also claims the rows of the page's users that have none
   * (else their rows are inserted with the plan, and a reconcile that created one meanwhile makes
   * that insert fail). 'none': the same reads, nothing locked (a dry run).
   */
  readRange(tx: Runner, domainId: number, contactType: ContactType, page: UsersPage, lock: RangeLock): Promise<Snapshot>;
  readPage(db: Runner, domainId: number, after: number, limit: number): Promise<UsersPage>;
  /** Inserts the plan's new contacts (one round trip per thousand); their ids, in plan order. */
  insertContacts(tx: Runner, plan: Plan): Promise<number[]>;
  /** The plan's other writes, with the state and audit rows, in the order they must run. */
  planStatements(plan: Plan, created: readonly number[], states: readonly StateRecord[], audit: readonly AuditRow[]): Statement[];
  /** State and audit rows alone (an outcome that wrote nothing else: a user counted as an error). */
  recordStatements(domainId: number, states: readonly StateRecord[], audit: readonly AuditRow[]): Statement[];
  userIdsAfter(db: Runner, after: number, limit: number): Promise<number[]>;
  countUsers(db: Runner): Promise<number>;
  linksOf(db: Runner, domainId: number, ufIds: readonly number[]): Promise<Link[]>;
  loadConventions(db: Runner): Promise<CrmConventions>;
}

/** contact_bridge_sync_run: one row per bulk run, its cursor and counters. */
export interface SyncRunStore {
  create(db: Runner, run: { domainId: number; dryRun: boolean; trigger: string; owner: string; total: number }): Promise<number>;
  findById(db: Runner, domainId: number, id: number): Promise<SyncRun | null>;
  listRecent(db: Runner, domainId: number, limit: number): Promise<SyncRun[]>;
  /** The domain's run still marked running (normally at most one), newest first. */
  findRunning(db: Runner, domainId: number): Promise<SyncRun | null>;
  /** Makes `owner` the run's owner (after it took the domain's lease). */
  takeOver(db: Runner, id: number, owner: string): Promise<void>;
  /**
   * Moves the cursor and adds a chunk's counts, fenced on owner and previous cursor: the query
   * answers false when another process took the run over (the caller's transaction must then
   * roll back).
   */
  advance(id: number, owner: string, fromCursor: number, toCursor: number, delta: SyncCounts, options: { complete: boolean; changes?: unknown[] }): Query<boolean>;
  fail(db: Runner, id: number, error: string): Promise<void>;
}

/** contact_bridge_lease: a row per singleton naming its owner until it expires (never a named lock). */
export interface LeaseStore {
  /** Takes the lease, or renews it when `owner` holds it already; true when `owner` holds it afterwards. */
  acquire(db: Runner, name: string, owner: string, ttlSeconds: number): Promise<boolean>;
  /** Takes the lease from `fromOwner` whatever its expiry (the caller knows that owner is dead). */
  takeOver(db: Runner, name: string, fromOwner: string, owner: string, ttlSeconds: number): Promise<boolean>;
  release(db: Runner, name: string, owner: string): Promise<void>;
  /** The unexpired holder, if any. */
  holder(db: Runner, name: string): Promise<{ owner: string; expiresAt: Date } | null>;
}

/** Users whose last outcome was a skip or a conflict. */
export interface ProblemStore {
  listProblems(db: Runner, domainId: number, limit: number): Promise<Array<{ ufId: number; action: string; contactId: number | null; reason: string | null; updatedAt: Date }>>;
}

/** contact_bridge_audit, beyond the rows plans write. */
export interface AuditStore {
  /** Deletes at most `limit` rows older than `days` days, oldest first; how many it deleted. */
  deleteOlderThan(db: Runner, days: number, limit: number): Promise<number>;
}
