/**
 * reconcileUsers(requests): reconcileUser for several users at once, in one transaction of a
 * fixed handful of statements (the bulk sync's planner and set-based reads and writes), with the
 * result reconcileUser would give for each of them in id order. Used when events arrive faster
 * than one transaction per event can take them (see ReconcileBatcher).
 *
 * Every user's state row is claimed first, in id order (the lock order of every claimer), so
 * events for one user still take turns. Each request gets its outcome and its own audit row.
 */
import type { OutcomeRecord } from '../data-access/user-state';
import { withTransaction } from '../lib/transaction';
import { keepsRecordedState, NO_USER_NO_LINK } from './linking-rules';
import type { EventSource, Outcome } from './outcome';
import { planChunk } from './plan-chunk';
import { contactIdOf, readSnapshot, writePlan } from './plan-io';
import type { ReconcileDeps } from './reconcile-user';

export interface ReconcileRequest {
  userId: number;
  source: EventSource;
}

/** `requests` must name distinct users. Returns the outcomes in the order of `requests`. */
export async function reconcileUsers(deps: ReconcileDeps, requests: ReconcileRequest[]): Promise<Outcome[]> {
  const { repos, rules } = deps;
  const ids = [...new Set(requests.map((r) => r.userId))].sort((a, b) => a - b);
  if (ids.length !== requests.length) throw new Error('reconcileUsers: a user appears twice in one batch');
  const index = new Map(ids.map((id, i) => [id, i]));
  const byUser = await withTransaction(
    deps.pool,
    async (db) => {
      const recorded = await repos.userState.claimManyAndRead(db, rules.domainId, ids);
      const [users, links] = await Promise.all([repos.wpUsers.findManyByIds(db, ids), repos.links.findForUsers(db, rules.domainId, ids)]);
      const plan = planChunk(await readSnapshot(deps, db, users, links), rules);
      const outcomes = new Map<number, Outcome>();
      await writePlan(deps, db, plan, (created) => {
        for (const o of plan.outcomes) outcomes.set(o.ufId, { userId: o.ufId, action: o.action, contactId: contactIdOf(o.contact, created), reason: o.reason });
        // An id with neither a user nor a link: as reconcileUser says it.
        for (const id of ids) {
          if (!outcomes.has(id)) outcomes.set(id, { userId: id, action: 'unchanged', contactId: null, reason: NO_USER_NO_LINK });
        }
        const records: OutcomeRecord[] = ids.map((id) => {
          const o = outcomes.get(id)!;
          return { domainId: rules.domainId, ufId: id, action: o.action, contactId: o.contactId, reason: o.reason };
        });
        return [
          repos.userState.recordMany(db, records.filter((r) => !keepsRecordedState(recorded.get(r.ufId) ?? null, r))),
          repos.audit.insertMany(
            db,
            requests.map((q) => ({ ...records[index.get(q.userId)!], source: q.source })),
          ),
        ];
      });
      return outcomes;
    },
    { retryOnDuplicate: true, logger: deps.logger },
  );
  return requests.map((q) => {
    const outcome = byUser.get(q.userId)!;
    deps.logger.info({ userId: q.userId, source: q.source, action: outcome.action, contactId: outcome.contactId, reason: outcome.reason }, 'user reconciled');
    return outcome;
  });
}
