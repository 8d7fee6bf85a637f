/**
 * pendingEmailChanges({since}): with EMAIL_DIRECTION=both, the linked users whose address was
 * changed in the CRM and should become WordPress's — the email_changed_in_crm findings whose
 * repair is to_wordpress (WordPress kept the address last applied, the CRM has another, and no
 * other WordPress user has it). The plugin polls this from WP-Cron and applies each with
 * wp_update_user; the profile_update that follows finds WordPress and the contact agreeing, so
 * nothing travels back. A state, not a log: a change applied (or made moot) is gone from the
 * next poll, and one not applied yet comes again.
 */
import { scanFindings, type HealthDeps } from './check-link-health';

export interface EmailChange {
  userId: number;
  contactId: number;
  email: string;
}

export interface EmailChangesPage {
  changes: EmailChange[];
  /** The user id to pass as `since` for the next page; null when this page is the last. */
  next: number | null;
}

export async function pendingEmailChanges(deps: HealthDeps, query: { since: number; limit: number }): Promise<EmailChangesPage> {
  if (deps.rules.emailDirection !== 'both') return { changes: [], next: null };
  const changes: EmailChange[] = [];
  for await (const step of scanFindings(deps, { after: query.since, usersOnly: true })) {
    for (const f of step.findings) {
      if (f.kind !== 'email_changed_in_crm' || f.repair?.action.type !== 'to_wordpress') continue;
      if (changes.length === query.limit) return { changes, next: changes[changes.length - 1].userId };
      changes.push({ userId: f.userId!, contactId: f.contactIds[0], email: f.repair.action.email });
    }
  }
  return { changes, next: null };
}
