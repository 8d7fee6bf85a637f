/**
 * reconcileUsers(requests): make the CRM agree with these WordPress users as the database holds
 * them now. Every event means this, so an event delivered twice, late or out of order does no
 * harm. reconcileUser(id) is the one-user case.
 *
 * One transaction: the users' state rows are claimed first (events for one user take turns),
 * the snapshot is read, the planner decides, and the plan, state and audit rows are written
 * with COMMIT. Retried on deadlock, duplicate key or a missing referenced row (the unique keys of civicrm_uf_match decide
 * races; a retry sees the winner's rows). Round trips for one user: two when it is linked and its
 * address did not change (a login), three when the address matters, four when a contact is created.
 */
import type { Database } from '../lib/transaction';
import type { Logger } from '../lib/logger';
import type { ConventionsSource } from './conventions';
import { plan } from './engine/plan';
import { auditRows, resolveOutcomes, stateRecords } from './engine/records';
import type { EventSource, LinkingRules, Outcome } from './model';
import type { EngineStore } from './ports';

export interface EngineDeps {
  db: Database;
  store: EngineStore;
  rules: LinkingRules;
  conventions: ConventionsSource;
  logger: Logger;
}

export interface ReconcileRequest {
  userId: number;
  source: EventSource;
}

/** `requests` must name distinct users. Returns the outcomes in the order of `requests`. */
export async function reconcileUsers(deps: EngineDeps, requests: readonly ReconcileRequest[]): Promise<Outcome[]> {
  const { db, store, rules } = deps;
  const sources = new Map(requests.map((r) => [r.userId, r.source]));
  if (sources.size !== requests.length) throw new Error('reconcileUsers: a user appears twice in one batch');
  const conventions = await deps.conventions.get();
  const outcomes = await db.transaction(
    async (tx) => {
      const snapshot = await store.readUsers(tx, rules, [...sources.keys()]);
      const decided = plan(snapshot, { rules, conventions });
      const created = await store.insertContacts(tx, decided);
      const resolved = resolveOutcomes(decided, created);
      tx.atCommit(...store.planStatements(decided, created, stateRecords(resolved, snapshot.states), auditRows(resolved, (id) => sources.get(id)!)));
      return new Map(resolved.map((o) => [o.ufId, o]));
    },
    { rereads: true, logger: deps.logger },
  );
  return requests.map(({ userId, source }) => {
    const o = outcomes.get(userId)!;
    const outcome: Outcome = { userId, action: o.action, contactId: o.contactId, reason: o.reason };
    deps.logger.info({ userId, source, action: o.action, contactId: o.contactId, reason: o.reason, domainId: rules.domainId }, 'user reconciled');
    return outcome;
  });
}

export async function reconcileUser(deps: EngineDeps, userId: number, source: EventSource): Promise<Outcome> {
  const [outcome] = await reconcileUsers(deps, [{ userId, source }]);
  return outcome;
}
