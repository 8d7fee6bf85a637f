/**
 * The one place that decides which state and audit rows a plan writes, for every path.
 */
import type { Applied, Action, RecordedOutcome, UserState } from '../model';
import { contactIdOf, type Plan } from './plan';

/** A planned outcome with its contact id known (after the plan's contacts were inserted). */
export interface ResolvedOutcome {
  ufId: number;
  isUser: boolean;
  action: Action;
  contactId: number | null;
  reason: string | null;
  applied: Applied | null | 'keep';
  touched: boolean;
}

export function resolveOutcomes(plan: Plan, created: readonly number[]): ResolvedOutcome[] {
  return plan.outcomes.map((o) => ({
    ufId: o.ufId,
    isUser: o.isUser,
    action: o.action,
    contactId: contactIdOf(o.contact, created),
    reason: o.reason,
    applied: o.applied,
    touched: o.touched,
  }));
}

/** Outcomes after which a user is linked to the contact its state row names. */
const LINKED_OUTCOMES: ReadonlySet<string> = new Set(['created', 'matched', 'updated', 'unchanged']);

/**
 * Whether a state row already says what this outcome would: the same outcome, or the one that
 * linked the user to this contact (created, matched, updated) when nothing changed now (its
 * updated_at then stays the time of that change).
 */
export function keepsRecordedState(recorded: RecordedOutcome | null, now: Pick<ResolvedOutcome, 'action' | 'contactId' | 'reason'>): boolean {
  if (recorded === null || recorded.contactId !== now.contactId) return false;
  if (now.action === 'unchanged' && LINKED_OUTCOMES.has(recorded.action)) return true;
  return recorded.action === now.action && recorded.reason === now.reason;
}

function sameApplied(a: Applied | null, b: Applied | null | 'keep'): boolean {
  if (b === 'keep') return true;
  if (a === null || b === null) return a === b;
  return a.email === b.email && a.firstName === b.firstName && a.lastName === b.lastName;
}

export interface StateRecord {
  ufId: number;
  outcome: RecordedOutcome;
  applied: Applied | null | 'keep';
  fresh: boolean;
}

/**
 * The state rows to write: a user without a row gets one; a row is rewritten when the plan
 * wrote CRM rows for the user or the row no longer says what happened. A row that stays right
 * is left alone (a re-run over a synced site writes none).
 */
export function stateRecords(outcomes: readonly ResolvedOutcome[], states: ReadonlyMap<number, UserState>): StateRecord[] {
  const out: StateRecord[] = [];
  for (const o of outcomes) {
    const state = states.get(o.ufId);
    const fresh = state === undefined;
    if (!fresh && !o.touched && keepsRecordedState(state.outcome, o) && sameApplied(state.applied, o.applied)) continue;
    out.push({ ufId: o.ufId, outcome: { action: o.action, contactId: o.contactId, reason: o.reason }, applied: o.applied, fresh });
  }
  return out;
}

/** An audit row: one per outcome that did or refused something. */
export interface AuditRow {
  ufId: number;
  action: string;
  contactId: number | null;
  reason: string | null;
  /** The event name (user_register, …), "sync" for the bulk run, or "cli". */
  source: string;
  syncRunId: number | null;
}

/** The audit rows of these outcomes: an unchanged outcome gets none (it is counted in metrics only). */
export function auditRows(outcomes: readonly ResolvedOutcome[], sourceOf: (ufId: number) => string, syncRunId: number | null = null): AuditRow[] {
  return outcomes
    .filter((o) => o.action !== 'unchanged')
    .map((o) => ({ ufId: o.ufId, action: o.action, contactId: o.contactId, reason: o.reason, source: sourceOf(o.ufId), syncRunId }));
}
