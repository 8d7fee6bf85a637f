/**
 * The engine and the bulk sync wired to a test database, as start.ts wires them, and gates that
 * hold one of them at a chosen point (race tests: the other party acts while it waits there).
 */
import { createRepositories, type Repositories } from '../../sidecar/src/data-access/repositories';
import { conventionsFrom } from '../../sidecar/src/domain/conventions';
import type { LinkingRules } from '../../sidecar/src/domain/model';
import type { EngineStore } from '../../sidecar/src/domain/ports';
import type { EngineDeps } from '../../sidecar/src/domain/reconcile-users';
import type { SyncDeps } from '../../sidecar/src/domain/sync/sync-all-users';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import type { TestDatabase } from './database';

export const TEST_RULES: LinkingRules = { domainId: 1, contactType: 'Individual', syncNames: true, onUserDelete: 'keep', trashMatched: false, memberBlogs: null };

export function testRepos(prefix = 'wp_'): Repositories {
  return createRepositories({ wpUsersTable: `${prefix}users`, wpUsermetaTable: `${prefix}usermeta`, wpTablePrefix: prefix });
}

export function engineDeps(db: TestDatabase, overrides: Partial<EngineDeps> = {}): EngineDeps {
  const database = databaseOf(db.pool);
  const store = testRepos(db.prefix).engine;
  return {
    db: database,
    store,
    rules: TEST_RULES,
    conventions: conventionsFrom((runner) => store.loadConventions(runner), database),
    logger: silentLogger,
    ...overrides,
  };
}

export function syncDeps(db: TestDatabase, chunkSize: number, overrides: Partial<SyncDeps> = {}): SyncDeps {
  const repos = testRepos(db.prefix);
  return { ...engineDeps(db, { store: overrides.store ?? repos.engine }), runs: repos.runs, leases: repos.leases, chunkSize, ...overrides };
}

export interface Gate {
  /** Resolves when the gated call is reached (the first time). */
  reached: Promise<void>;
  release(): void;
}

/**
 * A store whose `method` waits at the gate the first time it is called (`when`: before the call,
 * or after it returned). insertContacts is called by every path once the snapshot is read (its
 * locks held) and the plan made, before anything is written; readRange is the bulk chunk's
 * read, after its page of users was read and before anything is locked.
 */
export function gatedStore(store: EngineStore, method: 'readRange' | 'readUsers' | 'insertContacts', when: 'before' | 'after' = 'before'): { store: EngineStore; gate: Gate } {
  let reached!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
  const gated = Object.create(store) as EngineStore;
  (gated as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const hold = first;
    first = false;
    if (hold && when === 'before') {
      reached();
      await open;
    }
    const result = await original(...args);
    if (hold && when === 'after') {
      reached();
      await open;
    }
    return result;
  };
  return { store: gated, gate: { reached: reachedPromise, release } };
}
