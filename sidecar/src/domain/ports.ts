/**
 * What the domain needs from storage, in the domain's own types. data-access implements these
 * (data-access/repositories.ts); statements stay opaque values built there.
 */
import type { Database, Query, Runner, Statement, Tx } from '../lib/transaction';
import type { FindingKind, RangeFacts } from './health/findings';
import type { RepairChange, RepairCounts, RepairRun } from './health/repair-run';
import type { Plan } from './engine/plan';
import type { AuditRow, StateRecord } from './engine/records';
import type { Snapshot } from './engine/snapshot';
import type { ContactType, CrmConventions, Link, ReadScope, WpUser } from './model';
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

/** Which users a read is about: a list of ids, or the range (after, upTo] (no upper bound when null). */
export type UserIds = { ids: readonly number[] } | { after: number; upTo: number | null };

export interface EngineStore {
  /**
   * Claims the users' state rows (their events take turns; versions bumped) and reads what the
   * rules need about them, locking the contacts the plan may write. The first round trip begins
   * the transaction; a second one only when an address matters.
   */
  readUsers(tx: Tx, scope: ReadScope, ids: readonly number[]): Promise<Snapshot>;
  /**
   * A page's snapshot. Locking ('existing' or 'all'): the range's state rows and linked contacts
   * are locked first, users whose state row changed since the page was read are read again, and
   * a link whose user is not in the page is checked by id (claiming its state row) before it
   * counts as a deleted user's; 'all' also claims the rows of the page's users that have none
   * (else their rows are inserted with the plan, and a reconcile that created one meanwhile makes
   * that insert fail). 'none': the same reads, nothing locked (a dry run).
   */
  readRange(tx: Runner, scope: ReadScope, page: UsersPage, lock: RangeLock): Promise<Snapshot>;
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

/** What the link health check reads, and the link removals its repairs make (data-access/link-health.ts). */
export interface HealthStore {
  /** The last user id of the range of `size` users after `after`; null when fewer remain (the range is open-ended). */
  rangeEnd(db: Runner, after: number, size: number): Promise<number | null>;
  /** The facts of the users and links with these ids (a list, or a range (after, upTo], open-ended when upTo is null). */
  readRange(db: Runner, domainId: number, contactType: ContactType, users: UserIds, memberBlogs?: readonly number[] | null): Promise<RangeFacts>;
  /** Contacts linked to more than one user in the domain, after `afterContactId`, at most `limit`, in contact id order. */
  contactsLinkedTwice(db: Runner, domainId: number, afterContactId: number, limit: number): Promise<Array<{ contactId: number; userIds: number[] }>>;
  /** Those of these contacts linked to more than one user in the domain. */
  linkedTwiceAmong(db: Runner, domainId: number, contactIds: readonly number[]): Promise<Array<{ contactId: number; userIds: number[] }>>;
  /** Under lock: removes the user's links but its oldest; the ids removed. */
  removeAllButOldestLink(db: Database, domainId: number, ufId: number): Promise<number[]>;
  /** Under lock: removes the user's links whose contact does not exist (or is trashed, with `trashed`); the ids removed. */
  removeBrokenLinks(db: Database, domainId: number, ufId: number, trashed: boolean): Promise<number[]>;
}

/** contact_bridge_repair_run: one row per repair (or its dry run). */
export interface RepairRunStore {
  create(db: Runner, run: { domainId: number; dryRun: boolean; kinds: readonly FindingKind[]; owner: string; total: number }): Promise<number>;
  findById(db: Runner, domainId: number, id: number): Promise<RepairRun | null>;
  findRunning(db: Runner, domainId: number): Promise<RepairRun | null>;
  progress(db: Runner, id: number, processed: number, counts: RepairCounts): Promise<void>;
  finish(db: Runner, id: number, result: { status: 'completed' | 'failed'; counts: RepairCounts; changes: RepairChange[]; error: string | null }): Promise<void>;
}

/** One of the user's state rows, as exported. */
export interface StateEntry {
  domainId: number;
  action: string | null;
  contactId: number | null;
  reason: string | null;
  appliedEmail: string | null;
  appliedFirstName: string | null;
  appliedLastName: string | null;
  updatedAt: Date;
}

/** One of the user's audit rows, as exported. */
export interface AuditEntry {
  id: number;
  domainId: number;
  action: string;
  contactId: number | null;
  reason: string | null;
  source: string;
  syncRunId: number | null;
  createdAt: Date;
}

/** Where a text of the bridge may name a person: a reason (audit, state) or a run's changes (JSON). */
export type MentionSource = 'audit' | 'state' | 'sync_run' | 'repair_run';

export interface Mention {
  source: MentionSource;
  /** The row's key: [id], or [domain_id, uf_id] for a state row. */
  key: number[];
  /** The user the row is about (audit, state), null for a run. */
  ufId: number | null;
  domainId: number;
  text: string;
  at: Date;
}

/** The bridge's own rows about one person (data-access/personal-data.ts), for the privacy tools. */
export interface PersonalDataStore {
  userExists(db: Runner, ufId: number): Promise<boolean>;
  /** The CRM domains holding audit or state rows of the user. */
  domainsOf(db: Runner, ufId: number): Promise<number[]>;
  stateRows(db: Runner, ufId: number, domains: readonly number[]): Promise<StateEntry[]>;
  /** The user's audit rows in id order, a page at a time. */
  auditPage(db: Runner, ufId: number, domains: readonly number[], offset: number, limit: number): Promise<AuditEntry[]>;
  /** Deletes at most `limit` of the user's audit rows, oldest first; how many. */
  deleteAudit(db: Runner, ufId: number, domains: readonly number[], limit: number): Promise<number>;
  deleteState(db: Runner, ufId: number, domains: readonly number[]): Promise<number>;
  /**
   * Rows of a source whose text may name the address (or, for a run, whose changes have an entry
   * of the user), after `after` in key order; the caller checks each text exactly.
   */
  mentions(db: Runner, source: MentionSource, who: { userId: number | null; email: string; exceptUserId: number | null }, after: readonly number[] | null, limit: number): Promise<Mention[]>;
  /** Replaces a mention's text, unless it changed since it was read; whether it was replaced. */
  rewrite(db: Runner, mention: Mention, text: string): Promise<boolean>;
}
